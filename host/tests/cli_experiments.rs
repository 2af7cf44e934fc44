//! Every experiment, run small with two replicates: its tables have the key columns, and every
//! metric its 95 % interval columns with low ≤ mean ≤ high.

mod common;

use common::{experiment_tables, interval_rows, smoothscore};
use serde_json::Value;

/// Runs `experiment NAME ARGS --replicates 2 --json`; returns the tables.
fn run(name: &str, args: &[&str]) -> serde_json::Map<String, Value> {
    experiment_tables(name, args)
}

/// Checks table `name` ([`common::interval_rows`]) and that some metric has a numeric interval.
fn check(
    tables: &serde_json::Map<String, Value>,
    name: &str,
    keys: &[&str],
    metrics: &[&str],
    rows: usize,
) {
    let (_, intervals) = interval_rows(tables, name, keys, metrics, rows);
    assert!(intervals > 0, "{name}: some metric has a numeric interval");
}

#[test]
fn memorization_reports_intervals_for_every_metric() {
    let tables = run(
        "memorization",
        &[
            "--datasets",
            "default",
            "--bandwidths",
            "0,0.3",
            "--n-samples",
            "24",
            "--steps",
            "40",
        ],
    );
    let metrics = [
        "memorized_fraction",
        "near_copy_fraction",
        "train_spacing",
        "precision",
        "recall",
        "held_out_distance_to_samples",
        "mmd_to_held_out",
    ];
    check(
        &tables,
        "memorization",
        &["dataset", "bandwidth", "epsilon"],
        &metrics,
        2,
    );
}

#[test]
fn pbm_reports_intervals_for_every_metric() {
    let tables = run(
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
    check(
        &tables,
        "pbm",
        &["dataset", "process", "score"],
        &[
            "memorized_fraction",
            "near_copy_fraction",
            "recall",
            "mmd_to_held_out",
        ],
        4,
    );
}

#[test]
fn interpolation_reports_placements_histograms_and_ks_with_intervals() {
    let tables = run(
        "interpolation",
        &[
            "--dims",
            "2",
            "--n-samples",
            "48",
            "--steps",
            "60",
            "--kernel-points",
            "16",
            "--kappas",
            "1",
            "--t0s",
            "0.1",
            "--starts",
            "mixture,prior",
            "--integrators",
            "heun,em",
            "--bins",
            "9",
            "--circle-points",
            "6",
        ],
    );
    // Per (start, integrator): exact, pl, smoothed-pl, kernel; + a noise-floor row per start (heun).
    check(
        &tables,
        "interpolation_endpoints",
        &["dim", "start", "t0", "integrator", "score", "kappa"],
        &[
            "near_point_fraction",
            "in_gaps_fraction",
            "new_cluster_fraction",
            "tangential_spread",
        ],
        2 * 2 * 4 + 2,
    );
    check(
        &tables,
        "interpolation_histogram",
        &["score", "bin_low", "bin_high"],
        &["mass"],
        2 * 2 * 4 * 9,
    );
    check(
        &tables,
        "interpolation_over_time",
        &["score", "t"],
        &["tangential_spread"],
        4 * 5,
    );
    check(
        &tables,
        "interpolation_circle",
        &["score", "integrator"],
        &["near_point_fraction", "mean_distance_off_circle"],
        2 * 2,
    );
    let endpoints = tables["interpolation_endpoints"].as_array().unwrap();
    let ks_rows = endpoints
        .iter()
        .filter(|r| r["ks_to_flow_map_law"].is_number())
        .count();
    assert_eq!(
        ks_rows,
        2 * 3,
        "pl, smoothed-pl and the noise floor under the ODE, per start"
    );
}

#[test]
fn variance_reports_intervals_for_every_metric() {
    let tables = run(
        "variance",
        &[
            "--times",
            "0.1,1",
            "--bandwidths",
            "0,0.3",
            "--queries",
            "16",
            "--resamples",
            "4",
            "--n-train",
            "16",
        ],
    );
    check(
        &tables,
        "variance_bias",
        &["dataset", "t", "bandwidth"],
        &["bias_squared", "variance", "mse"],
        2 * 2 * 2,
    );
    check(
        &tables,
        "variance_pca",
        &["t"],
        &["angle_to_data_pca_degrees"],
        2,
    );
    check(
        &tables,
        "variance_more_data",
        &["dataset", "t"],
        &["mse_smoothed_n", "mse_exact_4n"],
        2 * 2,
    );
}

#[test]
fn density_reports_kl_optimum_and_rates_with_intervals() {
    let tables = run(
        "density",
        &[
            "--datasets",
            "gaussian",
            "--n-trains",
            "8,32",
            "--bandwidths",
            "0,0.3",
            "--t",
            "0.05",
            "--held-out",
            "64",
            "--kernel-points",
            "4",
            "--max-grid",
            "60",
        ],
    );
    check(
        &tables,
        "density_kl",
        &["dataset", "n_train", "bandwidth"],
        &["kl", "held_out_nll", "truncation_bound"],
        4,
    );
    check(
        &tables,
        "density_optimum",
        &["dataset", "n_train"],
        &[
            "optimal_bandwidth",
            "kl_at_optimum",
            "kl_unsmoothed",
            "kl_gain",
        ],
        2,
    );
    // The gain is paired within each replicate's sweep (h = 0 is in it): never negative.
    for row in tables["density_optimum"].as_array().unwrap() {
        let gain = row["kl_gain"].as_f64().unwrap();
        let low = row["kl_gain_ci95_low"].as_f64().unwrap();
        let (star, zero) = (
            row["kl_at_optimum"].as_f64().unwrap(),
            row["kl_unsmoothed"].as_f64().unwrap(),
        );
        assert!(
            gain >= 0.0 && (gain - (zero - star)).abs() < 1e-9 * zero.abs().max(1.0),
            "{row}"
        );
        assert!(low.is_finite(), "{row}");
    }
    check(
        &tables,
        "density_rate",
        &["dataset"],
        &["unsmoothed_kl_rate"],
        1,
    );
}

#[test]
fn zero_replicates_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = smoothscore(dir.path(), &["experiment", "variance", "--replicates", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("experiments").exists());
}
