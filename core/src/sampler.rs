//! Samplers: reverse-time SDE and probability-flow ODE for dX = f(t) X dt + g(t) dB, and the
//! forward Euler–Maruyama simulation of the pinned Brownian motion (SPEC §3, §4).
//!
//! Each sampler is a step function plus a driver over a [`TimeGrid`]. All scratch space is in a
//! [`Workspace`] of fixed capacity, so nothing allocates. Every f32 operation happens in a fixed
//! order, so a given generator state gives the same bits on every target.
//!
//! The reverse step also comes in stages around its score evaluations
//! ([`ReverseSampler::step_with_score`], [`ReverseSampler::finish_step`]) for callers that
//! compute the scores themselves; [`ReverseSampler::sample_batch`] drives B samples in lockstep
//! that way, one batched score call per evaluation, with the bits of [`ReverseSampler::sample`].

use crate::batched::BatchScoreField;
use crate::error::{check_finite, Error, Input};
use crate::math;
use crate::pinned::DriftField;
use crate::rng::fill_standard_normal;
use crate::schedule::Process;
use crate::score::ScoreField;
use heapless::Vec;
use rand_core::RngCore;

/// How the time points of a grid are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// t_k = t_start + (k/n)(t_end − t_start).
    Uniform,
    /// t_k = t_start (t_end/t_start)^{k/n}: log-uniform, so Δt/t is constant and the step stays
    /// stable near t_min where σ_t² ≪ Δt would make a uniform Euler step overshoot.
    Geometric,
}

/// A time grid t_0 = start, …, t_n = end with n steps (start > end for reverse samplers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeGrid {
    start: f32,
    end: f32,
    steps: usize,
    spacing: Spacing,
}

impl TimeGrid {
    /// A grid of `steps` ≥ 1 steps from `start` to `end`; both must be finite and distinct, and
    /// both positive for [`Spacing::Geometric`].
    pub fn new(start: f32, end: f32, steps: usize, spacing: Spacing) -> Result<Self, Error> {
        if steps == 0 {
            return Err(Error::InvalidParameter {
                name: "steps",
                value: 0.0,
            });
        }
        for (name, value) in [("t_start", start), ("t_end", end)] {
            let positive_needed = spacing == Spacing::Geometric;
            if !value.is_finite() || (positive_needed && value <= 0.0) {
                return Err(Error::InvalidParameter { name, value });
            }
        }
        if start == end {
            return Err(Error::InvalidParameter {
                name: "t_end",
                value: end,
            });
        }
        Ok(TimeGrid {
            start,
            end,
            steps,
            spacing,
        })
    }

    /// The number of steps n.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// t_k for k = 0..=n; t_0 and t_n are exactly `start` and `end`.
    pub fn time(&self, k: usize) -> f32 {
        if k == 0 {
            return self.start;
        }
        if k >= self.steps {
            return self.end;
        }
        let fraction = k as f32 / self.steps as f32;
        match self.spacing {
            Spacing::Uniform => self.start + fraction * (self.end - self.start),
            Spacing::Geometric => {
                self.start * math::exp(fraction * math::ln(self.end / self.start))
            }
        }
    }
}

/// Fixed-capacity scratch buffers for the samplers: d ≤ `CAP`.
#[derive(Clone, Debug)]
pub struct Workspace<const CAP: usize> {
    drift: Vec<f32, CAP>,
    trial: Vec<f32, CAP>,
    drift_trial: Vec<f32, CAP>,
    noise: Vec<f32, CAP>,
}

impl<const CAP: usize> Workspace<CAP> {
    /// Buffers for dimension `dim`, or `CapacityExceeded` when `dim > CAP`.
    pub fn new(dim: usize) -> Result<Self, Error> {
        let mut workspace = Workspace {
            drift: Vec::new(),
            trial: Vec::new(),
            drift_trial: Vec::new(),
            noise: Vec::new(),
        };
        let exceeded = Error::CapacityExceeded {
            needed: dim,
            capacity: CAP,
        };
        for buffer in [
            &mut workspace.drift,
            &mut workspace.trial,
            &mut workspace.drift_trial,
            &mut workspace.noise,
        ] {
            buffer.resize(dim, 0.0).map_err(|_| exceeded)?;
        }
        Ok(workspace)
    }

