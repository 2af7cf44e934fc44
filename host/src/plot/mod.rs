//! Plots with `plotters`: PNG (bitmap backend, embedded DejaVu Sans: no system fonts needed) and,
//! for the sample scatter, SVG (plotters' SVG backend; text as SVG `<text>`).
//! Rendering is deterministic, so a plot reproduces bit for bit like any other output; plots
//! are written atomically through [`crate::io::output::write_atomic_with`].
//!
//! - [`scatter`]: samples over training points (first two coordinates).
//! - [`trajectories`]: a few samples' paths through time.
//! - [`image_grid`]: image samples (e.g. MNIST) beside their nearest training images.
//! - [`curves`]: a metric against a parameter.
//! - [`funnel_slice`]: the funnel's (x₀, x₁) slice of several runs over the true density.

mod curves;
mod funnel_slice;
mod grid;
mod scatter;
mod trajectories;

pub use curves::{curves, Series};
pub use funnel_slice::{funnel_slice, SlicePanel};
pub use grid::image_grid;
pub use scatter::{scatter, scatter_svg};
pub use trajectories::trajectories;

use anyhow::{anyhow, Result};
use plotters::style::{register_font, FontStyle, RGBColor};
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the embedded font as "sans-serif" (once per process).
fn fonts() {
    REGISTER.call_once(|| {
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Refuses a plot path that does not end in `.png` (before any work is done).
pub fn require_png(path: &Path) -> Result<()> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        Ok(())
    } else {
        Err(anyhow!("{}: plots are written as .png", path.display()))
    }
}

/// A plotters error as an anyhow error.
fn drawing<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow!("drawing the plot: {error:?}")
}

/// The palette of series (colour-blind-friendly Okabe–Ito).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// A chart on the plane of the first two coordinates, with axes x₁, x₂ drawn.
type Plane<'a, DB> = plotters::chart::ChartContext<
    'a,
    DB,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// The 2-D chart of [`scatter`] and [`trajectories`] over `bounds` (from [`bounds`]), on any
/// plotters backend (PNG bitmap or SVG): major grid lines light grey, minor ones fainter.
fn plane<'a, DB: plotters::backend::DrawingBackend>(
    root: &'a plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    (x_range, y_range): ((f64, f64), (f64, f64)),
) -> Result<Plane<'a, DB>> {
    use plotters::prelude::*;
    root.fill(&WHITE).map_err(drawing)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("x₁")
        .y_desc("x₂")
        .label_style(("sans-serif", 14))
        .bold_line_style(RGBColor(215, 215, 215))
        .light_line_style(RGBColor(243, 243, 243))
        .max_light_lines(2)
        .draw()
        .map_err(drawing)?;
    Ok(chart)
}

/// `bounds` with its upper y limit raised by `share` of the height: a free band for the legend,
/// so that it covers no point.
fn with_legend_band(
    (x_range, y_range): ((f64, f64), (f64, f64)),
    share: f64,
) -> ((f64, f64), (f64, f64)) {
    let height = y_range.1 - y_range.0;
    (x_range, (y_range.0, y_range.1 + share * height))
}

/// The bounding box of 2-D points with a 5 % margin (at least ±0.5 around a single point).
fn bounds<'a>(points: impl Iterator<Item = &'a [f32]>) -> Result<((f64, f64), (f64, f64))> {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        let (a, b) = (f64::from(p[0]), f64::from(*p.get(1).unwrap_or(&0.0)));
        x = (x.0.min(a), x.1.max(a));
        y = (y.0.min(b), y.1.max(b));
    }
    if !(x.0.is_finite() && y.0.is_finite()) {
        return Err(anyhow!("nothing to plot"));
    }
    let pad = |(low, high): (f64, f64)| {
        let margin = ((high - low) * 0.05).max(if high > low { 0.0 } else { 0.5 });
        (low - margin, high + margin)
    };
    Ok((pad(x), pad(y)))
}
