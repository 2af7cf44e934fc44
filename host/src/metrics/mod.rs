//! Nearest-neighbour measurements of samples against a training set (f64 accumulation):
//! [`memorization`] and coverage ([`recall`]); [`distances`] between sample sets; one-dimensional
//! laws ([`ks`]); confidence intervals over replicates ([`interval`]).

pub mod distances;
pub mod interval;
pub mod ks;
pub mod memorization;
pub mod recall;

use crate::matrix::MatrixView;
use rayon::prelude::*;

/// Independent partial sums of [`squared_distance`]: enough to keep two SSE2 or AVX2 f64
/// adders busy instead of one dependent chain.
const PARTIAL_SUMS: usize = 8;

/// Coordinates between two checks of [`squared_distance_within`]'s bound (eight rounds of the
/// eight partial sums: a check, seven additions and a comparison, costs under 2 % of them).
pub const CHECK_EVERY: usize = 8 * PARTIAL_SUMS;

/// ‖a − b‖² in f64 over the common length of `a` and `b`: the coordinates k ≡ j (mod 8) summed in
/// order into partial sum j, the tail into partial sum k − 8⌊len/8⌋, and the eight sums added
/// pairwise ((s₀+s₁)+(s₂+s₃))+((s₄+s₅)+(s₆+s₇)). Every term (aₖ − bₖ)² is exact in f64 up to
/// one rounding (the difference of two f32 is exact in f64), so the relative error is at most
/// (⌈len/8⌉ + 4)·2⁻⁵³ of the true sum — far below any metric printed from it. The order is
/// fixed: the result does not depend on the thread count or the target (with AVX2 the same
/// operations run four lanes to a register: the same bits).
pub fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, the only feature the function is compiled for.
        return unsafe { squared_distance_avx2::<false>(a, b, f64::INFINITY) }
            .unwrap_or(f64::INFINITY);
    }
    squared_distance_in_order::<false>(a, b, f64::INFINITY).unwrap_or(f64::INFINITY)
}

/// [`squared_distance`] when it is ≤ `bound` (and possibly when it is not), `None` only when it
/// is certainly > `bound`: every [`CHECK_EVERY`] coordinates the partial sums so far are added
/// in the final tree, and the distance is abandoned once that value exceeds `bound`. The value
/// is a lower bound of the full sum — the terms are ≥ 0 and rounding to nearest is monotone, so
/// adding terms to a partial sum, or a larger summand to the tree, never lowers it — and the
/// accumulation is the same whether or not it is checked: a `Some` has the bits of
/// [`squared_distance`]. An early-abandoning nearest-neighbour search gives the exhaustive
/// search's distances with it.
pub fn squared_distance_within(a: &[f32], b: &[f32], bound: f64) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, the only feature the function is compiled for.
        return unsafe { squared_distance_avx2::<true>(a, b, bound) };
    }
    squared_distance_in_order::<true>(a, b, bound)
}

/// [`squared_distance_within`] (`CHECKED`) or [`squared_distance`] for AVX2 (no FMA: the
/// multiplies and adds stay separate): partial sums 0–3 and 4–7 in two registers, each chunk of
/// 8 coordinates widened to f64 and added lane j to sum j, the tail and the tree in
/// [`squared_distance_in_order`]'s scalar code: the same operations on the same values, so the
/// same bits (tested).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn squared_distance_avx2<const CHECKED: bool>(
    a: &[f32],
    b: &[f32],
    bound: f64,
) -> Option<f64> {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_castps256_ps128, _mm256_cvtps_pd, _mm256_extractf128_ps,
        _mm256_loadu_ps, _mm256_mul_pd, _mm256_setzero_pd, _mm256_storeu_pd, _mm256_sub_pd,
    };
    #[inline(always)]
    fn accumulate(
        x: &[f32; PARTIAL_SUMS],
        y: &[f32; PARTIAL_SUMS],
        low: &mut __m256d,
        high: &mut __m256d,
    ) {
        // SAFETY: AVX2 is enabled in the only caller; each chunk is 8 floats, the width of the
        // unaligned load.
        unsafe {
            let (x, y) = (_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(y.as_ptr()));
            let diff_low = _mm256_sub_pd(
                _mm256_cvtps_pd(_mm256_castps256_ps128(x)),
                _mm256_cvtps_pd(_mm256_castps256_ps128(y)),
            );
            let diff_high = _mm256_sub_pd(
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)),
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(y)),
            );
            *low = _mm256_add_pd(*low, _mm256_mul_pd(diff_low, diff_low));
            *high = _mm256_add_pd(*high, _mm256_mul_pd(diff_high, diff_high));
        }
    }
    #[inline(always)]
    fn sums_of(low: __m256d, high: __m256d) -> [f64; PARTIAL_SUMS] {
        let mut sums = [0.0f64; PARTIAL_SUMS];
        // SAFETY: AVX2 is enabled in the only caller; `sums` holds the two stores of 4 doubles.
        unsafe {
            _mm256_storeu_pd(sums.as_mut_ptr(), low);
            _mm256_storeu_pd(sums.as_mut_ptr().add(4), high);
        }
        sums
    }
    let len = a.len().min(b.len());
    let (a_chunks, a_tail) = a[..len].as_chunks::<PARTIAL_SUMS>();
    let (b_chunks, b_tail) = b[..len].as_chunks::<PARTIAL_SUMS>();
    let (mut low, mut high) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let per_check = CHECK_EVERY / PARTIAL_SUMS;
    let (a_blocks, b_blocks) = (
        a_chunks.chunks_exact(per_check),
        b_chunks.chunks_exact(per_check),
    );
    let (a_rest, b_rest) = (a_blocks.remainder(), b_blocks.remainder());
    for (x_block, y_block) in a_blocks.zip(b_blocks) {
        for (x, y) in x_block.iter().zip(y_block) {
            accumulate(x, y, &mut low, &mut high);
        }
        if CHECKED && tree(&sums_of(low, high)) > bound {
            return None;
        }
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        accumulate(x, y, &mut low, &mut high);
    }
    let mut sums = sums_of(low, high);
    for ((sum, &x), &y) in sums.iter_mut().zip(a_tail).zip(b_tail) {
        let diff = f64::from(x) - f64::from(y);
        *sum += diff * diff;
    }
    Some(tree(&sums))
}

