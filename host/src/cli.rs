//! The command-line interface: clap definitions and the functions each command runs.
//! `main` only parses, calls [`run`], prints its report, and turns an error into one line.

use crate::data::builtin;
use crate::io::formats::{read_matrix, write_matrix, Format};
use crate::io::output::write_atomic;
use crate::matrix::{Matrix, MatrixView};
use crate::metrics::nearest_summary;
use crate::plot::svg;
use crate::sampling::evaluate::{evaluate, Quantity};
use crate::sampling::process_spec::{describe, ProcessOptions};
use crate::sampling::sample::SampleConfig;
use crate::sampling::score_spec::{self, ScoreChoiceArgs};
use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use smoothscore_core::{FinalStep, Integrator, Spacing};
use std::path::{Path, PathBuf};

/// Diffusion sampling from a finite data set with the closed-form empirical score.
#[derive(Debug, Parser)]
#[command(name = "smoothscore", version)]
pub struct Cli {
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Read options from a TOML file (keys: long flag names); flags on the command line win.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Draw samples with the reverse SDE / probability-flow ODE (or the pinned Brownian motion).
    Sample(SampleArgs),
    /// Evaluate the score (or weights, posterior mean, noise prediction, drift) at time t.
    Score(ScoreArgs),
    /// The LED-KDE p̂_t ∝ exp(K_h * log p_t^N) normalised on a grid (d ≤ 2): x, [y,] density rows.
    Density(DensityArgs),
    /// The f32 core against the f64 reference (validated in 192-bit): ULP report per quantity.
    Crosscheck(CrosscheckArgs),
    /// Data sets: list, generate to a file, describe a file.
    Data(crate::commands::data::DataArgs),
    /// Sample-quality metrics against the training set and a held-out set.
    Eval(crate::commands::eval::EvalArgs),
    /// Join the rows of CSV/NPY files in order (the shards of `sample --shard`) into one file.
    Concat(crate::commands::concat::ConcatArgs),
    /// Reproduce the seeds' experiments as tables (memorization, interpolation, …).
    Experiment(crate::experiment::ExperimentArgs),
    /// Re-run the command recorded in a `.manifest.json` and report whether the bits match.
    Reproduce(ReproduceArgs),
    /// Speed of the score kernel: GFLOP/s, fraction of peak, pairs/s, bandwidth, peers.
    Bench(crate::commands::bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Manpage,
}

/// `smoothscore completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `smoothscore reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// The manifest written beside an output (`<output>.manifest.json`) or in an experiment's
    /// output folder (`manifest.json`).
    pub manifest: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options that choose the forward process.
#[derive(Clone, Debug, Args)]
pub struct ProcessArgs {
    /// Forward process: vp, ou, ve, brownian, pbm (pinned Brownian motion).
    #[arg(long, default_value = "vp")]
    pub process: String,
    /// VP schedule: linear or cosine.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
    /// β_min of the linear VP schedule.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub beta_min: f32,
    /// β_max of the linear VP schedule.
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    pub beta_max: f32,
    /// σ_min of VE.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub sigma_min: f32,
    /// σ_max of VE.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub sigma_max: f32,
    /// Horizon T of ou (default 5) and brownian (default 10).
    #[arg(long, allow_negative_numbers = true)]
    pub horizon: Option<f32>,
    /// σ of the pinned Brownian motion.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub pbm_sigma: f32,
}

impl ProcessArgs {
    fn options(&self) -> ProcessOptions {
        ProcessOptions {
            name: self.process.clone(),
            schedule: self.schedule.clone(),
            beta_min: self.beta_min,
            beta_max: self.beta_max,
            sigma_min: self.sigma_min,
            sigma_max: self.sigma_max,
            horizon: self.horizon,
            pbm_sigma: self.pbm_sigma,
        }
    }
}

/// `smoothscore sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Training set (.csv or .npy, N×d); default: the built-in 2-D two-moons set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The forward process.
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Integrator: em (reverse SDE), euler or heun (probability-flow ODE).
    #[arg(long, default_value = "em")]
    pub sampler: String,
    /// Number of steps.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub steps: i64,
    /// Early-stopping time t_min (pbm: the gap 1 − t_max).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub t_min: f32,
    /// Time grid: geometric (log-uniform in t) or uniform.
    #[arg(long, default_value = "geometric")]
    pub grid: String,
    /// Final output: denoised (posterior mean at t_min) or state (Y at t_min as it is).
    #[arg(long = "final", default_value = "denoised")]
    pub final_step: String,
    /// Number of samples.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true)]
    pub n_samples: i64,
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
    #[arg(long, default_value_t = 0)]
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

/// `smoothscore score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Training set (.csv or .npy, N×d).
    #[arg(long)]
    pub data: PathBuf,
    /// Query points (.csv or .npy, B×d).
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
    /// Quantity: score, weights (B×N), mean, denoiser (noise prediction), drift (pbm).
    #[arg(long, default_value = "score")]
    pub what: String,
    /// The score (for --what score).
    #[command(flatten)]
    pub score: ScoreChoiceArgs,
    /// Worker threads (0: all cores). The output does not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// The `score` command's computation on matrices in memory: `options.what` at time `t` for every
/// row of `queries`, with `data` as the training set (both borrowed, no copy).
///
/// ```
/// use smoothscore::cli::{score_queries, ScoreOptions};
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
    let quantity = Quantity::parse(&options.what)?;
    let spec = options.process.options().resolve()?;
    let score = options.score.resolve(data.cols())?;
    evaluate(data, queries, &spec, &score, t, quantity, options.threads)
}

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
    #[arg(long, default_value_t = 16)]
    pub queries: usize,
    /// Check the softmax exponential on every n-th f32 of its normal range (2.2·10⁹ values;
    /// at least 16: the report keeps every error).
    #[arg(long, default_value_t = 4099, value_parser = clap::value_parser!(u32).range(16..))]
    pub exp_stride: u32,
    /// Print JSON (per quantity: bit_identical_fraction, max_ulp, p999_ulp, …).
    #[arg(long)]
    pub json: bool,
}

