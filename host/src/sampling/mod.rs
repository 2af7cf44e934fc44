//! Running the core's score: the process, sampler and score chosen for a run, sampling (and its
//! shards, [`shard`]), the `score` command's batched evaluation and the LED-KDE on a grid,
//! and trained networks as a score: [`network`] (in memory, with its core views),
//! [`network_file`] (the `.safetensors` file), [`network_eval`] (the `score` command's
//! quantities of a network). Training them is [`crate::learned`]'s.

pub mod evaluate;
pub mod led_kde_grid;
pub mod network;
pub mod network_eval;
pub mod network_file;
pub mod process_spec;
pub mod sample;
pub mod sampler_spec;
pub mod score_spec;
pub mod shard;
