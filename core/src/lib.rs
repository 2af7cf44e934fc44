//! # smoothscore-core
//!
//! The closed-form empirical score of a finite training set under a forward diffusion process,
//! and the samplers that follow it, in f32 with no allocator and no panics on data.
//!
//! - [`schedule`]: forward processes X_t = α_t X_0 + σ_t Z (VP linear/cosine, OU, VE, Brownian).
//! - [`dataset`]: the borrowed, validated N×d training set.
//! - [`score`]: posterior weights, posterior mean, empirical score (online log-sum-exp).
//! - [`kernel_points`], [`kernel_smoothed`]: the kernel-smoothed score K_h * s^N and the LED-KDE.
//! - [`line_score`]: Chen's (smoothed) piecewise-linear score for data on a line, its flow map.
//! - [`score_kind`]: one enum over every score, for run-time choice without allocation.
//! - [`network`]: learned scores, an MLP's forward pass over borrowed weights ([`NetworkScore`],
//!   [`NetworkDrift`]).
//! - [`pinned`], [`pinned_smoothed`]: the Föllmer drift of the pinned Brownian motion, exact and
//!   kernel-smoothed.
//! - [`sampler`]: reverse SDE (Euler–Maruyama), probability-flow ODE (Euler, Heun), DDIM,
//!   DPM-Solver++(2M), EDM's stochastic Heun, on grids in t or in noise level (Karras), from the
//!   standard or a moment-matched prior; pinned EM; one sample at a time, or B in lockstep with
//!   a batched score.
//! - [`rng`]: the deterministic f32 normal sampler and the per-sample stream rule.
//! - [`posterior`]: the posterior mean (the tiled online softmax, its kernels, the dispatch
//!   between them and the plain-loop oracle they are tested against); [`batched`] (re-exported
//!   from it): the score of B queries at once ([`BatchScoreField`]).
//! - [`lane_vector`]: 16 f32 lanes as one value (portable here; hosts plug in SIMD registers).
//! - [`lanes`]: the lane width and the fixed-order 16-lane reductions that make the bits
//!   target-independent.
//! - [`vector_exp`]: the branch-free, table-free f32 e^x the softmax runs across its lanes.
//!
//! The formulas, with the papers they come from and the choices that are ours: `docs/math.md`.
//!
//! Bit reproducibility: every reduction has a fixed order; the posterior's multiply-adds (the
//! distance accumulation, the weighted sums) are fused with the one correctly rounded
//! [`fused_multiply_add::fma`] (hardware `VFMA.F32` on the Cortex-M4F, `VFMADD` on x86-64 where
//! the build or the host's lane vectors have FMA3, `libm`'s correctly rounded software one
//! elsewhere: the same bits), and nothing else is fused (the compiler never contracts on its own); the softmax exponential is
//! our own straight-line f32 code, and the other elementary functions
//! go through `libm` (pure software). The `fast-math` feature swaps those others (schedules,
//! logarithms) for `micromath`; the softmax exponential stays.
//!
//! # Example: the CLI's first sample, with fixed buffers
//!
//! `smoothscore sample` (VP-SDE, Euler–Maruyama, 1000 geometric steps to t_min = 10⁻³, denoised
//! final step, seed 0) writes `-1.4058,0.17` as the first row of `samples.csv`. The same bits
//! from the core, with nothing allocated (the data parsing is the example's own; the core takes
//! any row-major `&[f32]`):
//!
//! ```
//! use smoothscore_core::rng::SampleStreams;
//! use smoothscore_core::{Dataset, EmpiricalScore, FinalStep, Integrator, Process};
//! use smoothscore_core::{ReverseSampler, Spacing, Workspace};
//!
//! let mut rows = [0.0_f32; 128]; // the 64 points of fixtures/default-2d.csv
//! let text = include_str!("../../fixtures/default-2d.csv");
//! for (slot, field) in rows.iter_mut().zip(text.lines().skip(1).flat_map(|l| l.split(','))) {
//!     *slot = field.parse().unwrap();
//! }
//! let data = Dataset::new(&rows, 2)?;
//! let score = EmpiricalScore::new(data, Process::VP_LINEAR)?;
//! let sampler = ReverseSampler::new(
//!     Process::VP_LINEAR,
//!     Integrator::EulerMaruyama,
//!     1e-3,
//!     1000,
//!     Spacing::Geometric,
//!     FinalStep::Denoise,
//! )?;
//! let mut workspace = Workspace::<2>::new(2)?;
//! let mut stream = SampleStreams::new(0).next().unwrap(); // sample j uses stream j
//! let mut sample = [0.0_f32; 2];
//! sampler.sample(&score, &mut stream, &mut sample, &mut workspace)?;
//! assert_eq!(sample, [-1.4058, 0.17]);
//! # Ok::<(), smoothscore_core::Error>(())
//! ```
//!
//! Features: `wide` (default) builds the path for data of dimension d > 8
//! ([`posterior::NARROW_DIM`]); without it, [`Dataset::new`] rejects such data with
//! [`Error::WideDataNotBuilt`] and the wide code is left out of the binary (the firmware builds
//! the core that way). Narrow data gets the same bits either way.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod dataset;
pub mod error;
pub mod fused_multiply_add;
pub mod kernel_points;
pub mod kernel_smoothed;
pub mod lane_vector;
pub mod lanes;
pub mod line_score;
pub mod math;
pub mod network;
pub mod pinned;
pub mod pinned_smoothed;
pub mod posterior;
pub mod rng;
pub mod sampler;
pub mod schedule;
pub mod score;
pub mod score_kind;
#[cfg(test)]
mod test_support;
pub mod vector_exp;

pub use dataset::Dataset;
pub use error::{Error, Input};
pub use kernel_points::KernelRule;
pub use kernel_smoothed::{Bandwidth, KernelSmoothedScore};
pub use line_score::{LineData, LineScore, LineScoreKind};
pub use network::{
    Activation, Network, NetworkDrift, NetworkOutput, NetworkScore, NetworkShape, TimeInput,
};
pub use pinned::{DriftField, PinnedBrownianMotion};
pub use pinned_smoothed::KernelSmoothedPinned;
pub use posterior::batched;
pub use posterior::batched::BatchScoreField;
pub use sampler::{
    EdmChurn, FinalStep, Integrator, PinnedSampler, Prior, ReverseSampler, Spacing, StepPlan,
    TimeGrid, TrialScoreNeeded, Workspace,
};
pub use schedule::Process;
pub use score::{EmpiricalScore, ScoreField};
pub use score_kind::AnyScore;
