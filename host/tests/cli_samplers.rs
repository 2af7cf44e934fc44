//! End to end: every sampler through the `smoothscore` binary, its refusals, and reports that
//! name the sampler, grid, prior and kernel rule (with its M) a run actually used.

mod common;

use common::smoothscore;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `args`, asserts success, returns stdout parsed as JSON.
fn json_run(dir: &Path, args: &[&str]) -> Value {
    let output = smoothscore(dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Asserts `args` fails with one line containing `needle` and leaves no file in `dir`.
fn assert_refused(dir: &Path, args: &[&str], needle: &str) {
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let output = smoothscore(dir, args);
    let message = stderr(&output);
    assert!(!output.status.success(), "{args:?} should fail");
    assert_eq!(message.trim_end().lines().count(), 1, "{args:?}: {message}");
    assert!(
        message.contains(needle),
        "{args:?}: '{needle}' not in {message}"
    );
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before.len(), after.len(), "{args:?} left a file");
}

const SAMPLERS: [&[&str]; 8] = [
    &["--sampler", "em"],
    &["--sampler", "euler"],
    &["--sampler", "heun"],
    &["--sampler", "ddim"],
    &["--sampler", "ddim", "--eta", "1"],
    &["--sampler", "dpmpp-2m"],
    &["--sampler", "edm"],
    &[
        "--sampler",
        "edm",
        "--churn",
        "10",
        "--s-noise",
        "1.003",
        "--s-tmin",
        "0.05",
        "--s-tmax",
        "50",
    ],
];

#[test]
fn every_sampler_runs_on_every_reverse_process_and_says_what_it_used() {
    let dir = tempfile::tempdir().unwrap();
    let processes: [(&[&str], &str, &str); 5] = [
        (&["--process", "vp"], "geometric", "standard"),
        (
            &["--process", "vp", "--schedule", "cosine"],
            "karras (ρ = 7)",
            "standard",
        ),
        (&["--process", "ou"], "geometric", "standard"),
        (&["--process", "ve"], "karras (ρ = 7)", "moment-matched"),
        (&["--process", "brownian"], "geometric", "moment-matched"),
    ];
    for (process, grid, prior) in processes {
        for sampler in SAMPLERS {
            let mut args = vec!["sample", "--n-samples", "8", "--steps", "20", "--json"];
            args.extend(process);
            args.extend(sampler);
            args.extend(["--out", "s.npy"]);
            if process == ["--process", "ve"] && sampler == ["--sampler", "euler"] {
                // Refused (check_pairing): see nonsense_combinations_are_refused_in_one_line.
                continue;
            }
            let report = json_run(dir.path(), &args);
            assert_eq!(report["sampler"], sampler[1], "{args:?}");
            let grid = if sampler[1] == "ddim" || sampler.contains(&"--churn") {
                "cosine (σ_d = 0.5)"
            } else {
                grid
            };
            assert_eq!(report["grid"], grid, "{args:?}");
            assert_eq!(report["prior"], prior, "{args:?}");
            let integrator = report["integrator"].as_str().unwrap();
            if sampler.contains(&"--eta") {
                assert_eq!(integrator, "ddim (η = 1)");
            }
            if sampler.contains(&"--churn") {
                assert!(integrator.contains("S_churn = 10"), "{integrator}");
            }
            assert_eq!(report["samples_written"], 8);
        }
    }
}

#[test]
fn the_new_samplers_run_on_smoothed_and_line_scores_and_shards_match() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("line.csv"), "0,0\n1,1\n2,2\n3,3\n").unwrap();
    for sampler in ["ddim", "dpmpp-2m", "edm"] {
        let kernel = json_run(
            dir.path(),
            &[
                "sample",
                "--sampler",
                sampler,
                "--n-samples",
                "8",
                "--steps",
                "10",
                "--score",
                "kernel",
                "--bandwidth",
                "0.1",
                "--json",
                "--out",
                "k.csv",
            ],
        );
        assert!(
            kernel["score"].as_str().unwrap().contains("M = 64"),
            "{kernel}"
        );
        let line = smoothscore(
            dir.path(),
            &[
                "sample",
                "--data",
                "line.csv",
                "--process",
                "brownian",
                "--score",
                "smoothed-pl",
                "--sampler",
                sampler,
                "--n-samples",
                "8",
                "--steps",
                "10",
                "--out",
                "l.csv",
            ],
        );
        assert!(line.status.success(), "{sampler}: {}", stderr(&line));
    }
    // Lockstep and sample by sample agree: the second half of a run is its shard 1/2.
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "sample",
            "--sampler",
            "dpmpp-2m",
            "--n-samples",
            "16",
            "--steps",
            "15",
            "--out",
            out,
        ];
        args.extend(extra);
        let output = smoothscore(dir.path(), &args);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read_to_string(dir.path().join(out)).unwrap()
    };
    let all = run(&[], "all.csv");
    let second = run(&["--shard", "1/2"], "half.csv");
    let tail: Vec<&str> = all.lines().skip(8).collect();
    assert_eq!(tail, second.lines().collect::<Vec<_>>());
}

