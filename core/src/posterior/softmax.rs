//! The tiled online softmax behind every empirical-score evaluation (docs/math.md §2).
//!
//! The training rows go in tiles of [`LANES`] consecutive rows (the last one may be short). Per
//! tile: the logits ℓ_j, the tile max M; if M exceeds the running max m, the normaliser and the
//! weighted sum are rescaled by e^{m − M} and m ← M; then w_j = e^{ℓ_j − m} for the whole tile
//! at once with the branch-free [`vector_exp::exp_lanes`], and the normaliser lanes add w_j
//! (lane j of the tile).
//!
//! The weighted sum Σ_i e^{ℓ_i − m} x_i depends on the dimension:
//! - narrow data (d ≤ [`NARROW_DIM`]), where the exponential is the cost ([`TiledMean`]): the
//!   sum adds w_j·x_j into per-lane columns (coordinate k, tile lane j), so the multiply-adds
//!   run across the tile's lanes instead of along one dependency chain; the transposed tile
//!   feeds the distances too, computed across the lanes;
//! - wide data, where the d multiply-adds per row are the cost ([`wide_update`]): the tile's
//!   sum s = Σ_j w_j x_j is accumulated row by row in registers (16 coordinates × Q queries at
//!   a time, each row chunk loaded once for all Q) and the running sum becomes
//!   fma(sum, scale, s) once per tile, so the running sums are read and written once per tile, not once per row.
//!   Rows whose weight is 0 for every query of the block are skipped: adding ±0 to any
//!   non-zero value is exact, so this can change only the sign of a zero sum, and the mean's
//!   last step ([`unsigned_zero`]) maps −0 to +0 (see [`wide_update`]).
//!
//! Every multiply-add is one fused multiply-add (`fma`, a·b + c rounded once: bit contract
//! v2): w_j·x_j into the columns or into s, sum·scale + s, and the distances' d·d + lane.
//! Lanes are summed at the end in a fixed pairwise tree. Every step is fixed by the source, so
//! the single-query path, the batched path and the firmware give the same bits; the order of
//! the training set still matters for the last bits.

use crate::error::Error;
use crate::fused_multiply_add::fma;
use crate::lane_vector::LaneVector;
use crate::lanes;
use crate::lanes::LANES;
use crate::vector_exp;
use core::marker::PhantomData;

mod narrow_block;
pub(crate) use narrow_block::push_block as narrow_push_block;

/// Dimensions up to this use the per-lane (column) weighted sum and the transposed tile.
pub const NARROW_DIM: usize = 8;

// The narrow distance trees are the 16-lane tree of `lanes::reduce` with the zero lanes past d
// left out, which needs d ≤ LANES/2 (lane k + 8 is zero); a tile fills one lane vector.
const _: () = assert!(NARROW_DIM <= LANES / 2);

/// Whether this build has the wide path (the `wide` feature, on by default). Without it,
/// [`crate::Dataset::new`] rejects data with d > [`NARROW_DIM`], [`is_wide`] is constant false,
/// and [`wide_update`] and its callers are dead code that never reaches the binary.
pub(crate) const WIDE_BUILT: bool = cfg!(feature = "wide");

/// Whether data of dimension `dim` takes the wide path: d > [`NARROW_DIM`], in a build that has
/// it. The one test every wide branch goes through.
#[inline(always)]
pub(crate) const fn is_wide(dim: usize) -> bool {
    WIDE_BUILT && dim > NARROW_DIM
}

/// Up to [`LANES`] consecutive rows of training data and, for narrow data (d ≤ [`NARROW_DIM`]),
/// their transpose (`columns[k][j]` = coordinate k of row j, zero past the rows and past d;
/// all zero for wide data).
pub(crate) struct Tile<'a> {
    rows: &'a [f32],
    dim: usize,
    columns: [[f32; LANES]; NARROW_DIM],
}

impl<'a> Tile<'a> {
    /// The tile of `rows` (row-major, at most [`LANES`] rows of `dim` values).
    #[inline(always)]
    pub(crate) fn new(rows: &'a [f32], dim: usize) -> Self {
        let mut columns = [[0.0f32; LANES]; NARROW_DIM];
        let full = rows.len() == LANES * dim;
        if full && dim <= NARROW_DIM {
            match dim {
                1 => transpose::<1>(rows, &mut columns),
                2 => transpose::<2>(rows, &mut columns),
                3 => transpose::<3>(rows, &mut columns),
                4 => transpose::<4>(rows, &mut columns),
                5 => transpose::<5>(rows, &mut columns),
                6 => transpose::<6>(rows, &mut columns),
                7 => transpose::<7>(rows, &mut columns),
                _ => transpose::<8>(rows, &mut columns),
            }
        } else if dim <= NARROW_DIM {
            for (k, column) in columns.iter_mut().enumerate().take(dim) {
                for (j, slot) in column.iter_mut().enumerate() {
                    *slot = rows.get(j * dim + k).copied().unwrap_or(0.0);
                }
            }
        }
        Tile { rows, dim, columns }
    }

