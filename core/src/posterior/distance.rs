//! The squared distances ‖x − α·y‖² of the posterior's logits, with coordinate k accumulated
//! into lane k mod [`LANES`] in index order and the lanes summed in the fixed tree
//! [`crate::lanes::reduce`]: one row (the scalar twin), Q sliced queries against one row (the
//! portable batched path), and Q packed queries against R rows in lane vectors (every register
//! path). Per coordinate: the product α·y_k rounded (shared by every query of a block), the
//! difference d_k = x_k − α·y_k rounded, and the accumulation lane ← fma(d_k, d_k, lane), one
//! fused multiply-add ([`fma`], bit contract v2): a subtraction and an FMA per (query, row)
//! coordinate.
//! Every kernel gives the bits of [`squared_distance_scaled`] (tested here, and the whole
//! posterior against [`super::oracle`]).

use crate::fused_multiply_add::fma;
use crate::lane_vector::{in_groups_of_four, LaneVector};
use crate::lanes::{reduce, reduce_each, LANES};

/// ‖x − α·y‖² = Σ_k (x_k − α y_k)², with coordinate k accumulated into lane k mod 16:
/// lane ← fma(d_k, d_k, lane) with d_k = x_k − α·y_k (each operation rounded).
///
/// `x` and `y` must have the same length (the shorter length is used otherwise).
#[inline(always)]
pub(crate) fn squared_distance_scaled(x: &[f32], y: &[f32], alpha: f32) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut x_chunks = x.chunks_exact(LANES);
    let mut y_chunks = y.chunks_exact(LANES);
    for (xc, yc) in (&mut x_chunks).zip(&mut y_chunks) {
        for ((acc_lane, &xk), &yk) in acc.iter_mut().zip(xc).zip(yc) {
            let diff = xk - alpha * yk;
            *acc_lane = fma(diff, diff, *acc_lane);
        }
    }
    for ((acc_lane, &xk), &yk) in acc
        .iter_mut()
        .zip(x_chunks.remainder())
        .zip(y_chunks.remainder())
    {
        let diff = xk - alpha * yk;
        *acc_lane = fma(diff, diff, *acc_lane);
    }
    reduce(&acc)
}

/// ‖x_q − α·y‖² for Q queries against one row y: the same lanes and reduction tree as
/// [`squared_distance_scaled`] per query (so each result has its bits), with α·y computed once
/// per chunk and shared. The row is read once for all Q queries: the inner kernel of the
/// batched score. Every query must have the length of `y` (a shorter one gets 0 lanes).
#[inline(always)]
pub(crate) fn squared_distances_scaled<const Q: usize>(
    queries: &[&[f32]; Q],
    y: &[f32],
    alpha: f32,
) -> [f32; Q] {
    let mut acc = [[0.0f32; LANES]; Q];
    let mut y_chunks = y.chunks_exact(LANES);
    let mut offset = 0;
    for yc in &mut y_chunks {
        let mut scaled = [0.0f32; LANES];
        for (s, &yk) in scaled.iter_mut().zip(yc) {
            *s = alpha * yk;
        }
        for (acc_q, query) in acc.iter_mut().zip(queries) {
            if let Some(xc) = query.get(offset..offset + LANES) {
                for ((acc_lane, &xk), &sk) in acc_q.iter_mut().zip(xc).zip(&scaled) {
                    let diff = xk - sk;
                    *acc_lane = fma(diff, diff, *acc_lane);
                }
            }
        }
        offset += LANES;
    }
    let tail = y_chunks.remainder();
    for (acc_q, query) in acc.iter_mut().zip(queries) {
        if let Some(xc) = query.get(offset..) {
            for ((acc_lane, &xk), &yk) in acc_q.iter_mut().zip(xc).zip(tail) {
                let diff = xk - alpha * yk;
                *acc_lane = fma(diff, diff, *acc_lane);
            }
        }
    }
    reduce_each(&acc)
}

