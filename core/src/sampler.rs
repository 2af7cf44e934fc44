//! Samplers: reverse-time SDE and probability-flow ODE for dX = f(t) X dt + g(t) dB, and the
//! forward Euler–Maruyama simulation of the pinned Brownian motion (SPEC §3, §4).
//!
//! Each sampler is a step function plus a driver over a [`TimeGrid`]. All scratch space is in a
//! [`Workspace`] of fixed capacity, so nothing allocates. Every f32 operation happens in a fixed
//! order, so a given generator state gives the same bits on every target.

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

/// Writes the probability-flow velocity v = f(t) y − ½ g(t)² s_t(y) (or, with
/// `noise_factor = 1`, the reverse-SDE drift f(t) y − g(t)² s_t(y)) into `out`.
fn reverse_drift<S: ScoreField>(
    process: &Process,
    field: &S,
    t: f32,
    y: &[f32],
    score_factor: f32,
    out: &mut [f32],
) -> Result<(), Error> {
    field.score(t, y, out)?;
    let f = process.drift_rate(t);
    let g2 = score_factor * process.diffusion_squared(t);
    for (o, &yk) in out.iter_mut().zip(y) {
        *o = f * yk - g2 * *o;
    }
    Ok(())
}

fn check_state(state: &[f32], dim: usize) -> Result<(), Error> {
    if state.len() != dim {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: state.len(),
        });
    }
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
        if workspace.dim() != dim {
            return Err(Error::DimensionMismatch {
                expected: dim,
                found: workspace.dim(),
            });
        }
        let dt = t_from - t_to;
        if dt.is_nan() || dt <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "dt",
                value: dt,
            });
        }
        let process = &self.process;
        match self.integrator {
            Integrator::EulerMaruyama => {
                reverse_drift(process, field, t_from, state, 1.0, &mut workspace.drift)?;
                fill_standard_normal(rng, &mut workspace.noise);
                let noise_scale = math::sqrt(process.diffusion_squared(t_from) * dt);
                for ((y, &drift), &xi) in
                    state.iter_mut().zip(&workspace.drift).zip(&workspace.noise)
                {
                    *y = *y - drift * dt + noise_scale * xi;
                }
            }
            Integrator::Euler => {
                reverse_drift(process, field, t_from, state, 0.5, &mut workspace.drift)?;
                for (y, &velocity) in state.iter_mut().zip(&workspace.drift) {
                    *y -= velocity * dt;
                }
            }
            Integrator::Heun => {
                reverse_drift(process, field, t_from, state, 0.5, &mut workspace.drift)?;
                for ((trial, &y), &velocity) in workspace
                    .trial
                    .iter_mut()
                    .zip(state.iter())
                    .zip(&workspace.drift)
                {
                    *trial = y - velocity * dt;
                }
                check_result(&workspace.trial)?;
                reverse_drift(
                    process,
                    field,
                    t_to,
                    &workspace.trial,
                    0.5,
                    &mut workspace.drift_trial,
                )?;
                for ((y, &v1), &v2) in state
                    .iter_mut()
                    .zip(&workspace.drift)
                    .zip(&workspace.drift_trial)
                {
                    *y -= 0.5 * (v1 + v2) * dt;
                }
            }
        }
        check_result(state)
    }

    /// Draws Y_T ~ N(0, σ_T² I) into `state`, integrates the grid down to t_min, and applies the
    /// final step. The prior ignores α_T·(data), which is < 0.007 for the default VP schedules.
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
        let dim = field.dim();
        if state.len() != dim {
            return Err(Error::DimensionMismatch {
                expected: dim,
                found: state.len(),
            });
        }
        let horizon = self.grid.time(0);
        fill_standard_normal(rng, state);
        let prior_std = self.process.sigma(horizon);
        for y in state.iter_mut() {
            *y *= prior_std;
        }
        observe(horizon, state);
        for k in 0..self.grid.steps() {
            let t_from = self.grid.time(k);
            let t_to = self.grid.time(k + 1);
            self.step(field, t_from, t_to, state, rng, workspace)?;
            observe(t_to, state);
        }
        if self.final_step == FinalStep::Denoise {
            let t_min = self.grid.time(self.grid.steps());
            let (alpha_t, sigma_squared) = self.process.coefficients(t_min)?;
            field.score(t_min, state, &mut workspace.drift)?;
            for (y, &score) in state.iter_mut().zip(&workspace.drift) {
                *y = (*y + sigma_squared * score) / alpha_t;
            }
            check_result(state)?;
        }
        Ok(())
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
    fn mismatched_state_is_rejected() {
        let point = [0.5f32, 1.0];
        let data = Dataset::new(&point, 2).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        let sampler = ReverseSampler::new(
            Process::VP_LINEAR,
            Integrator::EulerMaruyama,
            1e-3,
            10,
            Spacing::Uniform,
            FinalStep::State,
        )
        .unwrap();
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
