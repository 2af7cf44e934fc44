//! The network's input z = [c_in(t)·(x − α_t μ), sin(ω_k c(t)), cos(ω_k c(t))] (the contract's
//! preconditioning and Fourier time features).

use super::shape::TimeInput;
use crate::math;

/// What one evaluation time contributes to the input: α_t, c_in(t) and c(t).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conditioning {
    /// α_t, the mean's scale.
    pub alpha_t: f32,
    /// c_in(t) = 1 / √(α_t² σ_data² + σ_t²).
    pub c_in: f32,
    /// c(t): ln σ_t, t or ln(α_t/σ_t).
    pub time_value: f32,
}

impl Conditioning {
    /// α_t as given; c_in = 1 / √((α_t·α_t)·σ_data² + σ_t²), or 1/σ_data when that variance
    /// is 0 (only the pinned process at t = 0, where α_t = σ_t = 0); c(t) = ½ ln σ_t² for
    /// [`TimeInput::LogSigma`] (−∞ at σ_t = 0, which the output check then reports), t for
    /// [`TimeInput::Time`], ½(ln(α_t·α_t) − ln σ_t²) for [`TimeInput::LogSnr`].
    /// `data_variance` = σ_data² and `data_std` = σ_data > 0.
    ///
    /// Error: α_t·α_t, ·σ_data², + σ_t², the correctly rounded √ and the division give c_in a
    /// relative error ≤ γ_4 (γ_m = m·u/(1 − m·u), u = 2⁻²⁴); `libm`'s ln is < 1 ulp, so c(t) =
    /// ln σ_t has absolute error ≤ 2u·|ln σ_t| + u, and c(t) = ln(α_t/σ_t) ≤ 2u·(|ln α_t| +
    /// |ln σ_t|) + 2u (the rounding of α_t·α_t adds u to the first logarithm).
    pub fn new(
        alpha_t: f32,
        sigma_squared: f32,
        t: f32,
        data_variance: f32,
        data_std: f32,
        time_input: TimeInput,
    ) -> Self {
        let variance = alpha_t * alpha_t * data_variance + sigma_squared;
        let c_in = if variance == 0.0 {
            1.0 / data_std
        } else {
            1.0 / math::sqrt(variance)
        };
        let time_value = match time_input {
            TimeInput::LogSigma => 0.5 * math::ln(sigma_squared),
            TimeInput::Time => t,
            TimeInput::LogSnr => 0.5 * (math::ln(alpha_t * alpha_t) - math::ln(sigma_squared)),
        };
        Conditioning {
            alpha_t,
            c_in,
            time_value,
        }
    }
}

/// Writes the network input into `input` (length d + 2K, d = `x.len()`, K =
/// `frequencies.len()`): z_k = c_in·(x_k − α_t·μ_k) for k < d, z_{d+k} = sin(ω_k·c(t)),
/// z_{d+K+k} = cos(ω_k·c(t)), with `libm`'s sin and cos.
///
/// Error: with c_in's γ_4, the product α_t μ_k, the difference and the product by c_in,
/// |ẑ_k − z_k| ≤ γ_7 · c_in · (|x_k| + |α_t μ_k|); the time features are within
/// |ω_k c(t)|·u + u of sin and cos of the computed c(t) (whose own error enters times |ω_k|).
/// Values past the end of `input` are not written; the caller sizes it from the shape.
#[inline(always)]
pub fn network_input(
    conditioning: &Conditioning,
    x: &[f32],
    data_mean: &[f32],
    frequencies: &[f32],
    input: &mut [f32],
) {
    let (state, time) = input.split_at_mut(x.len().min(input.len()));
    for ((z, &xk), &mean) in state.iter_mut().zip(x).zip(data_mean) {
        *z = conditioning.c_in * (xk - conditioning.alpha_t * mean);
    }
    let (sines, cosines) = time.split_at_mut(frequencies.len().min(time.len()));
    for ((sine, cosine), &omega) in sines.iter_mut().zip(cosines.iter_mut()).zip(frequencies) {
        let angle = omega * conditioning.time_value;
        *sine = math::sin(angle);
        *cosine = math::cos(angle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_follows_the_contract() {
        let conditioning = Conditioning::new(0.6, 0.64, 0.3, 4.0, 2.0, TimeInput::LogSigma);
        // c_in = 1/√(0.36·4 + 0.64) = 1/√2.08, c = ln 0.8.
        assert!((conditioning.c_in - 1.0 / 2.08f32.sqrt()).abs() < 1e-7);
        assert!((conditioning.time_value - 0.8f32.ln()).abs() < 1e-7);
        let mut z = [0.0f32; 6];
        network_input(
            &conditioning,
            &[1.0, -1.0],
            &[0.5, 0.5],
            &[1.0, 3.0],
            &mut z,
        );
        let c = conditioning.time_value;
        assert_eq!(z[0], conditioning.c_in * (1.0 - 0.6 * 0.5));
        assert_eq!(z[1], conditioning.c_in * (-1.0 - 0.6 * 0.5));
        assert_eq!(z[2], libm::sinf(c));
        assert_eq!(z[3], libm::sinf(3.0 * c));
        assert_eq!(z[4], libm::cosf(c));
        assert_eq!(z[5], libm::cosf(3.0 * c));
    }

    #[test]
    fn pinned_start_uses_the_data_scale() {
        let conditioning = Conditioning::new(0.0, 0.0, 0.0, 0.25, 0.5, TimeInput::Time);
        assert_eq!(conditioning.c_in, 2.0);
        assert_eq!(conditioning.time_value, 0.0);
    }
}