    /// The dimension d the buffers were made for.
    pub fn dim(&self) -> usize {
        self.drift.len()
    }
}

/// The integrator of the reverse dynamics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrator {
    /// Reverse SDE, Euler–Maruyama: Y ← Y − [f(t)Y − g(t)² s_t(Y)]Δt + g(t)√Δt ξ.
    EulerMaruyama,
    /// Probability-flow ODE, Euler: Y ← Y − [f(t)Y − ½g(t)² s_t(Y)]Δt.
    Euler,
    /// Probability-flow ODE, Heun (2nd order): v₁ = v(t, Y), Ỹ = Y − v₁Δt, v₂ = v(t − Δt, Ỹ),
    /// Y ← Y − ½(v₁ + v₂)Δt, with v(t, y) = f(t)y − ½g(t)² s_t(y).
    Heun,
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

/// Overwrites the score s_t(y) in `score` with the probability-flow velocity
/// v = f(t) y − ½ g(t)² s_t(y) (`score_factor = ½`) or the reverse-SDE drift
/// f(t) y − g(t)² s_t(y) (`score_factor = 1`).
fn reverse_drift(process: &Process, t: f32, y: &[f32], score_factor: f32, score: &mut [f32]) {
    let f = process.drift_rate(t);
    let g2 = score_factor * process.diffusion_squared(t);
    for (o, &yk) in score.iter_mut().zip(y) {
        *o = f * yk - g2 * *o;
    }
}

/// `Ok` when the step length Δt = t_from − t_to is > 0.
fn check_step(t_from: f32, t_to: f32) -> Result<(), Error> {
    let dt = t_from - t_to;
    if dt.is_nan() || dt <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "dt",
            value: dt,
        });
    }
    Ok(())
}

/// `Ok` when `buffer` has length `dim`.
fn check_len(buffer: &[f32], dim: usize) -> Result<(), Error> {
    if buffer.len() == dim {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            expected: dim,
            found: buffer.len(),
        })
    }
}

fn check_state(state: &[f32], dim: usize) -> Result<(), Error> {
    check_len(state, dim)?;
    check_finite(state, Input::Query)
}

fn check_result(state: &[f32]) -> Result<(), Error> {
    if state.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Overflow {
            quantity: "sampler state",
        })
    }
}

/// A reverse-time sampler for a forward process: integrates from T down to t_min.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverseSampler {
    process: Process,
    integrator: Integrator,
    grid: TimeGrid,
    final_step: FinalStep,
}

impl ReverseSampler {
    /// A sampler from T = `process.horizon()` down to `t_min` ∈ (0, T) in `steps` steps.
    pub fn new(
        process: Process,
        integrator: Integrator,
        t_min: f32,
        steps: usize,
        spacing: Spacing,
        final_step: FinalStep,
    ) -> Result<Self, Error> {
        process.validate()?;
        process.check_time(t_min)?;
        let horizon = process.horizon();
        if t_min >= horizon {
            return Err(Error::TimeOutOfDomain {
                t: t_min,
                lower: 0.0,
                upper: horizon,
            });
        }
        process.coefficients(t_min)?;
        let grid = TimeGrid::new(horizon, t_min, steps, spacing)?;
        Ok(ReverseSampler {
            process,
            integrator,
            grid,
            final_step,
        })
    }

    /// The forward process.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// The time grid, from T to t_min.
    pub fn grid(&self) -> &TimeGrid {
        &self.grid
    }

    /// One step of the integrator from `t_from` down to `t_to` < `t_from`, in place on `state`.
    /// Euler–Maruyama draws d normals from `rng`; the ODE integrators draw nothing.
    pub fn step<S: ScoreField, R: RngCore, const CAP: usize>(
        &self,
        field: &S,
        t_from: f32,
        t_to: f32,
        state: &mut [f32],
        rng: &mut R,
        workspace: &mut Workspace<CAP>,
    ) -> Result<(), Error> {
        let dim = field.dim();
        check_state(state, dim)?;
        check_len(&workspace.drift, dim)?;
        check_step(t_from, t_to)?;
        let Workspace {
            drift,
            trial,
            drift_trial,
            noise,
        } = workspace;
        field.score(t_from, state, drift)?;
        let scratch = match self.integrator {
            Integrator::Heun => trial,
            Integrator::EulerMaruyama | Integrator::Euler => noise,
        };
        if let Some(pending) = self.first_stage(t_from, t_to, state, drift, scratch, rng)? {
            field.score(pending.time(), scratch, drift_trial)?;
            self.second_stage(pending, state, drift, scratch, drift_trial)?;
        }
        Ok(())
    }

