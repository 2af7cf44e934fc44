//! The score a run follows, as chosen on the command line: the exact empirical score, the
//! kernel-smoothed score (Gabriel et al.), Chen's (smoothed) piecewise-linear score, or a
//! trained network (`--score net --net FILE.safetensors`, [`crate::sampling::network`]).

use crate::data::line_fit::LineFit;
use crate::manifest::{PathFlag, PathValue};
use crate::matrix::MatrixView;
use crate::sampling::network::TrainedNetwork;
use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};
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

/// The scores, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScoreName {
    /// The exact empirical score s_t^N.
    Exact,
    /// The kernel-smoothed score K_h * s_t^N (--bandwidth, --kernel-points, --kernel-rule).
    Kernel,
    /// Chen's piecewise-linear ESF (collinear data, --process brownian).
    Pl,
    /// Chen's smoothed PL-ESF, δ_t = κ√t (--kappa; collinear data, --process brownian).
    SmoothedPl,
    /// A trained network (--net FILE.safetensors from `smoothscore train`).
    Net,
}

/// The kernel bandwidth modes, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BandwidthMode {
    /// h = H at every t.
    Const,
    /// h_t = H·σ_t.
    Sigma,
}

/// The kernel rules, under the names the command line uses (see [`kernel_rule`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KernelRuleName {
    /// d ≤ 3 and M ≥ 2^d: Gauss–Hermite of n = min(⌊M^{1/d}⌋, 10) points per axis, n^d ≤ M in
    /// all; otherwise quasi-random, 2⌈M/2⌉ points.
    Auto,
    /// Tensor-product Gauss–Hermite, M = n^d with n ≤ 10 per axis, d ≤ 3.
    GaussHermite,
    /// Antithetic quasi-random points, M even.
    Quasi,
    /// Seeded Monte Carlo points (--kernel-seed).
    Mc,
}

/// Command-line options that choose the score.
#[derive(Clone, Debug, Args)]
pub struct ScoreChoiceArgs {
    /// Score.
    #[arg(long, value_enum, default_value_t = ScoreName::Exact)]
    pub score: ScoreName,
    /// The trained network of --score net (.safetensors from `smoothscore train`).
    #[arg(long)]
    pub net: Option<PathBuf>,
    /// Kernel bandwidth H: h = H (const) or h_t = H·σ_t (sigma).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub bandwidth: f32,
    /// Bandwidth mode.
    #[arg(long, value_enum, default_value_t = BandwidthMode::Const)]
    pub bandwidth_mode: BandwidthMode,
    /// Kernel points M, 1 to 65535 (cost: M exact scores per smoothed score). gauss-hermite
    /// needs M = n^d with n ≤ 10 per axis; reports name the M actually used.
    #[arg(long, default_value_t = 64, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// Kernel rule.
    #[arg(long, value_enum, default_value_t = KernelRuleName::Auto)]
    pub kernel_rule: KernelRuleName,
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
        if self.net.is_some() && self.score != ScoreName::Net {
            bail!(
                "--net is read with --score net only (got --score {})",
                crate::usage::choice_name(self.score)
            );
        }
        match self.score {
            ScoreName::Exact => Ok(ScoreSpec::Exact),
            ScoreName::Net => {
                let Some(path) = &self.net else {
                    bail!("--score net needs --net FILE.safetensors (from `smoothscore train`)");
                };
                let network = crate::sampling::network_file::load(path)?;
                network.check_dim(dim)?;
                Ok(ScoreSpec::Network(network))
            }
            ScoreName::Pl => Ok(ScoreSpec::Line(LineScoreKind::PiecewiseLinear)),
            ScoreName::SmoothedPl => Ok(ScoreSpec::Line(LineScoreKind::Smoothed {
                kappa: self.kappa,
            })),
            ScoreName::Kernel => {
                let bandwidth = match self.bandwidth_mode {
                    BandwidthMode::Const => Bandwidth::Constant {
                        bandwidth: self.bandwidth,
                    },
                    BandwidthMode::Sigma => Bandwidth::SigmaTied {
                        ratio: self.bandwidth * self.bandwidth,
                    },
                };
                if !(self.bandwidth.is_finite() && self.bandwidth >= 0.0) {
                    bail!("--bandwidth must be a number ≥ 0, got {}", self.bandwidth);
                }
                let rule =
                    kernel_rule(self.kernel_rule, self.kernel_points, self.kernel_seed, dim)?;
                Ok(ScoreSpec::Kernel { bandwidth, rule })
            }
        }
    }
}

/// The kernel rule `name` with `points` points (1 to 65535) in dimension `dim`. `auto` picks by
/// this table (M asked, n per axis; the report names the M used):
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
///
/// ```
/// use smoothscore::sampling::score_spec::{kernel_rule, KernelRuleName};
/// use smoothscore_core::KernelRule;
/// let rule = kernel_rule(KernelRuleName::Auto, 64, 0, 2).unwrap();
/// assert_eq!(rule, KernelRule::GaussHermite { order: 8 });
/// assert!(kernel_rule(KernelRuleName::Quasi, 7, 0, 2).is_err());
/// ```
pub fn kernel_rule(
    name: KernelRuleName,
    points: usize,
    seed: u64,
    dim: usize,
) -> Result<KernelRule> {
    if !(1..=usize::from(u16::MAX)).contains(&points) {
        bail!("--kernel-points must be in 1..=65535, got {points}");
    }
    let gauss_hermite = |order: usize| KernelRule::GaussHermite { order: order as u8 };
    Ok(match name {
        KernelRuleName::Auto => {
            let per_axis = (2..=MAX_ORDER)
                .take_while(|n| n.checked_pow(dim as u32).is_some_and(|m| m <= points))
                .last();
            match per_axis {
                Some(n) if dim <= MAX_GAUSS_HERMITE_DIM => gauss_hermite(n),
                _ => quasi(points.div_ceil(2) * 2)?,
            }
        }
        KernelRuleName::GaussHermite => {
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
        KernelRuleName::Quasi => quasi(points)?,
        KernelRuleName::Mc => KernelRule::MonteCarlo {
            points: points as u16,
            seed,
        },
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