    /// The dimension d of every row.
    #[inline(always)]
    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// The rows in index order.
    #[inline(always)]
    pub(crate) fn rows(&self) -> core::slice::ChunksExact<'a, f32> {
        self.rows.chunks_exact(self.dim.max(1))
    }

    /// Whether the tile has all [`LANES`] rows (every tile but possibly the last).
    #[inline(always)]
    pub(crate) fn is_full(&self) -> bool {
        self.rows.len() == LANES * self.dim
    }

    /// The rows, row-major.
    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &'a [f32] {
        self.rows
    }

    /// `columns[k][j]`: coordinate k of row j.
    #[inline(always)]
    pub(crate) fn columns(&self) -> &[[f32; LANES]; NARROW_DIM] {
        &self.columns
    }
}

/// `columns[k][j]` = coordinate k of row j for a full tile of [`LANES`] rows of D coordinates
/// (D a constant, so the copy is straight-line code; anything else leaves `columns` alone).
#[inline(always)]
fn transpose<const D: usize>(rows: &[f32], columns: &mut [[f32; LANES]; NARROW_DIM]) {
    let Ok(rows) = <&[[f32; D]; LANES]>::try_from(rows.as_chunks::<D>().0) else {
        return;
    };
    for (j, row) in rows.iter().enumerate() {
        for (column, &value) in columns.iter_mut().zip(row) {
            if let Some(slot) = column.get_mut(j) {
                *slot = value;
            }
        }
    }
}

/// The tiles of a row-major N×d slice, in index order.
#[inline(always)]
pub(crate) fn tiles(points: &[f32], dim: usize) -> Tiles<'_> {
    Tiles {
        chunks: points.chunks((LANES * dim).max(LANES)),
        dim,
    }
}

/// Iterator over the [`Tile`]s of a training set (an explicit type, so that it is inlined into
/// a caller compiled for wider vectors, as a closure in `map` would not be).
pub(crate) struct Tiles<'a> {
    chunks: core::slice::Chunks<'a, f32>,
    dim: usize,
}

impl<'a> Iterator for Tiles<'a> {
    type Item = Tile<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Tile<'a>> {
        self.chunks.next().map(|rows| Tile::new(rows, self.dim))
    }
}

/// The query padded with zeros to [`NARROW_DIM`] coordinates, as [`narrow_logits`] takes it.
#[inline(always)]
pub(crate) fn pad_query(query: &[f32]) -> [f32; NARROW_DIM] {
    let mut padded = [0.0f32; NARROW_DIM];
    for (p, &value) in padded.iter_mut().zip(query) {
        *p = value;
    }
    padded
}

/// ‖x − α·x_j‖² · c for the rows of a narrow tile, across its lanes: the lanes of
/// [`super::distance::squared_distance_scaled`] (coordinate k in lane k, zero past d) summed in its tree,
/// so each logit has that function's bits. Lanes past the tile's rows get −∞.
#[inline(always)]
pub(crate) fn narrow_logits(
    tile: &Tile<'_>,
    query: &[f32; NARROW_DIM],
    alpha: f32,
    c: f32,
) -> [f32; LANES] {
    let [c0, c1, c2, c3, c4, c5, c6, c7] = tile.columns();
    let [x0, x1, x2, x3, x4, x5, x6, x7] = *query;
    let square = |column, xk| lane_square(column, xk, alpha);
    // Lanes past d hold exact zeros (squares are ≥ +0, and x + 0 = x for x ≥ +0), so the
    // 2-, 4- and 8-column trees below are the 16-lane tree of `lanes::reduce` with its zero
    // lanes left out: same bits.
    let distances = if tile.dim <= 2 {
        lane_sum(square(c0, x0), square(c1, x1))
    } else if tile.dim <= 4 {
        lane_sum(
            lane_sum(square(c0, x0), square(c2, x2)),
            lane_sum(square(c1, x1), square(c3, x3)),
        )
    } else {
        lane_sum(
            lane_sum(
                lane_sum(square(c0, x0), square(c4, x4)),
                lane_sum(square(c2, x2), square(c6, x6)),
            ),
            lane_sum(
                lane_sum(square(c1, x1), square(c5, x5)),
                lane_sum(square(c3, x3), square(c7, x7)),
            ),
        )
    };
    let mut logits = [0.0f32; LANES];
    for (logit, distance) in logits.iter_mut().zip(distances) {
        *logit = distance * c;
    }
    let rows = tile.rows().len();
    if rows < LANES {
        for logit in logits.iter_mut().skip(rows) {
            *logit = f32::NEG_INFINITY;
        }
    }
    logits
}

