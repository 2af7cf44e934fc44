//! Shell completions and the man page, generated from the clap definition so they never drift
//! from the real options.

use crate::cli::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<String> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "smoothscore", &mut script);
    String::from_utf8(script).context("completion script is not UTF-8")
}

/// The man page in roff.
pub fn manpage() -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("cannot render the man page")?;
    String::from_utf8(page).context("man page is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_and_man_page_name_every_command() {
        let bash = completions(clap_complete::Shell::Bash).unwrap();
        let man = manpage().unwrap();
        for command in Cli::command().get_subcommands() {
            let name = command.get_name();
            assert!(bash.contains(name), "bash completion lacks {name}");
            assert!(man.contains(name), "man page lacks {name}");
        }
        assert!(man.starts_with(".ie") || man.contains(".TH"), "not roff");
    }
}
