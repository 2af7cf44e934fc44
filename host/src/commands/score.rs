//! `smoothscore score`: a core quantity (score, weights, posterior mean, noise prediction,
//! drift) at time t for every query row, written as a matrix.

use crate::io::formats::{read_matrix, write_matrix, Format};
use crate::manifest::{PathFlag, PathValue::Required};
use crate::sampling::evaluate::{evaluate, Quantity};
use crate::sampling::process_spec::{describe, ProcessArgs};
use crate::sampling::score_spec::ScoreChoiceArgs;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `smoothscore score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Training set (.csv or .npy, N×d).
    #[arg(long)]
    pub data: PathBuf,
    /// Query points (.csv or .npy, B×d).
    #[arg(long)]
    pub queries: PathBuf,
    /// Time t.
    #[arg(long, allow_negative_numbers = true)]
    pub t: f32,
    /// The forward process.
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Quantity: score, weights (B×N), mean, denoiser (noise prediction), drift (pbm).
    #[arg(long, default_value = "score")]
    pub what: String,
    /// The score (for --what score).
    #[command(flatten)]
    pub score: ScoreChoiceArgs,
    /// Output file (.csv or .npy).
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (0: all cores). The output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl ScoreArgs {
    /// The path-valued flags (for manifests and `reproduce`).
    pub fn path_flags(&mut self) -> Vec<PathFlag<'_>> {
        vec![
            PathFlag::input("--data", Required(&mut self.data)),
            PathFlag::input("--queries", Required(&mut self.queries)),
            PathFlag::output("--out", Required(&mut self.out)),
        ]
    }
}

/// Runs `score`; returns the report.
pub fn run(args: &ScoreArgs) -> Result<String> {
    Format::from_path(&args.out)?;
    let quantity = Quantity::parse(&args.what)?;
    let spec = args.process.resolve()?;
    let data = read_matrix(&args.data)?;
    let queries = read_matrix(&args.queries)?;
    let score = args.score.resolve(data.cols())?;
    let out = evaluate(
        &data,
        &queries,
        &spec,
        &score,
        args.t,
        quantity,
        args.threads,
    )?;
    write_matrix(&args.out, &out)?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "rows": out.rows(),
            "cols": out.cols(),
            "what": args.what,
            "t": args.t,
            "process": describe(&spec),
            "out": args.out.display().to_string(),
        }))?);
    }
    Ok(format!(
        "wrote {} rows × {} columns ({} at t = {}, {}) to {}",
        out.rows(),
        out.cols(),
        args.what,
        args.t,
        describe(&spec),
        args.out.display()
    ))
}
