//! DPM-Solver++(2M) (Lu, Zhou, Bao, Chen, Li & Zhu 2022, "DPM-Solver++", Algorithm 2): the
//! multistep second-order solver of the probability-flow ODE in data prediction, for any process.
//!
//! With the half-log-SNR λ^DPM = ln(α/σ) = −ln λ_t, the step t → t' has h = ln(λ_t/λ_{t'}) and
//! Y' = (σ_{t'}/σ_t) Y + α_{t'}(1 − e^{−h}) D̃ (the ODE's exact variation-of-constants form with
//! the data prediction D̃ held fixed over the step). The first step takes D̃ = D_t (first
//! order: DDIM η = 0); the later ones D̃ = (1 + 1/(2r)) D_t − (1/(2r)) D_{t_prev},
//! r = h_prev/h, a linear extrapolation in λ^DPM that makes the local error O(h³), the global
//! error O(h²). The caller keeps D_{t_prev} (one d-vector) between steps.

use crate::error::Error;
use crate::math;
use crate::schedule::Process;

/// The coefficients of one DPM-Solver++(2M) step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct DpmSolverStep {
    alpha_from: f32,
    sigma_squared_from: f32,
    /// σ_{t'}/σ_t.
    sigma_ratio: f32,
    /// α_{t'}(1 − e^{−h}) = −α_{t'} expm1(−h).
    denoised_weight: f32,
    /// (1 + 1/(2r), 1/(2r)) on later steps; `None` on the first.
    extrapolation: Option<(f32, f32)>,
}

impl DpmSolverStep {
    /// The step from `t_from` to `t_to`; second order when `t_previous` (the grid point before
    /// `t_from`, whose D the caller kept) is given.
    pub(super) fn new(
        process: &Process,
        t_previous: Option<f32>,
        t_from: f32,
        t_to: f32,
    ) -> Result<Self, Error> {
        let (alpha_from, sigma_squared_from) = process.coefficients(t_from)?;
        let (alpha_to, sigma_squared_to) = process.coefficients(t_to)?;
        let sigma_from = math::sqrt(sigma_squared_from);
        let sigma_to = math::sqrt(sigma_squared_to);
        let level_from = sigma_from / alpha_from;
        let h = math::ln(level_from / (sigma_to / alpha_to));
        let extrapolation = match t_previous {
            Some(t_previous) => {
                let (alpha_previous, sigma_squared_previous) = process.coefficients(t_previous)?;
                let level_previous = math::sqrt(sigma_squared_previous) / alpha_previous;
                let h_previous = math::ln(level_previous / level_from);
                let half_inverse_ratio = h / (2.0 * h_previous);
                if !half_inverse_ratio.is_finite() {
                    return Err(Error::InvalidParameter {
                        name: "dt",
                        value: t_previous - t_from,
                    });
                }
                Some((1.0 + half_inverse_ratio, half_inverse_ratio))
            }
            None => None,
        };
        Ok(DpmSolverStep {
            alpha_from,
            sigma_squared_from,
            sigma_ratio: sigma_to / sigma_from,
            denoised_weight: -alpha_to * math::expm1(-h),
            extrapolation,
        })
    }

    /// The step on `state` from its score (overwritten with D_t); `history` holds D_{t_prev}
    /// on entry (read on later steps only) and D_t on return.
    pub(super) fn apply(&self, state: &mut [f32], score: &mut [f32], history: &mut [f32]) {
        for ((y, s), kept) in state
            .iter_mut()
            .zip(score.iter_mut())
            .zip(history.iter_mut())
        {
            let denoised = (*y + self.sigma_squared_from * *s) / self.alpha_from;
            let extrapolated = match self.extrapolation {
                Some((current, previous)) => current * denoised - previous * *kept,
                None => denoised,
            };
            *y = self.sigma_ratio * *y + self.denoised_weight * extrapolated;
            *s = denoised;
            *kept = denoised;
        }
    }
}
