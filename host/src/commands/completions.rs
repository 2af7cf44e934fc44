//! `smoothscore completions SHELL`: the shell completion script, generated from the clap
//! definition so it never drifts from the real options.

use anyhow::{Context, Result};
use clap::Args;

/// `smoothscore completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// The completion script of `definition` (the CLI's clap command) for the chosen shell.
pub fn run(args: &CompletionsArgs, mut definition: clap::Command) -> Result<String> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut definition, "smoothscore", &mut script);
    String::from_utf8(script).context("completion script is not UTF-8")
}
