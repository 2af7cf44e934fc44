//! `--mnist DIR` and `SMOOTHSCORE_MNIST`: MNIST is read from the folder the user names, the
//! shipped subset is the default, and a missing folder is one line naming where it looked.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mnist")
}

/// Rows of a headerless CSV file.
fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

#[test]
fn a_folder_given_by_flag_or_environment_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("my-mnist");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(
        shipped().join("train-images-idx3-ubyte.gz"),
        copy.join("train-images-idx3-ubyte.gz"),
    )
    .unwrap();
    let by_flag = common::smoothscore(
        dir.path(),
        &[
            "data", "generate", "mnist", "--n", "7", "--mnist", "my-mnist", "--out", "a.csv",
        ],
    );
    assert!(by_flag.status.success(), "{by_flag:?}");
    assert_eq!(rows(&dir.path().join("a.csv")), 7);
    let manifest = std::fs::read_to_string(dir.path().join("a.csv.manifest.json")).unwrap();
    assert!(
        manifest.contains("my-mnist/train-images-idx3-ubyte.gz"),
        "the manifest names the file read: {manifest}"
    );
    let by_environment = Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .current_dir(dir.path())
        .env("SMOOTHSCORE_MNIST", &copy)
        .args(["data", "generate", "mnist", "--n", "3", "--out", "b.csv"])
        .output()
        .unwrap();
    assert!(by_environment.status.success(), "{by_environment:?}");
    assert_eq!(rows(&dir.path().join("b.csv")), 3);
}

#[test]
fn a_missing_folder_is_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[
            "data", "generate", "mnist", "--mnist", "nowhere", "--out", "a.csv",
        ][..],
        &[
            "experiment",
            "memorization",
            "--datasets",
            "mnist",
            "--mnist",
            "nowhere",
            "--out-dir",
            "out",
        ][..],
    ] {
        let output = common::smoothscore(dir.path(), args);
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
        assert!(message.contains("nowhere"), "{message}");
        assert!(message.contains("--mnist DIR"), "{message}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[test]
fn the_shipped_subset_is_the_default_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .current_dir(dir.path())
        .env_remove("SMOOTHSCORE_MNIST")
        .args([
            "experiment",
            "memorization",
            "--datasets",
            "mnist",
            "--mnist-train",
            "20",
            "--bandwidths",
            "0",
            "--n-samples",
            "8",
            "--steps",
            "2",
            "--out-dir",
            "out",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let notes = String::from_utf8_lossy(&output.stderr);
    assert!(
        notes.contains("mnist: 20 training images from")
            && notes.contains("fixtures/mnist/train-images-idx3-ubyte.gz"),
        "{notes}"
    );
}