/// The final tree of [`squared_distance`] over the eight partial sums.
#[inline(always)]
fn tree(sums: &[f64; PARTIAL_SUMS]) -> f64 {
    ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
}

/// The body of [`squared_distance_within`] (`CHECKED`) and [`squared_distance`], inlined into
/// each instruction set's copy.
#[inline(always)]
fn squared_distance_in_order<const CHECKED: bool>(a: &[f32], b: &[f32], bound: f64) -> Option<f64> {
    let mut sums = [0.0f64; PARTIAL_SUMS];
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let (a_blocks, b_blocks) = (a.chunks_exact(CHECK_EVERY), b.chunks_exact(CHECK_EVERY));
    let (a_rest, b_rest) = (a_blocks.remainder(), b_blocks.remainder());
    for (x_block, y_block) in a_blocks.zip(b_blocks) {
        for (x, y) in x_block
            .chunks_exact(PARTIAL_SUMS)
            .zip(y_block.chunks_exact(PARTIAL_SUMS))
        {
            for j in 0..PARTIAL_SUMS {
                let diff = f64::from(x[j]) - f64::from(y[j]);
                sums[j] += diff * diff;
            }
        }
        if CHECKED && tree(&sums) > bound {
            return None;
        }
    }
    let (a_chunks, b_chunks) = (
        a_rest.chunks_exact(PARTIAL_SUMS),
        b_rest.chunks_exact(PARTIAL_SUMS),
    );
    let (a_tail, b_tail) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        for j in 0..PARTIAL_SUMS {
            let diff = f64::from(x[j]) - f64::from(y[j]);
            sums[j] += diff * diff;
        }
    }
    for j in 0..a_tail.len() {
        let diff = f64::from(a_tail[j]) - f64::from(b_tail[j]);
        sums[j] += diff * diff;
    }
    Some(tree(&sums))
}

/// Queries searched together by [`search_in_blocks`]: each training row is read from memory
/// once per block and compared with the block's queries while it is in the first-level cache
/// (a data set of 10 000 × 784 floats does not fit the last-level cache, so one query at a
/// time streamed it from memory once per query).
pub const QUERY_BLOCK: usize = 8;

