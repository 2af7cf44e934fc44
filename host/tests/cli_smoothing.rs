//! End-to-end tests of the smoothed scores, the LED-KDE grid and the experiments, as a user runs
//! them.

mod common;

use common::smoothscore;
use std::process::Output;

fn report(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn memorized_percent(text: &str) -> f64 {
    let tail = text
        .split("memorized (d1/d2 < 1/3): ")
        .nth(1)
        .expect("a memorized figure");
    tail.split('%').next().unwrap().parse().unwrap()
}

#[test]
fn kernel_smoothed_sampling_memorizes_less_than_the_exact_score() {
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "sample",
        "--steps",
        "200",
        "--n-samples",
        "64",
        "--seed",
        "9",
    ];
    let exact = smoothscore(dir.path(), &common);
    assert!(exact.status.success(), "{}", report(&exact));
    let mut args = common.to_vec();
    args.extend([
        "--score",
        "kernel",
        "--bandwidth",
        "0.2",
        "--kernel-points",
        "16",
    ]);
    let smoothed = smoothscore(dir.path(), &args);
    let text = report(&smoothed);
    println!("{}{text}", report(&exact));
    assert!(smoothed.status.success(), "{text}");
    assert!(
        text.contains("kernel-smoothed score, h = 0.2 (Gauss–Hermite, 4 per axis, M = 16)"),
        "{text}"
    );
    assert!(memorized_percent(&text) < 0.5 * memorized_percent(&report(&exact)));
}

#[test]
fn chen_scores_run_on_collinear_data_and_refuse_other_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("line.csv"), "-1,-2\n0,0\n1,2\n2,4\n").unwrap();
    let ok = smoothscore(
        dir.path(),
        &[
            "sample",
            "--data",
            "line.csv",
            "--process",
            "brownian",
            "--horizon",
            "0.05",
            "--sampler",
            "heun",
            "--score",
            "smoothed-pl",
            "--kappa",
            "1",
            "--final",
            "state",
            "--t-min",
            "1e-4",
            "--steps",
            "200",
            "--n-samples",
            "64",
        ],
    );
    assert!(ok.status.success(), "{}", report(&ok));
    let bent = smoothscore(
        dir.path(),
        &[
            "sample",
            "--process",
            "brownian",
            "--score",
            "pl",
            "--n-samples",
            "4",
        ],
    );
    assert_eq!(bent.status.code(), Some(1));
    assert!(report(&bent).contains("collinear"), "{}", report(&bent));
    let wrong_process = smoothscore(
        dir.path(),
        &[
            "sample",
            "--data",
            "line.csv",
            "--score",
            "pl",
            "--n-samples",
            "4",
        ],
    );
    assert_eq!(wrong_process.status.code(), Some(1));
    assert!(report(&wrong_process).contains("--process brownian"));
}

#[test]
fn bad_smoothing_options_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["--bandwidth", "-1"],
            "--bandwidth must be a number ≥ 0",
        ),
        (
            vec![
                "--bandwidth",
                "0.1",
                "--kernel-rule",
                "gauss-hermite",
                "--kernel-points",
                "10",
            ],
            "n^2 (n ≤ 10 per axis) in d = 2",
        ),
        (
            vec![
                "--bandwidth",
                "0.1",
                "--kernel-rule",
                "quasi",
                "--kernel-points",
                "9",
            ],
            "even",
        ),
        (
            vec!["--bandwidth", "0.1", "--bandwidth-mode", "wide"],
            "--bandwidth-mode",
        ),
        (
            vec!["--bandwidth", "0.1", "--kernel-points", "0"],
            "--kernel-points",
        ),
    ] {
        let mut full = vec!["sample", "--score", "kernel", "--n-samples", "2"];
        full.extend(args);
        let output = smoothscore(dir.path(), &full);
        // 2: refused while parsing (a choice or a count out of range); 1: refused when run.
        assert!(
            matches!(output.status.code(), Some(1) | Some(2)),
            "{full:?}"
        );
        assert!(
            report(&output).contains(needle),
            "{full:?}: {}",
            report(&output)
        );
        assert!(
            !dir.path().join("samples.csv").exists(),
            "nothing written on error"
        );
    }
}