/// `smoothscore density`.
#[derive(Debug, Args)]
pub struct DensityArgs {
    /// Training set (.csv or .npy, N×d with d ≤ 2); default: the built-in 2-D set.
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
    /// Grid points per axis.
    #[arg(long, default_value_t = 200)]
    pub grid: usize,
    /// Margin added around the data's bounding box.
    #[arg(long, default_value_t = 0.5)]
    pub margin: f64,
    /// Output file (.csv or .npy), one grid point per row: x, [y,] density.
    #[arg(long, default_value = "density.csv")]
    pub out: PathBuf,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a parsed command line and returns the report to print.
pub fn run(cli: Cli) -> Result<String> {
    match cli.command {
        Command::Sample(args) => run_sample(&args),
        Command::Score(args) => run_score(&args),
        Command::Density(args) => run_density(&args),
        Command::Crosscheck(args) => run_crosscheck(&args),
        Command::Data(args) => crate::commands::data::run(&args),
        Command::Eval(args) => crate::commands::eval::run(&args),
        Command::Concat(args) => crate::commands::concat::run(&args),
        Command::Experiment(args) => crate::experiment::run(&args),
        Command::Reproduce(args) => {
            let report = crate::manifest::reproduce(&args.manifest);
            if !args.json {
                return report;
            }
            let (matched, text) = match &report {
                Ok(text) => (true, text.clone()),
                Err(error) => (false, format!("{error:#}")),
            };
            let json = serde_json::to_string_pretty(&serde_json::json!({
                "manifest": args.manifest.display().to_string(),
                "bit_match": matched,
                "report": text,
            }))?;
            match report {
                Ok(_) => Ok(json),
                Err(_) => {
                    println!("{json}");
                    bail!("bits differ (see the JSON report)")
                }
            }
        }
        Command::Bench(args) => crate::commands::bench::run(&args),
        Command::Completions(args) => crate::commands::docs::completions(args.shell),
        Command::Manpage => crate::commands::docs::manpage(),
    }
}

fn load_data(path: Option<&Path>) -> Result<Matrix> {
    match path {
        Some(path) => read_matrix(path),
        None => builtin::default_2d(),
    }
}

fn parse_integrator(name: &str) -> Result<Integrator> {
    Ok(match name {
        "em" => Integrator::EulerMaruyama,
        "euler" => Integrator::Euler,
        "heun" => Integrator::Heun,
        other => bail!("unknown --sampler '{other}' (expected em, euler or heun)"),
    })
}

fn positive_count(name: &str, value: i64) -> Result<usize> {
    if value < 1 {
        bail!("--{name} must be at least 1, got {value}");
    }
    Ok(value as usize)
}

/// Builds the sampling configuration from the command line, for data of dimension `dim`.
pub fn sample_config(args: &SampleArgs, dim: usize) -> Result<SampleConfig> {
    let spacing = match args.grid.as_str() {
        "geometric" => Spacing::Geometric,
        "uniform" => Spacing::Uniform,
        other => bail!("unknown --grid '{other}' (expected geometric or uniform)"),
    };
    let final_step = match args.final_step.as_str() {
        "denoised" => FinalStep::Denoise,
        "state" => FinalStep::State,
        other => bail!("unknown --final '{other}' (expected denoised or state)"),
    };
    Ok(SampleConfig {
        process: args.process.options().resolve()?,
        integrator: parse_integrator(&args.sampler)?,
        steps: positive_count("steps", args.steps)?,
        t_min: args.t_min,
        spacing,
        final_step,
        n_samples: positive_count("n-samples", args.n_samples)?,
        seed: args.seed,
        threads: args.threads,
        score: args.score.resolve(dim)?,
    })
}

/// The `sample` command's computation on a training set in memory (borrowed, no copy): the
/// run's configuration and its samples (with `--shard`, the shard's rows only).
///
/// ```
/// use smoothscore::cli::{sample_rows, SampleArgs};
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
    let samples = match args.shard {
        Some(shard) => shard.samples(config.n_samples)?,
        None => 0..config.n_samples,
    };
    let rows = crate::sampling::sample::draw_sample_range(data, &config, samples)?;
    Ok((config, rows))
}

