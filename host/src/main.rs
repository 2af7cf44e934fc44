//! The `smoothscore` binary: parse, run, print; errors become one line on stderr and exit 1
//! (usage errors: exit 2, also one line).

use clap::error::ErrorKind;
use clap::Parser;
use smoothscore::cli::{run, Cli};
use smoothscore::manifest;

fn main() {
    let cli = match Cli::try_parse() {
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
    let files = manifest::file_args(&cli.command);
    match run(cli).and_then(|report| match files {
        Some((inputs, outputs)) => {
            let argv: Vec<String> = std::env::args().collect();
            manifest::write(&argv, &inputs, &outputs)?;
            Ok(report)
        }
        None => Ok(report),
    }) {
        Ok(report) => println!("{report}"),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
    }
}
