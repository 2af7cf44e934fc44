//! `smoothscore eval`: every sample-quality metric of a samples file against the training set and
//! optionally a held-out test set, as a table or JSON (snake_case keys).

use crate::io::formats::read_matrix;
use crate::matrix::MatrixView;
use crate::metrics::distances::{energy_distance, knn_kl, mmd_rbf, sliced_wasserstein};
use crate::metrics::memorization::{median, memorization, DEFAULT_EPSILON};
use crate::metrics::recall::{knn_precision_recall, mean_nearest_distance, DEFAULT_K};
use crate::metrics::two_nearest_each;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// `smoothscore eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Samples (.csv, .npy or IDX).
    #[arg(long)]
    pub samples: PathBuf,
    /// Training set.
    #[arg(long)]
    pub train: PathBuf,
    /// Held-out test set (or draws of the true law) for the distribution distances.
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// The metrics' parameters.
    #[command(flatten)]
    pub options: EvalOptions,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The parameters of the metrics (the `eval` options besides its files).
#[derive(Clone, Debug, Args)]
pub struct EvalOptions {
    /// Radius of the "within r of a training point" fraction (≥ 0).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true, value_parser = crate::io::limits::non_negative)]
    pub radius: f64,
    /// Random projections of the sliced Wasserstein distance.
    #[arg(long, default_value_t = 128, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub projections: usize,
    /// Seed of the projections.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// ε of the memorization tolerance τ = ε·(median nearest-neighbour spacing of the training
    /// set) (see --help).
    #[arg(long, default_value_t = DEFAULT_EPSILON, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
    /// k of the k-nearest-neighbour precision and recall (with --test).
    #[arg(long, default_value_t = DEFAULT_K, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub knn_k: usize,
}

/// Mean leave-one-out nearest-neighbour distance within `train` (summed in row order).
fn train_nearest_distance(train: MatrixView<'_>) -> f64 {
    let total: f64 = two_nearest_each(train, train)
        .iter()
        .map(|pair| pair.1)
        .sum();
    total / train.rows().max(1) as f64
}

fn check_dims(name: &str, matrix: MatrixView<'_>, dim: usize) -> Result<()> {
    if matrix.cols() != dim {
        bail!(
            "{name} has d = {} but the training set has d = {dim}",
            matrix.cols()
        );
    }
    Ok(())
}

/// The metrics of `samples` against the training set `train` (and the held-out `test`, for
/// the distribution distances and the k-NN precision and recall), as an ordered JSON object
/// keyed as `eval --json` prints it.
///
/// ```
/// use smoothscore::commands::eval::{metrics, EvalOptions};
/// use smoothscore::commands::options::parse_options;
/// let train = smoothscore::data::builtin::default_2d().unwrap();
/// let options: EvalOptions = parse_options("eval", &[]).unwrap();
/// // The training set itself as samples: every sample is a copy.
/// let report = metrics(train.view(), train.view(), None, &options).unwrap();
/// assert_eq!(report["n_samples"], 64);
/// assert_eq!(report["memorized_fraction"], 1.0);
/// ```
pub fn metrics(
    samples: MatrixView<'_>,
    train: MatrixView<'_>,
    test: Option<MatrixView<'_>>,
    args: &EvalOptions,
) -> Result<Map<String, Value>> {
    let dim = train.cols();
    check_dims("the samples file", samples, dim)?;
    let measured = memorization(train, samples, args.epsilon);
    let mut nearest = measured.nearest.clone();
    let within =
        nearest.iter().filter(|d| **d <= args.radius).count() as f64 / nearest.len().max(1) as f64;
    let mut out = Map::new();
    out.insert("n_samples".into(), json!(samples.rows()));
    out.insert("n_train".into(), json!(train.rows()));
    out.insert("dim".into(), json!(dim));
    out.insert("memorized_fraction".into(), json!(measured.ratio_fraction));
    out.insert(
        "near_copy_fraction".into(),
        json!(measured.near_copy_fraction),
    );
    out.insert("epsilon".into(), json!(measured.epsilon));
    out.insert("train_spacing".into(), json!(measured.spacing));
    out.insert("memorization_tolerance".into(), json!(measured.tolerance));
    out.insert("within_radius_fraction".into(), json!(within));
    out.insert("radius".into(), json!(args.radius));
    out.insert(
        "median_distance_to_train".into(),
        json!(median(&mut nearest)),
    );
    out.insert(
        "mean_distance_to_train".into(),
        json!(mean_nearest_distance(samples, train)),
    );
    if train.rows() >= 2 {
        out.insert(
            "train_nearest_neighbour_distance".into(),
            json!(train_nearest_distance(train)),
        );
    }
    if let Some(test) = test {
        check_dims("the test file", test, dim)?;
        out.insert("n_test".into(), json!(test.rows()));
        out.insert(
            "mean_distance_to_test".into(),
            json!(mean_nearest_distance(samples, test)),
        );
        out.insert(
            "test_distance_to_samples".into(),
            json!(mean_nearest_distance(test, samples)),
        );
        out.insert(
            "train_distance_to_test".into(),
            json!(mean_nearest_distance(train, test)),
        );
        match knn_precision_recall(test, samples, args.knn_k) {
            Ok(pr) => {
                out.insert("precision".into(), json!(pr.precision));
                out.insert("recall".into(), json!(pr.recall));
            }
            Err(_) => {
                out.insert("precision".into(), Value::Null);
                out.insert("recall".into(), Value::Null);
            }
        }
        out.insert("mmd".into(), json!(mmd_rbf(samples, test)?));
        out.insert(
            "energy_distance".into(),
            json!(energy_distance(samples, test)?),
        );
        out.insert(
            "sliced_wasserstein".into(),
            json!(sliced_wasserstein(
                samples,
                test,
                args.projections,
                args.seed
            )?),
        );
        if dim <= 2 {
            let kl = knn_kl(samples, test).map_or(Value::Null, |v| json!(v));
            out.insert("kl".into(), kl);
        }
    }
    Ok(out)
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<String> {
    let samples = read_matrix(&args.samples)?;
    let train = read_matrix(&args.train)?;
    let test = args.test.as_deref().map(read_matrix).transpose()?;
    let values = metrics(
        samples.view(),
        train.view(),
        test.as_ref().map(|test| test.view()),
        &args.options,
    )?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&Value::Object(values))?);
    }
    let width = values.keys().map(String::len).max().unwrap_or(0);
    Ok(values
        .iter()
        .map(|(key, value)| match value.as_f64() {
            Some(number) if value.is_f64() => format!("{key:<width$}  {number:.6}"),
            _ => format!("{key:<width$}  {value}"),
        })
        .collect::<Vec<_>>()
        .join("\n"))
}
