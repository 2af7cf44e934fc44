//! # smoothscore (host)
//!
//! Data loading, the command-line interface and measurements around the no_std core
//! (`smoothscore-core`).
//!
//! - [`matrix`]: the dense row-major f32 matrix.
//! - [`formats`]: CSV and NPY reading/writing with clear errors.
//! - [`idx`]: MNIST IDX images (raw or gzip), scaled, filtered by digit.
//! - [`output`]: atomic writes.
//! - [`options`]: a command's options from (name, value) pairs (the Python package's way in).
//! - [`shard`]: one of K parts of a sampling run.
//! - [`builtin`]: the built-in default data set.
//! - [`process_spec`]: the process chosen on the command line.
//! - [`score_spec`], [`line_fit`]: the score chosen on the command line (exact, kernel, PL).
//! - [`sample`]: parallel, thread-count-independent sampling.
//! - [`evaluate`]: the `score` command's batched evaluation.
//! - [`experiment`]: the seeds' experiments, reproduced as tables.
//! - [`led_kde_grid`]: the LED-KDE normalised on a grid (d ≤ 2).
//! - [`distances`]: MMD, energy distance, sliced Wasserstein-2, kNN KL between samples.
//! - [`metrics`]: nearest-neighbour and memorization measurements.
//! - [`synthetic`]: seeded synthetic sets with their true densities and scores.
//! - [`plot`]: PNG plots (scatter, trajectories, image grids, curves).
//! - [`svg`]: dependency-free SVG scatter plots.
//! - [`manifest`]: run manifests and `reproduce`.
//! - [`docs`]: shell completions and the man page, generated from the clap definition.
//! - [`cmd_data`], [`cmd_eval`], [`cmd_concat`]: the `data`, `eval` and `concat` commands.
//! - [`reference`], [`crosscheck`]: the f64/192-bit reference and the core's cross-check.
//! - [`cli`]: the clap definitions and commands.
#![deny(missing_docs)]

pub mod bench;
pub mod builtin;
pub mod cli;
pub mod cmd_concat;
pub mod cmd_data;
pub mod cmd_eval;
pub mod config;
pub mod crosscheck;
pub mod distances;
pub mod docs;
pub mod evaluate;
pub mod experiment;
pub mod formats;
pub mod idx;
pub mod led_kde_grid;
pub mod line_fit;
pub mod manifest;
pub mod matrix;
pub mod metrics;
pub mod options;
pub mod output;
pub mod plot;
pub mod process_spec;
pub mod progress;
pub mod reference;
pub mod sample;
pub mod score_spec;
pub mod shard;
pub mod simd;
pub mod svg;
pub mod synthetic;
