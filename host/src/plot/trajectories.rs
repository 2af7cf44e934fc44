//! Paths of a few samples through time.

use super::{bounds, drawing, fonts, plane, PALETTE};
use crate::matrix::Matrix;
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// Draws each path (a list of (t, state)) in the plane of the first two coordinates, over the
/// training points; the end of each path is marked. 800×800 PNG.
pub fn trajectories(
    path: &Path,
    train: &Matrix,
    paths: &[Vec<(f32, Vec<f32>)>],
    title: &str,
) -> Result<()> {
    fonts();
    let all = paths
        .iter()
        .flat_map(|p| p.iter().map(|(_, x)| x.as_slice()));
    let (x_range, y_range) = bounds(train.iter_rows().chain(all))?;
    let root = BitMapBackend::new(path, (800, 800)).into_drawing_area();
    let mut chart = plane(&root, title, (x_range, y_range))?;
    let at = |r: &[f32]| (f64::from(r[0]), f64::from(*r.get(1).unwrap_or(&0.0)));
    chart
        .draw_series(
            train
                .iter_rows()
                .map(|r| Circle::new(at(r), 5, RGBColor(150, 150, 150).stroke_width(2))),
        )
        .map_err(drawing)?;
    for (k, states) in paths.iter().enumerate() {
        let colour = PALETTE[k % (PALETTE.len() - 1)];
        chart
            .draw_series(LineSeries::new(
                states.iter().map(|(_, x)| at(x)),
                colour.stroke_width(2),
            ))
            .map_err(drawing)?;
        if let Some((_, last)) = states.last() {
            chart
                .draw_series([Circle::new(at(last), 5, colour.filled())])
                .map_err(drawing)?;
        }
    }
    root.present().map_err(drawing)?;
    Ok(())
}
