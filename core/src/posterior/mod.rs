//! The posterior mean of the empirical distribution and everything that computes it (SPEC §2).
//!
//! For training rows x_1, …, x_N (N×d), a query x, α_t and σ_t²:
//! ℓ_i = ‖x − α_t x_i‖² · c with c = −1/(2σ_t²), w_i = e^{ℓ_i} / Σ_j e^{ℓ_j}, and the posterior
//! mean m(x) = Σ_i w_i x_i (the ideal denoiser; the score is (α_t m − x)/σ_t²).
//!
//! The canonical order, the bit contract every path keeps, is written out as plain loops in
//! [`oracle::posterior_mean`]: distance lanes k mod [`LANES`] summed in the fixed tree, tiles of
//! [`LANES`] rows in index order, the tile max, the running max and its rescale e^{m − M}, the
//! project's exponential, normaliser lanes, and the weighted sum in per-lane columns for narrow
//! data or per-tile row sums for wide data. Every fast path below is tested against it bit for
//! bit (here for the portable lane vector, in the host for its SIMD registers).
//!
//! - [`oracle`]: the plain-loop posterior mean, the reference for every path.
//! - [`batched`]: B queries at once, each training row read once per query block.
//! - `single`: one query ([`posterior_mean`], [`posterior_mean_in_lanes`],
//!   [`posterior_mean_with`] for any logit, [`posterior_weights`]).
//! - `softmax`: the tiled online softmax, the narrow columns and the wide tile sums.
//! - `distance`: the squared-distance kernels: the scalar twin (one row), Q sliced queries
//!   against one row (portable batched), and the one register kernel, Q packed queries
//!   against R rows (a block against one row, one query against four).
//!
//! Changing the logit means editing [`oracle::posterior_mean`] and the distance kernels'
//! callers, the narrow lane kernel (`softmax::narrow_logits` and its block twin) and the wide
//! tile logits (`single::EmpiricalLogits`, `batched::wide_tile`): the oracle test then checks
//! them all.

pub mod batched;
mod distance;
pub mod oracle;
mod single;
pub(crate) mod softmax;

pub(crate) use single::log_sum_exp;
pub use single::{posterior_mean, posterior_mean_in_lanes, posterior_mean_with, posterior_weights};
pub use softmax::NARROW_DIM;

use crate::lane_vector::LaneVector;
use crate::lanes::LANES;
use batched::{PACKED_CHUNKS, QUERY_BLOCK};

/// The kernels that compute the posterior mean of a group of queries; see [`path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// One query of narrow data: the transposed tile, distances across its lanes, the sums in
    /// per-lane columns (`softmax::TiledMean`).
    NarrowSingle,
    /// A full block of narrow queries in portable lanes: the same per query, each transposed
    /// tile shared by the block.
    NarrowBlock,
    /// A full block of narrow queries in registers: the block phase by phase on each full tile
    /// (`softmax::narrow_push_block`), short tiles query by query.
    NarrowBlockInRegisters,
    /// One query of wide data in portable lanes: a distance per row, the tile sums 32
    /// coordinates at a time (`softmax::Unrolled`).
    WideSingle,
    /// One query of wide data in registers: distances to four rows at a time with the next tile
    /// prefetched, the tile sums four chunks at a time (`softmax::InVectors`).
    WideSingleInRegisters,
    /// A full block of wide queries in portable lanes: the block's distances share each row
    /// chunk (sliced queries), the tile sums query by query (`softmax::Unrolled`).
    WideBlock,
    /// A full block of wide queries in registers, d ≤ [`PACKED_CHUNKS`]·[`LANES`]: the queries
    /// packed chunk-major so the 8 accumulators stay in registers, the tile sums of the block
    /// side by side (`softmax::InVectors`).
    WideBlockPacked,
    /// A full block of wide queries in registers, d above the packing buffer: sliced queries
    /// (same bits, slower), the tile sums side by side.
    WideBlockInRegisters,
}

/// The one dispatch: which [`Path`] computes `queries` queries of dimension `dim` in the lane
/// vector `V`. The decision table (every row gives the bits of [`oracle::posterior_mean`]):
///
/// | d | queries | `V` | path | why |
/// |---|---|---|---|---|
/// | ≤ 8 | < [`QUERY_BLOCK`] | any | `NarrowSingle` | the exponential is the cost: distances and sums run across a tile's 16 lanes |
/// | ≤ 8 | a full block | portable | `NarrowBlock` | each transposed tile read once per block; LLVM vectorizes the per-query loops |
/// | ≤ 8 | a full block | registers | `NarrowBlockInRegisters` | the block's Q independent chains overlap in registers |
/// | > 8 | < [`QUERY_BLOCK`] | portable | `WideSingle` | the d multiply-adds per row are the cost; LLVM vectorizes the slice loops well, not arrays of lane vectors |
/// | > 8 | < [`QUERY_BLOCK`] | registers | `WideSingleInRegisters` | four rows per pass: four addition chains, prefetch of the streamed data |
/// | > 8 | a full block | portable | `WideBlock` | row chunks shared by the block; portable arrays of accumulators would spill |
/// | > 8, ≤ 4096 | a full block | registers | `WideBlockPacked` | chunk-major queries: 8 register accumulators per row chunk |
/// | > 4096 | a full block | registers | `WideBlockInRegisters` | longer than the stack packing buffer |
///
/// "d > 8" needs the `wide` feature (`softmax::is_wide`); without it such data never gets
/// here ([`crate::Dataset::new`] rejects it). Inside a path, two choices change no operation:
/// a full tile is transposed with a constant d and a short one lane by lane, and the live rows
/// of a wide tile (some weight ≠ 0) are padded to 4, 8 or 16.
#[inline(always)]
pub(crate) const fn path<V: LaneVector>(dim: usize, queries: usize) -> Path {
    let block = queries >= QUERY_BLOCK;
    match (softmax::is_wide(dim), block, V::IN_REGISTERS) {
        (false, false, _) => Path::NarrowSingle,
        (false, true, false) => Path::NarrowBlock,
        (false, true, true) => Path::NarrowBlockInRegisters,
        (true, false, false) => Path::WideSingle,
        (true, false, true) => Path::WideSingleInRegisters,
        (true, true, false) => Path::WideBlock,
        (true, true, true) if dim <= PACKED_CHUNKS * LANES => Path::WideBlockPacked,
        (true, true, true) => Path::WideBlockInRegisters,
    }
}

#[cfg(test)]
mod tests;
