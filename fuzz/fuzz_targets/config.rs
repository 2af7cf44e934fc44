//! `--config` on arbitrary TOML text: an error, or a command line that starts with the one
//! given and that the CLI's own definition then parses or refuses, never a panic.
#![no_main]
use clap::CommandFactory;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let definition = smoothscore::cli::Cli::command();
    for command in [&["sample"][..], &["experiment", "interpolation"][..], &[][..]] {
        let argv: Vec<String> = std::iter::once("smoothscore")
            .chain(command.iter().copied())
            .map(str::to_owned)
            .collect();
        if let Ok(expanded) =
            smoothscore::io::config::expand_text(argv.clone(), text, "fuzz.toml", &definition)
        {
            assert_eq!(expanded.first(), argv.first());
            let _ = <smoothscore::cli::Cli as clap::Parser>::try_parse_from(&expanded);
        }
    }
});
