//! The fused multiply-add a·b + c rounded once, the one multiply-add of the posterior's kernels
//! (bit contract v2: the distance accumulation and the weighted sums are fused).
//!
//! The result is the correctly rounded (round to nearest, ties to even) value of the exact
//! a·b + c, as IEEE 754 `fusedMultiplyAdd` defines it, so it has one value for every input and
//! every target that computes it correctly gives the same bits. How each target computes it:
//!
//! | target | instruction |
//! |---|---|
//! | Cortex-M4F and other FPv4-SP/FPv5 Arm targets (`cfg(smoothscore_arm_fma)`, set by the build script) | `VFMA.F32` |
//! | x86-64 built with `target_feature = "fma"` (e.g. `-C target-cpu=native` on an FMA3 CPU) | `VFMADD231SS` |
//! | every other target | [`libm::fmaf`] (correctly rounded in software; on x86-64 `libm` itself selects `VFMADD` at run time when the CPU has FMA3) |
//!
//! The lane vectors ([`crate::lane_vector::LaneVector::fma`]) apply this function lane by
//! lane, or an instruction with its exact semantics (the host's `vfmadd…ps`), tested against
//! [`libm::fmaf`] on bit-pattern sweeps.

/// fma(a, b, c) = a·b + c with one rounding (IEEE 754 `fusedMultiplyAdd`, round to nearest
/// even). Error bound: ≤ ½ ULP of the exact a·b + c (correctly rounded); NaN if any input is NaN
/// or for ∞·0; the sign of an exact zero as for the addition x + c with x = a·b exact.
#[inline(always)]
pub fn fma(a: f32, b: f32, c: f32) -> f32 {
    backend(a, b, c)
}

// On the Arm targets the operands pass through core registers: stable Rust refuses the
// single-precision register class `sreg` on FPv4-SP targets (it asks for `vfp2`, which
// includes double precision), but it accepts the s-registers as clobbers.
#[cfg(smoothscore_arm_fma)]
#[inline(always)]
fn backend(a: f32, b: f32, c: f32) -> f32 {
    let mut sum = c.to_bits();
    // SAFETY: `VFMA.F32 Sd, Sn, Sm` (Sd ← Sd + Sn·Sm, one rounding) exists on every target that
    // sets `smoothscore_arm_fma` (FPv4-SP or later); the block touches only its operands and the
    // s-registers it declares clobbered.
    unsafe {
        core::arch::asm!(
            "vmov s0, {sum}",
            "vmov s1, {a}",
            "vmov s2, {b}",
            "vfma.f32 s0, s1, s2",
            "vmov {sum}, s0",
            sum = inout(reg) sum,
            a = in(reg) a.to_bits(),
            b = in(reg) b.to_bits(),
            out("s0") _,
            out("s1") _,
            out("s2") _,
            options(pure, nomem, nostack, preserves_flags)
        );
    }
    f32::from_bits(sum)
}

/// [`fma`] of 16 lanes in place, c_k ← a_k·b_k + c_k, with `VFMA.F32` eight lanes at a time
/// from and to memory (`VLDM`/`VSTM`, two blocks): the portable lane vector's fused
/// multiply-add on the Arm targets, about as fast as the separate multiply and add of 16 lanes
/// in memory it replaces, where 16 calls of the scalar [`fma`] would move every operand through
/// a core register. Out of line and in place: one copy serves every call, with no temporary
/// (inlined, it cost the firmware 1.3 KB of .text).
#[cfg(smoothscore_arm_fma)]
#[inline(never)]
pub(crate) fn fma_lanes(a: &[f32; 16], b: &[f32; 16], c: &mut [f32; 16]) {
    let (a_halves, b_halves) = (a.as_chunks::<8>().0, b.as_chunks::<8>().0);
    for ((c, a), b) in c
        .as_chunks_mut::<8>()
        .0
        .iter_mut()
        .zip(a_halves)
        .zip(b_halves)
    {
        // SAFETY: as in `backend`; each pointer addresses 8 valid f32, `c` is written only
        // through its own pointer.
        unsafe {
            core::arch::asm!(
                "vldmia {a}, {{s0-s7}}",
                "vldmia {b}, {{s8-s15}}",
                "vldmia {c}, {{s16-s23}}",
                "vfma.f32 s16, s0, s8",
                "vfma.f32 s17, s1, s9",
                "vfma.f32 s18, s2, s10",
                "vfma.f32 s19, s3, s11",
                "vfma.f32 s20, s4, s12",
                "vfma.f32 s21, s5, s13",
                "vfma.f32 s22, s6, s14",
                "vfma.f32 s23, s7, s15",
                "vstmia {c}, {{s16-s23}}",
                a = in(reg) a.as_ptr(),
                b = in(reg) b.as_ptr(),
                c = in(reg) c.as_mut_ptr(),
                out("s0") _, out("s1") _, out("s2") _, out("s3") _,
                out("s4") _, out("s5") _, out("s6") _, out("s7") _,
                out("s8") _, out("s9") _, out("s10") _, out("s11") _,
                out("s12") _, out("s13") _, out("s14") _, out("s15") _,
                out("s16") _, out("s17") _, out("s18") _, out("s19") _,
                out("s20") _, out("s21") _, out("s22") _, out("s23") _,
                options(nostack, preserves_flags)
            );
        }
    }
}

