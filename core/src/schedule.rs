//! Forward processes X_t = α_t X_0 + σ_t Z, written as the linear SDE dX = f(t) X dt + g(t) dB.
//!
//! For every process: α_t = exp(∫₀ᵗ f), and the variance obeys d(σ_t²)/dt = 2 f(t) σ_t² + g(t)²,
//! which is how the derivatives below are computed. The domain of t is (0, T].

use crate::error::{Error, Input};
use crate::math;

/// A forward noising process.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Process {
    /// VP-SDE with linear β (Song et al.): β(t) = β_min + t(β_max − β_min), t ∈ (0, 1],
    /// α_t = exp(−½∫₀ᵗβ), σ_t² = 1 − α_t².
    VpLinear {
        /// β_min (0.1 in Song et al.).
        beta_min: f32,
        /// β_max (20 in Song et al.).
        beta_max: f32,
    },
    /// VP-SDE with the cosine schedule (Nichol & Dhariwal): ᾱ(t) = cos²(θ_t)/cos²(θ_0),
    /// θ_t = ((t+s)/(1+s))·π/2, α_t = √ᾱ, σ_t² = 1 − ᾱ. β(t) = π/(1+s)·tan θ_t diverges at t = 1,
    /// so the domain is clipped to (0, 0.999] (our choice, like their clipping of β).
    VpCosine {
        /// The offset s (0.008).
        offset: f32,
    },
    /// Ornstein–Uhlenbeck with constant rate: dX = −X dt + √2 dB, α_t = e^{−t}, σ_t² = 1 − e^{−2t}.
    OrnsteinUhlenbeck {
        /// The horizon T.
        horizon: f32,
    },
    /// VE-SDE with geometric σ (Song et al.): σ_t = σ_min (σ_max/σ_min)^t, α_t = 1, t ∈ (0, 1].
    VeGeometric {
        /// σ at t = 0.
        sigma_min: f32,
        /// σ at t = 1.
        sigma_max: f32,
    },
    /// Brownian motion (Gabriel et al., Chen): dX = dB, α_t = 1, σ_t² = t, t ∈ (0, T].
    Brownian {
        /// The horizon T.
        horizon: f32,
    },
}

/// Upper end of the cosine schedule's domain (β diverges at t = 1).
pub const COSINE_HORIZON: f32 = 0.999;

impl Process {
    /// VP-SDE with Song et al.'s linear schedule, β_min = 0.1, β_max = 20.
    pub const VP_LINEAR: Process = Process::VpLinear {
        beta_min: 0.1,
        beta_max: 20.0,
    };
    /// VP-SDE with the cosine schedule, s = 0.008.
    pub const VP_COSINE: Process = Process::VpCosine { offset: 0.008 };

