//! End-to-end tests of the `smoothscore` binary, run as a user would run it.

use std::path::{Path, PathBuf};
mod common;

use common::smoothscore;
use std::process::Output;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir readable")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn sample_with_no_arguments_runs_on_the_default_set() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(dir.path(), &["sample"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    println!("{report}");
    assert!(
        report.starts_with("wrote 256 samples (d = 2) to samples.csv"),
        "{report}"
    );
    assert!(
        report.contains("within 1e-3 of a training point"),
        "{report}"
    );
    assert!(
        report.contains("median nearest-neighbour distance"),
        "{report}"
    );
    let text = std::fs::read_to_string(dir.path().join("samples.csv")).unwrap();
    assert_eq!(text.lines().count(), 256);
    assert!(text.lines().all(|l| l.split(',').count() == 2));
}

#[test]
fn sample_plot_draws_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &["sample", "--n-samples", "32", "--plot", "p.svg"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(dir.path().join("p.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    // 64 training rings, one dot per spot the 32 samples fall on (samples on one training point
    // share a dot whose area counts them), and the legend's two markers.
    let circles = svg.matches("<circle").count();
    assert!(
        (64 + 1 + 2..=64 + 32 + 2).contains(&circles),
        "{circles} circles"
    );
    assert!(svg.contains("32 samples") && svg.contains("64 training points"));
}

#[test]
fn same_seed_gives_identical_files_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "sample",
        "--n-samples",
        "64",
        "--steps",
        "200",
        "--seed",
        "11",
    ];
    for (out, threads) in [("a.npy", "1"), ("b.npy", "1"), ("c.npy", "2")] {
        let mut args = common.to_vec();
        args.extend(["--out", out, "--threads", threads]);
        let output = smoothscore(dir.path(), &args);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    assert_eq!(read("a.npy"), read("b.npy"), "same seed, same threads");
    assert_eq!(read("a.npy"), read("c.npy"), "1 thread vs 2 threads");
    let mut args = common.to_vec();
    args[6] = "12";
    args.extend(["--out", "d.npy"]);
    assert!(smoothscore(dir.path(), &args).status.success());
    assert_ne!(read("a.npy"), read("d.npy"), "another seed differs");
}

#[test]
fn every_process_and_sampler_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (process, extra) in [
        ("vp", vec!["--schedule", "cosine"]),
        ("ou", vec![]),
        ("ve", vec![]),
        ("brownian", vec![]),
        ("pbm", vec![]),
    ] {
        // Euler on VE is refused (host/tests/cli_samplers.rs and the accuracy matrix check it).
        let samplers: &[&str] = match process {
            "pbm" => &["em"],
            "ve" => &["em", "heun"],
            _ => &["em", "euler", "heun"],
        };
        for sampler in samplers {
            let mut args = vec!["sample", "--process", process, "--sampler", sampler];
            args.extend(&extra);
            args.extend(["--n-samples", "16", "--steps", "100", "--out", "s.csv"]);
            let output = smoothscore(dir.path(), &args);
            assert!(
                output.status.success(),
                "{process} {sampler}: {}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn score_command_writes_one_row_per_query() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), "x,y\n0,0\n1,0\n0,1\n").unwrap();
    std::fs::write(dir.path().join("q.csv"), "0.2,0.1\n5,5\n-1,0.5\n").unwrap();
    for (what, cols) in [("score", 2), ("weights", 3), ("mean", 2), ("denoiser", 2)] {
        let out = format!("{what}.csv");
        let output = smoothscore(
            dir.path(),
            &[
                "score",
                "--data",
                "data.csv",
                "--queries",
                "q.csv",
                "--t",
                "0.3",
                "--what",
                what,
                "--out",
                &out,
            ],
        );
        assert!(output.status.success(), "{what}: {}", stderr(&output));
        let text = std::fs::read_to_string(dir.path().join(&out)).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines().all(|l| l.split(',').count() == cols),
            "{what}: {text}"
        );
        if what == "weights" {
            for line in text.lines() {
                let total: f32 = line.split(',').map(|c| c.parse::<f32>().unwrap()).sum();
                assert!((total - 1.0).abs() < 1e-6);
            }
        }
    }
    let output = smoothscore(
        dir.path(),
        &[
            "score",
            "--data",
            "data.csv",
            "--queries",
            "q.csv",
            "--t",
            "0.3",
            "--process",
            "pbm",
            "--what",
            "drift",
            "--out",
            "drift.npy",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Runs a failing command and checks: non-zero exit, one line on stderr containing `needle`,
/// and no file left behind besides the inputs.
fn assert_fails(dir: &Path, args: &[&str], needle: &str) {
    let before = files_in(dir);
    let output = smoothscore(dir, args);
    let message = stderr(&output);
    assert!(!output.status.success(), "{args:?} should fail");
    assert_eq!(
        message.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {message}"
    );
    assert!(
        message.contains(needle),
        "{args:?}: '{needle}' not in {message}"
    );
    assert_eq!(files_in(dir), before, "{args:?} left a file behind");
}

#[test]
fn bad_inputs_get_one_clear_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), "0,0\n1,0\n0,1\n").unwrap();
    std::fs::write(d.join("q3.csv"), "0,0,0\n").unwrap();
    std::fs::write(d.join("nan.csv"), "0,0\nNaN,1\n").unwrap();
    std::fs::write(d.join("ragged.csv"), "0,0\n1\n").unwrap();
    std::fs::write(d.join("empty.csv"), "").unwrap();
    std::fs::write(d.join("trunc.npy"), b"\x93NUMPY\x01\x00\x40\x00{'descr'").unwrap();
    let score = |t: &'static str, extra: &[&'static str]| {
        let mut args = vec![
            "score",
            "--data",
            "data.csv",
            "--queries",
            "data.csv",
            "--t",
            t,
            "--out",
            "o.csv",
        ];
        args.extend_from_slice(extra);
        args
    };
    assert_fails(
        d,
        &["sample", "--data", "missing.csv", "--out", "o.csv"],
        "missing.csv",
    );
    assert_fails(
        d,
        &["sample", "--data", "nan.csv", "--out", "o.csv"],
        "non-finite",
    );
    assert_fails(
        d,
        &["sample", "--data", "ragged.csv", "--out", "o.csv"],
        "line 2",
    );
    assert_fails(
        d,
        &["sample", "--data", "empty.csv", "--out", "o.csv"],
        "no data rows",
    );
    assert_fails(
        d,
        &["sample", "--data", "trunc.npy", "--out", "o.csv"],
        "truncated",
    );
    assert_fails(
        d,
        &["sample", "--process", "nope", "--out", "o.csv"],
        "invalid value 'nope' for '--process",
    );
    assert_fails(
        d,
        &["sample", "--sampler", "rk4", "--out", "o.csv"],
        "invalid value 'rk4' for '--sampler",
    );
    assert_fails(
        d,
        &["sample", "--steps", "-5", "--out", "o.csv"],
        "'-5' for '--steps <STEPS>': must be at least 1",
    );
    assert_fails(
        d,
        &["sample", "--n-samples", "0", "--out", "o.csv"],
        "'0' for '--n-samples <N_SAMPLES>': must be at least 1",
    );
    assert_fails(
        d,
        &["sample", "--t-min", "1.5", "--out", "o.csv"],
        "outside the process's domain",
    );
    assert_fails(
        d,
        &["sample", "--t-min", "0", "--out", "o.csv"],
        "outside the process's domain",
    );
    assert_fails(d, &["sample", "--out", "o.txt"], "unknown output format");
    assert_fails(d, &["sample", "--out", "no/such/dir/o.csv"], "cannot write");
    assert_fails(
        d,
        &[
            "sample",
            "--process",
            "ve",
            "--sigma-max",
            "0.001",
            "--out",
            "o.csv",
        ],
        "sigma_max",
    );
    assert_fails(
        d,
        &[
            "sample",
            "--process",
            "pbm",
            "--sampler",
            "heun",
            "--out",
            "o.csv",
        ],
        "Euler–Maruyama",
    );
    assert_fails(
        d,
        &[
            "score",
            "--data",
            "data.csv",
            "--queries",
            "q3.csv",
            "--t",
            "0.5",
            "--out",
            "o.csv",
        ],
        "3 columns",
    );
    assert_fails(d, &score("0", &[]), "outside the process's domain");
    assert_fails(d, &score("NaN", &[]), "non-finite");
    assert_fails(
        d,
        &score("0.5", &["--what", "bogus"]),
        "invalid value 'bogus' for '--what",
    );
    assert_fails(d, &score("0.5", &["--process", "pbm"]), "drift or mean");
    std::fs::write(
        d.join("trunc-images-idx3-ubyte"),
        [0u8, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3],
    )
    .unwrap();
    assert_fails(
        d,
        &[
            "sample",
            "--data",
            "trunc-images-idx3-ubyte",
            "--out",
            "o.csv",
        ],
        "truncated IDX data",
    );
    std::fs::write(
        d.join("bad-images-idx3-ubyte.gz"),
        [0x1fu8, 0x8b, 8, 0, 0, 0],
    )
    .unwrap();
    assert_fails(
        d,
        &[
            "sample",
            "--data",
            "bad-images-idx3-ubyte.gz",
            "--out",
            "o.csv",
        ],
        "corrupt or truncated gzip stream",
    );
    std::fs::write(d.join("bad.toml"), "steps = \"many\"\n").unwrap();
    assert_fails(
        d,
        &["sample", "--config", "bad.toml", "--out", "o.csv"],
        "'many'",
    );
    assert_fails(
        d,
        &["sample", "--plot", "p.gif"],
        "--plot writes .png or .svg",
    );
    assert_fails(
        d,
        &["sample", "--process", "pbm", "--plot-trajectories", "p.png"],
        "reverse-time processes",
    );
    assert_fails(
        d,
        &["experiment", "pbm", "--plot", "p.svg"],
        "written as .png",
    );
    assert_fails(d, &["sample", "--no-such-flag"], "--no-such-flag");
    assert_fails(d, &["sample", "--steps", "many"], "'many'");
}
