//! `smoothscore sample`: draw samples with the reverse SDE / probability-flow ODE (or the pinned
//! Brownian motion), write them, optionally plot them and their paths, and summarise how close
//! they came to the training points.

use crate::data::builtin::{builtin_default, data_or_default};
use crate::io::formats::write_matrix;
use crate::io::formats::Format;
use crate::io::output::write_atomic_with;
use crate::manifest::{PathFlag, PathValue::Optional, PathValue::Required};
use crate::matrix::{Matrix, MatrixView};
use crate::metrics::nearest_summary;
use crate::sampling::process_spec::{describe, ProcessArgs, ProcessSpec};
use crate::sampling::sample::{draw_sample_range, trajectories, SampleConfig};
use crate::sampling::sampler_spec::{
    describe_integrator, describe_spacing, PriorChoice, SamplerArgs, MAX_FULL_COVARIANCE_DIM,
};
use crate::sampling::score_spec::{self, ScoreChoiceArgs};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use smoothscore_core::FinalStep;
use std::path::{Path, PathBuf};

/// `smoothscore sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Training set (.csv, .tsv, .npy or MNIST IDX [.gz], N×d); default: the built-in 2-D set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The forward process.
    #[command(flatten)]
    pub process: ProcessArgs,
    /// The integrator, its time grid and its starting law.
    #[command(flatten)]
    pub sampler: SamplerArgs,
    /// Number of steps, 1 to 1000000.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = crate::io::limits::step_count)]
    pub steps: usize,
    /// Early-stopping time t_min (pbm: the gap 1 − t_max).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub t_min: f32,
    /// Final output.
    #[arg(long = "final", value_enum, default_value_t = FinalName::Denoised)]
    pub final_step: FinalName,
    /// Number of samples (at least 1).
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_samples: usize,
    /// Seed of the random streams (sample j uses the xoshiro256++ stream jumped j times).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Draw only shard k of K (k from 0 to K − 1): samples ⌊k·n/K⌋ to ⌊(k+1)·n/K⌋ − 1 of the
    /// run, each on its own stream, so the K outputs concatenated in order are the whole run.
    #[arg(long, value_name = "k/K")]
    pub shard: Option<crate::sampling::shard::Shard>,
    /// Output file (.csv: one sample per row, no header; .npy: f32).
    #[arg(long, default_value = "samples.csv")]
    pub out: PathBuf,
    /// Worker threads (0: all cores). The output does not depend on it.
    #[arg(long, default_value_t = 0, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
    /// Also draw the samples: .png (over the training points, first two coordinates; for
    /// 28×28 images a grid of samples beside their nearest training images) or .svg.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Also draw the paths of the first 8 samples through time (.png).
    #[arg(long)]
    pub plot_trajectories: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// The score followed.
    #[command(flatten)]
    pub score: ScoreChoiceArgs,
}

/// What a run outputs at t_min, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FinalName {
    /// The posterior mean at t_min (Tweedie's denoising step).
    Denoised,
    /// The state Y at t_min as it is.
    State,
}

impl SampleArgs {
    /// The path-valued flags (for manifests and `reproduce`).
    pub fn path_flags(&mut self) -> Vec<PathFlag<'_>> {
        vec![
            PathFlag::input("--data", Optional(&mut self.data, builtin_default())),
            PathFlag::output("--out", Required(&mut self.out)),
            PathFlag::output("--plot", Optional(&mut self.plot, None)),
            PathFlag::output(
                "--plot-trajectories",
                Optional(&mut self.plot_trajectories, None),
            ),
            self.score.path_flag(),
        ]
    }
}

