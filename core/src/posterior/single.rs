//! The posterior mean of one query: the tiled online softmax over the rows (see
//! [`super::softmax`]), with the logits of each tile from the narrow lane kernel or the wide
//! row kernels, and the weighted sum of the narrow columns or of the wide tile sums.

use super::softmax::{self, InVectors, Tile, TileSums, TiledMean, TiledSoftmax, Unrolled};
use super::{distance, path, Path};
use crate::dataset::Dataset;
use crate::error::{check_finite, Error, Input};
use crate::lane_vector::LaneVector;
use crate::lanes::LANES;
use crate::score::{check_coefficients, check_output, check_query};
use crate::vector_exp;
use core::marker::PhantomData;

/// Online softmax over the rows: writes m = Σ_i w_i x_i into `out` with w = softmax(ℓ),
/// ℓ_i = `logit(x_i)`, and returns the log-normaliser log Σ_i e^{ℓ_i}.
///
/// Rows whose logit is −∞ get weight 0; a NaN or +∞ logit, or all logits −∞, is an
/// [`Error::Overflow`].
pub fn posterior_mean_with<F>(data: &Dataset<'_>, logit: F, out: &mut [f32]) -> Result<f32, Error>
where
    F: Fn(&[f32]) -> f32,
{
    softmax_mean::<_, Unrolled, [f32; LANES]>(data, out, |tile: &Tile<'_>| row_logits(tile, &logit))
}

/// `logit(x_j)` for the rows of a tile, −∞ past its rows.
#[inline(always)]
fn row_logits<F: Fn(&[f32]) -> f32>(tile: &Tile<'_>, logit: &F) -> [f32; LANES] {
    let mut logits = [f32::NEG_INFINITY; LANES];
    for (value, row) in logits.iter_mut().zip(tile.rows()) {
        *value = logit(row);
    }
    logits
}

/// The tiled online softmax mean over the rows (see [`softmax`]) with the logits of each tile
/// from `tile_logits`: per-lane columns for narrow data, [`softmax::wide_update`] for wide
/// data. Writes Σ_i w_i x_i into `out` and returns log Σ_i e^{ℓ_i}.
#[inline(always)]
fn softmax_mean<L, K, V>(data: &Dataset<'_>, out: &mut [f32], tile_logits: L) -> Result<f32, Error>
where
    L: TileLogits,
    K: TileSums,
    V: LaneVector,
{
    data.check_dim(out.len())?;
    out.fill(0.0);
    if softmax::is_wide(data.dim()) {
        let mut softmax = TiledSoftmax::new();
        for tile in softmax::tiles(data.as_slice(), data.dim()) {
            let mut weights = [tile_logits.of(&tile)];
            let [logits] = &mut weights;
            if let Some(scale) = softmax.push(logits)? {
                softmax::wide_update_with::<K, 1>(&tile, &weights, &[scale], out);
            }
        }
        return softmax.finish_mean(out);
    }
    let mut mean = TiledMean::new();
    for tile in softmax::tiles(data.as_slice(), data.dim()) {
        mean.push::<V>(&tile, tile_logits.of(&tile))?;
    }
    mean.finish(out)
}

/// The tiled online log-sum-exp log Σ_i e^{ℓ_i} with the logits of each tile from
/// `tile_logits`.
#[inline(always)]
fn softmax_log_sum_exp<L>(data: &Dataset<'_>, tile_logits: L) -> Result<f32, Error>
where
    L: TileLogits,
{
    let mut softmax = TiledSoftmax::new();
    for tile in softmax::tiles(data.as_slice(), data.dim()) {
        softmax.push(&mut tile_logits.of(&tile))?;
    }
    softmax.log_sum_exp()
}

/// The logits of one tile of rows, −∞ past its rows.
trait TileLogits {
    /// The tile's logits.
    fn of(&self, tile: &Tile<'_>) -> [f32; LANES];
}

impl<F: Fn(&Tile<'_>) -> [f32; LANES]> TileLogits for F {
    #[inline(always)]
    fn of(&self, tile: &Tile<'_>) -> [f32; LANES] {
        self(tile)
    }
}

/// The empirical posterior's tile logits ℓ_j = ‖x − α_t x_j‖² · (−1/(2σ_t²)): across the lanes
/// of the transposed tile for narrow data ([`softmax::narrow_logits`]); for wide data row by
/// row with [`distance::squared_distance_scaled`], or, when the lane vector `V` is made of
/// registers, four rows at a time with [`distance::squared_distances_packed`] (four addition
/// chains instead of one, and the next tile prefetched while this one is computed: the
/// single-query path streams the data from memory). All have the same bits. A struct with an
/// always-inlined method rather than a closure: LLVM kept the closure out of line, so a host's
/// `#[target_feature]` copy of the single-query path ran it in baseline SSE2.
struct EmpiricalLogits<'q, V> {
    query: &'q [f32],
    packed_query: distance::PackedQueries<'q, 1>,
    narrow_query: [f32; softmax::NARROW_DIM],
    alpha_t: f32,
    neg_half_inverse_variance: f32,
    path: Path,
    lanes: PhantomData<V>,
}

impl<'q, V: LaneVector> EmpiricalLogits<'q, V> {
    #[inline(always)]
    fn new(query: &'q [f32], alpha_t: f32, sigma_squared: f32) -> Self {
        EmpiricalLogits {
            query,
            packed_query: distance::PackedQueries::one(query),
            narrow_query: softmax::pad_query(query),
            alpha_t,
            neg_half_inverse_variance: -0.5 / sigma_squared,
            path: path::<V>(query.len(), 1),
            lanes: PhantomData,
        }
    }
}

impl<V: LaneVector> TileLogits for EmpiricalLogits<'_, V> {
    #[inline(always)]
    fn of(&self, tile: &Tile<'_>) -> [f32; LANES] {
        let c = self.neg_half_inverse_variance;
        match self.path {
            Path::WideSingleInRegisters => self.four_rows(tile, c),
            Path::WideSingle => {
                let mut logits = [f32::NEG_INFINITY; LANES];
                for (value, row) in logits.iter_mut().zip(tile.rows()) {
                    *value = distance::squared_distance_scaled(self.query, row, self.alpha_t) * c;
                }
                logits
            }
            _ => softmax::narrow_logits(tile, &self.narrow_query, self.alpha_t, c),
        }
    }
}

impl<V: LaneVector> EmpiricalLogits<'_, V> {
    /// The wide tile's logits four rows at a time in `V` (see [`EmpiricalLogits`]).
    #[inline(always)]
    fn four_rows(&self, tile: &Tile<'_>, c: f32) -> [f32; LANES] {
        {
            let mut logits = [f32::NEG_INFINITY; LANES];
            let count = tile.rows().len();
            let dim = tile.dim();
            let row = |j: usize| -> &[f32] {
                let j = j.min(count.saturating_sub(1));
                tile.as_slice().get(j * dim..(j + 1) * dim).unwrap_or(&[])
            };
            for (group, values) in logits.chunks_exact_mut(4).enumerate() {
                let first = group * 4;
                if first >= count {
                    break;
                }
                let rows = [row(first), row(first + 1), row(first + 2), row(first + 3)];
                let distances = distance::squared_distances_packed::<V, 1, 4>(
                    self.packed_query,
                    rows,
                    self.alpha_t,
                    LANES * dim,
                );
                for (value, [distance]) in values.iter_mut().zip(distances).take(count - first) {
                    *value = distance * c;
                }
            }
            logits
        }
    }
}

/// The logit ℓ_i = ‖x − α_t x_i‖² · (−1/(2σ_t²)) of the empirical posterior; the factor is
/// computed once per query.
#[inline(always)]
fn logit_fn<'q>(query: &'q [f32], alpha_t: f32, sigma_squared: f32) -> impl Fn(&[f32]) -> f32 + 'q {
    let neg_half_inverse_variance = -0.5 / sigma_squared;
    move |row| distance::squared_distance_scaled(query, row, alpha_t) * neg_half_inverse_variance
}

