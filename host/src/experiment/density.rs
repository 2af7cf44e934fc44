//! `experiment density`: how well the LED-KDE p̂_{t,h} ∝ exp(K_h * log p_t^N) (Gabriel et al.)
//! estimates a known 2-D density p₀, as a function of the bandwidth h and the training-set size
//! N (Brownian process, p_t^N = 1/N Σ N(x_i, t I); h = 0 is p_t^N itself, a Gaussian KDE of
//! bandwidth √t).
//!
//! - Normalisation over all of R²: Z = ∫ exp(u), u = K_h * log p_t^N evaluated by the kernel rule
//!   (u ≈ Σ_j w_j log p_t^N(x − hξ_j)); on a grid over the training points' bounding box widened
//!   by 6√t + h·max|ξ| with spacing √t/`cells_per_sigma`, plus the mass outside the grid, bounded
//!   by Jensen (exp Σ w_j log f_j ≤ Σ w_j f_j): Z_out ≤ 1/N Σ_i Σ_j w_j P(N(x_i + hξ_j, t I) ∉
//!   box) ≤ the per-axis Gaussian tails. `truncation_bound` = ln(1 + Z_out/Z_grid) bounds the
//!   error of ln Z, hence of the KL and the NLL (both may be too small by at most that much).
//! - KL(p₀ ‖ p̂) = E_{p₀}[ln p₀ − ln p̂] and the held-out NLL −E_{p₀} ln p̂, both Monte Carlo over
//!   fresh draws of p₀ (their intervals come from the replicates: new training set and draws).
//! - Per N: the bandwidth h*(N) of least KL on the sweep; the fitted rate b of h* ∝ N^b (least
//!   squares in log–log); and "smoothing at N is worth k·N": k = N'/N where the unsmoothed
//!   (h = 0) KL, fitted as a·N^{−c} over the sweep, reaches the smoothed optimum's KL at N'.

use super::table::Table;
use crate::data::synthetic::GaussianMixture;
use crate::matrix::Matrix;
use crate::sampling::score_spec::{kernel_rule, KernelRuleName, MAX_DIM};
use anyhow::{bail, Result};
use clap::Args;
use rayon::prelude::*;
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, KernelRule, KernelSmoothedScore, Process,
};

/// Options of `experiment density`.
#[derive(Clone, Debug, Args)]
pub struct DensityArgs {
    /// Laws with a known density (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "gaussian,gmm-ring"
    )]
    pub datasets: Vec<LawName>,
    /// Training-set sizes N (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "32,128,512")]
    pub n_trains: Vec<usize>,
    /// Bandwidths h (comma-separated, absolute units; 0 is p_t^N).
    #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.1,0.2,0.4,0.8")]
    pub bandwidths: Vec<f32>,
    /// The time t of p_t^N (√t is the unsmoothed KDE's bandwidth).
    #[arg(long, default_value_t = 0.01)]
    pub t: f32,
    /// Fresh draws of p₀ for the Monte Carlo KL and NLL.
    #[arg(long, default_value_t = 1024, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub held_out: usize,
    /// Kernel points M (Gauss–Hermite in d = 2).
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// Grid cells per √t (the normaliser's Riemann sum; its error is ~e^{−2π²c²} for smooth
    /// Gaussian bumps).
    #[arg(long, default_value_t = 1.5)]
    pub cells_per_sigma: f64,
    /// Most grid points per axis (a cap on the cost).
    #[arg(long, default_value_t = 400, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub max_grid: usize,
}

/// The laws with a known density of `experiment density` (`--datasets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LawName {
    /// N(0, I₂).
    Gaussian,
    /// 8 × N(·, 0.1² I₂) on a circle of radius 2.
    GmmRing,
}

fn law(name: LawName) -> GaussianMixture {
    match name {
        LawName::Gaussian => GaussianMixture::gaussian(vec![0.0, 0.0], 1.0),
        LawName::GmmRing => GaussianMixture::ring8(),
    }
}

