//! `smoothscore experiment …`: the seeds' claims, reproduced as tables (CSV + JSON in an output
//! folder, aligned text on stdout). One module per experiment.

pub mod density;
#[cfg(feature = "train")]
pub mod effective_bandwidth;
pub mod interpolation;
pub mod memorization;
#[cfg(feature = "train")]
pub mod network_smoothing;
#[cfg(feature = "train")]
pub mod networks;
pub mod pbm;
pub mod replicates;
pub mod sources;
pub mod table;
pub mod variance;

use crate::manifest::FileArg;
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use table::Table;

/// `smoothscore experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Which experiment.
    #[command(subcommand)]
    pub which: Experiment,
    /// Output folder for the tables (default: experiments/NAME).
    #[arg(long, global = true)]
    pub out_dir: Option<PathBuf>,
    /// Seed of every random choice (replicate r > 0 derives its own from it).
    #[arg(long, global = true, default_value_t = 0)]
    pub seed: u64,
    /// Independent replicates R (seeds for the samples, the training set and the kernel points);
    /// every metric is reported as the mean with its 95 % Student-t interval over them.
    #[arg(long, global = true, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replicates: u32,
    /// Worker threads (0: all cores). Results do not depend on it.
    #[arg(long, global = true, default_value_t = 0, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
    /// Print the tables as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Also draw the experiment's main curve as PNG.
    #[arg(long, global = true)]
    pub plot: Option<PathBuf>,
}

/// The run of the memorization and pbm experiments: Euler–Maruyama on a geometric grid of
/// `steps` toward t_min = 10⁻³ (for pbm: toward 1 − 10⁻³), denoised final step.
pub fn euler_maruyama_run(
    process: crate::sampling::process_spec::ProcessSpec,
    score: crate::sampling::score_spec::ScoreSpec,
    steps: usize,
    n_samples: usize,
    seed: u64,
    threads: usize,
) -> crate::sampling::sample::SampleConfig {
    crate::sampling::sample::SampleConfig {
        process,
        integrator: smoothscore_core::Integrator::EulerMaruyama,
        steps,
        t_min: 1e-3,
        spacing: smoothscore_core::Spacing::Geometric,
        final_step: smoothscore_core::FinalStep::Denoise,
        n_samples,
        seed,
        threads,
        score,
    }
}

/// `n_samples` samples of the run [`euler_maruyama_run`] describes, with the empirical target
/// `train`.
pub fn euler_maruyama_samples(
    train: &crate::matrix::Matrix,
    process: crate::sampling::process_spec::ProcessSpec,
    score: crate::sampling::score_spec::ScoreSpec,
    (steps, n_samples): (usize, usize),
    seed: u64,
    threads: usize,
) -> Result<crate::matrix::Matrix> {
    let config = euler_maruyama_run(process, score, steps, n_samples, seed, threads);
    crate::sampling::sample::draw_samples(train, &config)
}

