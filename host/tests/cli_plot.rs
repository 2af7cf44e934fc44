//! Plots, manifests, reproduce, config files and JSON reports, end to end as a user runs them.

use std::path::Path;
mod common;

use common::smoothscore;
use std::process::Output;

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Decodes a PNG: (width, height, RGB(A) bytes).
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("the PNG exists"));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("PNG pixels");
    buffer.truncate(info.buffer_size());
    (info.width, info.height, buffer)
}

fn pixel_variance(bytes: &[u8]) -> f64 {
    let n = bytes.len() as f64;
    let mean = bytes.iter().map(|&b| f64::from(b)).sum::<f64>() / n;
    bytes
        .iter()
        .map(|&b| (f64::from(b) - mean).powi(2))
        .sum::<f64>()
        / n
}

#[test]
fn sample_plot_is_a_png_of_the_expected_size_that_is_not_blank_and_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&smoothscore(
        dir.path(),
        &[
            "sample",
            "--n-samples",
            "64",
            "--steps",
            "50",
            "--seed",
            "3",
            "--plot",
            "samples.png",
            "--plot-trajectories",
            "paths.png",
        ],
    ));
    assert!(out.contains("wrote 64 samples"), "{out}");
    let (width, height, pixels) = decode(&dir.path().join("samples.png"));
    assert_eq!((width, height), (800, 800));
    assert!(pixel_variance(&pixels) > 0.0, "the scatter is not blank");
    let (width, height, pixels) = decode(&dir.path().join("paths.png"));
    assert_eq!((width, height), (800, 800));
    assert!(pixel_variance(&pixels) > 0.0);
    let report = stdout(&smoothscore(
        dir.path(),
        &["reproduce", "samples.csv.manifest.json"],
    ));
    assert!(
        report.contains("bit match: 3/3 outputs identical"),
        "{report}"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("samples.csv.manifest.json")).unwrap(),
    )
    .unwrap();
    let outputs = manifest["outputs"].as_array().unwrap();
    assert!(outputs
        .iter()
        .any(|o| o["flag"] == "--plot" && o["sha256"].as_str().is_some_and(|s| s.len() == 64)));
    assert_eq!(manifest["seed"], 3);
}

#[test]
fn a_plot_whose_bits_changed_is_reported_as_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&smoothscore(
        dir.path(),
        &[
            "sample",
            "--n-samples",
            "8",
            "--steps",
            "20",
            "--plot",
            "s.png",
        ],
    ));
    // As if another build had drawn other bits: the recorded sha256 of the plot changes.
    let path = dir.path().join("samples.csv.manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["outputs"][1]["sha256"] = serde_json::Value::from("0".repeat(64));
    std::fs::write(&path, manifest.to_string()).unwrap();
    let output = smoothscore(dir.path(), &["reproduce", "samples.csv.manifest.json"]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("bits differ: 1 of 2 outputs (s.png)"),
        "{error}"
    );
}

#[test]
fn mnist_sample_plot_is_an_image_grid() {
    let dir = tempfile::tempdir().unwrap();
    let images =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mnist/train-images-idx3-ubyte.gz");
    stdout(&smoothscore(
        dir.path(),
        &[
            "sample",
            "--data",
            images.to_str().unwrap(),
            "--n-samples",
            "4",
            "--steps",
            "30",
            "--out",
            "s.npy",
            "--plot",
            "grid.png",
        ],
    ));
    let (width, height, pixels) = decode(&dir.path().join("grid.png"));
    assert!(width > height && height > 28, "{width}×{height}");
    assert!(pixel_variance(&pixels) > 100.0, "digits drawn");
}

#[test]
fn experiment_plot_and_folder_manifest_reproduce() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&smoothscore(
        dir.path(),
        &[
            "experiment",
            "memorization",
            "--datasets",
            "default",
            "--bandwidths",
            "0,0.3",
            "--n-samples",
            "16",
            "--steps",
            "40",
            "--out-dir",
            "tables",
            "--plot",
            "curve.png",
        ],
    ));
    assert!(out.contains("tables/manifest.json"), "{out}");
    let (width, height, pixels) = decode(&dir.path().join("curve.png"));
    assert_eq!((width, height), (900, 600));
    assert!(pixel_variance(&pixels) > 0.0);
    let report = stdout(&smoothscore(
        dir.path(),
        &["reproduce", "tables/manifest.json", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(json["bit_match"], true, "{report}");
}

#[test]
fn plot_with_an_unknown_extension_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(dir.path(), &["sample", "--plot", "samples.jpg"]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--plot writes .png or .svg"), "{error}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}

#[test]
fn config_file_options_apply_and_command_line_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("run.toml"),
        "command = \"sample\"\nn-samples = 12\nsteps = 30\nseed = 5\nout = \"from-config.csv\"\n",
    )
    .unwrap();
    stdout(&smoothscore(
        dir.path(),
        &["--config", "run.toml", "--seed", "6"],
    ));
    stdout(&smoothscore(
        dir.path(),
        &[
            "sample",
            "--n-samples",
            "12",
            "--steps",
            "30",
            "--seed",
            "6",
            "--out",
            "explicit.csv",
        ],
    ));
    let from_config = std::fs::read(dir.path().join("from-config.csv")).unwrap();
    assert_eq!(
        from_config,
        std::fs::read(dir.path().join("explicit.csv")).unwrap()
    );
    assert_eq!(String::from_utf8_lossy(&from_config).lines().count(), 12);
    let output = smoothscore(dir.path(), &["sample", "--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(2));
    std::fs::write(dir.path().join("bad.toml"), "stepz = 3\n").unwrap();
    let output = smoothscore(dir.path(), &["sample", "--config", "bad.toml"]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("unknown option 'stepz'"), "{error}");
}

#[test]
fn shipped_example_configs_parse_for_their_commands() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            use clap::CommandFactory;
            let args = smoothscore::io::config::expand(
                vec![
                    "smoothscore".into(),
                    "--config".into(),
                    path.display().to_string(),
                ],
                &smoothscore::cli::Cli::command(),
            )
            .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            use clap::Parser;
            smoothscore::cli::Cli::try_parse_from(&args)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 5, "an example per experiment and for sample");
}

#[test]
fn every_report_is_json_with_json_and_no_progress_bar_reaches_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 6] = [
        &["sample", "--n-samples", "8", "--steps", "20", "--json"],
        &["density", "--t", "0.1", "--grid", "16", "--json"],
        &["data", "list", "--json"],
        &[
            "data", "generate", "gmm-ring", "--n", "32", "--out", "g.csv", "--json",
        ],
        &["data", "describe", "g.csv", "--json"],
        &["reproduce", "samples.csv.manifest.json", "--json"],
    ];
    for args in runs {
        let output = smoothscore(dir.path(), args);
        let text = stdout(&output);
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"));
        assert!(output.stderr.is_empty(), "{args:?} printed to stderr");
    }
}
