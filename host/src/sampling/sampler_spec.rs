//! The sampler a run uses, as chosen on the command line: the integrator and its parameters,
//! the time grid, and the law the reverse samplers start from.
//!
//! | flag | applies to | values |
//! |---|---|---|
//! | `--sampler` | every process (pbm: `em` only; ve: not `euler`, see [`check_pairing`]) | em, euler, heun, ddim, dpmpp-2m, edm |
//! | `--eta` | ddim | η ∈ [0, 1], default 0 (deterministic; 1 is DDPM's ancestral step) |
//! | `--churn`, `--s-noise`, `--s-tmin`, `--s-tmax` | edm | S_churn (0), S_noise (1), S_tmin (0), S_tmax (∞), in noise level λ = σ/α |
//! | `--grid` | every process (pbm: not karras or cosine) | auto (the table of [`ProcessSpec::default_spacing`]), uniform, geometric, karras, cosine |
//! | `--rho` | `--grid karras` | ρ ≥ 1, default 7 |
//! | `--prior` | reverse processes | auto (moment-matched for Brownian and VE, standard otherwise), standard, moment-matched |

use crate::matrix::MatrixView;
use crate::sampling::process_spec::ProcessSpec;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use smoothscore_core::{EdmChurn, Integrator, Prior, Process, Spacing};

/// The integrators, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerName {
    /// Reverse SDE, Euler–Maruyama.
    Em,
    /// Probability-flow ODE, Euler.
    Euler,
    /// Probability-flow ODE, Heun (2nd order, 2 scores per step).
    Heun,
    /// DDIM (Song et al. 2021) with --eta.
    Ddim,
    /// DPM-Solver++(2M) (Lu et al. 2022), multistep 2nd order.
    #[value(name = "dpmpp-2m")]
    DpmPlusPlus2M,
    /// EDM's stochastic Heun sampler (Karras et al. 2022) with --churn.
    Edm,
}

/// The time grids, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GridName {
    /// The process's default (see `--help` or README "Samplers").
    Auto,
    /// Uniform in t.
    Uniform,
    /// Log-uniform in t (pbm: in 1 − t).
    Geometric,
    /// The EDM schedule in noise level λ = σ/α with exponent --rho.
    Karras,
    /// The cosine schedule's noise levels λ = σ_d tan θ, θ uniform, σ_d = 0.5.
    Cosine,
}

/// The scale c of `--grid cosine` (λ = c tan θ): the data's standard deviation the grid is
/// made for, EDM's σ_data = 0.5 (Karras et al. 2022). The grid's steps are densest around
/// λ ≈ c.
pub const COSINE_GRID_SCALE: f32 = 0.5;

/// The starting laws, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PriorName {
    /// Moment-matched for Brownian and VE (whose terminal law depends on the data), standard
    /// otherwise.
    Auto,
    /// N(0, σ_T² I).
    Standard,
    /// N(α_T μ̂, α_T² Σ̂ + σ_T² I) from the data's mean μ̂ and covariance Σ̂.
    MomentMatched,
}

/// A resolved starting law (no `auto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorChoice {
    /// N(0, σ_T² I).
    Standard,
    /// N(α_T μ̂, α_T² Σ̂ + σ_T² I).
    MomentMatched,
}

/// The options that choose the sampler (flattened into `sample`'s `Args`).
#[derive(Clone, Debug, PartialEq, Args)]
pub struct SamplerArgs {
    /// Integrator: em (reverse SDE, Euler–Maruyama), euler or heun (probability-flow ODE),
    /// ddim (--eta), dpmpp-2m (DPM-Solver++(2M)), edm (EDM's stochastic Heun, --churn). The
    /// pinned Brownian motion (pbm) takes em only.
    #[arg(long, value_enum, default_value_t = SamplerName::Em)]
    pub sampler: SamplerName,
    /// DDIM's η ∈ [0, 1] (default 0: deterministic; 1: DDPM's ancestral step). ddim only.
    #[arg(long, allow_negative_numbers = true)]
    pub eta: Option<f32>,
    /// EDM's S_churn ≥ 0, the total churn over the steps (default 0: no noise added). edm only.
    #[arg(long, allow_negative_numbers = true)]
    pub churn: Option<f32>,
    /// EDM's S_noise ≥ 0, the scale of the churn noise (default 1). edm only.
    #[arg(long, allow_negative_numbers = true)]
    pub s_noise: Option<f32>,
    /// EDM's S_tmin: no churn below this noise level λ = σ/α (default 0). edm only.
    #[arg(long, allow_negative_numbers = true)]
    pub s_tmin: Option<f32>,
    /// EDM's S_tmax: no churn above this noise level λ = σ/α (default ∞). edm only.
    #[arg(long, allow_negative_numbers = true)]
    pub s_tmax: Option<f32>,
    /// Time grid: auto (ddim and edm with --churn: cosine; otherwise per process: vp-linear,
    /// ou and brownian geometric, vp-cosine and ve karras, pbm geometric in 1 − t), uniform (in
    /// t), geometric (log-uniform in t), karras (the EDM schedule in noise level λ = σ/α,
    /// exponent --rho) or cosine (λ = 0.5 tan θ with θ uniform: the cosine schedule's noise
    /// levels); karras and cosine not for pbm.
    #[arg(long, value_enum, default_value_t = GridName::Auto)]
    pub grid: GridName,
    /// The exponent ρ ≥ 1 of --grid karras (7: Karras et al.'s choice).
    #[arg(long, default_value_t = 7.0, allow_negative_numbers = true)]
    pub rho: f32,
    /// Starting law at T: auto (moment-matched for brownian and ve, whose terminal law depends
    /// on the data; standard otherwise), standard (N(0, σ_T² I)) or moment-matched
    /// (N(α_T μ̂, α_T² Σ̂ + σ_T² I) from the data's mean and covariance; diagonal Σ̂ above
    /// d = 64). Not for pbm, which starts at X_0 = 0.
    #[arg(long, value_enum, default_value_t = PriorName::Auto)]
    pub prior: PriorName,
}