/// Q queries of dimension d laid out for [`squared_distances_packed`]: whole chunk c of query
/// q at `chunks[c·Q + q]`, and each query's last d mod 16 coordinates in `tails[q]`.
#[derive(Clone, Copy)]
pub(crate) struct PackedQueries<'a, const Q: usize> {
    chunks: &'a [[f32; LANES]],
    tails: [&'a [f32]; Q],
    dim: usize,
}

impl<'a> PackedQueries<'a, 1> {
    /// One query as it is: its whole chunks are already in the packed order (nothing copied).
    #[inline(always)]
    pub(crate) fn one(query: &'a [f32]) -> Self {
        let (chunks, tail) = query.as_chunks::<LANES>();
        PackedQueries {
            chunks,
            tails: [tail],
            dim: query.len(),
        }
    }
}

/// Packs Q queries of dimension d (the length of the first) for [`squared_distances_packed`]:
/// whole chunk c of query q goes to `packing[c·Q + q]`, the tails stay where they are. `None`
/// if `packing` is shorter than ⌊d/16⌋·Q chunks or the queries differ in length.
#[inline(always)]
pub(crate) fn pack_queries<'a, const Q: usize>(
    queries: &[&'a [f32]; Q],
    packing: &'a mut [[f32; LANES]],
) -> Option<PackedQueries<'a, Q>> {
    let dim = queries.first().map_or(0, |query| query.len());
    if queries.iter().any(|query| query.len() != dim) {
        return None;
    }
    let full = dim / LANES;
    let chunks = packing.get_mut(..full * Q)?;
    for (c, group) in chunks.chunks_exact_mut(Q).enumerate() {
        for (slot, query) in group.iter_mut().zip(queries) {
            if let Some(chunk) = query.as_chunks::<LANES>().0.get(c) {
                *slot = *chunk;
            }
        }
    }
    let mut tails: [&[f32]; Q] = [&[]; Q];
    for (tail, query) in tails.iter_mut().zip(queries) {
        *tail = query.as_chunks::<LANES>().1;
    }
    Some(PackedQueries { chunks, tails, dim })
}

/// ‖x_q − α·y_r‖² for the Q packed queries against R rows y_r: the lanes, operations and
/// reduction tree of [`squared_distance_scaled`] per (query, row), so each result has its bits.
/// The one kernel of every register path (a block of queries against one row, one query
/// against four rows), written with the lane vector `V` so the accumulators are registers: the
/// queries go in groups of four when a vector takes two registers ([`in_groups_of_four`]), so
/// the G·R accumulators fit the register file. Per row chunk: α·y once per row, then per query
/// a load and, per row, a subtraction and a fused multiply-add. In the first group's pass, the
/// line `prefetch_ahead` floats past each row chunk is prefetched when `prefetch_ahead` > 0
/// ([`LaneVector::prefetch`]; the single-query path streams its rows from memory). If a row is
/// not of the queries' dimension, every result is NaN (which the callers' output checks turn
/// into an error).
#[inline(always)]
pub(crate) fn squared_distances_packed<V: LaneVector, const Q: usize, const R: usize>(
    packed: PackedQueries<'_, Q>,
    rows: [&[f32]; R],
    alpha: f32,
    prefetch_ahead: usize,
) -> [[f32; Q]; R] {
    let full = packed.dim / LANES;
    if rows.iter().any(|y| y.len() != packed.dim) || packed.chunks.len() != full * Q {
        return [[f32::NAN; Q]; R];
    }
    let mut row_chunks: [&[[f32; LANES]]; R] = [&[]; R];
    for (chunks, y) in row_chunks.iter_mut().zip(rows) {
        *chunks = y.as_chunks::<LANES>().0;
    }
    let pass = Pass {
        packed,
        row_chunks: &row_chunks,
        alpha,
        prefetch_ahead,
    };
    let mut lanes = [[[0.0f32; LANES]; Q]; R];
    if in_groups_of_four::<V>(Q) {
        for first in (0..Q).step_by(4) {
            pass.group::<V, 4>(first, &mut lanes);
        }
    } else {
        pass.group::<V, Q>(0, &mut lanes);
    }
    for (row_lanes, y) in lanes.iter_mut().zip(rows) {
        let y_tail = y.get(full * LANES..).unwrap_or(&[]);
        for (acc_q, x_tail) in row_lanes.iter_mut().zip(packed.tails) {
            for ((acc_lane, &xk), &yk) in acc_q.iter_mut().zip(x_tail).zip(y_tail) {
                let diff = xk - alpha * yk;
                *acc_lane = fma(diff, diff, *acc_lane);
            }
        }
    }
    let mut distances = [[0.0f32; Q]; R];
    for (out, row_lanes) in distances.iter_mut().zip(&lanes) {
        *out = reduce_in_eights::<V, Q>(row_lanes);
    }
    distances
}