/// Builds the sampling configuration from the command line, for data of dimension `dim`.
pub fn sample_config(args: &SampleArgs, dim: usize) -> Result<SampleConfig> {
    let process = args.process.resolve()?;
    let integrator = args.sampler.integrator()?;
    crate::sampling::sampler_spec::check_pairing(&process, &integrator)?;
    let spacing = args.sampler.spacing(&process, &integrator)?;
    let final_step = match args.final_step {
        FinalName::Denoised => FinalStep::Denoise,
        FinalName::State => FinalStep::State,
    };
    let n_samples = args.n_samples;
    crate::io::limits::require_memory(
        &format!("--n-samples {n_samples} (d = {dim})"),
        crate::io::limits::product(&[n_samples, 8 * dim + 64]),
    )?;
    let steps = args.steps;
    if args.plot_trajectories.is_some() {
        crate::io::limits::require_memory(
            &format!("--plot-trajectories over {steps} steps (d = {dim})"),
            crate::io::limits::product(&[8, steps + 1, dim, 4]),
        )?;
    }
    Ok(SampleConfig {
        process,
        integrator,
        steps,
        t_min: args.t_min,
        spacing,
        final_step,
        n_samples,
        seed: args.seed,
        threads: args.threads,
        score: args.score.resolve(dim)?,
    })
}

/// The `sample` command's computation on a training set in memory (borrowed, no copy): the
/// run's configuration and its samples (with `--shard`, the shard's rows only).
///
/// ```
/// use smoothscore::commands::sample::{sample_rows, SampleArgs};
/// use smoothscore::commands::options::parse_options;
/// let data = smoothscore::data::builtin::default_2d().unwrap();
/// let options = |shard: Option<&str>| {
///     let mut pairs = vec![("n-samples".to_string(), Some("5".to_string())), ("steps".into(), Some("20".into()))];
///     pairs.extend(shard.map(|s| ("shard".to_string(), Some(s.to_string()))));
///     parse_options::<SampleArgs>("sample", &pairs).unwrap()
/// };
/// let (_, all) = sample_rows(&options(None), data.view()).unwrap();
/// let (_, last) = sample_rows(&options(Some("1/2")), data.view()).unwrap();
/// assert_eq!(last.values(), &all.values()[2 * 2..]);
/// ```
pub fn sample_rows(args: &SampleArgs, data: MatrixView<'_>) -> Result<(SampleConfig, Matrix)> {
    let config = sample_config(args, data.cols())?;
    let prior = start_law(args)?;
    let samples = match args.shard {
        Some(shard) => shard.samples(config.n_samples)?,
        None => 0..config.n_samples,
    };
    let rows = draw_sample_range(data, &config, prior, samples)?;
    Ok((config, rows))
}

/// The prior `--prior` resolves to (the pinned process, which starts at 0, ignores it).
fn start_law(args: &SampleArgs) -> Result<PriorChoice> {
    let process = args.process.resolve()?;
    Ok(args
        .sampler
        .prior(&process)?
        .unwrap_or(PriorChoice::Standard))
}

/// What the run used, for its report, its JSON and its manifest: the process, the score (with
/// the kernel rule and the M used), the integrator with its parameters, the grid and the prior.
pub fn run_summary(
    args: &SampleArgs,
    config: &SampleConfig,
    dim: usize,
) -> Result<serde_json::Value> {
    let prior = match args.sampler.prior(&config.process)? {
        None => "X_0 = 0 (pbm)".to_string(),
        Some(PriorChoice::Standard) => "standard".to_string(),
        Some(PriorChoice::MomentMatched) if dim > MAX_FULL_COVARIANCE_DIM => {
            "moment-matched (diagonal)".to_string()
        }
        Some(PriorChoice::MomentMatched) => "moment-matched".to_string(),
    };
    let mut summary = serde_json::json!({
        "process": describe(&config.process),
        "score": score_spec::describe(&config.score, dim),
        "sampler": args.sampler.name(),
        "integrator": describe_integrator(&config.integrator),
        "grid": describe_spacing(&config.spacing),
        "prior": prior,
        "steps": config.steps,
        "t_min": config.t_min,
        "final": crate::usage::choice_name(args.final_step),
    });
    if let (Some(summary), serde_json::Value::Object(rule)) = (
        summary.as_object_mut(),
        score_spec::rule_json(&config.score, dim),
    ) {
        summary.extend(rule);
    }
    Ok(summary)
}