fn run_sample(args: &SampleArgs) -> Result<String> {
    Format::from_path(&args.out)?;
    let data = load_data(args.data.as_deref())?;
    let config = sample_config(args, data.cols())?;
    if let Some(plot) = &args.plot {
        plot_extension(plot)?;
    }
    if let Some(plot) = &args.plot_trajectories {
        crate::plot::require_png(plot)?;
        if !matches!(
            config.process,
            crate::sampling::process_spec::ProcessSpec::Reverse(_)
        ) {
            bail!("--plot-trajectories draws the reverse-time processes, not pbm");
        }
    }
    if args.shard.is_some() && args.plot_trajectories.is_some() {
        bail!("--plot-trajectories draws the first samples of the whole run; leave out --shard");
    }
    let (_, samples) = sample_rows(args, data.view())?;
    write_matrix(&args.out, &samples)?;
    if let Some(plot) = &args.plot {
        let title = format!(
            "{} samples, {} {}, {}",
            samples.rows(),
            describe(&config.process),
            args.sampler,
            score_spec::describe(&config.score)
        );
        write_sample_plot(plot, &data, &samples, &title)?;
    }
    if let Some(plot) = &args.plot_trajectories {
        let paths = crate::sampling::sample::trajectories(&data, &config, 8)?;
        let title = format!(
            "{} paths, {} {}, {}",
            paths.len(),
            describe(&config.process),
            args.sampler,
            score_spec::describe(&config.score)
        );
        crate::io::output::write_atomic_with(plot, |tmp| {
            crate::plot::trajectories(tmp, &data, &paths, &title)
        })?;
    }
    let summary = nearest_summary(&data, &samples, 1e-3);
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "samples_written": samples.rows(),
            "dim": samples.cols(),
            "out": args.out.display().to_string(),
            "process": describe(&config.process),
            "score": score_spec::describe(&config.score),
            "sampler": args.sampler,
            "steps": config.steps,
            "t_min": config.t_min,
            "final": args.final_step,
            "within_radius_fraction": summary.within_radius,
            "radius": summary.radius,
            "memorized_fraction": summary.memorized_fraction,
            "median_nearest_distance": summary.median_nearest,
        }))?);
    }
    Ok(format!(
        "wrote {} samples (d = {}) to {} [{}, {}, {}, {} steps, t_min {}, {}]; within 1e-3 of a training point: {:.1}%; memorized (d1/d2 < 1/3): {:.1}%; median nearest-neighbour distance: {:.3e}",
        samples.rows(),
        samples.cols(),
        args.out.display(),
        describe(&config.process),
        score_spec::describe(&config.score),
        args.sampler,
        config.steps,
        config.t_min,
        args.final_step,
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
        "svg" => write_atomic(path, svg::scatter(data, samples, title).as_bytes()),
        "png" if data.cols() == 784 => {
            let shown = samples.rows().min(16);
            let first = Matrix::new(shown, 784, samples.values()[..shown * 784].to_vec())?;
            crate::io::output::write_atomic_with(path, |tmp| {
                crate::plot::image_grid(tmp, data, &first, 28, 28, title)
            })
        }
        _ => crate::io::output::write_atomic_with(path, |tmp| {
            crate::plot::scatter(tmp, data, samples, title)
        }),
    }
}

