//! The score a run follows, as chosen on the command line: the exact empirical score, the
//! kernel-smoothed score (Gabriel et al.), Chen's (smoothed) piecewise-linear score, or a
//! trained network (`--score net --net FILE.safetensors`, [`crate::sampling::network`]).

use crate::data::line_fit::LineFit;
use crate::manifest::{PathFlag, PathValue};
use crate::matrix::MatrixView;
use crate::sampling::network::TrainedNetwork;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use smoothscore_core::kernel_points::{MAX_GAUSS_HERMITE_DIM, MAX_ORDER};
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
    /// Kernel points M (cost: M exact scores per smoothed score). gauss-hermite needs M = n^d
    /// with n ≤ 10 per axis; reports name the M actually used.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true)]
    pub kernel_points: i64,
    /// Kernel rule: auto (d ≤ 3 and M ≥ 2^d: Gauss–Hermite of n = min(⌊M^{1/d}⌋, 10) points
    /// per axis, n^d ≤ M in all; otherwise quasi-random, 2⌈M/2⌉ points), gauss-hermite (M = n^d, n ≤ 10,
    /// d ≤ 3), quasi (antithetic quasi-random, M even) or mc (seeded Monte Carlo).
    #[arg(long, default_value = "auto")]
    pub kernel_rule: String,
    /// Seed of the Monte Carlo kernel points (the same points at every step).
    #[arg(long, default_value_t = 0)]
    pub kernel_seed: u64,
    /// κ of the smoothed PL-ESF, δ_t = κ√t.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub kappa: f32,
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

/// The kernel rule named `name` with `points` points in dimension `dim`. `auto` picks by this
/// table (M asked, n per axis; the report names the M used):
///
/// | d | M | rule | M used |
/// |---|---|---|---|
/// | ≤ 3 ([`MAX_GAUSS_HERMITE_DIM`]) | ≥ 2^d | Gauss–Hermite, n = min(⌊M^{1/d}⌋, 10 = [`MAX_ORDER`]) per axis | n^d ≤ M |
/// | ≤ 3 | < 2^d | quasi-random antithetic pairs | 2⌈M/2⌉ |
/// | > 3 | any | quasi-random antithetic pairs | 2⌈M/2⌉ |
///
/// Gauss–Hermite is exact for polynomials of degree < 2n per axis and converges spectrally for
/// smooth integrands, so within its limit it beats M quasi-random points; above the limit
/// (n > 10 per axis) `gauss-hermite` is an error that says the limit.
pub fn kernel_rule(name: &str, points: i64, seed: u64, dim: usize) -> Result<KernelRule> {
    if !(1..=i64::from(u16::MAX)).contains(&points) {
        bail!("--kernel-points must be in 1..=65535, got {points}");
    }
    let points = points as usize;
    let gauss_hermite = |order: usize| KernelRule::GaussHermite { order: order as u8 };
    Ok(match name {
        "auto" => {
            let per_axis = (2..=MAX_ORDER)
                .take_while(|n| n.checked_pow(dim as u32).is_some_and(|m| m <= points))
                .last();
            match per_axis {
                Some(n) if dim <= MAX_GAUSS_HERMITE_DIM => gauss_hermite(n),
                _ => quasi(points.div_ceil(2) * 2)?,
            }
        }
        "gauss-hermite" => {
            if dim > MAX_GAUSS_HERMITE_DIM {
                bail!("gauss-hermite is a tensor-product rule for d ≤ {MAX_GAUSS_HERMITE_DIM} (the data has d = {dim}); use quasi or mc");
            }
            let root =
                (1..=points).find(|n| n.checked_pow(dim as u32).is_some_and(|m| m >= points));
            match root {
                Some(n) if n.pow(dim as u32) == points && n <= MAX_ORDER => gauss_hermite(n),
                Some(n) if n.pow(dim as u32) == points => bail!(
                    "gauss-hermite has at most {MAX_ORDER} points per axis, M ≤ {} in d = {dim}; --kernel-points {points} is {n} per axis",
                    MAX_ORDER.pow(dim as u32)
                ),
                _ => bail!("gauss-hermite needs --kernel-points = n^{dim} (n ≤ {MAX_ORDER} per axis) in d = {dim}, got {points}"),
            }
        }
        "quasi" => quasi(points)?,
        "mc" => KernelRule::MonteCarlo {
            points: points as u16,
            seed,
        },
        other => {
            bail!("unknown --kernel-rule '{other}' (expected auto, gauss-hermite, quasi or mc)")
        }
    })
}

/// The rule's name and its number M of kernel points in dimension `dim`.
pub fn rule_points(rule: &KernelRule, dim: usize) -> (&'static str, usize) {
    match *rule {
        KernelRule::GaussHermite { order } => ("gauss-hermite", usize::from(order).pow(dim as u32)),
        KernelRule::QuasiRandom { pairs } => ("quasi", 2 * usize::from(pairs)),
        KernelRule::MonteCarlo { points, .. } => ("mc", usize::from(points)),
    }
}

/// The kernel rule and M of a score for JSON reports and manifests (`null`s for the unsmoothed
/// scores).
pub fn rule_json(spec: &ScoreSpec, dim: usize) -> serde_json::Value {
    match spec {
        ScoreSpec::Kernel { rule, .. } => {
            let (name, points) = rule_points(rule, dim);
            serde_json::json!({ "kernel_rule": name, "kernel_points": points })
        }
        _ => serde_json::json!({ "kernel_rule": null, "kernel_points": null }),
    }
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

/// A short description for reports in dimension `dim`, e.g.
/// `kernel-smoothed score, h = 0.1 (Gauss–Hermite, 8 per axis, M = 64)`.
pub fn describe(spec: &ScoreSpec, dim: usize) -> String {
    match spec {
        ScoreSpec::Exact => "exact score".to_string(),
        ScoreSpec::Kernel { bandwidth, rule } => {
            let h = match bandwidth {
                Bandwidth::Constant { bandwidth } => format!("h = {bandwidth}"),
                Bandwidth::SigmaTied { ratio } => format!("h = {}·σ_t", ratio.sqrt()),
            };
            let count = rule_points(rule, dim).1;
            let points = match rule {
                KernelRule::GaussHermite { order } => {
                    format!("Gauss–Hermite, {order} per axis, M = {count}")
                }
                KernelRule::QuasiRandom { .. } => format!("quasi-random, M = {count}"),
                KernelRule::MonteCarlo { seed, .. } => {
                    format!("Monte Carlo, M = {count}, seed {seed}")
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