/// Largest dimension whose moment-matched prior uses the full covariance (a d × d Cholesky
/// factor); above it the covariance is taken diagonal (O(N·d) instead of O(N·d² + d³)).
pub const MAX_FULL_COVARIANCE_DIM: usize = 64;

impl SamplerArgs {
    /// The integrator with its parameters; refuses parameters of another integrator.
    pub fn integrator(&self) -> Result<Integrator> {
        let edm_flags = [
            ("--churn", self.churn),
            ("--s-noise", self.s_noise),
            ("--s-tmin", self.s_tmin),
            ("--s-tmax", self.s_tmax),
        ];
        let name = self.name();
        if self.sampler != SamplerName::Ddim && self.eta.is_some() {
            bail!("--eta is DDIM's parameter (--sampler ddim), not {name}'s");
        }
        if self.sampler != SamplerName::Edm {
            if let Some((flag, _)) = edm_flags.iter().find(|(_, value)| value.is_some()) {
                bail!("{flag} is EDM's parameter (--sampler edm), not {name}'s");
            }
        }
        let integrator = match self.sampler {
            SamplerName::Em => Integrator::EulerMaruyama,
            SamplerName::Euler => Integrator::Euler,
            SamplerName::Heun => Integrator::Heun,
            SamplerName::Ddim => Integrator::Ddim {
                eta: self.eta.unwrap_or(0.0),
            },
            SamplerName::DpmPlusPlus2M => Integrator::DpmSolverPlusPlus2M,
            SamplerName::Edm => Integrator::Edm(EdmChurn {
                churn: self.churn.unwrap_or(EdmChurn::NONE.churn),
                noise: self.s_noise.unwrap_or(EdmChurn::NONE.noise),
                lambda_min: self.s_tmin.unwrap_or(EdmChurn::NONE.lambda_min),
                lambda_max: self.s_tmax.unwrap_or(EdmChurn::NONE.lambda_max),
            }),
        };
        if let Err(smoothscore_core::Error::InvalidParameter { name, value }) =
            integrator.validate()
        {
            let (flag, range) = match name {
                "eta" => ("--eta", "in [0, 1]"),
                "churn" => ("--churn", "a number ≥ 0"),
                "s_noise" => ("--s-noise", "a number ≥ 0"),
                "s_tmin" => ("--s-tmin", "a number ≥ 0"),
                _ => ("--s-tmax", "≥ --s-tmin"),
            };
            bail!("{flag} must be {range}, got {value}");
        }
        Ok(integrator)
    }