/// Runs `sample`; returns the report.
pub fn run(args: &SampleArgs) -> Result<String> {
    Format::for_output(&args.out)?;
    let data = data_or_default(args.data.as_deref())?;
    let config = sample_config(args, data.cols())?;
    if let Some(plot) = &args.plot {
        plot_extension(plot)?;
    }
    if let Some(plot) = &args.plot_trajectories {
        crate::plot::require_png(plot)?;
        if !matches!(config.process, ProcessSpec::Reverse(_)) {
            bail!("--plot-trajectories draws the reverse-time processes, not pbm");
        }
    }
    if args.shard.is_some() && args.plot_trajectories.is_some() {
        bail!("--plot-trajectories draws the first samples of the whole run; leave out --shard");
    }
    let (_, samples) = sample_rows(args, data.view())?;
    let run = run_summary(args, &config, data.cols())?;
    crate::manifest::set_summary(run.clone());
    let sampler = describe_integrator(&config.integrator);
    write_matrix(&args.out, &samples)?;
    if let Some(plot) = &args.plot {
        let title = format!(
            "{} samples, {} {}, {}",
            samples.rows(),
            describe(&config.process),
            sampler,
            score_spec::describe(&config.score, data.cols())
        );
        write_sample_plot(plot, &data, &samples, &title)?;
    }
    if let Some(plot) = &args.plot_trajectories {
        let paths = trajectories(&data, &config, start_law(args)?, 8)?;
        let title = format!(
            "{} paths, {} {}, {}",
            paths.len(),
            describe(&config.process),
            sampler,
            score_spec::describe(&config.score, data.cols())
        );
        write_atomic_with(plot, |tmp| {
            crate::plot::trajectories(tmp, &data, &paths, &title)
        })?;
    }
    // The memorization summary is the run's second-largest cost (N² · d for the spacing):
    // it runs on the threads the run asked for, like the sampler.
    let summary =
        crate::parallel::with_threads(args.threads, || nearest_summary(&data, &samples, 1e-3))?;
    let text = |key: &str| run[key].as_str().unwrap_or_default().to_owned();
    if args.json {
        let mut report = serde_json::json!({
            "samples_written": samples.rows(),
            "dim": samples.cols(),
            "out": args.out.display().to_string(),
            "within_radius_fraction": summary.within_radius,
            "radius": summary.radius,
            "memorized_fraction": summary.memorized_fraction,
            "median_nearest_distance": summary.median_nearest,
        });
        if let (Some(report), serde_json::Value::Object(run)) = (report.as_object_mut(), run) {
            report.extend(run);
        }
        return Ok(serde_json::to_string_pretty(&report)?);
    }
    Ok(format!(
        "wrote {} samples (d = {}) to {} [{}, {}, {}, grid {}, prior {}, {} steps, t_min {}, {}]; within 1e-3 of a training point: {:.1}%; memorized (d1/d2 < 1/3): {:.1}%; median nearest-neighbour distance: {:.3e}",
        samples.rows(),
        samples.cols(),
        args.out.display(),
        text("process"),
        text("score"),
        text("integrator"),
        text("grid"),
        text("prior"),
        config.steps,
        config.t_min,
        crate::usage::choice_name(args.final_step),
        100.0 * summary.within_radius,
        100.0 * summary.memorized_fraction,
        summary.median_nearest,
    ))
}

/// The lower-case extension of a `--plot` path: png or svg.
fn plot_extension(path: &Path) -> Result<String> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(ext) if ext == "png" || ext == "svg" => Ok(ext),
        _ => bail!("{}: --plot writes .png or .svg", path.display()),
    }
}

/// The `--plot` of `sample`: SVG scatter, PNG scatter, or (28×28 images) a PNG image grid.
fn write_sample_plot(path: &Path, data: &Matrix, samples: &Matrix, title: &str) -> Result<()> {
    match plot_extension(path)?.as_str() {
        "svg" => write_atomic_with(path, |tmp| {
            crate::plot::scatter_svg(tmp, data, samples, title)
        }),
        "png" if data.cols() == 784 => {
            let shown = samples.rows().min(16);
            let first = Matrix::new(shown, 784, samples.values()[..shown * 784].to_vec())?;
            write_atomic_with(path, |tmp| {
                crate::plot::image_grid(tmp, data, &first, 28, 28, title)
            })
        }
        _ => write_atomic_with(path, |tmp| crate::plot::scatter(tmp, data, samples, title)),
    }
}