#[test]
fn the_text_report_and_the_manifest_name_sampler_grid_prior_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(
        dir.path(),
        &[
            "sample",
            "--process",
            "ve",
            "--sampler",
            "ddim",
            "--eta",
            "0.5",
            "--n-samples",
            "8",
            "--steps",
            "20",
            "--score",
            "kernel",
            "--bandwidth",
            "0.05",
            "--kernel-points",
            "256",
            "--out",
            "s.csv",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout(&output);
    for needle in [
        "ddim (η = 0.5)",
        "grid cosine (σ_d = 0.5)",
        "prior moment-matched",
        "Gauss–Hermite, 10 per axis, M = 100",
    ] {
        assert!(report.contains(needle), "'{needle}' not in {report}");
    }
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("s.csv.manifest.json")).unwrap(),
    )
    .unwrap();
    let summary = &manifest["summary"];
    assert_eq!(summary["sampler"], "ddim");
    assert_eq!(summary["grid"], "cosine (σ_d = 0.5)");
    assert_eq!(summary["prior"], "moment-matched");
    assert_eq!(summary["kernel_rule"], "gauss-hermite");
    assert_eq!(summary["kernel_points"], 100);
}

#[test]
fn score_reports_name_the_kernel_rule_and_the_points_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), "0,0,0,0\n1,0,0,1\n0,1,1,0\n").unwrap();
    let base = [
        "score",
        "--data",
        "d.csv",
        "--queries",
        "d.csv",
        "--t",
        "0.3",
        "--score",
        "kernel",
        "--bandwidth",
        "0.1",
        "--out",
        "s.csv",
    ];
    let mut args = base.to_vec();
    args.extend(["--kernel-points", "7", "--json"]);
    let report = json_run(dir.path(), &args);
    assert_eq!(report["kernel_rule"], "quasi", "{report}");
    assert_eq!(
        report["kernel_points"], 8,
        "d = 4: auto is quasi-random, M rounded to pairs"
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("s.csv.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["summary"]["kernel_points"], 8);
    let text = stdout(&smoothscore(dir.path(), &base));
    assert!(text.contains("quasi-random, M = 64"), "{text}");
}

#[test]
fn nonsense_combinations_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = |extra: &[&str]| {
        let mut args = vec![
            "sample",
            "--n-samples",
            "4",
            "--steps",
            "5",
            "--out",
            "o.csv",
        ];
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let cases: [(&[&str], &str); 14] = [
        (
            &["--process", "ve", "--sampler", "euler"],
            "--sampler euler does not sample ve",
        ),
        (
            &["--process", "ve", "--sampler", "euler", "--grid", "uniform"],
            "use --sampler ddim (Euler in σ) or heun",
        ),
        (
            &["--process", "pbm", "--sampler", "ddim"],
            "ddim does not apply to the pinned Brownian motion",
        ),
        (&["--process", "pbm", "--sampler", "heun"], "Euler–Maruyama"),
        (&["--process", "pbm", "--grid", "karras"], "--grid karras"),
        (&["--process", "pbm", "--grid", "cosine"], "--grid cosine"),
        (&["--process", "pbm", "--prior", "standard"], "X_0 = 0"),
        (
            &["--sampler", "euler", "--eta", "0.5"],
            "--eta is DDIM's parameter",
        ),
        (
            &["--sampler", "ddim", "--churn", "1"],
            "--churn is EDM's parameter",
        ),
        (
            &["--sampler", "ddim", "--eta", "2"],
            "--eta must be in [0, 1], got 2",
        ),
        (
            &["--sampler", "edm", "--churn", "-1"],
            "--churn must be a number ≥ 0",
        ),
        (
            &["--sampler", "edm", "--s-tmin", "2", "--s-tmax", "1"],
            "--s-tmax must be ≥ --s-tmin",
        ),
        (
            &["--grid", "karras", "--rho", "0.5"],
            "--rho must be a number ≥ 1",
        ),
        (
            &[
                "--score",
                "kernel",
                "--bandwidth",
                "0.1",
                "--kernel-rule",
                "gauss-hermite",
                "--kernel-points",
                "256",
            ],
            "gauss-hermite has at most 10 points per axis, M ≤ 100 in d = 2",
        ),
    ];
    for (extra, needle) in cases {
        let args = sample(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(d, &args, needle);
    }
    let args = sample(&[
        "--score",
        "kernel",
        "--kernel-rule",
        "gauss-hermite",
        "--kernel-points",
        "50",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_refused(d, &args, "gauss-hermite needs --kernel-points = n^2");
}

#[test]
fn density_is_normalised_over_the_plane_and_log_density_stays_finite() {
    let dir = tempfile::tempdir().unwrap();
    let report = json_run(
        dir.path(),
        &[
            "density", "--t", "0.01", "--grid", "60", "--json", "--out", "d.csv",
        ],
    );
    assert_eq!(report["normalised_over"], "R^d");
    assert_eq!(report["outside_mass_is"], "exact");
    let outside = report["outside_mass"].as_f64().unwrap();
    assert!((0.0..1e-3).contains(&outside), "{report}");
    let log_report = json_run(
        dir.path(),
        &[
            "density", "--t", "0.001", "--grid", "40", "--margin", "3", "--log", "--json", "--out",
            "l.csv",
        ],
    );
    assert_eq!(log_report["written"], "log-density");
    let text = std::fs::read_to_string(dir.path().join("l.csv")).unwrap();
    let logs: Vec<f64> = text
        .lines()
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(logs.len(), 1600);
    assert!(
        logs.iter().all(|v| v.is_finite()),
        "a log-density is not finite"
    );
    assert!(
        logs.iter().any(|&v| v < -200.0),
        "far from the data the density underflows f32, its log must not"
    );
    let smoothed = json_run(
        dir.path(),
        &[
            "density",
            "--t",
            "0.05",
            "--grid",
            "40",
            "--score",
            "kernel",
            "--bandwidth",
            "0.1",
            "--json",
            "--out",
            "k.csv",
        ],
    );
    assert_eq!(smoothed["outside_mass_is"], "upper bound");
    assert_eq!(smoothed["kernel_points"], 64);
}
