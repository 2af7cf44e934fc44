//! Forward Euler–Maruyama for the pinned Brownian motion (docs/math.md §4): the one sampler of a
//! forward-time process. Its grid lives in 1 − t (uniform or geometric); the noise-level
//! samplers and the Karras grid need a reverse process's α_t, σ_t and are refused for it.

use super::grid::{Spacing, TimeGrid};
use super::integrator::{FinalStep, Integrator};
use super::workspace::Workspace;
use super::{check_result, check_state};
use crate::error::Error;
use crate::math;
use crate::pinned::DriftField;
use crate::rng::fill_standard_normal;
use rand_core::RngCore;

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
        let feature = match spacing {
            Spacing::Karras { .. } => Some("the Karras noise-level grid"),
            Spacing::Cosine { .. } => Some("the cosine noise-level grid"),
            _ => None,
        };
        if let Some(feature) = feature {
            return Err(Error::Unsupported {
                feature,
                process: "pinned Brownian motion",
            });
        }
        let grid = TimeGrid::new(1.0, 1.0 - t_max, steps, spacing)?;
        Ok(PinnedSampler { grid, final_step })
    }

    /// `Ok` for Euler–Maruyama, the pinned process's only integrator; the probability-flow and
    /// noise-level integrators need a reverse process's score and α_t, σ_t.
    pub fn check_integrator(integrator: &Integrator) -> Result<(), Error> {
        match integrator {
            Integrator::EulerMaruyama => Ok(()),
            other => Err(Error::Unsupported {
                feature: other.name(),
                process: "pinned Brownian motion",
            }),
        }
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