/// The lines of `table`: one per distinct value of the `group` columns, (x, y) from two columns,
/// with y's 95 % interval as error bars when the table has `<y>_ci95_low`/`_high`.
pub fn series(table: &Table, group: &[&str], x: &str, y: &str) -> Vec<crate::plot::Series> {
    let index = |name: &str| table.column(name);
    let (Some(xi), Some(yi)) = (index(x), index(y)) else {
        return Vec::new();
    };
    let bounds = index(&format!("{y}_ci95_low")).zip(index(&format!("{y}_ci95_high")));
    let interval = |row: &[table::Cell]| match bounds.map(|(l, h)| (&row[l], &row[h])) {
        Some((table::Cell::Number(low), table::Cell::Number(high))) => Some((*low, *high)),
        _ => None,
    };
    let groups: Vec<usize> = group.iter().filter_map(|g| index(g)).collect();
    let mut out: Vec<crate::plot::Series> = Vec::new();
    for row in &table.rows {
        let (table::Cell::Number(xv), table::Cell::Number(yv)) = (&row[xi], &row[yi]) else {
            continue;
        };
        let name = groups
            .iter()
            .map(|&g| match &row[g] {
                table::Cell::Text(t) => t.clone(),
                table::Cell::Number(n) => format!("{}", *n as f32),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let bar = interval(row).map(|(low, high)| (*xv, low, high));
        match out.iter_mut().find(|s| s.name == name) {
            Some(line) => {
                line.points.push((*xv, *yv));
                line.intervals.extend(bar);
            }
            None => out.push(crate::plot::Series {
                name,
                points: vec![(*xv, *yv)],
                intervals: bar.into_iter().collect(),
            }),
        }
    }
    out
}

/// The rows of `table` whose `columns` equal those of its first row.
fn first_setting(table: &Table, columns: &[&str]) -> Table {
    let indices: Vec<usize> = columns.iter().filter_map(|c| table.column(c)).collect();
    let mut out = table.clone();
    if let Some(first) = table.rows.first() {
        out.rows
            .retain(|row| indices.iter().all(|&i| row[i] == first[i]));
    }
    out
}

/// The main curve of each experiment.
fn plot(which: &Experiment, tables: &[Table], path: &std::path::Path) -> Result<()> {
    let (title, x, y, lines, log_x, log_y) = match which {
        Experiment::Memorization(_) => (
            "memorized fraction vs bandwidth (kernel-smoothed score)",
            "bandwidth / RMS spread",
            "memorized fraction (d1/d2 < 1/3, de-duplicated)",
            series(&tables[0], &["dataset"], "bandwidth", "memorized_fraction"),
            false,
            false,
        ),
        Experiment::Interpolation(_) => (
            "endpoints along the line (first dim, start, t0, integrator)",
            "position along the line (bin start; points at 0, ±1, …)",
            "fraction of endpoints in the bin",
            series(
                &first_setting(&tables[2], &["dim", "start", "t0", "integrator"]),
                &["score", "kappa"],
                "bin_low",
                "mass",
            ),
            false,
            false,
        ),
        Experiment::Variance(_) => (
            "MSE of the score against the true score",
            "t",
            "MSE",
            series(&tables[0], &["dataset", "bandwidth"], "t", "mse"),
            true,
            true,
        ),
        Experiment::Density(_) => (
            "KL(p0 || LED-KDE) against the bandwidth",
            "bandwidth h",
            "KL (Monte Carlo)",
            series(&tables[0], &["dataset", "n_train"], "bandwidth", "kl"),
            false,
            false,
        ),
        #[cfg(feature = "train")]
        Experiment::NetworkSmoothing(_) => (
            "best-fitting delta_t of the smoothed PL-ESF to the networks' scores",
            "t",
            "delta_t (Chen: proportional to sqrt t)",
            series(&tables[0], &["score", "weight_decay"], "t", "best_delta"),
            true,
            true,
        ),
        #[cfg(feature = "train")]
        Experiment::EffectiveBandwidth(_) => (
            "bandwidth h* of the kernel-smoothed score closest to each network",
            "t",
            "h* / RMS spread",
            series(
                &tables[0],
                &["n_train", "weight_decay"],
                "t",
                "best_bandwidth",
            ),
            true,
            false,
        ),
        Experiment::Pbm(_) => (
            "exact → kernel-smoothed score: memorization against fidelity",
            "memorized fraction",
            "MMD² to held-out / truth",
            series(
                &tables[0],
                &["dataset", "process"],
                "memorized_fraction",
                "mmd_to_held_out",
            ),
            false,
            true,
        ),
    };
    crate::io::output::write_atomic_with(path, |tmp| {
        crate::plot::curves(tmp, title, x, y, &lines, log_x, log_y)
    })
}

/// The experiments.
#[derive(Debug, Subcommand)]
pub enum Experiment {
    /// Chen: points on a line, exact vs PL-ESF vs smoothed PL-ESF vs kernel-smoothed score.
    Interpolation(interpolation::InterpolationArgs),
    /// Gabriel et al.: memorized fraction and distance to held-out data vs kernel bandwidth.
    Memorization(memorization::MemorizationArgs),
    /// Gabriel et al.: bias², variance and MSE of exact vs smoothed scores; score covariance vs PCA.
    Variance(variance::VarianceArgs),
    /// Gabriel et al.: KL(p₀ ‖ LED-KDE) and held-out NLL vs bandwidth and N on known 2-D laws.
    Density(density::DensityArgs),
    /// Vargas et al.: VP-SDE vs pinned Brownian motion on funnel and GMM (d = 50), exact, smoothed and learned.
    Pbm(pbm::PbmArgs),
    /// Chen: trained two-layer ReLU networks vs the smoothed PL-ESF (best δ_t, its exponent, endpoints).
    #[cfg(feature = "train")]
    NetworkSmoothing(network_smoothing::NetworkSmoothingArgs),
    /// Gabriel et al. vs learning: the kernel bandwidth h* that matches trained networks, and memorization.
    #[cfg(feature = "train")]
    EffectiveBandwidth(effective_bandwidth::EffectiveBandwidthArgs),
}

impl Experiment {
    /// The path-valued options of the experiment itself: `--mnist` of the experiments that can
    /// read MNIST, and pbm's `--slice-plot`.
    pub fn path_options(
        &mut self,
    ) -> (
        Option<&mut crate::data::mnist::MnistArgs>,
        Option<&mut Option<PathBuf>>,
    ) {
        match self {
            Experiment::Memorization(options) => (Some(&mut options.mnist), None),
            Experiment::Pbm(options) => (Some(&mut options.mnist), Some(&mut options.slice_plot)),
            _ => (None, None),
        }
    }

    /// The experiment's name, also its default output folder under `experiments/`.
    pub fn name(&self) -> &'static str {
        match self {
            Experiment::Interpolation(_) => "interpolation",
            Experiment::Memorization(_) => "memorization",
            Experiment::Variance(_) => "variance",
            Experiment::Density(_) => "density",
            Experiment::Pbm(_) => "pbm",
            #[cfg(feature = "train")]
            Experiment::NetworkSmoothing(_) => "network-smoothing",
            #[cfg(feature = "train")]
            Experiment::EffectiveBandwidth(_) => "effective-bandwidth",
        }
    }
}

/// The files an experiment reads: the MNIST IDX files when a data set is `mnist` (the
/// synthetic sets are generated from the seed, which the manifest records).
fn inputs(which: &Experiment) -> Vec<FileArg> {
    let (datasets, mnist): (&[sources::SourceName], _) = match which {
        Experiment::Memorization(options) => (&options.datasets, &options.mnist),
        Experiment::Pbm(options) => (&options.datasets, &options.mnist),
        _ => return Vec::new(),
    };
    if !datasets.contains(&sources::SourceName::Mnist) {
        return Vec::new();
    }
    let given = mnist.dir.as_deref();
    [
        crate::data::mnist::train_images(given),
        crate::data::mnist::test_images(given),
    ]
    .into_iter()
    .map(|path| FileArg {
        flag: "--mnist",
        path,
    })
    .collect()
}

/// Runs the experiment, writes its tables, their `manifest.json` and the plot; returns the
/// report.
pub fn run(args: &ExperimentArgs) -> Result<String> {
    if let Some(path) = &args.plot {
        crate::plot::require_png(path)?;
    }
    let slice_plot = match &args.which {
        Experiment::Pbm(options) => {
            pbm::check(options)?;
            options.slice_plot.clone()
        }
        _ => None,
    };
    if let Some(path) = &slice_plot {
        crate::plot::require_png(path)?;
    }
    let mut slices = Vec::new();
    // The whole run (metrics and training included, not only the sampling) stays inside
    // `--threads` workers, so the experiments add no pool around their own steps.
    let tables = crate::parallel::with_threads(args.threads, || {
        replicates::run_replicates(args.replicates as usize, args.seed, |seed| {
            match &args.which {
                Experiment::Interpolation(options) => {
                    interpolation::run(options, seed, args.threads)
                }
                Experiment::Memorization(options) => memorization::run(options, seed, args.threads),
                Experiment::Variance(options) => variance::run(options, seed),
                Experiment::Density(options) => density::run(options, seed),
                Experiment::Pbm(options) => pbm::run(
                    options,
                    seed,
                    args.threads,
                    (slice_plot.is_some() && seed == args.seed).then_some(&mut slices),
                ),
                #[cfg(feature = "train")]
                Experiment::NetworkSmoothing(options) => {
                    network_smoothing::run(options, seed, args.threads)
                }
                #[cfg(feature = "train")]
                Experiment::EffectiveBandwidth(options) => {
                    effective_bandwidth::run(options, seed, args.threads)
                }
            }
        })
    })??;
    let dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("experiments").join(args.which.name()));
    let mut written = Vec::new();
    for table in &tables {
        written.extend(table.write(&dir)?);
    }
    let mut outputs: Vec<FileArg> = written
        .iter()
        .map(|path| FileArg {
            flag: "--out-dir",
            path: path.clone(),
        })
        .collect();
    if let Some(path) = &args.plot {
        plot(&args.which, &tables, path)?;
        written.push(path.clone());
        outputs.push(FileArg {
            flag: "--plot",
            path: path.clone(),
        });
    }
    if let Some(path) = &slice_plot {
        crate::io::output::write_atomic_with(path, |tmp| {
            crate::plot::funnel_slice(
                tmp,
                &slices,
                "funnel: (x₀, x₁) of the samples over the true density",
            )
        })?;
        written.push(path.clone());
        outputs.push(FileArg {
            flag: "--slice-plot",
            path: path.clone(),
        });
    }
    let manifest = crate::manifest::write_to(
        &dir.join("manifest.json"),
        &crate::manifest::argv(),
        &inputs(&args.which),
        &outputs,
    )?;
    written.push(manifest);
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = tables
            .iter()
            .map(|table| (table.name.clone(), table.json()))
            .collect();
        return Ok(serde_json::to_string_pretty(&object)?);
    }
    let mut report = String::new();
    for table in tables.iter().filter(|t| t.printed) {
        report += &format!("{}:\n{}\n", table.name, table.render());
    }
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    report += &format!("wrote {}", names.join(", "));
    Ok(report)
}
