//! The LED-KDE p̂_t(x) = exp((K_h * log p_t^N)(x)) / Z on a grid, for d ≤ 2 (docs/math.md §5): the
//! density the kernel-smoothed sampler follows, next to p_t^N itself (h = 0), normalised over
//! R^d (not over the grid) and computed in log space.
//!
//! Normalisation. With h = 0, p_t^N = 1/N Σ_i N(α_t x_i, σ_t² I) is normalised in closed form
//! (Z = 1), and the mass outside the grid's box is computed exactly (Gaussian tails, erfc). With
//! h > 0 the core's estimate L(x) = Σ_j w_j log p_t^N(x − hξ_j) (weights w_j > 0, Σ w_j = 1)
//! satisfies, by Jensen, exp L(x) ≤ q(x) = Σ_j w_j p_t^N(x − hξ_j), a Gaussian mixture of mass
//! 1: so Z = ∫ exp L ≤ 1 and the mass of exp L outside the box is at most B = q's mass outside
//! the box (exact, erfc). Z is then taken as Z_box + B/2, with Z_box the trapezoid rule on the
//! grid: the truncation error of ln Z is at most ln(1 + B/(2 Z_box)), reported with the grid's
//! captured mass.

use crate::matrix::Matrix;
use crate::parallel::{map_rows, Work};
use crate::sampling::score_spec::MAX_DIM;
use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, KernelRule, KernelSmoothedScore, Process,
};

/// A density on a regular grid: `values[i·ny + j]` at (x_i, y_j) (ny = 1 in d = 1).
#[derive(Clone, Debug, PartialEq)]
pub struct GridDensity {
    /// Grid coordinates along the first axis.
    pub xs: Vec<f64>,
    /// Grid coordinates along the second axis (empty in d = 1).
    pub ys: Vec<f64>,
    /// The log density ln p̂(x) = L(x) − ln Z, normalised over R^d (computed in log space: no
    /// −∞ from underflow).
    pub log_values: Vec<f64>,
    /// The density exp(ln p̂) (underflows to 0 far from the data).
    pub values: Vec<f64>,
    /// ln Z (0 for h = 0).
    pub log_normaliser: f64,
    /// Bound on |ln Z − ln Z_true| from the truncation to the grid (0 for h = 0).
    pub log_normaliser_bound: f64,
    /// ∫ p̂ over the grid's box by the trapezoid rule.
    pub grid_mass: f64,
    /// The mass of p̂ outside the box: exact for h = 0, an upper bound for h > 0.
    pub outside_mass: f64,
}

/// A regular grid over the data's bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridSpec {
    /// Points per axis (≥ 2).
    pub points: usize,
    /// Margin added on every side of the bounding box.
    pub margin: f64,
}

/// Evaluates L = K_h * log p_t^N on a `points`-per-axis grid over the data's bounding box widened
/// by `margin` and normalises it over R^d (module docs: exact for h = 0, bounded truncation for
/// h > 0).
pub fn led_kde_on_grid(
    data: &Matrix,
    process: Process,
    t: f32,
    bandwidth: Bandwidth,
    rule: KernelRule,
    grid: GridSpec,
    threads: usize,
) -> Result<GridDensity> {
    let GridSpec { points, margin } = grid;
    let dim = data.cols();
    if !(1..=2).contains(&dim) {
        bail!("the LED-KDE grid is for d ≤ 2 (the data has d = {dim})");
    }
    if points < 2 {
        bail!("the grid needs at least 2 points per axis");
    }
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let exact = EmpiricalScore::new(dataset, process)?;
    let smoothed = KernelSmoothedScore::<MAX_DIM>::new(exact, bandwidth, rule)
        .map_err(|e| anyhow!("kernel-smoothed score: {e}"))?;
    let axis = |k: usize| -> Vec<f64> {
        let column = data.iter_rows().map(|row| f64::from(row[k]));
        let low = column.clone().fold(f64::INFINITY, f64::min) - margin;
        let high = column.fold(f64::NEG_INFINITY, f64::max) + margin;
        (0..points)
            .map(|i| low + (high - low) * i as f64 / (points - 1) as f64)
            .collect()
    };
    let xs = axis(0);
    let ys = if dim == 2 { axis(1) } else { Vec::new() };
    let queries: Vec<Vec<f32>> = if dim == 2 {
        xs.iter()
            .flat_map(|&x| ys.iter().map(move |&y| vec![x as f32, y as f32]))
            .collect()
    } else {
        xs.iter().map(|&x| vec![x as f32]).collect()
    };
    let work = Work::new(threads, "grid points", queries.len());
    let logs = map_rows(work, queries.par_iter(), |q| {
        smoothed.led_kde_log_density(t, q).map(f64::from)
    })?;
    let logs: Vec<f64> = logs
        .into_iter()
        .collect::<Result<_, _>>()
        .context("LED-KDE")?;
    let ny = ys.len().max(1);
    let trapezoid = |index: usize| -> f64 {
        let end = |i: usize, n: usize| if i == 0 || i + 1 == n { 0.5 } else { 1.0 };
        let (i, j) = (index / ny, index % ny);
        let weight = end(i, points) * if dim == 2 { end(j, points) } else { 1.0 };
        weight * (xs[1] - xs[0]) * if dim == 2 { ys[1] - ys[0] } else { 1.0 }
    };
    let (box_low, box_high): (Vec<f64>, Vec<f64>) = if dim == 2 {
        (vec![xs[0], ys[0]], vec![xs[points - 1], ys[points - 1]])
    } else {
        (vec![xs[0]], vec![xs[points - 1]])
    };
    let (alpha, sigma_squared) = process.coefficients(t)?;
    let h = bandwidth.for_noise_variance(sigma_squared);
    let mut shifts = Vec::new();
    if h == 0.0 {
        shifts.push((1.0f64, vec![0.0f64; dim]));
    } else {
        let mut point = vec![0.0f32; dim];
        rule.for_each(&mut point, |weight, xi| {
            shifts.push((
                f64::from(weight),
                xi.iter().map(|&v| -f64::from(h) * f64::from(v)).collect(),
            ));
            Ok(())
        })?;
    }
    let outside = mixture_mass_outside(
        data,
        f64::from(alpha),
        f64::from(sigma_squared).sqrt(),
        &shifts,
        &box_low,
        &box_high,
    );
    let (log_normaliser, log_normaliser_bound) = if h == 0.0 {
        (0.0, 0.0)
    } else {
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let scaled: f64 = logs
            .iter()
            .enumerate()
            .map(|(index, l)| trapezoid(index) * (l - top).exp())
            .sum();
        let inside = top + scaled.ln();
        // Z = Z_box + B/2 with B ≤ 1: ln Z = ln Z_box + ln(1 + B/(2 Z_box)).
        let ratio = (outside.ln() - inside).exp();
        (inside + (0.5 * ratio).ln_1p(), (0.5 * ratio).ln_1p())
    };
    let log_values: Vec<f64> = logs.iter().map(|l| l - log_normaliser).collect();
    let values: Vec<f64> = log_values.iter().map(|l| l.exp()).collect();
    let grid_mass = values
        .iter()
        .enumerate()
        .map(|(index, v)| trapezoid(index) * v)
        .sum();
    let outside_mass = if h == 0.0 {
        outside
    } else {
        (outside.ln() - log_normaliser).exp()
    };
    Ok(GridDensity {
        xs,
        ys,
        log_values,
        values,
        log_normaliser,
        log_normaliser_bound,
        grid_mass,
        outside_mass,
    })
}

