//! The closed-form empirical score of p_t^N = 1/N Σ_i N(α_t x_i, σ_t² I) (docs/math.md §2).
//!
//! Logits ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), weights w = softmax(ℓ), posterior mean
//! m_t(x) = Σ_i w_i x_i, score s_t(x) = (α_t m_t(x) − x) / σ_t² (Tweedie).
//! One pass over the data with the tiled online softmax of [`crate::softmax`]: keep the running
//! max m, Σ e^{ℓ_i − m} and Σ e^{ℓ_i − m} x_i, rescaling both when m grows, 16 rows at a time
//! with the branch-free exponential of [`crate::vector_exp`]. Points are visited in index order,
//! so the result bits depend on the order of the training set (a permutation may change the last
//! bits).

use crate::dataset::Dataset;
use crate::error::{check_finite, Error, Input};
use crate::lane_vector::LaneVector;
use crate::lanes;
use crate::math;
use crate::schedule::Process;
use crate::softmax::{self, InVectors, Tile, TileSums, TiledMean, TiledSoftmax, Unrolled, TILE};
use crate::vector_exp;
use core::marker::PhantomData;

/// A score field s(t, x) that the samplers can follow: the exact empirical score, or any
/// smoothed variant. Implementations never allocate and report bad input as [`Error`].
pub trait ScoreField {
    /// The dimension d of x.
    fn dim(&self) -> usize;

    /// Writes s_t(x) into `out` (length d).
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error>;
}

/// Online softmax over the rows: writes m = Σ_i w_i x_i into `out` with w = softmax(ℓ),
/// ℓ_i = `logit(x_i)`, and returns the log-normaliser log Σ_i e^{ℓ_i}.
///
/// Rows whose logit is −∞ get weight 0; a NaN or +∞ logit, or all logits −∞, is an
/// [`Error::Overflow`].
pub fn posterior_mean_with<F>(data: &Dataset<'_>, logit: F, out: &mut [f32]) -> Result<f32, Error>
where
    F: Fn(&[f32]) -> f32,
{
    softmax_mean::<_, Unrolled>(data, out, |tile: &Tile<'_>| row_logits(tile, &logit))
}

/// Online log-sum-exp log Σ_i e^{ℓ_i}, ℓ_i = `logit(x_i)`, in one pass with a running max.
/// Rows whose logit is −∞ are skipped; a NaN or +∞ logit, or all logits −∞, is an
/// [`Error::Overflow`].
pub fn log_sum_exp_with<F>(data: &Dataset<'_>, logit: F) -> Result<f32, Error>
where
    F: Fn(&[f32]) -> f32,
{
    softmax_log_sum_exp(data, |tile: &Tile<'_>| row_logits(tile, &logit))
}

/// `logit(x_j)` for the rows of a tile, −∞ past its rows.
#[inline(always)]
fn row_logits<F: Fn(&[f32]) -> f32>(tile: &Tile<'_>, logit: &F) -> [f32; TILE] {
    let mut logits = [f32::NEG_INFINITY; TILE];
    for (value, row) in logits.iter_mut().zip(tile.rows()) {
        *value = logit(row);
    }
    logits
}

/// The tiled online softmax mean over the rows (see [`softmax`]) with the logits of each tile
/// from `tile_logits`: per-lane columns for narrow data, [`softmax::wide_update`] for wide
/// data. Writes Σ_i w_i x_i into `out` and returns log Σ_i e^{ℓ_i}.
#[inline(always)]
fn softmax_mean<L, K>(data: &Dataset<'_>, out: &mut [f32], tile_logits: L) -> Result<f32, Error>
where
    L: TileLogits,
    K: TileSums,
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
        mean.push(&tile, tile_logits.of(&tile))?;
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
    fn of(&self, tile: &Tile<'_>) -> [f32; TILE];
}

impl<F: Fn(&Tile<'_>) -> [f32; TILE]> TileLogits for F {
    #[inline(always)]
    fn of(&self, tile: &Tile<'_>) -> [f32; TILE] {
        self(tile)
    }
}

/// The empirical posterior's tile logits ℓ_j = ‖x − α_t x_j‖² · (−1/(2σ_t²)): across the lanes
/// of the transposed tile for narrow data ([`softmax::narrow_logits`]); for wide data row by
/// row with [`lanes::squared_distance_scaled`], or, when the lane vector `V` is made of
/// registers, four rows at a time with [`lanes::squared_distances_four_rows`] (four addition
/// chains instead of one, and the next tile prefetched while this one is computed: the
/// single-query path streams the data from memory). All have the same bits. A struct with an
/// always-inlined method rather than a closure: LLVM kept the closure out of line, so a host's
/// `#[target_feature]` copy of the single-query path ran it in baseline SSE2.
struct EmpiricalLogits<'q, V> {
    query: &'q [f32],
    narrow_query: [f32; softmax::NARROW_DIM],
    alpha_t: f32,
    neg_half_inverse_variance: f32,
    wide: bool,
    lanes: PhantomData<V>,
}

impl<'q, V> EmpiricalLogits<'q, V> {
    #[inline(always)]
    fn new(query: &'q [f32], alpha_t: f32, sigma_squared: f32) -> Self {
        EmpiricalLogits {
            query,
            narrow_query: softmax::pad_query(query),
            alpha_t,
            neg_half_inverse_variance: -0.5 / sigma_squared,
            wide: softmax::is_wide(query.len()),
            lanes: PhantomData,
        }
    }
}

impl<V: LaneVector> TileLogits for EmpiricalLogits<'_, V> {
    #[inline(always)]
    fn of(&self, tile: &Tile<'_>) -> [f32; TILE] {
        let c = self.neg_half_inverse_variance;
        if self.wide && V::IN_REGISTERS {
            let mut logits = [f32::NEG_INFINITY; TILE];
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
                let distances = lanes::squared_distances_four_rows::<V>(
                    self.query,
                    rows,
                    self.alpha_t,
                    TILE * dim,
                );
                for (value, distance) in values.iter_mut().zip(distances).take(count - first) {
                    *value = distance * c;
                }
            }
            logits
        } else if self.wide {
            let mut logits = [f32::NEG_INFINITY; TILE];
            for (value, row) in logits.iter_mut().zip(tile.rows()) {
                *value = lanes::squared_distance_scaled(self.query, row, self.alpha_t) * c;
            }
            logits
        } else {
            softmax::narrow_logits(tile, &self.narrow_query, self.alpha_t, c)
        }
    }
}

/// The logit ℓ_i = ‖x − α_t x_i‖² · (−1/(2σ_t²)) of the empirical posterior; the factor is
/// computed once per query.
#[inline(always)]
fn logit_fn<'q>(query: &'q [f32], alpha_t: f32, sigma_squared: f32) -> impl Fn(&[f32]) -> f32 + 'q {
    let neg_half_inverse_variance = -0.5 / sigma_squared;
    move |row| lanes::squared_distance_scaled(query, row, alpha_t) * neg_half_inverse_variance
}

