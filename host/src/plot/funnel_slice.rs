//! Neal's funnel, the (x₀, x₁) slice: samples of several runs, one panel each, over the true
//! density p(x₀, x₁) = N(x₀; 0, 3²) · N(x₁; 0, e^{x₀}) (Vargas et al.'s funnel figure).
//!
//! The density is drawn as a grey shade of the logarithm of its mean over each cell, over the top
//! 12 nats of the window (darker is likelier), so the narrow neck at x₀ < 0 (narrower than a
//! cell: its mean, not its value at the cell's centre, is what shows) and the wide mouth at
//! x₀ > 0 both show.
//! The window is fixed, x₀ ∈ [−9, 9] (±3 prior standard deviations) and x₁ ∈ [−15, 15], so
//! panels compare at a glance; each panel's caption says how many samples fall outside it.

use super::{drawing, fonts, PALETTE};
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::path::Path;

/// The window: x₀ (horizontal) and x₁ (vertical).
const X0: (f64, f64) = (-9.0, 9.0);
const X1: (f64, f64) = (-15.0, 15.0);

/// Side of one panel in pixels.
const PANEL: (u32, u32) = (420, 400);

/// Cells of the density shade per axis.
const CELLS: usize = 90;

/// Nats of log-density shaded below the window's maximum.
const SHADED_NATS: f64 = 12.0;

/// One run's samples in the picture: its label and its samples.
pub struct SlicePanel {
    /// The panel's caption (e.g. "vp, net 64").
    pub label: String,
    /// The samples (only x₀ and x₁ are drawn).
    pub samples: Matrix,
}

