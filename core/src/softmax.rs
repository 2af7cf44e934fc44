//! The tiled online softmax behind every empirical-score evaluation (SPEC §2).
//!
//! Wide data (d > [`NARROW_DIM`]) goes row by row ([`RowSoftmax`]): there the exponential is one
//! per d multiply-adds and reading each row once matters more. Narrow data (the exponential is
//! the cost) goes in tiles of [`TILE`] consecutive rows (the last one may be short). Per tile:
//! the logits ℓ_j, the tile max M; if M exceeds the running max m, the normaliser and the
//! weighted sum are rescaled by e^{m − M} and m ← M; then w_j = e^{ℓ_j − m} for the whole tile
//! at once with the branch-free [`vector_exp::exp_lanes`], the normaliser lanes add w_j (lane
//! j of the tile), and the weighted sum adds w_j·x_j into per-lane columns (coordinate k, tile
//! lane j), so the B·N multiply-adds run across the tile's lanes instead of along one dependency
//! chain. The transposed tile feeds the distances too: they are computed across the lanes.
//!
//! Lanes are summed at the end in a fixed pairwise tree. Every step is fixed by the source, so
//! the single-query path, the batched path and the firmware give the same bits; the order of
//! the training set still matters for the last bits.

use crate::error::Error;
use crate::lanes;
use crate::vector_exp::{self, EXP_LANES};

/// Rows per tile: one vector of [`vector_exp::exp_lanes`].
pub const TILE: usize = EXP_LANES;

/// Dimensions up to this use the per-lane (column) weighted sum and the transposed tile.
pub const NARROW_DIM: usize = 8;

/// Up to [`TILE`] consecutive rows of narrow training data (d ≤ [`NARROW_DIM`]) and their
/// transpose (`columns[k][j]` = coordinate k of row j, zero past the rows and past d).
pub(crate) struct Tile<'a> {
    rows: &'a [f32],
    dim: usize,
    columns: [[f32; TILE]; NARROW_DIM],
}

impl<'a> Tile<'a> {
    /// The tile of `rows` (row-major, at most [`TILE`] rows of `dim` values).
    #[inline(always)]
    pub(crate) fn new(rows: &'a [f32], dim: usize) -> Self {
        let mut columns = [[0.0f32; TILE]; NARROW_DIM];
        for (k, column) in columns.iter_mut().enumerate().take(dim) {
            for (j, slot) in column.iter_mut().enumerate() {
                *slot = rows.get(j * dim + k).copied().unwrap_or(0.0);
            }
        }
        Tile { rows, dim, columns }
    }

    /// The rows in index order.
    #[inline(always)]
    pub(crate) fn rows(&self) -> core::slice::ChunksExact<'a, f32> {
        self.rows.chunks_exact(self.dim.max(1))
    }

    /// `columns[k][j]`: coordinate k of row j.
    #[inline(always)]
    pub(crate) fn columns(&self) -> &[[f32; TILE]; NARROW_DIM] {
        &self.columns
    }
}

/// The tiles of a row-major N×d slice (d ≤ [`NARROW_DIM`]), in index order.
#[inline(always)]
pub(crate) fn tiles(points: &[f32], dim: usize) -> Tiles<'_> {
    Tiles {
        chunks: points.chunks(TILE * dim.max(1)),
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
/// [`lanes::squared_distance_scaled`] (coordinate k in lane k, zero past d) summed in its tree,
/// so each logit has that function's bits. Lanes past the tile's rows get −∞.
#[inline(always)]
pub(crate) fn narrow_logits(
    tile: &Tile<'_>,
    query: &[f32; NARROW_DIM],
    alpha: f32,
    c: f32,
) -> [f32; TILE] {
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
    let mut logits = [0.0f32; TILE];
    for (logit, distance) in logits.iter_mut().zip(distances) {
        *logit = distance * c;
    }
    let rows = tile.rows().len();
    if rows < TILE {
        for logit in logits.iter_mut().skip(rows) {
            *logit = f32::NEG_INFINITY;
        }
    }
    logits
}

/// (x_k − α·y_jk)² lane by lane for one coordinate k of the tile.
#[inline(always)]
fn lane_square(column: &[f32; TILE], xk: f32, alpha: f32) -> [f32; TILE] {
    let mut square = [0.0f32; TILE];
    for (s, &yk) in square.iter_mut().zip(column) {
        let diff = xk - alpha * yk;
        *s = diff * diff;
    }
    square
}

/// The max of 16 lanes by halving (max is exact, so any order gives the same value; NaN
/// lanes are rejected by the caller).
#[inline(always)]
fn lane_max(values: &[f32; TILE]) -> f32 {
    let mut width = TILE;
    let mut lanes = *values;
    while width > 1 {
        width /= 2;
        let (low, high) = lanes.split_at_mut(width);
        for (a, &b) in low.iter_mut().zip(high.iter()) {
            *a = if b > *a { b } else { *a };
        }
    }
    lanes.first().copied().unwrap_or(f32::NEG_INFINITY)
}

/// a + b lane by lane.
#[inline(always)]
fn lane_sum(a: [f32; TILE], b: [f32; TILE]) -> [f32; TILE] {
    let mut sum = a;
    for (s, &value) in sum.iter_mut().zip(&b) {
        *s += value;
    }
    sum
}

/// The row-by-row online softmax for wide data (d > [`NARROW_DIM`]): logits ℓ_1, ℓ_2, … visited
/// in order, the running max m and the normaliser Σ e^{ℓ_i − m}; a new max rescales the sum
/// (sum ← sum·e^{m_old − ℓ} + x), any other row adds e^{ℓ − m}·x. The row is used while it is
/// still in L1, so the data is read once. Single-query and batched paths step through this one
/// type and agree bit for bit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowSoftmax {
    running_max: f32,
    normaliser: f32,
}