#[test]
fn density_grid_is_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &[
            "density",
            "--t",
            "0.05",
            "--process",
            "brownian",
            "--score",
            "kernel",
            "--bandwidth",
            "0.1",
            "--grid",
            "60",
            "--out",
            "grid.csv",
        ],
    );
    assert!(output.status.success(), "{}", report(&output));
    let text = std::fs::read_to_string(dir.path().join("grid.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3600);
    let dx = rows[60][0] - rows[0][0];
    let dy = rows[1][1] - rows[0][1];
    let mass: f64 = rows.iter().map(|r| r[2]).sum::<f64>() * dx * dy;
    // Normalised over R^d: the grid holds 1 minus the mass outside it, which the report bounds.
    let summary = report(&output);
    let outside: f64 = summary
        .split("mass outside the grid ≤ ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no bound in: {summary}"));
    assert!(outside < 0.02, "{summary}");
    assert!(mass <= 1.0 + 1e-3, "mass {mass}: {summary}");
    assert!(1.0 - mass <= outside + 2e-3, "mass {mass}: {summary}");
}

#[test]
fn interpolation_experiment_writes_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &[
            "experiment",
            "interpolation",
            "--dims",
            "2",
            "--n-samples",
            "64",
            "--steps",
            "100",
            "--kernel-points",
            "16",
            "--kappas",
            "1",
            "--t0s",
            "0.1",
            "--starts",
            "mixture",
            "--integrators",
            "heun",
            "--circle-points",
            "0",
            "--replicates",
            "1",
            "--out-dir",
            "out",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", report(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let endpoints = json["interpolation_endpoints"].as_array().unwrap();
    let fraction = |name: &str, column: &str| {
        endpoints
            .iter()
            .find(|row| row["score"] == name)
            .and_then(|row| row[column].as_f64())
            .unwrap()
    };
    // The exact score and the PL-ESF end on the points; the smoothed PL-ESF also fills the gaps.
    assert_eq!(fraction("exact", "near_point_fraction"), 1.0);
    assert_eq!(fraction("pl", "near_point_fraction"), 1.0);
    assert!(fraction("smoothed-pl", "in_gaps_fraction") > 0.1);
    assert!(
        fraction("kernel", "in_gaps_fraction") + fraction("kernel", "new_cluster_fraction") > 0.3
    );
    assert!(dir.path().join("out/interpolation_endpoints.csv").exists());
    assert!(dir.path().join("out/interpolation_histogram.csv").exists());
}

