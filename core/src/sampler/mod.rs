//! Samplers: the reverse-time dynamics of dX = f(t) X dt + g(t) dB from a prior at T down to
//! t_min (reverse SDE, probability-flow ODE, DDIM, DPM-Solver++(2M), EDM), and the forward
//! Euler–Maruyama simulation of the pinned Brownian motion (docs/math.md §3, §4).
//!
//! - [`grid`]: time grids, uniform / geometric in t or the EDM schedule in noise level;
//! - [`noise_level`](mod@noise_level): λ_t = σ_t/α_t and its inverse for every process;
//! - [`integrator`]: the integrators and their parameters, the final step;
//! - [`euler`], [`ddim`], [`dpm_solver`], [`edm`]: one step of each integrator;
//! - [`step`]: a step's shared coefficients and its stages;
//! - [`prior`]: the law at T; [`reverse`]: the reverse driver; [`pinned`]: the pinned driver;
//! - [`workspace`]: the fixed scratch buffers.
//!
//! Where each integrator applies: every reverse process (VP linear and cosine, OU, VE,
//! Brownian) takes every integrator and grid; the pinned Brownian motion is a forward process
//! with a drift, not a score, and takes Euler–Maruyama on grids in 1 − t only (the others are
//! refused with [`Error::Unsupported`]).
//!
//! All scratch space is in a [`Workspace`] of fixed capacity or a caller's buffer, so nothing
//! allocates. Every f32 operation happens in a fixed order, so a given generator state gives
//! the same bits on every target.

pub mod ddim;
pub mod dpm_solver;
pub mod edm;
pub mod euler;
pub mod grid;
pub mod integrator;
pub mod noise_level;
pub mod pinned;
pub mod prior;
pub mod reverse;
pub mod step;
pub mod workspace;

pub use grid::{Spacing, TimeGrid};
pub use integrator::{EdmChurn, FinalStep, Integrator};
pub use noise_level::{noise_level, time_of_noise_level};
pub use pinned::PinnedSampler;
pub use prior::Prior;
pub use reverse::{ReverseSampler, TrialScoreNeeded};
pub use step::StepPlan;
pub use workspace::Workspace;

use crate::error::{check_finite, Error, Input};

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

#[cfg(test)]
mod tests;