/// (x_k − α·y_jk)² lane by lane for one coordinate k of the tile: d = x_k − α·y_jk, then d·d
/// (= fma(d, d, +0), the first term of the distance's lane k: no sum is fused here).
#[inline(always)]
fn lane_square(column: &[f32; LANES], xk: f32, alpha: f32) -> [f32; LANES] {
    let mut square = [0.0f32; LANES];
    for (s, &yk) in square.iter_mut().zip(column) {
        let diff = xk - alpha * yk;
        *s = diff * diff;
    }
    square
}

/// a + b lane by lane.
#[inline(always)]
fn lane_sum(a: [f32; LANES], b: [f32; LANES]) -> [f32; LANES] {
    let mut sum = a;
    for (s, &value) in sum.iter_mut().zip(&b) {
        *s += value;
    }
    sum
}

/// The state of the tiled softmax: the running max m and the normaliser lanes Σ e^{ℓ − m}.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TiledSoftmax {
    running_max: f32,
    normaliser: [f32; LANES],
}

impl TiledSoftmax {
    /// No logit seen yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        TiledSoftmax {
            running_max: f32::NEG_INFINITY,
            normaliser: [0.0; LANES],
        }
    }

    /// Takes one tile of logits and turns them into weights e^{ℓ_j − m} in place. Returns
    /// `None` when the tile adds nothing (every logit −∞), else the factor e^{m_old − m} by
    /// which sums kept beside this softmax must be rescaled (1 when the max did not grow).
    /// A NaN or +∞ logit is an [`Error::Overflow`].
    #[inline(always)]
    pub(crate) fn push(&mut self, logits: &mut [f32; LANES]) -> Result<Option<f32>, Error> {
        let scale = self.shift(logits)?;
        if scale.is_some() {
            vector_exp::exp_lanes(logits);
            self.accumulate(logits);
        }
        Ok(scale)
    }

    /// The first half of [`push`](Self::push): checks the tile's logits, moves the running max
    /// to the tile max M if M is larger (rescaling the normaliser by e^{m_old − M}) and
    /// subtracts it, so `logits` holds ℓ_j − m. Returns `None`, leaving `logits` unchanged (all
    /// −∞), when the tile adds nothing, else the rescaling factor. In any lane vector `V` (the
    /// portable `[f32; 16]` or a host's registers: the same bits).
    #[inline(always)]
    pub(crate) fn shift<V: LaneVector>(&mut self, logits: &mut V) -> Result<Option<f32>, Error> {
        if !logits.all_below(f32::INFINITY) {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        let tile_max = logits.max_lane();
        if tile_max == f32::NEG_INFINITY {
            return Ok(None);
        }
        let mut scale = 1.0;
        if tile_max > self.running_max {
            scale = vector_exp::exp(self.running_max - tile_max);
            V::load(&self.normaliser)
                .mul(V::splat(scale))
                .store(&mut self.normaliser);
            self.running_max = tile_max;
        }
        *logits = logits.sub(V::splat(self.running_max));
        Ok(Some(scale))
    }

    /// The second half of [`push`](Self::push), after e^{ℓ_j − m}: the normaliser lanes add
    /// the tile's weights.
    #[inline(always)]
    fn accumulate(&mut self, weights: &[f32; LANES]) {
        for (lane, &weight) in self.normaliser.iter_mut().zip(weights.iter()) {
            *lane += weight;
        }
    }

    /// The normaliser Σ_i e^{ℓ_i − m} (lanes in the fixed tree); all logits −∞ (or none) is an
    /// [`Error::Overflow`].
    #[inline(always)]
    fn normaliser(&self) -> Result<f32, Error> {
        if self.running_max == f32::NEG_INFINITY {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        Ok(lanes::reduce(&self.normaliser))
    }

    /// Divides the weighted sum `out` by the normaliser (it becomes Σ_i w_i x_i, a −0 mapped
    /// to +0 by [`unsigned_zero`]) and returns the log-normaliser log Σ_i e^{ℓ_i}.
    #[inline(always)]
    pub(crate) fn finish_mean(&self, out: &mut [f32]) -> Result<f32, Error> {
        let normaliser = self.normaliser()?;
        for value in out.iter_mut() {
            *value = unsigned_zero(*value / normaliser);
        }
        Ok(self.running_max + crate::math::ln(normaliser))
    }

    /// The log-normaliser log Σ_i e^{ℓ_i} = m + ln Σ_i e^{ℓ_i − m}.
    #[inline(always)]
    pub(crate) fn log_sum_exp(&self) -> Result<f32, Error> {
        Ok(self.running_max + crate::math::ln(self.normaliser()?))
    }
}

/// x + 0 (round to nearest): x itself for every x but −0, which becomes +0. The last step of
/// every mean, so the sign of a zero coordinate is the same on every path. Skipping a row or
/// a tile whose weights are all 0 can change a running sum only from +0 to −0 or back (a zero
/// added to a non-zero value leaves it unchanged, and fma, ×, ÷ with the mean's finite
/// factors carry that difference only to results that are themselves zeros), so
/// after this step every path has the oracle's bits, the zeros' signs included.
#[inline(always)]
pub(crate) fn unsigned_zero(x: f32) -> f32 {
    x + 0.0
}

/// The tiled softmax mean of narrow data: a [`TiledSoftmax`] and, beside it, the weighted sum
/// Σ_i e^{ℓ_i − m} x_i in per-lane columns (coordinate k, tile lane j).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TiledMean {
    softmax: TiledSoftmax,
    columns: [[f32; LANES]; NARROW_DIM],
}

