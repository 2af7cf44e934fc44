//! The training objective: one example (network input z, target y, weight λ) from one data
//! point, one time and one Gaussian draw, with the core's own preconditioning and time
//! features ([`smoothscore_core::network::time_features`]), so training sees exactly the
//! inputs the core's forward pass builds at sampling time.
//!
//! Reverse processes (vp, ou, ve, brownian), denoising score matching with ε-prediction:
//! x_t = α_t x₀ + σ_t ε, ε ~ N(0, I), target y = ε, λ = 1, loss ‖ε̂(x_t, t) − ε‖². It is
//! score matching ‖s_θ − ∇log p_t(x_t | x₀)‖² with the weight λ(t) = σ_t² (Ho et al. 2020;
//! Song et al. 2021), since s = −ε̂/σ_t and ∇log p_t(x_t | x₀) = −ε/σ_t. Why: the target has
//! unit variance at every t, so no time dominates the loss (the unweighted score target grows
//! like 1/σ_t), and the network's output stays O(1) where the score itself diverges (t → 0).
//!
//! Pinned Brownian motion (pbm, Vargas et al.'s Föllmer process X_t = t X₁ + σ√(t(1−t)) Z):
//! drift matching, target y = (X₁ − X_t)/(1 − t) (the bridge's drift; its conditional mean
//! given X_t is the Föllmer drift u(x, t)), λ(t) = 1 − t, which keeps the target's variance
//! σ² t/(1 − t) times λ bounded as t → 1.
//!
//! Training times: log-uniform on [t_min, T] for the reverse processes (the density of the
//! sampler's default geometric grid), uniform on [0, 1 − t_min] for pbm (its grid's range).

use crate::sampling::process_spec::ProcessSpec;
use anyhow::{anyhow, Result};
use smoothscore_core::network::time_features::network_input;
use smoothscore_core::network::Conditioning;
use smoothscore_core::{NetworkOutput, Process, TimeInput};

/// Where [`Objective::example`] writes: x_t (d), the network input (d + 2K), the target (d).
#[derive(Debug)]
pub struct Buffers<'b> {
    /// x_t.
    pub state: &'b mut [f32],
    /// z.
    pub input: &'b mut [f32],
    /// y.
    pub target: &'b mut [f32],
}

/// What is regressed, for which process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Objective {
    /// ε-prediction under a reverse process.
    Denoising(Process),
    /// The Föllmer drift of the pinned Brownian motion with coefficient σ.
    Drift {
        /// σ of the pinned process.
        sigma: f32,
    },
}

/// The normalisation the network's input applies: μ, σ_data, ω_k.
#[derive(Clone, Copy, Debug)]
pub struct Preconditioning<'a> {
    /// The data mean μ.
    pub data_mean: &'a [f32],
    /// σ_data.
    pub data_std: f32,
    /// The frequencies ω_k.
    pub time_frequencies: &'a [f32],
}

impl Objective {
    /// The objective of a process.
    pub fn new(spec: ProcessSpec) -> Self {
        match spec {
            ProcessSpec::Reverse(process) => Objective::Denoising(process),
            ProcessSpec::Pinned { sigma } => Objective::Drift { sigma },
        }
    }

    /// What the network predicts.
    pub fn output(self) -> NetworkOutput {
        match self {
            Objective::Denoising(_) => NetworkOutput::Epsilon,
            Objective::Drift { .. } => NetworkOutput::Drift,
        }
    }

    /// The time input c(t): the log-SNR ln(α_t/σ_t) for the processes whose mean decays (VP,
    /// OU: there ln σ_t saturates near 0 over the second half of the time range), ln σ_t for
    /// VE and Brownian (α_t = 1), t for pbm.
    pub fn time_input(self) -> TimeInput {
        match self {
            Objective::Denoising(
                Process::VpLinear { .. }
                | Process::VpCosine { .. }
                | Process::OrnsteinUhlenbeck { .. },
            ) => TimeInput::LogSnr,
            Objective::Denoising(_) => TimeInput::LogSigma,
            Objective::Drift { .. } => TimeInput::Time,
        }
    }

