//! `smoothscore experiment …`: the seeds' claims, reproduced as tables (CSV + JSON in an output
//! folder, aligned text on stdout). One module per experiment.

pub mod interpolation;
pub mod memorization;
pub mod pbm;
pub mod sources;
pub mod table;
pub mod variance;

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use table::Table;

/// `smoothscore experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Which experiment.
    #[command(subcommand)]
    pub which: Experiment,
    /// Output folder for the tables (default: experiments/<name>).
    #[arg(long, global = true)]
    pub out_dir: Option<PathBuf>,
    /// Seed of every random choice.
    #[arg(long, global = true, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (0: all cores). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0)]
    pub threads: usize,
    /// Print the tables as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The experiments.
#[derive(Debug, Subcommand)]
pub enum Experiment {
    /// Chen: points on a line, exact vs PL-ESF vs smoothed PL-ESF vs kernel-smoothed score.
    Interpolation(interpolation::InterpolationArgs),
    /// Gabriel et al.: memorized fraction and distance to held-out data vs kernel bandwidth.
    Memorization(memorization::MemorizationArgs),
    /// Gabriel et al.: bias², variance and MSE of exact vs smoothed scores; score covariance vs PCA.
    Variance(variance::VarianceArgs),
    /// Vargas et al.: VP-SDE vs pinned Brownian motion on funnel and GMM (d = 50), exact and smoothed.
    Pbm(pbm::PbmArgs),
}

impl Experiment {
    fn name(&self) -> &'static str {
        match self {
            Experiment::Interpolation(_) => "interpolation",
            Experiment::Memorization(_) => "memorization",
            Experiment::Variance(_) => "variance",
            Experiment::Pbm(_) => "pbm",
        }
    }
}

/// Runs the experiment, writes its tables, returns the report.
pub fn run(args: &ExperimentArgs) -> Result<String> {
    let tables: Vec<Table> = match &args.which {
        Experiment::Interpolation(options) => interpolation::run(options, args.seed, args.threads)?,
        Experiment::Memorization(options) => memorization::run(options, args.seed, args.threads)?,
        Experiment::Variance(options) => variance::run(options, args.seed)?,
        Experiment::Pbm(options) => pbm::run(options, args.seed, args.threads)?,
    };
    let dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("experiments").join(args.which.name()));
    let mut written = Vec::new();
    for table in &tables {
        written.extend(table.write(&dir)?);
    }
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = tables
            .iter()
            .map(|table| (table.name.clone(), table.json()))
            .collect();
        return Ok(serde_json::to_string_pretty(&object)?);
    }
    let mut report = String::new();
    for table in &tables {
        report += &format!("{}:\n{}\n", table.name, table.render());
    }
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    report += &format!("wrote {}", names.join(", "));
    Ok(report)
}