fn check_query(data: &Dataset<'_>, query: &[f32], out_len: usize) -> Result<(), Error> {
    data.check_dim(query.len())?;
    data.check_dim(out_len)?;
    check_finite(query, Input::Query)
}

pub(crate) fn check_coefficients(alpha_t: f32, sigma_squared: f32) -> Result<(), Error> {
    if !alpha_t.is_finite() {
        return Err(Error::InvalidParameter {
            name: "alpha_t",
            value: alpha_t,
        });
    }
    if !(sigma_squared > 0.0 && sigma_squared.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "sigma_squared",
            value: sigma_squared,
        });
    }
    Ok(())
}

pub(crate) fn check_output(out: &[f32], quantity: &'static str) -> Result<(), Error> {
    if out.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Overflow { quantity })
    }
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
    posterior_mean_in_lanes::<[f32; lanes::LANES]>(data, alpha_t, sigma_squared, query, out)
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
    if V::IN_REGISTERS {
        softmax_mean::<_, InVectors<V>>(data, out, logits)?;
    } else {
        softmax_mean::<_, Unrolled>(data, out, logits)?;
    }
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

/// The exact empirical score of a training set under a forward process.
#[derive(Clone, Copy, Debug)]
pub struct EmpiricalScore<'a> {
    data: Dataset<'a>,
    process: Process,
}

impl<'a> EmpiricalScore<'a> {
    /// Pairs a training set with a forward process (whose parameters are validated).
    pub fn new(data: Dataset<'a>, process: Process) -> Result<Self, Error> {
        process.validate()?;
        Ok(EmpiricalScore { data, process })
    }

    /// The training set.
    pub fn data(&self) -> &Dataset<'a> {
        &self.data
    }

    /// The forward process.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// Posterior mean m_t(x) = E[X_0 | X_t = x] = Σ_i w_i x_i (the ideal denoiser).
    pub fn posterior_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)
    }

    /// Posterior weights w_i(x) = softmax_i(−‖x − α_t x_i‖² / (2σ_t²)) into `weights` (length N).
    pub fn weights(&self, t: f32, x: &[f32], weights: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_weights(&self.data, alpha_t, sigma_squared, x, weights)
    }

    /// The log density log p_t^N(x) = log Σ_i e^{ℓ_i} − ln N − (d/2)·ln(2π σ_t²),
    /// ℓ_i = −‖x − α_t x_i‖² / (2σ_t²), of p_t^N = 1/N Σ_i N(α_t x_i, σ_t² I).
    pub fn log_density(&self, t: f32, x: &[f32]) -> Result<f32, Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        check_query(&self.data, x, x.len())?;
        let log_sum = softmax_log_sum_exp(
            &self.data,
            EmpiricalLogits::<[f32; lanes::LANES]>::new(x, alpha_t, sigma_squared),
        )?;
        let dim = self.data.dim() as f32;
        let value = log_sum
            - math::ln(self.data.len() as f32)
            - 0.5 * dim * math::ln(core::f32::consts::TAU * sigma_squared);
        if value.is_finite() {
            Ok(value)
        } else {
            Err(Error::Overflow {
                quantity: "log density",
            })
        }
    }

    /// Noise prediction ε̂_t(x) = (x − α_t m_t(x)) / σ_t = −σ_t s_t(x): the output of an
    /// ε-parameterised denoising network (Ho et al.), exact for the empirical distribution.
    pub fn noise_prediction(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)?;
        let sigma_t = math::sqrt(sigma_squared);
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (xk - alpha_t * *o) / sigma_t;
        }
        check_output(out, "noise prediction")
    }
}

