//! Confidence intervals for a mean over independent replicates: the two-sided Student-t
//! interval x̄ ± t_{R−1, 0.975} · s/√R (s the sample standard deviation with R − 1), exact for
//! normal replicates and asymptotically exact (central limit theorem) otherwise.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The confidence level of every interval the experiments report.
pub const CONFIDENCE: f64 = 0.95;

/// A mean with its two-sided [`CONFIDENCE`] Student-t interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The sample mean x̄ (NaN when a value is not finite or there are none).
    pub mean: f64,
    /// x̄ − t·s/√R (NaN for fewer than 2 values).
    pub low: f64,
    /// x̄ + t·s/√R (NaN for fewer than 2 values).
    pub high: f64,
    /// R, the number of values.
    pub count: usize,
}

impl Interval {
    /// The half-width t·s/√R (NaN without an interval).
    pub fn half_width(&self) -> f64 {
        0.5 * (self.high - self.low)
    }
}

/// The `probability` quantile of Student's t law with `dof` degrees of freedom (statrs' inverse
/// CDF, accurate to about 1e-9 relative; `dof` ≥ 1).
pub fn student_t_quantile(probability: f64, dof: usize) -> f64 {
    StudentsT::new(0.0, 1.0, dof as f64).map_or(f64::NAN, |law| law.inverse_cdf(probability))
}

/// The mean of `values` with its two-sided 95 % t-interval: x̄ ± t_{R−1, 0.975}·s/√R.
pub fn t_interval(values: &[f64]) -> Interval {
    let count = values.len();
    if count == 0 || values.iter().any(|v| !v.is_finite()) {
        return Interval {
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            count,
        };
    }
    let mean = values.iter().sum::<f64>() / count as f64;
    if count < 2 {
        return Interval {
            mean,
            low: f64::NAN,
            high: f64::NAN,
            count,
        };
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1) as f64;
    let half =
        student_t_quantile(0.5 + CONFIDENCE / 2.0, count - 1) * (variance / count as f64).sqrt();
    Interval {
        mean,
        low: mean - half,
        high: mean + half,
        count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothscore_core::rng::{fill_standard_normal, SampleStreams};

    #[test]
    fn quantiles_match_the_tables() {
        // t_{1, 0.975} = 12.706, t_{4, 0.975} = 2.776, t_{29, 0.975} = 2.045 (standard tables).
        for (dof, want) in [(1, 12.7062), (4, 2.7764), (29, 2.0452)] {
            let got = student_t_quantile(0.975, dof);
            assert!((got - want).abs() < 1e-3, "dof {dof}: {got}");
        }
    }

    #[test]
    fn the_interval_covers_the_true_mean_95_percent_of_the_time() {
        // 4000 intervals of R = 5 normal draws (mean 0): the coverage count is Binomial(4000,
        // 0.95), sd 13.8; accept ±4 sd.
        let trials = 4000;
        let mut covered = 0;
        for mut rng in SampleStreams::new(11).take(trials) {
            let mut z = [0.0f32; 5];
            fill_standard_normal(&mut rng, &mut z);
            let values: Vec<f64> = z.iter().map(|&v| f64::from(v) + 3.0).collect();
            let interval = t_interval(&values);
            if interval.low <= 3.0 && 3.0 <= interval.high {
                covered += 1;
            }
        }
        let expected = 0.95 * trials as f64;
        let sd = (trials as f64 * 0.95 * 0.05).sqrt();
        println!("covered {covered} of {trials} (expected {expected:.0} ± {sd:.1})");
        assert!((covered as f64 - expected).abs() < 4.0 * sd);
    }

    #[test]
    fn degenerate_inputs_give_no_interval() {
        assert!(t_interval(&[]).mean.is_nan());
        let one = t_interval(&[2.0]);
        assert_eq!(one.mean, 2.0);
        assert!(one.low.is_nan() && one.half_width().is_nan());
        assert!(t_interval(&[1.0, f64::NAN]).mean.is_nan());
        let constant = t_interval(&[1.5, 1.5, 1.5]);
        assert_eq!((constant.low, constant.high), (1.5, 1.5));
    }
}
