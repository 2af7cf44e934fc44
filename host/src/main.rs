//! The `smoothscore` binary: parse, run, print; errors become one line on stderr and exit 1
//! (usage errors: exit 2, also one line).

use clap::error::ErrorKind;
use clap::Parser;
use smoothscore::cli::{run, Cli};

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
    match run(cli) {
        Ok(report) => println!("{report}"),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(1);
        }
    }
}
