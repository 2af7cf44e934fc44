//! The core's [`LaneVector`] in x86-64 registers: one AVX-512 register, or two AVX2 registers.
//!
//! Each arithmetic operation is one lane-wise IEEE instruction (`vaddps`, `vsubps`, `vmulps`,
//! the fused multiply-add `VFMADD…PS` — correctly rounded, so the bits of the core's
//! `fused_multiply_add::fma` — unaligned load/store; `vmaxps`/`vminps` with the operand order of the core's comparisons;
//! the exponential's integer steps as `vpaddd`/`vpsubd`/shifts), so these give the bits of the
//! portable `[f32; 16]` (tested in [`super`]). The intrinsics need the CPU
//! feature: these types are private to [`super`], which uses them only inside its
//! `#[target_feature]` functions, after run-time detection. The `#[inline(always)]` methods are
//! inlined into those functions, where the intrinsics then inline too.

use core::arch::x86_64::{
    __m128, __m256, __m256i, __m512, __m512i, _mm256_add_epi32, _mm256_add_ps, _mm256_and_ps,
    _mm256_andnot_ps, _mm256_castps256_ps128, _mm256_castps_si256, _mm256_castsi256_ps,
    _mm256_cmp_ps, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_max_ps,
    _mm256_min_ps, _mm256_movehdup_ps, _mm256_movemask_ps, _mm256_mul_ps, _mm256_permute2f128_ps,
    _mm256_permutevar8x32_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32,
    _mm256_shuffle_ps, _mm256_slli_epi32, _mm256_srai_epi32, _mm256_storeu_ps, _mm256_sub_epi32,
    _mm256_sub_ps, _mm512_add_epi32, _mm512_add_ps, _mm512_castps512_ps256, _mm512_castps_si512,
    _mm512_castsi512_ps, _mm512_cmp_ps_mask, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_maskz_mov_ps,
    _mm512_min_ps, _mm512_movehdup_ps, _mm512_mul_ps, _mm512_permutexvar_ps, _mm512_set1_epi32,
    _mm512_set1_ps, _mm512_setr_epi32, _mm512_shuffle_f32x4, _mm512_shuffle_ps, _mm512_slli_epi32,
    _mm512_srai_epi32, _mm512_storeu_ps, _mm512_sub_epi32, _mm512_sub_ps, _mm_cvtss_f32,
    _mm_max_ps, _mm_max_ss, _mm_movehl_ps, _mm_prefetch, _mm_shuffle_ps, _CMP_LT_OQ, _MM_HINT_T0,
};
use smoothscore_core::lane_vector::LaneVector;
use smoothscore_core::lanes::LANES;
use smoothscore_core::vector_exp::{
    FLUSH_BELOW, INPUT_HIGH, LN2_HIGH, LN2_LOW, LOG2_E, P0, P1, P2, P3, P4, P5, ROUNDING_MAGIC,
};

// One AVX-512 register or two AVX2 registers hold the core's lane width exactly.
const _: () = assert!(LANES == 16);

/// Sixteen lanes in one AVX-512 register.
#[derive(Clone, Copy)]
pub(super) struct Avx512Lanes(__m512);

// SAFETY (every `unsafe` block below): the value exists only inside `super`'s functions
// compiled with `target_feature(enable = "avx512f,fma")` and called after detecting AVX-512F and FMA; the
// pointers come from `&[f32; 16]` / `&mut [f32; 16]` (16 valid floats, unaligned access).
impl LaneVector for Avx512Lanes {
    const IN_REGISTERS: bool = true;

    #[inline(always)]
    fn load(x: &[f32; LANES]) -> Self {
        Avx512Lanes(unsafe { _mm512_loadu_ps(x.as_ptr()) })
    }

