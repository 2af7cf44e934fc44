//! The noise level λ_t = σ_t/α_t of a process and its inverse t(λ): the coordinate in which the
//! EDM grid, DDIM, DPM-Solver++ and EDM's Heun sampler take their steps.
//!
//! Dividing X_t = α_t X_0 + σ_t Z by α_t gives X̄ = X_t/α_t = X_0 + λ_t Z: every process is the
//! variance-exploding process of noise level λ_t after rescaling (Karras et al. 2022, §4 and
//! Table 1; Song et al.'s DDIM x̄ = x/√ᾱ). λ_t increases strictly with t for every process, so a
//! grid of noise levels is a grid of times, through the inverses below (f32, libm):
//!
//! | process    | λ_t                             | t(λ)                                                       |
//! |------------|---------------------------------|------------------------------------------------------------|
//! | VP linear  | √(e^{B(t)} − 1), B = ∫₀ᵗβ       | B = ln(1 + λ²), t = 2B / (β_min + √(β_min² + 2(β_max − β_min)B)) |
//! | VP cosine  | √(1 − ᾱ_t)/√ᾱ_t                 | tan θ_t = q/c₀, q = √(λ² + s₀²); θ_t − θ_0 = atan((tan θ_t − tan θ_0)/(1 + tan θ_t tan θ_0)) with tan θ_t − tan θ_0 = λ²/((q + s₀)c₀); t = (θ_t − θ_0)·2(1+s)/π |
//! | OU         | √(e^{2t} − 1)                   | t = ½ ln(1 + λ²)                                           |
//! | VE         | σ_min (σ_max/σ_min)^t           | t = ln(λ/σ_min) / ln(σ_max/σ_min)                          |
//! | Brownian   | √t                              | t = λ²                                                     |
//!
//! (s₀ = sin θ_0, c₀ = cos θ_0 of the cosine schedule.) Every inverse is written without the
//! cancellations of the naive forms (the quadratic's root through its conjugate, tan θ_t − tan θ_0
//! through λ²). Tested against the forward map: t(λ_t) = t within 2·10⁻⁵ relative on [10⁻³, T]
//! (the worst case is VE near t = 10⁻³, where ln(λ/σ_min) is the logarithm of a ratio near 1).

use crate::math;
use crate::schedule::Process;

/// λ_t = σ_t / α_t, the noise level of the rescaled state X_t/α_t = X_0 + λ_t Z.
pub fn noise_level(process: &Process, t: f32) -> f32 {
    process.sigma(t) / process.alpha(t)
}

/// The time t with λ_t = `lambda` (> 0), by the closed-form inverses of the module table. The
/// result may fall outside (0, T] when `lambda` lies outside (λ_0, λ_T]; callers clamp.
pub fn time_of_noise_level(process: &Process, lambda: f32) -> f32 {
    let lambda_squared = lambda * lambda;
    match *process {
        Process::VpLinear { beta_min, beta_max } => {
            let integrated = math::ln_1p(lambda_squared);
            let slope = beta_max - beta_min;
            let root = math::sqrt(beta_min * beta_min + 2.0 * slope * integrated);
            2.0 * integrated / (beta_min + root)
        }
        Process::VpCosine { offset } => {
            let quarter_turn = core::f32::consts::FRAC_PI_2 / (1.0 + offset);
            let theta_0 = offset * quarter_turn;
            let sin_0 = math::sin(theta_0);
            let cos_0 = math::cos(theta_0);
            let q = math::sqrt(lambda_squared + sin_0 * sin_0);
            // tan θ_t − tan θ_0 = λ²/((q + s₀)c₀); 1 + tan θ_t tan θ_0 = 1 + q s₀/c₀².
            let difference = lambda_squared / ((q + sin_0) * cos_0);
            let product = 1.0 + q * sin_0 / (cos_0 * cos_0);
            math::atan(difference / product) / quarter_turn
        }
        Process::OrnsteinUhlenbeck { .. } => 0.5 * math::ln_1p(lambda_squared),
        Process::VeGeometric {
            sigma_min,
            sigma_max,
        } => math::ln(lambda / sigma_min) / math::ln(sigma_max / sigma_min),
        Process::Brownian { .. } => lambda_squared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_undoes_the_noise_level() {
        for process in crate::test_support::REVERSE_PROCESSES {
            let horizon = process.horizon();
            let mut t = 1e-3f32;
            while t <= horizon {
                let back = time_of_noise_level(&process, noise_level(&process, t));
                let relative = ((back - t) / t).abs();
                assert!(
                    relative < 2e-5,
                    "{process:?} t = {t}: {back} ({relative:e})"
                );
                t *= 1.37;
            }
        }
    }
}