    /// [`Self::step`] for a caller that has computed `score` = s_{t_from}(`state`) itself (for
    /// instance for many samples with one batched call); the arithmetic is the same, so the bits
    /// are too. `score` is overwritten with the drift (Euler–Maruyama) or the velocity v₁ (Euler,
    /// Heun). `scratch` (length d) receives Euler–Maruyama's d normals, drawn from `rng`, or
    /// Heun's trial point Ỹ = Y − v₁Δt; Euler leaves it alone.
    ///
    /// Euler–Maruyama and Euler complete the step on `state` and return `None`. Heun leaves
    /// `state` as it is and returns [`TrialScoreNeeded`]: compute s at its
    /// [`time`](TrialScoreNeeded::time) t_to on the trial point in `scratch`, then call
    /// [`Self::finish_step`].
    pub fn step_with_score<R: RngCore>(
        &self,
        t_from: f32,
        t_to: f32,
        state: &mut [f32],
        score: &mut [f32],
        scratch: &mut [f32],
        rng: &mut R,
    ) -> Result<Option<TrialScoreNeeded>, Error> {
        let dim = state.len();
        check_state(state, dim)?;
        check_len(score, dim)?;
        check_len(scratch, dim)?;
        check_step(t_from, t_to)?;
        self.first_stage(t_from, t_to, state, score, scratch, rng)
    }

    /// The second half of a Heun step begun by [`Self::step_with_score`]: with v₁ in
    /// `velocity`, the trial point Ỹ in `trial` and `trial_score` = s_{t_to}(Ỹ) (overwritten
    /// with v₂ = f(t_to) Ỹ − ½ g(t_to)² s_{t_to}(Ỹ)), Y ← Y − ½(v₁ + v₂)Δt.
    pub fn finish_step(
        &self,
        pending: TrialScoreNeeded,
        state: &mut [f32],
        velocity: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) -> Result<(), Error> {
        let dim = state.len();
        for buffer in [velocity, trial, &*trial_score] {
            check_len(buffer, dim)?;
        }
        self.second_stage(pending, state, velocity, trial, trial_score)
    }

    /// The step up to its second score evaluation (see [`Self::step_with_score`]), on inputs
    /// the caller has checked (Δt = t_from − t_to > 0 among them). Inlined, like
    /// [`Self::second_stage`]: out of line, the two stages cost the firmware 576 bytes of core
    /// `.text` over the undivided step (9 036 B against 8 466 B inlined).
    #[inline(always)]
    fn first_stage<R: RngCore>(
        &self,
        t_from: f32,
        t_to: f32,
        state: &mut [f32],
        score: &mut [f32],
        scratch: &mut [f32],
        rng: &mut R,
    ) -> Result<Option<TrialScoreNeeded>, Error> {
        let process = &self.process;
        let dt = t_from - t_to;
        match self.integrator {
            Integrator::EulerMaruyama => {
                reverse_drift(process, t_from, state, 1.0, score);
                fill_standard_normal(rng, scratch);
                let noise_scale = math::sqrt(process.diffusion_squared(t_from) * dt);
                for ((y, &drift), &xi) in state.iter_mut().zip(&*score).zip(&*scratch) {
                    *y = *y - drift * dt + noise_scale * xi;
                }
            }
            Integrator::Euler => {
                reverse_drift(process, t_from, state, 0.5, score);
                for (y, &velocity) in state.iter_mut().zip(&*score) {
                    *y -= velocity * dt;
                }
            }
            Integrator::Heun => {
                reverse_drift(process, t_from, state, 0.5, score);
                for ((trial, &y), &velocity) in scratch.iter_mut().zip(&*state).zip(&*score) {
                    *trial = y - velocity * dt;
                }
                check_result(scratch)?;
                return Ok(Some(TrialScoreNeeded { t_from, t_to }));
            }
        }
        check_result(state)?;
        Ok(None)
    }

