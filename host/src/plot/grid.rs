//! Image samples beside their nearest training images, with the distance between them.

use super::{drawing, fonts};
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::path::Path;

/// The nearest row of `train` to `x` and its Euclidean distance (f64 sums, first index on ties).
fn nearest(train: &Matrix, x: &[f32]) -> (usize, f64) {
    train
        .iter_rows()
        .map(|row| {
            row.iter()
                .zip(x)
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum::<f64>()
        })
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, squared)| (i, squared.sqrt()))
        .unwrap_or((0, f64::NAN))
}

/// A grid of `samples` (width × height grey images, values in [0, 1] or [−1, 1]), each followed
/// by its nearest training image and labelled with their distance: rows of 4 pairs, 3-pixel
/// cells, a header that says which image is which.
pub fn image_grid(
    path: &Path,
    train: &Matrix,
    samples: &Matrix,
    width: usize,
    height: usize,
    title: &str,
) -> Result<()> {
    fonts();
    if samples.cols() != width * height || train.cols() != width * height {
        bail!(
            "images of {width}×{height} need {} values per row",
            width * height
        );
    }
    let low = train
        .values()
        .iter()
        .chain(samples.values())
        .copied()
        .fold(0.0f32, f32::min);
    let range = if low < -0.01 {
        (-1.0f32, 1.0f32)
    } else {
        (0.0, 1.0)
    };
    let pairs_per_row = 4usize;
    let cell = 3u32;
    let label = 18u32;
    let rows = samples.rows().div_ceil(pairs_per_row);
    let pair_width = (2 * width + 3) as u32 * cell;
    let row_height = (height as u32 + 1) * cell + label;
    let header = 52u32;
    let size = (
        (pairs_per_row as u32 * pair_width + 2 * cell).max(520),
        header + rows as u32 * row_height,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    root.draw(&Text::new(title, (8, 8), ("sans-serif", 18)))
        .map_err(drawing)?;
    root.draw(&Text::new(
        "each pair: sample (left) | nearest training image (right); d = Euclidean distance",
        (8, 32),
        ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90)),
    ))
    .map_err(drawing)?;
    for (k, sample) in samples.iter_rows().enumerate() {
        let origin = (
            (k % pairs_per_row) as u32 * pair_width + cell,
            header + (k / pairs_per_row) as u32 * row_height,
        );
        let (index, distance) = nearest(train, sample);
        let neighbour = train.row(index);
        for (side, image) in [(0u32, sample), (1, neighbour)] {
            for (index, &value) in image.iter().enumerate() {
                let level = ((value - range.0) / (range.1 - range.0)).clamp(0.0, 1.0);
                let grey = (255.0 * (1.0 - level)) as u8;
                let x = origin.0 + (side * (width as u32 + 1) + (index % width) as u32) * cell;
                let y = origin.1 + (index / width) as u32 * cell;
                root.draw(&Rectangle::new(
                    [(x as i32, y as i32), ((x + cell) as i32, (y + cell) as i32)],
                    RGBColor(grey, grey, grey).filled(),
                ))
                .map_err(drawing)?;
            }
        }
        let divider = (origin.0 + width as u32 * cell + cell / 2) as i32;
        root.draw(&PathElement::new(
            [
                (divider, origin.1 as i32),
                (divider, (origin.1 + height as u32 * cell) as i32),
            ],
            RGBColor(200, 200, 200),
        ))
        .map_err(drawing)?;
        root.draw(&Text::new(
            format!("d = {distance:.2}"),
            (
                origin.0 as i32 + (width as u32 * cell) as i32 - 24,
                (origin.1 + height as u32 * cell + 3) as i32,
            ),
            ("sans-serif", 13),
        ))
        .map_err(drawing)?;
    }
    root.present().map_err(drawing)?;
    Ok(())
}