/// Posterior mean (ideal denoiser) m(x) = E[X_0 | X_t = x] = Σ_i w_i x_i with
/// w_i ∝ exp(−‖x − α_t x_i‖² / (2σ_t²)), given α_t and σ_t² directly. Inlined (like
/// [`crate::batched::score_batch`]) so a host can compile it for wider vectors.
#[inline(always)]
pub fn posterior_mean(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    query: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    posterior_mean_in_lanes::<[f32; LANES]>(data, alpha_t, sigma_squared, query, out)
}

/// [`posterior_mean`] with the wide kernels written in the lane vector `V` when it is made of
/// registers (distances to four rows at a time, tile sums four chunks at a time); the same
/// bits for every `V`.
#[inline(always)]
pub fn posterior_mean_in_lanes<V: LaneVector>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    query: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    check_coefficients(alpha_t, sigma_squared)?;
    check_query(data, query, out.len())?;
    let logits = EmpiricalLogits::<V>::new(query, alpha_t, sigma_squared);
    match logits.path {
        Path::WideSingleInRegisters => softmax_mean::<_, InVectors<V>, V>(data, out, logits)?,
        _ => softmax_mean::<_, Unrolled, V>(data, out, logits)?,
    };
    check_output(out, "posterior mean")
}

/// Posterior weights w_i = exp(ℓ_i − max ℓ) / Σ_j exp(ℓ_j − max ℓ),
/// ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), written into `weights` (length N). Two passes: logits, then
/// normalisation; the weights are finite and sum to 1 up to rounding for any finite query.
pub fn posterior_weights(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    query: &[f32],
    weights: &mut [f32],
) -> Result<(), Error> {
    check_coefficients(alpha_t, sigma_squared)?;
    data.check_dim(query.len())?;
    check_finite(query, Input::Query)?;
    if weights.len() != data.len() {
        return Err(Error::DimensionMismatch {
            expected: data.len(),
            found: weights.len(),
        });
    }
    let logit = logit_fn(query, alpha_t, sigma_squared);
    let mut running_max = f32::NEG_INFINITY;
    for (weight, row) in weights.iter_mut().zip(data.rows()) {
        let value = logit(row);
        if value.is_nan() || value == f32::INFINITY {
            return Err(Error::Overflow {
                quantity: "log-weights",
            });
        }
        *weight = value;
        if value > running_max {
            running_max = value;
        }
    }
    if running_max == f32::NEG_INFINITY {
        return Err(Error::Overflow {
            quantity: "log-weights",
        });
    }
    let mut normaliser = 0.0f32;
    for weight in weights.iter_mut() {
        *weight = vector_exp::exp(*weight - running_max);
        normaliser += *weight;
    }
    for weight in weights.iter_mut() {
        *weight /= normaliser;
    }
    Ok(())
}