/// The mass outside the box [low, high] of the Gaussian mixture
/// 1/N Σ_i Σ_j w_j N(α x_i + c_j, s² I) (`shifts`: the (w_j, c_j)): per component
/// 1 − Π_k (1 − ½erfc((μ_k − low_k)/(s√2)) − ½erfc((high_k − μ_k)/(s√2))), through ln_1p and
/// expm1 so that tiny tails keep their relative precision.
fn mixture_mass_outside(
    data: &Matrix,
    alpha: f64,
    spread: f64,
    shifts: &[(f64, Vec<f64>)],
    low: &[f64],
    high: &[f64],
) -> f64 {
    let scale = spread * std::f64::consts::SQRT_2;
    let mut total = 0.0;
    for row in data.iter_rows() {
        for (weight, shift) in shifts {
            let log_inside: f64 = (0..low.len())
                .map(|k| {
                    let mean = alpha * f64::from(row[k]) + shift[k];
                    let tails = 0.5
                        * (libm::erfc((mean - low[k]) / scale)
                            + libm::erfc((high[k] - mean) / scale));
                    (-tails.min(1.0)).ln_1p()
                })
                .sum();
            total += weight * -log_inside.exp_m1();
        }
    }
    total / data.rows() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_gives_the_gaussian_and_smoothing_keeps_it_normalised() {
        let data = Matrix::new(1, 1, vec![0.0]).unwrap();
        let process = Process::Brownian { horizon: 1.0 };
        let rule = KernelRule::GaussHermite { order: 8 };
        let exact = led_kde_on_grid(
            &data,
            process,
            0.25,
            Bandwidth::Constant { bandwidth: 0.0 },
            rule,
            GridSpec {
                points: 401,
                margin: 4.0,
            },
            1,
        )
        .unwrap();
        let centre = exact.values[200];
        let want = 1.0 / (2.0 * std::f64::consts::PI * 0.25).sqrt();
        assert!((centre - want).abs() < 1e-3 * want, "{centre} vs {want}");
        // One point: log p is quadratic, K_h * log p = log p − h²/(2t)·d: the same shape.
        let smoothed = led_kde_on_grid(
            &data,
            process,
            0.25,
            Bandwidth::Constant { bandwidth: 0.3 },
            rule,
            GridSpec {
                points: 401,
                margin: 4.0,
            },
            1,
        )
        .unwrap();
        for (a, b) in exact.values.iter().zip(&smoothed.values) {
            assert!((a - b).abs() < 1e-4);
        }
        let two = Matrix::new(2, 1, vec![-1.0, 1.0]).unwrap();
        let sharp = led_kde_on_grid(
            &two,
            process,
            0.05,
            Bandwidth::Constant { bandwidth: 0.0 },
            rule,
            GridSpec {
                points: 401,
                margin: 1.0,
            },
            1,
        )
        .unwrap();
        let smooth = led_kde_on_grid(
            &two,
            process,
            0.05,
            Bandwidth::Constant { bandwidth: 0.5 },
            rule,
            GridSpec {
                points: 401,
                margin: 1.0,
            },
            1,
        )
        .unwrap();
        assert!(
            smooth.values[200] > 100.0 * sharp.values[200],
            "smoothing fills the gap between the points"
        );
    }
}
