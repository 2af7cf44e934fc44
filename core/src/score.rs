//! The closed-form empirical score of p_t^N = 1/N Σ_i N(α_t x_i, σ_t² I) (docs/math.md §2).
//!
//! Logits ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), weights w = softmax(ℓ), posterior mean
//! m_t(x) = Σ_i w_i x_i, score s_t(x) = (α_t m_t(x) − x) / σ_t² (Tweedie). The posterior mean
//! and weights are computed by [`crate::posterior`] (re-exported here); this module turns them
//! into the score, the noise prediction and the log density.

use crate::dataset::Dataset;
use crate::error::{check_finite, Error, Input};
use crate::math;
use crate::posterior;
use crate::posterior::{posterior_mean, posterior_weights};
use crate::schedule::Process;

/// A score field s(t, x) that the samplers can follow: the exact empirical score, or any
/// smoothed variant. Implementations never allocate and report bad input as [`Error`].
pub trait ScoreField {
    /// The dimension d of x.
    fn dim(&self) -> usize;

    /// Writes s_t(x) into `out` (length d).
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error>;
}

/// The query and the output have the data's dimension, and the query is finite.
pub(crate) fn check_query(data: &Dataset<'_>, query: &[f32], out_len: usize) -> Result<(), Error> {
    data.check_dim(query.len())?;
    data.check_dim(out_len)?;
    check_finite(query, Input::Query)
}

/// α_t is finite and σ_t² is positive and finite.
pub(crate) fn check_coefficients(alpha_t: f32, sigma_squared: f32) -> Result<(), Error> {
    if !alpha_t.is_finite() {
        return Err(Error::InvalidParameter {
            name: "alpha_t",
            value: alpha_t,
        });
    }
    if !(sigma_squared > 0.0 && sigma_squared.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "sigma_squared",
            value: sigma_squared,
        });
    }
    Ok(())
}

/// Every value of `out` is finite, else an overflow of `quantity`.
pub(crate) fn check_output(out: &[f32], quantity: &'static str) -> Result<(), Error> {
    if out.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Overflow { quantity })
    }
}

/// The exact empirical score of a training set under a forward process.
#[derive(Clone, Copy, Debug)]
pub struct EmpiricalScore<'a> {
    data: Dataset<'a>,
    process: Process,
}

impl<'a> EmpiricalScore<'a> {
    /// Pairs a training set with a forward process (whose parameters are validated).
    pub fn new(data: Dataset<'a>, process: Process) -> Result<Self, Error> {
        process.validate()?;
        Ok(EmpiricalScore { data, process })
    }

    /// The training set.
    pub fn data(&self) -> &Dataset<'a> {
        &self.data
    }

    /// The forward process.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// Posterior mean m_t(x) = E[X_0 | X_t = x] = Σ_i w_i x_i (the ideal denoiser).
    pub fn posterior_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)
    }

    /// Posterior weights w_i(x) = softmax_i(−‖x − α_t x_i‖² / (2σ_t²)) into `weights` (length N).
    pub fn weights(&self, t: f32, x: &[f32], weights: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_weights(&self.data, alpha_t, sigma_squared, x, weights)
    }

    /// The log density log p_t^N(x) = log Σ_i e^{ℓ_i} − ln N − (d/2)·ln(2π σ_t²),
    /// ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), of p_t^N = 1/N Σ_i N(α_t x_i, σ_t² I).
    pub fn log_density(&self, t: f32, x: &[f32]) -> Result<f32, Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        check_query(&self.data, x, x.len())?;
        let log_sum = posterior::log_sum_exp(&self.data, alpha_t, sigma_squared, x)?;
        let dim = self.data.dim() as f32;
        let value = log_sum
            - math::ln(self.data.len() as f32)
            - 0.5 * dim * math::ln(core::f32::consts::TAU * sigma_squared);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(Error::Overflow {
                quantity: "log density",
            })
        }
    }

    /// Noise prediction ε̂_t(x) = (x − α_t m_t(x)) / σ_t = −σ_t s_t(x): the output of an
    /// ε-parameterised denoising network (Ho et al.), exact for the empirical distribution.
    pub fn noise_prediction(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)?;
        let sigma_t = math::sqrt(sigma_squared);
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (xk - alpha_t * *o) / sigma_t;
        }
        check_output(out, "noise prediction")
    }
}

