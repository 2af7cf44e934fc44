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

/// Every choice flag lists its values in `--help` (from the CLI's own `ValueEnum`s, so a value
/// added later is checked too), and at least the ones named here are choices.
#[test]
fn help_lists_the_values_of_every_choice() {
    use clap::CommandFactory;
    let dir = tempfile::tempdir().unwrap();
    let mut root = smoothscore::cli::Cli::command();
    root.build();
    let mut checked = Vec::new();
    for command in [
        "sample",
        "score",
        "density",
        "data generate",
        "experiment density",
        "experiment memorization",
        "experiment pbm",
    ] {
        let mut path: Vec<&str> = command.split(' ').collect();
        let mut definition = &root;
        for name in &path {
            definition = definition.find_subcommand(name).unwrap();
        }
        path.push("--help");
        let output = common::smoothscore(dir.path(), &path);
        assert!(output.status.success(), "{command}: {output:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        for arg in definition.get_arguments() {
            let values = arg.get_possible_values();
            if values.is_empty() || !arg.get_action().takes_values() {
                continue;
            }
            let name = arg.get_long().unwrap_or(arg.get_id().as_str());
            for value in &values {
                assert!(
                    text.contains(&format!("- {}:", value.get_name())),
                    "{command} --help lacks the value {} of {name}",
                    value.get_name()
                );
            }
            checked.push(format!("{command} {name}"));
        }
    }
    for flag in [
        "sample process",
        "sample schedule",
        "sample sampler",
        "sample grid",
        "sample prior",
        "sample final",
        "sample score",
        "sample bandwidth-mode",
        "sample kernel-rule",
        "score what",
        "density kernel-rule",
        "data generate name",
        "data generate scale",
        "experiment density datasets",
        "experiment memorization datasets",
        "experiment pbm datasets",
    ] {
        assert!(
            checked.iter().any(|c| c == flag),
            "{flag} is no choice: {checked:?}"
        );
    }
}

/// A misspelt choice gets one line that names the flag, the value, the choices and the
/// nearest one; a bad count one line that says why.
#[test]
fn misspelt_values_get_one_line_with_the_nearest() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needles) in [
        (
            &["sample", "--process", "vpp"][..],
            &[
                "'vpp' for '--process",
                "possible values: vp, ou, ve, brownian, pbm",
                "a similar value exists: 'vp'",
            ][..],
        ),
        (
            &["sample", "--kernel-rule", "gaus-hermite"],
            &["'--kernel-rule", "a similar value exists: 'gauss-hermite'"],
        ),
        (
            &[
                "score",
                "--what",
                "wieghts",
                "--data",
                "a",
                "--queries",
                "b",
                "--t",
                "1",
                "--out",
                "c.csv",
            ],
            &["'--what", "a similar value exists: 'weights'"],
        ),
        (
            &["data", "generate", "two-mons", "--out", "x.csv"],
            &["'two-mons'", "a similar value exists: 'two-moons'"],
        ),
        (&["sample", "--final", "stat"], &["'--final", "'state'"]),
        (
            &["sample", "--n-samples", "0"],
            &["'--n-samples", "must be at least 1"],
        ),
        (
            &["density", "--t", "0.1", "--grid", "1"],
            &["'--grid", "must be at least 2"],
        ),
        (
            &["sample", "--kernel-points", "70000"],
            &["'--kernel-points", "at most 65535"],
        ),
    ] {
        let output = common::smoothscore(dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: '{needle}' not in {stderr}"
            );
        }
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The shell completions offer the choices' values.
#[test]
fn completions_list_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::smoothscore(dir.path(), &["completions", "bash"]);
    let script = String::from_utf8_lossy(&output.stdout);
    for values in [
        "vp ou ve brownian pbm",
        "auto gauss-hermite quasi mc",
        "score weights mean denoiser drift",
    ] {
        assert!(script.contains(values), "bash completion lacks {values}");
    }
}
