//! The LED-KDE p̂_t(x) ∝ exp((K_h * log p_t^N)(x)) normalised on a grid, for d ≤ 2 (docs/math.md §5):
//! the density the kernel-smoothed sampler follows, next to p_t^N itself (h = 0).

use crate::matrix::Matrix;
use crate::sampling::sample::with_threads;
use crate::sampling::score_spec::MAX_DIM;
use anyhow::{anyhow, bail, Result};
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
    /// The normalised density, Σ values · cell area = 1.
    pub values: Vec<f64>,
}

/// A regular grid over the data's bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridSpec {
    /// Points per axis (≥ 2).
    pub points: usize,
    /// Margin added on every side of the bounding box.
    pub margin: f64,
}

/// Evaluates log p̂_t on a `points`-per-axis grid over the data's bounding box widened by
/// `margin`, then normalises exp(log p̂ − max) by its Riemann sum.
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
    let progress = crate::progress::bar(queries.len() as u64, "grid points");
    let logs: Vec<Result<f32, smoothscore_core::Error>> = with_threads(threads, || {
        queries
            .par_iter()
            .map(|q| smoothed.led_kde_log_density(t, q))
            .inspect(|_| progress.inc(1))
            .collect()
    })?;
    progress.finish_and_clear();
    let logs: Vec<f64> = logs
        .into_iter()
        .map(|r| r.map(f64::from).map_err(|e| anyhow!("LED-KDE: {e}")))
        .collect::<Result<_>>()?;
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cell = (xs[1] - xs[0]) * if dim == 2 { ys[1] - ys[0] } else { 1.0 };
    let mut values: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = values.iter().sum::<f64>() * cell;
    values.iter_mut().for_each(|v| *v /= total);
    Ok(GridDensity { xs, ys, values })
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