/// Draws `panels` (in two rows when there are several: the first half, then the second) under
/// `title`, PNG.
pub fn funnel_slice(path: &Path, panels: &[SlicePanel], title: &str) -> Result<()> {
    if panels.is_empty() {
        bail!("no funnel run to draw");
    }
    if panels.iter().any(|p| p.samples.cols() < 2) {
        bail!("the funnel slice needs samples with at least two coordinates");
    }
    fonts();
    let rows = if panels.len() > 1 { 2 } else { 1 };
    let columns = panels.len().div_ceil(rows);
    // At least two panels wide, so the title fits above a single column.
    let size = (
        (PANEL.0 * columns as u32).max(2 * PANEL.0),
        PANEL.1 * rows as u32 + 40,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let body = root.titled(title, ("sans-serif", 24)).map_err(drawing)?;
    let shade = shade_cells();
    for (area, panel) in body.split_evenly((rows, columns)).iter().zip(panels) {
        let outside = panel
            .samples
            .iter_rows()
            .filter(|r| !inside(f64::from(r[0]), f64::from(r[1])))
            .count();
        let caption = if outside > 0 {
            format!(
                "{} ({outside} of {} outside)",
                panel.label,
                panel.samples.rows()
            )
        } else {
            panel.label.clone()
        };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(36)
            .build_cartesian_2d(X0.0..X0.1, X1.0..X1.1)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₀")
            .y_desc("x₁")
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(shade.iter().map(|&(corner, far, grey)| {
                Rectangle::new([corner, far], RGBColor(grey, grey, grey).filled())
            }))
            .map_err(drawing)?;
        chart
            .draw_series(
                panel
                    .samples
                    .iter_rows()
                    .map(|r| (f64::from(r[0]), f64::from(r[1])))
                    .filter(|&(x0, x1)| inside(x0, x1))
                    .map(|point| Circle::new(point, 2, PALETTE[1].mix(0.8).filled())),
            )
            .map_err(drawing)?;
    }
    root.present().map_err(drawing)?;
    Ok(())
}

/// ln of the density's mean over x₁ ∈ [a, b] at x₀: ln N(x₀; 0, 9) + ln((Φ(b/s) − Φ(a/s))/(b − a)),
/// s = e^{x₀/2}, with Φ's difference from the complementary error function on the side away
/// from the mode (no cancellation; relative error ≈ 1e-15 until it underflows, then −∞).
fn log_cell_mean(x0: f64, (a, b): (f64, f64)) -> f64 {
    let s = (0.5 * x0).exp() * std::f64::consts::SQRT_2;
    let mass = if a >= 0.0 {
        0.5 * (libm::erfc(a / s) - libm::erfc(b / s))
    } else if b <= 0.0 {
        0.5 * (libm::erfc(-b / s) - libm::erfc(-a / s))
    } else {
        0.5 * (libm::erf(b / s) - libm::erf(a / s))
    };
    let ln_tau = (2.0 * std::f64::consts::PI).ln();
    -x0 * x0 / 18.0 - 0.5 * (ln_tau + 9f64.ln()) + (mass / (b - a)).ln()
}

/// Whether (x₀, x₁) is in the window.
fn inside(x0: f64, x1: f64) -> bool {
    (X0.0..=X0.1).contains(&x0) && (X1.0..=X1.1).contains(&x1)
}

/// A cell of the density shade: two opposite corners and its grey level.
type ShadeCell = ((f64, f64), (f64, f64), u8);

/// The shade's cells: grey level 255 (white) at or below the maximum − [`SHADED_NATS`].
fn shade_cells() -> Vec<ShadeCell> {
    let step = ((X0.1 - X0.0) / CELLS as f64, (X1.1 - X1.0) / CELLS as f64);
    let centre = |i: usize, j: usize| {
        (
            X0.0 + (i as f64 + 0.5) * step.0,
            X1.0 + (j as f64 + 0.5) * step.1,
        )
    };
    let logs: Vec<f64> = (0..CELLS * CELLS)
        .map(|k| {
            let (x0, x1) = centre(k / CELLS, k % CELLS);
            log_cell_mean(x0, (x1 - 0.5 * step.1, x1 + 0.5 * step.1))
        })
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    logs.iter()
        .enumerate()
        .map(|(k, &log)| {
            let (i, j) = (k / CELLS, k % CELLS);
            let level = ((log - top + SHADED_NATS) / SHADED_NATS).clamp(0.0, 1.0);
            let corner = (X0.0 + i as f64 * step.0, X1.0 + j as f64 * step.1);
            let far = (corner.0 + step.0, corner.1 + step.1);
            (corner, far, (255.0 - 150.0 * level).round() as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln p(x₀, x₁) of the funnel's first two coordinates.
    fn log_density(x0: f64, x1: f64) -> f64 {
        let ln_tau = (2.0 * std::f64::consts::PI).ln();
        -x0 * x0 / 18.0
            - 0.5 * (ln_tau + 9f64.ln())
            - x1 * x1 / (2.0 * x0.exp())
            - 0.5 * (ln_tau + x0)
    }

    #[test]
    fn cell_mean_is_the_mean_of_the_density() {
        for (x0, a, b) in [(-7.0, -0.1, 0.2), (0.0, 0.3, 0.6), (3.0, -2.0, -1.0)] {
            let n = 20_000;
            let h = (b - a) / n as f64;
            let mean = (0..n)
                .map(|j| log_density(x0, a + (j as f64 + 0.5) * h).exp())
                .sum::<f64>()
                / n as f64;
            let closed = log_cell_mean(x0, (a, b)).exp();
            assert!(
                (closed / mean - 1.0).abs() < 1e-6,
                "{x0} {a} {b}: {closed} {mean}"
            );
        }
    }

    #[test]
    fn log_density_integrates_to_one() {
        // ∫∫ p dx₁ dx₀ by the midpoint rule over a window holding all but a negligible mass.
        let (n0, n1) = (600, 4000);
        let (a0, b0) = (-30.0, 12.0);
        let mut total = 0.0;
        for i in 0..n0 {
            let x0 = a0 + (i as f64 + 0.5) * (b0 - a0) / n0 as f64;
            let half = 12.0 * (0.5 * x0).exp();
            let h1 = 2.0 * half / n1 as f64;
            for j in 0..n1 {
                let x1 = -half + (j as f64 + 0.5) * h1;
                total += log_density(x0, x1).exp() * h1;
            }
        }
        total *= (b0 - a0) / n0 as f64;
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }
}