    /// Heun's update from v₁ and the trial score (see [`Self::finish_step`]), on inputs the
    /// caller has checked.
    #[inline(always)]
    fn second_stage(
        &self,
        pending: TrialScoreNeeded,
        state: &mut [f32],
        velocity: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) -> Result<(), Error> {
        let dt = pending.t_from - pending.t_to;
        reverse_drift(&self.process, pending.t_to, trial, 0.5, trial_score);
        for ((y, &v1), &v2) in state.iter_mut().zip(velocity).zip(&*trial_score) {
            *y -= 0.5 * (v1 + v2) * dt;
        }
        check_result(state)
    }

    /// Draws the prior Y_T ~ N(0, σ_T² I) into `state`: d standard normals from `rng`, each
    /// multiplied by σ_T. The prior ignores α_T·(data), which is < 0.007 for the default VP
    /// schedules.
    pub fn draw_prior<R: RngCore>(&self, rng: &mut R, state: &mut [f32]) {
        fill_standard_normal(rng, state);
        let prior_std = self.process.sigma(self.grid.time(0));
        for y in state.iter_mut() {
            *y *= prior_std;
        }
    }

    /// The [`FinalStep::Denoise`] step given `score` = s_{t_min}(`state`): Tweedie's posterior
    /// mean Y ← (Y + σ_{t_min}² s)/α_{t_min}.
    pub fn denoise(&self, state: &mut [f32], score: &[f32]) -> Result<(), Error> {
        check_len(score, state.len())?;
        let t_min = self.grid.time(self.grid.steps());
        let (alpha_t, sigma_squared) = self.process.coefficients(t_min)?;
        for (y, &score) in state.iter_mut().zip(score) {
            *y = (*y + sigma_squared * score) / alpha_t;
        }
        check_result(state)
    }

    /// Draws Y_T ~ N(0, σ_T² I) into `state` ([`Self::draw_prior`]), integrates the grid down
    /// to t_min, and applies the final step.
    pub fn sample<S: ScoreField, R: RngCore, const CAP: usize>(
        &self,
        field: &S,
        rng: &mut R,
        state: &mut [f32],
        workspace: &mut Workspace<CAP>,
    ) -> Result<(), Error> {
        self.sample_with_observer(field, rng, state, workspace, |_, _| {})
    }

    /// [`Self::sample`], calling `observe(t, state)` at every grid point (t_0 = T included, after
    /// the prior draw, and before the final step) so that trajectories can be recorded.
    pub fn sample_with_observer<S, R, O, const CAP: usize>(
        &self,
        field: &S,
        rng: &mut R,
        state: &mut [f32],
        workspace: &mut Workspace<CAP>,
        mut observe: O,
    ) -> Result<(), Error>
    where
        S: ScoreField,
        R: RngCore,
        O: FnMut(f32, &[f32]),
    {
        check_len(state, field.dim())?;
        self.draw_prior(rng, state);
        observe(self.grid.time(0), state);
        for k in 0..self.grid.steps() {
            let t_from = self.grid.time(k);
            let t_to = self.grid.time(k + 1);
            self.step(field, t_from, t_to, state, rng, workspace)?;
            observe(t_to, state);
        }
        if self.final_step == FinalStep::Denoise {
            let t_min = self.grid.time(self.grid.steps());
            field.score(t_min, state, &mut workspace.drift)?;
            self.denoise(state, &workspace.drift)?;
        }
        Ok(())
    }

