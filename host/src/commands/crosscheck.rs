//! `smoothscore crosscheck`: the f32 core against the f64 reference (validated in 192-bit), a
//! ULP report per quantity; a non-zero exit when any output exceeds its stated bound.

use crate::data::builtin::data_or_default;
use crate::matrix::Matrix;
use crate::reference::crosscheck;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// `smoothscore crosscheck`.
#[derive(Debug, Args)]
pub struct CrosscheckArgs {
    /// Training set (.csv, .npy or IDX); default: the built-in 2-D set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Use at most this many training points (the first ones; for large sets like MNIST).
    #[arg(long)]
    pub limit_points: Option<usize>,
    /// Training points used as query seeds per (process, t).
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub queries: usize,
    /// Check the softmax exponential on every n-th f32 of its normal range (2.2·10⁹ values;
    /// at least 16: the report keeps every error).
    #[arg(long, default_value_t = 4099, value_parser = clap::value_parser!(u32).range(16..))]
    pub exp_stride: u32,
    /// Print JSON (per quantity: bit_identical_fraction, max_ulp, p999_ulp, …).
    #[arg(long)]
    pub json: bool,
}

/// Runs `crosscheck`; returns the report.
pub fn run(args: &CrosscheckArgs) -> Result<String> {
    let mut data = data_or_default(args.data.as_deref())?;
    if let Some(limit) = args.limit_points {
        let rows = data.rows().min(limit.max(1));
        data = Matrix::new(
            rows,
            data.cols(),
            data.values()[..rows * data.cols()].to_vec(),
        )?;
    }
    let mut reports = crosscheck::run(&crosscheck::Core, &data, args.queries)?;
    reports.push(crosscheck::exp_report(args.exp_stride));
    let violations: usize = reports.iter().map(|r| r.violations).sum();
    let report = if args.json {
        let object: serde_json::Map<String, serde_json::Value> =
            reports.iter().map(|r| (r.name.clone(), r.json())).collect();
        serde_json::to_string_pretty(&object)?
    } else {
        format!(
            "{} training points, d = {}; errors in f32 ULPs of each output's scale\n{}",
            data.rows(),
            data.cols(),
            crosscheck::render(&reports)
        )
    };
    if violations > 0 {
        println!("{report}");
        bail!("{violations} outputs exceed their stated bounds");
    }
    Ok(report)
}
