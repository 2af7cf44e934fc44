//! `experiment pbm`: VP-SDE against the pinned Brownian motion (Föllmer drift), both with the
//! empirical target, on Neal's funnel (d = 50) and a 10-component GMM (d = 50) — Vargas et al. —
//! for the exact and the kernel-smoothed score/drift: the metrics of `experiment memorization`
//! against fresh draws of the true law (the held-out set), `mmd_to_held_out` among them.

use super::euler_maruyama_run;
use super::memorization::{coordinate_spread, sample_metrics, SAMPLE_METRICS};
use super::sources::{self, Source, SourceName};
use super::table::{Cell, Table};
use crate::metrics::memorization::DEFAULT_EPSILON;
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sample::draw_samples;
use crate::sampling::score_spec::{kernel_rule, KernelRuleName, ScoreSpec};
use anyhow::Result;
use clap::Args;
use smoothscore_core::{Bandwidth, Process};

/// Options of `experiment pbm`.
#[derive(Clone, Debug, Args)]
pub struct PbmArgs {
    /// Data sets (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "funnel50,gmm50"
    )]
    pub datasets: Vec<SourceName>,
    /// Bandwidth of the smoothed runs, in units of the data's RMS spread per coordinate.
    #[arg(long, default_value_t = 0.3)]
    pub bandwidth: f32,
    /// Samples per run.
    #[arg(long, default_value_t = 128, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_samples: usize,
    /// Euler–Maruyama steps (geometric grids: toward t_min = 10⁻³ for VP, toward t = 1 − 10⁻³
    /// for the pinned process).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::io::limits::step_count)]
    pub steps: usize,
    /// Kernel points M (antithetic quasi-random in d = 50).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// σ of the pinned Brownian motion.
    #[arg(long, default_value_t = 1.0)]
    pub pbm_sigma: f32,
    /// ε of the memorization tolerance (as in `experiment memorization`).
    #[arg(long, default_value_t = DEFAULT_EPSILON, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
    /// Where MNIST is (when a data set is mnist).
    #[command(flatten)]
    pub mnist: crate::data::mnist::MnistArgs,
}

/// Runs the comparison.
pub fn run(args: &PbmArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    let mut table = Table::new(
        "pbm",
        &["dataset", "process", "score", "epsilon"],
        &SAMPLE_METRICS,
    );
    for name in &args.datasets {
        let Source { train, held_out } = sources::load(*name, seed, 0, args.mnist.dir.as_deref())?;
        let bandwidth = args.bandwidth * coordinate_spread(&train) as f32;
        let smoothed = ScoreSpec::Kernel {
            bandwidth: Bandwidth::Constant { bandwidth },
            rule: kernel_rule(KernelRuleName::Auto, args.kernel_points, seed, train.cols())?,
        };
        let processes = [
            ("vp", ProcessSpec::Reverse(Process::VP_LINEAR)),
            (
                "pbm",
                ProcessSpec::Pinned {
                    sigma: args.pbm_sigma,
                },
            ),
        ];
        for (process_name, process) in processes {
            for (score_name, score) in [("exact", ScoreSpec::Exact), ("kernel", smoothed)] {
                let config =
                    euler_maruyama_run(process, score, args.steps, args.n_samples, seed, threads);
                let samples = draw_samples(&train, &config)?;
                let mut row: Vec<Cell> = vec![
                    crate::usage::choice_name(*name).into(),
                    process_name.into(),
                    score_name.into(),
                    args.epsilon.into(),
                ];
                row.extend(sample_metrics(&train, &held_out, &samples, args.epsilon)?);
                table.push(row);
            }
        }
    }
    Ok(vec![table])
}
