//! Sixteen f32 lanes as one value, for kernels whose speed must not depend on how LLVM
//! vectorizes a loop nest.
//!
//! [`LaneVector`] has only lane-wise IEEE operations (load, splat, +, −, ×, the fused
//! multiply-add, store), each rounding once, so every implementation gives the same bits: the
//! portable `[f32; 16]` here (its fused multiply-add is [`crate::fused_multiply_add::fma`]),
//! and the hosts' `core::arch` registers (an AVX-512 register, two AVX2 registers), which a
//! host passes to [`crate::batched::score_batch_with`] when the CPU has them. A kernel written
//! with it keeps its accumulators in registers by construction instead of by the optimizer's
//! choice (the portable loop nest of the packed distance kernel was vectorized across queries
//! with gathers and ran 5× slower).

use crate::lanes::LANES;

/// Sixteen f32 lanes with lane-wise, singly rounded IEEE operations.
pub trait LaneVector: Copy {
    /// True when the lanes are SIMD registers that kernels can keep as values. False for the
    /// portable array: LLVM does not keep arrays of it in registers (it vectorized the packed
    /// kernel across queries with gathers, 2.6× slower), so the batched score keeps its slice
    /// kernels for it, which LLVM vectorizes well (the same bits either way).
    const IN_REGISTERS: bool;
    /// Registers one vector takes (AVX2: 2). Kernels that keep one accumulator per query of a
    /// block keep 4 at a time when a vector takes two registers ([`in_groups_of_four`]): 8 AVX2
    /// vectors are all 16 ymm registers, and the spills cost more than a second pass over a
    /// row that is in L1 (the same operations per query in the same order: the same bits).
    const REGISTERS: usize = 1;
    /// The 16 values of `x`, lane k = x_k.
    fn load(x: &[f32; LANES]) -> Self;
    /// Every lane = `value`.
    fn splat(value: f32) -> Self;
    /// Lane-wise a + b.
    fn add(self, other: Self) -> Self;
    /// Lane-wise a − b.
    fn sub(self, other: Self) -> Self;
    /// Lane-wise a · b.
    fn mul(self, other: Self) -> Self;
    /// Lane-wise fused multiply-add a · b + c, rounded once: the bits of
    /// [`crate::fused_multiply_add::fma`] in every lane (the correctly rounded value; NaN
    /// payloads aside).
    fn fma(self, b: Self, c: Self) -> Self;
    /// The 16 lanes in order.
    fn to_array(self) -> [f32; LANES];
    /// out_k = lane k.
    fn store(self, out: &mut [f32; LANES]);
    /// The largest lane, by halving: lane k ← lane k + w if that one is larger (`b > a`), for
    /// w = 8, 4, 2, 1; lane 0 is the result (the order of the softmax's tile max, so the same
    /// value for every input, ±0 and NaN included).
    #[inline(always)]
    fn max_lane(self) -> f32 {
        let mut lanes = self.to_array();
        let mut width = LANES;
        while width > 1 {
            width /= 2;
            let (low, high) = lanes.split_at_mut(width);
            for (a, &b) in low.iter_mut().zip(high.iter()) {
                *a = if b > *a { b } else { *a };
            }
        }
        lanes[0]
    }
    /// Whether every lane is `< bound` (false when a lane is NaN).
    #[inline(always)]
    fn all_below(self, bound: f32) -> bool {
        self.to_array().iter().all(|&value| value < bound)
    }
    /// e^x lane by lane with the operations of [`crate::vector_exp::exp`] in its order, so the
    /// bits of that function (implementations must keep them; the host's are tested against
    /// it).
    #[inline(always)]
    fn exp(self) -> Self {
        let mut lanes = self.to_array();
        crate::vector_exp::exp_lanes(&mut lanes);
        Self::load(&lanes)
    }
    /// Each of eight lane arrays summed in the fixed tree of [`crate::lanes::reduce`]: the bits
    /// of eight calls to it (NaN payloads aside). Register implementations transpose the eight
    /// in registers, with every addition of the tree and its operands in the tree's order.
    #[inline(always)]
    fn reduce_eight(lanes: &[[f32; LANES]; 8]) -> [f32; 8] {
        crate::lanes::reduce_each(lanes)
    }
    /// A hint to bring the cache line at `address` closer (it may point anywhere: a prefetch
    /// never faults). Nothing by default.
    #[inline(always)]
    fn prefetch(address: *const f32) {
        let _ = address;
    }
}

/// Whether a kernel with one accumulator per query runs a block of `queries` queries in
/// groups of 4 in the lane vector `V`: when a vector takes two registers
/// ([`LaneVector::REGISTERS`]) and 4 divides the block.
pub const fn in_groups_of_four<V: LaneVector>(queries: usize) -> bool {
    V::REGISTERS > 1 && queries.is_multiple_of(4)
}

/// The portable implementation: plain arrays, vectorized by LLVM where it can (the baseline
/// build and every non-x86 target).
impl LaneVector for [f32; LANES] {
    const IN_REGISTERS: bool = false;

    #[inline(always)]
    fn load(x: &[f32; LANES]) -> Self {
        *x
    }

    #[inline(always)]
    fn splat(value: f32) -> Self {
        [value; LANES]
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        lane_wise(self, other, |a, b| a + b)
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        lane_wise(self, other, |a, b| a - b)
    }

    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        lane_wise(self, other, |a, b| a * b)
    }

    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        #[cfg(smoothscore_arm_fma)]
        {
            let mut out = c;
            crate::fused_multiply_add::fma_lanes(&self, &b, &mut out);
            out
        }
        #[cfg(not(smoothscore_arm_fma))]
        {
            let mut out = c;
            for ((o, &ak), &bk) in out.iter_mut().zip(&self).zip(&b) {
                *o = crate::fused_multiply_add::fma(ak, bk, *o);
            }
            out
        }
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        self
    }

    #[inline(always)]
    fn store(self, out: &mut [f32; LANES]) {
        *out = self;
    }
}

/// out_k = op(a_k, b_k).
#[inline(always)]
fn lane_wise(a: [f32; LANES], b: [f32; LANES], op: impl Fn(f32, f32) -> f32) -> [f32; LANES] {
    let mut out = a;
    for (o, &bk) in out.iter_mut().zip(&b) {
        *o = op(*o, bk);
    }
    out
}
