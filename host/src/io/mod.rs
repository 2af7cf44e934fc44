//! Files in and out: CSV/TSV and NPY matrices, MNIST IDX images, atomic output, TOML options,
//! and the guards around them: resource limits, same-file checks, signals.

pub mod config;
pub mod formats;
pub mod idx;
pub mod limits;
pub mod npy_header;
pub mod output;
pub mod same_file;
pub mod signals;
