//! `experiment memorization`: memorization (the ratio rule d₁/d₂ < 1/3 against the de-duplicated
//! training set, and the near-copy fraction within ε·spacing), precision-like and coverage
//! measures against a held-out set, as the kernel bandwidth h grows from 0 (the exact score), on
//! a 2-D set, a GMM and MNIST (docs/math.md §5, §8). Expected (Gabriel et al.): memorization
//! falls from ≈ 1 at h = 0,
//! while samples stay near the data manifold (their distance to held-out data stays comparable
//! to the training points' own).

use super::euler_maruyama_samples;
use super::sources::{self, Source, SourceName};
use super::table::{Cell, Table};
use crate::matrix::Matrix;
use crate::metrics::distances::mmd_rbf;
use crate::metrics::memorization::{median, memorization, DEFAULT_EPSILON};
use crate::metrics::recall::{knn_precision_recall, mean_nearest_distance, DEFAULT_K};
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::score_spec::{kernel_rule, KernelRuleName, ScoreSpec};
use anyhow::Result;
use clap::Args;
use smoothscore_core::{Bandwidth, Process};

/// Options of `experiment memorization`.
#[derive(Clone, Debug, Args)]
pub struct MemorizationArgs {
    /// Data sets (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "default,gmm-ring"
    )]
    pub datasets: Vec<SourceName>,
    /// Bandwidths h (comma-separated; 0 is the exact score). In units of the data's RMS spread
    /// per coordinate, so one sweep fits 2-D sets and images alike.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0,0.02,0.05,0.1,0.2,0.3,0.5"
    )]
    pub bandwidths: Vec<f32>,
    /// Samples per bandwidth.
    #[arg(long, default_value_t = 128, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_samples: usize,
    /// Reverse-SDE steps (VP linear, Euler–Maruyama, geometric grid to t_min = 10⁻³).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::io::limits::step_count)]
    pub steps: usize,
    /// Kernel points M.
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// Training points taken from MNIST (the rest of the test split is held out).
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub mnist_train: usize,
    /// ε of the memorization tolerance τ = ε·(median nearest-neighbour spacing of the training
    /// set): near copies are within τ of a training point, and the ratio rule d₁/d₂ < 1/3 counts
    /// training points within τ of each other as one.
    #[arg(long, default_value_t = DEFAULT_EPSILON, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
    /// Where MNIST is.
    #[command(flatten)]
    pub mnist: crate::data::mnist::MnistArgs,
}

/// The metric columns shared by `experiment memorization` and `experiment pbm`.
pub const SAMPLE_METRICS: [&str; 10] = [
    "memorized_fraction",
    "near_copy_fraction",
    "train_spacing",
    "median_distance_to_train",
    "mean_distance_to_held_out",
    "held_out_distance_to_samples",
    "precision",
    "recall",
    "train_distance_to_held_out",
    "mmd_to_held_out",
];

/// The [`SAMPLE_METRICS`] of `samples` against `train` and `held_out`: memorization (ratio rule
/// and near copies at τ = ε·spacing, see [`crate::metrics::memorization`]), precision-like
/// distances (samples → held-out), coverage (held-out → samples; k-NN precision/recall, k = 3)
/// and the MMD².
pub fn sample_metrics(
    train: &Matrix,
    held_out: &Matrix,
    samples: &Matrix,
    epsilon: f64,
) -> Result<Vec<Cell>> {
    let measured = memorization(train.view(), samples.view(), epsilon);
    let mut nearest = measured.nearest.clone();
    let pr = knn_precision_recall(held_out.view(), samples.view(), DEFAULT_K)?;
    Ok(vec![
        measured.ratio_fraction.into(),
        measured.near_copy_fraction.into(),
        measured.spacing.into(),
        median(&mut nearest).into(),
        mean_nearest_distance(samples.view(), held_out.view()).into(),
        mean_nearest_distance(held_out.view(), samples.view()).into(),
        pr.precision.into(),
        pr.recall.into(),
        mean_nearest_distance(train.view(), held_out.view()).into(),
        mmd_rbf(samples, held_out)?.into(),
    ])
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
        &["dataset", "n_train", "dim", "bandwidth", "epsilon"],
        &SAMPLE_METRICS,
    );
    for name in &args.datasets {
        let Source { train, held_out } =
            sources::load(*name, seed, args.mnist_train, args.mnist.dir.as_deref())?;
        let spread = coordinate_spread(&train) as f32;
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
                    rule: kernel_rule(
                        KernelRuleName::Auto,
                        args.kernel_points,
                        seed,
                        train.cols(),
                    )?,
                }
            };
            let samples = euler_maruyama_samples(
                &train,
                ProcessSpec::Reverse(Process::VP_LINEAR),
                score,
                (args.steps, args.n_samples),
                seed,
                threads,
            )?;
            let mut row: Vec<Cell> = vec![
                crate::usage::choice_name(*name).into(),
                train.rows().into(),
                train.cols().into(),
                f64::from(relative).into(),
                args.epsilon.into(),
            ];
            row.extend(sample_metrics(&train, &held_out, &samples, args.epsilon)?);
            table.push(row);
        }
    }
    Ok(vec![table])
}
