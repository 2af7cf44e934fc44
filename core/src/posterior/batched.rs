//! The empirical score of B queries at once (docs/math.md §2), organised for cache reuse.
//!
//! Queries go in blocks of [`QUERY_BLOCK`]. Narrow data (d ≤
//! [`NARROW_DIM`](softmax::NARROW_DIM)): each tile of rows is read once per block and every query
//! of the block runs its tiled softmax on it. Wide data (only with the `wide` feature): like a
//! blocked GEMM, the rows are cut into panels of about [`PANEL_FLOATS`] values (a whole number of
//! tiles, kept in L2) and up to [`PANEL_BLOCKS`] query blocks go over each panel before the next
//! one is loaded, so the data is read from memory once per `PANEL_BLOCKS · QUERY_BLOCK` queries;
//! per tile, the distances of the block's queries share each row chunk
//! (`distance::squared_distances_scaled`) and the weighted sums share them again
//! (`softmax::wide_update`). The B×N logit matrix is never stored, so memory does not grow
//! with B·N.
//!
//! Every query sees exactly the operations of the single-query path in the same order
//! (distance lanes and tree, logit scaling, tiles in index order, running max, e^{ℓ−m},
//! rescale and tile sums, division by the normaliser), so the result is **bit-identical** to
//! [`crate::posterior::posterior_mean`] and [`crate::EmpiricalScore`]'s score, query by query.
//! The GEMM form ‖x‖² + ‖y‖² − 2x·y is not used: it loses the small distances that decide the
//! softmax at small t to cancellation (relative error ~ ε‖x‖²/‖x − y‖²) and would break that
//! bit-identity.

use super::posterior_mean_in_lanes;
use super::softmax::{self, Tile, TiledMean, TiledSoftmax};
use super::{distance, path, Path};
use crate::dataset::Dataset;
use crate::error::{check_finite, Error, Input};
use crate::lane_vector::LaneVector;
use crate::lanes::LANES;
use crate::schedule::Process;
use crate::score::{check_coefficients, check_output, EmpiricalScore};
use core::marker::PhantomData;

/// Queries per block: 8 rows of 16-lane distance accumulators (8 AVX-512 registers of 32);
/// the 8 queries of a wide block also stay in L1 up to d ≈ 1000 (16 measured slower at d = 784).
pub const QUERY_BLOCK: usize = 8;

/// Query blocks that go over one panel of wide data before the next panel is loaded.
pub const PANEL_BLOCKS: usize = 8;

/// Training values per panel of wide data (256 KiB of f32), rounded down to whole tiles.
pub const PANEL_FLOATS: usize = 1 << 16;

/// 16-coordinate chunks per query of a packed wide block ([`distance::pack_queries`]): queries of
/// up to 4096 coordinates are packed (a 128 KiB stack buffer); longer ones use the unpacked
/// kernel [`distance::squared_distances_scaled`], which has the same bits and runs slower.
pub(crate) const PACKED_CHUNKS: usize = 256;

/// Posterior means m(x_b) = Σ_i w_i(x_b) x_i for the B queries in `queries` (row-major B×d)
/// into `out` (B×d), w_i(x) ∝ exp(−‖x − α_t x_i‖² / (2σ_t²)); bit-identical to calling
/// [`posterior_mean`](crate::posterior::posterior_mean) on each query. Inlined into its caller, so a host can compile it inside a
/// `#[target_feature]` function for wider vectors (the same bits: nothing is fused).
#[inline(always)]
pub fn posterior_mean_batch(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    posterior_mean_batch_with::<[f32; LANES]>(data, alpha_t, sigma_squared, queries, out)
}

