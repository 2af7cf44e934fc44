//! `smoothscore score`: a core quantity (score, weights, posterior mean, noise prediction,
//! drift) at time t for every query row, written as a matrix.

use crate::io::formats::{read_matrix, write_matrix, Format};
use crate::manifest::{PathFlag, PathValue::Required};
use crate::matrix::{Matrix, MatrixView};
use crate::sampling::evaluate::{evaluate, Quantity};
use crate::sampling::process_spec::{describe, ProcessArgs};
use crate::sampling::score_spec::{self, ScoreChoiceArgs};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// `smoothscore score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Training set (.csv, .tsv, .npy or MNIST IDX [.gz], N×d); with --score net only its
    /// dimension is used.
    #[arg(long)]
    pub data: PathBuf,
    /// Query points (.csv, .tsv, .npy or IDX [.gz], B×d).
    #[arg(long)]
    pub queries: PathBuf,
    /// Time t.
    #[arg(long, allow_negative_numbers = true)]
    pub t: f32,
    /// What to evaluate, under which process.
    #[command(flatten)]
    pub options: ScoreOptions,
    /// Output file (.csv or .npy).
    #[arg(long)]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The `score` options besides its files and t: the quantity, the process, the score.
#[derive(Clone, Debug, Args)]
pub struct ScoreOptions {
    /// The forward process.
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Quantity.
    #[arg(long, value_enum, default_value_t = Quantity::Score)]
    pub what: Quantity,
    /// The score (for --what score).
    #[command(flatten)]
    pub score: ScoreChoiceArgs,
    /// Worker threads (0: all cores). The output does not depend on it.
    #[arg(long, default_value_t = 0, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
}

/// The `score` command's computation on matrices in memory: `options.what` at time `t` for every
/// row of `queries`, with `data` as the training set (both borrowed, no copy).
///
/// ```
/// use smoothscore::commands::score::{score_queries, ScoreOptions};
/// use smoothscore::matrix::MatrixView;
/// use smoothscore::commands::options::parse_options;
/// let options: ScoreOptions = parse_options("score", &[("what".into(), Some("mean".into()))]).unwrap();
/// let data = [0.0f32, 0.0, 1.0, 1.0];
/// let data = MatrixView::new(2, 2, &data).unwrap();
/// let mean = score_queries(data, data, 1e-3, &options).unwrap();
/// // At small t each training point is its own posterior mean.
/// assert!((mean.values()[2] - 1.0).abs() < 1e-6);
/// ```
pub fn score_queries(
    data: MatrixView<'_>,
    queries: MatrixView<'_>,
    t: f32,
    options: &ScoreOptions,
) -> Result<Matrix> {
    let quantity = options.what;
    let spec = options.process.resolve()?;
    let score = options.score.resolve(data.cols())?;
    evaluate(data, queries, &spec, &score, t, quantity, options.threads)
}

impl ScoreArgs {
    /// The path-valued flags (for manifests and `reproduce`).
    pub fn path_flags(&mut self) -> Vec<PathFlag<'_>> {
        vec![
            PathFlag::input("--data", Required(&mut self.data)),
            PathFlag::input("--queries", Required(&mut self.queries)),
            PathFlag::output("--out", Required(&mut self.out)),
            self.options.score.path_flag(),
        ]
    }
}

/// Runs `score`; returns the report.
pub fn run(args: &ScoreArgs) -> Result<String> {
    Format::for_output(&args.out)?;
    let what = crate::usage::choice_name(args.options.what);
    let spec = args.options.process.resolve()?;
    let data = read_matrix(&args.data)?;
    let queries = read_matrix(&args.queries)?;
    let width = if args.options.what == Quantity::Weights {
        data.rows()
    } else {
        data.cols()
    };
    crate::io::limits::require_memory(
        &format!("--what {what} for {} queries", queries.rows()),
        crate::io::limits::product(&[queries.rows(), width, 8]),
    )?;
    let out = score_queries(data.view(), queries.view(), args.t, &args.options)?;
    write_matrix(&args.out, &out)?;
    let score = args.options.score.resolve(data.cols())?;
    let mut summary = serde_json::json!({
        "rows": out.rows(),
        "cols": out.cols(),
        "what": what,
        "t": args.t,
        "process": describe(&spec),
        "score": score_spec::describe(&score, data.cols()),
        "out": args.out.display().to_string(),
    });
    if let (Some(summary), serde_json::Value::Object(rule)) = (
        summary.as_object_mut(),
        score_spec::rule_json(&score, data.cols()),
    ) {
        summary.extend(rule);
    }
    crate::manifest::set_summary(summary.clone());
    if args.json {
        return Ok(serde_json::to_string_pretty(&summary)?);
    }
    Ok(format!(
        "wrote {} rows × {} columns ({} at t = {}, {}, {}) to {}",
        out.rows(),
        out.cols(),
        what,
        args.t,
        describe(&spec),
        score_spec::describe(&score, data.cols()),
        args.out.display()
    ))
}
