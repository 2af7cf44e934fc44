//! One module per subcommand, each owning its clap `Args` and its `run`.

pub mod bench;
pub mod data;
pub mod docs;
pub mod eval;
