//! DDIM (Song, Meng & Ermon 2021, eq. 12), written for any process X_t = α_t X_0 + σ_t Z.
//!
//! From t to t' < t with the score s = s_t(Y): D = (Y + σ_t² s)/α_t, ε̂ = −σ_t s,
//! Y' = α_{t'} D + √(σ_{t'}² − σ_η²) ε̂ + σ_η ξ, σ_η = η σ_{t'} √(1 − r²), r = λ_{t'}/λ_t.
//!
//! σ_η² = η² σ_{t'}² σ²_{t|t'}/σ_t² with σ²_{t|t'} = σ_t² − (α_t/α_{t'})² σ_{t'}² is η² times the
//! variance of the forward posterior q(x_{t'} | x_t, x_0), and at η = 1 the mean
//! α_{t'} D + σ_{t'} r ε̂ is that posterior's mean: η = 1 is DDPM's ancestral step (Ho et al.
//! 2020) on the same grid. At η = 0 the update is Y'/α_{t'} = D + r (Y/α_t − D), the Euler step
//! in λ of dX̄/dλ = ε̂ (first order; exact when D does not depend on Y, e.g. one training point).

use crate::error::Error;
use crate::math;
use crate::rng::fill_standard_normal;
use crate::schedule::Process;
use rand_core::RngCore;

/// The coefficients of one DDIM step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct DdimStep {
    alpha_from: f32,
    sigma_squared_from: f32,
    sigma_from: f32,
    alpha_to: f32,
    /// √(σ_{t'}² − σ_η²) = σ_{t'} √(1 − η²(1 − r²)).
    noise_direction: f32,
    /// σ_η (0 at η = 0: no normals are drawn).
    noise_scale: f32,
}

impl DdimStep {
    /// The step from `t_from` to `t_to` with parameter η.
    pub(super) fn new(process: &Process, t_from: f32, t_to: f32, eta: f32) -> Result<Self, Error> {
        let (alpha_from, sigma_squared_from) = process.coefficients(t_from)?;
        let (alpha_to, sigma_squared_to) = process.coefficients(t_to)?;
        let sigma_from = math::sqrt(sigma_squared_from);
        let sigma_to = math::sqrt(sigma_squared_to);
        let ratio = (sigma_to / alpha_to) / (sigma_from / alpha_from);
        let posterior = (1.0 - ratio * ratio).max(0.0);
        Ok(DdimStep {
            alpha_from,
            sigma_squared_from,
            sigma_from,
            alpha_to,
            noise_direction: sigma_to * math::sqrt(1.0 - eta * eta * posterior),
            noise_scale: eta * sigma_to * math::sqrt(posterior),
        })
    }

    /// The step on `state` from its score (overwritten with D); `noise` receives the normals
    /// when η > 0.
    pub(super) fn apply<R: RngCore>(
        &self,
        state: &mut [f32],
        score: &mut [f32],
        noise: &mut [f32],
        rng: &mut R,
    ) {
        let stochastic = self.noise_scale > 0.0;
        if stochastic {
            fill_standard_normal(rng, noise);
        }
        for ((y, s), &xi) in state.iter_mut().zip(score.iter_mut()).zip(&*noise) {
            let denoised = (*y + self.sigma_squared_from * *s) / self.alpha_from;
            let epsilon = -self.sigma_from * *s;
            let mut next = self.alpha_to * denoised + self.noise_direction * epsilon;
            if stochastic {
                next += self.noise_scale * xi;
            }
            *s = denoised;
            *y = next;
        }
    }
}