    /// The range of the time coordinate the training times are uniform in: [ln t_min, ln T]
    /// (reverse) or [0, 1 − t_min] (pbm). `t_min` must lie in (0, T) (pbm: (0, 1)).
    pub fn coordinate_range(self, t_min: f32) -> Result<(f64, f64)> {
        let upper = match self {
            Objective::Denoising(process) => process.horizon(),
            Objective::Drift { .. } => 1.0,
        };
        if !(t_min.is_finite() && t_min > 0.0 && t_min < upper) {
            return Err(anyhow!("--t-min must be in (0, {upper}), got {t_min}"));
        }
        Ok(match self {
            Objective::Denoising(_) => (f64::from(t_min).ln(), f64::from(upper).ln()),
            Objective::Drift { .. } => (0.0, 1.0 - f64::from(t_min)),
        })
    }

    /// The time at coordinate `u` (e^u or u), rounded to f32 and kept inside the domain.
    pub fn time_at(self, u: f64) -> f32 {
        match self {
            Objective::Denoising(process) => (u.exp() as f32).min(process.horizon()),
            Objective::Drift { .. } => (u as f32).clamp(0.0, 1.0 - f32::EPSILON),
        }
    }

    /// c(t) at both ends of the training range (for [`super::architecture::time_frequencies`]).
    pub fn time_value_range(self, t_min: f32) -> Result<(f32, f32)> {
        let (low, high) = self.coordinate_range(t_min)?;
        Ok(match self {
            Objective::Denoising(process) => {
                let c = |t: f32| -> Result<f32> {
                    let (alpha, sigma_squared) = process
                        .coefficients(t)
                        .map_err(|e| anyhow!("training time {t}: {e}"))?;
                    let conditioning =
                        Conditioning::new(alpha, sigma_squared, t, 1.0, 1.0, self.time_input());
                    Ok(conditioning.time_value)
                };
                (c(self.time_at(low))?, c(self.time_at(high))?)
            }
            Objective::Drift { .. } => (0.0, 1.0),
        })
    }

    /// One example from the data point `x0` (X₁ for pbm), time `t` and the N(0, I) draw
    /// `noise` (all of length d): writes x_t into `buffers.state` (d), the network input into
    /// `buffers.input` (d + 2K) and the target into `buffers.target` (d); returns λ(t). The
    /// input is the core's [`network_input`] at the core's own (α_t, σ_t²).
    pub fn example(
        self,
        preconditioning: &Preconditioning<'_>,
        x0: &[f32],
        t: f32,
        noise: &[f32],
        buffers: Buffers<'_>,
    ) -> Result<f32> {
        let std = preconditioning.data_std;
        let Buffers {
            state,
            input,
            target,
        } = buffers;
        let (conditioning, weight) = match self {
            Objective::Denoising(process) => {
                let (alpha, sigma_squared) = process
                    .coefficients(t)
                    .map_err(|e| anyhow!("training time {t}: {e}"))?;
                let sigma = libm::sqrtf(sigma_squared);
                for ((x, &x0), &e) in state.iter_mut().zip(x0).zip(noise) {
                    *x = alpha * x0 + sigma * e;
                }
                target.copy_from_slice(noise);
                let conditioning =
                    Conditioning::new(alpha, sigma_squared, t, std * std, std, self.time_input());
                (conditioning, 1.0)
            }
            Objective::Drift { sigma } => {
                let sigma_squared = sigma * sigma * (t * (1.0 - t));
                let spread = libm::sqrtf(sigma_squared);
                let gap = 1.0 - t;
                for (((x, y), &x1), &z) in
                    state.iter_mut().zip(target.iter_mut()).zip(x0).zip(noise)
                {
                    *x = t * x1 + spread * z;
                    *y = (x1 - *x) / gap;
                }
                let conditioning =
                    Conditioning::new(t, sigma_squared, t, std * std, std, self.time_input());
                (conditioning, gap)
            }
        };
        network_input(
            &conditioning,
            state,
            preconditioning.data_mean,
            preconditioning.time_frequencies,
            input,
        );
        Ok(weight)
    }
}