impl TiledMean {
    /// No row seen yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        TiledMean {
            softmax: TiledSoftmax::new(),
            columns: [[0.0; LANES]; NARROW_DIM],
        }
    }

    /// Takes one tile and its logits: the softmax step, then sum ← fma(w_j, x_j, sum·scale)
    /// over the tile's rows, lane j of each column, in the lane vector `V` (the same bits for
    /// every `V`: in a host's registers the fused multiply-add is one instruction, in the
    /// portable array one [`fma`] per lane). A NaN or +∞ logit is an [`Error::Overflow`].
    #[inline(always)]
    pub(crate) fn push<V: LaneVector>(
        &mut self,
        tile: &Tile<'_>,
        mut logits: [f32; LANES],
    ) -> Result<(), Error> {
        if let Some(scale) = self.softmax.push(&mut logits)? {
            self.update::<V>(tile, scale, &logits);
        }
        Ok(())
    }

    /// sum ← fma(w_j, x_j, sum·scale) over the tile's rows, lane j of each column.
    #[inline(always)]
    fn update<V: LaneVector>(&mut self, tile: &Tile<'_>, scale: f32, weights: &[f32; LANES]) {
        // Columns past d stay zero and are never read: only the first 2, 4 or 8 are updated.
        let [s0, s1, s2, s3, s4, s5, s6, s7] = &mut self.columns;
        let [c0, c1, c2, c3, c4, c5, c6, c7] = tile.columns();
        let update = lane_update::<V>;
        update(s0, c0, scale, weights);
        update(s1, c1, scale, weights);
        if tile.dim > 2 {
            update(s2, c2, scale, weights);
            update(s3, c3, scale, weights);
        }
        if tile.dim > 4 {
            update(s4, c4, scale, weights);
            update(s5, c5, scale, weights);
            update(s6, c6, scale, weights);
            update(s7, c7, scale, weights);
        }
    }

    /// Writes the mean Σ_i w_i x_i into `out` (length d ≤ [`NARROW_DIM`]; lanes summed in the
    /// fixed tree, then divided by the normaliser) and returns log Σ_i e^{ℓ_i}.
    #[inline(always)]
    pub(crate) fn finish(&self, out: &mut [f32]) -> Result<f32, Error> {
        for (value, column) in out.iter_mut().zip(&self.columns) {
            *value = lanes::reduce(column);
        }
        self.softmax.finish_mean(out)
    }
}

/// sum_j ← fma(w_j, y_jk, sum_j·scale) lane by lane for one coordinate k of the tile, in the
/// lane vector `V` (on the Arm FMA targets, where `V` is the portable array, in place with
/// `fma_lanes`: no temporary).
#[inline(always)]
fn lane_update<V: LaneVector>(
    sum: &mut [f32; LANES],
    column: &[f32; LANES],
    scale: f32,
    weights: &[f32; LANES],
) {
    #[cfg(smoothscore_arm_fma)]
    {
        for s in sum.iter_mut() {
            *s *= scale;
        }
        crate::fused_multiply_add::fma_lanes(weights, column, sum);
    }
    #[cfg(not(smoothscore_arm_fma))]
    V::load(weights)
        .fma(V::load(column), V::load(sum).mul(V::splat(scale)))
        .store(sum);
}

