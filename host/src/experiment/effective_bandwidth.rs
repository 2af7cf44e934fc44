//! `experiment effective-bandwidth` (Gabriel et al.'s kernel smoothing against learning): which
//! bandwidth h* of the kernel-smoothed score K_h * s_t^N does a trained network's score
//! resemble, and does the network memorize like the kernel score at h*?
//!
//! N training points of the two-moons law (noise 0.015), VP linear process; per (N, weight
//! decay λ) a network of the shared recipe ([`super::networks`]) trained by denoising score
//! matching. Per fit time t, M draws x = α_t x_i + σ_t z of p_t^N; the relative mean squared
//! difference R(h) = Σ‖s_net(x) − s̃_h(x)‖² / Σ‖s_t^N(x)‖² over a grid of bandwidths (0, the
//! exact score, and a geometric grid, in units of the training set's RMS spread per
//! coordinate); h*_t = argmin R. The pooled h* minimises Σ_t R_t(h). Then samples (reverse
//! VP-SDE, Euler–Maruyama, as in `experiment memorization`) from the network and from the
//! kernel-smoothed score at the pooled h*: the project's memorization measures
//! ([`crate::metrics::memorization`]) of both against the training set.

use super::memorization::coordinate_spread;
use super::networks::{train_network, NetworkRecipe};
use super::table::Table;
use crate::data::synthetic::two_moons;
use crate::metrics::memorization::{memorization, DEFAULT_EPSILON};
use crate::sampling::network::TrainedNetwork;
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sample::MAX_DIM;
use crate::sampling::score_spec::{kernel_rule, KernelRuleName, ScoreSpec};
use anyhow::{bail, Result};
use clap::Args;
use rand_core::RngCore;
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, KernelRule, KernelSmoothedScore, Process, ScoreField,
};

/// Options of `experiment effective-bandwidth`.
#[derive(Clone, Debug, Args)]
pub struct EffectiveBandwidthArgs {
    /// Training-set sizes N (two-moons draws; comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub n_trains: Vec<usize>,
    /// AdamW weight decays λ of the networks (comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', default_value = "0,0.1")]
    pub weight_decays: Vec<f64>,
    /// The networks.
    #[command(flatten)]
    pub recipe: NetworkRecipe,
    /// Times t of the bandwidth fit (VP linear, comma-separated, in (10⁻³, 1]).
    #[arg(long, value_delimiter = ',', default_value = "0.01,0.05,0.2")]
    pub fit_times: Vec<f32>,
    /// Draws of p_t^N per fit time.
    #[arg(long, default_value_t = 256)]
    pub fit_samples: usize,
    /// Largest bandwidth of the grid, in units of the RMS spread per coordinate.
    #[arg(long, default_value_t = 1.0)]
    pub max_bandwidth: f32,
    /// Bandwidths of the geometric grid (from max/200 to max), besides h = 0.
    #[arg(long, default_value_t = 24)]
    pub grid: usize,
    /// Kernel points M of the kernel-smoothed score.
    #[arg(long, default_value_t = 16)]
    pub kernel_points: usize,
    /// Samples per score for the memorization measures.
    #[arg(long, default_value_t = 128)]
    pub n_samples: usize,
    /// Reverse-SDE steps (Euler–Maruyama, geometric grid to t_min = 10⁻³).
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// ε of the memorization tolerance τ = ε·(nearest-neighbour spacing).
    #[arg(long, default_value_t = DEFAULT_EPSILON, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
}

/// The process of the experiment.
const PROCESS: Process = Process::VP_LINEAR;

/// Smallest training time and end of the sampling runs.
const T_MIN: f32 = 1e-3;

/// Draws x = α_t x_i + σ_t z of p_t^N (i uniform), from stream 0 of `seed`.
fn draws(train: &crate::matrix::Matrix, t: f32, count: usize, seed: u64) -> Result<Vec<Vec<f32>>> {
    let (alpha, sigma_squared) = PROCESS.coefficients(t)?;
    let sigma = sigma_squared.sqrt();
    let mut rng = SampleStreams::new(seed ^ 0xb4d ^ u64::from(t.to_bits()))
        .next()
        .ok_or_else(|| anyhow::anyhow!("no random stream"))?;
    let dim = train.cols();
    Ok((0..count)
        .map(|_| {
            let row = ((u128::from(rng.next_u64()) * train.rows() as u128) >> 64) as usize;
            let mut x = vec![0.0f32; dim];
            fill_standard_normal(&mut rng, &mut x);
            for (v, &p) in x.iter_mut().zip(train.row(row)) {
                *v = alpha * p + sigma * *v;
            }
            x
        })
        .collect())
}

/// Σ_j ‖a(x_j) − b(x_j)‖² for two score fields at time `t`.
fn squared_distance(
    a: &impl ScoreField,
    b: &impl ScoreField,
    t: f32,
    points: &[Vec<f32>],
) -> Result<f64> {
    let dim = a.dim();
    let (mut sa, mut sb) = (vec![0.0f32; dim], vec![0.0f32; dim]);
    let mut total = 0.0;
    for x in points {
        a.score(t, x, &mut sa)?;
        b.score(t, x, &mut sb)?;
        total += sa
            .iter()
            .zip(&sb)
            .map(|(&p, &q)| f64::from(p - q).powi(2))
            .sum::<f64>();
    }
    Ok(total)
}

/// Σ_j ‖s(x_j)‖².
fn squared_norm(a: &impl ScoreField, t: f32, points: &[Vec<f32>]) -> Result<f64> {
    let mut s = vec![0.0f32; a.dim()];
    let mut total = 0.0;
    for x in points {
        a.score(t, x, &mut s)?;
        total += s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
    }
    Ok(total)
}

