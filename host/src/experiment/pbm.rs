//! `experiment pbm`: VP-SDE against the pinned Brownian motion (Föllmer drift), both with the
//! empirical target, on Neal's funnel (d = 50) and a 10-component GMM (d = 50) — Vargas et al. —
//! for the exact and the kernel-smoothed score/drift: memorized fraction, MMD to fresh draws of
//! the true law, and the mean distance to held-out data.

use super::euler_maruyama_run;
use super::memorization::{coordinate_spread, mean_nearest_distance};
use super::sources::{self, Source};
use super::table::Table;
use crate::metrics::distances::mmd_rbf;
use crate::metrics::nearest_summary;
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sample::draw_samples;
use crate::sampling::score_spec::{kernel_rule, ScoreSpec};
use anyhow::Result;
use clap::Args;
use smoothscore_core::{Bandwidth, Process};

/// Options of `experiment pbm`.
#[derive(Clone, Debug, Args)]
pub struct PbmArgs {
    /// Data sets (comma-separated): funnel50, gmm50 (or any of `experiment memorization`'s).
    #[arg(long, value_delimiter = ',', default_value = "funnel50,gmm50")]
    pub datasets: Vec<String>,
    /// Bandwidth of the smoothed runs, in units of the data's RMS spread per coordinate.
    #[arg(long, default_value_t = 0.3)]
    pub bandwidth: f32,
    /// Samples per run.
    #[arg(long, default_value_t = 128)]
    pub n_samples: usize,
    /// Euler–Maruyama steps (geometric grids: toward t_min = 10⁻³ for VP, toward t = 1 − 10⁻³
    /// for the pinned process).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Kernel points M (antithetic quasi-random in d = 50).
    #[arg(long, default_value_t = 8)]
    pub kernel_points: usize,
    /// σ of the pinned Brownian motion.
    #[arg(long, default_value_t = 1.0)]
    pub pbm_sigma: f32,
    /// Where MNIST is (when a data set is mnist).
    #[command(flatten)]
    pub mnist: crate::data::mnist::MnistArgs,
}

/// Runs the comparison.
pub fn run(args: &PbmArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    let mut table = Table::new(
        "pbm",
        &[
            "dataset",
            "process",
            "score",
            "memorized_fraction",
            "mmd_to_truth",
            "mean_distance_to_held_out",
            "train_distance_to_held_out",
        ],
    );
    for name in &args.datasets {
        let Source { train, held_out } = sources::load(name, seed, 0, args.mnist.dir.as_deref())?;
        let bandwidth = args.bandwidth * coordinate_spread(&train) as f32;
        let smoothed = ScoreSpec::Kernel {
            bandwidth: Bandwidth::Constant { bandwidth },
            rule: kernel_rule("auto", args.kernel_points as i64, seed, train.cols())?,
        };
        let baseline = mean_nearest_distance(&train, &held_out);
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
                let summary = nearest_summary(&train, &samples, 1e-3);
                table.push(vec![
                    name.as_str().into(),
                    process_name.into(),
                    score_name.into(),
                    summary.memorized_fraction.into(),
                    mmd_rbf(&samples, &held_out)?.into(),
                    mean_nearest_distance(&samples, &held_out).into(),
                    baseline.into(),
                ]);
            }
        }
    }
    Ok(vec![table])
}
