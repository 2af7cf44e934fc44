//! The narrow tiled softmax mean of a block of queries written in lane vectors: the operations
//! of [`TiledMean::push`] on [`narrow_logits`], one full tile for Q queries phase by phase
//! (every query's distances, then every tile max and shift, then every exponential, then every
//! update), so the Q independent chains overlap and stay in registers.

use super::{narrow_logits, Tile, TiledMean, NARROW_DIM};
use crate::error::Error;
use crate::lane_vector::LaneVector;

/// [`TiledMean::push`] of [`narrow_logits`] for each of the Q `queries` (padded with
/// [`super::pad_query`]) on `tile`, with the bits of those calls. Full tiles run in the lane
/// vector `V`; a short tile (the last one) goes query by query through `push`.
#[inline(always)]
pub(crate) fn push_block<V: LaneVector, const Q: usize>(
    means: &mut [TiledMean; Q],
    tile: &Tile<'_>,
    queries: &[[f32; NARROW_DIM]; Q],
    alpha: f32,
    c: f32,
) -> Result<(), Error> {
    if !tile.is_full() {
        for (query, mean) in queries.iter().zip(means.iter_mut()) {
            mean.push::<V>(tile, narrow_logits(tile, query, alpha, c))?;
        }
        return Ok(());
    }
    match tile.dim() {
        0..=2 => full_tile::<V, Q, 2>(means, tile, queries, alpha, c),
        3..=4 => full_tile::<V, Q, 4>(means, tile, queries, alpha, c),
        _ => full_tile::<V, Q, NARROW_DIM>(means, tile, queries, alpha, c),
    }
}

/// [`push_block`] on a full tile whose first `LIVE` columns are read (2, 4 or 8: the columns
/// [`narrow_logits`] and [`TiledMean::push`] read for d ≤ 2, ≤ 4, ≤ 8; the rest are zero and
/// leave the bits unchanged).
#[inline(always)]
fn full_tile<V: LaneVector, const Q: usize, const LIVE: usize>(
    means: &mut [TiledMean; Q],
    tile: &Tile<'_>,
    queries: &[[f32; NARROW_DIM]; Q],
    alpha: f32,
    c: f32,
) -> Result<(), Error> {
    let mut columns = [V::splat(0.0); LIVE];
    let mut scaled = [V::splat(0.0); LIVE];
    for ((lanes, scaled), column) in columns.iter_mut().zip(&mut scaled).zip(tile.columns()) {
        *lanes = V::load(column);
        *scaled = V::splat(alpha).mul(*lanes);
    }
    let mut logits = [V::splat(0.0); Q];
    for (logit, query) in logits.iter_mut().zip(queries) {
        *logit = distances::<V, LIVE>(&scaled, query).mul(V::splat(c));
    }
    let mut scales = [None; Q];
    for ((logit, mean), scale) in logits.iter_mut().zip(means.iter_mut()).zip(&mut scales) {
        *scale = mean.softmax.shift(logit)?;
    }
    for logit in logits.iter_mut() {
        *logit = logit.exp();
    }
    for ((weights, mean), scale) in logits.iter().zip(means.iter_mut()).zip(scales) {
        let Some(scale) = scale else { continue };
        V::load(&mean.softmax.normaliser)
            .add(*weights)
            .store(&mut mean.softmax.normaliser);
        let scale = V::splat(scale);
        for (sum, column) in mean.columns.iter_mut().zip(&columns) {
            weights.fma(*column, V::load(sum).mul(scale)).store(sum);
        }
    }
    Ok(())
}

/// ‖x − α·x_j‖² for the 16 rows of the tile, in the tree of [`narrow_logits`] over its first
/// `LIVE` (2, 4 or 8) coordinates; `scaled[k]` holds α·x_jk.
#[inline(always)]
fn distances<V: LaneVector, const LIVE: usize>(scaled: &[V; LIVE], query: &[f32; NARROW_DIM]) -> V {
    let mut squares = [V::splat(0.0); NARROW_DIM];
    for ((square, &xk), &scaled) in squares.iter_mut().zip(query).zip(scaled) {
        let difference = V::splat(xk).sub(scaled);
        *square = difference.mul(difference);
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = squares;
    match LIVE {
        2 => s0.add(s1),
        4 => s0.add(s2).add(s1.add(s3)),
        _ => s0.add(s4).add(s2.add(s6)).add(s1.add(s5).add(s3.add(s7))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::LANES;
    use crate::posterior::softmax::{pad_query, tiles};

    #[test]
    fn block_has_the_bits_of_push() {
        let mut state = 0x1234_5678_u32;
        for dim in 1..=NARROW_DIM {
            for n in [16usize, 40, 7] {
                let mut points = [0.0f32; 40 * NARROW_DIM];
                for value in points[..n * dim].iter_mut() {
                    *value = crate::test_support::uniform(&mut state, 3.0);
                }
                let mut queries = [[0.0f32; NARROW_DIM]; 3];
                for query in queries.iter_mut() {
                    let mut raw = [0.0f32; NARROW_DIM];
                    for value in raw[..dim].iter_mut() {
                        *value = crate::test_support::uniform(&mut state, 3.0);
                    }
                    *query = pad_query(&raw[..dim]);
                }
                for c in [-0.5f32, -40.0, -3e4] {
                    let mut one = [TiledMean::new(); 3];
                    let mut block = [TiledMean::new(); 3];
                    for tile in tiles(&points[..n * dim], dim) {
                        for (query, mean) in queries.iter().zip(one.iter_mut()) {
                            mean.push::<[f32; LANES]>(&tile, narrow_logits(&tile, query, 0.9, c))
                                .unwrap();
                        }
                        push_block::<[f32; LANES], 3>(&mut block, &tile, &queries, 0.9, c).unwrap();
                    }
                    for (a, b) in one.iter().zip(&block) {
                        let (mut x, mut y) = ([0.0f32; NARROW_DIM], [0.0f32; NARROW_DIM]);
                        let lx = a.finish(&mut x[..dim]).unwrap();
                        let ly = b.finish(&mut y[..dim]).unwrap();
                        assert_eq!(lx.to_bits(), ly.to_bits(), "d {dim} n {n} c {c}");
                        for (u, v) in x.iter().zip(&y) {
                            assert_eq!(u.to_bits(), v.to_bits(), "d {dim} n {n} c {c}");
                        }
                    }
                }
            }
        }
    }
}