/// What a new logit asks of a weighted sum kept beside an [`OnlineSoftmax`].
pub(crate) enum SoftmaxStep {
    /// ℓ = −∞: weight 0, nothing to add.
    Skip,
    /// A new max: sum ← sum·scale + row, with scale = e^{m_old − ℓ}.
    Rescale(f32),
    /// sum ← sum + weight·row, with weight = e^{ℓ − m}.
    Add(f32),
}

impl RowSoftmax {
    /// No logit seen yet.
    pub(crate) const fn new() -> Self {
        RowSoftmax {
            running_max: f32::NEG_INFINITY,
            normaliser: 0.0,
        }
    }

    /// Takes the next logit; a NaN or +∞ logit is an [`Error::Overflow`].
    #[inline(always)]
    pub(crate) fn push(&mut self, value: f32) -> Result<SoftmaxStep, Error> {
        if value == f32::NEG_INFINITY {
            return Ok(SoftmaxStep::Skip);
        }
        if !value.is_finite() {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        if value > self.running_max {
            let scale = vector_exp::exp(self.running_max - value);
            self.normaliser = self.normaliser * scale + 1.0;
            self.running_max = value;
            Ok(SoftmaxStep::Rescale(scale))
        } else {
            let weight = vector_exp::exp(value - self.running_max);
            self.normaliser += weight;
            Ok(SoftmaxStep::Add(weight))
        }
    }

    /// Takes the next logit and updates the weighted sum `out` of the rows with it.
    #[inline(always)]
    pub(crate) fn accumulate(
        &mut self,
        value: f32,
        row: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        match self.push(value)? {
            SoftmaxStep::Skip => {}
            SoftmaxStep::Rescale(scale) => lanes::rescale_add(out, scale, row),
            SoftmaxStep::Add(weight) => lanes::add_scaled(out, weight, row),
        }
        Ok(())
    }

    /// The normaliser; all logits −∞ (or none) is an [`Error::Overflow`].
    fn normaliser(&self) -> Result<f32, Error> {
        if self.running_max == f32::NEG_INFINITY {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        Ok(self.normaliser)
    }

    /// Divides the weighted sum `out` by the normaliser (it becomes Σ_i w_i x_i) and returns
    /// the log-normaliser log Σ_i e^{ℓ_i}.
    pub(crate) fn finish_mean(&self, out: &mut [f32]) -> Result<f32, Error> {
        let normaliser = self.normaliser()?;
        for value in out.iter_mut() {
            *value /= normaliser;
        }
        Ok(self.running_max + crate::math::ln(normaliser))
    }

    /// The log-normaliser log Σ_i e^{ℓ_i}.
    pub(crate) fn log_sum_exp(&self) -> Result<f32, Error> {
        Ok(self.running_max + crate::math::ln(self.normaliser()?))
    }
}

/// The state of the tiled softmax: the running max m and the normaliser lanes Σ e^{ℓ − m}.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TiledSoftmax {
    running_max: f32,
    normaliser: [f32; TILE],
}

impl TiledSoftmax {
    /// No logit seen yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        TiledSoftmax {
            running_max: f32::NEG_INFINITY,
            normaliser: [0.0; TILE],
        }
    }

    /// Takes one tile of logits and turns them into weights e^{ℓ_j − m} in place. Returns
    /// `None` when the tile adds nothing (every logit −∞), else the factor e^{m_old − m} by
    /// which sums kept beside this softmax must be rescaled (1 when the max did not grow).
    /// A NaN or +∞ logit is an [`Error::Overflow`].
    #[inline(always)]
    pub(crate) fn push(&mut self, logits: &mut [f32; TILE]) -> Result<Option<f32>, Error> {
        let mut valid = [true; TILE];
        for (ok, &logit) in valid.iter_mut().zip(logits.iter()) {
            *ok = logit < f32::INFINITY;
        }
        let tile_max = lane_max(logits);
        if valid.contains(&false) {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        if tile_max == f32::NEG_INFINITY {
            return Ok(None);
        }
        let mut scale = 1.0;
        if tile_max > self.running_max {
            scale = vector_exp::exp(self.running_max - tile_max);
            for lane in self.normaliser.iter_mut() {
                *lane *= scale;
            }
            self.running_max = tile_max;
        }
        for logit in logits.iter_mut() {
            *logit -= self.running_max;
        }
        vector_exp::exp_lanes(logits);
        for (lane, &weight) in self.normaliser.iter_mut().zip(logits.iter()) {
            *lane += weight;
        }
        Ok(Some(scale))
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

    /// Divides the weighted sum `out` by the normaliser (it becomes Σ_i w_i x_i) and returns
    /// the log-normaliser log Σ_i e^{ℓ_i}.
    #[inline(always)]
    pub(crate) fn finish_mean(&self, out: &mut [f32]) -> Result<f32, Error> {
        let normaliser = self.normaliser()?;
        for value in out.iter_mut() {
            *value /= normaliser;
        }
        Ok(self.running_max + crate::math::ln(normaliser))
    }

    /// The log-normaliser log Σ_i e^{ℓ_i} = m + ln Σ_i e^{ℓ_i − m}.
    #[inline(always)]
    pub(crate) fn log_sum_exp(&self) -> Result<f32, Error> {
        Ok(self.running_max + crate::math::ln(self.normaliser()?))
    }
}

/// The tiled softmax mean of narrow data: a [`TiledSoftmax`] and, beside it, the weighted sum
/// Σ_i e^{ℓ_i − m} x_i in per-lane columns (coordinate k, tile lane j).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TiledMean {
    softmax: TiledSoftmax,
    columns: [[f32; TILE]; NARROW_DIM],
}

