//! Memorization of a training set by samples, robust to near-duplicate training points (one
//! definition for `eval`, `sample`'s report and every experiment).
//!
//! With s the training set's nearest-neighbour spacing ([`nearest_neighbour_spacing`]) and the
//! tolerance τ = ε·s:
//! - **ratio rule** (Yoon et al. 2023, Gu et al. 2023) against the training set de-duplicated at
//!   τ: a sample x is memorized when d₁ < d₂/3, d₁ the distance to its nearest training point y₁
//!   and d₂ the distance to its nearest training point *farther than τ from y₁* (training points
//!   within τ of y₁ count as copies of y₁, so two nearly coinciding points do not hide a copy);
//! - **near-copy fraction**: the fraction of samples with d₁ ≤ τ = ε·s.

use crate::matrix::MatrixView;
use rayon::prelude::*;

/// The ratio-rule threshold on d₁/d₂.
pub const MEMORIZATION_RATIO: f64 = 1.0 / 3.0;

/// The default ε of the tolerance τ = ε·s.
pub const DEFAULT_EPSILON: f64 = 0.1;

/// Training rows whose nearest-neighbour distance enters the spacing's median (evenly strided
/// through the set; each is compared with every training row).
pub const SPACING_ROWS: usize = 1000;

fn distance(a: &[f32], b: &[f32]) -> f64 {
    super::squared_distance(a, b).sqrt()
}

/// The training set's nearest-neighbour spacing s: the median over training rows (up to
/// [`SPACING_ROWS`] of them, evenly strided) of the distance to the nearest *other, not
/// identical* training row (exact duplicates do not set the scale). NaN with fewer than two
/// distinct rows.
pub fn nearest_neighbour_spacing(train: MatrixView<'_>) -> f64 {
    let rows = train.rows();
    let stride = rows.div_ceil(SPACING_ROWS).max(1);
    let mut nearest: Vec<f64> = (0..rows)
        .step_by(stride)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&i| {
            let x = train.row(i);
            train
                .iter_rows()
                .map(|y| distance(x, y))
                .filter(|&d| d > 0.0)
                .fold(f64::INFINITY, f64::min)
        })
        .filter(|d| d.is_finite())
        .collect();
    median(&mut nearest)
}

/// The median of `values` (NaN when empty); sorts them.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => 0.5 * (values[n / 2 - 1] + values[n / 2]),
    }
}

/// Memorization of samples against a training set.
#[derive(Clone, Debug, PartialEq)]
pub struct Memorization {
    /// Fraction of samples with d₁ < d₂/3 against the set de-duplicated at τ.
    pub ratio_fraction: f64,
    /// Fraction of samples with d₁ ≤ τ.
    pub near_copy_fraction: f64,
    /// ε.
    pub epsilon: f64,
    /// The nearest-neighbour spacing s.
    pub spacing: f64,
    /// The tolerance τ = ε·s.
    pub tolerance: f64,
    /// The distances d₁ of the samples to their nearest training points, in sample order.
    pub nearest: Vec<f64>,
}

/// (d₁, d₂) of `x`: d₁ to the nearest training row y₁, d₂ to the nearest training row farther
/// than `tolerance` from y₁ (∞ when there is none).
pub fn nearest_distinct_pair(train: MatrixView<'_>, x: &[f32], tolerance: f64) -> (f64, f64) {
    let distances: Vec<f64> = train.iter_rows().map(|y| distance(x, y)).collect();
    let Some((first, &d1)) = distances
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
    else {
        return (f64::INFINITY, f64::INFINITY);
    };
    let y1 = train.row(first);
    let mut d2 = f64::INFINITY;
    for (j, &dj) in distances.iter().enumerate() {
        // |y_j − y₁| ≤ τ implies d_j ≤ d₁ + τ (triangle inequality): only those need the check.
        if j == first
            || dj >= d2
            || (dj <= d1 + tolerance && distance(train.row(j), y1) <= tolerance)
        {
            continue;
        }
        d2 = dj;
    }
    (d1, d2)
}

/// The memorization measures of every sample row against `train`, with τ = `epsilon`·s (see the
/// module documentation).
pub fn memorization(train: MatrixView<'_>, samples: MatrixView<'_>, epsilon: f64) -> Memorization {
    let spacing = nearest_neighbour_spacing(train);
    let tolerance = if spacing.is_finite() {
        epsilon * spacing
    } else {
        0.0
    };
    let rows: Vec<usize> = (0..samples.rows()).collect();
    let pairs: Vec<(f64, f64)> = rows
        .par_iter()
        .map(|&i| nearest_distinct_pair(train, samples.row(i), tolerance))
        .collect();
    let count = pairs.len().max(1) as f64;
    let fraction = |rule: &dyn Fn(f64, f64) -> bool| {
        pairs.iter().filter(|(d1, d2)| rule(*d1, *d2)).count() as f64 / count
    };
    Memorization {
        ratio_fraction: fraction(&|d1, d2| d1 < MEMORIZATION_RATIO * d2),
        near_copy_fraction: fraction(&|d1, _| d1 <= tolerance),
        epsilon,
        spacing,
        tolerance,
        nearest: pairs.iter().map(|p| p.0).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    /// Training points 0, 1, 2, 3 and a near-duplicate of 2 at 2 + 10⁻⁵; samples on top of each.
    /// The plain ratio rule (d₂ = the second-nearest point) calls the copy of 2 not memorized
    /// (d₁/d₂ ≈ 1); de-duplicated at τ it is memorized, and every sample is a near copy.
    #[test]
    fn near_duplicate_training_points_do_not_hide_a_copy() {
        let train = Matrix::new(5, 1, vec![0.0, 1.0, 2.0, 3.0, 2.00001]).unwrap();
        let samples = Matrix::new(4, 1, vec![0.0, 1.0, 2.000004, 3.0]).unwrap();
        let plain = samples
            .iter_rows()
            .filter(|x| {
                let mut d: Vec<f64> = train.iter_rows().map(|y| distance(x, y)).collect();
                d.sort_by(f64::total_cmp);
                d[0] < MEMORIZATION_RATIO * d[1]
            })
            .count();
        assert_eq!(
            plain, 3,
            "the plain rule misses the copy of the doubled point"
        );
        let robust = memorization(train.view(), samples.view(), 0.1);
        // Nearest distances 1, 1, 10⁻⁵, 1 − 10⁻⁵, 10⁻⁵: the median ignores the near-duplicate pair.
        assert!((robust.spacing - 1.0).abs() < 1e-4, "{}", robust.spacing);
        assert!((robust.tolerance - 0.1).abs() < 1e-5);
        assert_eq!(robust.ratio_fraction, 1.0);
        assert_eq!(robust.near_copy_fraction, 1.0);
    }

    #[test]
    fn samples_between_points_are_neither_memorized_nor_near_copies() {
        let train = Matrix::new(3, 1, vec![0.0, 1.0, 2.0]).unwrap();
        // 0.5 (d₁/d₂ = 1), 1.2 (0.2/0.8 = 0.25 < 1/3, memorized by the ratio rule but 0.2 > τ),
        // 2.05 (0.05 ≤ τ = 0.1 and 0.05/0.95).
        let samples = Matrix::new(3, 1, vec![0.5, 1.2, 2.05]).unwrap();
        let m = memorization(train.view(), samples.view(), 0.1);
        assert!((m.ratio_fraction - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.near_copy_fraction - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.nearest[1] - 0.2).abs() < 1e-6);
    }
}
