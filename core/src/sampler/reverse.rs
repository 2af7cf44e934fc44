//! The reverse-time sampler: from the prior at T down a [`TimeGrid`] to t_min, one sample at a
//! time ([`ReverseSampler::sample`]) or B in lockstep with a batched score
//! ([`ReverseSampler::sample_batch`], the same bits).
//!
//! A step is staged around its score evaluations, so callers that compute the scores
//! themselves run the same arithmetic: [`ReverseSampler::plan`] (the step's shared
//! coefficients), [`ReverseSampler::prepare_step`] (EDM's churn, before the first score),
//! the score s at [`StepPlan::score_time`], [`ReverseSampler::step_with_score`], and for Heun
//! and EDM the trial point's score at [`StepPlan::t_to`] and [`ReverseSampler::finish_step`].

use super::grid::{Spacing, TimeGrid};
use super::integrator::{FinalStep, Integrator};
use super::prior::Prior;
use super::step::StepPlan;
use super::workspace::Workspace;
use super::{check_len, check_result, check_state};
use crate::batched::BatchScoreField;
use crate::error::Error;
use crate::schedule::Process;
use crate::score::ScoreField;
use rand_core::RngCore;

/// A reverse-time sampler for a forward process: integrates from T down to t_min, starting
/// from a [`Prior`] whose buffers it borrows for `'p`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverseSampler<'p> {
    process: Process,
    integrator: Integrator,
    grid: TimeGrid,
    final_step: FinalStep,
    prior: Prior<'p>,
}

impl ReverseSampler<'static> {
    /// A sampler from T = `process.horizon()` down to `t_min` ∈ (0, T) in `steps` steps, from
    /// the [`Prior::Standard`] N(0, σ_T² I) (see [`ReverseSampler::with_prior`]). The grid is
    /// [`TimeGrid::for_process`] (so [`Spacing::Karras`] is in the process's noise level).
    pub fn new(
        process: Process,
        integrator: Integrator,
        t_min: f32,
        steps: usize,
        spacing: Spacing,
        final_step: FinalStep,
    ) -> Result<Self, Error> {
        process.validate()?;
        integrator.validate()?;
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
        let grid = TimeGrid::for_process(&process, horizon, t_min, steps, spacing)?;
        Ok(ReverseSampler {
            process,
            integrator,
            grid,
            final_step,
            prior: Prior::Standard,
        })
    }
}

