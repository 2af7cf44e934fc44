//! Pinned Brownian motion / Föllmer drift for the empirical target (Vargas et al.; docs/math.md §4).
//!
//! Forward-time process on [0, 1] from X_0 = 0: dX = u(X, t) dt + σ dB with X_1 ~ 1/N Σ δ_{x_i}.
//! The marginal is a mixture of Brownian bridges N(t x_i, σ² t(1−t) I), and
//! u(x, t) = Σ_i w_i (x_i − x)/(1 − t) with w_i ∝ exp((2 x_i·x − t‖x_i‖²) / (2σ²(1 − t))).
//! The drift is singular as t → 1 (the VP score is singular as t → 0 instead).

use crate::dataset::Dataset;
use crate::error::{check_finite, Error, Input};
use crate::lanes;
use crate::score::posterior_mean_with;

/// A forward drift for the pinned sampler: the exact Föllmer drift or a smoothed one.
pub trait DriftField {
    /// The dimension d.
    fn dim(&self) -> usize;

    /// The diffusion coefficient σ of dX = u dt + σ dB.
    fn sigma(&self) -> f32;

    /// The estimate of E[X_1 | X_t = x] the drift is built from, into `out`.
    fn terminal_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error>;

    /// The drift u(x, t) = (terminal mean − x) / (1 − t), into `out` (the Föllmer drift
    /// u = (E[X_1 | X_t = x] − x)/(1 − t) for the exact terminal mean).
    fn drift(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.terminal_mean(t, x, out)?;
        let inverse_gap = 1.0 / (1.0 - t);
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (*o - xk) * inverse_gap;
        }
        if out.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(Error::Overflow { quantity: "drift" })
        }
    }
}

/// The Föllmer drift of an empirical target.
#[derive(Clone, Copy, Debug)]
pub struct PinnedBrownianMotion<'a> {
    data: Dataset<'a>,
    sigma: f32,
}

impl<'a> PinnedBrownianMotion<'a> {
    /// The pinned process with diffusion coefficient σ > 0.
    pub fn new(data: Dataset<'a>, sigma: f32) -> Result<Self, Error> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::InvalidParameter {
                name: "sigma",
                value: sigma,
            });
        }
        Ok(PinnedBrownianMotion { data, sigma })
    }

    /// The training set.
    pub fn data(&self) -> &Dataset<'a> {
        &self.data
    }

    /// The diffusion coefficient σ.
    pub fn sigma(&self) -> f32 {
        self.sigma
    }

    /// Checks 0 ≤ t < 1.
    pub fn check_time(&self, t: f32) -> Result<(), Error> {
        check_time(t)
    }
}

/// Checks that t is finite and 0 ≤ t < 1, the pinned process's domain.
pub(crate) fn check_time(t: f32) -> Result<(), Error> {
    if !t.is_finite() {
        return Err(Error::NonFinite {
            input: Input::Time,
            index: 0,
        });
    }
    if (0.0..1.0).contains(&t) {
        Ok(())
    } else {
        Err(Error::TimeOutOfDomain {
            t,
            lower: 0.0,
            upper: 1.0,
        })
    }
}

impl DriftField for PinnedBrownianMotion<'_> {
    fn dim(&self) -> usize {
        self.data.dim()
    }

    fn sigma(&self) -> f32 {
        self.sigma
    }

    /// E[X_1 | X_t = x] = Σ_i w_i x_i, w_i ∝ exp((x_i·x − ½ t‖x_i‖²) / (σ²(1 − t))), 0 ≤ t < 1.
    fn terminal_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.check_time(t)?;
        self.data.check_dim(x.len())?;
        self.data.check_dim(out.len())?;
        check_finite(x, Input::Query)?;
        let inverse_scale = 1.0 / (self.sigma * self.sigma * (1.0 - t));
        let half_t = 0.5 * t;
        posterior_mean_with(
            &self.data,
            |row| (lanes::dot(row, x) - half_t * lanes::dot(row, row)) * inverse_scale,
            out,
        )?;
        if out.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(Error::Overflow {
                quantity: "terminal mean",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_at_time_zero_points_to_the_data_mean() {
        let points = [1.0f32, 0.0, 3.0, 2.0];
        let data = Dataset::new(&points, 2).unwrap();
        let pbm = PinnedBrownianMotion::new(data, 1.0).unwrap();
        let mut out = [0.0f32; 2];
        pbm.drift(0.0, &[0.0, 0.0], &mut out).unwrap();
        assert_eq!(out, [2.0, 1.0]);
    }

    #[test]
    fn weights_match_the_bridge_marginal() {
        // w_i ∝ N(x; t x_i, σ² t (1−t)): compare with the distance form at t = 0.4.
        let points = [0.0f32, 1.0, -2.0, 0.5, 1.5, -1.0];
        let data = Dataset::new(&points, 2).unwrap();
        let sigma = 0.8f32;
        let pbm = PinnedBrownianMotion::new(data, sigma).unwrap();
        let t = 0.4f32;
        let x = [0.3f32, -0.2];
        let mut mean = [0.0f32; 2];
        pbm.terminal_mean(t, &x, &mut mean).unwrap();
        let variance = (sigma * sigma * t * (1.0 - t)) as f64;
        let mut w = [0.0f64; 3];
        for i in 0..3 {
            let d2: f64 = (0..2)
                .map(|k| (x[k] as f64 - t as f64 * points[2 * i + k] as f64).powi(2))
                .sum();
            w[i] = (-d2 / (2.0 * variance)).exp();
        }
        let total: f64 = w.iter().sum();
        for k in 0..2 {
            let expected: f64 = (0..3)
                .map(|i| w[i] / total * points[2 * i + k] as f64)
                .sum();
            assert!(
                (expected - mean[k] as f64).abs() < 1e-5,
                "{expected} vs {}",
                mean[k]
            );
        }
    }

    #[test]
    fn time_one_is_rejected() {
        let points = [0.0f32];
        let pbm = PinnedBrownianMotion::new(Dataset::new(&points, 1).unwrap(), 1.0).unwrap();
        let mut out = [0.0f32];
        assert!(matches!(
            pbm.drift(1.0, &[0.0], &mut out),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(PinnedBrownianMotion::new(Dataset::new(&points, 1).unwrap(), 0.0).is_err());
    }
}
