//! The core's [`LaneVector`] in x86-64 registers: one AVX-512 register, or two AVX2 registers.
//!
//! Each operation is one lane-wise IEEE instruction (`vaddps`, `vsubps`, `vmulps`, unaligned
//! load/store), so these give the bits of the portable `[f32; 16]`. The intrinsics need the CPU
//! feature: these types are private to [`super`], which uses them only inside its
//! `#[target_feature]` functions, after run-time detection. The `#[inline(always)]` methods are
//! inlined into those functions, where the intrinsics then inline too.

use core::arch::x86_64::{
    __m256, __m512, _mm256_add_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_set1_ps,
    _mm256_storeu_ps, _mm256_sub_ps, _mm512_add_ps, _mm512_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
    _mm512_storeu_ps, _mm512_sub_ps, _mm_prefetch, _MM_HINT_T0,
};
use smoothscore_core::lane_vector::LaneVector;
use smoothscore_core::lanes::LANES;

/// Sixteen lanes in one AVX-512 register.
#[derive(Clone, Copy)]
pub(super) struct Avx512Lanes(__m512);

// SAFETY (every `unsafe` block below): the value exists only inside `super`'s functions
// compiled with `target_feature(enable = "avx512f")` and called after detecting AVX-512F; the
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
}

/// Sixteen lanes in two AVX2 registers (lanes 0–7, 8–15).
#[derive(Clone, Copy)]
pub(super) struct Avx2Lanes(__m256, __m256);

// SAFETY (every `unsafe` block below): as for `Avx512Lanes`, with AVX (the 256-bit float
// instructions) detected and enabled; `x.as_ptr().add(8)` stays inside the 16 floats.
impl LaneVector for Avx2Lanes {
    const IN_REGISTERS: bool = true;

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
}
