//! One module per subcommand, each owning its clap `Args` and its `run` (the `experiment`
//! command's live in [`crate::experiment`]). A command that needs the whole CLI (completions,
//! the man page, `reproduce`) receives it from [`crate::cli`] as an argument, so no command
//! imports the CLI.

pub mod bench;
pub mod completions;
pub mod concat;
pub mod crosscheck;
pub mod data;
pub mod density;
pub mod eval;
pub mod manpage;
pub mod options;
pub mod reproduce;
pub mod sample;
pub mod score;
#[cfg(feature = "train")]
pub mod train;
