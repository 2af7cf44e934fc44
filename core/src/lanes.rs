//! The lane width and the fixed-order lane reductions over the dimension d.
//!
//! Coordinate k is accumulated into lane `k % LANES` (16 lanes), lanes are summed in a fixed
//! pairwise tree ([`reduce`]); the posterior's distance kernels are in
//! [`crate::posterior`], the dot product of the networks here.
//! The order of every f32 operation is therefore fixed by the source, not by the compiler:
//! LLVM vectorizes the lane loop (it needs no reassociation for that), never contracts a
//! multiply and an add into an FMA on its own (Rust does not allow it; the posterior's kernels
//! fuse explicitly, through [`crate::fused_multiply_add::fma`]; [`dot`] and [`add_scaled`]
//! here do not), and the result has the same bits on every target, with or without SIMD, with
//! or without `-C target-cpu=native`.

/// The one lane and tile width: lane accumulators of every reduction over d, rows per softmax
/// tile, lanes of the exponential and of a [`crate::lane_vector::LaneVector`]. 16 f32 lanes fill
/// one AVX-512 register (two AVX, four SSE/NEON registers); on a Cortex-M4 the compiler keeps
/// them in the 32 FPU registers. Everything that must agree with it asserts so at compile time
/// (the trees below, the narrow columns, the host's registers).
pub const LANES: usize = 16;

// `reduce` is written as 16 → 8 → the tree of `reduce_eight`, and the tile max of
// `LaneVector::max_lane` halves the width down to one lane.
const _: () = assert!(LANES == 16 && LANES.is_power_of_two());

/// Sums 8 lanes in the fixed tree ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
#[inline(always)]
fn reduce_eight(lanes: &[f32; 8]) -> f32 {
    let [l0, l1, l2, l3, l4, l5, l6, l7] = *lanes;
    ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
}

/// Sums the 16 lanes in a fixed tree: lane j with lane j + 8, then `reduce_eight`'s tree.
/// When only the first 8 lanes are non-zero (d ≤ 8) this is exactly `reduce_eight`.
#[inline(always)]
pub fn reduce(lanes: &[f32; LANES]) -> f32 {
    let mut halves = [0.0f32; 8];
    let (low, high) = lanes.split_at(8);
    for ((half, &a), &b) in halves.iter_mut().zip(low).zip(high) {
        *half = a + b;
    }
    reduce_eight(&halves)
}

/// [`reduce`] of each of Q lane arrays. A loop rather than `array::map`, whose closure LLVM
/// kept out of line (and so out of a host's `#[target_feature]` copy of the kernels).
#[inline(always)]
pub(crate) fn reduce_each<const Q: usize>(lanes: &[[f32; LANES]; Q]) -> [f32; Q] {
    let mut sums = [0.0f32; Q];
    for (sum, lanes) in sums.iter_mut().zip(lanes) {
        *sum = reduce(lanes);
    }
    sums
}

/// x·y = Σ_k x_k y_k, with coordinate k accumulated into lane k mod 16.
#[inline(always)]
pub fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut x_chunks = x.chunks_exact(LANES);
    let mut y_chunks = y.chunks_exact(LANES);
    for (xc, yc) in (&mut x_chunks).zip(&mut y_chunks) {
        for ((acc_lane, &xk), &yk) in acc.iter_mut().zip(xc).zip(yc) {
            *acc_lane += xk * yk;
        }
    }
    for ((acc_lane, &xk), &yk) in acc
        .iter_mut()
        .zip(x_chunks.remainder())
        .zip(y_chunks.remainder())
    {
        *acc_lane += xk * yk;
    }
    reduce(&acc)
}

/// out_k ← out_k + w·y_k for every k.
#[inline(always)]
pub fn add_scaled(out: &mut [f32], w: f32, y: &[f32]) {
    for (o, &yk) in out.iter_mut().zip(y) {
        *o += w * yk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_agrees_with_the_closed_form() {
        let x = [1.0f32, 2.0, 3.0];
        let y = [0.5f32, -1.0, 2.0];
        assert_eq!(dot(&x, &y), 0.5 - 2.0 + 6.0);
    }
}