/// A search of every training row for each query: the queries in blocks of [`QUERY_BLOCK`]
/// over the training rows in order, the blocks in parallel. Each query's state starts as
/// `start`, meets training row j as `offer(state, j, query, row)`, and ends as
/// `finish(state, query)`; the results come in query order. What a query's search computes
/// does not depend on the blocking or the threads.
pub fn search_in_blocks<S, T>(
    train: MatrixView<'_>,
    queries: &[&[f32]],
    start: S,
    offer: impl Fn(&mut S, usize, &[f32], &[f32]) + Sync,
    finish: impl Fn(S, &[f32]) -> T + Sync,
) -> Vec<T>
where
    S: Clone + Send + Sync,
    T: Send,
{
    queries
        .par_chunks(QUERY_BLOCK)
        .flat_map_iter(|block| {
            let mut states = vec![start.clone(); block.len()];
            for (j, row) in train.iter_rows().enumerate() {
                for (state, query) in states.iter_mut().zip(block) {
                    offer(state, j, query, row);
                }
            }
            states
                .into_iter()
                .zip(block)
                .map(|(state, query)| finish(state, query))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// [`two_nearest`] of every row of `queries`, in order, by [`search_in_blocks`]: each distance
/// abandoned once it is certainly above the query's second-nearest so far
/// ([`squared_distance_within`]: such a row changes neither distance). The exhaustive search's
/// values, bit for bit.
pub fn two_nearest_each<'a>(
    train: impl Into<MatrixView<'a>>,
    queries: impl Into<MatrixView<'a>>,
) -> Vec<(f64, f64)> {
    let (train, queries) = (train.into(), queries.into());
    let queries: Vec<&[f32]> = queries.iter_rows().collect();
    search_in_blocks(
        train,
        &queries,
        (f64::INFINITY, f64::INFINITY),
        |best, _, x, row| {
            if let Some(d2) = squared_distance_within(row, x, best.1) {
                if d2 < best.0 {
                    *best = (d2, best.0);
                } else if d2 < best.1 {
                    best.1 = d2;
                }
            }
        },
        |(d1, d2), _| (d1.sqrt(), d2.sqrt()),
    )
}

/// Distances from `x` to its nearest and second-nearest rows of `train` (d₂ = ∞ when N = 1),
/// from every distance (the definition; [`two_nearest_each`] is the fast search).
pub fn two_nearest<'a>(train: impl Into<MatrixView<'a>>, x: &[f32]) -> (f64, f64) {
    let train = train.into();
    let mut best = (f64::INFINITY, f64::INFINITY);
    for row in train.iter_rows() {
        let d2 = squared_distance(row, x);
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

    /// The eight partial sums against the plain sequential sum: within the stated bound, for
    /// every length from 0 to 40 (full chunks, tails, both) and a cancellation-free worst case.
    #[test]
    fn squared_distance_is_the_plain_sum_within_its_bound() {
        for len in 0..=40usize {
            let a: Vec<f32> = (0..len).map(|k| (k as f32 * 0.37).sin() * 3.0).collect();
            let b: Vec<f32> = (0..len)
                .map(|k| (k as f32 * 1.3).cos() * 1e-3 + 0.5)
                .collect();
            let plain: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
                .sum();
            let fast = squared_distance(&a, &b);
            let bound = (len.div_ceil(8) + 4) as f64 * f64::EPSILON / 2.0 * plain;
            assert!(
                (fast - plain).abs() <= bound,
                "len {len}: {fast} vs {plain}"
            );
            assert_eq!(squared_distance(&a, &a), 0.0);
        }
        // Unequal lengths: the common prefix, like `zip`.
        assert_eq!(squared_distance(&[1.0, 2.0, 3.0], &[1.0, 0.0]), 4.0);
    }

    /// The bounded distance: a `Some` has the unbounded one's bits, a `None` only when that one
    /// exceeds the bound; over lengths with and without checks and bounds on either side.
    #[test]
    fn bounded_distance_abandons_only_what_exceeds_the_bound() {
        let mut abandoned = 0;
        for len in [0, 1, 7, 63, 64, 65, 128, 200, 784] {
            let a: Vec<f32> = (0..len).map(|k| (k as f32 * 0.37).sin() * 3.0).collect();
            let b: Vec<f32> = (0..len).map(|k| (k as f32 * 1.3).cos()).collect();
            let full = squared_distance(&a, &b);
            for fraction in [0.0, 0.01, 0.1, 0.5, 0.99, 1.0, 2.0] {
                let bound = full * fraction;
                match squared_distance_within(&a, &b, bound) {
                    Some(value) => assert_eq!(value.to_bits(), full.to_bits(), "len {len}"),
                    None => {
                        assert!(full > bound, "len {len}: {full} ≤ {bound} abandoned");
                        abandoned += 1;
                    }
                }
            }
            assert_eq!(squared_distance_within(&a, &b, full), Some(full));
            let portable = squared_distance_in_order::<false>(&a, &b, f64::INFINITY);
            assert_eq!(
                portable.map(f64::to_bits),
                Some(full.to_bits()),
                "len {len}"
            );
            for fraction in [0.1, 0.5, 1.0] {
                let bound = full * fraction;
                let checked = squared_distance_in_order::<true>(&a, &b, bound);
                let fast = squared_distance_within(&a, &b, bound);
                assert_eq!(
                    checked.map(f64::to_bits),
                    fast.map(f64::to_bits),
                    "len {len}"
                );
            }
        }
        assert!(abandoned >= 20, "only {abandoned} abandoned");
    }

    /// The blocked, abandoning search against the exhaustive one, bit for bit, on rows with
    /// duplicates and ties (values on a grid of 1/4), fewer and more rows than a block.
    #[test]
    fn two_nearest_each_is_the_exhaustive_search() {
        for (rows, dim) in [(1usize, 3usize), (2, 1), (7, 64), (40, 65), (100, 130)] {
            let values: Vec<f32> = (0..rows * dim)
                .map(|k| ((k * 7919 + k / dim * 104_729) % 13) as f32 / 4.0)
                .collect();
            let train = Matrix::new(rows, dim, values).unwrap();
            let fast = two_nearest_each(&train, &train);
            for (x, &(d1, d2)) in train.iter_rows().zip(&fast) {
                let (e1, e2) = two_nearest(&train, x);
                assert_eq!((d1.to_bits(), d2.to_bits()), (e1.to_bits(), e2.to_bits()));
            }
        }
    }

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