    /// [`Self::sample`] for B samples in lockstep: sample b has the state `states[b·d..(b+1)·d]`
    /// and the generator `rngs[b]`, and every score evaluation of a step is one
    /// [`BatchScoreField::score_batch`] call on all B points. Each sample goes through the
    /// arithmetic of [`Self::sample`] with its own generator, so when the batched score has the
    /// single-query bits (as [`crate::batched`]'s does) each sample gets the bits
    /// [`Self::sample`] gives it, whatever B. `scratch` holds at least
    /// [`Self::batch_scratch_len`] values. An error of any sample stops the batch.
    pub fn sample_batch<F: BatchScoreField, R: RngCore>(
        &self,
        field: &F,
        rngs: &mut [R],
        states: &mut [f32],
        scratch: &mut [f32],
    ) -> Result<(), Error> {
        let dim = field.dim();
        let values = rngs.len().saturating_mul(dim);
        check_len(states, values)?;
        let needed = self.batch_scratch_len(rngs.len(), dim);
        let too_short = Error::DimensionMismatch {
            expected: needed,
            found: scratch.len(),
        };
        if values == 0 {
            return Ok(());
        }
        if scratch.len() < needed {
            return Err(too_short);
        }
        let mut buffers = scratch.chunks_exact_mut(values);
        let (Some(scores), Some(points)) = (buffers.next(), buffers.next()) else {
            return Err(too_short);
        };
        let mut trial_scores = buffers.next();
        for (rng, state) in rngs.iter_mut().zip(states.chunks_exact_mut(dim)) {
            self.draw_prior(rng, state);
        }
        for k in 0..self.grid.steps() {
            let t_from = self.grid.time(k);
            let t_to = self.grid.time(k + 1);
            field.score_batch(t_from, states, scores)?;
            let mut pending = None;
            for ((rng, state), (score, point)) in
                rngs.iter_mut().zip(states.chunks_exact_mut(dim)).zip(
                    scores
                        .chunks_exact_mut(dim)
                        .zip(points.chunks_exact_mut(dim)),
                )
            {
                pending = self.step_with_score(t_from, t_to, state, score, point, rng)?;
            }
            if let Some(pending) = pending {
                let trial_scores = trial_scores.as_deref_mut().ok_or(too_short)?;
                field.score_batch(pending.time(), points, trial_scores)?;
                for ((state, velocity), (trial, trial_score)) in states
                    .chunks_exact_mut(dim)
                    .zip(scores.chunks_exact(dim))
                    .zip(
                        points
                            .chunks_exact(dim)
                            .zip(trial_scores.chunks_exact_mut(dim)),
                    )
                {
                    self.finish_step(pending, state, velocity, trial, trial_score)?;
                }
            }
        }
        if self.final_step == FinalStep::Denoise {
            let t_min = self.grid.time(self.grid.steps());
            field.score_batch(t_min, states, scores)?;
            for (state, score) in states.chunks_exact_mut(dim).zip(scores.chunks_exact(dim)) {
                self.denoise(state, score)?;
            }
        }
        Ok(())
    }

    /// The length of the `scratch` buffer [`Self::sample_batch`] needs for `count` samples of
    /// dimension `dim`: their scores and the points of the step (normals or trial points), B·d
    /// values each, and for Heun the trial points' scores, B·d more.
    pub fn batch_scratch_len(&self, count: usize, dim: usize) -> usize {
        let rows = match self.integrator {
            Integrator::Heun => 3,
            Integrator::EulerMaruyama | Integrator::Euler => 2,
        };
        count.saturating_mul(dim).saturating_mul(rows)
    }
}

/// A Heun step waiting for the score at its trial point: returned by
/// [`ReverseSampler::step_with_score`], consumed by [`ReverseSampler::finish_step`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use]
pub struct TrialScoreNeeded {
    t_from: f32,
    t_to: f32,
}

impl TrialScoreNeeded {
    /// The time t_to at which the trial point's score is needed.
    pub fn time(&self) -> f32 {
        self.t_to
    }
}

/// Forward Euler–Maruyama for the pinned Brownian motion from t = 0 (X_0 = 0) to t_max < 1:
/// X ← X + u(X, t)Δt + σ√Δt ξ. The grid is spaced in 1 − t (geometric spacing concentrates the
/// steps near the singular end t = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PinnedSampler {
    grid: TimeGrid,
    final_step: FinalStep,
}

impl PinnedSampler {
    /// A sampler from t = 0 to `t_max` ∈ (0, 1) in `steps` steps.
    pub fn new(
        t_max: f32,
        steps: usize,
        spacing: Spacing,
        final_step: FinalStep,
    ) -> Result<Self, Error> {
        if !(t_max > 0.0 && t_max < 1.0) {
            return Err(Error::TimeOutOfDomain {
                t: t_max,
                lower: 0.0,
                upper: 1.0,
            });
        }
        let grid = TimeGrid::new(1.0, 1.0 - t_max, steps, spacing)?;
        Ok(PinnedSampler { grid, final_step })
    }

