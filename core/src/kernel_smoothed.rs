//! The kernel-smoothed empirical score of Gabriel, Ged, Han Veiga and Schertzer (docs/math.md §5), and
//! the LED-KDE log density it follows.
//!
//! s̃_t(x) = (K_h * s_t^N)(x) = E[s_t^N(x − hξ)], ξ ~ N(0, I_d), estimated with the M kernel
//! points of a [`KernelRule`]: s̃_t(x) ≈ Σ_j w_j s_t^N(x − hξ_j). One evaluation costs M exact
//! score evaluations, i.e. O(M·N·d). Since s^N = ∇ log p^N, s̃ = ∇(K_h * log p_t^N): the sampler
//! follows the LED-KDE p̂_t(x) ∝ exp((K_h * log p_t^N)(x)).
//!
//! The bandwidth h is a constant or tied to the noise level, h² = c·σ_t² ([`Bandwidth`]).
//! h = 0 is the exact score (evaluated once, without kernel points).

use crate::error::{check_finite, Error, Input};
use crate::kernel_points::KernelRule;
use crate::lanes;
use crate::math;
use crate::schedule::Process;
use crate::score::{EmpiricalScore, ScoreField};

/// The bandwidth h of the Gaussian kernel K_h = N(0, h² I).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bandwidth {
    /// The same h at every t.
    Constant {
        /// h ≥ 0.
        bandwidth: f32,
    },
    /// h_t = √c · σ_t, i.e. h² = c·σ_t²: the smoothing shrinks with the noise.
    SigmaTied {
        /// c ≥ 0.
        ratio: f32,
    },
}

impl Bandwidth {
    /// Checks h ≥ 0 (or c ≥ 0) and finite.
    pub fn validate(&self) -> Result<(), Error> {
        let (name, value) = match *self {
            Bandwidth::Constant { bandwidth } => ("bandwidth", bandwidth),
            Bandwidth::SigmaTied { ratio } => ("bandwidth ratio", ratio),
        };
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidParameter { name, value })
        }
    }

    /// h at time t: h, or √(c·σ_t²).
    pub fn at(&self, process: &Process, t: f32) -> Result<f32, Error> {
        match *self {
            Bandwidth::Constant { bandwidth } => Ok(bandwidth),
            Bandwidth::SigmaTied { .. } => {
                let (_, sigma_squared) = process.coefficients(t)?;
                Ok(self.for_noise_variance(sigma_squared))
            }
        }
    }

    /// h for a noise variance v: h, or √(c·v).
    pub fn for_noise_variance(&self, variance: f32) -> f32 {
        match *self {
            Bandwidth::Constant { bandwidth } => bandwidth,
            Bandwidth::SigmaTied { ratio } => math::sqrt(ratio * variance),
        }
    }
}

/// Calls `visit(w_j, x − hξ_j)` for the kernel points of `rule`, in the rule's fixed order, with
/// the shifted query in a stack buffer of `CAP` f32 (`x.len()` ≤ `CAP`).
pub fn for_each_shifted<const CAP: usize, F>(
    rule: &KernelRule,
    bandwidth: f32,
    x: &[f32],
    mut visit: F,
) -> Result<(), Error>
where
    F: FnMut(f32, &[f32]) -> Result<(), Error>,
{
    let dim = x.len();
    if dim > CAP {
        return Err(Error::CapacityExceeded {
            needed: dim,
            capacity: CAP,
        });
    }
    let mut point = [0.0f32; CAP];
    let mut shifted = [0.0f32; CAP];
    let shifted = &mut shifted[..dim];
    rule.for_each(&mut point[..dim], |weight, xi| {
        for ((s, &xk), &xik) in shifted.iter_mut().zip(x).zip(xi) {
            *s = xk - bandwidth * xik;
        }
        visit(weight, shifted)
    })
}

