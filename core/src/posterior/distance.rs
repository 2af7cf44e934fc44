//! The squared distances ‖x − α·y‖² of the posterior's logits, with coordinate k accumulated
//! into lane k mod [`LANES`] in index order and the lanes summed in the fixed tree
//! [`crate::lanes::reduce`]: one row, Q queries against one row (sliced or packed), one query against
//! four rows. Per coordinate: the product α·y_k rounded (shared by every query of a block), the
//! difference d_k = x_k − α·y_k rounded, and the accumulation lane ← fma(d_k, d_k, lane), one
//! fused multiply-add ([`fma`], bit contract v2): a subtraction and an FMA per (query, row)
//! coordinate.
//! Every kernel gives the bits of [`squared_distance_scaled`] (tested here, and the whole
//! posterior against [`super::oracle`]).

use crate::fused_multiply_add::fma;
use crate::lane_vector::LaneVector;
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

/// Q queries of dimension d packed by [`pack_queries`]: chunk c of query q at `chunks[c·Q + q]`.
#[derive(Clone, Copy)]
pub(crate) struct PackedQueries<'a, const Q: usize> {
    chunks: &'a [[f32; LANES]],
    dim: usize,
}

/// Packs Q queries of dimension d (the length of the first) for [`squared_distances_packed`]:
/// chunk c of query q goes to `packing[c·Q + q]`, the last chunk zero-padded. `None` if
/// `packing` is shorter than ⌈d/16⌉·Q chunks or the queries differ in length.
#[inline(always)]
pub(crate) fn pack_queries<'a, const Q: usize>(
    queries: &[&[f32]; Q],
    packing: &'a mut [[f32; LANES]],
) -> Option<PackedQueries<'a, Q>> {
    let dim = queries.first().map_or(0, |query| query.len());
    if queries.iter().any(|query| query.len() != dim) {
        return None;
    }
    let chunks = packing.get_mut(..dim.div_ceil(LANES) * Q)?;
    for (c, group) in chunks.chunks_exact_mut(Q).enumerate() {
        for (slot, query) in group.iter_mut().zip(queries) {
            *slot = [0.0; LANES];
            let chunk = query.get(c * LANES..).unwrap_or(&[]);
            for (s, &x) in slot.iter_mut().zip(chunk) {
                *s = x;
            }
        }
    }
    Some(PackedQueries { chunks, dim })
}

/// ‖x_q − α·y‖² for the Q packed queries against one row y: the lanes, operations and
/// reduction tree of [`squared_distance_scaled`] per query (so each result has its bits),
/// written with the lane vector `V` so the Q accumulators are registers: per chunk of y, α·y
/// once, then a load, a subtraction and a fused multiply-add per query. If y is not
/// of the queries' dimension, every result is NaN (which the callers' output checks turn into
/// an error).
#[inline(always)]
pub(crate) fn squared_distances_packed<V: LaneVector, const Q: usize>(
    packed: PackedQueries<'_, Q>,
    y: &[f32],
    alpha: f32,
) -> [f32; Q] {
    if y.len() != packed.dim || packed.chunks.len() != packed.dim.div_ceil(LANES) * Q {
        return [f32::NAN; Q];
    }
    let (y_chunks, y_tail) = y.as_chunks::<LANES>();
    let mut lanes = [[0.0f32; LANES]; Q];
    if crate::lane_vector::in_groups_of_four::<V>(Q) {
        for first in (0..Q).step_by(4) {
            packed_group::<V, Q, 4>(packed, y_chunks, alpha, first, &mut lanes);
        }
    } else {
        packed_group::<V, Q, Q>(packed, y_chunks, alpha, 0, &mut lanes);
    }
    if let Some(xcs) = packed.chunks.chunks_exact(Q).nth(y_chunks.len()) {
        for (acc_q, xc) in lanes.iter_mut().zip(xcs) {
            for ((acc_lane, &xk), &yk) in acc_q.iter_mut().zip(xc).zip(y_tail) {
                let diff = xk - alpha * yk;
                *acc_lane = fma(diff, diff, *acc_lane);
            }
        }
    }
    reduce_each(&lanes)
}

/// The full chunks of [`squared_distances_packed`] for the G queries `first..first + G` of the
/// Q packed ones (G accumulators in registers; α·y is recomputed per group, the same value),
/// their lanes written to `lanes[first..first + G]`.
#[inline(always)]
fn packed_group<V: LaneVector, const Q: usize, const G: usize>(
    packed: PackedQueries<'_, Q>,
    y_chunks: &[[f32; LANES]],
    alpha: f32,
    first: usize,
    lanes: &mut [[f32; LANES]; Q],
) {
    let alpha_lanes = V::splat(alpha);
    let mut acc = [V::splat(0.0); G];
    for (yc, xcs) in y_chunks.iter().zip(packed.chunks.chunks_exact(Q)) {
        let Some(xcs) = xcs.get(first..first + G) else {
            return;
        };
        let scaled = alpha_lanes.mul(V::load(yc));
        for (acc_q, xc) in acc.iter_mut().zip(xcs) {
            let diff = V::load(xc).sub(scaled);
            *acc_q = diff.fma(diff, *acc_q);
        }
    }
    for (out, vector) in lanes.iter_mut().skip(first).zip(acc) {
        *out = vector.to_array();
    }
}