/// [`posterior_mean_batch`] with the wide distance kernel written in the lane vector `V` (a
/// host passes its SIMD registers; every `V` gives the same bits).
#[inline(always)]
pub fn posterior_mean_batch_with<V: LaneVector>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = data.dim();
    if queries.len() != out.len() || dim == 0 || !queries.len().is_multiple_of(dim) {
        return Err(Error::DimensionMismatch {
            expected: dim,
            found: queries.len(),
        });
    }
    check_coefficients(alpha_t, sigma_squared)?;
    check_finite(queries, Input::Query)?;
    if softmax::is_wide(dim) {
        let group = PANEL_BLOCKS * QUERY_BLOCK * dim;
        for (query_group, out_group) in queries.chunks(group).zip(out.chunks_mut(group)) {
            wide_group::<V>(data, alpha_t, sigma_squared, query_group, out_group)?;
        }
        return Ok(());
    }
    let block = QUERY_BLOCK * dim;
    for (query_block, out_block) in queries.chunks(block).zip(out.chunks_mut(block)) {
        let path = path::<V>(dim, query_block.len() / dim);
        match path {
            Path::NarrowBlock | Path::NarrowBlockInRegisters => mean_block::<V, QUERY_BLOCK>(
                data,
                alpha_t,
                sigma_squared,
                path,
                query_block,
                out_block,
            )?,
            _ => one_by_one::<V>(data, alpha_t, sigma_squared, query_block, out_block)?,
        }
    }
    Ok(())
}

/// Queries that do not fill a block: the single-query path, one at a time.
#[inline(always)]
fn one_by_one<V: LaneVector>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = data.dim();
    for (query, mean) in queries.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
        posterior_mean_in_lanes::<V>(data, alpha_t, sigma_squared, query, mean)?;
    }
    Ok(())
}

/// Scores s_t(x_b) = (α_t m_t(x_b) − x_b) / σ_t² of B queries under `process` at time t;
/// bit-identical to [`crate::EmpiricalScore`]'s single-query score. Inlined like
/// [`posterior_mean_batch`].
#[inline(always)]
pub fn score_batch(
    data: &Dataset<'_>,
    process: &Process,
    t: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    score_batch_with::<[f32; LANES]>(data, process, t, queries, out)
}

/// [`score_batch`] with the wide distance kernel written in the lane vector `V`; the same bits
/// for every `V`.
#[inline(always)]
pub fn score_batch_with<V: LaneVector>(
    data: &Dataset<'_>,
    process: &Process,
    t: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let (alpha_t, sigma_squared) = process.coefficients(t)?;
    posterior_mean_batch_with::<V>(data, alpha_t, sigma_squared, queries, out)?;
    for (o, &xk) in out.iter_mut().zip(queries) {
        *o = (alpha_t * *o - xk) / sigma_squared;
    }
    check_output(out, "score")
}

/// A score field evaluated at B points at once: what [`crate::ReverseSampler::sample_batch`]
/// follows. Implementations never allocate and report bad input as [`Error`].
pub trait BatchScoreField {
    /// The dimension d of a point.
    fn dim(&self) -> usize;

    /// Writes s_t(x_b) for the B points of `points` (row-major B×d) into `out` (B×d).
    fn score_batch(&self, t: f32, points: &[f32], out: &mut [f32]) -> Result<(), Error>;
}

/// The exact empirical score through [`score_batch`] (portable lanes), bit-identical to its
/// single-query [`crate::ScoreField`] score point by point.
impl BatchScoreField for EmpiricalScore<'_> {
    fn dim(&self) -> usize {
        self.data().dim()
    }

    fn score_batch(&self, t: f32, points: &[f32], out: &mut [f32]) -> Result<(), Error> {
        score_batch(self.data(), self.process(), t, points, out)
    }
}

