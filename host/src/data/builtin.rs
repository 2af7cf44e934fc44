//! Built-in data sets compiled into the binary.

use crate::io::formats::parse_csv;
use crate::matrix::Matrix;
use anyhow::Result;

/// The default 2-D set (`fixtures/default-2d.csv`): 64 points on two interleaved half-moons
/// (32 each, evenly spaced in angle, N(0, 0.015²) jitter, rounded to 4 decimals), centred near 0.
pub const DEFAULT_2D_CSV: &str = include_str!("../../../fixtures/default-2d.csv");

/// The default 2-D training set as a 64×2 matrix.
pub fn default_2d() -> Result<Matrix> {
    parse_csv(DEFAULT_2D_CSV.as_bytes())
}
