//! `smoothscore density`: the LED-KDE p̂_t ∝ exp(K_h * log p_t^N) on a grid (d ≤ 2), normalised
//! over R^d (see [`crate::sampling::led_kde_grid`]), one grid point per row: x, (y,) density
//! (or log-density with `--log`).

use crate::data::builtin::{builtin_default, data_or_default};
use crate::io::formats::{write_matrix, Format};
use crate::manifest::{PathFlag, PathValue::Optional, PathValue::Required};
use crate::matrix::Matrix;
use crate::sampling::led_kde_grid::{led_kde_on_grid, GridSpec};
use crate::sampling::process_spec::{ProcessArgs, ProcessSpec};
use crate::sampling::score_spec::{self, ScoreChoiceArgs, ScoreSpec};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// `smoothscore density`.
#[derive(Debug, Args)]
pub struct DensityArgs {
    /// Training set (.csv, .tsv, .npy or IDX [.gz], N×d with d ≤ 2); default: the built-in 2-D set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Time t.
    #[arg(long, allow_negative_numbers = true)]
    pub t: f32,
    /// The forward process (not pbm).
    #[command(flatten)]
    pub process: ProcessArgs,
    /// The smoothing (--score kernel --bandwidth H …; --score exact gives p_t^N itself).
    #[command(flatten)]
    pub score: ScoreChoiceArgs,
    /// Grid points per axis (at least 2).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::io::limits::count(2, usize::MAX))]
    pub grid: usize,
    /// Margin added around the data's bounding box (≥ 0).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true, value_parser = crate::io::limits::non_negative)]
    pub margin: f64,
    /// Output file (.csv or .npy), one grid point per row: x, (y,) density. The density is
    /// normalised over R^d, not over the grid: exactly for --score exact (p_t^N is a Gaussian
    /// mixture), and for the LED-KDE with a truncation error of ln Z at most ln(1 + B/(2 Z_grid)),
    /// B ≤ the mass outside the grid of a Gaussian mixture that dominates it (both printed).
    #[arg(long, default_value = "density.csv")]
    pub out: PathBuf,
    /// Write the log-density ln p̂ instead, computed in log space (finite far from the data,
    /// where the density itself underflows to 0).
    #[arg(long)]
    pub log: bool,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl DensityArgs {
    /// The path-valued flags (for manifests and `reproduce`).
    pub fn path_flags(&mut self) -> Vec<PathFlag<'_>> {
        vec![
            PathFlag::input("--data", Optional(&mut self.data, builtin_default())),
            PathFlag::output("--out", Required(&mut self.out)),
            self.score.path_flag(),
        ]
    }
}

/// Runs `density`; returns the report.
pub fn run(args: &DensityArgs) -> Result<String> {
    Format::for_output(&args.out)?;
    let data = data_or_default(args.data.as_deref())?;
    let ProcessSpec::Reverse(process) = args.process.resolve()? else {
        bail!("the LED-KDE is defined for the reverse-time processes, not pbm");
    };
    let (bandwidth, rule) = match args.score.resolve(data.cols())? {
        ScoreSpec::Exact => (
            smoothscore_core::Bandwidth::Constant { bandwidth: 0.0 },
            smoothscore_core::KernelRule::GaussHermite { order: 1 },
        ),
        ScoreSpec::Kernel { bandwidth, rule } => (bandwidth, rule),
        ScoreSpec::Line(_) => {
            bail!("--score pl/smoothed-pl has no LED-KDE; use exact or kernel")
        }
        ScoreSpec::Network(_) => {
            bail!("--score net has no LED-KDE (it needs the empirical score); use exact or kernel")
        }
    };
    let points = (0..data.cols().min(2))
        .map(|_| args.grid)
        .collect::<Vec<_>>();
    crate::io::limits::require_memory(
        &format!("--grid {} in d = {}", args.grid, data.cols()),
        crate::io::limits::product(&points).saturating_mul(96),
    )?;
    let density = led_kde_on_grid(
        &data,
        process,
        args.t,
        bandwidth,
        rule,
        GridSpec {
            points: args.grid,
            margin: args.margin,
        },
        args.threads,
    )?;
    let dim = data.cols();
    let column = if args.log {
        &density.log_values
    } else {
        &density.values
    };
    let mut values = Vec::with_capacity(column.len() * (dim + 1));
    for (index, &value) in column.iter().enumerate() {
        if dim == 2 {
            let ny = density.ys.len();
            values.extend([density.xs[index / ny] as f32, density.ys[index % ny] as f32]);
        } else {
            values.push(density.xs[index] as f32);
        }
        values.push(value as f32);
    }
    let table = Matrix::new(column.len(), dim + 1, values)?;
    write_matrix(&args.out, &table)?;
    let peak = density.values.iter().copied().fold(0.0, f64::max);
    let spec = args.score.resolve(dim)?;
    let mut summary = serde_json::json!({
        "t": args.t,
        "score": score_spec::describe(&spec, dim),
        "grid_points": column.len(),
        "written": if args.log { "log-density" } else { "density" },
        "normalised_over": "R^d",
        "grid_mass": density.grid_mass,
        "outside_mass": density.outside_mass,
        "outside_mass_is": if density.log_normaliser_bound == 0.0 { "exact" } else { "upper bound" },
        "log_normaliser": density.log_normaliser,
        "log_normaliser_bound": density.log_normaliser_bound,
        "peak_density": peak,
        "out": args.out.display().to_string(),
    });
    if let (Some(summary), serde_json::Value::Object(rule)) =
        (summary.as_object_mut(), score_spec::rule_json(&spec, dim))
    {
        summary.extend(rule);
    }
    crate::manifest::set_summary(summary.clone());
    if args.json {
        return Ok(serde_json::to_string_pretty(&summary)?);
    }
    let outside = if density.log_normaliser_bound == 0.0 {
        format!("mass outside the grid {:.3e} (exact)", density.outside_mass)
    } else {
        format!(
            "mass outside the grid ≤ {:.3e}, |error of ln Z| ≤ {:.3e}",
            density.outside_mass, density.log_normaliser_bound
        )
    };
    Ok(format!(
        "wrote the LED-KDE {} at t = {} ({}) on a {}-point grid to {}; normalised over R^d: mass on the grid {:.6} (trapezoid), {outside}; peak density {:.4}",
        if args.log { "log-density" } else { "density" },
        args.t,
        score_spec::describe(&spec, dim),
        column.len(),
        args.out.display(),
        density.grid_mass,
        peak
    ))
}