#[cfg(all(
    not(smoothscore_arm_fma),
    target_arch = "x86_64",
    target_feature = "fma"
))]
#[inline(always)]
fn backend(a: f32, b: f32, c: f32) -> f32 {
    use core::arch::x86_64::{_mm_cvtss_f32, _mm_fmadd_ss, _mm_set_ss};
    // SAFETY: the build enables FMA3 (`target_feature = "fma"`, so SSE too) for the whole crate.
    unsafe { _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c))) }
}

#[cfg(all(
    not(smoothscore_arm_fma),
    not(all(target_arch = "x86_64", target_feature = "fma"))
))]
#[inline(always)]
fn backend(a: f32, b: f32, c: f32) -> f32 {
    libm::fmaf(a, b, c)
}

/// Values every implementation of [`fma`] is tested on in all combinations: signed zeros,
/// subnormals, the normal range's ends, one and its neighbours, infinities, NaN.
pub const SPECIAL_VALUES: [f32; 18] = [
    0.0,
    -0.0,
    f32::from_bits(1),
    -f32::from_bits(1),
    f32::from_bits(0x007f_ffff),
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE,
    1.0,
    -1.0,
    1.0 + f32::EPSILON,
    1.0 - f32::EPSILON / 2.0,
    3.0,
    f32::MAX,
    -f32::MAX,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    1.0e-20,
];

/// How many inputs [`sweep_input`] defines.
pub const SWEEP_LEN: u32 = 3 * 18 * 18 * 18 + 3 * (1 << 18);