/// (K_h * f)(x) ≈ Σ_j w_j f(x − hξ_j) for a vector field `field(y, out)` (length d), accumulated
/// into `out` in the rule's fixed order; `f` itself when h = 0.
pub fn convolve<const CAP: usize, F>(
    rule: &KernelRule,
    bandwidth: f32,
    x: &[f32],
    out: &mut [f32],
    mut field: F,
) -> Result<(), Error>
where
    F: FnMut(&[f32], &mut [f32]) -> Result<(), Error>,
{
    if bandwidth == 0.0 {
        return field(x, out);
    }
    if out.len() != x.len() {
        return Err(Error::DimensionMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    out.fill(0.0);
    let mut single = [0.0f32; CAP];
    let single = single.get_mut(..x.len()).ok_or(Error::CapacityExceeded {
        needed: x.len(),
        capacity: CAP,
    })?;
    for_each_shifted::<CAP, _>(rule, bandwidth, x, |weight, shifted| {
        field(shifted, single)?;
        lanes::add_scaled(out, weight, single);
        Ok(())
    })
}

/// s̃_t = K_h * s_t^N with up to `CAP` dimensions (three stack buffers of `CAP` f32 per call).
#[derive(Clone, Copy, Debug)]
pub struct KernelSmoothedScore<'a, const CAP: usize> {
    exact: EmpiricalScore<'a>,
    bandwidth: Bandwidth,
    rule: KernelRule,
}

impl<'a, const CAP: usize> KernelSmoothedScore<'a, CAP> {
    /// Smooths `exact` with bandwidth `bandwidth`, estimated with the points of `rule`.
    pub fn new(
        exact: EmpiricalScore<'a>,
        bandwidth: Bandwidth,
        rule: KernelRule,
    ) -> Result<Self, Error> {
        bandwidth.validate()?;
        let dim = exact.dim();
        if dim > CAP {
            return Err(Error::CapacityExceeded {
                needed: dim,
                capacity: CAP,
            });
        }
        rule.count(dim)?;
        Ok(KernelSmoothedScore {
            exact,
            bandwidth,
            rule,
        })
    }

    /// The exact empirical score being smoothed.
    pub fn exact(&self) -> &EmpiricalScore<'a> {
        &self.exact
    }

    /// The bandwidth rule.
    pub fn bandwidth(&self) -> Bandwidth {
        self.bandwidth
    }

    /// The kernel rule.
    pub fn rule(&self) -> KernelRule {
        self.rule
    }

    /// M, the number of exact score evaluations per smoothed evaluation (1 when h = 0).
    pub fn kernel_points(&self) -> usize {
        self.rule.count(self.exact.dim()).unwrap_or(1)
    }

    fn check_query(&self, t: f32, x: &[f32]) -> Result<f32, Error> {
        self.exact.data().check_dim(x.len())?;
        check_finite(x, Input::Query)?;
        let bandwidth = self.bandwidth.at(self.exact.process(), t)?;
        if bandwidth.is_finite() {
            Ok(bandwidth)
        } else {
            Err(Error::InvalidParameter {
                name: "bandwidth",
                value: bandwidth,
            })
        }
    }

    /// The estimator's variance per coordinate, Σ_j w_j (s^N(x − hξ_j) − s̃)² / (M − 1), given
    /// the smoothed score `smoothed` = s̃_t(x) computed before (a second pass over the M points).
    /// It is the Monte Carlo standard error² for [`KernelRule::MonteCarlo`] and an upper-bound
    /// style error bar for the deterministic rules. Zero when h = 0 or M = 1.
    pub fn estimator_variance(
        &self,
        t: f32,
        x: &[f32],
        smoothed: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        let bandwidth = self.check_query(t, x)?;
        self.exact.data().check_dim(smoothed.len())?;
        self.exact.data().check_dim(out.len())?;
        out.fill(0.0);
        let count = self.rule.count(x.len())?;
        if bandwidth == 0.0 || count < 2 {
            return Ok(());
        }
        let mut single = [0.0f32; CAP];
        let single = &mut single[..x.len()];
        for_each_shifted::<CAP, _>(&self.rule, bandwidth, x, |weight, shifted| {
            self.exact.score(t, shifted, single)?;
            for ((o, &s), &m) in out.iter_mut().zip(single.iter()).zip(smoothed) {
                *o += weight * (s - m) * (s - m);
            }
            Ok(())
        })?;
        let scale = 1.0 / (count - 1) as f32;
        for o in out.iter_mut() {
            *o *= scale;
        }
        Ok(())
    }

    /// The LED-KDE log density up to its normalising constant:
    /// log p̂_t(x) = (K_h * log p_t^N)(x) ≈ Σ_j w_j log p_t^N(x − hξ_j) (log p_t^N itself when
    /// h = 0). Its gradient is the smoothed score.
    pub fn led_kde_log_density(&self, t: f32, x: &[f32]) -> Result<f32, Error> {
        let bandwidth = self.check_query(t, x)?;
        if bandwidth == 0.0 {
            return self.exact.log_density(t, x);
        }
        let mut total = 0.0f32;
        for_each_shifted::<CAP, _>(&self.rule, bandwidth, x, |weight, shifted| {
            total += weight * self.exact.log_density(t, shifted)?;
            Ok(())
        })?;
        Ok(total)
    }
}

