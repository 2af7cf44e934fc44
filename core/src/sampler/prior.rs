//! The law the reverse samplers start from at T, borrowed from the host (no allocation).
//!
//! The forward marginal at T is p_T = (law of α_T X_0) * N(0, σ_T² I). [`Prior::Standard`] is
//! N(0, σ_T² I): the terminal law when α_T ≈ 0 (VP: α_T < 0.007 at the default schedules; OU
//! with T = 5: e^{−5}). When α_T = 1 (VE, Brownian) that law ignores the data's location and
//! spread; the moment-matched Gaussian N(α_T μ̂, α_T² Σ̂ + σ_T² I) has p_T's mean and covariance
//! exactly, and differs from p_T only through the data's higher cumulants, damped by the
//! convolution with N(0, σ_T² I). The host computes that mean and a factor of the covariance
//! (its Cholesky factor, or per-coordinate scales when the covariance is taken diagonal) and
//! lends them as [`Prior::Cholesky`] or [`Prior::Diagonal`].

use super::check_len;
use crate::error::{check_finite, Error, Input};
use crate::rng::fill_standard_normal;
use rand_core::RngCore;

/// The starting law Y_T of a reverse sampler. Every variant first draws d standard normals
/// ξ with [`fill_standard_normal`] (the same stream positions whatever the variant).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior<'a> {
    /// Y_T = σ_T ξ.
    Standard,
    /// Y_T = m + s ⊙ ξ: N(m, diag(s²)).
    Diagonal {
        /// The mean m (length d).
        mean: &'a [f32],
        /// The standard deviations s (length d).
        scale: &'a [f32],
    },
    /// Y_T = m + L ξ: N(m, L Lᵀ), L lower-triangular d × d, row-major (entries above the
    /// diagonal are not read). Row i is Σ_{j ≤ i} L_ij ξ_j summed in increasing j, then m_i
    /// added.
    Cholesky {
        /// The mean m (length d).
        mean: &'a [f32],
        /// The factor L (length d²).
        factor: &'a [f32],
    },
}

impl Prior<'_> {
    /// The name reports use: standard, moment-matched (diagonal or Cholesky).
    pub fn name(&self) -> &'static str {
        match self {
            Prior::Standard => "standard",
            Prior::Diagonal { .. } => "moment-matched (diagonal)",
            Prior::Cholesky { .. } => "moment-matched",
        }
    }

    /// Checks the lengths (d and d or d²) and that every value is finite.
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            Prior::Standard => Ok(()),
            Prior::Diagonal { mean, scale } => {
                check_len(scale, mean.len())?;
                check_finite(mean, Input::Parameter)?;
                check_finite(scale, Input::Parameter)
            }
            Prior::Cholesky { mean, factor } => {
                check_len(factor, mean.len().saturating_mul(mean.len()))?;
                check_finite(mean, Input::Parameter)?;
                check_finite(factor, Input::Parameter)
            }
        }
    }

    /// Draws Y_T into `state` (length d); `sigma_horizon` = σ_T for [`Prior::Standard`]. The
    /// Cholesky product runs in place from the last row up (row i reads ξ_0..ξ_i only).
    pub fn draw<R: RngCore>(
        &self,
        sigma_horizon: f32,
        rng: &mut R,
        state: &mut [f32],
    ) -> Result<(), Error> {
        if let Prior::Diagonal { mean, .. } | Prior::Cholesky { mean, .. } = *self {
            check_len(state, mean.len())?;
        }
        fill_standard_normal(rng, state);
        match *self {
            Prior::Standard => {
                for y in state.iter_mut() {
                    *y *= sigma_horizon;
                }
            }
            Prior::Diagonal { mean, scale } => {
                for ((y, &m), &s) in state.iter_mut().zip(mean).zip(scale) {
                    *y = m + s * *y;
                }
            }
            Prior::Cholesky { mean, factor } => {
                let dim = mean.len();
                for (i, &m) in mean.iter().enumerate().rev() {
                    let row = factor.get(i * dim..i * dim + i + 1).unwrap_or(&[]);
                    let mut sum = 0.0f32;
                    for (&l, &xi) in row.iter().zip(&*state) {
                        sum += l * xi;
                    }
                    if let Some(y) = state.get_mut(i) {
                        *y = m + sum;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn the_cholesky_prior_is_m_plus_l_xi() {
        let mean = [1.0f32, -2.0, 0.5];
        let factor = [2.0f32, 9.0, 9.0, 0.5, 1.0, 9.0, -1.0, 0.25, 3.0];
        let prior = Prior::Cholesky {
            mean: &mean,
            factor: &factor,
        };
        prior.validate().unwrap();
        let mut state = [0.0f32; 3];
        prior
            .draw(1.0, &mut Xoshiro256PlusPlus::seed_from_u64(5), &mut state)
            .unwrap();
        let mut xi = [0.0f32; 3];
        fill_standard_normal(&mut Xoshiro256PlusPlus::seed_from_u64(5), &mut xi);
        let want = [
            1.0 + 2.0 * xi[0],
            -2.0 + (0.5 * xi[0] + 1.0 * xi[1]),
            0.5 + (-xi[0] + 0.25 * xi[1] + 3.0 * xi[2]),
        ];
        for (got, want) in state.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn bad_priors_are_rejected() {
        let mean = [0.0f32; 2];
        let short = Prior::Cholesky {
            mean: &mean,
            factor: &[1.0; 3],
        };
        assert!(matches!(
            short.validate(),
            Err(Error::DimensionMismatch { .. })
        ));
        let nan = Prior::Diagonal {
            mean: &mean,
            scale: &[1.0, f32::NAN],
        };
        assert!(matches!(nan.validate(), Err(Error::NonFinite { .. })));
        let prior = Prior::Diagonal {
            mean: &mean,
            scale: &[1.0, 1.0],
        };
        let mut state = [0.0f32; 3];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert!(prior.draw(1.0, &mut rng, &mut state).is_err());
    }
}
