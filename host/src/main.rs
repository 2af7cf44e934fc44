//! The `smoothscore` binary: parse, run, print; errors become one line on stderr and exit 1
//! (usage errors: exit 2, also one line, keeping clap's details).
//!
//! Around the run: every output is checked before anything is computed (writable, not an
//! input, see [`smoothscore::manifest::check_files`]); every file the run writes waits in a
//! temporary file and all are renamed together at the end ([`smoothscore::io::output`]);
//! SIGINT/SIGTERM delete the temporary files ([`smoothscore::io::signals`]).

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use smoothscore::cli::{check_files, manifest_files, run, Cli};
use smoothscore::io::{config, output, signals};
use smoothscore::{manifest, progress, usage};
use std::io::Write;

/// Prints `message` as the run's one error line, removes every temporary file and exits.
fn fail(message: String, code: i32) -> ! {
    output::discard();
    eprintln!("error: {message}");
    std::process::exit(code);
}

fn main() {
    if let Err(error) = signals::install() {
        fail(format!("{error:#}"), 1);
    }
    output::defer_commits();
    let argv = match config::expand(std::env::args().collect(), &Cli::command()) {
        Ok(argv) => argv,
        Err(error) => fail(format!("{error:#}"), 2),
    };
    let mut cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(error) => match error.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
            _ => fail(format!("{} (see --help)", usage::one_line(&error)), 2),
        },
    };
    progress::set_quiet(cli.quiet);
    manifest::set_argv(argv.clone(), Cli::command());
    if let Err(error) = check_files(&mut cli.command) {
        fail(format!("{error:#}"), 1);
    }
    let files = manifest_files(&mut cli.command);
    let finished = run(cli).and_then(|report| {
        if let Some((inputs, outputs)) = files {
            manifest::write(&argv, &inputs, &outputs)?;
        }
        output::commit()?;
        Ok(report)
    });
    match finished {
        Ok(report) => {
            // A closed pipe (`smoothscore … | head`) is not an error of the run.
            let mut stdout = std::io::stdout().lock();
            if let Err(error) = writeln!(stdout, "{report}") {
                if error.kind() != std::io::ErrorKind::BrokenPipe {
                    fail(format!("cannot write the report: {error}"), 1);
                }
            }
        }
        Err(error) => fail(format!("{error:#}"), 1),
    }
}
