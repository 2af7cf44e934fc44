//! What the end-to-end test files share: running the built `smoothscore` binary (and an
//! experiment, for the files that test them).

use std::path::Path;
use std::process::{Command, Output};

/// Runs `smoothscore args…` in `dir` and returns its exit status and output.
pub fn smoothscore(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs `experiment NAME ARGS --replicates 2 --json --out-dir out` in a scratch folder; checks
/// it succeeded and wrote the tables' files and the manifest; returns the tables.
#[allow(dead_code)] // used by the experiment test files only
pub fn experiment_tables(name: &str, args: &[&str]) -> serde_json::Map<String, serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        "experiment",
        name,
        "--replicates",
        "2",
        "--json",
        "--out-dir",
        "out",
    ];
    all.extend(args);
    let output = smoothscore(dir.path(), &all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = std::fs::read_dir(dir.path().join("out")).unwrap().count();
    assert!(
        files >= 3,
        "the tables' CSV and JSON files and the manifest"
    );
    match serde_json::from_slice(&output.stdout).unwrap() {
        serde_json::Value::Object(tables) => tables,
        other => panic!("not an object of tables: {other}"),
    }
}