/// The running weighted sums of Q queries over one tile of wide data:
/// sum_q ← sum_q·scale_q + Σ_j w_qj x_j, with `out` holding sum_1, …, sum_Q (Q·d values),
/// `weights[q][j]` = w_qj (0 past the tile's rows) and `scales[q]` the factor of
/// [`TiledSoftmax::push`] (a query whose tile adds nothing passes weights 0 and scale 1).
///
/// The tile's sum s_q is accumulated in registers, 16 coordinates at a time, in row order
/// (s_q ← fma(w_qj, x_j, s_q), starting from +0), and stored as fma(sum_q, scale_q, s_q).
/// A zero-weight row adds an exact ±0 (0·x_j, x_j finite), which leaves every s_q ≠ ±0
/// unchanged; so adding such a row, or skipping it, changes at most the sign of a zero sum
/// (s_q can be −0: an exact w_qj·x_j + s_q that is negative and below half the smallest
/// subnormal rounds to −0, and a running sum can underflow to −0 when rescaled). Rows with
/// w_qj = 0 for every q are therefore skipped, so is a tile with no live row and every scale
/// 1, and the live rows are padded with zero-weight rows to 4, 8 or 16 (a fixed unrolled
/// count); the mean's last step ([`unsigned_zero`]) maps −0 to +0, so every path ends with
/// the bits of the oracle, which skips nothing (tested with a sum that underflows to −0 in the
/// host's oracle tests).
#[inline(always)]
pub(crate) fn wide_update<const Q: usize>(
    tile: &Tile<'_>,
    weights: &[[f32; LANES]; Q],
    scales: &[f32; Q],
    out: &mut [f32],
) {
    wide_update_with::<Unrolled, Q>(tile, weights, scales, out);
}

/// How the tile sums of [`wide_update_with`] are computed; every kernel gives the same bits.
pub(crate) trait TileSums {
    /// sum_q ← sum_q·scale_q + Σ_j w_qj x_j over the R rows in order (see [`tile_sums`]).
    fn sums<const Q: usize, const R: usize>(
        rows: &[&[f32]; R],
        dim: usize,
        weights: &[[f32; R]; Q],
        scales: &[f32; Q],
        out: &mut [f32],
    );
}

/// [`tile_sums`]: portable, query by query, 32 coordinates at a time (the single-query path).
pub(crate) struct Unrolled;

impl TileSums for Unrolled {
    #[inline(always)]
    fn sums<const Q: usize, const R: usize>(
        rows: &[&[f32]; R],
        dim: usize,
        weights: &[[f32; R]; Q],
        scales: &[f32; Q],
        out: &mut [f32],
    ) {
        tile_sums(rows, dim, weights, scales, out);
    }
}

/// [`block_sums`] in the lane vector `V`: the Q queries' sums of one chunk side by side.
pub(crate) struct InVectors<V>(PhantomData<V>);

impl<V: LaneVector> TileSums for InVectors<V> {
    #[inline(always)]
    fn sums<const Q: usize, const R: usize>(
        rows: &[&[f32]; R],
        dim: usize,
        weights: &[[f32; R]; Q],
        scales: &[f32; Q],
        out: &mut [f32],
    ) {
        if let (1, Some(single_weights), Some(&scale)) = (Q, weights.first(), scales.first()) {
            single_sums::<V, R>(rows, dim, single_weights, scale, out);
        } else {
            block_sums::<V, Q, R>(rows, dim, weights, scales, out);
        }
    }
}

/// [`wide_update`] with the tile sums of the kernel `K`.
#[inline(always)]
pub(crate) fn wide_update_with<K: TileSums, const Q: usize>(
    tile: &Tile<'_>,
    weights: &[[f32; LANES]; Q],
    scales: &[f32; Q],
    out: &mut [f32],
) {
    let mut live = [0usize; LANES];
    let mut live_rows = 0;
    for j in 0..tile.rows().len().min(LANES) {
        if weights.iter().any(|w| w.get(j).is_some_and(|&w| w != 0.0)) {
            if let Some(slot) = live.get_mut(live_rows) {
                *slot = j;
            }
            live_rows += 1;
        }
    }
    if live_rows == 0 && scales.iter().all(|&s| s == 1.0) {
        return;
    }
    if live_rows <= 4 {
        live_sums::<K, Q, 4>(tile, &live, live_rows, weights, scales, out);
    } else if live_rows <= 8 {
        live_sums::<K, Q, 8>(tile, &live, live_rows, weights, scales, out);
    } else {
        live_sums::<K, Q, LANES>(tile, &live, live_rows, weights, scales, out);
    }
}

