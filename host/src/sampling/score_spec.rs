//! The score a run follows, as chosen on the command line: the exact empirical score, the
//! kernel-smoothed score (Gabriel et al.), Chen's (smoothed) piecewise-linear score, or a
//! trained network (`--score net --net FILE.safetensors`, [`crate::sampling::network`]).

use crate::data::line_fit::LineFit;
use crate::manifest::{PathFlag, PathValue};
use crate::matrix::MatrixView;
use crate::sampling::network::TrainedNetwork;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use smoothscore_core::{
    AnyScore, Bandwidth, Dataset, EmpiricalScore, KernelRule, KernelSmoothedScore, LineData,
    LineScore, LineScoreKind, Process,
};
use std::path::PathBuf;

/// The host's fixed buffer capacity for kernel smoothing (the sampler's `MAX_DIM`).
pub const MAX_DIM: usize = crate::sampling::sample::MAX_DIM;

/// Which score, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScoreSpec {
    /// s_t^N.
    Exact,
    /// K_h * s_t^N.
    Kernel {
        /// h or h/σ_t.
        bandwidth: Bandwidth,
        /// The kernel points.
        rule: KernelRule,
    },
    /// PL-ESF or smoothed PL-ESF (collinear data, Brownian process).
    Line(LineScoreKind),
    /// A trained network: −ε̂/σ_t, or the learned drift for pbm. Read once and kept for the
    /// process's lifetime ([`crate::sampling::network_file::load`]), so the spec stays `Copy`.
    Network(&'static TrainedNetwork),
}

/// Command-line options that choose the score.
#[derive(Clone, Debug, Args)]
pub struct ScoreChoiceArgs {
    /// Score: exact, kernel (kernel-smoothed), pl (piecewise-linear ESF), smoothed-pl (Chen)
    /// or net (a trained network, --net).
    #[arg(long, default_value = "exact")]
    pub score: String,
    /// The trained network of --score net (.safetensors from `smoothscore train`).
    #[arg(long)]
    pub net: Option<PathBuf>,
    /// Kernel bandwidth H: h = H (const) or h_t = H·σ_t (sigma).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub bandwidth: f32,
    /// Bandwidth mode: const or sigma.
    #[arg(long, default_value = "const")]
    pub bandwidth_mode: String,
    /// Kernel points M (cost: M exact scores per smoothed score). gauss-hermite needs M = n^d.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub kernel_points: i64,
    /// Kernel rule: auto (gauss-hermite for d ≤ 3 when M is a d-th power, else quasi),
    /// gauss-hermite, quasi (antithetic quasi-random) or mc (seeded Monte Carlo).
    #[arg(long, default_value = "auto")]
    pub kernel_rule: String,
    /// Seed of the Monte Carlo kernel points (the same points at every step).
    #[arg(long, default_value_t = 0)]
    pub kernel_seed: u64,
    /// κ of the smoothed PL-ESF, δ_t = κ√t.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub kappa: f32,
}

/// n with n^dim = count, if there is one.
fn integer_root(count: usize, dim: usize) -> Option<usize> {
    (1..=count).find(|n| n.checked_pow(dim as u32) == Some(count))
}

impl ScoreChoiceArgs {
    /// The `--net` input (for manifests and `reproduce`).
    pub fn path_flag(&mut self) -> PathFlag<'_> {
        PathFlag::input("--net", PathValue::Optional(&mut self.net, None))
    }

    /// Resolves the options for data of dimension `dim` (`--score net` reads and checks the
    /// network, its dimension included).
    pub fn resolve(&self, dim: usize) -> Result<ScoreSpec> {
        if self.net.is_some() && self.score != "net" {
            bail!(
                "--net is read with --score net only (got --score {})",
                self.score
            );
        }
        match self.score.as_str() {
            "exact" => Ok(ScoreSpec::Exact),
            "net" => {
                let Some(path) = &self.net else {
                    bail!("--score net needs --net FILE.safetensors (from `smoothscore train`)");
                };
                let network = crate::sampling::network_file::load(path)?;
                network.check_dim(dim)?;
                Ok(ScoreSpec::Network(network))
            }
            "pl" => Ok(ScoreSpec::Line(LineScoreKind::PiecewiseLinear)),
            "smoothed-pl" => Ok(ScoreSpec::Line(LineScoreKind::Smoothed {
                kappa: self.kappa,
            })),
            "kernel" => {
                let bandwidth = match self.bandwidth_mode.as_str() {
                    "const" => Bandwidth::Constant {
                        bandwidth: self.bandwidth,
                    },
                    "sigma" => Bandwidth::SigmaTied {
                        ratio: self.bandwidth * self.bandwidth,
                    },
                    other => bail!("unknown --bandwidth-mode '{other}' (expected const or sigma)"),
                };
                if !(self.bandwidth.is_finite() && self.bandwidth >= 0.0) {
                    bail!("--bandwidth must be a number ≥ 0, got {}", self.bandwidth);
                }
                let rule =
                    kernel_rule(&self.kernel_rule, self.kernel_points, self.kernel_seed, dim)?;
                Ok(ScoreSpec::Kernel { bandwidth, rule })
            }
            other => {
                bail!("unknown --score '{other}' (expected exact, kernel, pl, smoothed-pl or net)")
            }
        }
    }
}