fn run_score(args: &ScoreArgs) -> Result<String> {
    Format::from_path(&args.out)?;
    Quantity::parse(&args.options.what)?;
    let spec = args.options.process.options().resolve()?;
    let data = read_matrix(&args.data)?;
    let queries = read_matrix(&args.queries)?;
    let out = score_queries(data.view(), queries.view(), args.t, &args.options)?;
    write_matrix(&args.out, &out)?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "rows": out.rows(),
            "cols": out.cols(),
            "what": args.options.what,
            "t": args.t,
            "process": describe(&spec),
            "out": args.out.display().to_string(),
        }))?);
    }
    Ok(format!(
        "wrote {} rows × {} columns ({} at t = {}, {}) to {}",
        out.rows(),
        out.cols(),
        args.options.what,
        args.t,
        describe(&spec),
        args.out.display()
    ))
}

fn run_density(args: &DensityArgs) -> Result<String> {
    Format::from_path(&args.out)?;
    let data = load_data(args.data.as_deref())?;
    let crate::sampling::process_spec::ProcessSpec::Reverse(process) =
        args.process.options().resolve()?
    else {
        bail!("the LED-KDE is defined for the reverse-time processes, not pbm");
    };
    let (bandwidth, rule) = match args.score.resolve(data.cols())? {
        score_spec::ScoreSpec::Exact => (
            smoothscore_core::Bandwidth::Constant { bandwidth: 0.0 },
            smoothscore_core::KernelRule::GaussHermite { order: 1 },
        ),
        score_spec::ScoreSpec::Kernel { bandwidth, rule } => (bandwidth, rule),
        score_spec::ScoreSpec::Line(_) => {
            bail!("--score pl/smoothed-pl has no LED-KDE; use exact or kernel")
        }
    };
    let density = crate::sampling::led_kde_grid::led_kde_on_grid(
        &data,
        process,
        args.t,
        bandwidth,
        rule,
        crate::sampling::led_kde_grid::GridSpec {
            points: args.grid,
            margin: args.margin,
        },
        args.threads,
    )?;
    let dim = data.cols();
    let mut values = Vec::with_capacity(density.values.len() * (dim + 1));
    for (index, &value) in density.values.iter().enumerate() {
        if dim == 2 {
            let ny = density.ys.len();
            values.extend([density.xs[index / ny] as f32, density.ys[index % ny] as f32]);
        } else {
            values.push(density.xs[index] as f32);
        }
        values.push(value as f32);
    }
    let table = Matrix::new(density.values.len(), dim + 1, values)?;
    write_matrix(&args.out, &table)?;
    let peak = density.values.iter().copied().fold(0.0, f64::max);
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "t": args.t,
            "grid_points": density.values.len(),
            "peak_density": peak,
            "out": args.out.display().to_string(),
        }))?);
    }
    Ok(format!(
        "wrote the LED-KDE at t = {} ({}) on a {}-point grid to {}; peak density {:.4}",
        args.t,
        score_spec::describe(&args.score.resolve(dim)?),
        density.values.len(),
        args.out.display(),
        peak
    ))
}

fn run_crosscheck(args: &CrosscheckArgs) -> Result<String> {
    let mut data = load_data(args.data.as_deref())?;
    if let Some(limit) = args.limit_points {
        let rows = data.rows().min(limit.max(1));
        data = Matrix::new(
            rows,
            data.cols(),
            data.values()[..rows * data.cols()].to_vec(),
        )?;
    }
    let mut reports = crate::reference::crosscheck::run(
        &crate::reference::crosscheck::Core,
        &data,
        args.queries,
    )?;
    reports.push(crate::reference::crosscheck::exp_report(args.exp_stride));
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
            crate::reference::crosscheck::render(&reports)
        )
    };
    if violations > 0 {
        println!("{report}");
        bail!("{violations} outputs exceed their stated bounds");
    }
    Ok(report)
}
