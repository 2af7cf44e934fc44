//! EDM's stochastic sampler (Karras, Aittala, Aila & Laine 2022, Algorithm 2) for any process,
//! in the rescaled state X̄ = Y/α_t of noise level λ_t = σ_t/α_t, where every process is the VE
//! process X̄ = X_0 + λ Z and the probability-flow ODE reads dX̄/dλ = ε̂ = −σ_t s_t(Y)
//! (= (X̄ − D)/λ, their d_i).
//!
//! Step i (λ_i → λ_{i+1}): churn γ_i (see [`EdmChurn`]), λ̂ = min(λ_i(1 + γ_i), λ_T) mapped to
//! t̂ = t(λ̂) (clamped to T, and λ̂ then recomputed from t̂ so that the noise matches the time
//! the score is asked at); X̂ = X̄_i + √(λ̂² − λ_i²) S_noise ξ; Euler
//! X̄' = X̂ + (λ_{i+1} − λ̂) ε̂(X̂, λ̂); Heun X̄_{i+1} = X̂ + (λ_{i+1} − λ̂) ½(ε̂(X̂, λ̂) + ε̂(X̄', λ_{i+1})).
//! Without churn no normals are drawn and the step is their deterministic Algorithm 1 (second
//! order in the step). The grid never reaches λ = 0 (t_min > 0), so every step is a Heun step.

use super::integrator::EdmChurn;
use super::noise_level::{noise_level, time_of_noise_level};
use crate::error::Error;
use crate::math;
use crate::rng::fill_standard_normal;
use crate::schedule::Process;
use rand_core::RngCore;

/// The churn of one step in Y-space at t̂: Y ← (α̂/α_i) Y + α̂ √(λ̂² − λ_i²) S_noise ξ.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Churn {
    alpha_ratio: f32,
    noise_scale: f32,
}

/// The coefficients of one EDM step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct EdmStep {
    churn: Option<Churn>,
    /// t̂, where the first score is evaluated (t_i without churn).
    pub(super) score_time: f32,
    sigma_hat: f32,
    alpha_hat: f32,
    alpha_to: f32,
    sigma_to: f32,
    /// λ_{i+1} − λ̂ < 0.
    level_step: f32,
}

impl EdmStep {
    /// Step from grid time `t_from` to `t_to` of a grid of `steps` steps.
    pub(super) fn new(
        process: &Process,
        settings: &EdmChurn,
        steps: usize,
        t_from: f32,
        t_to: f32,
    ) -> Result<Self, Error> {
        let (alpha_from, sigma_squared_from) = process.coefficients(t_from)?;
        let (alpha_to, sigma_squared_to) = process.coefficients(t_to)?;
        let sigma_from = math::sqrt(sigma_squared_from);
        let level_from = sigma_from / alpha_from;
        let in_band = settings.lambda_min <= level_from && level_from <= settings.lambda_max;
        let gamma = if in_band {
            (settings.churn / steps as f32).min(core::f32::consts::SQRT_2 - 1.0)
        } else {
            0.0
        };
        let horizon = process.horizon();
        let mut step = EdmStep {
            churn: None,
            score_time: t_from,
            sigma_hat: sigma_from,
            alpha_hat: alpha_from,
            alpha_to,
            sigma_to: math::sqrt(sigma_squared_to),
            level_step: 0.0,
        };
        let mut level_hat = level_from;
        if gamma > 0.0 {
            let target = (level_from * (1.0 + gamma)).min(noise_level(process, horizon));
            let t_hat = time_of_noise_level(process, target).min(horizon);
            if t_hat > t_from {
                let (alpha_hat, sigma_squared_hat) = process.coefficients(t_hat)?;
                let sigma_hat = math::sqrt(sigma_squared_hat);
                level_hat = sigma_hat / alpha_hat;
                let spread = (level_hat * level_hat - level_from * level_from).max(0.0);
                step.churn = Some(Churn {
                    alpha_ratio: alpha_hat / alpha_from,
                    noise_scale: alpha_hat * math::sqrt(spread) * settings.noise,
                });
                step.score_time = t_hat;
                step.sigma_hat = sigma_hat;
                step.alpha_hat = alpha_hat;
            }
        }
        step.level_step = step.sigma_to / alpha_to - level_hat;
        Ok(step)
    }

    /// Whether the step churns (draws d normals before its first score evaluation).
    pub(super) fn churns(&self) -> bool {
        self.churn.is_some()
    }

    /// The churn on `state` (normals into `noise`); nothing without churn.
    pub(super) fn churn<R: RngCore>(&self, state: &mut [f32], noise: &mut [f32], rng: &mut R) {
        if let Some(churn) = self.churn {
            fill_standard_normal(rng, noise);
            for (y, &xi) in state.iter_mut().zip(&*noise) {
                *y = churn.alpha_ratio * *y + churn.noise_scale * xi;
            }
        }
    }

    /// The Euler stage: ε̂₁ = −σ̂ s into `score`, the trial point α_{i+1}(Y/α̂ + Δλ ε̂₁) into
    /// `trial`.
    pub(super) fn trial(&self, state: &[f32], score: &mut [f32], trial: &mut [f32]) {
        for ((trial, &y), s) in trial.iter_mut().zip(state).zip(score.iter_mut()) {
            *s *= -self.sigma_hat;
            *trial = self.alpha_to * (y / self.alpha_hat + self.level_step * *s);
        }
    }

    /// The Heun stage: ε̂₂ = −σ_{i+1} s̃ into `trial_score`,
    /// Y ← α_{i+1}(Y/α̂ + Δλ ½(ε̂₁ + ε̂₂)).
    pub(super) fn finish(&self, state: &mut [f32], first: &[f32], trial_score: &mut [f32]) {
        for ((y, &e1), e2) in state.iter_mut().zip(first).zip(trial_score.iter_mut()) {
            *e2 *= -self.sigma_to;
            *y = self.alpha_to * (*y / self.alpha_hat + self.level_step * (0.5 * (e1 + *e2)));
        }
    }
}
