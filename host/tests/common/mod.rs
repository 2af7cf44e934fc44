//! What the end-to-end test files share: running the built `smoothscore` binary.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `smoothscore args…` in `dir` and returns its exit status and output.
pub fn smoothscore(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}
