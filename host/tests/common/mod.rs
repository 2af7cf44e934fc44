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
    experiment_tables_in(dir.path(), name, args)
}

/// [`experiment_tables`] in the folder `dir` (which keeps the run's files for more checks).
#[allow(dead_code)] // used by the experiment test files only
pub fn experiment_tables_in(
    dir: &Path,
    name: &str,
    args: &[&str],
) -> serde_json::Map<String, serde_json::Value> {
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
    let output = smoothscore(dir, &all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files = std::fs::read_dir(dir.join("out")).unwrap().count();
    assert!(
        files >= 3,
        "the tables' CSV and JSON files and the manifest"
    );
    match serde_json::from_slice(&output.stdout).unwrap() {
        serde_json::Value::Object(tables) => tables,
        other => panic!("not an object of tables: {other}"),
    }
}

/// Checks table `name` of `tables` has `rows` rows, the `keys` and for each metric `m` the
/// columns `m`, `m_ci95_low`, `m_ci95_high` with low ≤ m ≤ high whenever the three are numbers;
/// returns the rows and how many numeric intervals were checked.
#[allow(dead_code)] // used by the experiment test files only
pub fn interval_rows<'a>(
    tables: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
    keys: &[&str],
    metrics: &[&str],
    rows: usize,
) -> (&'a [serde_json::Value], usize) {
    let table = tables[name]
        .as_array()
        .unwrap_or_else(|| panic!("no table {name}"));
    assert_eq!(table.len(), rows, "{name}: rows");
    let mut intervals = 0;
    for row in table {
        for key in keys {
            assert!(row.get(*key).is_some(), "{name}: key {key} in {row}");
        }
        for metric in metrics {
            let (value, low, high) = (
                &row[*metric],
                &row[format!("{metric}_ci95_low")],
                &row[format!("{metric}_ci95_high")],
            );
            assert!(
                row.get(format!("{metric}_ci95_low")).is_some()
                    && row.get(format!("{metric}_ci95_high")).is_some(),
                "{name}: interval columns of {metric}"
            );
            if let (Some(v), Some(l), Some(h)) = (value.as_f64(), low.as_f64(), high.as_f64()) {
                assert!(
                    l <= v + 1e-12 && v <= h + 1e-12,
                    "{name}.{metric}: {l} ≤ {v} ≤ {h}"
                );
                intervals += 1;
            }
        }
    }
    (table, intervals)
}