    #[inline(always)]
    fn splat(value: f32) -> Self {
        Avx512Lanes(unsafe { _mm512_set1_ps(value) })
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Avx512Lanes(unsafe { _mm512_add_ps(self.0, other.0) })
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Avx512Lanes(unsafe { _mm512_sub_ps(self.0, other.0) })
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Avx512Lanes(unsafe { _mm512_mul_ps(self.0, other.0) })
    }

    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        Avx512Lanes(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }

    /// The tree of `lanes::reduce` for eight arrays at once: (1) lanes j + (j + 8) of two
    /// arrays per register, (2) j + (j + 4) of four, (3) j + (j + 2) of eight, (4) lane 0 + 1 in
    /// the even lanes, then the eight sums gathered in order. Each addition has the tree's
    /// operands in the tree's order.
    #[inline(always)]
    fn reduce_eight(lanes: &[[f32; LANES]; 8]) -> [f32; 8] {
        unsafe {
            let load = |q: usize| _mm512_loadu_ps(lanes[q].as_ptr());
            let halves = |a: __m512, b: __m512| {
                _mm512_add_ps(
                    _mm512_shuffle_f32x4::<0x44>(a, b),
                    _mm512_shuffle_f32x4::<0xEE>(a, b),
                )
            };
            let quarters = |a: __m512, b: __m512| {
                _mm512_add_ps(
                    _mm512_shuffle_f32x4::<0x88>(a, b),
                    _mm512_shuffle_f32x4::<0xDD>(a, b),
                )
            };
            let first = quarters(halves(load(0), load(1)), halves(load(2), load(3)));
            let second = quarters(halves(load(4), load(5)), halves(load(6), load(7)));
            let pairs = _mm512_add_ps(
                _mm512_shuffle_ps::<0x44>(first, second),
                _mm512_shuffle_ps::<0xEE>(first, second),
            );
            let sums = _mm512_add_ps(pairs, _mm512_movehdup_ps(pairs));
            let order = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0);
            let mut out = [0.0f32; LANES];
            _mm512_storeu_ps(out.as_mut_ptr(), _mm512_permutexvar_ps(order, sums));
            core::array::from_fn(|q| out[q])
        }
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut out = [0.0f32; LANES];
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), self.0) };
        out
    }

    #[inline(always)]
    fn store(self, out: &mut [f32; LANES]) {
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), self.0) };
    }

    #[inline(always)]
    fn prefetch(address: *const f32) {
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) };
    }

    #[inline(always)]
    fn max_lane(self) -> f32 {
        unsafe {
            let high =
                _mm512_castps512_ps256(_mm512_shuffle_f32x4::<0b11_10_11_10>(self.0, self.0));
            max_lane_of_eight(high, _mm512_castps512_ps256(self.0))
        }
    }

    #[inline(always)]
    fn all_below(self, bound: f32) -> bool {
        unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, _mm512_set1_ps(bound)) == 0xffff }
    }

    #[inline(always)]
    fn exp(self) -> Self {
        unsafe {
            let splat = |value: f32| _mm512_set1_ps(value);
            let flush = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, splat(FLUSH_BELOW));
            // Flushed lanes computed from 0, as in the core's `exp` (no subnormal products).
            let x = _mm512_maskz_mov_ps(!flush, _mm512_min_ps(splat(INPUT_HIGH), self.0));
            let shifted = _mm512_add_ps(_mm512_mul_ps(x, splat(LOG2_E)), splat(ROUNDING_MAGIC));
            let n = _mm512_sub_epi32(
                _mm512_castps_si512(shifted),
                _mm512_set1_epi32(ROUNDING_MAGIC.to_bits() as i32),
            );
            let n_float = _mm512_sub_ps(shifted, splat(ROUNDING_MAGIC));
            let r = _mm512_sub_ps(
                _mm512_sub_ps(x, _mm512_mul_ps(n_float, splat(LN2_HIGH))),
                _mm512_mul_ps(n_float, splat(LN2_LOW)),
            );
            let r_squared = _mm512_mul_ps(r, r);
            let mut p = _mm512_add_ps(_mm512_mul_ps(splat(P0), r), splat(P1));
            for coefficient in [P2, P3, P4, P5] {
                p = _mm512_add_ps(_mm512_mul_ps(p, r), splat(coefficient));
            }
            let e_r = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, r_squared), r), splat(1.0));
            let half = _mm512_srai_epi32::<1>(n);
            let power = |k: __m512i| {
                _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
                    k,
                    _mm512_set1_epi32(127),
                )))
            };
            let value = _mm512_mul_ps(
                _mm512_mul_ps(e_r, power(half)),
                power(_mm512_sub_epi32(n, half)),
            );
            Avx512Lanes(_mm512_maskz_mov_ps(!flush, value))
        }
    }
}