/// [`reduce_each`] with the queries eight at a time through [`LaneVector::reduce_eight`] (the
/// same tree, transposed in registers), the rest one by one.
#[inline(always)]
fn reduce_in_eights<V: LaneVector, const Q: usize>(lanes: &[[f32; LANES]; Q]) -> [f32; Q] {
    let mut sums = [0.0f32; Q];
    let (eights, rest) = lanes.as_chunks::<8>();
    let (sum_eights, sum_rest) = sums.as_chunks_mut::<8>();
    for (out, group) in sum_eights.iter_mut().zip(eights) {
        *out = V::reduce_eight(group);
    }
    for (out, one) in sum_rest.iter_mut().zip(rest) {
        *out = reduce(one);
    }
    sums
}

/// The whole chunks of one [`squared_distances_packed`] call.
struct Pass<'p, 'a, const Q: usize, const R: usize> {
    packed: PackedQueries<'a, Q>,
    row_chunks: &'p [&'a [[f32; LANES]]; R],
    alpha: f32,
    prefetch_ahead: usize,
}

impl<const Q: usize, const R: usize> Pass<'_, '_, Q, R> {
    /// Every whole chunk for the G queries `first..first + G` and the R rows (G·R accumulators
    /// in registers; α·y is recomputed per group, the same value), the lanes written to
    /// `lanes[r][first..first + G]`.
    #[inline(always)]
    fn group<V: LaneVector, const G: usize>(
        &self,
        first: usize,
        lanes: &mut [[[f32; LANES]; Q]; R],
    ) {
        let alpha_lanes = V::splat(self.alpha);
        let prefetch = first == 0 && self.prefetch_ahead > 0;
        let mut acc = [[V::splat(0.0); G]; R];
        for (c, query_chunks) in self.packed.chunks.chunks_exact(Q).enumerate() {
            let Some(query_chunks) = query_chunks.get(first..first + G) else {
                return;
            };
            let mut scaled = [V::splat(0.0); R];
            for (s, chunks) in scaled.iter_mut().zip(self.row_chunks) {
                if let Some(y) = chunks.get(c) {
                    if prefetch {
                        V::prefetch(y.as_ptr().wrapping_add(self.prefetch_ahead));
                    }
                    *s = alpha_lanes.mul(V::load(y));
                }
            }
            for (g, xc) in query_chunks.iter().enumerate() {
                let x = V::load(xc);
                for (acc_r, &s) in acc.iter_mut().zip(&scaled) {
                    if let Some(acc_rg) = acc_r.get_mut(g) {
                        let diff = x.sub(s);
                        *acc_rg = diff.fma(diff, *acc_rg);
                    }
                }
            }
        }
        for (acc_r, row_lanes) in acc.iter().zip(lanes.iter_mut()) {
            for (vector, out) in acc_r.iter().zip(row_lanes.iter_mut().skip(first)) {
                vector.store(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_query_kernel_has_the_single_query_bits() {
        let mut state = 0x1234_5678_u32;
        let mut next = || crate::test_support::uniform(&mut state, 3.0);
        for len in [1usize, 2, 7, 8, 9, 50, 784] {
            let mut buffer = [[0.0f32; 784]; 5];
            for row in buffer.iter_mut() {
                for value in row.iter_mut().take(len) {
                    *value = next();
                }
            }
            let [y, q0, q1, q2, q3] = &buffer;
            let queries = [&q0[..len], &q1[..len], &q2[..len], &q3[..len]];
            let many = squared_distances_scaled(&queries, &y[..len], 0.61);
            for (query, distance) in queries.iter().zip(many) {
                let one = squared_distance_scaled(query, &y[..len], 0.61);
                assert_eq!(distance.to_bits(), one.to_bits(), "len {len}");
            }
        }
    }

    #[test]
    fn packed_kernel_has_the_single_query_bits() {
        let mut state = 0x0bad_cafe_u32;
        let mut next = || crate::test_support::uniform(&mut state, 3.0);
        for len in [1usize, 15, 16, 17, 50, 784] {
            let mut buffer = [[0.0f32; 784]; 7];
            for row in buffer.iter_mut() {
                for value in row.iter_mut().take(len) {
                    *value = next();
                }
            }
            let [q0, q1, q2, y0, y1, y2, y3] = &buffer;
            let queries = [&q0[..len], &q1[..len], &q2[..len]];
            let rows = [&y0[..len], &y1[..len], &y2[..len], &y3[..len]];
            let mut packing = [[0.0f32; LANES]; 3 * 49];
            let packed = pack_queries(&queries, &mut packing).unwrap();
            let [one] = squared_distances_packed::<[f32; LANES], 3, 1>(packed, [rows[0]], 0.61, 0);
            let [first, second] = squared_distances_packed::<[f32; LANES], 3, 2>(
                packed,
                [rows[0], rows[1]],
                0.61,
                16,
            );
            for (row, distances) in [(rows[0], one), (rows[0], first), (rows[1], second)] {
                for (query, distance) in queries.iter().zip(distances) {
                    let want = squared_distance_scaled(query, row, 0.61);
                    assert_eq!(distance.to_bits(), want.to_bits(), "len {len}");
                }
            }
            let single = PackedQueries::one(queries[0]);
            let four = squared_distances_packed::<[f32; LANES], 1, 4>(single, rows, 0.83, 16 * len);
            for (row, [distance]) in rows.iter().zip(four) {
                let want = squared_distance_scaled(queries[0], row, 0.83);
                assert_eq!(distance.to_bits(), want.to_bits(), "len {len}");
            }
            let uneven = [&y0[..len], &y1[..len - 1]];
            let bad = squared_distances_packed::<[f32; LANES], 3, 2>(packed, uneven, 0.61, 0);
            assert!(bad.iter().flatten().all(|d| d.is_nan()), "len {len}");
        }
    }

    #[test]
    fn packing_refuses_uneven_queries_and_small_buffers() {
        let (a, b) = ([1.0f32; 40], [2.0f32; 41]);
        let mut packing = [[0.0f32; LANES]; 4];
        assert!(pack_queries(&[&a[..], &b[..]], &mut packing).is_none());
        assert!(pack_queries(&[&a[..], &a[..]], &mut packing).is_some());
        assert!(pack_queries(&[&a[..], &a[..], &a[..]], &mut packing).is_none());
    }

    #[test]
    fn kernel_matches_the_oracle_distance_bit_for_bit() {
        let mut state = 0x9e37_79b9_u32;
        let mut next = || crate::test_support::uniform(&mut state, 4.0);
        for len in [0usize, 1, 3, 7, 8, 9, 15, 16, 17, 63, 784] {
            let mut x = [0.0f32; 784];
            let mut y = [0.0f32; 784];
            for k in 0..len {
                x[k] = next();
                y[k] = next();
            }
            let fast = squared_distance_scaled(&x[..len], &y[..len], 0.73);
            let slow = crate::posterior::oracle::squared_distance(&x[..len], &y[..len], 0.73);
            assert_eq!(fast.to_bits(), slow.to_bits(), "len {len}");
        }
    }
}