impl<const CAP: usize> ScoreField for KernelSmoothedScore<'_, CAP> {
    fn dim(&self) -> usize {
        self.exact.dim()
    }

    /// s̃_t(x) ≈ Σ_j w_j s_t^N(x − h_t ξ_j), accumulated in the rule's fixed order.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let bandwidth = self.check_query(t, x)?;
        self.exact.data().check_dim(out.len())?;
        convolve::<CAP, _>(&self.rule, bandwidth, x, out, |shifted, single| {
            self.exact.score(t, shifted, single)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;

    const BROWNIAN: Process = Process::Brownian { horizon: 1.0 };

    fn smoothed<'a>(
        data: &'a [f32],
        dim: usize,
        bandwidth: Bandwidth,
        rule: KernelRule,
    ) -> KernelSmoothedScore<'a, 8> {
        let exact = EmpiricalScore::new(Dataset::new(data, dim).unwrap(), BROWNIAN).unwrap();
        KernelSmoothedScore::new(exact, bandwidth, rule).unwrap()
    }

    #[test]
    fn single_point_smoothing_is_exact_for_the_linear_score() {
        // One point: s(x) = (x_0 − x)/σ², linear, so K_h * s = s for every rule with zero mean.
        let data = [0.3f32, -0.7];
        let x = [1.0f32, 2.0];
        let want = [(0.3 - 1.0) / 0.5, (-0.7 - 2.0) / 0.5];
        for rule in [
            KernelRule::GaussHermite { order: 4 },
            KernelRule::QuasiRandom { pairs: 16 },
        ] {
            let score = smoothed(&data, 2, Bandwidth::Constant { bandwidth: 0.4 }, rule);
            let mut out = [0.0f32; 2];
            score.score(0.5, &x, &mut out).unwrap();
            for k in 0..2 {
                assert!(
                    (out[k] - want[k]).abs() < 1e-5,
                    "{rule:?}: {out:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn zero_bandwidth_is_the_exact_score_bit_for_bit() {
        let data = [0.0f32, 0.0, 1.0, 0.5, -1.0, 2.0];
        let score = smoothed(
            &data,
            2,
            Bandwidth::Constant { bandwidth: 0.0 },
            KernelRule::QuasiRandom { pairs: 4 },
        );
        let x = [0.2f32, 0.9];
        let (mut a, mut b) = ([0.0f32; 2], [0.0f32; 2]);
        score.score(0.1, &x, &mut a).unwrap();
        score.exact().score(0.1, &x, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn two_point_smoothed_score_matches_quadrature_of_tanh() {
        // Points ±1 in d = 1 under Brownian motion: s_t(x) = (tanh(x/t) − x)/t.
        // K_h * s at x = 0.3 by a fine Riemann sum in f64 against Gauss–Hermite order 10.
        let data = [-1.0f32, 1.0];
        let (t, h, x) = (0.2f64, 0.15f64, 0.3f64);
        let exact = |y: f64| (libm::tanh(y / t) - y) / t;
        let mut want = 0.0;
        let step = 1e-3;
        let mut z = -8.0;
        while z < 8.0 {
            want += exact(x - h * z) * libm::exp(-0.5 * z * z) * step;
            z += step;
        }
        want /= libm::sqrt(2.0 * core::f64::consts::PI);
        let score = smoothed(
            &data,
            1,
            Bandwidth::Constant {
                bandwidth: h as f32,
            },
            KernelRule::GaussHermite { order: 10 },
        );
        let mut out = [0.0f32];
        score.score(t as f32, &[x as f32], &mut out).unwrap();
        assert!(
            (f64::from(out[0]) - want).abs() < 2e-3 * want.abs(),
            "{} vs {want}",
            out[0]
        );
    }

    #[test]
    fn sigma_tied_bandwidth_follows_sigma() {
        let bandwidth = Bandwidth::SigmaTied { ratio: 0.25 };
        let h = bandwidth.at(&BROWNIAN, 0.16).unwrap();
        assert!((h - 0.2).abs() < 1e-6, "h = √(0.25·0.16) = 0.2, got {h}");
        assert!(Bandwidth::Constant { bandwidth: -1.0 }.validate().is_err());
        assert!(Bandwidth::SigmaTied { ratio: f32::NAN }.validate().is_err());
    }

    #[test]
    fn estimator_variance_is_zero_for_a_linear_score_and_positive_otherwise() {
        let rule = KernelRule::MonteCarlo {
            points: 32,
            seed: 3,
        };
        let one = [0.0f32];
        let score = smoothed(&one, 1, Bandwidth::Constant { bandwidth: 0.5 }, rule);
        let mut mean = [0.0f32];
        let mut variance = [0.0f32];
        score.score(0.5, &[0.4], &mut mean).unwrap();
        score
            .estimator_variance(0.5, &[0.4], &mean, &mut variance)
            .unwrap();
        // s(x − hξ) = −(x − hξ)/t varies linearly in ξ: variance h²/t²·Var(ξ)/(M − 1)·(M-ish).
        assert!(variance[0] > 0.0 && variance[0] < 0.1, "{variance:?}");
        let score = smoothed(&one, 1, Bandwidth::Constant { bandwidth: 0.0 }, rule);
        score
            .estimator_variance(0.5, &[0.4], &mean, &mut variance)
            .unwrap();
        assert_eq!(variance, [0.0]);
    }

    #[test]
    fn led_kde_gradient_is_the_smoothed_score() {
        let data = [-1.0f32, 0.0, 1.0, 0.5, 0.2, -0.8];
        let score = smoothed(
            &data,
            2,
            Bandwidth::Constant { bandwidth: 0.3 },
            KernelRule::GaussHermite { order: 6 },
        );
        let (t, x) = (0.3f32, [0.1f32, 0.2]);
        let mut analytic = [0.0f32; 2];
        score.score(t, &x, &mut analytic).unwrap();
        let step = 1e-2f32;
        for k in 0..2 {
            let (mut plus, mut minus) = (x, x);
            plus[k] += step;
            minus[k] -= step;
            let numeric = (score.led_kde_log_density(t, &plus).unwrap()
                - score.led_kde_log_density(t, &minus).unwrap())
                / (2.0 * step);
            assert!(
                (numeric - analytic[k]).abs() < 2e-2 * (1.0 + analytic[k].abs()),
                "coordinate {k}: finite difference {numeric} vs score {}",
                analytic[k]
            );
        }
    }

    #[test]
    fn bad_input_is_rejected() {
        let data = [0.0f32, 1.0];
        let score = smoothed(
            &data,
            2,
            Bandwidth::Constant { bandwidth: 0.1 },
            KernelRule::QuasiRandom { pairs: 2 },
        );
        let mut out = [0.0f32; 2];
        assert!(score.score(0.5, &[f32::NAN, 0.0], &mut out).is_err());
        assert!(score.score(0.5, &[0.0], &mut out).is_err());
        assert!(score.score(2.0, &[0.0, 0.0], &mut out).is_err());
        let three = [0.0f32; 3];
        let exact = EmpiricalScore::new(Dataset::new(&three, 3).unwrap(), BROWNIAN).unwrap();
        assert!(matches!(
            KernelSmoothedScore::<2>::new(
                exact,
                Bandwidth::Constant { bandwidth: 0.1 },
                KernelRule::QuasiRandom { pairs: 2 }
            ),
            Err(Error::CapacityExceeded { .. })
        ));
    }
}