#[test]
fn memorization_experiment_falls_with_the_bandwidth() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &[
            "experiment",
            "memorization",
            "--datasets",
            "default",
            "--bandwidths",
            "0,0.3",
            "--n-samples",
            "48",
            "--steps",
            "100",
            "--replicates",
            "1",
            "--json",
            "--out-dir",
            "m",
        ],
    );
    assert!(output.status.success(), "{}", report(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = json["memorization"].as_array().unwrap();
    let memorized: Vec<f64> = rows
        .iter()
        .map(|r| r["memorized_fraction"].as_f64().unwrap())
        .collect();
    println!("memorized fraction at h = 0 and 0.3·spread: {memorized:?}");
    assert!(memorized[0] > 0.9 && memorized[1] < 0.3, "{memorized:?}");
    for key in [
        "mean_distance_to_held_out",
        "train_distance_to_held_out",
        "mmd_to_held_out",
    ] {
        assert!(rows[1][key].is_number(), "{key}");
    }
}

#[test]
fn data_generate_describe_and_eval_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = smoothscore(dir.path(), args);
        assert!(output.status.success(), "{args:?}: {}", report(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(&[
        "data",
        "generate",
        "gmm-ring",
        "--n",
        "300",
        "--out",
        "train.csv",
    ]);
    run(&[
        "data", "generate", "gmm-ring", "--n", "300", "--seed", "5", "--out", "test.npy",
    ]);
    let described = run(&["data", "describe", "train.csv"]);
    assert!(described.contains("N = 300, d = 2"), "{described}");
    run(&[
        "sample",
        "--data",
        "train.csv",
        "--n-samples",
        "64",
        "--steps",
        "100",
        "--out",
        "s.csv",
    ]);
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "eval",
        "--samples",
        "s.csv",
        "--train",
        "train.csv",
        "--test",
        "test.npy",
        "--json",
    ]))
    .unwrap();
    for key in [
        "memorized_fraction",
        "mmd",
        "energy_distance",
        "sliced_wasserstein",
        "mean_distance_to_test",
    ] {
        assert!(json[key].is_number(), "{key}: {json}");
    }
    assert!(json["memorized_fraction"].as_f64().unwrap() > 0.5);
    std::fs::write(dir.path().join("wide.csv"), "1,2,3\n4,5,6\n").unwrap();
    let wrong = smoothscore(
        dir.path(),
        &["eval", "--samples", "wide.csv", "--train", "train.csv"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        report(&wrong).contains("d = 3 but the training set has d = 2"),
        "{}",
        report(&wrong)
    );
    let unknown = smoothscore(
        dir.path(),
        &["data", "generate", "spiral", "--out", "x.csv"],
    );
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "a data set is a choice: clap refuses it"
    );
    assert!(!dir.path().join("x.csv").exists());
}

/// Gabriel et al.: the empirical score's variance blows up as t → 0 while its spatial
/// correlation falls (the covariance spreads over more directions); at large t the covariance's
/// top axes are the data's principal axes. Kernel smoothing lowers the variance.
#[test]
fn variance_experiment_shows_the_small_time_blow_up_and_the_pca_alignment() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &[
            "experiment",
            "variance",
            "--times",
            "0.01,0.1,1",
            "--bandwidths",
            "0,0.3",
            "--queries",
            "96",
            "--resamples",
            "16",
            "--replicates",
            "1",
            "--json",
            "--out-dir",
            "v",
        ],
    );
    assert!(output.status.success(), "{}", report(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = json["variance_bias"].as_array().unwrap();
    let pick = |t: f64, h: f64, key: &str| {
        rows.iter()
            .find(|r| {
                r["dataset"] == "gaussian"
                    && (r["t"].as_f64().unwrap() - t).abs() < 1e-6
                    && (r["bandwidth"].as_f64().unwrap() - h).abs() < 1e-6
            })
            .and_then(|r| r[key].as_f64())
            .unwrap()
    };
    for t in [0.01, 0.1, 1.0] {
        println!(
            "gaussian t = {t}: exact bias² {:.4}, variance {:.4}; h = 0.3 variance {:.4}",
            pick(t, 0.0, "bias_squared"),
            pick(t, 0.0, "variance"),
            pick(t, 0.3, "variance")
        );
    }
    assert!(pick(0.01, 0.0, "variance") > 10.0 * pick(0.1, 0.0, "variance"));
    assert!(pick(0.1, 0.0, "variance") > 10.0 * pick(1.0, 0.0, "variance"));
    assert!(pick(0.01, 0.0, "variance") > pick(0.01, 0.0, "bias_squared"));
    assert!(pick(0.01, 0.3, "variance") < 0.6 * pick(0.01, 0.0, "variance"));
    let pca = json["variance_pca"].as_array().unwrap();
    for row in pca {
        println!("{row}");
    }
    let share = |i: usize| pca[i]["top2_variance_share"].as_f64().unwrap();
    assert!(pca[2]["angle_to_data_pca_degrees"].as_f64().unwrap() < 40.0);
    assert!(share(0) < share(2), "the covariance spreads out at small t");
}
