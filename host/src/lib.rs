//! # smoothscore (host)
//!
//! Data loading, the command-line interface and measurements around the no_std core
//! (`smoothscore-core`). The folders are the architecture:
//!
//! - [`matrix`]: the dense row-major f32 matrix every module passes around.
//! - [`io`]: CSV/TSV and NPY ([`io::formats`], [`io::npy_header`]), MNIST IDX ([`io::idx`]),
//!   atomic all-or-nothing writes ([`io::output`]), `--config` TOML options ([`io::config`]),
//!   resource limits ([`io::limits`]), the output-is-an-input check ([`io::same_file`]),
//!   cleanup on signals ([`io::signals`]).
//! - [`manifest`]: run manifests and the check that `reproduce` makes.
//! - [`data`]: the built-in default set ([`data::builtin`]), seeded synthetic sets with their true
//!   densities and scores ([`data::synthetic`]), line fitting ([`data::line_fit`]).
//! - [`sampling`]: the process and score chosen for a run ([`sampling::process_spec`],
//!   [`sampling::score_spec`]), parallel thread-count-independent sampling
//!   ([`sampling::sample`]), the `score` command's batched evaluation ([`sampling::evaluate`]),
//!   the LED-KDE on a grid ([`sampling::led_kde_grid`]).
//! - [`metrics`]: nearest-neighbour and memorization measurements, and
//!   [`metrics::distances`] (MMD, energy distance, sliced Wasserstein-2, kNN KL).
//! - [`experiment`]: the seeds' experiments, reproduced as tables.
//! - [`learned`]: training score networks (feature `train`, candle); the trained network as a
//!   score is [`sampling::network`].
//! - [`plot`]: PNG plots (scatter, trajectories, image grids, curves) and SVG scatter plots.
//! - [`reference`](mod@reference): the f64/192-bit reference and the core's cross-check
//!   ([`reference::crosscheck`]).
//! - [`simd`]: the host's SIMD lane vectors and kernel dispatch.
//! - [`parallel`]: worker pools, the parallel map with a progress bar that every row-by-row
//!   computation runs through, and the re-run that names a failing row.
//! - [`progress`]: progress bars.
//! - [`commands`]: one module per subcommand, each with its clap `Args` and its `run`.
//! - [`usage`]: clap's usage errors in one line.
//! - [`cli`]: the top-level clap parser, the dispatch to the commands, and which of their flags
//!   name files (for manifests and `reproduce`).
#![deny(missing_docs)]

pub mod cli;
pub mod commands;
pub mod data;
pub mod experiment;
pub mod help;
pub mod io;
pub mod learned;
pub mod manifest;
pub mod matrix;
pub mod metrics;
pub mod parallel;
pub mod plot;
pub mod progress;
pub mod reference;
pub mod sampling;
pub mod simd;
pub mod usage;
