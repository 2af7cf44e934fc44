//! `--help`: every command shows an EXAMPLES section whose lines parse with the CLI's own
//! definition, the choice values are listed, and the input formats named.

mod common;

use clap::Parser;
use smoothscore::help;

#[test]
fn every_example_parses() {
    let mut count = 0;
    for section in [
        help::SAMPLE,
        help::SCORE,
        help::DENSITY,
        help::EVAL,
        help::DATA,
        help::EXPERIMENT,
        help::REPRODUCE,
        help::CROSSCHECK,
        help::CONCAT,
    ] {
        let examples = section
            .split("EXAMPLES:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("no EXAMPLES in: {section}"));
        for line in examples.lines().filter(|l| l.starts_with("  smoothscore ")) {
            let command = line.split(" # ").next().unwrap_or_default();
            let argv: Vec<&str> = command.split_whitespace().collect();
            assert_eq!(argv[0], "smoothscore", "{line}");
            if let Err(error) = smoothscore::cli::Cli::try_parse_from(&argv) {
                panic!("{line}: {error}");
            }
            count += 1;
        }
    }
    assert!(count >= 25, "{count} examples");
}

#[test]
fn help_shows_examples_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "sample",
        "score",
        "density",
        "eval",
        "data",
        "experiment",
        "reproduce",
    ] {
        let output = common::smoothscore(dir.path(), &[command, "--help"]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{command}: {output:?}");
        assert!(
            text.contains("EXAMPLES:\n  smoothscore "),
            "{command}: {text}"
        );
    }
    for command in ["sample", "score"] {
        let output = common::smoothscore(dir.path(), &[command, "--help"]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(".npy or MNIST IDX"), "{command}: {text}");
    }
}
