//! One dense layer y = act(W x + b) in the core's fixed summation order.

use super::shape::Activation;
use crate::lanes;

/// The number of rounded operations any term of one layer output goes through:
/// ⌈n/16⌉ + 5 for n inputs (one multiplication, at most ⌈n/16⌉ − 1 lane additions (the first
/// addition to a zero lane is exact), the 4 levels of the lane tree, the bias addition).
pub fn rounding_depth(inputs: usize) -> usize {
    inputs.div_ceil(lanes::LANES) + 5
}

/// y_j = act(Σ_i W_ji x_i + b_j) for j < out, with W [out, n] row-major (`weights`, n =
/// `input.len()`), b = `bias`, act = `activation` (`None`: the linear output layer).
///
/// Order: the dot product of row j with x by [`lanes::dot`] (input i accumulated into lane
/// i mod 16 in index order, then the fixed 16-lane tree [`lanes::reduce`]), then + b_j, then the
/// activation; each product and sum rounded separately (no FMA, no reassociation), so the bits
/// are the same on every target.
///
/// Error bound (the standard dot-product bound, Higham §3.1): before the activation,
/// |ŷ_j − (Σ_i W_ji x_i + b_j)| ≤ γ_m (Σ_i |W_ji| |x_i| + |b_j|) with m =
/// [`rounding_depth`]`(n)` = ⌈n/16⌉ + 5, γ_m = m·u / (1 − m·u), u = 2⁻²⁴, for the layer's
/// actual (already rounded) inputs x. The activation adds its own error
/// ([`Activation::apply`]) and is 1-Lipschitz (relu) or 1.1-Lipschitz (silu) in y.
///
/// Rows past `bias.len()` or `output.len()`, and a row shorter than n, are not written: the
/// caller ([`super::Network`]) passes slices cut from a validated shape.
#[inline(always)]
pub fn dense(
    weights: &[f32],
    bias: &[f32],
    input: &[f32],
    output: &mut [f32],
    activation: Option<Activation>,
) {
    if input.is_empty() {
        return;
    }
    for ((row, &b), y) in weights
        .chunks_exact(input.len())
        .zip(bias)
        .zip(output.iter_mut())
    {
        let sum = lanes::dot(row, input) + b;
        *y = match activation {
            Some(activation) => activation.apply(sum),
            None => sum,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_layer_is_the_lane_ordered_dot_plus_bias() {
        let weights = [1.0f32, 2.0, 3.0, -1.0, 0.5, -2.0];
        let bias = [0.5f32, -10.0];
        let mut out = [0.0f32; 2];
        dense(&weights, &bias, &[1.0, 1.0, 1.0], &mut out, None);
        assert_eq!(out, [6.5, -12.5]);
        dense(
            &weights,
            &bias,
            &[1.0, 1.0, 1.0],
            &mut out,
            Some(Activation::Relu),
        );
        assert_eq!(out, [6.5, 0.0]);
    }

    #[test]
    fn summation_order_is_the_lane_order_not_left_to_right() {
        // 17 inputs: x_16 goes into lane 0 with x_0. With x_0 = 1, x_16 = −1 and 15 tiny
        // terms, lane order cancels 1 − 1 exactly first; left to right would round them away.
        let mut input = [1e-8f32; 17];
        input[0] = 1.0;
        input[16] = -1.0;
        let weights = [1.0f32; 17];
        let mut out = [0.0f32];
        dense(&weights, &[0.0], &input, &mut out, None);
        let mut left_to_right = 0.0f32;
        for &x in &input {
            left_to_right += x;
        }
        assert_eq!(out[0], lanes::dot(&weights, &input));
        assert_ne!(out[0], left_to_right);
        assert!((out[0] - 15e-8).abs() < 1e-13);
    }
}
