//! `experiment pbm` (Vargas, Reu, Kerekes and Bronstein): the VP-SDE against the pinned Brownian
//! motion (Föllmer drift) on Neal's funnel and a 10-component GMM, with the empirical target's
//! exact score/drift, its kernel-smoothed version and — the paper's claim — *learned* ones:
//! `--scores net` trains, per process and per width of `--widths`, a network of the same
//! architecture (input d + 2K, output d, so VP and pinned networks of one width have exactly the
//! same parameter count: the `parameters` column) by denoising score matching (VP, time input
//! the log-SNR) or drift
//! matching (pinned; [`crate::learned::objective`]) with the same steps, batch and optimiser, and
//! samples with it. Sweeps: `--dims` (the funnel's and the GMM's dimension d), `--n-trains`
//! (training-set size N) and `--widths` (the budget).
//!
//! Each row: the metrics of `experiment memorization` against 512 fresh draws of the true law
//! (memorization, precision-like and coverage distances, MMD²) and two more distances to the
//! truth, the sliced Wasserstein-2 distance (64 directions) and the energy distance.
//! `--slice-plot` draws the funnel's (x₀, x₁) slice of each run's samples over the true density
//! (the paper's funnel figure), for the first funnel run of the sweep in replicate 0.

use super::euler_maruyama_samples;
use super::memorization::{coordinate_spread, sample_metrics, SAMPLE_METRICS};
use super::sources::{self, Source, SourceName};
use super::table::{Cell, Table};
use crate::data::synthetic::{funnel, GaussianMixture};
use crate::matrix::Matrix;
use crate::metrics::distances::{energy_distance, sliced_wasserstein};
use crate::metrics::memorization::DEFAULT_EPSILON;
use crate::plot::SlicePanel;
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sample::MAX_DIM;
use crate::sampling::score_spec::{kernel_rule, KernelRuleName, ScoreSpec};
use anyhow::{bail, Result};
use clap::Args;
use smoothscore_core::{Bandwidth, Process};
use std::path::PathBuf;

/// The scores (drifts, for the pinned process) of `experiment pbm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PbmScore {
    /// The exact score / drift of the empirical target (it reproduces training points).
    Exact,
    /// The kernel-smoothed score / drift at `--bandwidth`.
    Kernel,
    /// Networks trained on the training set, one per width of `--widths` (feature `train`).
    Net,
}

/// Options of `experiment pbm`.
#[derive(Clone, Debug, Args)]
pub struct PbmArgs {
    /// Data sets (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "funnel50,gmm50"
    )]
    pub datasets: Vec<SourceName>,
    /// Scores (drifts) to compare, comma-separated: exact, kernel, net.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "exact,kernel"
    )]
    pub scores: Vec<PbmScore>,
    /// Dimensions d of funnel50 and gmm50 (comma-separated: a sweep; the other sets keep theirs).
    #[arg(long, value_delimiter = ',', default_value = "50", value_parser = crate::io::limits::count(2, MAX_DIM))]
    pub dims: Vec<usize>,
    /// Training-set sizes N of funnel50 and gmm50 (comma-separated: a sweep; the other sets
    /// keep theirs).
    #[arg(long, value_delimiter = ',', default_value = "512", value_parser = crate::io::limits::count(2, 1 << 20))]
    pub n_trains: Vec<usize>,
    /// Bandwidth of the smoothed runs, in units of the data's RMS spread per coordinate.
    #[arg(long, default_value_t = 0.3)]
    pub bandwidth: f32,
    /// Samples per run.
    #[arg(long, default_value_t = 128, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_samples: usize,
    /// Euler–Maruyama steps (geometric grids: toward t_min = 10⁻³ for VP, toward t = 1 − 10⁻³
    /// for the pinned process).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::io::limits::step_count)]
    pub steps: usize,
    /// Kernel points M (antithetic quasi-random in d = 50).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// σ of the pinned Brownian motion.
    #[arg(long, default_value_t = 1.0)]
    pub pbm_sigma: f32,
    /// ε of the memorization tolerance (as in `experiment memorization`).
    #[arg(long, default_value_t = DEFAULT_EPSILON, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
    /// The networks of `--scores net`.
    #[command(flatten)]
    pub networks: PbmNetworks,
    /// Also draw the funnel's (x₀, x₁) slice of every run's samples over the true density, PNG.
    #[arg(long)]
    pub slice_plot: Option<PathBuf>,
    /// Where MNIST is (when a data set is mnist).
    #[command(flatten)]
    pub mnist: crate::data::mnist::MnistArgs,
}

