//! Built-in data sets compiled into the binary.

use crate::io::formats::{parse_csv, read_matrix};
use crate::matrix::Matrix;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The name a manifest records for the built-in default data set.
pub const BUILTIN_DEFAULT: &str = "builtin:default-2d";

/// The default 2-D set (`fixtures/default-2d.csv`): 64 points on two interleaved half-moons
/// (32 each, evenly spaced in angle, N(0, 0.015²) jitter, rounded to 4 decimals), centred near 0.
pub const DEFAULT_2D_CSV: &str = include_str!("../../../fixtures/default-2d.csv");

/// The default 2-D training set as a 64×2 matrix.
pub fn default_2d() -> Result<Matrix> {
    parse_csv(DEFAULT_2D_CSV.as_bytes())
}

/// [`BUILTIN_DEFAULT`] as the path a command uses when `--data` is absent.
pub fn builtin_default() -> Option<PathBuf> {
    Some(PathBuf::from(BUILTIN_DEFAULT))
}

/// The training set at `path` (.csv, .npy or IDX), or the built-in default set when there is
/// none.
pub fn data_or_default(path: Option<&Path>) -> Result<Matrix> {
    match path {
        Some(path) => read_matrix(path),
        None => default_2d(),
    }
}
