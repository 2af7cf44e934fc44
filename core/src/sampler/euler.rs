//! Euler–Maruyama on the reverse SDE and Euler / Heun on the probability-flow ODE, stepping in t:
//! with f = f(t), g² = g(t)² taken once per step,
//! - Euler–Maruyama: Y ← Y − (f Y − g² s)Δt + √(g² Δt) ξ (strong order ½, weak order 1);
//! - Euler: Y ← Y − v Δt, v = f Y − ½ g² s (order 1);
//! - Heun: Ỹ = Y − v₁Δt, Y ← Y − ½(v₁ + v₂)Δt, v₂ at (t − Δt, Ỹ) (order 2).
//!
//! The operations and their order are those of the undivided step of earlier versions, so the
//! bits (and the golden outputs) are unchanged.

use crate::math;
use crate::rng::fill_standard_normal;
use crate::schedule::Process;
use rand_core::RngCore;

/// The coefficients of one step from t to t − Δt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct EulerStep {
    /// f(t).
    drift_rate: f32,
    /// c·g(t)², c = 1 (Euler–Maruyama) or ½ (the ODE).
    scaled_diffusion: f32,
    /// f(t − Δt) and ½ g(t − Δt)² (Heun's second evaluation).
    drift_rate_to: f32,
    scaled_diffusion_to: f32,
    /// Δt > 0.
    dt: f32,
    /// √(g(t)² Δt) (Euler–Maruyama).
    noise_scale: f32,
}

impl EulerStep {
    /// The step's coefficients; `stochastic` for Euler–Maruyama (score factor 1, noise).
    pub(super) fn new(process: &Process, t_from: f32, t_to: f32, stochastic: bool) -> Self {
        let dt = t_from - t_to;
        let factor = if stochastic { 1.0 } else { 0.5 };
        EulerStep {
            drift_rate: process.drift_rate(t_from),
            scaled_diffusion: factor * process.diffusion_squared(t_from),
            drift_rate_to: process.drift_rate(t_to),
            scaled_diffusion_to: 0.5 * process.diffusion_squared(t_to),
            dt,
            noise_scale: math::sqrt(process.diffusion_squared(t_from) * dt),
        }
    }

    /// Overwrites `score` with f y − c g² s (the drift or the velocity v₁).
    fn velocity(&self, state: &[f32], score: &mut [f32]) {
        for (o, &y) in score.iter_mut().zip(state) {
            *o = self.drift_rate * y - self.scaled_diffusion * *o;
        }
    }

    /// Euler–Maruyama: the drift into `score`, d normals into `noise`, the step on `state`.
    pub(super) fn maruyama<R: RngCore>(
        &self,
        state: &mut [f32],
        score: &mut [f32],
        noise: &mut [f32],
        rng: &mut R,
    ) {
        self.velocity(state, score);
        fill_standard_normal(rng, noise);
        for ((y, &drift), &xi) in state.iter_mut().zip(&*score).zip(&*noise) {
            *y = *y - drift * self.dt + self.noise_scale * xi;
        }
    }

    /// Euler: v₁ into `score`, Y ← Y − v₁Δt.
    pub(super) fn euler(&self, state: &mut [f32], score: &mut [f32]) {
        self.velocity(state, score);
        for (y, &velocity) in state.iter_mut().zip(&*score) {
            *y -= velocity * self.dt;
        }
    }

    /// Heun's first stage: v₁ into `score`, the trial point Ỹ = Y − v₁Δt into `trial`.
    pub(super) fn heun_trial(&self, state: &[f32], score: &mut [f32], trial: &mut [f32]) {
        self.velocity(state, score);
        for ((trial, &y), &velocity) in trial.iter_mut().zip(state).zip(&*score) {
            *trial = y - velocity * self.dt;
        }
    }

    /// Heun's second stage: v₂ = f(t − Δt) Ỹ − ½ g(t − Δt)² s̃ into `trial_score`,
    /// Y ← Y − ½(v₁ + v₂)Δt.
    pub(super) fn heun_finish(
        &self,
        state: &mut [f32],
        velocity: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) {
        for (o, &y) in trial_score.iter_mut().zip(trial) {
            *o = self.drift_rate_to * y - self.scaled_diffusion_to * *o;
        }
        for ((y, &v1), &v2) in state.iter_mut().zip(velocity).zip(&*trial_score) {
            *y -= 0.5 * (v1 + v2) * self.dt;
        }
    }
}
