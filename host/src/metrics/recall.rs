//! Precision and recall of a generative model in the k-nearest-neighbour form of Kynkäänniemi,
//! Karras, Laine, Lehtinen and Aila (2019), and the held-out points' distance to the nearest
//! sample: coverage measures, so that collapsing samples onto dense regions cannot look good.
//!
//! The manifold of a set S is ∪_{s ∈ S} B(s, r_k(s)), r_k(s) the distance from s to its k-th
//! nearest other point of S. Precision = the fraction of samples inside the real (held-out)
//! manifold; recall = the fraction of real points inside the samples' manifold. Samples that
//! pile onto a few points have r_k ≈ 0 and a recall near 0 however precise they are.

use crate::matrix::MatrixView;
use anyhow::{bail, Result};
use rayon::prelude::*;

/// The default k.
pub const DEFAULT_K: usize = 3;

use super::squared_distance;

/// r_k(s)² for every row s of `set`: the squared distance to its k-th nearest other row.
fn kth_radii_squared(set: MatrixView<'_>, k: usize) -> Vec<f64> {
    let rows: Vec<usize> = (0..set.rows()).collect();
    rows.par_iter()
        .map(|&i| {
            let mut distances: Vec<f64> = (0..set.rows())
                .filter(|&j| j != i)
                .map(|j| squared_distance(set.row(i), set.row(j)))
                .collect();
            let (_, kth, _) = distances.select_nth_unstable_by(k - 1, f64::total_cmp);
            *kth
        })
        .collect()
}

/// The fraction of rows of `queries` inside the k-NN manifold of `set`.
fn inside_fraction(queries: MatrixView<'_>, set: MatrixView<'_>, radii_squared: &[f64]) -> f64 {
    let rows: Vec<usize> = (0..queries.rows()).collect();
    let inside = rows
        .par_iter()
        .filter(|&&i| {
            set.iter_rows()
                .zip(radii_squared)
                .any(|(s, &r2)| squared_distance(queries.row(i), s) <= r2)
        })
        .count();
    inside as f64 / queries.rows().max(1) as f64
}

/// k-NN precision and recall of `samples` against `real` (both need more than k rows).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionRecall {
    /// Fraction of samples inside the real manifold.
    pub precision: f64,
    /// Fraction of real points inside the samples' manifold.
    pub recall: f64,
}

/// Kynkäänniemi et al.'s precision and recall with k nearest neighbours (the paper uses k = 3).
pub fn knn_precision_recall(
    real: MatrixView<'_>,
    samples: MatrixView<'_>,
    k: usize,
) -> Result<PrecisionRecall> {
    if real.cols() != samples.cols() {
        bail!(
            "the two sets have dimensions {} and {}",
            real.cols(),
            samples.cols()
        );
    }
    if k == 0 || real.rows() <= k || samples.rows() <= k {
        bail!(
            "k-NN precision/recall with k = {k} needs more than k rows in each set ({} and {})",
            real.rows(),
            samples.rows()
        );
    }
    let real_radii = kth_radii_squared(real, k);
    let sample_radii = kth_radii_squared(samples, k);
    Ok(PrecisionRecall {
        precision: inside_fraction(samples, real, &real_radii),
        recall: inside_fraction(real, samples, &sample_radii),
    })
}

/// Mean distance from each row of `from` to its nearest row of `to`: with `from` = samples a
/// precision-like distance, with `from` = held-out data a coverage (recall-like) one.
pub fn mean_nearest_distance(from: MatrixView<'_>, to: MatrixView<'_>) -> f64 {
    let rows: Vec<usize> = (0..from.rows()).collect();
    let total: f64 = rows
        .par_iter()
        .map(|&i| {
            to.iter_rows()
                .map(|y| squared_distance(from.row(i), y))
                .fold(f64::INFINITY, f64::min)
                .sqrt()
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum();
    total / from.rows().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    fn grid(count: usize, offset: f32) -> Matrix {
        let values = (0..count)
            .flat_map(|i| [i as f32 + offset, 0.0])
            .collect::<Vec<_>>();
        Matrix::new(count, 2, values).unwrap()
    }

    #[test]
    fn identical_sets_have_full_precision_and_recall_and_far_sets_none() {
        let real = grid(20, 0.0);
        let same = knn_precision_recall(real.view(), real.view(), 3).unwrap();
        assert_eq!((same.precision, same.recall), (1.0, 1.0));
        let far = knn_precision_recall(real.view(), grid(20, 100.0).view(), 3).unwrap();
        assert_eq!((far.precision, far.recall), (0.0, 0.0));
    }

    #[test]
    fn collapsed_samples_are_precise_but_recall_almost_nothing() {
        // 20 real points 0..19 on a line; samples: 10 copies each of points 3 and 4.
        let real = grid(20, 0.0);
        let values: Vec<f32> = (0..20)
            .flat_map(|i| [if i < 10 { 3.0 } else { 4.0 }, 0.0])
            .collect();
        let collapsed = Matrix::new(20, 2, values).unwrap();
        let measured = knn_precision_recall(real.view(), collapsed.view(), 3).unwrap();
        assert_eq!(measured.precision, 1.0);
        assert_eq!(
            measured.recall,
            2.0 / 20.0,
            "only the two copied points are covered"
        );
        let coverage = mean_nearest_distance(real.view(), collapsed.view());
        let precision_distance = mean_nearest_distance(collapsed.view(), real.view());
        assert_eq!(precision_distance, 0.0);
        // Held-out i is |i − 3| or |i − 4| from the samples: (3+2+1+0 + 0+1+…+15)/20.
        assert!(
            (coverage - (6.0 + 120.0) / 20.0).abs() < 1e-12,
            "{coverage}"
        );
    }

    #[test]
    fn too_few_rows_or_other_dimensions_are_errors() {
        let real = grid(3, 0.0);
        assert!(knn_precision_recall(real.view(), real.view(), 3).is_err());
        let other = Matrix::new(5, 1, vec![0.0; 5]).unwrap();
        assert!(knn_precision_recall(grid(5, 0.0).view(), other.view(), 3).is_err());
    }
}