/// Up to [`PANEL_BLOCKS`] full query blocks of wide data, panel by panel; the queries left
/// over (fewer than a block) go through the single-query path.
#[inline(always)]
fn wide_group<V: LaneVector>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = data.dim();
    let block = QUERY_BLOCK * dim;
    let full = queries.len() / block * block;
    let (block_queries, rest_queries) = queries.split_at(full);
    let (block_out, rest_out) = out.split_at_mut(full);
    let c = -0.5 / sigma_squared;
    let panel_rows = (PANEL_FLOATS / dim / LANES).max(1) * LANES;
    let mut softmaxes = [[TiledSoftmax::new(); QUERY_BLOCK]; PANEL_BLOCKS];
    block_out.fill(0.0);
    let mut packing = [[0.0f32; LANES]; QUERY_BLOCK * PACKED_CHUNKS];
    for panel in data
        .as_slice()
        .chunks(panel_rows.saturating_mul(dim).max(1))
    {
        for ((queries, out), softmaxes) in block_queries
            .chunks_exact(block)
            .zip(block_out.chunks_exact_mut(block))
            .zip(softmaxes.iter_mut())
        {
            let queries: [&[f32]; QUERY_BLOCK] =
                core::array::from_fn(|j| queries.get(j * dim..(j + 1) * dim).unwrap_or(&[]));
            let path = path::<V>(dim, QUERY_BLOCK);
            let packed = match path {
                Path::WideBlockPacked => distance::pack_queries(&queries, &mut packing),
                _ => None,
            };
            if let Some(packed) = packed {
                let distances = Packed::<V> {
                    packed,
                    alpha_t,
                    lanes: PhantomData,
                };
                for tile in softmax::tiles(panel, dim) {
                    wide_tile::<V, QUERY_BLOCK>(&tile, path, &distances, c, softmaxes, out)?;
                }
            } else {
                let distances = Unpacked {
                    queries: &queries,
                    alpha_t,
                };
                for tile in softmax::tiles(panel, dim) {
                    wide_tile::<V, QUERY_BLOCK>(&tile, path, &distances, c, softmaxes, out)?;
                }
            }
        }
    }
    for (softmaxes, out) in softmaxes.iter().zip(block_out.chunks_exact_mut(block)) {
        for (softmax, mean) in softmaxes.iter().zip(out.chunks_exact_mut(dim)) {
            softmax.finish_mean(mean)?;
            check_output(mean, "posterior mean")?;
        }
    }
    one_by_one::<V>(data, alpha_t, sigma_squared, rest_queries, rest_out)
}

/// The squared distances ‖x_q − α_t x_j‖² of a block's Q queries to one row x_j.
trait RowDistances<const Q: usize> {
    /// The Q distances to `row`.
    fn to_row(&self, row: &[f32]) -> [f32; Q];
}

/// A block of queries packed by [`distance::pack_queries`], for the kernel in lane vectors `V`.
struct Packed<'a, V> {
    packed: distance::PackedQueries<'a, QUERY_BLOCK>,
    alpha_t: f32,
    lanes: PhantomData<V>,
}

impl<V: LaneVector> RowDistances<QUERY_BLOCK> for Packed<'_, V> {
    #[inline(always)]
    fn to_row(&self, row: &[f32]) -> [f32; QUERY_BLOCK] {
        let [distances] = distance::squared_distances_packed::<V, QUERY_BLOCK, 1>(
            self.packed,
            [row],
            self.alpha_t,
            0,
        );
        distances
    }
}

/// A block of queries as slices (queries longer than the packing buffer).
struct Unpacked<'a, const Q: usize> {
    queries: &'a [&'a [f32]; Q],
    alpha_t: f32,
}

impl<const Q: usize> RowDistances<Q> for Unpacked<'_, Q> {
    #[inline(always)]
    fn to_row(&self, row: &[f32]) -> [f32; Q] {
        distance::squared_distances_scaled(self.queries, row, self.alpha_t)
    }
}

/// One tile of wide data for Q queries: logits ℓ_qj = ‖x_q − α x_j‖²·c (`distances` gives
/// the Q squared distances to one row, sharing its chunks), each query's softmax step, then the
/// shared [`softmax::wide_update`]; the single-query path does the same with Q = 1.
#[inline(always)]
fn wide_tile<V: LaneVector, const Q: usize>(
    tile: &Tile<'_>,
    path: Path,
    distances: &impl RowDistances<Q>,
    c: f32,
    softmaxes: &mut [TiledSoftmax; Q],
    out: &mut [f32],
) -> Result<(), Error> {
    let mut weights = [[f32::NEG_INFINITY; LANES]; Q];
    for (j, row) in tile.rows().enumerate() {
        let distances = distances.to_row(row);
        for (logits, distance) in weights.iter_mut().zip(distances) {
            if let Some(logit) = logits.get_mut(j) {
                *logit = distance * c;
            }
        }
    }
    let mut scales = [1.0f32; Q];
    for ((logits, softmax), scale) in weights.iter_mut().zip(softmaxes).zip(scales.iter_mut()) {
        match softmax.push(logits)? {
            Some(factor) => *scale = factor,
            None => *logits = [0.0; LANES],
        }
    }
    match path {
        Path::WideBlockPacked | Path::WideBlockInRegisters => {
            softmax::wide_update_with::<softmax::InVectors<V>, Q>(tile, &weights, &scales, out)
        }
        _ => softmax::wide_update(tile, &weights, &scales, out),
    }
    Ok(())
}