/// [`wide_update`] with the first `count` rows of `live` padded to R rows (the padding rows
/// repeat a live row with weight 0, or the first row when none is live).
#[inline(always)]
fn live_sums<K: TileSums, const Q: usize, const R: usize>(
    tile: &Tile<'_>,
    live: &[usize; LANES],
    count: usize,
    weights: &[[f32; LANES]; Q],
    scales: &[f32; Q],
    out: &mut [f32],
) {
    let dim = tile.dim;
    let row = |j: usize| tile.as_slice().get(j * dim..(j + 1) * dim).unwrap_or(&[]);
    let first = live.first().copied().unwrap_or(0);
    let rows: [&[f32]; R] = core::array::from_fn(|i| {
        row(if i < count {
            live.get(i).copied().unwrap_or(first)
        } else {
            first
        })
    });
    let live_weights: [[f32; R]; Q] = core::array::from_fn(|q| {
        core::array::from_fn(|i| match (weights.get(q), live.get(i)) {
            (Some(w), Some(&j)) if i < count => w.get(j).copied().unwrap_or(0.0),
            _ => 0.0,
        })
    });
    K::sums(&rows, dim, &live_weights, scales, out);
}

/// Coordinates per block of [`tile_sums`]: 16 rows × 256 coordinates (16 KiB) stay in L1 while
/// every query of the block goes over them.
const COORDINATE_BLOCK: usize = 256;

/// sum_q ← sum_q·scale_q + Σ_j w_qj x_j for R rows (each of length `dim`) and Q queries
/// (`out` = Q·d), block of coordinates by block, query by query: 32 coordinates at a time in
/// registers (two independent chains), then 16, then one. 64 at a time spills; and this
/// kernel's speed depends on how LLVM vectorizes the whole inlined batch (a variant with only
/// the 16-wide loop ran 2–3× slower at d = 784 because the distance lanes lost their
/// vectorization), so check `smoothscore bench` after touching it.
#[inline(always)]
fn tile_sums<const Q: usize, const R: usize>(
    rows: &[&[f32]; R],
    dim: usize,
    weights: &[[f32; R]; Q],
    scales: &[f32; Q],
    out: &mut [f32],
) {
    let mut start = 0;
    while start < dim {
        let end = (start + COORDINATE_BLOCK).min(dim);
        for (q, (query_weights, &scale)) in weights.iter().zip(scales).enumerate() {
            let Some(block) = out.get_mut(q * dim + start..q * dim + end) else {
                continue;
            };
            let mut wide = block.chunks_exact_mut(2 * lanes::LANES);
            let mut offset = start;
            for chunk in &mut wide {
                chunk_sums::<R, { 2 * lanes::LANES }>(rows, query_weights, scale, offset, chunk);
                offset += 2 * lanes::LANES;
            }
            let mut chunks = wide.into_remainder().chunks_exact_mut(lanes::LANES);
            for chunk in &mut chunks {
                chunk_sums::<R, { lanes::LANES }>(rows, query_weights, scale, offset, chunk);
                offset += lanes::LANES;
            }
            for running in chunks.into_remainder() {
                let running = core::slice::from_mut(running);
                chunk_sums::<R, 1>(rows, query_weights, scale, offset, running);
                offset += 1;
            }
        }
        start = end;
    }
}

