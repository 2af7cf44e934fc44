//! Image samples beside their nearest training images.

use super::{drawing, fonts};
use crate::matrix::Matrix;
use crate::metrics::two_nearest;
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::path::Path;

/// A grid of `samples` (width × height grey images, values in [0, 1] or [−1, 1]), each followed
/// by its nearest training image: rows of 4 pairs, 3-pixel cells, a 1-cell gap between pairs.
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
    let nearest = |x: &[f32]| {
        train
            .iter_rows()
            .enumerate()
            .map(|(i, row)| {
                (
                    i,
                    two_nearest(
                        &Matrix::new(1, row.len(), row.to_vec()).unwrap_or_else(|_| train.clone()),
                        x,
                    )
                    .0,
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
            .unwrap_or(0)
    };
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
    let rows = samples.rows().div_ceil(pairs_per_row);
    let pair_width = (2 * width + 2) as u32 * cell;
    let header = 40u32;
    let size = (
        pairs_per_row as u32 * pair_width + 2 * cell,
        header + rows as u32 * (height as u32 + 2) * cell,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    root.draw(&Text::new(title, (8, 10), ("sans-serif", 18)))
        .map_err(drawing)?;
    for (k, sample) in samples.iter_rows().enumerate() {
        let origin = (
            (k % pairs_per_row) as u32 * pair_width + cell,
            header + (k / pairs_per_row) as u32 * (height as u32 + 2) * cell,
        );
        let neighbour = train.row(nearest(sample));
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
    }
    root.present().map_err(drawing)?;
    Ok(())
}