/// The kernel rule named `name` with `points` points in dimension `dim`.
pub fn kernel_rule(name: &str, points: i64, seed: u64, dim: usize) -> Result<KernelRule> {
    if !(1..=i64::from(u16::MAX)).contains(&points) {
        bail!("--kernel-points must be in 1..=65535, got {points}");
    }
    let points = points as usize;
    let gauss_hermite = |order: usize| KernelRule::GaussHermite { order: order as u8 };
    let root =
        integer_root(points, dim).filter(|&n| n <= smoothscore_core::kernel_points::MAX_ORDER);
    Ok(match name {
        "auto" => match root {
            Some(order) if dim <= 3 => gauss_hermite(order),
            _ => quasi(points)?,
        },
        "gauss-hermite" => match root {
            Some(order) if dim <= 3 => gauss_hermite(order),
            _ => bail!(
                "gauss-hermite needs d ≤ 3 and --kernel-points = n^d with n ≤ 10 (d = {dim}, M = {points})"
            ),
        },
        "quasi" => quasi(points)?,
        "mc" => KernelRule::MonteCarlo {
            points: points as u16,
            seed,
        },
        other => bail!("unknown --kernel-rule '{other}' (expected auto, gauss-hermite, quasi or mc)"),
    })
}

fn quasi(points: usize) -> Result<KernelRule> {
    if !points.is_multiple_of(2) {
        bail!("the quasi-random rule uses antithetic pairs: --kernel-points must be even, got {points}");
    }
    Ok(KernelRule::QuasiRandom {
        pairs: (points / 2) as u16,
    })
}

/// The line of the data, when the score needs one.
pub fn line_for(spec: &ScoreSpec, data: MatrixView<'_>) -> Result<Option<LineFit>> {
    match spec {
        ScoreSpec::Line(_) => LineFit::from_matrix(data).map(Some),
        _ => Ok(None),
    }
}

/// Builds the core score for `spec` over `dataset` under `process` (`line`: from [`line_for`]).
pub fn build<'a>(
    spec: &ScoreSpec,
    dataset: Dataset<'a>,
    process: Process,
    line: Option<&'a LineFit>,
) -> Result<AnyScore<'a, MAX_DIM>> {
    let exact = EmpiricalScore::new(dataset, process)?;
    Ok(match *spec {
        ScoreSpec::Exact => AnyScore::Exact(exact),
        ScoreSpec::Kernel { bandwidth, rule } => AnyScore::KernelSmoothed(
            KernelSmoothedScore::new(exact, bandwidth, rule)
                .map_err(|e| anyhow!("kernel-smoothed score: {e}"))?,
        ),
        ScoreSpec::Line(kind) => {
            let Process::Brownian { horizon } = process else {
                bail!("--score pl/smoothed-pl is defined for the Brownian process (--process brownian)");
            };
            let Some(line) = line else {
                bail!("--score pl/smoothed-pl needs the line of the data");
            };
            let data = LineData::new(&line.origin, &line.direction, &line.positions)
                .map_err(|e| anyhow!("line data: {e}"))?;
            AnyScore::Line(LineScore::new(data, kind, horizon)?)
        }
        ScoreSpec::Network(network) => AnyScore::Network(network.score(process)?),
    })
}

/// A short description for reports, e.g. `kernel h = 0.1 (64 quasi points)`.
pub fn describe(spec: &ScoreSpec) -> String {
    match spec {
        ScoreSpec::Exact => "exact score".to_string(),
        ScoreSpec::Kernel { bandwidth, rule } => {
            let h = match bandwidth {
                Bandwidth::Constant { bandwidth } => format!("h = {bandwidth}"),
                Bandwidth::SigmaTied { ratio } => format!("h = {}·σ_t", ratio.sqrt()),
            };
            let points = match rule {
                KernelRule::GaussHermite { order } => format!("Gauss–Hermite order {order}"),
                KernelRule::QuasiRandom { pairs } => format!("{} quasi-random points", 2 * pairs),
                KernelRule::MonteCarlo { points, seed } => {
                    format!("{points} MC points, seed {seed}")
                }
            };
            format!("kernel-smoothed score, {h} ({points})")
        }
        ScoreSpec::Line(LineScoreKind::PiecewiseLinear) => "piecewise-linear ESF".to_string(),
        ScoreSpec::Line(LineScoreKind::Smoothed { kappa }) => {
            format!("smoothed PL-ESF, κ = {kappa}")
        }
        ScoreSpec::Network(network) => network.describe(),
    }
}
