//! `experiment memorization`: the memorized fraction (d₁/d₂ < 1/3) and the distance to a
//! held-out set as the kernel bandwidth h grows from 0 (the exact score), on a 2-D set, a GMM
//! and MNIST (docs/math.md §5, §8). Expected (Gabriel et al.): memorization falls from ≈ 1 at h = 0,
//! while samples stay near the data manifold (their distance to held-out data stays comparable
//! to the training points' own).

use super::euler_maruyama_run;
use super::sources::{self, Source};
use super::table::Table;
use crate::matrix::{Matrix, MatrixView};
use crate::metrics::distances::mmd_rbf;
use crate::metrics::{nearest_summary, two_nearest};
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sample::draw_samples;
use crate::sampling::score_spec::{kernel_rule, ScoreSpec};
use anyhow::Result;
use clap::Args;
use smoothscore_core::{Bandwidth, Process};

/// Options of `experiment memorization`.
#[derive(Clone, Debug, Args)]
pub struct MemorizationArgs {
    /// Data sets (comma-separated): default, gmm-ring, mnist.
    #[arg(long, value_delimiter = ',', default_value = "default,gmm-ring")]
    pub datasets: Vec<String>,
    /// Bandwidths h (comma-separated; 0 is the exact score). In units of the data's RMS spread
    /// per coordinate, so one sweep fits 2-D sets and images alike.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0,0.02,0.05,0.1,0.2,0.3,0.5"
    )]
    pub bandwidths: Vec<f32>,
    /// Samples per bandwidth.
    #[arg(long, default_value_t = 128)]
    pub n_samples: usize,
    /// Reverse-SDE steps (VP linear, Euler–Maruyama, geometric grid to t_min = 10⁻³).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Kernel points M.
    #[arg(long, default_value_t = 16)]
    pub kernel_points: usize,
    /// Training points taken from MNIST (the rest of the test split is held out).
    #[arg(long, default_value_t = 2000)]
    pub mnist_train: usize,
    /// Where MNIST is.
    #[command(flatten)]
    pub mnist: crate::data::mnist::MnistArgs,
}

/// Mean distance from each row of `from` to its nearest row of `to`.
pub fn mean_nearest_distance<'a>(
    from: impl Into<MatrixView<'a>>,
    to: impl Into<MatrixView<'a>>,
) -> f64 {
    let (from, to) = (from.into(), to.into());
    let total: f64 = from.iter_rows().map(|x| two_nearest(to, x).0).sum();
    total / from.rows().max(1) as f64
}

/// The RMS spread per coordinate, √(Σ_k Var_k / d).
pub fn coordinate_spread(data: &Matrix) -> f64 {
    let (n, d) = (data.rows() as f64, data.cols());
    let mut total = 0.0;
    for k in 0..d {
        let column: Vec<f64> = data.iter_rows().map(|r| f64::from(r[k])).collect();
        let mean = column.iter().sum::<f64>() / n;
        total += column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    }
    (total / d as f64).sqrt()
}

/// Runs the sweep; returns one table with a row per (data set, h).
pub fn run(args: &MemorizationArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    let mut table = Table::new(
        "memorization",
        &[
            "dataset",
            "n_train",
            "dim",
            "bandwidth",
            "memorized_fraction",
            "median_distance_to_train",
            "mean_distance_to_held_out",
            "train_distance_to_held_out",
            "mmd_to_held_out",
        ],
    );
    for name in &args.datasets {
        let Source { train, held_out } =
            sources::load(name, seed, args.mnist_train, args.mnist.dir.as_deref())?;
        let spread = coordinate_spread(&train) as f32;
        let baseline = mean_nearest_distance(&train, &held_out);
        for &relative in &args.bandwidths {
            if !(relative.is_finite() && relative >= 0.0) {
                anyhow::bail!("--bandwidths must be numbers ≥ 0, got {relative}");
            }
            let bandwidth = relative * spread;
            let score = if bandwidth == 0.0 {
                ScoreSpec::Exact
            } else {
                ScoreSpec::Kernel {
                    bandwidth: Bandwidth::Constant { bandwidth },
                    rule: kernel_rule("auto", args.kernel_points as i64, seed, train.cols())?,
                }
            };
            let config = euler_maruyama_run(
                ProcessSpec::Reverse(Process::VP_LINEAR),
                score,
                args.steps,
                args.n_samples,
                seed,
                threads,
            );
            let samples = draw_samples(&train, &config)?;
            let summary = nearest_summary(&train, &samples, 1e-3);
            table.push(vec![
                name.as_str().into(),
                train.rows().into(),
                train.cols().into(),
                f64::from(relative).into(),
                summary.memorized_fraction.into(),
                summary.median_nearest.into(),
                mean_nearest_distance(&samples, &held_out).into(),
                baseline.into(),
                mmd_rbf(&samples, &held_out)?.into(),
            ]);
        }
    }
    Ok(vec![table])
}