/// The kernel points (w_j, ξ_j) of `rule` in d = 2 (one point ξ = 0 when h = 0).
fn kernel_points(rule: &KernelRule, bandwidth: f32) -> Result<Vec<(f64, [f64; 2])>> {
    if bandwidth == 0.0 {
        return Ok(vec![(1.0, [0.0, 0.0])]);
    }
    let mut points = Vec::new();
    let mut buffer = [0.0f32; 2];
    rule.for_each(&mut buffer, |w, xi| {
        points.push((f64::from(w), [f64::from(xi[0]), f64::from(xi[1])]));
        Ok(())
    })?;
    Ok(points)
}

/// One (data set, N, h) cell: (KL, NLL, truncation bound, grid points per axis).
struct Measured {
    kl: f64,
    nll: f64,
    truncation: f64,
    grid: usize,
}

fn measure(
    truth: &GaussianMixture,
    train: &Matrix,
    held_out: &Matrix,
    bandwidth: f32,
    rule: KernelRule,
    args: &DensityArgs,
) -> Result<Measured> {
    let t = args.t;
    let dataset = Dataset::new(train.values(), 2)?;
    let exact = EmpiricalScore::new(dataset, Process::Brownian { horizon: 1.0 })?;
    let smoothed =
        KernelSmoothedScore::<MAX_DIM>::new(exact, Bandwidth::Constant { bandwidth }, rule)?;
    let nodes = kernel_points(&rule, bandwidth)?;
    let reach = nodes
        .iter()
        .flat_map(|(_, xi)| xi.iter().map(|v| v.abs()))
        .fold(0.0, f64::max);
    let sigma = f64::from(t).sqrt();
    let margin = 6.0 * sigma + f64::from(bandwidth) * reach;
    let axis_bounds = |k: usize| {
        let column = train.iter_rows().map(|r| f64::from(r[k]));
        (
            column.clone().fold(f64::INFINITY, f64::min) - margin,
            column.fold(f64::NEG_INFINITY, f64::max) + margin,
        )
    };
    let bounds = [axis_bounds(0), axis_bounds(1)];
    let spacing_wanted = sigma / args.cells_per_sigma;
    let grid = bounds
        .iter()
        .map(|(lo, hi)| ((hi - lo) / spacing_wanted).ceil() as usize + 1)
        .max()
        .unwrap_or(2)
        .clamp(2, args.max_grid);
    let axes: Vec<Vec<f64>> = bounds
        .iter()
        .map(|(lo, hi)| {
            (0..grid)
                .map(|i| lo + (hi - lo) * i as f64 / (grid - 1) as f64)
                .collect()
        })
        .collect();
    let cell = (axes[0][1] - axes[0][0]) * (axes[1][1] - axes[1][0]);
    let queries: Vec<[f32; 2]> = axes[0]
        .iter()
        .flat_map(|&x| axes[1].iter().map(move |&y| [x as f32, y as f32]))
        .collect();
    let log_density = |q: &[f32]| smoothed.led_kde_log_density(t, q).map(f64::from);
    let grid_logs: Vec<f64> = queries
        .par_iter()
        .map(|q| log_density(q))
        .collect::<Result<_, _>>()?;
    let top = grid_logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z_grid = grid_logs.iter().map(|l| (l - top).exp()).sum::<f64>() * cell;
    // Jensen's bound on the mass outside the box, in units of e^top.
    let tail = |mean: f64, (lo, hi): (f64, f64)| {
        crate::experiment::interpolation::flow_law::normal_cdf((lo - mean) / sigma)
            + crate::experiment::interpolation::flow_law::normal_cdf((mean - hi) / sigma)
    };
    let outside: f64 = train
        .iter_rows()
        .map(|x| {
            nodes
                .iter()
                .map(|(w, xi)| {
                    let mean = |k: usize| f64::from(x[k]) + f64::from(bandwidth) * xi[k];
                    w * (tail(mean(0), bounds[0]) + tail(mean(1), bounds[1]))
                })
                .sum::<f64>()
        })
        .sum::<f64>()
        / train.rows() as f64;
    let log_z = top + z_grid.ln();
    let truncation = (1.0 + outside / (top.exp() * z_grid)).ln();
    let rows: Vec<usize> = (0..held_out.rows()).collect();
    let pairs: Vec<(f64, f64)> = rows
        .par_iter()
        .map(|&i| {
            let x = held_out.row(i);
            log_density(x).map(|u| (truth.log_density(1.0, 0.0, x), u - log_z))
        })
        .collect::<Result<_, _>>()?;
    let count = pairs.len() as f64;
    Ok(Measured {
        kl: pairs.iter().map(|(p0, q)| p0 - q).sum::<f64>() / count,
        nll: -pairs.iter().map(|(_, q)| q).sum::<f64>() / count,
        truncation,
        grid,
    })
}