impl<'p> ReverseSampler<'p> {
    /// The same sampler starting from `prior` (checked: lengths and finite values).
    pub fn with_prior<'q>(self, prior: Prior<'q>) -> Result<ReverseSampler<'q>, Error> {
        prior.validate()?;
        Ok(ReverseSampler {
            process: self.process,
            integrator: self.integrator,
            grid: self.grid,
            final_step: self.final_step,
            prior,
        })
    }

    /// The forward process.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// The integrator.
    pub fn integrator(&self) -> &Integrator {
        &self.integrator
    }

    /// The prior.
    pub fn prior(&self) -> &Prior<'p> {
        &self.prior
    }

    /// The time grid, from T to t_min.
    pub fn grid(&self) -> &TimeGrid {
        &self.grid
    }

    /// The plan of grid step k (t_k → t_{k+1}); DPM-Solver++(2M) is second order from k = 1,
    /// with the denoised estimate of step k − 1 in its history buffer.
    pub fn plan(&self, k: usize) -> Result<StepPlan, Error> {
        let previous = k.checked_sub(1).map(|j| self.grid.time(j));
        StepPlan::new(
            &self.process,
            &self.integrator,
            self.grid.steps(),
            previous,
            self.grid.time(k),
            self.grid.time(k + 1),
        )
    }

    /// The plan of a lone step from `t_from` down to `t_to` < `t_from` (DPM-Solver++(2M) first
    /// order: no history).
    pub fn plan_between(&self, t_from: f32, t_to: f32) -> Result<StepPlan, Error> {
        StepPlan::new(
            &self.process,
            &self.integrator,
            self.grid.steps(),
            None,
            t_from,
            t_to,
        )
    }

    /// One step from `t_from` down to `t_to` < `t_from`, in place on `state` (a lone step: see
    /// [`Self::plan_between`]). The stochastic integrators draw d normals from `rng`.
    pub fn step<S: ScoreField, R: RngCore, const CAP: usize>(
        &self,
        field: &S,
        t_from: f32,
        t_to: f32,
        state: &mut [f32],
        rng: &mut R,
        workspace: &mut Workspace<CAP>,
    ) -> Result<(), Error> {
        let plan = self.plan_between(t_from, t_to)?;
        self.run_step(field, &plan, state, rng, workspace)
    }

    /// A step of `plan` on one sample with the workspace's buffers.
    fn run_step<S: ScoreField, R: RngCore, const CAP: usize>(
        &self,
        field: &S,
        plan: &StepPlan,
        state: &mut [f32],
        rng: &mut R,
        workspace: &mut Workspace<CAP>,
    ) -> Result<(), Error> {
        let dim = field.dim();
        check_state(state, dim)?;
        check_len(&workspace.drift, dim)?;
        let Workspace {
            drift,
            trial,
            drift_trial,
            noise,
            history,
        } = workspace;
        if plan.prepares() {
            plan.prepare(state, noise, rng);
            check_result(state)?;
        }
        field.score(plan.score_time(), state, drift)?;
        let scratch = if self.integrator.needs_trial_score() {
            trial
        } else {
            noise
        };
        if let Some(pending) = self.first_stage(plan, state, drift, scratch, history, rng)? {
            field.score(pending.time(), scratch, drift_trial)?;
            self.second_stage(pending, state, drift, scratch, drift_trial)?;
        }
        Ok(())
    }

    /// The churn of EDM's step before its first score evaluation (d normals into `scratch`,
    /// the state moved to [`StepPlan::score_time`]); nothing for the other integrators or
    /// without churn ([`StepPlan::prepares`]).
    pub fn prepare_step<R: RngCore>(
        &self,
        plan: &StepPlan,
        state: &mut [f32],
        scratch: &mut [f32],
        rng: &mut R,
    ) -> Result<(), Error> {
        let dim = state.len();
        check_state(state, dim)?;
        check_len(scratch, dim)?;
        plan.prepare(state, scratch, rng);
        check_result(state)
    }

    /// The step of `plan` for a caller that has computed `score` = s at
    /// ([`StepPlan::score_time`], `state`) itself (for instance for many samples with one
    /// batched call); the arithmetic is that of [`Self::sample`], so the bits are too.
    /// `score` is overwritten with the step's first-stage quantity (drift, velocity, D or ε̂).
    /// `scratch` (length d) receives the step's normals or the trial point; `history` (length
    /// d, read and written by DPM-Solver++(2M) only, any length otherwise) carries the denoised
    /// estimate from one step to the next.
    ///
    /// Most integrators complete the step on `state` and return `None`. Heun and EDM leave
    /// `state` as it is and return [`TrialScoreNeeded`]: compute s at its
    /// [`time`](TrialScoreNeeded::time) on the trial point in `scratch`, then call
    /// [`Self::finish_step`].
    pub fn step_with_score<R: RngCore>(
        &self,
        plan: &StepPlan,
        state: &mut [f32],
        score: &mut [f32],
        scratch: &mut [f32],
        history: &mut [f32],
        rng: &mut R,
    ) -> Result<Option<TrialScoreNeeded>, Error> {
        let dim = state.len();
        check_state(state, dim)?;
        check_len(score, dim)?;
        check_len(scratch, dim)?;
        if plan.needs_history() {
            check_len(history, dim)?;
        }
        self.first_stage(plan, state, score, scratch, history, rng)
    }

    /// The second half of a Heun or EDM step begun by [`Self::step_with_score`]: with the
    /// first stage's velocity (Heun v₁, EDM ε̂₁) in `first`, the trial point in `trial` and
    /// `trial_score` = s at the trial point (overwritten with v₂ or ε̂₂), completes the step.
    pub fn finish_step(
        &self,
        pending: TrialScoreNeeded,
        state: &mut [f32],
        first: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) -> Result<(), Error> {
        let dim = state.len();
        for buffer in [first, trial, &*trial_score] {
            check_len(buffer, dim)?;
        }
        self.second_stage(pending, state, first, trial, trial_score)
    }

    /// The step up to its second score evaluation, on inputs the caller has checked. Inlined,
    /// like [`Self::second_stage`]: out of line, the two stages cost the firmware 576 bytes of
    /// core `.text` over the undivided step.
    #[inline(always)]
    fn first_stage<R: RngCore>(
        &self,
        plan: &StepPlan,
        state: &mut [f32],
        score: &mut [f32],
        scratch: &mut [f32],
        history: &mut [f32],
        rng: &mut R,
    ) -> Result<Option<TrialScoreNeeded>, Error> {
        if plan.first(state, score, scratch, history, rng) {
            check_result(scratch)?;
            return Ok(Some(TrialScoreNeeded { plan: *plan }));
        }
        check_result(state)?;
        Ok(None)
    }

    /// The second stage (see [`Self::finish_step`]), on inputs the caller has checked.
    #[inline(always)]
    fn second_stage(
        &self,
        pending: TrialScoreNeeded,
        state: &mut [f32],
        first: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) -> Result<(), Error> {
        pending.plan.second(state, first, trial, trial_score);
        check_result(state)
    }

    /// Draws Y_T from the sampler's [`Prior`] into `state` (d standard normals from `rng`,
    /// then scaled: σ_T ξ for the standard prior, m + L ξ for a moment-matched one).
    pub fn draw_prior<R: RngCore>(&self, rng: &mut R, state: &mut [f32]) -> Result<(), Error> {
        let sigma_horizon = self.process.sigma(self.grid.time(0));
        self.prior.draw(sigma_horizon, rng, state)
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

    /// Draws Y_T from the prior into `state` ([`Self::draw_prior`]), integrates the grid down
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
        self.draw_prior(rng, state)?;
        observe(self.grid.time(0), state);
        for k in 0..self.grid.steps() {
            let plan = self.plan(k)?;
            self.run_step(field, &plan, state, rng, workspace)?;
            observe(plan.t_to(), state);
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
        let mut trial_scores = if self.integrator.needs_trial_score() {
            Some(buffers.next().ok_or(too_short)?)
        } else {
            None
        };
        let mut histories = if self.integrator.needs_history() {
            Some(buffers.next().ok_or(too_short)?)
        } else {
            None
        };
        for (rng, state) in rngs.iter_mut().zip(states.chunks_exact_mut(dim)) {
            self.draw_prior(rng, state)?;
        }
        for k in 0..self.grid.steps() {
            let plan = self.plan(k)?;
            if plan.prepares() {
                for ((rng, state), noise) in rngs
                    .iter_mut()
                    .zip(states.chunks_exact_mut(dim))
                    .zip(points.chunks_exact_mut(dim))
                {
                    plan.prepare(state, noise, rng);
                    check_result(state)?;
                }
            }
            field.score_batch(plan.score_time(), states, scores)?;
            let mut pending = None;
            let mut no_history: [f32; 0] = [];
            let mut history_rows = histories.as_deref_mut().map(|h| h.chunks_exact_mut(dim));
            for ((rng, state), (score, point)) in
                rngs.iter_mut().zip(states.chunks_exact_mut(dim)).zip(
                    scores
                        .chunks_exact_mut(dim)
                        .zip(points.chunks_exact_mut(dim)),
                )
            {
                let history = match history_rows.as_mut() {
                    Some(rows) => rows.next().ok_or(too_short)?,
                    None => &mut no_history[..],
                };
                pending = self.first_stage(&plan, state, score, point, history, rng)?;
            }
            if let Some(pending) = pending {
                let trial_scores = trial_scores.as_deref_mut().ok_or(too_short)?;
                field.score_batch(pending.time(), points, trial_scores)?;
                for ((state, first), (trial, trial_score)) in states
                    .chunks_exact_mut(dim)
                    .zip(scores.chunks_exact(dim))
                    .zip(
                        points
                            .chunks_exact(dim)
                            .zip(trial_scores.chunks_exact_mut(dim)),
                    )
                {
                    self.second_stage(pending, state, first, trial, trial_score)?;
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
    /// values each, B·d more for the trial points' scores (Heun, EDM) and B·d more for the
    /// denoised history (DPM-Solver++(2M)).
    pub fn batch_scratch_len(&self, count: usize, dim: usize) -> usize {
        let rows = 2
            + usize::from(self.integrator.needs_trial_score())
            + usize::from(self.integrator.needs_history());
        count.saturating_mul(dim).saturating_mul(rows)
    }
}

/// A Heun or EDM step waiting for the score at its trial point: returned by
/// [`ReverseSampler::step_with_score`], consumed by [`ReverseSampler::finish_step`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use]
pub struct TrialScoreNeeded {
    plan: StepPlan,
}

impl TrialScoreNeeded {
    /// The time t_to at which the trial point's score is needed.
    pub fn time(&self) -> f32 {
        self.plan.t_to()
    }
}
