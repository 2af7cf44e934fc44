//! A branch-free, table-free f32 e^x for the softmax lane loop.
//!
//! e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 ∈ [−ln2/2, ln2/2]:
//! - n by the magic-number rounding x·log₂e + 1.5·2²³ (round to nearest even, IEEE default);
//! - r by Cody–Waite: r = (x − n·C₁) − n·C₂ with C₁ = 0.693359375 (9 bits, so n·C₁ is exact)
//!   and C₂ = ln 2 − C₁;
//! - e^r ≈ 1 + r + r²·P(r), P the degree-5 minimax polynomial of cephes' `expf`, in Horner form;
//! - 2^n as two exponent-field powers 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), so n = 128 (x just below 88.73)
//!   fits the exponent field and the result overflows to +∞ exactly where e^x does.
//!
//! Every step is an IEEE f32 add, multiply or integer operation in a fixed order, with no
//! branch and no table: LLVM vectorizes [`exp_lanes`] lane by lane, the bits are the same on
//! every target (SSE, AVX-512, NEON, Cortex-M4 FPU, scalar), and nothing depends on a libm
//! version. Results below 2⁻¹²⁶ (x < −87.3365) are flushed to 0: subnormal weights are
//! meaningless beside the softmax's weight 1 and make x86 cores take microcode assists (a 2×
//! slowdown of the score at small t, measured). Above 89 the result is +∞; NaN stays NaN.
//!
//! Accuracy: below 1 ULP (faithfully rounded) over every f32 whose e^x is a normal number:
//! the exhaustive sweep against f64 `exp` (all 2.2·10⁹ inputs, `cargo test -p smoothscore
//! --release exp_is_faithful_on_every_f32 -- --ignored`) finds at most 0.9903 ULP (at
//! x = 70.4031), and 99.2 % of results correctly rounded; `libm::expf`'s maximum on the same
//! sweep is 0.9101. `smoothscore crosscheck` repeats a strided sweep.

/// The bound on the error of [`exp`] in f32 ULPs of the exact result, over every input whose
/// result is a normal f32 (the exhaustive sweep's maximum is 0.9903).
pub const MAX_ULP: f32 = 1.0;

use crate::lanes::LANES;

/// log₂ e.
pub const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// 1.5·2²³: adding it rounds a float of magnitude < 2²² to an integer, held in the low bits.
pub const ROUNDING_MAGIC: f32 = 12_582_912.0;
/// The high part C₁ of ln 2 (9 significant bits, so n·C₁ is exact).
pub const LN2_HIGH: f32 = 0.693_359_4;
/// The low part C₂ = ln 2 − C₁.
pub const LN2_LOW: f32 = -2.121_944_4e-4;
/// The coefficients of P(r) = ((((P0·r + P1)·r + P2)·r + P3)·r + P4)·r + P5 (cephes' `expf`).
pub const P0: f32 = 1.987_569_1e-4;
/// See [`P0`].
pub const P1: f32 = 1.398_199_9e-3;
/// See [`P0`].
pub const P2: f32 = 8.333_452e-3;
/// See [`P0`].
pub const P3: f32 = 4.166_579_6e-2;
/// See [`P0`].
pub const P4: f32 = 1.666_666_5e-1;
/// See [`P0`].
pub const P5: f32 = 0.5;
/// ln 2⁻¹²⁶ rounded up: below it e^x is subnormal, and [`exp`] returns 0.
pub const FLUSH_BELOW: f32 = -87.336_54;
/// Inputs above it are clamped to it (e^89 is +∞ in f32).
pub const INPUT_HIGH: f32 = 89.0;

/// 2^k for k in [−126, 127], built in the exponent field.
#[inline(always)]
fn power_of_two(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// e^x = 2^n·(1 + r + r²·P(r)), n = round(x·log₂e), r = x − n·ln 2 (Cody–Waite); see the
/// module documentation. Within [`MAX_ULP`] of e^x where e^x ≥ 2⁻¹²⁶; 0 below −87.3365 (no
/// subnormal results), +∞ above 89, NaN → NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let flush = x < FLUSH_BELOW;
    // A flushed lane is computed from 0: its result is thrown away, and from its own x the
    // exponent field of 2^n wraps, so the products can be subnormal (slow on x86) or NaN.
    let x = if flush {
        0.0
    } else if x > INPUT_HIGH {
        INPUT_HIGH
    } else {
        x
    };
    let shifted = x * LOG2_E + ROUNDING_MAGIC;
    let n = (shifted.to_bits() as i32).wrapping_sub(ROUNDING_MAGIC.to_bits() as i32);
    let n_float = shifted - ROUNDING_MAGIC;
    let r = (x - n_float * LN2_HIGH) - n_float * LN2_LOW;
    let r_squared = r * r;
    let p = ((((P0 * r + P1) * r + P2) * r + P3) * r + P4) * r + P5;
    let e_r = (p * r_squared + r) + 1.0;
    let half = n >> 1;
    let value = e_r * power_of_two(half) * power_of_two(n.wrapping_sub(half));
    if flush {
        0.0
    } else {
        value
    }
}

/// e^x for every lane of `values`, in place: [`exp`] lane by lane, which LLVM turns into
/// vector instructions (the same bits as the scalar call).
#[inline(always)]
pub fn exp_lanes(values: &mut [f32; LANES]) {
    for value in values.iter_mut() {
        *value = exp(*value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_points_and_limits() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(-200.0), 0.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(88.7).is_finite());
        assert_eq!(exp(-100.0), 0.0, "subnormal results are flushed");
        assert!(exp(-87.3).is_normal());
    }

    #[test]
    fn lanes_have_the_scalar_bits() {
        let mut values = [0.0f32; LANES];
        for (j, value) in values.iter_mut().enumerate() {
            *value = j as f32 * 7.3 - 60.0;
        }
        let scalar = values.map(exp);
        exp_lanes(&mut values);
        for (a, b) in values.iter().zip(scalar) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
}