/// ‖x − α·y_r‖² for one query x against four rows y_r: four independent accumulators (where
/// [`squared_distance_scaled`] has one chain of d/16 dependent additions), each with that
/// function's lanes, operations and reduction tree, so each result has its bits. Written with
/// the lane vector `V`; the chunks come from one five-way zip, so the loop has no bounds checks.
/// With each chunk of a row, the line `prefetch_ahead` floats further on is prefetched
/// ([`LaneVector::prefetch`]; the caller passes the distance to the rows it will read next).
/// If a row is not of the query's length, every result is NaN (which the callers' output checks
/// turn into an error).
#[inline(always)]
pub(crate) fn squared_distances_four_rows<V: LaneVector>(
    x: &[f32],
    rows: [&[f32]; 4],
    alpha: f32,
    prefetch_ahead: usize,
) -> [f32; 4] {
    if rows.iter().any(|row| row.len() != x.len()) {
        return [f32::NAN; 4];
    }
    let (x_chunks, x_tail) = x.as_chunks::<LANES>();
    let [r0, r1, r2, r3] = rows.map(|row| row.as_chunks::<LANES>().0);
    let alpha_lanes = V::splat(alpha);
    let mut acc = [V::splat(0.0); 4];
    for ((((xc, c0), c1), c2), c3) in x_chunks.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
        for yc in [c0, c1, c2, c3] {
            V::prefetch(yc.as_ptr().wrapping_add(prefetch_ahead));
        }
        let xv = V::load(xc);
        for (acc_r, yc) in acc.iter_mut().zip([c0, c1, c2, c3]) {
            let diff = xv.sub(alpha_lanes.mul(V::load(yc)));
            *acc_r = diff.fma(diff, *acc_r);
        }
    }
    let mut lanes = [[0.0f32; LANES]; 4];
    for (out, vector) in lanes.iter_mut().zip(acc) {
        *out = vector.to_array();
    }
    let offset = x_chunks.len() * LANES;
    for (acc_r, row) in lanes.iter_mut().zip(rows) {
        let tail = row.get(offset..).unwrap_or(&[]);
        for ((acc_lane, &xk), &yk) in acc_r.iter_mut().zip(x_tail).zip(tail) {
            let diff = xk - alpha * yk;
            *acc_lane = fma(diff, diff, *acc_lane);
        }
    }
    reduce_each(&lanes)
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
            let mut buffer = [[0.0f32; 784]; 4];
            for row in buffer.iter_mut() {
                for value in row.iter_mut().take(len) {
                    *value = next();
                }
            }
            let [y, q0, q1, q2] = &buffer;
            let queries = [&q0[..len], &q1[..len], &q2[..len]];
            let mut packing = [[0.0f32; LANES]; 3 * 49];
            let packed = pack_queries(&queries, &mut packing).unwrap();
            let many = squared_distances_packed::<[f32; LANES], 3>(packed, &y[..len], 0.61);
            for (query, distance) in queries.iter().zip(many) {
                let one = squared_distance_scaled(query, &y[..len], 0.61);
                assert_eq!(distance.to_bits(), one.to_bits(), "len {len}");
            }
            let short = squared_distances_packed::<[f32; LANES], 3>(packed, &y[..len - 1], 0.61);
            assert!(short.iter().all(|d| d.is_nan()), "len {len}");
        }
    }

    #[test]
    fn four_row_kernel_has_the_single_row_bits() {
        let mut state = 0x7777_1234_u32;
        let mut next = || crate::test_support::uniform(&mut state, 3.0);
        for len in [1usize, 15, 16, 17, 50, 784] {
            let mut buffer = [[0.0f32; 784]; 5];
            for row in buffer.iter_mut() {
                for value in row.iter_mut().take(len) {
                    *value = next();
                }
            }
            let [x, y0, y1, y2, y3] = &buffer;
            let rows = [&y0[..len], &y1[..len], &y2[..len], &y3[..len]];
            let four = squared_distances_four_rows::<[f32; LANES]>(&x[..len], rows, 0.83, 0);
            for (row, distance) in rows.iter().zip(four) {
                let one = squared_distance_scaled(&x[..len], row, 0.83);
                assert_eq!(distance.to_bits(), one.to_bits(), "len {len}");
            }
            let uneven = [&y0[..len], &y1[..len], &y2[..len - 1], &y3[..len]];
            let bad = squared_distances_four_rows::<[f32; LANES]>(&x[..len], uneven, 0.83, 0);
            assert!(bad.iter().all(|d| d.is_nan()), "len {len}");
        }
    }

    #[test]
    fn packing_refuses_uneven_queries_and_small_buffers() {
        let (a, b) = ([1.0f32; 20], [2.0f32; 21]);
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