    /// The integrator's command-line name.
    pub fn name(&self) -> &'static str {
        match self.sampler {
            SamplerName::Em => "em",
            SamplerName::Euler => "euler",
            SamplerName::Heun => "heun",
            SamplerName::Ddim => "ddim",
            SamplerName::DpmPlusPlus2M => "dpmpp-2m",
            SamplerName::Edm => "edm",
        }
    }

    /// The grid spacing for `process`: `--grid`, or the process's default for `auto`.
    pub fn spacing(&self, process: &ProcessSpec, integrator: &Integrator) -> Result<Spacing> {
        if !(self.rho.is_finite() && self.rho >= 1.0) {
            bail!("--rho must be a number ≥ 1, got {}", self.rho);
        }
        let spacing = match self.grid {
            GridName::Auto => process.default_spacing(integrator, self.rho),
            GridName::Uniform => Spacing::Uniform,
            GridName::Geometric => Spacing::Geometric,
            GridName::Karras => Spacing::Karras { rho: self.rho },
            GridName::Cosine => Spacing::Cosine {
                scale: COSINE_GRID_SCALE,
            },
        };
        if let ProcessSpec::Pinned { .. } = process {
            if let Spacing::Karras { .. } | Spacing::Cosine { .. } = spacing {
                let name = describe_spacing(&spacing);
                let name = name.split(' ').next().unwrap_or_default();
                bail!("--grid {name} is in a reverse process's noise level; the pinned Brownian motion takes uniform or geometric (in 1 − t)");
            }
        }
        Ok(spacing)
    }

    /// The starting law for `process` (`None` for the pinned process, which starts at 0).
    pub fn prior(&self, process: &ProcessSpec) -> Result<Option<PriorChoice>> {
        let ProcessSpec::Reverse(process) = process else {
            if self.prior != PriorName::Auto {
                bail!("--prior is the law the reverse processes start from; the pinned Brownian motion starts at X_0 = 0");
            }
            return Ok(None);
        };
        Ok(Some(match self.prior {
            PriorName::Standard => PriorChoice::Standard,
            PriorName::MomentMatched => PriorChoice::MomentMatched,
            PriorName::Auto => match process {
                Process::Brownian { .. } | Process::VeGeometric { .. } => {
                    PriorChoice::MomentMatched
                }
                _ => PriorChoice::Standard,
            },
        }))
    }
}

/// Refuses the reverse process × integrator pairs that cannot sample the law at a usable number
/// of steps. One: `euler` on VE. Euler steps in t, and VE's noise level σ_t =
/// σ_min (σ_max/σ_min)^t grows by the factor e^{L Δt} per step (L = ln(σ_max/σ_min), 6.9 at the
/// defaults): at high noise the state grows like e^{Lt} and Euler's relative error per step is
/// (L Δt)²/2, which the linear flow map carries unchanged to t_min. At 100 steps the sample
/// variance comes out 12–81 % short on every grid tried (uniform, geometric, karras with
/// ρ = 1…12, on Gaussian data with the exact score; README "Samplers"), where `ddim` (η = 0:
/// Euler in σ on the same ODE, exact at high noise) and `heun` are within 4 %.
pub fn check_pairing(process: &ProcessSpec, integrator: &Integrator) -> Result<()> {
    if let (ProcessSpec::Reverse(Process::VeGeometric { .. }), Integrator::Euler) =
        (process, integrator)
    {
        bail!("--sampler euler does not sample ve: Euler in t lags σ_t = σ_min (σ_max/σ_min)^t, which grows exponentially in t, and leaves the variance 12 % or more short at 100 steps on every grid; use --sampler ddim (Euler in σ) or heun");
    }
    Ok(())
}

/// The integrator with its parameters for reports, e.g. `ddim (η = 1)`, `edm (S_churn = 10,
/// S_noise = 1, S_tmin = 0, S_tmax = inf)`.
pub fn describe_integrator(integrator: &Integrator) -> String {
    match integrator {
        Integrator::Ddim { eta } => format!("ddim (η = {eta})"),
        Integrator::Edm(churn) => format!(
            "edm (S_churn = {}, S_noise = {}, S_tmin = {}, S_tmax = {})",
            churn.churn, churn.noise, churn.lambda_min, churn.lambda_max
        ),
        other => other.name().to_string(),
    }
}

/// The grid for reports: `uniform`, `geometric`, `karras (ρ = 7)` or `cosine (σ_d = 0.5)`.
pub fn describe_spacing(spacing: &Spacing) -> String {
    match spacing {
        Spacing::Uniform => "uniform".into(),
        Spacing::Geometric => "geometric".into(),
        Spacing::Karras { rho } => format!("karras (ρ = {rho})"),
        Spacing::Cosine { scale } => format!("cosine (σ_d = {scale})"),
    }
}

/// The buffers of a moment-matched prior: the mean and the covariance's factor.
#[derive(Clone, Debug, PartialEq)]
pub struct MomentMatched {
    mean: Vec<f32>,
    factor: Vec<f32>,
    diagonal: bool,
}

