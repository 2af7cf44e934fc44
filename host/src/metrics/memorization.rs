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

use super::{search_in_blocks, squared_distance_within};
use crate::matrix::MatrixView;

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
/// distinct rows. Each row's search abandons a distance once it is certainly above the nearest
/// so far ([`squared_distance_within`]): the exhaustive search's value, bit for bit.
pub fn nearest_neighbour_spacing(train: MatrixView<'_>) -> f64 {
    let rows = train.rows();
    let stride = rows.div_ceil(SPACING_ROWS).max(1);
    let queries: Vec<&[f32]> = (0..rows).step_by(stride).map(|i| train.row(i)).collect();
    let mut nearest: Vec<f64> = nearest_other_distances(train, &queries)
        .into_iter()
        .filter(|d| d.is_finite())
        .collect();
    median(&mut nearest)
}

/// The distance from each query to its nearest training row at a distance > 0 (∞ when there is
/// none), by [`search_in_blocks`]. Squared distances order as their roots do and the root is
/// correctly rounded, so the root of the least squared distance is the least root.
fn nearest_other_distances(train: MatrixView<'_>, queries: &[&[f32]]) -> Vec<f64> {
    search_in_blocks(
        train,
        queries,
        f64::INFINITY,
        |best, _, x, y| {
            if let Some(squared) = squared_distance_within(x, y, *best) {
                if squared > 0.0 && squared < *best {
                    *best = squared;
                }
            }
        },
        |best, _| best.sqrt(),
    )
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

/// Rows whose exact distance [`nearest_distinct_pairs`] keeps while it searches: the d₂ row is
/// among them unless the first of them all lie within τ of y₁ (near-duplicates of it).
pub const KEPT_NEAREST: usize = 16;

/// (d₁, d₂) of every query `x`: d₁ to the nearest training row y₁ (the first in row order among
/// equally near ones), d₂ to the nearest training row farther than `tolerance` from y₁ (∞ when
/// there is none), in query order.
///
/// Each search keeps the exact distance of every row that is not certainly farther than the
/// [`KEPT_NEAREST`]-th nearest row met so far (distances past that bound are abandoned,
/// [`squared_distance_within`]). With D_K the final [`KEPT_NEAREST`]-th least squared distance,
/// every row nearer than √D_K is kept, so when y₁ and the d₂ row are nearer than √D_K they are
/// the exhaustive search's; otherwise (ties at the bound, K near-duplicates of y₁, NaN) the
/// exhaustive search runs. Either way the result has the exhaustive search's bits. The queries
/// go through [`search_in_blocks`].
pub fn nearest_distinct_pairs(
    train: MatrixView<'_>,
    queries: MatrixView<'_>,
    tolerance: f64,
) -> Vec<(f64, f64)> {
    let queries: Vec<&[f32]> = queries.iter_rows().collect();
    search_in_blocks(
        train,
        &queries,
        NearestRows::new(),
        |search, j, x, y| search.offer(j, x, y),
        |search, x| {
            search
                .distinct_pair(train, tolerance)
                .unwrap_or_else(|| nearest_distinct_pair_exhaustive(train, x, tolerance))
        },
    )
}

/// One query's search state in [`nearest_distinct_pairs`]: the [`KEPT_NEAREST`] least squared
/// distances met so far, and every row kept with its distance.
#[derive(Clone)]
struct NearestRows {
    least: [f64; KEPT_NEAREST],
    kept: Vec<(usize, f64)>,
    saw_nan: bool,
}

impl NearestRows {
    fn new() -> Self {
        NearestRows {
            least: [f64::INFINITY; KEPT_NEAREST],
            kept: Vec::new(),
            saw_nan: false,
        }
    }

    /// Training row `j`, `y`, against the query `x`: kept unless certainly farther than the
    /// [`KEPT_NEAREST`]-th nearest so far.
    #[inline]
    fn offer(&mut self, j: usize, x: &[f32], y: &[f32]) {
        if self.saw_nan {
            return;
        }
        let bound = self.least[KEPT_NEAREST - 1];
        let Some(squared) = squared_distance_within(x, y, bound) else {
            return;
        };
        if squared.is_nan() {
            self.saw_nan = true;
        } else if squared <= bound {
            let at = self.least.partition_point(|&s| s <= squared);
            if at < KEPT_NEAREST {
                self.least.copy_within(at..KEPT_NEAREST - 1, at + 1);
                self.least[at] = squared;
            }
            self.kept.push((j, squared.sqrt()));
        }
    }

    /// (d₁, d₂) from the kept rows, `None` when they cannot decide it and the exhaustive search
    /// must run.
    fn distinct_pair(mut self, train: MatrixView<'_>, tolerance: f64) -> Option<(f64, f64)> {
        if self.saw_nan {
            return None;
        }
        let radius = self.least[KEPT_NEAREST - 1].sqrt();
        self.kept.retain(|&(_, d)| d < radius);
        self.kept
            .sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let &(first, d1) = self.kept.first()?;
        let y1 = train.row(first);
        let qualifies = |(j, dj): &(usize, f64)| {
            *j != first && !(*dj <= d1 + tolerance && distance(train.row(*j), y1) <= tolerance)
        };
        self.kept
            .iter()
            .find(|pair| qualifies(pair))
            .map(|&(_, d2)| (d1, d2))
    }
}

/// (d₁, d₂) of one query from every distance: the definition, the fallback of
/// [`nearest_distinct_pairs`] and its test oracle.
fn nearest_distinct_pair_exhaustive(
    train: MatrixView<'_>,
    x: &[f32],
    tolerance: f64,
) -> (f64, f64) {
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
    let pairs = nearest_distinct_pairs(train, samples, tolerance);
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
    use rand_core::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

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

    /// Rows of dimension `dim` around a few centres: exact duplicates, clusters of up to 24
    /// near-duplicates (more than [`KEPT_NEAREST`], so some searches must fall back), and
    /// isolated points; coordinates rounded to multiples of 1/8 so that equal distances occur.
    fn clustered(rows: usize, dim: usize, rng: &mut Xoshiro256PlusPlus) -> Matrix {
        let mut values = Vec::with_capacity(rows * dim);
        let centres: Vec<Vec<f32>> = (0..4)
            .map(|_| {
                (0..dim)
                    .map(|_| (rng.next_u32() % 16) as f32 / 8.0)
                    .collect()
            })
            .collect();
        for i in 0..rows {
            let centre = &centres[i % centres.len()];
            let kind = rng.next_u32() % 4;
            for &c in centre {
                let jitter = match kind {
                    0 => 0.0,
                    1 => (rng.next_u32() % 3) as f32 * 1e-6,
                    _ => (rng.next_u32() % 9) as f32 / 8.0,
                };
                values.push(c + jitter);
            }
        }
        Matrix::new(rows, dim, values).unwrap()
    }

    /// The early-abandoning searches against the exhaustive ones, bit for bit: every sample of
    /// every set (training rows themselves, their near-copies, free points, a NaN), for sets
    /// smaller and larger than [`KEPT_NEAREST`] and dimensions with and without checks.
    #[test]
    fn abandoning_searches_equal_the_exhaustive_ones() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut searches = [0usize; 2];
        for (rows, dim) in [
            (0, 3),
            (1, 3),
            (5, 1),
            (15, 2),
            (17, 64),
            (90, 65),
            (200, 130),
        ] {
            let train = clustered(rows, dim, &mut rng);
            let mut samples = clustered(40, dim, &mut rng).into_values();
            samples.extend(train.view().iter_rows().flatten());
            samples.extend(std::iter::repeat_n(f32::NAN, dim));
            let samples = Matrix::new(samples.len() / dim, dim, samples).unwrap();
            for tolerance in [0.0, 1e-5, 0.3] {
                let pairs = nearest_distinct_pairs(train.view(), samples.view(), tolerance);
                for (x, &fast) in samples.iter_rows().zip(&pairs) {
                    let mut search = NearestRows::new();
                    for (j, y) in train.iter_rows().enumerate() {
                        search.offer(j, x, y);
                    }
                    let kept = search.distinct_pair(train.view(), tolerance);
                    searches[usize::from(kept.is_some())] += 1;
                    let plain = nearest_distinct_pair_exhaustive(train.view(), x, tolerance);
                    assert_eq!(
                        (fast.0.to_bits(), fast.1.to_bits()),
                        (plain.0.to_bits(), plain.1.to_bits()),
                        "{rows}×{dim}, τ {tolerance}: {fast:?} vs {plain:?}"
                    );
                }
            }
            let queries: Vec<&[f32]> = train.iter_rows().collect();
            let nearest = nearest_other_distances(train.view(), &queries);
            for (x, fast) in queries.iter().zip(nearest) {
                let plain = train
                    .iter_rows()
                    .map(|y| distance(x, y))
                    .filter(|&d| d > 0.0)
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(fast.to_bits(), plain.to_bits(), "{rows}×{dim}");
            }
        }
        println!(
            "fell back {} times, kept rows sufficed {} times",
            searches[0], searches[1]
        );
        assert!(searches[0] >= 10 && searches[1] >= 1000, "{searches:?}");
    }
}
