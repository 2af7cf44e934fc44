//! `smoothscore manpage`: the man page in roff, generated from the clap definition so it never
//! drifts from the real options.

use anyhow::{Context, Result};

/// The man page of `definition` (the CLI's clap command).
pub fn run(definition: clap::Command) -> Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(definition)
        .render(&mut page)
        .context("cannot render the man page")?;
    String::from_utf8(page).context("man page is not UTF-8")
}