/// The networks of `--scores net`: one architecture per width, the same for both processes.
#[derive(Clone, Debug, Args)]
pub struct PbmNetworks {
    /// Hidden units of the networks (comma-separated: the budget sweep).
    #[arg(long, value_delimiter = ',', default_value = "64,256", value_parser = crate::io::limits::count(1, 4096))]
    pub widths: Vec<usize>,
    /// Hidden layers of the networks.
    #[arg(long, default_value_t = 2, value_parser = crate::io::limits::count(1, 16))]
    pub depth: usize,
    /// Hidden-layer activation of the networks.
    #[arg(long, value_enum, default_value = "silu")]
    pub activation: crate::sampling::network::ActivationName,
    /// Fourier time features K of the networks (VP: of the log-SNR ln(α_t/σ_t); pinned: of t).
    #[arg(long, default_value_t = 4, value_parser = crate::io::limits::count(0, 64))]
    pub time_features: usize,
    /// Optimizer steps per network. Long enough for the VP networks: at 3000 steps they are
    /// under-trained in d ≥ 16 and their samples drift far off (measured with the earlier
    /// ln σ_t time input; GMM-10, d = 16, width 256: MMD² 0.27 at 3000 steps, 0.0024 at
    /// 12 000, beside the pinned network's 0.0029).
    #[arg(long, default_value_t = 12_000, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub train_steps: usize,
    /// Examples per optimizer step.
    #[arg(long, default_value_t = 256, value_parser = crate::io::limits::count(1, 1 << 20))]
    pub batch: usize,
    /// AdamW learning rate (cosine schedule).
    #[arg(long, default_value_t = 2e-3, allow_negative_numbers = true)]
    pub lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f64,
}

/// The metric columns of `experiment pbm`: [`SAMPLE_METRICS`] and two distances to the truth.
pub fn metric_columns() -> Vec<&'static str> {
    let mut columns = SAMPLE_METRICS.to_vec();
    columns.extend(["sliced_w2_to_held_out", "energy_to_held_out"]);
    columns
}

/// Directions of the sliced Wasserstein-2 distance.
const SLICES: usize = 64;

/// Held-out draws of the true law per synthetic set.
const HELD_OUT: usize = 512;

/// The data sets of one sweep point: `name` at dimension `dim` with `n_train` training points
/// (funnel50 and gmm50; the other sets as [`sources::load`] gives them).
fn source(
    args: &PbmArgs,
    name: SourceName,
    dim: usize,
    n_train: usize,
    seed: u64,
) -> Result<Source> {
    Ok(match name {
        SourceName::Funnel50 => Source {
            train: funnel(n_train, dim, seed)?,
            held_out: funnel(HELD_OUT, dim, seed ^ 0x5eed)?,
        },
        SourceName::Gmm50 => {
            let law = GaussianMixture::ten_components(dim);
            Source {
                train: law.sample(n_train, seed)?,
                held_out: law.sample(HELD_OUT, seed ^ 0x5eed)?,
            }
        }
        other => sources::load(other, seed, 0, args.mnist.dir.as_deref())?,
    })
}

/// The (dimension, N) points of the sweep for `name`: the grid of `--dims` × `--n-trains` for
/// funnel50 and gmm50, one point for the other sets.
fn sweep(args: &PbmArgs, name: SourceName) -> Vec<(usize, usize)> {
    match name {
        SourceName::Funnel50 | SourceName::Gmm50 => args
            .dims
            .iter()
            .flat_map(|&d| args.n_trains.iter().map(move |&n| (d, n)))
            .collect(),
        _ => vec![(0, 0)],
    }
}

/// Checks the options before any work (and that `net` is compiled in).
pub fn check(args: &PbmArgs) -> Result<()> {
    if args.scores.is_empty() {
        bail!("--scores needs at least one of exact, kernel, net");
    }
    if args.slice_plot.is_some() && !args.datasets.contains(&SourceName::Funnel50) {
        bail!("--slice-plot draws the funnel: add funnel50 to --datasets");
    }
    if args.scores.contains(&PbmScore::Net) {
        if !cfg!(feature = "train") {
            bail!("--scores net trains networks: this build has no `train` feature");
        }
        let n = &args.networks;
        if !(n.weight_decay.is_finite() && n.weight_decay >= 0.0) {
            bail!(
                "--weight-decay must be a number ≥ 0, got {}",
                n.weight_decay
            );
        }
        if !(n.lr.is_finite() && n.lr > 0.0) {
            bail!("--lr must be a number > 0, got {}", n.lr);
        }
    }
    Ok(())
}

