//! Running the core's score: the process, sampler and score chosen for a run, sampling (and its
//! shards, [`shard`]), the `score` command's batched evaluation and the LED-KDE on a grid.

pub mod evaluate;
pub mod led_kde_grid;
pub mod process_spec;
pub mod sample;
pub mod sampler_spec;
pub mod score_spec;
pub mod shard;