impl MomentMatched {
    /// The moment-matched Gaussian N(α_T μ̂, α_T² Σ̂ + σ_T² I) of `process` at its horizon T
    /// for the training set `data` (μ̂, Σ̂ its mean and covariance with divisor N, in f64).
    /// Up to d = [`MAX_FULL_COVARIANCE_DIM`] the factor is the Cholesky factor of the full
    /// covariance; above, the covariance is taken diagonal. The matrix is positive definite
    /// (σ_T² > 0), so the factorisation cannot fail; its f32 rounding is relative 2⁻²⁴.
    pub fn new(data: MatrixView<'_>, process: &Process) -> Result<Self> {
        let (rows, dim) = (data.rows(), data.cols());
        if rows == 0 {
            bail!("the moment-matched prior needs at least one training point");
        }
        let horizon = process.horizon();
        let alpha = f64::from(process.alpha(horizon));
        let sigma_squared = f64::from(process.sigma(horizon)).powi(2);
        let mut mean = vec![0.0f64; dim];
        for row in data.iter_rows() {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= rows as f64);
        let diagonal = dim > MAX_FULL_COVARIANCE_DIM;
        let factor = if diagonal {
            let mut variance = vec![0.0f64; dim];
            for row in data.iter_rows() {
                for ((v, &x), m) in variance.iter_mut().zip(row).zip(&mean) {
                    *v += (f64::from(x) - m).powi(2);
                }
            }
            variance
                .iter()
                .map(|v| (alpha * alpha * v / rows as f64 + sigma_squared).sqrt() as f32)
                .collect()
        } else {
            let mut covariance = vec![0.0f64; dim * dim];
            let mut centred = vec![0.0f64; dim];
            for row in data.iter_rows() {
                for ((c, &x), m) in centred.iter_mut().zip(row).zip(&mean) {
                    *c = f64::from(x) - m;
                }
                for i in 0..dim {
                    for j in 0..=i {
                        covariance[i * dim + j] += centred[i] * centred[j];
                    }
                }
            }
            for i in 0..dim {
                for j in 0..=i {
                    covariance[i * dim + j] *= alpha * alpha / rows as f64;
                }
                covariance[i * dim + i] += sigma_squared;
            }
            cholesky(&mut covariance, dim)?;
            covariance.iter().map(|&v| v as f32).collect()
        };
        Ok(MomentMatched {
            mean: mean.iter().map(|m| (alpha * m) as f32).collect(),
            factor,
            diagonal,
        })
    }

    /// The core's prior borrowing these buffers.
    pub fn prior(&self) -> Prior<'_> {
        if self.diagonal {
            Prior::Diagonal {
                mean: &self.mean,
                scale: &self.factor,
            }
        } else {
            Prior::Cholesky {
                mean: &self.mean,
                factor: &self.factor,
            }
        }
    }
}

/// In place, the lower-triangular Cholesky factor L of the symmetric positive definite d × d
/// matrix whose lower triangle `matrix` holds (row-major): A = L Lᵀ, entries above the
/// diagonal set to 0. Fails on a pivot ≤ 0 (not positive definite).
fn cholesky(matrix: &mut [f64], dim: usize) -> Result<()> {
    for j in 0..dim {
        let pivot = matrix[j * dim + j] - (0..j).map(|k| matrix[j * dim + k].powi(2)).sum::<f64>();
        if !(pivot > 0.0 && pivot.is_finite()) {
            bail!("the moment-matched covariance is not positive definite (pivot {pivot} at {j})");
        }
        let root = pivot.sqrt();
        matrix[j * dim + j] = root;
        for i in j + 1..dim {
            let dot: f64 = (0..j)
                .map(|k| matrix[i * dim + k] * matrix[j * dim + k])
                .sum();
            matrix[i * dim + j] = (matrix[i * dim + j] - dot) / root;
        }
        for k in j + 1..dim {
            matrix[j * dim + k] = 0.0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cholesky_factor_reproduces_the_matrix() {
        let a = [4.0, 2.0, -1.0, 2.0, 5.0, 0.5, -1.0, 0.5, 3.0];
        let mut l = a;
        cholesky(&mut l, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let product: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((product - a[i * 3 + j]).abs() < 1e-12, "{i} {j}");
            }
        }
        let mut singular = [1.0, 1.0, 1.0, 1.0];
        assert!(cholesky(&mut singular, 2).is_err());
    }

    #[test]
    fn the_moment_matched_prior_has_the_terminal_moments() {
        let values = [1.0f32, 2.0, 3.0, -1.0, 5.0, 0.0];
        let data = MatrixView::new(3, 2, &values).unwrap();
        let process = Process::Brownian { horizon: 4.0 };
        let prior = MomentMatched::new(data, &process).unwrap();
        assert_eq!(prior.mean, vec![3.0, 1.0 / 3.0]);
        // Σ̂ = [[8/3, −4/3], [−4/3, 14/9]] (divisor N), plus T·I.
        let (l00, l10, l11) = (prior.factor[0], prior.factor[2], prior.factor[3]);
        assert!((l00 * l00 - (8.0 / 3.0 + 4.0)).abs() < 1e-5);
        assert!((l10 * l00 - (-4.0 / 3.0)).abs() < 1e-5);
        assert!((l10 * l10 + l11 * l11 - (14.0 / 9.0 + 4.0)).abs() < 1e-5);
        assert_eq!(prior.factor[1], 0.0);
        assert_eq!(prior.prior().name(), "moment-matched");
    }
}