/// Runs the comparison on options [`check`] has accepted (the experiment driver checks them
/// once, before the replicates). With `slices`, the first funnel run's samples are pushed
/// there (one panel per process and score).
pub fn run(
    args: &PbmArgs,
    seed: u64,
    threads: usize,
    mut slices: Option<&mut Vec<SlicePanel>>,
) -> Result<Vec<Table>> {
    let metrics = metric_columns();
    let mut table = Table::new(
        "pbm",
        &[
            "dataset",
            "n_train",
            "dim",
            "process",
            "score",
            "width",
            "parameters",
            "epsilon",
        ],
        &metrics,
    );
    for name in &args.datasets {
        for (dim, n_train) in sweep(args, *name) {
            let Source { train, held_out } = source(args, *name, dim, n_train, seed)?;
            let slice_here = *name == SourceName::Funnel50
                && slices.as_ref().is_some_and(|panels| panels.is_empty());
            let processes = [
                ("vp", ProcessSpec::Reverse(Process::VP_LINEAR)),
                (
                    "pbm",
                    ProcessSpec::Pinned {
                        sigma: args.pbm_sigma,
                    },
                ),
            ];
            let mut panels = Vec::new();
            for (process_name, process) in processes {
                for &which in &args.scores {
                    for run in score_runs(args, which, &train, process, seed)? {
                        let samples = euler_maruyama_samples(
                            &train,
                            process,
                            run.score,
                            (args.steps, args.n_samples),
                            seed,
                            threads,
                        )?;
                        let mut row: Vec<Cell> = vec![
                            crate::usage::choice_name(*name).into(),
                            train.rows().into(),
                            train.cols().into(),
                            process_name.into(),
                            run.name.into(),
                            run.width,
                            run.parameters,
                            args.epsilon.into(),
                        ];
                        row.extend(sample_metrics(&train, &held_out, &samples, args.epsilon)?);
                        row.push(
                            sliced_wasserstein(&samples, &held_out, SLICES, seed ^ 0x511ce)?.into(),
                        );
                        row.push(energy_distance(&samples, &held_out)?.into());
                        table.push(row);
                        if slice_here {
                            panels.push(SlicePanel {
                                label: format!("{process_name}, {}", run.label),
                                samples,
                            });
                        }
                    }
                }
            }
            if let Some(out) = slices.as_deref_mut().filter(|_| slice_here) {
                *out = panels;
            }
        }
    }
    Ok(vec![table])
}

/// One sampling run of a score choice: its table cells and its score.
struct ScoreRun {
    /// The `score` column.
    name: &'static str,
    /// The panel label of the slice picture.
    label: String,
    /// The `width` column ("-" unless a network).
    width: Cell,
    /// The `parameters` column ("-" unless a network).
    parameters: Cell,
    /// What the sampler evaluates.
    score: ScoreSpec,
}

/// The runs of `which` under `process` on `train`: one for exact and kernel, one trained
/// network per width for net.
fn score_runs(
    args: &PbmArgs,
    which: PbmScore,
    train: &Matrix,
    process: ProcessSpec,
    seed: u64,
) -> Result<Vec<ScoreRun>> {
    let plain = |name: &'static str, score| ScoreRun {
        name,
        label: name.to_string(),
        width: "-".into(),
        parameters: "-".into(),
        score,
    };
    Ok(match which {
        PbmScore::Exact => vec![plain("exact", ScoreSpec::Exact)],
        PbmScore::Kernel => {
            let bandwidth = args.bandwidth * coordinate_spread(train) as f32;
            vec![plain(
                "kernel",
                ScoreSpec::Kernel {
                    bandwidth: Bandwidth::Constant { bandwidth },
                    rule: kernel_rule(
                        KernelRuleName::Auto,
                        args.kernel_points,
                        seed,
                        train.cols(),
                    )?,
                },
            )]
        }
        PbmScore::Net => network_runs(args, train, process, seed)?,
    })
}

/// One trained network per width of `--widths` (same recipe for VP and pinned).
#[cfg(feature = "train")]
fn network_runs(
    args: &PbmArgs,
    train: &Matrix,
    process: ProcessSpec,
    seed: u64,
) -> Result<Vec<ScoreRun>> {
    use super::networks::{train_network, NetworkRecipe};
    use crate::sampling::network::TrainedNetwork;
    let n = &args.networks;
    let mut runs = Vec::with_capacity(n.widths.len());
    for &width in &n.widths {
        let recipe = NetworkRecipe {
            width,
            depth: n.depth,
            activation: n.activation,
            time_features: n.time_features,
            train_steps: n.train_steps,
            batch: n.batch,
            lr: n.lr,
        };
        let process_tag = u64::from(matches!(process, ProcessSpec::Pinned { .. }));
        let trained = train_network(
            train.view(),
            process,
            &recipe,
            n.weight_decay,
            1e-3,
            seed ^ (width as u64).wrapping_mul(0x9e37_79b9) ^ (process_tag << 40),
        )?;
        // The sampling spec holds a `&'static` network (it is `Copy`); an experiment trains a
        // handful of small networks, kept for the rest of the run.
        let leaked: &'static TrainedNetwork = Box::leak(Box::new(trained.network));
        runs.push(ScoreRun {
            name: "net",
            label: format!("net {width}"),
            width: width.into(),
            parameters: leaked.weights.len().into(),
            score: ScoreSpec::Network(leaked),
        });
    }
    Ok(runs)
}

/// Without the `train` feature there are no networks ([`check`] refuses `net` first).
#[cfg(not(feature = "train"))]
fn network_runs(
    _args: &PbmArgs,
    _train: &Matrix,
    _process: ProcessSpec,
    _seed: u64,
) -> Result<Vec<ScoreRun>> {
    bail!("--scores net trains networks: this build has no `train` feature")
}