impl ScoreField for EmpiricalScore<'_> {
    fn dim(&self) -> usize {
        self.data.dim()
    }

    /// s_t(x) = (α_t m_t(x) − x) / σ_t², with m_t the posterior mean.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        posterior_mean(&self.data, alpha_t, sigma_squared, x, out)?;
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (alpha_t * *o - xk) / sigma_squared;
        }
        check_output(out, "score")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::softmax::NARROW_DIM;

    #[test]
    fn single_point_score_is_exactly_the_gaussian_score() {
        let point = [0.3f32, -1.7, 2.25];
        let data = Dataset::new(&point, 3).unwrap();
        let query = [1.1f32, 0.4, -0.9];
        for process in [Process::VP_LINEAR, Process::Brownian { horizon: 4.0 }] {
            let field = EmpiricalScore::new(data, process).unwrap();
            for t in [1e-3f32, 0.2, 0.8] {
                let mut out = [0.0f32; 3];
                field.score(t, &query, &mut out).unwrap();
                let alpha_t = process.alpha(t);
                let sigma_squared = process.sigma_squared(t);
                for k in 0..3 {
                    let expected = -(query[k] - alpha_t * point[k]) / sigma_squared;
                    assert_eq!(out[k].to_bits(), expected.to_bits(), "t={t} k={k}");
                }
            }
        }
    }

    #[test]
    fn log_density_of_one_point_is_the_gaussian_log_density() {
        let point = [0.5f32, -1.0];
        let data = Dataset::new(&point, 2).unwrap();
        let score = EmpiricalScore::new(data, Process::Brownian { horizon: 1.0 }).unwrap();
        let x = [0.1f32, 0.2];
        let t = 0.25f32;
        let squared: f32 = x.iter().zip(&point).map(|(a, b)| (a - b) * (a - b)).sum();
        let want = -squared / (2.0 * t) - libm::logf(core::f32::consts::TAU * t);
        let got = score.log_density(t, &x).unwrap();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        let pair = [0.0f32, 0.0, 0.0, 0.0];
        let twice = EmpiricalScore::new(
            Dataset::new(&pair, 2).unwrap(),
            Process::Brownian { horizon: 1.0 },
        )
        .unwrap();
        let single = EmpiricalScore::new(
            Dataset::new(&pair[..2], 2).unwrap(),
            Process::Brownian { horizon: 1.0 },
        )
        .unwrap();
        let (a, b) = (
            twice.log_density(t, &x).unwrap(),
            single.log_density(t, &x).unwrap(),
        );
        assert!(
            (a - b).abs() < 1e-6,
            "a repeated point leaves the density unchanged"
        );
    }

    #[test]
    fn weights_sum_to_one_far_from_the_data() {
        let points = [0.0f32, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let data = Dataset::new(&points, 2).unwrap();
        let process = Process::VP_LINEAR;
        let field = EmpiricalScore::new(data, process).unwrap();
        let t = 0.01;
        let sigma = process.sigma(t);
        let mut weights = [0.0f32; 4];
        for direction in [[1.0f32, 0.0], [0.6, -0.8], [-1.0, -1.0]] {
            let query = [direction[0] * 1e4 * sigma, direction[1] * 1e4 * sigma];
            field.weights(t, &query, &mut weights).unwrap();
            let total: f32 = weights.iter().sum();
            assert!(weights.iter().all(|w| w.is_finite()));
            assert!((total - 1.0).abs() <= 1e-6, "sum {total}");
            let mut mean = [0.0f32; 2];
            field.posterior_mean(t, &query, &mut mean).unwrap();
            assert!(mean.iter().all(|m| m.is_finite()));
        }
    }

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

    #[test]
    fn bad_queries_get_typed_errors() {
        let points = [0.0f32, 1.0];
        let data = Dataset::new(&points, 2).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        let mut out = [0.0f32; 2];
        assert_eq!(
            field.score(0.5, &[1.0], &mut out[..1]),
            Err(Error::DimensionMismatch {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            field.score(0.5, &[f32::NAN, 0.0], &mut out),
            Err(Error::NonFinite {
                input: Input::Query,
                index: 0
            })
        );
        assert!(matches!(
            field.score(0.0, &[0.0, 0.0], &mut out),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(matches!(
            field.score(1.5, &[0.0, 0.0], &mut out),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(matches!(
            field.score(0.5, &[1e30, 0.0], &mut out),
            Err(Error::Overflow { .. })
        ));
        let tiny = Process::VeGeometric {
            sigma_min: 1e-30,
            sigma_max: 1e-29,
        };
        let field = EmpiricalScore::new(data, tiny).unwrap();
        assert_eq!(
            field.score(0.5, &[0.0, 0.0], &mut out),
            Err(Error::ZeroSigma { t: 0.5 })
        );
    }
}
