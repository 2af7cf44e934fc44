//! `smoothscore reproduce`: re-run the command a manifest records (outputs in a temporary
//! folder, the manifest treated as untrusted input) and report whether the bits match.

use crate::manifest::{reproduce, Recorded};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// `smoothscore reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// The manifest written beside an output (`<output>.manifest.json`) or in an experiment's
    /// output folder (`manifest.json`).
    pub manifest: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `reproduce` with the command lines parsed and run as `C` (the CLI); returns the report.
pub fn run<C: Recorded>(args: &ReproduceArgs) -> Result<String> {
    let report = reproduce::<C>(&args.manifest);
    if !args.json {
        return report;
    }
    let (matched, text) = match &report {
        Ok(text) => (true, text.clone()),
        Err(error) => (false, format!("{error:#}")),
    };
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "manifest": args.manifest.display().to_string(),
        "bit_match": matched,
        "report": text,
    }))?;
    match report {
        Ok(_) => Ok(json),
        Err(_) => {
            println!("{json}");
            bail!("bits differ (see the JSON report)")
        }
    }
}