/// One block of Q queries of narrow data: one pass over the tiles, Q tiled softmaxes sharing
/// each transposed tile (in lane vectors `V` when they are registers); each query gets the
/// single-query path's bits.
#[inline(always)]
fn mean_block<V: LaneVector, const Q: usize>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    path: Path,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = data.dim();
    let queries: [&[f32]; Q] =
        core::array::from_fn(|j| queries.get(j * dim..(j + 1) * dim).unwrap_or(&[]));
    let narrow_queries = queries.map(softmax::pad_query);
    let c = -0.5 / sigma_squared;
    let mut means = [TiledMean::new(); Q];
    let mut tiles = softmax::tiles(data.as_slice(), dim);
    let mut next = tiles.next();
    while let Some(tile) = next {
        // The next tile is transposed before this one is used: its transposition stores have
        // left the store buffer when its columns are loaded as vectors.
        next = tiles.next();
        if path == Path::NarrowBlockInRegisters {
            softmax::narrow_push_block::<V, Q>(&mut means, &tile, &narrow_queries, alpha_t, c)?;
        } else {
            for (query, mean) in narrow_queries.iter().zip(means.iter_mut()) {
                mean.push::<V>(&tile, softmax::narrow_logits(&tile, query, alpha_t, c))?;
            }
        }
    }
    for (out_mean, mean) in out.chunks_exact_mut(dim).zip(means) {
        mean.finish(out_mean)?;
        check_output(out_mean, "posterior mean")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::softmax::NARROW_DIM;
    use super::*;
    use crate::score::{EmpiricalScore, ScoreField};

    fn noise(state: &mut u32, out: &mut [f32]) {
        for value in out.iter_mut() {
            *value = crate::test_support::uniform(state, 2.0);
        }
    }

    #[test]
    fn batch_has_the_bits_of_the_single_query_path() {
        let mut state = 0xdead_beef_u32;
        for (n, dim, batch) in [
            (37usize, 2usize, 19usize),
            (20, 9, 8),
            (5, 50, 17),
            (3, 1, 3),
        ] {
            if dim > NARROW_DIM && !softmax::WIDE_BUILT {
                continue;
            }
            let mut points = [0.0f32; 1000];
            noise(&mut state, &mut points[..n * dim]);
            let data = Dataset::new(&points[..n * dim], dim).unwrap();
            let mut queries = [0.0f32; 1000];
            noise(&mut state, &mut queries[..batch * dim]);
            let queries = &queries[..batch * dim];
            let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
            for t in [1e-3f32, 0.05, 0.7] {
                let mut many = [0.0f32; 1000];
                score_batch(
                    &data,
                    &Process::VP_LINEAR,
                    t,
                    queries,
                    &mut many[..batch * dim],
                )
                .unwrap();
                for (query, got) in queries.chunks(dim).zip(many.chunks(dim)) {
                    let mut one = [0.0f32; 50];
                    field.score(t, query, &mut one[..dim]).unwrap();
                    for (a, b) in got.iter().zip(&one[..dim]) {
                        assert_eq!(a.to_bits(), b.to_bits(), "n {n} d {dim} t {t}");
                    }
                }
            }
        }
    }

    #[test]
    fn bad_batches_are_typed_errors() {
        let points = [0.0f32, 1.0, 2.0, 3.0];
        let data = Dataset::new(&points, 2).unwrap();
        let mut out = [0.0f32; 4];
        let process = Process::VP_LINEAR;
        assert!(matches!(
            score_batch(&data, &process, 0.5, &[0.0; 3], &mut out[..3]),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            score_batch(&data, &process, 0.5, &[0.0; 4], &mut out[..2]),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            score_batch(&data, &process, 0.5, &[0.0, f32::NAN, 0.0, 0.0], &mut out),
            Err(Error::NonFinite { .. })
        ));
        assert!(score_batch(&data, &process, 0.0, &[0.0; 4], &mut out).is_err());
    }
}