/// [`tile_sums`] with the Q queries side by side: per chunk of 16 coordinates, Q lane-vector
/// sums s_q ← fma(w_qj, x_j, s_q) over the R rows in order (each row chunk loaded once for all Q
/// queries; Q independent addition chains, where [`tile_sums`] has two), then
/// sum_q ← fma(sum_q, scale_q, s_q). The same operations in the same order per coordinate as
/// [`tile_sums`], so the same bits; the last d mod 16 coordinates go one by one.
#[inline(always)]
fn block_sums<V: LaneVector, const Q: usize, const R: usize>(
    rows: &[&[f32]; R],
    dim: usize,
    weights: &[[f32; R]; Q],
    scales: &[f32; Q],
    out: &mut [f32],
) {
    let row_chunks = chunks_of(rows);
    let mut sums_out = out.chunks_exact_mut(dim.max(1));
    let mut outs: [&mut [f32]; Q] = core::array::from_fn(|_| sums_out.next().unwrap_or_default());
    let mut scale_lanes = [V::splat(1.0); Q];
    for (lanes, &scale) in scale_lanes.iter_mut().zip(scales) {
        *lanes = V::splat(scale);
    }
    let full = dim / lanes::LANES;
    let split = crate::lane_vector::in_groups_of_four::<V>(Q);
    for c in 0..full {
        if split {
            for first in (0..Q).step_by(4) {
                chunk_block_sums::<V, Q, R, 4>(
                    &row_chunks,
                    c,
                    first,
                    weights,
                    &scale_lanes,
                    &mut outs,
                );
            }
        } else {
            chunk_block_sums::<V, Q, R, Q>(&row_chunks, c, 0, weights, &scale_lanes, &mut outs);
        }
    }
    for k in full * lanes::LANES..dim {
        for ((running, query_weights), &scale) in outs.iter_mut().zip(weights).zip(scales) {
            let mut sum = 0.0f32;
            for (row, &weight) in rows.iter().zip(query_weights) {
                sum = fma(weight, row.get(k).copied().unwrap_or(0.0), sum);
            }
            if let Some(running) = running.get_mut(k) {
                *running = fma(*running, scale, sum);
            }
        }
    }
}

/// Chunk `c` of [`block_sums`] for the G queries `first..first + G` (G accumulators in
/// registers; the row chunks are loaded again per group, from L1).
#[inline(always)]
fn chunk_block_sums<V: LaneVector, const Q: usize, const R: usize, const G: usize>(
    row_chunks: &[&[[f32; lanes::LANES]]; R],
    c: usize,
    first: usize,
    weights: &[[f32; R]; Q],
    scale_lanes: &[V; Q],
    outs: &mut [&mut [f32]; Q],
) {
    let group = first..first + G;
    let (Some(weights), Some(scale_lanes), Some(outs)) = (
        weights.get(group.clone()),
        scale_lanes.get(group.clone()),
        outs.get_mut(group),
    ) else {
        return;
    };
    let mut sums = [V::splat(0.0); G];
    for (row, r) in row_chunks.iter().zip(0..R) {
        let Some(chunk) = row.get(c) else {
            continue;
        };
        let x = V::load(chunk);
        for (sum, query_weights) in sums.iter_mut().zip(weights) {
            let weight = query_weights.get(r).copied().unwrap_or(0.0);
            *sum = V::splat(weight).fma(x, *sum);
        }
    }
    for ((running, sum), &scale) in outs.iter_mut().zip(sums).zip(scale_lanes) {
        if let Some(running) = running
            .get_mut(c * lanes::LANES..(c + 1) * lanes::LANES)
            .and_then(|chunk| <&mut [f32; lanes::LANES]>::try_from(chunk).ok())
        {
            V::load(running).fma(scale, sum).store(running);
        }
    }
}

/// The whole 16-coordinate chunks of each row (a loop: `array::map`'s closure can stay out of
/// line, outside a host's `#[target_feature]` copy of the kernels).
#[inline(always)]
fn chunks_of<'a, const R: usize>(rows: &[&'a [f32]; R]) -> [&'a [[f32; lanes::LANES]]; R] {
    let mut chunks: [&[[f32; lanes::LANES]]; R] = [&[]; R];
    for (chunk, row) in chunks.iter_mut().zip(rows) {
        *chunk = row.as_chunks().0;
    }
    chunks
}

/// Chunks of 16 coordinates summed side by side by [`single_sums`]: four independent chains.
const SINGLE_CHUNKS: usize = 4;

