//! The README replays itself: every ```console block of `README.md` runs, in order, in one
//! scratch folder (with `fixtures/` linked in, so the README's paths work), and each command's
//! output (stdout, then stderr) must match the lines under it. The matching is snapbox's: a
//! line `...` (or the README's `…`) stands for any number of lines, `[..]` inside a line for any
//! text (times, paths). A command with no lines under it must succeed; its output is not shown.
//!
//! Only `smoothscore` and `head` run; a console block that shows another program (a script, a
//! benchmark) is a `text` block instead, since its output depends on the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One `$ …` line of the README and the lines under it.
struct Example {
    line: usize,
    words: Vec<String>,
    expected: Vec<String>,
}

/// Every command of every ```console block.
fn examples(readme: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (index, line) in readme.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            in_console = !in_console && info.trim() == "console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let command = command.split(" # ").next().unwrap_or_default();
            assert!(
                !command.contains(['"', '\'', '|', '>', '<', '*', '$']),
                "README.md:{}: the README test splits commands on spaces only: {command}",
                index + 1
            );
            examples.push(Example {
                line: index + 1,
                words: command.split_whitespace().map(str::to_owned).collect(),
                expected: Vec::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            let line = if line.trim() == "…" { "..." } else { line };
            example.expected.push(line.to_owned());
        }
    }
    examples
}

/// Runs `words` in `dir`: stdout then stderr, and whether it succeeded.
fn run(dir: &Path, words: &[String], line: usize) -> (String, bool) {
    let program = match words[0].as_str() {
        "smoothscore" => PathBuf::from(env!("CARGO_BIN_EXE_smoothscore")),
        "head" => PathBuf::from("head"),
        other => panic!(
            "README.md:{line}: a console block runs `{other}`, which the README test does not \
             run (make the block `text` if its output depends on the machine)"
        ),
    };
    let output = Command::new(program)
        .args(&words[1..])
        .current_dir(dir)
        .env_remove("SMOOTHSCORE_MNIST")
        .output()
        .unwrap_or_else(|e| panic!("README.md:{line}: cannot run {}: {e}", words[0]));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text += &String::from_utf8_lossy(&output.stderr);
    (text, output.status.success())
}

#[test]
fn every_console_example_of_the_readme_prints_what_the_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(
        examples.len() >= 10,
        "found only {} examples",
        examples.len()
    );
    let scratch = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        root.join("fixtures").canonicalize().unwrap(),
        scratch.path().join("fixtures"),
    )
    .unwrap();
    let mut failures = Vec::new();
    for example in &examples {
        let started = std::time::Instant::now();
        let (actual, succeeded) = run(scratch.path(), &example.words, example.line);
        let shown = format!("README.md:{}: $ {}", example.line, example.words.join(" "));
        println!("{:6.1} s  {shown}", started.elapsed().as_secs_f64());
        if example.expected.is_empty() {
            if !succeeded {
                failures.push(format!("{shown}\nfailed:\n{actual}"));
            }
            continue;
        }
        let expected = example.expected.join("\n").trim_end().to_owned() + "\n";
        let actual = actual.trim_end().to_owned() + "\n";
        if let Err(error) =
            snapbox::Assert::new().try_eq(Some(&shown), actual.into(), expected.into())
        {
            failures.push(format!("{error}"));
        }
    }
    println!("{} README examples replayed", examples.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
