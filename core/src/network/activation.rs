//! The hidden layers' activations, each one fixed sequence of f32 operations.

use super::shape::Activation;
use crate::math;

impl Activation {
    /// relu(y) = 0 if y < 0, else y (exact; −0 and NaN pass through unchanged); silu(y) = y / (1 + e^{−y}) with `libm`'s e^x
    /// (< 1 ulp), then one rounded addition and one rounded division: relative error ≤ 3u + O(u²)
    /// of |silu(y)| for the exact input y (u = 2⁻²⁴), plus the propagated error of y times
    /// |silu′(y)| ≤ 1.1. Both keep a NaN (from an overflow upstream), so the output check sees it.
    #[inline(always)]
    pub fn apply(self, y: f32) -> f32 {
        match self {
            Activation::Relu => {
                if y < 0.0 {
                    0.0
                } else {
                    y
                }
            }
            Activation::Silu => y / (1.0 + math::exp(-y)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_and_silu_have_their_closed_forms() {
        assert_eq!(Activation::Relu.apply(2.5), 2.5);
        assert_eq!(Activation::Relu.apply(-2.5), 0.0);
        assert_eq!(Activation::Relu.apply(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(Activation::Relu.apply(f32::NAN).is_nan());
        assert_eq!(Activation::Silu.apply(0.0), 0.0);
        for y in [-30.0f32, -3.0, -0.5, 0.25, 1.0, 7.0, 90.0] {
            let exact = f64::from(y) / (1.0 + (-f64::from(y)).exp());
            let got = f64::from(Activation::Silu.apply(y));
            assert!(
                (got - exact).abs() <= 4.0 * f64::from(f32::EPSILON) * exact.abs(),
                "{y}"
            );
        }
        assert_eq!(Activation::Silu.apply(-200.0), -0.0);
    }
}