/// The halving max of [`LaneVector::max_lane`] from its second step on: `high` holds lanes
/// 8–15, `low` lanes 0–7. `_mm*_max_ps(b, a)` is `b > a ? b : a`, the core's comparison.
///
/// # Safety
/// The CPU must have AVX (the caller's `target_feature` functions check it).
#[inline(always)]
unsafe fn max_lane_of_eight(high: __m256, low: __m256) -> f32 {
    unsafe {
        let eight = _mm256_max_ps(high, low);
        let four = _mm_max_ps(
            _mm256_extractf128_ps::<1>(eight),
            _mm256_castps256_ps128(eight),
        );
        let two: __m128 = _mm_max_ps(_mm_movehl_ps(four, four), four);
        _mm_cvtss_f32(_mm_max_ss(_mm_shuffle_ps::<1>(two, two), two))
    }
}

/// Sixteen lanes in two AVX2 registers (lanes 0–7, 8–15).
#[derive(Clone, Copy)]
pub(super) struct Avx2Lanes(__m256, __m256);

// SAFETY (every `unsafe` block below): as for `Avx512Lanes`, with AVX2 and FMA detected and
// enabled; `x.as_ptr().add(8)` stays inside the 16 floats.
impl LaneVector for Avx2Lanes {
    const IN_REGISTERS: bool = true;
    const REGISTERS: usize = 2;

    #[inline(always)]
    fn load(x: &[f32; LANES]) -> Self {
        unsafe {
            Avx2Lanes(
                _mm256_loadu_ps(x.as_ptr()),
                _mm256_loadu_ps(x.as_ptr().add(8)),
            )
        }
    }