/// The log-normaliser log Σ_i e^{ℓ_i}, ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), in one pass of the tiled
/// online softmax (the logits of [`posterior_mean`], so the same running max and normaliser).
pub(crate) fn log_sum_exp(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    query: &[f32],
) -> Result<f32, Error> {
    check_coefficients(alpha_t, sigma_squared)?;
    check_query(data, query, query.len())?;
    softmax_log_sum_exp(
        data,
        EmpiricalLogits::<[f32; LANES]>::new(query, alpha_t, sigma_squared),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Process;
    use crate::score::EmpiricalScore;
    use softmax::NARROW_DIM;

    #[test]
    fn posterior_mean_matches_weights() {
        let points = [0.0f32, 0.5, 1.0, -0.5, 2.0, 0.25];
        let data = Dataset::new(&points, 2).unwrap();
        let mut weights = [0.0f32; 3];
        let mut mean = [0.0f32; 2];
        let query = [0.7f32, 0.1];
        posterior_weights(&data, 0.9, 0.3, &query, &mut weights).unwrap();
        posterior_mean(&data, 0.9, 0.3, &query, &mut mean).unwrap();
        for k in 0..2 {
            let expected: f32 = (0..3).map(|i| weights[i] * points[2 * i + k]).sum();
            assert!((expected - mean[k]).abs() < 1e-6);
        }
    }

    #[test]
    fn lane_logits_have_the_bits_of_the_row_logits() {
        // The empirical path computes narrow logits across a tile's lanes (with 2-, 4- or 8-column
        // trees); the generic path calls the row distance. Same bits for every d and tail length.
        let mut state = 0x0bad_cafe_u32;
        let mut next = || crate::test_support::uniform(&mut state, 3.0);
        let max_dim = if softmax::WIDE_BUILT { 10 } else { NARROW_DIM };
        for dim in 1..=max_dim {
            for n in [1usize, 15, 16, 17, 40] {
                let mut points = [0.0f32; 400];
                let mut query = [0.0f32; 10];
                points.iter_mut().take(n * dim).for_each(|v| *v = next());
                query.iter_mut().take(dim).for_each(|v| *v = next());
                let data = Dataset::new(&points[..n * dim], dim).unwrap();
                let query = &query[..dim];
                for sigma_squared in [1e-3f32, 0.3, 4.0] {
                    let mut fast = [0.0f32; 10];
                    let mut generic = [0.0f32; 10];
                    posterior_mean(&data, 0.8, sigma_squared, query, &mut fast[..dim]).unwrap();
                    let logit = logit_fn(query, 0.8, sigma_squared);
                    posterior_mean_with(&data, logit, &mut generic[..dim]).unwrap();
                    for (a, b) in fast.iter().zip(&generic) {
                        assert_eq!(a.to_bits(), b.to_bits(), "d {dim} n {n}");
                    }
                    let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
                    let log_density = field.log_density(0.5, query).unwrap();
                    assert!(log_density.is_finite());
                }
            }
        }
    }
}
