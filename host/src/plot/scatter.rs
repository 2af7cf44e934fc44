//! Samples over training points, as PNG or SVG.
//!
//! Samples that land on the same spot (the exact score puts several on each training point) are
//! drawn as one dot whose area grows with their number, so that 256 samples on 64 points do not
//! look like 64; the legend says the largest count. Dots are drawn over the rings, translucent. The legend sits in a band above the data.

use super::{bounds, drawing, fonts, plane, with_legend_band, PALETTE};
use crate::matrix::Matrix;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Side of the square picture in pixels.
const SIZE: u32 = 800;

/// Draws the first two coordinates of `samples` (filled dots) over `train` (rings), PNG.
pub fn scatter(path: &Path, train: &Matrix, samples: &Matrix, title: &str) -> Result<()> {
    fonts();
    draw(
        &BitMapBackend::new(path, (SIZE, SIZE)).into_drawing_area(),
        train,
        samples,
        title,
    )
}

/// [`scatter`] as SVG.
pub fn scatter_svg(path: &Path, train: &Matrix, samples: &Matrix, title: &str) -> Result<()> {
    fonts();
    draw(
        &SVGBackend::new(path, (SIZE, SIZE)).into_drawing_area(),
        train,
        samples,
        title,
    )
}

/// The samples grouped by the spot they fall on (a 1/500 share of each axis' range): the
/// spot's first sample and how many samples fall there, in a fixed order.
fn spots(
    samples: &Matrix,
    (x_range, y_range): ((f64, f64), (f64, f64)),
) -> Vec<((f64, f64), usize)> {
    let at = |r: &[f32]| (f64::from(r[0]), f64::from(*r.get(1).unwrap_or(&0.0)));
    let cell =
        |value: f64, (low, high): (f64, f64)| ((value - low) / (high - low) * 500.0).round() as i64;
    let mut groups: BTreeMap<(i64, i64), ((f64, f64), usize)> = BTreeMap::new();
    for row in samples.iter_rows() {
        let point = at(row);
        let key = (cell(point.0, x_range), cell(point.1, y_range));
        groups.entry(key).or_insert((point, 0)).1 += 1;
    }
    groups.into_values().collect()
}

/// Radius of a dot of `count` samples: area proportional to the count, at most 16 pixels.
fn radius(count: usize) -> i32 {
    ((3.0 * (count as f64).sqrt()).round() as i32).clamp(3, 16)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    train: &Matrix,
    samples: &Matrix,
    title: &str,
) -> Result<()> {
    let data_bounds = bounds(train.iter_rows().chain(samples.iter_rows()))?;
    let mut chart = plane(root, title, with_legend_band(data_bounds, 0.14))?;
    let at = |r: &[f32]| (f64::from(r[0]), f64::from(*r.get(1).unwrap_or(&0.0)));
    let groups = spots(samples, data_bounds);
    let most = groups.iter().map(|g| g.1).max().unwrap_or(0);
    let label = if most > 1 {
        format!(
            "{} samples (dot area ∝ samples at one spot; up to {most})",
            samples.rows()
        )
    } else {
        format!("{} samples", samples.rows())
    };
    chart
        .draw_series(
            train
                .iter_rows()
                .map(|r| Circle::new(at(r), 7, PALETTE[0].stroke_width(2))),
        )
        .map_err(drawing)?
        .label(format!("{} training points", train.rows()))
        .legend(|(x, y)| Circle::new((x, y), 5, PALETTE[0].stroke_width(2)));
    chart
        .draw_series(groups.iter().map(|&(point, count)| {
            Circle::new(point, radius(count), PALETTE[1].mix(0.55).filled())
        }))
        .map_err(drawing)?
        .label(label)
        .legend(|(x, y)| Circle::new((x, y), 4, PALETTE[1].filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)?;
    Ok(())
}
