//! One module per subcommand, each owning its clap `Args` and its `run`.

pub mod bench;
pub mod concat;
pub mod data;
pub mod docs;
pub mod eval;
pub mod options;