    /// t_k = 1 − s_k for the grid s_k in 1 − t.
    pub fn time(&self, k: usize) -> f32 {
        1.0 - self.grid.time(k)
    }

    /// The number of steps.
    pub fn steps(&self) -> usize {
        self.grid.steps()
    }

    /// Starts at X_0 = 0, integrates to t_max, applies the final step.
    pub fn sample<D: DriftField, R: RngCore, const CAP: usize>(
        &self,
        process: &D,
        rng: &mut R,
        state: &mut [f32],
        workspace: &mut Workspace<CAP>,
    ) -> Result<(), Error> {
        self.sample_with_observer(process, rng, state, workspace, |_, _| {})
    }

    /// [`Self::sample`], calling `observe(t, state)` at every grid point.
    pub fn sample_with_observer<D, R, O, const CAP: usize>(
        &self,
        process: &D,
        rng: &mut R,
        state: &mut [f32],
        workspace: &mut Workspace<CAP>,
        mut observe: O,
    ) -> Result<(), Error>
    where
        D: DriftField,
        R: RngCore,
        O: FnMut(f32, &[f32]),
    {
        let dim = process.dim();
        check_state(state, dim)?;
        if workspace.dim() != dim {
            return Err(Error::DimensionMismatch {
                expected: dim,
                found: workspace.dim(),
            });
        }
        state.fill(0.0);
        observe(0.0, state);
        let sigma = process.sigma();
        for k in 0..self.grid.steps() {
            let t_from = self.time(k);
            let t_to = self.time(k + 1);
            let dt = t_to - t_from;
            process.drift(t_from, state, &mut workspace.drift)?;
            fill_standard_normal(rng, &mut workspace.noise);
            let noise_scale = sigma * math::sqrt(dt);
            for ((y, &drift), &xi) in state.iter_mut().zip(&workspace.drift).zip(&workspace.noise) {
                *y = *y + drift * dt + noise_scale * xi;
            }
            check_result(state)?;
            observe(t_to, state);
        }
        if self.final_step == FinalStep::Denoise {
            let t_max = self.time(self.grid.steps());
            process.terminal_mean(t_max, state, &mut workspace.drift)?;
            state.copy_from_slice(&workspace.drift);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::score::EmpiricalScore;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn grids_hit_their_ends_exactly_and_are_monotone() {
        for spacing in [Spacing::Uniform, Spacing::Geometric] {
            let grid = TimeGrid::new(1.0, 1e-3, 100, spacing).unwrap();
            assert_eq!(grid.time(0), 1.0);
            assert_eq!(grid.time(100), 1e-3);
            for k in 0..100 {
                assert!(grid.time(k + 1) < grid.time(k));
            }
        }
        assert!(TimeGrid::new(1.0, 0.0, 10, Spacing::Geometric).is_err());
        assert!(TimeGrid::new(1.0, 0.5, 0, Spacing::Uniform).is_err());
    }

    #[test]
    fn workspace_capacity_is_enforced() {
        assert!(Workspace::<4>::new(4).is_ok());
        assert_eq!(
            Workspace::<4>::new(5).unwrap_err(),
            Error::CapacityExceeded {
                needed: 5,
                capacity: 4
            }
        );
    }

    #[test]
    fn heun_flow_of_a_single_point_is_accurate() {
        // One training point x₁ under Brownian motion: the probability-flow ODE
        // dY/dt = −½ s_t(Y) = (Y − x₁)/(2t) has the solution Y_t − x₁ = (Y_T − x₁)√(t/T).
        let point = [0.5f32];
        let data = Dataset::new(&point, 1).unwrap();
        let process = Process::Brownian { horizon: 4.0 };
        let field = EmpiricalScore::new(data, process).unwrap();
        let sampler = ReverseSampler::new(
            process,
            Integrator::Heun,
            0.01,
            400,
            Spacing::Geometric,
            FinalStep::State,
        )
        .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut state = [0.0f32];
        let mut start = 0.0f32;
        let mut workspace = Workspace::<1>::new(1).unwrap();
        sampler
            .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, y| {
                if t == 4.0 {
                    start = y[0];
                }
            })
            .unwrap();
        let expected = 0.5 + (start - 0.5) * (0.01f32 / 4.0).sqrt();
        assert!(
            (state[0] - expected).abs() < 1e-4,
            "{} vs {expected}",
            state[0]
        );
    }

    #[test]
    fn batch_sampling_has_the_bits_of_one_by_one_sampling() {
        const DIM: usize = 3;
        const COUNT: usize = 11;
        let mut seed = 0x1234_5678_u32;
        let mut points = [0.0f32; 40 * DIM];
        for value in points.iter_mut() {
            *value = crate::test_support::uniform(&mut seed, 2.0);
        }
        let data = Dataset::new(&points, DIM).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_COSINE).unwrap();
        let integrators = [
            Integrator::EulerMaruyama,
            Integrator::Euler,
            Integrator::Heun,
        ];
        for integrator in integrators {
            for final_step in [FinalStep::State, FinalStep::Denoise] {
                let sampler = ReverseSampler::new(
                    Process::VP_COSINE,
                    integrator,
                    1e-3,
                    20,
                    Spacing::Geometric,
                    final_step,
                )
                .unwrap();
                let mut rngs: [Xoshiro256PlusPlus; COUNT] =
                    core::array::from_fn(|j| Xoshiro256PlusPlus::seed_from_u64(j as u64));
                let mut states = [0.0f32; COUNT * DIM];
                let mut scratch = [0.0f32; 3 * COUNT * DIM];
                let needed = sampler.batch_scratch_len(COUNT, DIM);
                sampler
                    .sample_batch(&field, &mut rngs, &mut states, &mut scratch[..needed])
                    .unwrap();
                let mut workspace = Workspace::<DIM>::new(DIM).unwrap();
                for (j, batched) in states.chunks(DIM).enumerate() {
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(j as u64);
                    let mut state = [0.0f32; DIM];
                    sampler
                        .sample(&field, &mut rng, &mut state, &mut workspace)
                        .unwrap();
                    let same = state
                        .iter()
                        .zip(batched)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{integrator:?} {final_step:?} sample {j}");
                    assert_eq!(rng.next_u64(), rngs[j].next_u64(), "streams diverged");
                }
            }
        }
    }