impl TiledMean {
    /// No row seen yet.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        TiledMean {
            softmax: TiledSoftmax::new(),
            columns: [[0.0; TILE]; NARROW_DIM],
        }
    }

    /// Takes one tile and its logits: the softmax step, then sum ← sum·scale + Σ_j w_j x_j
    /// over the tile's rows, lane j of each column. A NaN or +∞ logit is an
    /// [`Error::Overflow`].
    #[inline(always)]
    pub(crate) fn push(&mut self, tile: &Tile<'_>, mut logits: [f32; TILE]) -> Result<(), Error> {
        let Some(scale) = self.softmax.push(&mut logits)? else {
            return Ok(());
        };
        let weights = &logits;
        // Columns past d stay zero and are never read: only the first 2, 4 or 8 are updated.
        let [s0, s1, s2, s3, s4, s5, s6, s7] = &mut self.columns;
        let [c0, c1, c2, c3, c4, c5, c6, c7] = tile.columns();
        lane_update(s0, c0, scale, weights);
        lane_update(s1, c1, scale, weights);
        if tile.dim > 2 {
            lane_update(s2, c2, scale, weights);
            lane_update(s3, c3, scale, weights);
        }
        if tile.dim > 4 {
            lane_update(s4, c4, scale, weights);
            lane_update(s5, c5, scale, weights);
            lane_update(s6, c6, scale, weights);
            lane_update(s7, c7, scale, weights);
        }
        Ok(())
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

/// sum_j ← sum_j·scale + w_j·y_jk lane by lane for one coordinate k of the tile.
#[inline(always)]
fn lane_update(sum: &mut [f32; TILE], column: &[f32; TILE], scale: f32, weights: &[f32; TILE]) {
    for ((s, &weight), &value) in sum.iter_mut().zip(weights).zip(column) {
        *s = *s * scale + weight * value;
    }
}
