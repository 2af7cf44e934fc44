//! The posterior mean in plain loops, one f32 operation at a time in the canonical order: the
//! oracle every fast path of [`super`] is tested against bit for bit (the way `matrixmultiply`
//! keeps its fallback kernel). Slow on purpose: no lane vectors, no blocking, no skipping.
//! Every multiply-add of the formula is one [`fma`] (a·b + c rounded once, bit contract v2):
//! the distance's accumulation, the weighted sums and their rescaling (the difference
//! x − α·y stays a rounded product and a rounded subtraction, the product shared by a block's
//! queries).

use super::softmax;
use crate::dataset::Dataset;
use crate::error::Error;
use crate::fused_multiply_add::fma;
use crate::lanes::{self, LANES};
use crate::math;
use crate::score::{check_coefficients, check_output, check_query};
use crate::vector_exp;

/// Posterior mean m(x) = Σ_i w_i x_i with w_i = e^{ℓ_i} / Σ_j e^{ℓ_j} and
/// ℓ_i = ‖x − α_t x_i‖² · c, c = −1/(2σ_t²), written into `out` (length d); returns the
/// log-normaliser log Σ_i e^{ℓ_i}. The canonical order:
///
/// 1. ‖x − α_t x_i‖²: d_k = x_k − α_t·x_ik (product and difference rounded), lane k mod
///    [`LANES`] ← fma(d_k, d_k, lane) in index order (from +0), the lanes summed by [`lanes::reduce`]; then ℓ_i = distance · c.
/// 2. Rows in tiles of [`LANES`], in index order (lanes past the last row hold ℓ = −∞). A NaN
///    or +∞ logit is an [`Error::Overflow`]; a tile whose max M is −∞ adds nothing.
/// 3. If M > m (the running max, −∞ at first): scale = e^{m − M}, every normaliser lane and
///    every running sum is multiplied by it, m ← M; else scale = 1.
/// 4. w_j = e^{ℓ_j − m} ([`vector_exp::exp`]); normaliser lane j += w_j.
/// 5. Weighted sum, narrow data (d ≤ 8): column k, lane j ← fma(w_j, x_jk, column·scale) for
///    all 16 lanes (x = 0 past the rows), and at the end Σ_k = [`lanes::reduce`] of column k.
///    Wide data: s_k ← fma(w_j, x_jk, s_k) over the tile's rows in order (from +0), and
///    sum_k ← fma(sum_k, scale, s_k).
/// 6. m(x)_k = Σ_k / normaliser + 0 (the + 0 maps −0 to +0 and changes nothing else: the
///    fast paths skip zero-weight rows, which can change only the sign of a zero sum), the
///    normaliser summed by [`lanes::reduce`]; log-normaliser = m + ln(normaliser).
///
/// Error bound: the same as every path's, since it is the same arithmetic (each weight has the
/// exponential's < 1 ULP, each sum the usual f32 accumulation bound ≲ (d/16 + 4)·ε per term,
/// with one rounding per fused term instead of two).
pub fn posterior_mean(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    query: &[f32],
    out: &mut [f32],
) -> Result<f32, Error> {
    check_coefficients(alpha_t, sigma_squared)?;
    check_query(data, query, out.len())?;
    let dim = data.dim();
    let c = -0.5 / sigma_squared;
    let wide = softmax::is_wide(dim);
    let mut running_max = f32::NEG_INFINITY;
    let mut normaliser = [0.0f32; LANES];
    let mut columns = [[0.0f32; LANES]; softmax::NARROW_DIM];
    out.fill(0.0);
    for tile in data.as_slice().chunks(LANES * dim) {
        let rows = tile.len() / dim;
        let mut logits = [f32::NEG_INFINITY; LANES];
        for (logit, row) in logits.iter_mut().zip(tile.chunks_exact(dim)) {
            *logit = squared_distance(query, row, alpha_t) * c;
        }
        let mut tile_max = f32::NEG_INFINITY;
        for &logit in &logits {
            if logit.is_nan() || logit == f32::INFINITY {
                return Err(Error::Overflow {
                    quantity: "log-weights",
                });
            }
            if logit > tile_max {
                tile_max = logit;
            }
        }
        if tile_max == f32::NEG_INFINITY {
            continue;
        }
        let mut scale = 1.0f32;
        if tile_max > running_max {
            scale = vector_exp::exp(running_max - tile_max);
            for lane in normaliser.iter_mut() {
                *lane *= scale;
            }
            running_max = tile_max;
        }
        let mut weights = [0.0f32; LANES];
        for ((weight, &logit), lane) in weights.iter_mut().zip(&logits).zip(&mut normaliser) {
            *weight = vector_exp::exp(logit - running_max);
            *lane += *weight;
        }
        if wide {
            for (k, sum) in out.iter_mut().enumerate() {
                let mut tile_sum = 0.0f32;
                for (row, &weight) in tile.chunks_exact(dim).zip(&weights) {
                    tile_sum = fma(weight, row.get(k).copied().unwrap_or(0.0), tile_sum);
                }
                *sum = fma(*sum, scale, tile_sum);
            }
        } else {
            for (k, column) in columns.iter_mut().enumerate().take(dim) {
                for (j, (lane, &weight)) in column.iter_mut().zip(&weights).enumerate() {
                    let x = match j < rows {
                        true => tile.get(j * dim + k).copied().unwrap_or(0.0),
                        false => 0.0,
                    };
                    *lane = fma(weight, x, *lane * scale);
                }
            }
        }
    }
    if running_max == f32::NEG_INFINITY {
        return Err(Error::Overflow {
            quantity: "log-weights",
        });
    }
    let normaliser = lanes::reduce(&normaliser);
    for (k, value) in out.iter_mut().enumerate() {
        if !wide {
            *value = columns.get(k).map_or(0.0, lanes::reduce);
        }
        *value = *value / normaliser + 0.0;
    }
    check_output(out, "posterior mean")?;
    Ok(running_max + math::ln(normaliser))
}

/// ‖x − α·y‖²: d_k = x_k − α·y_k (each operation rounded) and lane k mod [`LANES`] ←
/// fma(d_k, d_k, lane) in index order, lanes in the fixed tree (the scalar twin of the distance kernels).
pub fn squared_distance(x: &[f32], y: &[f32], alpha: f32) -> f32 {
    let mut lanes = [0.0f32; LANES];
    for (k, (&xk, &yk)) in x.iter().zip(y).enumerate() {
        let difference = xk - alpha * yk;
        if let Some(lane) = lanes.get_mut(k % LANES) {
            *lane = fma(difference, difference, *lane);
        }
    }
    lanes::reduce(&lanes)
}