/// [`block_sums`] for one query: its one chain per chunk would wait on the latency of each
/// addition, so [`SINGLE_CHUNKS`] chunks go side by side (each row's four chunks loaded and
/// added in row order), then one chunk at a time, then the last d mod 16 coordinates one by
/// one; the same operations in the same order per coordinate as [`tile_sums`], so its bits.
#[inline(always)]
fn single_sums<V: LaneVector, const R: usize>(
    rows: &[&[f32]; R],
    dim: usize,
    weights: &[f32; R],
    scale: f32,
    out: &mut [f32],
) {
    let row_chunks = chunks_of(rows);
    let mut weight_lanes = [V::splat(0.0); R];
    for (lanes, &weight) in weight_lanes.iter_mut().zip(weights) {
        *lanes = V::splat(weight);
    }
    let scale_lanes = V::splat(scale);
    let (out_chunks, _) = out.as_chunks_mut::<{ lanes::LANES }>();
    let full = (dim / lanes::LANES).min(out_chunks.len());
    let grouped = full / SINGLE_CHUNKS * SINGLE_CHUNKS;
    let mut start = 0;
    while start < grouped {
        let mut sums = [V::splat(0.0); SINGLE_CHUNKS];
        for (row, &weight) in row_chunks.iter().zip(&weight_lanes) {
            let Some(group) = row
                .get(start..start + SINGLE_CHUNKS)
                .and_then(|group| <&[[f32; lanes::LANES]; SINGLE_CHUNKS]>::try_from(group).ok())
            else {
                continue;
            };
            for (sum, chunk) in sums.iter_mut().zip(group) {
                *sum = weight.fma(V::load(chunk), *sum);
            }
        }
        if let Some(running) = out_chunks.get_mut(start..start + SINGLE_CHUNKS) {
            for (running, sum) in running.iter_mut().zip(sums) {
                V::load(running).fma(scale_lanes, sum).store(running);
            }
        }
        start += SINGLE_CHUNKS;
    }
    for c in grouped..full {
        let mut sum = V::splat(0.0);
        for (row, &weight) in row_chunks.iter().zip(&weight_lanes) {
            if let Some(chunk) = row.get(c) {
                sum = weight.fma(V::load(chunk), sum);
            }
        }
        if let Some(running) = out_chunks.get_mut(c) {
            V::load(running).fma(scale_lanes, sum).store(running);
        }
    }
    for k in full * lanes::LANES..dim {
        let mut sum = 0.0f32;
        for (row, &weight) in rows.iter().zip(weights) {
            sum = fma(weight, row.get(k).copied().unwrap_or(0.0), sum);
        }
        if let Some(running) = out.get_mut(k) {
            *running = fma(*running, scale, sum);
        }
    }
}

/// running_k ← fma(running_k, scale, s_k) with s_k = Σ_j w_j x_j,offset+k (fused, from +0) for the W coordinates of `running`, the
/// sum over the R rows in order, starting from +0.
#[inline(always)]
fn chunk_sums<const R: usize, const W: usize>(
    rows: &[&[f32]; R],
    weights: &[f32; R],
    scale: f32,
    offset: usize,
    running: &mut [f32],
) {
    let mut sum = [0.0f32; W];
    for (row, &weight) in rows.iter().zip(weights) {
        if let Some(x) = row
            .get(offset..offset + W)
            .and_then(|x| <&[f32; W]>::try_from(x).ok())
        {
            for (s, &xk) in sum.iter_mut().zip(x) {
                *s = fma(weight, xk, *s);
            }
        }
    }
    for (r, &s) in running.iter_mut().zip(&sum) {
        *r = fma(*r, scale, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sums_have_the_bits_of_tile_sums() {
        let mut state = 0x5eed_1234_u32;
        let mut next = || crate::test_support::uniform(&mut state, 2.0);
        for dim in [1usize, 9, 16, 33, 784] {
            let mut data = [[0.0f32; 784]; 4];
            for row in data.iter_mut() {
                for value in row.iter_mut().take(dim) {
                    *value = next();
                }
            }
            let rows: [&[f32]; 4] = core::array::from_fn(|r| &data[r][..dim]);
            let mut weights = [[0.0f32; 4]; 3];
            for (q, query_weights) in weights.iter_mut().enumerate() {
                for (r, weight) in query_weights.iter_mut().enumerate() {
                    *weight = if (q + r) % 3 == 0 { 0.0 } else { next().abs() };
                }
            }
            let scales = [1.0f32, 0.25, next().abs()];
            let mut start = [0.0f32; 3 * 784];
            for value in start.iter_mut().take(3 * dim) {
                *value = next();
            }
            let mut unrolled = start;
            let mut blocked = start;
            tile_sums(&rows, dim, &weights, &scales, &mut unrolled[..3 * dim]);
            block_sums::<[f32; lanes::LANES], 3, 4>(
                &rows,
                dim,
                &weights,
                &scales,
                &mut blocked[..3 * dim],
            );
            for (a, b) in unrolled.iter().zip(&blocked) {
                assert_eq!(a.to_bits(), b.to_bits(), "d {dim}");
            }
            let mut one_unrolled = start;
            let mut one_single = start;
            let one = [weights[1]];
            tile_sums(
                &rows,
                dim,
                &one,
                &scales[1..2].try_into().unwrap(),
                &mut one_unrolled[..dim],
            );
            single_sums::<[f32; lanes::LANES], 4>(
                &rows,
                dim,
                &weights[1],
                scales[1],
                &mut one_single[..dim],
            );
            for (a, b) in one_unrolled.iter().zip(&one_single) {
                assert_eq!(a.to_bits(), b.to_bits(), "single, d {dim}");
            }
        }
    }
}