    /// The VP-linear sampler with `integrator`, 10 uniform steps down to 10⁻³.
    fn vp_sampler(integrator: Integrator) -> ReverseSampler {
        let grid = Spacing::Uniform;
        ReverseSampler::new(
            Process::VP_LINEAR,
            integrator,
            1e-3,
            10,
            grid,
            FinalStep::State,
        )
        .unwrap()
    }

    #[test]
    fn batch_sampling_checks_its_buffers() {
        let point = [0.5f32, 1.0];
        let data = Dataset::new(&point, 2).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        let sampler = vp_sampler(Integrator::Heun);
        let mut rngs = [
            Xoshiro256PlusPlus::seed_from_u64(1),
            Xoshiro256PlusPlus::seed_from_u64(2),
        ];
        let mut states = [0.0f32; 4];
        let mut scratch = [0.0f32; 12];
        assert_eq!(sampler.batch_scratch_len(2, 2), 12);
        assert_eq!(
            sampler.sample_batch(&field, &mut rngs, &mut states, &mut scratch[..11]),
            Err(Error::DimensionMismatch {
                expected: 12,
                found: 11
            })
        );
        assert!(matches!(
            sampler.sample_batch(&field, &mut rngs, &mut states[..3], &mut scratch),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(sampler
            .sample_batch(&field, &mut rngs, &mut states, &mut scratch)
            .is_ok());
    }

    #[test]
    fn mismatched_state_is_rejected() {
        let point = [0.5f32, 1.0];
        let data = Dataset::new(&point, 2).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        let sampler = vp_sampler(Integrator::EulerMaruyama);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut workspace = Workspace::<2>::new(2).unwrap();
        let mut state = [0.0f32; 3];
        assert!(matches!(
            sampler.sample(&field, &mut rng, &mut state, &mut workspace),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(ReverseSampler::new(
            Process::VP_LINEAR,
            Integrator::Euler,
            1.0,
            10,
            Spacing::Uniform,
            FinalStep::State
        )
        .is_err());
    }
}