    /// Checks the parameters: β_min ≥ 0, β_max > β_min; s > 0; T > 0; 0 < σ_min < σ_max; all finite.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |name, value: f32| Err(Error::InvalidParameter { name, value });
        match *self {
            Process::VpLinear { beta_min, beta_max } => {
                if !(beta_min.is_finite() && beta_min >= 0.0) {
                    return bad("beta_min", beta_min);
                }
                if !(beta_max.is_finite() && beta_max > beta_min) {
                    return bad("beta_max", beta_max);
                }
            }
            Process::VpCosine { offset } => {
                if !(offset.is_finite() && offset > 0.0 && offset < 1.0) {
                    return bad("offset", offset);
                }
            }
            Process::OrnsteinUhlenbeck { horizon } | Process::Brownian { horizon } => {
                if !(horizon.is_finite() && horizon > 0.0) {
                    return bad("horizon", horizon);
                }
            }
            Process::VeGeometric {
                sigma_min,
                sigma_max,
            } => {
                if !(sigma_min.is_finite() && sigma_min > 0.0) {
                    return bad("sigma_min", sigma_min);
                }
                if !(sigma_max.is_finite() && sigma_max > sigma_min) {
                    return bad("sigma_max", sigma_max);
                }
            }
        }
        Ok(())
    }

    /// The horizon T: the domain of t is (0, T].
    pub fn horizon(&self) -> f32 {
        match *self {
            Process::VpLinear { .. } | Process::VeGeometric { .. } => 1.0,
            Process::VpCosine { .. } => COSINE_HORIZON,
            Process::OrnsteinUhlenbeck { horizon } | Process::Brownian { horizon } => horizon,
        }
    }

    /// Returns `Ok(())` when t is finite and 0 < t ≤ T, the typed error otherwise.
    pub fn check_time(&self, t: f32) -> Result<(), Error> {
        if !t.is_finite() {
            return Err(Error::NonFinite {
                input: Input::Time,
                index: 0,
            });
        }
        let upper = self.horizon();
        if t > 0.0 && t <= upper {
            Ok(())
        } else {
            Err(Error::TimeOutOfDomain {
                t,
                lower: 0.0,
                upper,
            })
        }
    }

    /// ∫₀ᵗ β(s) ds = β_min t + ½(β_max − β_min) t² for the linear VP schedule.
    fn integrated_beta(beta_min: f32, beta_max: f32, t: f32) -> f32 {
        beta_min * t + 0.5 * (beta_max - beta_min) * t * t
    }

    /// θ_t = ((t + s)/(1 + s))·π/2 for the cosine schedule.
    fn cosine_angle(offset: f32, t: f32) -> f32 {
        (t + offset) / (1.0 + offset) * core::f32::consts::FRAC_PI_2
    }

    /// α_t, the signal scale: VP linear exp(−½∫₀ᵗβ); cosine cos θ_t / cos θ_0; OU e^{−t};
    /// VE and Brownian 1.
    pub fn alpha(&self, t: f32) -> f32 {
        match *self {
            Process::VpLinear { beta_min, beta_max } => {
                math::exp(-0.5 * Self::integrated_beta(beta_min, beta_max, t))
            }
            Process::VpCosine { offset } => {
                math::cos(Self::cosine_angle(offset, t))
                    / math::cos(Self::cosine_angle(offset, 0.0))
            }
            Process::OrnsteinUhlenbeck { .. } => math::exp(-t),
            Process::VeGeometric { .. } | Process::Brownian { .. } => 1.0,
        }
    }

    /// σ_t², the noise variance: VP linear −expm1(−∫₀ᵗβ) (= 1 − α_t², without cancellation);
    /// cosine 1 − ᾱ_t = sin(θ_t − θ_0) sin(θ_t + θ_0) / cos²θ_0 with θ_t − θ_0 = t·π/(2(1+s))
    /// formed directly (no cancellation at small t); OU −expm1(−2t); VE σ_min²(σ_max/σ_min)^{2t}; Brownian t.
    pub fn sigma_squared(&self, t: f32) -> f32 {
        match *self {
            Process::VpLinear { beta_min, beta_max } => {
                -math::expm1(-Self::integrated_beta(beta_min, beta_max, t))
            }
            Process::VpCosine { offset } => {
                let quarter_turn = core::f32::consts::FRAC_PI_2 / (1.0 + offset);
                let difference = t * quarter_turn;
                let sum = (t + 2.0 * offset) * quarter_turn;
                let cos_0 = math::cos(Self::cosine_angle(offset, 0.0));
                math::sin(difference) * math::sin(sum) / (cos_0 * cos_0)
            }
            Process::OrnsteinUhlenbeck { .. } => -math::expm1(-2.0 * t),
            Process::VeGeometric {
                sigma_min,
                sigma_max,
            } => {
                let sigma = sigma_min * math::exp(t * math::ln(sigma_max / sigma_min));
                sigma * sigma
            }
            Process::Brownian { .. } => t,
        }
    }

    /// σ_t = √(σ_t²).
    pub fn sigma(&self, t: f32) -> f32 {
        math::sqrt(self.sigma_squared(t))
    }

    /// f(t), the drift rate of dX = f(t) X dt + g(t) dB: VP −½β(t) (cosine: −π/(2(1+s))·tan θ_t);
    /// OU −1; VE and Brownian 0.
    pub fn drift_rate(&self, t: f32) -> f32 {
        match *self {
            Process::VpLinear { beta_min, beta_max } => {
                -0.5 * (beta_min + t * (beta_max - beta_min))
            }
            Process::VpCosine { offset } => {
                -0.5 * core::f32::consts::PI / (1.0 + offset)
                    * math::tan(Self::cosine_angle(offset, t))
            }
            Process::OrnsteinUhlenbeck { .. } => -1.0,
            Process::VeGeometric { .. } | Process::Brownian { .. } => 0.0,
        }
    }

    /// g(t)², the squared diffusion coefficient: VP β(t) = −2 f(t); OU 2;
    /// VE dσ²/dt = 2 ln(σ_max/σ_min) σ_t²; Brownian 1.
    pub fn diffusion_squared(&self, t: f32) -> f32 {
        match *self {
            Process::VpLinear { .. } | Process::VpCosine { .. } => -2.0 * self.drift_rate(t),
            Process::OrnsteinUhlenbeck { .. } => 2.0,
            Process::VeGeometric {
                sigma_min,
                sigma_max,
            } => 2.0 * math::ln(sigma_max / sigma_min) * self.sigma_squared(t),
            Process::Brownian { .. } => 1.0,
        }
    }

    /// dα_t/dt = f(t) α_t.
    pub fn alpha_derivative(&self, t: f32) -> f32 {
        self.drift_rate(t) * self.alpha(t)
    }

    /// dσ_t²/dt = 2 f(t) σ_t² + g(t)².
    pub fn sigma_squared_derivative(&self, t: f32) -> f32 {
        2.0 * self.drift_rate(t) * self.sigma_squared(t) + self.diffusion_squared(t)
    }

    /// dσ_t/dt = (dσ_t²/dt) / (2σ_t).
    pub fn sigma_derivative(&self, t: f32) -> f32 {
        self.sigma_squared_derivative(t) / (2.0 * self.sigma(t))
    }

    /// (α_t, σ_t²) after checking t and that σ_t² > 0.
    pub fn coefficients(&self, t: f32) -> Result<(f32, f32), Error> {
        self.check_time(t)?;
        let sigma_squared = self.sigma_squared(t);
        if sigma_squared > 0.0 && sigma_squared.is_finite() {
            Ok((self.alpha(t), sigma_squared))
        } else {
            Err(Error::ZeroSigma { t })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Process; 5] = [
        Process::VP_LINEAR,
        Process::VP_COSINE,
        Process::OrnsteinUhlenbeck { horizon: 5.0 },
        Process::VeGeometric {
            sigma_min: 0.01,
            sigma_max: 20.0,
        },
        Process::Brownian { horizon: 10.0 },
    ];

    #[test]
    fn variance_preserving_processes_keep_unit_variance() {
        for process in [
            Process::VP_LINEAR,
            Process::VP_COSINE,
            Process::OrnsteinUhlenbeck { horizon: 5.0 },
        ] {
            for t in [1e-3f32, 0.1, 0.5, 0.9] {
                let a = process.alpha(t);
                let total = a * a + process.sigma_squared(t);
                assert!((total - 1.0).abs() < 1e-6, "{process:?} t={t}: {total}");
            }
        }
    }

    #[test]
    fn small_time_variances_have_full_relative_accuracy() {
        // f64 closed forms; the f32 values must agree to a few ULP even where σ_t² ≪ 1.
        let offset = 0.008f64;
        let angle = |t: f64| (t + offset) / (1.0 + offset) * core::f64::consts::FRAC_PI_2;
        for t in [1e-5f32, 1e-4, 1e-3, 0.5] {
            let tt = t as f64;
            let cosine = 1.0 - (angle(tt).cos() / angle(0.0).cos()).powi(2);
            let linear = -(-(0.1 * tt + 0.5 * 19.9 * tt * tt)).exp_m1();
            for (process, exact) in [(Process::VP_COSINE, cosine), (Process::VP_LINEAR, linear)] {
                let got = process.sigma_squared(t) as f64;
                assert!(
                    ((got - exact) / exact).abs() < 1e-6,
                    "{process:?} t={t}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        for process in ALL {
            for t in [0.05f32, 0.3, 0.7] {
                let h = 1e-3f32;
                let fd_alpha =
                    (process.alpha(t + h) as f64 - process.alpha(t - h) as f64) / (2.0 * h as f64);
                let fd_var = (process.sigma_squared(t + h) as f64
                    - process.sigma_squared(t - h) as f64)
                    / (2.0 * h as f64);
                let da = process.alpha_derivative(t) as f64;
                let dv = process.sigma_squared_derivative(t) as f64;
                assert!(
                    (fd_alpha - da).abs() < 2e-3 * (1.0 + da.abs()),
                    "{process:?} α' {fd_alpha} vs {da}"
                );
                assert!(
                    (fd_var - dv).abs() < 2e-3 * (1.0 + dv.abs()),
                    "{process:?} σ²' {fd_var} vs {dv}"
                );
            }
        }
    }

    #[test]
    fn time_domain_is_checked() {
        for process in ALL {
            assert!(matches!(
                process.check_time(0.0),
                Err(Error::TimeOutOfDomain { .. })
            ));
            assert!(matches!(
                process.check_time(-1.0),
                Err(Error::TimeOutOfDomain { .. })
            ));
            assert!(matches!(
                process.check_time(process.horizon() * 1.01),
                Err(Error::TimeOutOfDomain { .. })
            ));
            assert!(matches!(
                process.check_time(f32::NAN),
                Err(Error::NonFinite { .. })
            ));
            assert!(process.check_time(process.horizon()).is_ok());
        }
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        let bad = Process::VeGeometric {
            sigma_min: 1.0,
            sigma_max: 0.5,
        };
        assert_eq!(
            bad.validate(),
            Err(Error::InvalidParameter {
                name: "sigma_max",
                value: 0.5
            })
        );
        assert!(Process::Brownian { horizon: -1.0 }.validate().is_err());
        assert!(Process::VpLinear {
            beta_min: f32::NAN,
            beta_max: 1.0
        }
        .validate()
        .is_err());
    }
}
