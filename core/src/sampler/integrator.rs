//! The choice of reverse-time integrator and what the driver returns at the end.

use crate::error::Error;

/// The integrator of the reverse dynamics, with v(t, y) = f(t) y − ½ g(t)² s_t(y) the
/// probability-flow velocity, λ_t = σ_t/α_t the noise level and
/// D(y, t) = (y + σ_t² s_t(y))/α_t the denoised estimate (Tweedie's posterior mean of X_0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Integrator {
    /// Reverse SDE, Euler–Maruyama: Y ← Y − [f(t)Y − g(t)² s_t(Y)]Δt + g(t)√Δt ξ.
    EulerMaruyama,
    /// Probability-flow ODE, Euler: Y ← Y − v(t, Y)Δt.
    Euler,
    /// Probability-flow ODE, Heun (2nd order): v₁ = v(t, Y), Ỹ = Y − v₁Δt, v₂ = v(t − Δt, Ỹ),
    /// Y ← Y − ½(v₁ + v₂)Δt.
    Heun,
    /// DDIM (Song, Meng & Ermon 2021, eq. 12) from t to t' < t:
    /// Y' = α_{t'} D + √(σ_{t'}² − σ_η²) ε̂ + σ_η ξ, ε̂ = −σ_t s_t(Y),
    /// σ_η = η σ_{t'} √(1 − (λ_{t'}/λ_t)²). η = 0 is deterministic (Euler in λ on X/α); η = 1
    /// is DDPM's ancestral step (Ho et al. 2020), the exact posterior q(x_{t'} | x_t, D).
    Ddim {
        /// η ∈ [0, 1].
        eta: f32,
    },
    /// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2), multistep 2nd order in
    /// h = ln(λ_t/λ_{t'}): Y' = (σ_{t'}/σ_t) Y + α_{t'}(1 − e^{−h}) D̃ with
    /// D̃ = (1 + 1/(2r)) D_t − (1/(2r)) D_{t_prev}, r = h_prev/h; the first step uses D̃ = D_t.
    DpmSolverPlusPlus2M,
    /// EDM's stochastic sampler (Karras et al. 2022, Algorithm 2) in the rescaled state
    /// X̄ = Y/α_t of noise level λ_t: churn to λ̂ = λ_t(1 + γ) by adding √(λ̂² − λ_t²)·S_noise ξ,
    /// then one Heun step in λ of dX̄/dλ = ε̂ from λ̂ to λ_{t'}. γ = 0 (no churn) is their
    /// deterministic Algorithm 1.
    Edm(EdmChurn),
}

/// The churn of [`Integrator::Edm`] (Karras et al. 2022, Algorithm 2): at grid level λ_i,
/// γ_i = min(S_churn/n, √2 − 1) when S_tmin ≤ λ_i ≤ S_tmax, else 0; λ̂ = min(λ_i(1 + γ_i), λ_T)
/// (capped so that the churned time stays in the process's domain). The bounds are noise levels
/// λ = σ/α, as in the paper.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdmChurn {
    /// S_churn ≥ 0, the total churn over the n steps.
    pub churn: f32,
    /// S_noise ≥ 0, the scale of the added noise (slightly above 1 offsets a denoiser's bias).
    pub noise: f32,
    /// S_tmin ≥ 0: no churn below this noise level.
    pub lambda_min: f32,
    /// S_tmax ≥ S_tmin (may be +∞): no churn above this noise level.
    pub lambda_max: f32,
}

impl EdmChurn {
    /// No churn (S_churn = 0, S_noise = 1, S_tmin = 0, S_tmax = ∞): the deterministic Heun
    /// sampler, k-diffusion's defaults.
    pub const NONE: EdmChurn = EdmChurn {
        churn: 0.0,
        noise: 1.0,
        lambda_min: 0.0,
        lambda_max: f32::INFINITY,
    };
}

impl Integrator {
    /// The name the command line uses: em, euler, heun, ddim, dpmpp-2m, edm.
    pub fn name(&self) -> &'static str {
        match self {
            Integrator::EulerMaruyama => "em",
            Integrator::Euler => "euler",
            Integrator::Heun => "heun",
            Integrator::Ddim { .. } => "ddim",
            Integrator::DpmSolverPlusPlus2M => "dpmpp-2m",
            Integrator::Edm(_) => "edm",
        }
    }

    /// Score evaluations per step: 2 for Heun and EDM, 1 for the others.
    pub fn evaluations_per_step(&self) -> usize {
        if self.needs_trial_score() {
            2
        } else {
            1
        }
    }

    /// Whether a step evaluates the score a second time, at a trial point.
    pub fn needs_trial_score(&self) -> bool {
        matches!(self, Integrator::Heun | Integrator::Edm(_))
    }

    /// Whether a step keeps the previous step's denoised estimate (DPM-Solver++(2M)).
    pub fn needs_history(&self) -> bool {
        matches!(self, Integrator::DpmSolverPlusPlus2M)
    }

    /// Checks the parameters: 0 ≤ η ≤ 1; S_churn, S_noise, S_tmin finite and ≥ 0,
    /// S_tmax ≥ S_tmin (not NaN).
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |name, value: f32| Err(Error::InvalidParameter { name, value });
        match *self {
            Integrator::Ddim { eta } if !(0.0..=1.0).contains(&eta) => bad("eta", eta),
            Integrator::Edm(churn) => {
                for (name, value) in [
                    ("churn", churn.churn),
                    ("s_noise", churn.noise),
                    ("s_tmin", churn.lambda_min),
                ] {
                    if !(value.is_finite() && value >= 0.0) {
                        return bad(name, value);
                    }
                }
                if churn.lambda_max.is_nan() || churn.lambda_max < churn.lambda_min {
                    return bad("s_tmax", churn.lambda_max);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// What the driver returns at the last time point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalStep {
    /// The state Y at t_min (reverse) or t_max (pinned) as it is.
    State,
    /// The denoised state: Tweedie's posterior mean (Y + σ² s(Y))/α at t_min for the reverse
    /// samplers (computed from the score followed, so a smoothed score gives a smoothed mean),
    /// E[X_1 | X_t = Y] at t_max for the pinned Brownian motion.
    Denoise,
}
