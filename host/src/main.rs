//! The `smoothscore` binary: parse, run, print; errors become one line on stderr and exit 1
//! (usage errors: exit 2, also one line).

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use smoothscore::cli::{manifest_files, run, Cli};
use smoothscore::io::config;
use smoothscore::manifest;
use smoothscore::progress;
use std::io::Write;

fn main() {
    let argv = match config::expand(std::env::args().collect(), &Cli::command()) {
        Ok(argv) => argv,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(2);
        }
    };
    let mut cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            _ => {
                let rendered = error.render().to_string();
                let first = rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments");
                eprintln!("{first} (see --help)");
                std::process::exit(2);
            }
        },
    };
    progress::set_quiet(cli.quiet);
    manifest::set_argv(argv.clone(), Cli::command());
    let files = manifest_files(&mut cli.command);
    match run(cli).and_then(|report| match files {
        Some((inputs, outputs)) => {
            manifest::write(&argv, &inputs, &outputs)?;
            Ok(report)
        }
        None => Ok(report),
    }) {
        Ok(report) => {
            // A closed pipe (`smoothscore … | head`) is not an error of the run.
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = writeln!(stdout, "{report}") {
                if error.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write the report: {error}");
                    std::process::exit(1);
                }
            }
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
    }
}
