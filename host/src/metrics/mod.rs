//! Nearest-neighbour measurements of samples against a training set (f64 accumulation):
//! [`memorization`] and coverage ([`recall`]); [`distances`] between sample sets; one-dimensional
//! laws ([`ks`]); confidence intervals over replicates ([`interval`]).

pub mod distances;
pub mod interval;
pub mod ks;
pub mod memorization;
pub mod recall;

use crate::matrix::MatrixView;

/// Distances from `x` to its nearest and second-nearest rows of `train` (d₂ = ∞ when N = 1).
pub fn two_nearest<'a>(train: impl Into<MatrixView<'a>>, x: &[f32]) -> (f64, f64) {
    let train = train.into();
    let mut best = (f64::INFINITY, f64::INFINITY);
    for row in train.iter_rows() {
        let d2: f64 = row
            .iter()
            .zip(x)
            .map(|(&a, &b)| {
                let diff = a as f64 - b as f64;
                diff * diff
            })
            .sum();
        if d2 < best.0 {
            best = (d2, best.0);
        } else if d2 < best.1 {
            best.1 = d2;
        }
    }
    (best.0.sqrt(), best.1.sqrt())
}

/// Summary of samples against the training set.
#[derive(Clone, Debug, PartialEq)]
pub struct NearestSummary {
    /// Fraction of samples within `radius` of a training point.
    pub within_radius: f64,
    /// The radius used.
    pub radius: f64,
    /// Fraction memorized by the ratio rule d₁/d₂ < 1/3 against the training set de-duplicated
    /// at τ = ε·s, ε = [`memorization::DEFAULT_EPSILON`] (see [`memorization`]).
    pub memorized_fraction: f64,
    /// Median distance to the nearest training point.
    pub median_nearest: f64,
}

/// Nearest-neighbour summary of every sample row against `train`.
pub fn nearest_summary<'a>(
    train: impl Into<MatrixView<'a>>,
    samples: impl Into<MatrixView<'a>>,
    radius: f64,
) -> NearestSummary {
    let (train, samples) = (train.into(), samples.into());
    let measured = memorization::memorization(train, samples, memorization::DEFAULT_EPSILON);
    let count = measured.nearest.len().max(1) as f64;
    let within = measured.nearest.iter().filter(|d1| **d1 <= radius).count() as f64;
    let mut nearest = measured.nearest;
    NearestSummary {
        within_radius: within / count,
        radius,
        memorized_fraction: measured.ratio_fraction,
        median_nearest: memorization::median(&mut nearest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    #[test]
    fn memorization_counts_points_on_top_of_training_points() {
        let train = Matrix::new(3, 1, vec![0.0, 1.0, 2.0]).unwrap();
        let samples = Matrix::new(4, 1, vec![0.0, 1.05, 0.5, 2.6]).unwrap();
        let summary = nearest_summary(&train, &samples, 0.1);
        assert_eq!(summary.within_radius, 0.5);
        // 0.0 (d1 = 0) and 1.05 (0.05/0.95) are memorized; 0.5 (1/1) and 2.6 (0.6/1.6) are not.
        assert_eq!(summary.memorized_fraction, 0.5);
        assert!((summary.median_nearest - 0.275).abs() < 1e-6);
    }
}