/// Input `index` (< [`SWEEP_LEN`]) of the test sweep for implementations of [`fma`], as
/// (a, b, c): first every triple of [`SPECIAL_VALUES`] (three times, with c, then a, then b
/// replaced by a pseudo-random pattern), then exact cancellations (a and b with 12-bit
/// significands, so a·b is exact, and c = −a·b, nudged by 0 to 3 ULP: the sign of an exact zero
/// and the hardest roundings), then random bit patterns of every exponent, then random finite
/// values of nearby exponents. Deterministic, no allocation: a host tests its own lane vectors
/// on the same inputs.
pub fn sweep_input(index: u32) -> [f32; 3] {
    let hash = |salt: u32| {
        let mut x = index.wrapping_mul(0x9e37_79b9) ^ salt.wrapping_mul(0x85eb_ca6b);
        x ^= x >> 16;
        x = x.wrapping_mul(0x7feb_352d);
        x ^= x >> 15;
        x = x.wrapping_mul(0x846c_a68b);
        x ^ (x >> 16)
    };
    let specials = SPECIAL_VALUES.len() as u32;
    let triples = specials * specials * specials;
    let special = |k: u32| SPECIAL_VALUES.get(k as usize).copied().unwrap_or(0.0);
    if index < 3 * triples {
        let (round, k) = (index / triples, index % triples);
        let mut input = [
            special(k / (specials * specials)),
            special(k / specials % specials),
            special(k % specials),
        ];
        let moderate = f32::from_bits(hash(1) & 0x807f_ffff | 0x3f00_0000);
        if let Some(slot) = input.get_mut(((round + 2) % 3) as usize) {
            if round > 0 || k % 2 == 1 {
                *slot = moderate;
            }
        }
        return input;
    }
    let rest = index - 3 * triples;
    let random = |salt: u32, low: u32, span: u32| {
        let bits = hash(salt);
        let exponent = low + (bits >> 23) % span;
        f32::from_bits(bits & 0x807f_ffff | (exponent << 23))
    };
    match rest % 3 {
        0 => {
            let a = f32::from_bits(random(2, 64, 128).to_bits() & !0xfff);
            let b = f32::from_bits(random(3, 64, 128).to_bits() & !0xfff);
            let product = a * b;
            let nudge = hash(4) % 4;
            let c = f32::from_bits((-product).to_bits().wrapping_add(nudge));
            [a, b, if product.is_finite() { c } else { -product }]
        }
        1 => [
            f32::from_bits(hash(5)),
            f32::from_bits(hash(6)),
            f32::from_bits(hash(7)),
        ],
        _ => [random(8, 100, 56), random(9, 100, 56), random(10, 72, 112)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bits, with every NaN the same (the NaN payload is not part of the contract).
    fn canonical(value: f32) -> u32 {
        if value.is_nan() {
            f32::NAN.to_bits()
        } else {
            value.to_bits()
        }
    }

    #[test]
    fn exact_cancellation_gives_the_sign_of_the_sum() {
        // a·b = −c exactly: the exact sum is 0, +0 in round to nearest.
        assert_eq!(fma(3.0, 0.5, -1.5).to_bits(), 0.0f32.to_bits());
        assert_eq!(fma(-3.0, 0.5, 1.5).to_bits(), 0.0f32.to_bits());
        // (−0) + (−0) = −0, (−0) + (+0) = +0.
        assert_eq!(fma(-0.0, 1.0, -0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(fma(0.0, -1.0, -0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(fma(-0.0, 1.0, 0.0).to_bits(), 0.0f32.to_bits());
        // One rounding: (1 + 2⁻¹²)² − 1 = 2⁻¹¹ + 2⁻²⁴ exactly, where a separate product
        // rounds (1 + 2⁻¹²)² to 1 + 2⁻¹¹ and loses the 2⁻²⁴.
        let a = 1.0 + 2048.0 * f32::EPSILON;
        let exact = 4096.0 * f32::EPSILON + f32::EPSILON / 2.0;
        assert_eq!(fma(a, a, -1.0).to_bits(), exact.to_bits());
        assert_eq!((a * a - 1.0).to_bits(), (4096.0 * f32::EPSILON).to_bits());
        assert!(fma(f32::INFINITY, 0.0, 1.0).is_nan());
        assert!(fma(f32::INFINITY, 1.0, f32::NEG_INFINITY).is_nan());
    }

    /// a·b + c rounded once, without `libm`: a·b is exact in f64 (48-bit significand), the sum
    /// is rounded to odd in f64 (the nearest sum, moved one ULP towards the exact sum when that
    /// is not representable and the nearest is even; TwoSum gives the exact error), and a
    /// round-to-odd value with 53 ≥ 24 + 2 bits rounds to f32 as the exact value would.
    fn reference(a: f32, b: f32, c: f32) -> f32 {
        let product = f64::from(a) * f64::from(b);
        let c = f64::from(c);
        let sum = product + c;
        if !sum.is_finite() || sum == 0.0 {
            return sum as f32;
        }
        let virtual_c = sum - product;
        let error = (product - (sum - virtual_c)) + (c - virtual_c);
        let bits = sum.to_bits();
        let odd = if error != 0.0 && bits & 1 == 0 {
            let towards_error = (error > 0.0) == (sum > 0.0);
            f64::from_bits(if towards_error { bits + 1 } else { bits - 1 })
        } else {
            sum
        };
        odd as f32
    }

    #[test]
    fn libm_fmaf_is_correctly_rounded_on_the_sweep() {
        for index in 0..SWEEP_LEN {
            let [a, b, c] = sweep_input(index);
            assert_eq!(
                canonical(libm::fmaf(a, b, c)),
                canonical(reference(a, b, c)),
                "input {index}: {a:e} {b:e} {c:e}"
            );
        }
    }

    #[test]
    fn fma_is_libm_fmaf_on_the_sweep() {
        let mut zeros = 0;
        for index in 0..SWEEP_LEN {
            let [a, b, c] = sweep_input(index);
            let fused = fma(a, b, c);
            zeros += u32::from(fused == 0.0);
            assert_eq!(
                canonical(fused),
                canonical(libm::fmaf(a, b, c)),
                "input {index}: {a:e} {b:e} {c:e}"
            );
        }
        // The cancellations reach exact zeros (the sign-of-zero cases) often.
        assert!(zeros > 10_000, "{zeros} exact zeros");
    }
}
