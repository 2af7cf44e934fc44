//! `reproduce` promises bit-identical outputs: every experiment's tables (CSV and JSON) must be the
//! same bytes on a second run and with another thread count. A parallel floating-point reduction
//! whose result depends on how the work was split (rayon's `sum` over a parallel iterator) breaks
//! this only now and then, so each experiment runs three times: 1 thread, 2 threads, 2 threads.
//! `RAYON_NUM_THREADS` is set with `--threads`, so that work outside the run's own pool (the
//! metrics) is split differently too: the old parallel sum in `mean_nearest_distance` fails here.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs `experiment NAME ARGS --threads THREADS` into `dir/out` and returns every table file
/// (name → bytes); the manifest is left out (it records the thread count).
fn tables(dir: &Path, name: &str, args: &[&str], threads: &str) -> BTreeMap<String, Vec<u8>> {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let mut all = vec![
        "experiment",
        name,
        "--replicates",
        "3",
        "--threads",
        threads,
        "--out-dir",
        "out",
    ];
    all.extend(args);
    let output = Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads)
        .args(&all)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap() != "manifest.json")
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                bytes,
            )
        })
        .collect();
    assert!(files.len() >= 2, "{name}: the CSV and JSON tables");
    files
}

fn assert_bit_identical(name: &str, args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let one = tables(dir.path(), name, args, "1");
    let two = tables(dir.path(), name, args, "2");
    let again = tables(dir.path(), name, args, "2");
    for (file, bytes) in &one {
        assert!(
            two.get(file) == Some(bytes),
            "{name}: {file} differs between 1 and 2 threads"
        );
        assert!(
            again.get(file) == Some(bytes),
            "{name}: {file} differs between two runs on 2 threads"
        );
    }
}

#[test]
fn memorization_tables_do_not_depend_on_threads_or_runs() {
    assert_bit_identical(
        "memorization",
        &[
            "--bandwidths",
            "0,0.3",
            "--n-samples",
            "64",
            "--steps",
            "40",
        ],
    );
}

#[test]
fn pbm_tables_do_not_depend_on_threads_or_runs() {
    assert_bit_identical(
        "pbm",
        &[
            "--datasets",
            "gmm50",
            "--n-samples",
            "16",
            "--steps",
            "20",
            "--kernel-points",
            "2",
        ],
    );
}

#[test]
fn interpolation_tables_do_not_depend_on_threads_or_runs() {
    assert_bit_identical("interpolation", &["--n-samples", "32", "--steps", "30"]);
}