/// The least-squares slope of ln y against ln x over the pairs with x, y > 0 (NaN with fewer
/// than two).
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if logs.len() < 2 {
        return f64::NAN;
    }
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    sxy / sxx
}

/// Runs the sweep; returns the KL table, the per-N optimum and the fitted rates.
pub fn run(args: &DensityArgs, seed: u64) -> Result<Vec<Table>> {
    if args
        .bandwidths
        .iter()
        .any(|h| !(h.is_finite() && *h >= 0.0))
    {
        bail!("--bandwidths must be numbers ≥ 0");
    }
    if args.n_trains.iter().any(|&n| n < 2) || args.held_out < 2 {
        bail!("--n-trains values and --held-out must be at least 2");
    }
    if !(args.t.is_finite() && args.t > 0.0 && args.t <= 1.0) {
        bail!("--t must be in (0, 1]");
    }
    if !(args.cells_per_sigma.is_finite() && args.cells_per_sigma > 0.0) || args.max_grid < 2 {
        bail!("--cells-per-sigma must be > 0 and --max-grid ≥ 2");
    }
    let rule = kernel_rule(KernelRuleName::Auto, args.kernel_points, seed, 2)?;
    let mut kl_table = Table::new(
        "density_kl",
        &["dataset", "n_train", "bandwidth", "t"],
        &[
            "kl",
            "held_out_nll",
            "truncation_bound",
            "grid_points_per_axis",
        ],
    );
    let mut optimum = Table::new(
        "density_optimum",
        &["dataset", "n_train"],
        &[
            "optimal_bandwidth",
            "kl_at_optimum",
            "kl_unsmoothed",
            "kl_gain",
            "smoothing_worth_k",
        ],
    );
    let mut rates = Table::new(
        "density_rate",
        &["dataset"],
        &["optimal_bandwidth_rate", "unsmoothed_kl_rate"],
    );
    for (d, name) in args.datasets.iter().enumerate() {
        let truth = law(*name);
        let name = crate::usage::choice_name(*name);
        let held_out = truth.sample(args.held_out, seed ^ 0x5eed ^ d as u64)?;
        // (N, h*, KL(h*), KL(0)) per N.
        let mut per_n: Vec<(f64, f64, f64, f64)> = Vec::new();
        for &n in &args.n_trains {
            let train = truth.sample(n, seed.wrapping_add(n as u64) ^ (d as u64) << 32)?;
            let mut best = (f64::NAN, f64::INFINITY);
            let mut unsmoothed = f64::NAN;
            for &h in &args.bandwidths {
                let m = measure(&truth, &train, &held_out, h, rule, args)?;
                kl_table.push(vec![
                    name.as_str().into(),
                    n.into(),
                    f64::from(h).into(),
                    f64::from(args.t).into(),
                    m.kl.into(),
                    m.nll.into(),
                    m.truncation.into(),
                    m.grid.into(),
                ]);
                if m.kl < best.1 {
                    best = (f64::from(h), m.kl);
                }
                if h == 0.0 {
                    unsmoothed = m.kl;
                }
            }
            per_n.push((n as f64, best.0, best.1, unsmoothed));
        }
        let exact_points: Vec<(f64, f64)> = per_n.iter().map(|p| (p.0, p.3)).collect();
        let exponent = log_log_slope(&exact_points);
        // KL₀(N) ≈ a·N^exponent through the points' centroid in log–log.
        let logs: Vec<(f64, f64)> = exact_points
            .iter()
            .filter(|(_, y)| *y > 0.0)
            .map(|(x, y)| (x.ln(), y.ln()))
            .collect();
        let centroid = (
            logs.iter().map(|p| p.0).sum::<f64>() / logs.len().max(1) as f64,
            logs.iter().map(|p| p.1).sum::<f64>() / logs.len().max(1) as f64,
        );
        for &(n, h_star, kl_star, kl_zero) in &per_n {
            // ln N' = centroid_x + (ln KL* − centroid_y)/exponent.
            let worth = if exponent < 0.0 && kl_star > 0.0 {
                (centroid.0 + (kl_star.ln() - centroid.1) / exponent).exp() / n
            } else {
                f64::NAN
            };
            optimum.push(vec![
                name.as_str().into(),
                (n as usize).into(),
                h_star.into(),
                kl_star.into(),
                kl_zero.into(),
                (kl_zero - kl_star).into(),
                worth.into(),
            ]);
        }
        let h_points: Vec<(f64, f64)> = per_n.iter().map(|p| (p.0, p.1)).collect();
        rates.push(vec![
            name.as_str().into(),
            log_log_slope(&h_points).into(),
            exponent.into(),
        ]);
    }
    Ok(vec![kl_table, optimum, rates])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One training point at 0 gives p_t^N = N(0, t I), a one-point Gaussian KDE, and
    /// KL(N(0, I₂) ‖ N(0, t I₂)) = ln t + 1/t − 1 in closed form.
    #[test]
    fn kl_of_a_one_point_kde_matches_the_closed_form() {
        let truth = GaussianMixture::gaussian(vec![0.0, 0.0], 1.0);
        let train = Matrix::new(1, 2, vec![0.0, 0.0]).unwrap();
        let held_out = truth.sample(20_000, 3).unwrap();
        let args = DensityArgs {
            datasets: vec![],
            n_trains: vec![],
            bandwidths: vec![],
            t: 0.5,
            held_out: 20_000,
            kernel_points: 16,
            cells_per_sigma: 2.0,
            max_grid: 400,
        };
        let rule = KernelRule::GaussHermite { order: 4 };
        // KL(N(0, I) ‖ N(0, s² I)) in d = 2: ln s² + 1/s² − 1.
        let s2 = 0.5f64;
        let want = s2.ln() + 1.0 / s2 - 1.0;
        let exact = measure(&truth, &train, &held_out, 0.0, rule, &args).unwrap();
        // One point: K_h * log p_t is log p_t − h²/t (d = 2): the same normalised law.
        let smoothed = measure(&truth, &train, &held_out, 0.3, rule, &args).unwrap();
        // Monte Carlo sd of ln p₀ − ln p̂ = ½|1 − 1/s²|·sd(‖x‖²) = ½·1·2 = 1 over 20000 draws.
        let tolerance = 4.0 / (20_000f64).sqrt();
        println!(
            "KL {:.4} / {:.4} (closed form {want:.4}), truncation {:.2e}",
            exact.kl, smoothed.kl, exact.truncation
        );
        assert!((exact.kl - want).abs() < tolerance);
        assert!((smoothed.kl - want).abs() < tolerance);
        assert!(exact.truncation < 1e-6);
        assert!((log_log_slope(&[(1.0, 2.0), (10.0, 0.2), (100.0, 0.02)]) + 1.0).abs() < 1e-12);
    }
}
