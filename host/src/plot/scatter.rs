//! Samples over training points.

use super::{bounds, drawing, fonts, plane, PALETTE};
use crate::matrix::Matrix;
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// Draws the first two coordinates of `samples` (filled dots) over `train` (rings), 800×800 PNG.
pub fn scatter(path: &Path, train: &Matrix, samples: &Matrix, title: &str) -> Result<()> {
    fonts();
    let (x_range, y_range) = bounds(train.iter_rows().chain(samples.iter_rows()))?;
    let root = BitMapBackend::new(path, (800, 800)).into_drawing_area();
    let mut chart = plane(&root, title, (x_range, y_range))?;
    let at = |r: &[f32]| (f64::from(r[0]), f64::from(*r.get(1).unwrap_or(&0.0)));
    chart
        .draw_series(
            samples
                .iter_rows()
                .map(|r| Circle::new(at(r), 3, PALETTE[1].mix(0.6).filled())),
        )
        .map_err(drawing)?
        .label(format!("{} samples", samples.rows()))
        .legend(|(x, y)| Circle::new((x, y), 4, PALETTE[1].filled()));
    chart
        .draw_series(
            train
                .iter_rows()
                .map(|r| Circle::new(at(r), 6, PALETTE[0].stroke_width(2))),
        )
        .map_err(drawing)?
        .label(format!("{} training points", train.rows()))
        .legend(|(x, y)| Circle::new((x, y), 5, PALETTE[0].stroke_width(2)));
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)?;
    Ok(())
}
