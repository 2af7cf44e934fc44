//! One step of a reverse sampler as data: [`StepPlan`] holds the coefficients every sample of
//! the step shares, computed once, and runs the stages around the score evaluations.

use super::ddim::DdimStep;
use super::dpm_solver::DpmSolverStep;
use super::edm::EdmStep;
use super::euler::EulerStep;
use super::integrator::Integrator;
use crate::error::Error;
use crate::schedule::Process;
use rand_core::RngCore;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Maruyama(EulerStep),
    Euler(EulerStep),
    Heun(EulerStep),
    Ddim(DdimStep),
    DpmSolver(DpmSolverStep),
    Edm(EdmStep),
}

/// The coefficients of one step from t_from down to t_to, shared by every sample: built by
/// [`ReverseSampler::plan`](super::ReverseSampler::plan), consumed by the staged step
/// ([`ReverseSampler::prepare_step`](super::ReverseSampler::prepare_step),
/// [`ReverseSampler::step_with_score`](super::ReverseSampler::step_with_score),
/// [`ReverseSampler::finish_step`](super::ReverseSampler::finish_step)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepPlan {
    t_from: f32,
    t_to: f32,
    kind: Kind,
}

impl StepPlan {
    /// The plan of `integrator` from `t_from` to `t_to` < `t_from` on a grid of `steps` steps;
    /// `t_previous` is the grid point before `t_from` when the caller kept its denoised
    /// estimate (DPM-Solver++(2M) is then second order).
    pub(super) fn new(
        process: &Process,
        integrator: &Integrator,
        steps: usize,
        t_previous: Option<f32>,
        t_from: f32,
        t_to: f32,
    ) -> Result<Self, Error> {
        let dt = t_from - t_to;
        if dt.is_nan() || dt <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "dt",
                value: dt,
            });
        }
        let kind = match *integrator {
            Integrator::EulerMaruyama => {
                Kind::Maruyama(EulerStep::new(process, t_from, t_to, true))
            }
            Integrator::Euler => Kind::Euler(EulerStep::new(process, t_from, t_to, false)),
            Integrator::Heun => Kind::Heun(EulerStep::new(process, t_from, t_to, false)),
            Integrator::Ddim { eta } => Kind::Ddim(DdimStep::new(process, t_from, t_to, eta)?),
            Integrator::DpmSolverPlusPlus2M => {
                Kind::DpmSolver(DpmSolverStep::new(process, t_previous, t_from, t_to)?)
            }
            Integrator::Edm(settings) => {
                Kind::Edm(EdmStep::new(process, &settings, steps, t_from, t_to)?)
            }
        };
        Ok(StepPlan { t_from, t_to, kind })
    }

    /// The grid time the step starts from.
    pub fn t_from(&self) -> f32 {
        self.t_from
    }

    /// The grid time the step ends at.
    pub fn t_to(&self) -> f32 {
        self.t_to
    }

    /// The time of the step's first score evaluation: t_from, or EDM's churned t̂ > t_from.
    pub fn score_time(&self) -> f32 {
        match &self.kind {
            Kind::Edm(step) => step.score_time,
            _ => self.t_from,
        }
    }

    /// Whether [`ReverseSampler::prepare_step`](super::ReverseSampler::prepare_step) changes
    /// the state (EDM churn) before the first score evaluation.
    pub fn prepares(&self) -> bool {
        matches!(&self.kind, Kind::Edm(step) if step.churns())
    }

    /// Whether the step needs the previous step's denoised estimate (its `history` buffer).
    pub fn needs_history(&self) -> bool {
        matches!(self.kind, Kind::DpmSolver(_))
    }

    /// EDM's churn (no-op for the others): d normals into `noise`, then the state moved to t̂.
    pub(super) fn prepare<R: RngCore>(&self, state: &mut [f32], noise: &mut [f32], rng: &mut R) {
        if let Kind::Edm(step) = &self.kind {
            step.churn(state, noise, rng);
        }
    }

    /// The stage after the first score: completes the step (returns `false`) or writes the
    /// trial point into `scratch` (returns `true`). `score` is overwritten with the step's
    /// first-stage quantity (drift, velocity, D, or ε̂).
    pub(super) fn first<R: RngCore>(
        &self,
        state: &mut [f32],
        score: &mut [f32],
        scratch: &mut [f32],
        history: &mut [f32],
        rng: &mut R,
    ) -> bool {
        match &self.kind {
            Kind::Maruyama(step) => step.maruyama(state, score, scratch, rng),
            Kind::Euler(step) => step.euler(state, score),
            Kind::Heun(step) => {
                step.heun_trial(state, score, scratch);
                return true;
            }
            Kind::Ddim(step) => step.apply(state, score, scratch, rng),
            Kind::DpmSolver(step) => step.apply(state, score, history),
            Kind::Edm(step) => {
                step.trial(state, score, scratch);
                return true;
            }
        }
        false
    }

    /// The stage after the trial point's score (Heun, EDM).
    pub(super) fn second(
        &self,
        state: &mut [f32],
        first: &[f32],
        trial: &[f32],
        trial_score: &mut [f32],
    ) {
        match &self.kind {
            Kind::Heun(step) => step.heun_finish(state, first, trial, trial_score),
            Kind::Edm(step) => step.finish(state, first, trial_score),
            _ => {}
        }
    }
}