    #[inline(always)]
    fn splat(value: f32) -> Self {
        unsafe { Avx2Lanes(_mm256_set1_ps(value), _mm256_set1_ps(value)) }
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        unsafe {
            Avx2Lanes(
                _mm256_add_ps(self.0, other.0),
                _mm256_add_ps(self.1, other.1),
            )
        }
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        unsafe {
            Avx2Lanes(
                _mm256_sub_ps(self.0, other.0),
                _mm256_sub_ps(self.1, other.1),
            )
        }
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        unsafe {
            Avx2Lanes(
                _mm256_mul_ps(self.0, other.0),
                _mm256_mul_ps(self.1, other.1),
            )
        }
    }

    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        unsafe {
            Avx2Lanes(
                _mm256_fmadd_ps(self.0, b.0, c.0),
                _mm256_fmadd_ps(self.1, b.1, c.1),
            )
        }
    }

    /// The tree of `lanes::reduce` for eight arrays at once: (1) the two registers of each
    /// array added (lanes j + (j + 8)), (2) j + (j + 4) of two arrays per register, (3)
    /// j + (j + 2) of four, (4) lane 0 + 1 in the even lanes, then the eight sums gathered in
    /// order. Each addition has the tree's operands in the tree's order.
    #[inline(always)]
    fn reduce_eight(lanes: &[[f32; LANES]; 8]) -> [f32; 8] {
        unsafe {
            let half = |q: usize| {
                let Avx2Lanes(low, high) = Self::load(&lanes[q]);
                _mm256_add_ps(low, high)
            };
            let quarters = |a: __m256, b: __m256| {
                _mm256_add_ps(
                    _mm256_permute2f128_ps::<0x20>(a, b),
                    _mm256_permute2f128_ps::<0x31>(a, b),
                )
            };
            let pairs = |a: __m256, b: __m256| {
                let sums = _mm256_add_ps(
                    _mm256_shuffle_ps::<0x44>(a, b),
                    _mm256_shuffle_ps::<0xEE>(a, b),
                );
                _mm256_add_ps(sums, _mm256_movehdup_ps(sums))
            };
            let first = pairs(quarters(half(0), half(1)), quarters(half(2), half(3)));
            let second = pairs(quarters(half(4), half(5)), quarters(half(6), half(7)));
            let evens = _mm256_shuffle_ps::<0x88>(first, second);
            let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
            let mut out = [0.0f32; 8];
            _mm256_storeu_ps(out.as_mut_ptr(), _mm256_permutevar8x32_ps(evens, order));
            out
        }
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut out = [0.0f32; LANES];
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr(), self.0);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), self.1);
        }
        out
    }

    #[inline(always)]
    fn store(self, out: &mut [f32; LANES]) {
        unsafe {
            _mm256_storeu_ps(out.as_mut_ptr(), self.0);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), self.1);
        }
    }

    #[inline(always)]
    fn max_lane(self) -> f32 {
        unsafe { max_lane_of_eight(self.1, self.0) }
    }

    #[inline(always)]
    fn all_below(self, bound: f32) -> bool {
        unsafe {
            let bound = _mm256_set1_ps(bound);
            let below = _mm256_and_ps(
                _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, bound),
                _mm256_cmp_ps::<_CMP_LT_OQ>(self.1, bound),
            );
            _mm256_movemask_ps(below) == 0xff
        }
    }

    #[inline(always)]
    fn exp(self) -> Self {
        unsafe { Avx2Lanes(exp_eight(self.0), exp_eight(self.1)) }
    }
}

/// [`LaneVector::exp`] on eight lanes in AVX2: the steps of the AVX-512 version.
///
/// # Safety
/// The CPU must have AVX2 (the caller's `target_feature` functions check it).
#[inline(always)]
unsafe fn exp_eight(x: __m256) -> __m256 {
    unsafe {
        let splat = |value: f32| _mm256_set1_ps(value);
        let flush = _mm256_cmp_ps::<_CMP_LT_OQ>(x, splat(FLUSH_BELOW));
        let x = _mm256_andnot_ps(flush, _mm256_min_ps(splat(INPUT_HIGH), x));
        let shifted = _mm256_add_ps(_mm256_mul_ps(x, splat(LOG2_E)), splat(ROUNDING_MAGIC));
        let n = _mm256_sub_epi32(
            _mm256_castps_si256(shifted),
            _mm256_set1_epi32(ROUNDING_MAGIC.to_bits() as i32),
        );
        let n_float = _mm256_sub_ps(shifted, splat(ROUNDING_MAGIC));
        let r = _mm256_sub_ps(
            _mm256_sub_ps(x, _mm256_mul_ps(n_float, splat(LN2_HIGH))),
            _mm256_mul_ps(n_float, splat(LN2_LOW)),
        );
        let r_squared = _mm256_mul_ps(r, r);
        let mut p = _mm256_add_ps(_mm256_mul_ps(splat(P0), r), splat(P1));
        for coefficient in [P2, P3, P4, P5] {
            p = _mm256_add_ps(_mm256_mul_ps(p, r), splat(coefficient));
        }
        let e_r = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, r_squared), r), splat(1.0));
        let half = _mm256_srai_epi32::<1>(n);
        let power = |k: __m256i| {
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
                k,
                _mm256_set1_epi32(127),
            )))
        };
        let value = _mm256_mul_ps(
            _mm256_mul_ps(e_r, power(half)),
            power(_mm256_sub_epi32(n, half)),
        );
        _mm256_andnot_ps(flush, value)
    }
}