impl ScoreField for EmpiricalScore<'_> {
    fn dim(&self) -> usize {
        self.data.dim()
    }

    /// s_t(x) = (α_t m_t(x) − x) / σ_t², with m_t the posterior mean.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)?;
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (alpha_t * *o - xk) / sigma_squared;
        }
        check_output(out, "score")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_point_score_is_exactly_the_gaussian_score() {
        let point = [0.3f32, -1.7, 2.25];
        let data = Dataset::new(&point, 3).unwrap();
        let query = [1.1f32, 0.4, -0.9];
        for process in [Process::VP_LINEAR, Process::Brownian { horizon: 4.0 }] {
            let field = EmpiricalScore::new(data, process).unwrap();
            for t in [1e-3f32, 0.2, 0.8] {
                let mut out = [0.0f32; 3];
                field.score(t, &query, &mut out).unwrap();
                let alpha_t = process.alpha(t);
                let sigma_squared = process.sigma_squared(t);
                for k in 0..3 {
                    let expected = -(query[k] - alpha_t * point[k]) / sigma_squared;
                    assert_eq!(out[k].to_bits(), expected.to_bits(), "t={t} k={k}");
                }
            }
        }
    }

    #[test]
    fn log_density_of_one_point_is_the_gaussian_log_density() {
        let point = [0.5f32, -1.0];
        let data = Dataset::new(&point, 2).unwrap();
        let score = EmpiricalScore::new(data, Process::Brownian { horizon: 1.0 }).unwrap();
        let x = [0.1f32, 0.2];
        let t = 0.25f32;
        let squared: f32 = x.iter().zip(&point).map(|(a, b)| (a - b) * (a - b)).sum();
        let want = -squared / (2.0 * t) - libm::logf(core::f32::consts::TAU * t);
        let got = score.log_density(t, &x).unwrap();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        let pair = [0.0f32, 0.0, 0.0, 0.0];
        let twice = EmpiricalScore::new(
            Dataset::new(&pair, 2).unwrap(),
            Process::Brownian { horizon: 1.0 },
        )
        .unwrap();
        let single = EmpiricalScore::new(
            Dataset::new(&pair[..2], 2).unwrap(),
            Process::Brownian { horizon: 1.0 },
        )
        .unwrap();
        let (a, b) = (
            twice.log_density(t, &x).unwrap(),
            single.log_density(t, &x).unwrap(),
        );
        assert!(
            (a - b).abs() < 1e-6,
            "a repeated point leaves the density unchanged"
        );
    }

    #[test]
    fn weights_sum_to_one_far_from_the_data() {
        let points = [0.0f32, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let data = Dataset::new(&points, 2).unwrap();
        let process = Process::VP_LINEAR;
        let field = EmpiricalScore::new(data, process).unwrap();
        let t = 0.01;
        let sigma = process.sigma(t);
        let mut weights = [0.0f32; 4];
        for direction in [[1.0f32, 0.0], [0.6, -0.8], [-1.0, -1.0]] {
            let query = [direction[0] * 1e4 * sigma, direction[1] * 1e4 * sigma];
            field.weights(t, &query, &mut weights).unwrap();
            let total: f32 = weights.iter().sum();
            assert!(weights.iter().all(|w| w.is_finite()));
            assert!((total - 1.0).abs() <= 1e-6, "sum {total}");
            let mut mean = [0.0f32; 2];
            field.posterior_mean(t, &query, &mut mean).unwrap();
            assert!(mean.iter().all(|m| m.is_finite()));
        }
    }

    #[test]
    fn bad_queries_get_typed_errors() {
        let points = [0.0f32, 1.0];
        let data = Dataset::new(&points, 2).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        let mut out = [0.0f32; 2];
        assert_eq!(
            field.score(0.5, &[1.0], &mut out[..1]),
            Err(Error::DimensionMismatch {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            field.score(0.5, &[f32::NAN, 0.0], &mut out),
            Err(Error::NonFinite {
                input: Input::Query,
                index: 0
            })
        );
        assert!(matches!(
            field.score(0.0, &[0.0, 0.0], &mut out),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(matches!(
            field.score(1.5, &[0.0, 0.0], &mut out),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(matches!(
            field.score(0.5, &[1e30, 0.0], &mut out),
            Err(Error::Overflow { .. })
        ));
        let tiny = Process::VeGeometric {
            sigma_min: 1e-30,
            sigma_max: 1e-29,
        };
        let field = EmpiricalScore::new(data, tiny).unwrap();
        assert_eq!(
            field.score(0.5, &[0.0, 0.0], &mut out),
            Err(Error::ZeroSigma { t: 0.5 })
        );
    }
}
