//! A metric against a parameter, one line per series.

use super::{drawing, fonts, PALETTE};
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::path::Path;

/// One named line of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend label.
    pub name: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Error bars (x, low, high), drawn as vertical segments; empty for none.
    pub intervals: Vec<(f64, f64, f64)>,
}

fn range(values: impl Iterator<Item = f64>, log: bool) -> Result<(f64, f64)> {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        bail!("no finite values to plot");
    }
    Ok(if log {
        (low / 1.5, high * 1.5)
    } else if high > low {
        (low - 0.05 * (high - low), high + 0.05 * (high - low))
    } else {
        (low - 0.5, high + 0.5)
    })
}

fn builder<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70);
    b
}

/// Draws the series in a 900×600 PNG; `log_x`, `log_y` choose logarithmic axes (points with
/// non-positive coordinates are then left out).
pub fn curves(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_x: bool,
    log_y: bool,
) -> Result<()> {
    fonts();
    let x_range = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        log_x,
    )?;
    let y_range = range(
        series.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.1)
                .chain(s.intervals.iter().flat_map(|b| [b.1, b.2]))
        }),
        log_y,
    )?;
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let keep = |(x, y): &(f64, f64)| {
        (!log_x || *x > 0.0) && (!log_y || *y > 0.0) && x.is_finite() && y.is_finite()
    };
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .y_desc(y_label)
                .label_style(("sans-serif", 14))
                .draw()
                .map_err(drawing)?;
            for (k, s) in series.iter().enumerate() {
                let colour = PALETTE[k % PALETTE.len()];
                let points: Vec<(f64, f64)> = s.points.iter().copied().filter(keep).collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                    .map_err(drawing)?
                    .label(s.name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(drawing)?;
                let bars = s
                    .intervals
                    .iter()
                    .filter(|&&(x, low, high)| keep(&(x, low)) && keep(&(x, high)))
                    .map(|&(x, low, high)| PathElement::new(vec![(x, low), (x, high)], colour));
                chart.draw_series(bars).map_err(drawing)?;
            }
            chart
                .configure_series_labels()
                .label_font(("sans-serif", 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(drawing)?;
        }};
    }
    let builder = |root| builder(root, title);
    match (log_x, log_y) {
        (false, false) => draw!(builder(&root)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
            .map_err(drawing)?),
        (true, false) => draw!(builder(&root)
            .build_cartesian_2d((x_range.0..x_range.1).log_scale(), y_range.0..y_range.1)
            .map_err(drawing)?),
        (false, true) => draw!(builder(&root)
            .build_cartesian_2d(x_range.0..x_range.1, (y_range.0..y_range.1).log_scale())
            .map_err(drawing)?),
        (true, true) => draw!(builder(&root)
            .build_cartesian_2d(
                (x_range.0..x_range.1).log_scale(),
                (y_range.0..y_range.1).log_scale()
            )
            .map_err(drawing)?),
    }
    root.present().map_err(drawing)?;
    Ok(())
}
