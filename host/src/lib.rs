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
//!
//! ## Use from Rust
//!
//! The functions the CLI's commands and the Python package call take matrices in memory and the
//! command's options, parsed by the command's own clap definition
//! ([`commands::options::parse_options`]: the CLI's defaults, checks and one-line errors):
//! [`commands::data::generate_data`] (`data generate`), [`commands::sample::sample_rows`]
//! (`sample`), [`commands::score::score_queries`] (`score`), [`commands::eval::metrics`]
//! (`eval`); [`io::formats::read_matrix`] and [`io::formats::write_matrix`] read and write
//! the files.
//!
//! ```
//! use smoothscore::commands::{data, eval, options::parse_options, sample, score};
//! let option = |name: &str, value: &str| (name.to_string(), Some(value.to_string()));
//! let generate: data::GenerateOptions = parse_options("generate", &[option("n", "32")]).unwrap();
//! let train = data::generate_data(data::DataSet::TwoMoons, &generate).unwrap();
//! let run: sample::SampleArgs =
//!     parse_options("sample", &[option("n-samples", "16"), option("steps", "50")]).unwrap();
//! let (_, samples) = sample::sample_rows(&run, train.view()).unwrap();
//! assert_eq!((samples.rows(), samples.cols()), (16, 2));
//! let report = eval::metrics(samples.view(), train.view(), None, &parse_options("eval", &[]).unwrap());
//! assert_eq!(report.unwrap()["n_samples"], 16);
//! let what: score::ScoreOptions = parse_options("score", &[option("what", "mean")]).unwrap();
//! let means = score::score_queries(train.view(), samples.view(), 0.5, &what).unwrap();
//! assert_eq!(means.rows(), 16);
//! // A bad value is refused as the CLI refuses it, in one line with the nearest choice.
//! let typo = parse_options::<score::ScoreOptions>("score", &[option("what", "maen")]);
//! assert!(typo.unwrap_err().to_string().contains("a similar value exists: 'mean'"));
//! ```
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
