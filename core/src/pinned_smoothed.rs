//! The kernel-smoothed Föllmer drift: the pinned Brownian motion's terminal mean convolved with
//! K_h, m̃(x, t) = (K_h * m_t)(x), and u_h = (m̃ − x)/(1 − t) = K_h * u (the −x/(1 − t) part is
//! linear, so smoothing the mean smooths the drift). It is the pinned analogue of the
//! kernel-smoothed score: X_t | X_1 = x_i ~ N(t x_i, σ² t(1 − t) I), so a σ-tied bandwidth uses
//! the noise variance σ² t(1 − t).

use crate::error::{check_finite, Error, Input};
use crate::kernel_points::KernelRule;
use crate::kernel_smoothed::{convolve, Bandwidth};
use crate::pinned::{DriftField, PinnedBrownianMotion};

/// u_h = K_h * u for the pinned Brownian motion, up to `CAP` dimensions.
#[derive(Clone, Copy, Debug)]
pub struct KernelSmoothedPinned<'a, const CAP: usize> {
    exact: PinnedBrownianMotion<'a>,
    bandwidth: Bandwidth,
    rule: KernelRule,
}

impl<'a, const CAP: usize> KernelSmoothedPinned<'a, CAP> {
    /// Smooths the drift of `exact` with `bandwidth`, estimated with the points of `rule`.
    pub fn new(
        exact: PinnedBrownianMotion<'a>,
        bandwidth: Bandwidth,
        rule: KernelRule,
    ) -> Result<Self, Error> {
        bandwidth.validate()?;
        let dim = exact.data().dim();
        if dim > CAP {
            return Err(Error::CapacityExceeded {
                needed: dim,
                capacity: CAP,
            });
        }
        rule.count(dim)?;
        Ok(KernelSmoothedPinned {
            exact,
            bandwidth,
            rule,
        })
    }
}

impl<const CAP: usize> DriftField for KernelSmoothedPinned<'_, CAP> {
    fn dim(&self) -> usize {
        self.exact.data().dim()
    }

    fn sigma(&self) -> f32 {
        self.exact.sigma()
    }

    /// m̃(x, t) ≈ Σ_j w_j m_t(x − hξ_j), h from σ² t(1 − t) when σ-tied.
    fn terminal_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.exact.check_time(t)?;
        self.exact.data().check_dim(x.len())?;
        check_finite(x, Input::Query)?;
        let sigma = self.exact.sigma();
        let bandwidth = self
            .bandwidth
            .for_noise_variance(sigma * sigma * t * (1.0 - t));
        convolve::<CAP, _>(&self.rule, bandwidth, x, out, |shifted, single| {
            self.exact.terminal_mean(t, shifted, single)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    #[test]
    fn smoothing_a_single_point_target_changes_nothing_and_zero_bandwidth_is_exact() {
        // One training point: m ≡ x_0, a constant, so K_h * m = m for any h.
        let point = [1.0f32, -2.0];
        let pinned = PinnedBrownianMotion::new(Dataset::new(&point, 2).unwrap(), 1.0).unwrap();
        let smoothed = KernelSmoothedPinned::<4>::new(
            pinned,
            Bandwidth::Constant { bandwidth: 0.5 },
            KernelRule::QuasiRandom { pairs: 8 },
        )
        .unwrap();
        let (mut a, mut b) = ([0.0f32; 2], [0.0f32; 2]);
        smoothed.drift(0.3, &[0.2, 0.1], &mut a).unwrap();
        pinned.drift(0.3, &[0.2, 0.1], &mut b).unwrap();
        for k in 0..2 {
            assert!((a[k] - b[k]).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        let data = [0.0f32, 0.0, 1.0, 1.0, -1.0, 0.5];
        let pinned = PinnedBrownianMotion::new(Dataset::new(&data, 2).unwrap(), 1.0).unwrap();
        let exact_copy = KernelSmoothedPinned::<4>::new(
            pinned,
            Bandwidth::Constant { bandwidth: 0.0 },
            KernelRule::QuasiRandom { pairs: 8 },
        )
        .unwrap();
        exact_copy.drift(0.6, &[0.3, 0.2], &mut a).unwrap();
        pinned.drift(0.6, &[0.3, 0.2], &mut b).unwrap();
        assert_eq!(a, b);
        assert!(exact_copy.drift(1.0, &[0.3, 0.2], &mut a).is_err());
    }
}