/// The kernel-smoothed score of `exact` at bandwidth `h` (h = 0: the exact score itself).
fn kernel(
    exact: EmpiricalScore<'_>,
    h: f32,
    rule: KernelRule,
) -> Result<KernelSmoothedScore<'_, MAX_DIM>> {
    Ok(KernelSmoothedScore::new(
        exact,
        Bandwidth::Constant { bandwidth: h },
        rule,
    )?)
}

/// Runs the experiment; returns the per-time fit and the memorization tables.
pub fn run(args: &EffectiveBandwidthArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    if args.n_trains.iter().any(|&n| n < 2) || args.n_trains.is_empty() {
        bail!("--n-trains must be at least 2 each");
    }
    if args.fit_times.is_empty() || args.fit_times.iter().any(|&t| !(t > T_MIN && t <= 1.0)) {
        bail!("--fit-times must be in (0.001, 1]");
    }
    if !(args.max_bandwidth.is_finite() && args.max_bandwidth > 0.0) || args.grid < 2 {
        bail!("--max-bandwidth must be > 0 and --grid at least 2");
    }
    if args.weight_decays.is_empty() || args.fit_samples == 0 || args.n_samples == 0 {
        bail!("--weight-decays, --fit-samples and --n-samples must not be empty or 0");
    }
    let relative: Vec<f32> = std::iter::once(0.0)
        .chain(
            (0..args.grid)
                .map(|j| args.max_bandwidth * 200f32.powf(j as f32 / (args.grid - 1) as f32 - 1.0)),
        )
        .collect();
    let mut fit_table = Table::new(
        "effective_bandwidth_fit",
        &["n_train", "weight_decay", "t"],
        &["best_bandwidth", "relative_mse_best", "relative_mse_exact"],
    );
    let mut memorization_table = Table::new(
        "effective_bandwidth_memorization",
        &["n_train", "weight_decay"],
        &[
            "pooled_bandwidth",
            "network_memorized_fraction",
            "kernel_memorized_fraction",
            "network_near_copy_fraction",
            "kernel_near_copy_fraction",
            "final_train_loss",
        ],
    );
    for &n_train in &args.n_trains {
        let train = two_moons(n_train, 0.015, seed ^ n_train as u64)?;
        let spread = coordinate_spread(&train) as f32;
        let dim = train.cols();
        let exact = EmpiricalScore::new(Dataset::new(train.values(), dim)?, PROCESS)?;
        let rule = kernel_rule(KernelRuleName::Auto, args.kernel_points, seed, dim)?;
        let fit_draws: Vec<Vec<Vec<f32>>> = args
            .fit_times
            .iter()
            .map(|&t| draws(&train, t, args.fit_samples, seed))
            .collect::<Result<_>>()?;
        for (index, &weight_decay) in args.weight_decays.iter().enumerate() {
            let trained = train_network(
                train.view(),
                ProcessSpec::Reverse(PROCESS),
                &args.recipe,
                weight_decay,
                T_MIN,
                seed ^ (index as u64 + 1).wrapping_mul(0x9e37) ^ ((n_train as u64) << 20),
            )?;
            // The sampling spec holds a `&'static` network (it is `Copy`); an experiment trains a
            // handful of small networks, kept for the rest of the run.
            let leaked: &'static TrainedNetwork = Box::leak(Box::new(trained.network));
            let network = leaked.score(PROCESS)?;
            let mut pooled = vec![0.0f64; relative.len()];
            for (&t, points) in args.fit_times.iter().zip(&fit_draws) {
                let norm = squared_norm(&exact, t, points)?;
                let errors: Vec<f64> = relative
                    .iter()
                    .map(|&h| {
                        let smoothed = kernel(exact, h * spread, rule)?;
                        Ok(squared_distance(&network, &smoothed, t, points)? / norm)
                    })
                    .collect::<Result<_>>()?;
                for (p, e) in pooled.iter_mut().zip(&errors) {
                    *p += e;
                }
                let best = errors
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(j, _)| j);
                fit_table.push(vec![
                    n_train.into(),
                    weight_decay.into(),
                    f64::from(t).into(),
                    f64::from(relative[best]).into(),
                    errors[best].into(),
                    errors[0].into(),
                ]);
            }
            let pooled_best = pooled
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(j, _)| j);
            let h_star = relative[pooled_best] * spread;
            let sample = |score: ScoreSpec| {
                super::euler_maruyama_samples(
                    &train,
                    ProcessSpec::Reverse(PROCESS),
                    score,
                    (args.steps, args.n_samples),
                    seed,
                    threads,
                )
            };
            let network_samples = sample(ScoreSpec::Network(leaked))?;
            let kernel_samples = sample(if h_star == 0.0 {
                ScoreSpec::Exact
            } else {
                ScoreSpec::Kernel {
                    bandwidth: Bandwidth::Constant { bandwidth: h_star },
                    rule,
                }
            })?;
            let of_network = memorization(train.view(), network_samples.view(), args.epsilon);
            let of_kernel = memorization(train.view(), kernel_samples.view(), args.epsilon);
            memorization_table.push(vec![
                n_train.into(),
                weight_decay.into(),
                f64::from(relative[pooled_best]).into(),
                of_network.ratio_fraction.into(),
                of_kernel.ratio_fraction.into(),
                of_network.near_copy_fraction.into(),
                of_kernel.near_copy_fraction.into(),
                trained.final_loss.into(),
            ]);
        }
    }
    Ok(vec![fit_table, memorization_table])
}
