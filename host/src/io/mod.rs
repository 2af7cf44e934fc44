//! Files in and out: CSV and NPY matrices, MNIST IDX images, atomic output, TOML options.

pub mod config;
pub mod formats;
pub mod idx;
pub mod output;
