//! One type for every score the samplers can follow, so a caller chooses at run time without
//! dynamic allocation or trait objects.

use crate::error::Error;
use crate::kernel_smoothed::KernelSmoothedScore;
use crate::line_score::LineScore;
use crate::network::NetworkScore;
use crate::score::{EmpiricalScore, ScoreField};

/// The exact empirical score, its kernel-smoothed version (up to `CAP` dimensions), Chen's
/// (smoothed) piecewise-linear score for data on a line, or a learned score (networks whose
/// widest vector is at most `CAP`).
#[derive(Clone, Copy, Debug)]
pub enum AnyScore<'a, const CAP: usize> {
    /// s_t^N, closed form.
    Exact(EmpiricalScore<'a>),
    /// K_h * s_t^N.
    KernelSmoothed(KernelSmoothedScore<'a, CAP>),
    /// PL-ESF or smoothed PL-ESF.
    Line(LineScore<'a>),
    /// −ε̂/σ_t of a trained network.
    Network(NetworkScore<'a, CAP>),
}

impl<const CAP: usize> ScoreField for AnyScore<'_, CAP> {
    fn dim(&self) -> usize {
        match self {
            AnyScore::Exact(score) => score.dim(),
            AnyScore::KernelSmoothed(score) => score.dim(),
            AnyScore::Line(score) => score.dim(),
            AnyScore::Network(score) => score.dim(),
        }
    }

    /// Dispatches to the chosen score.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        match self {
            AnyScore::Exact(score) => score.score(t, x, out),
            AnyScore::KernelSmoothed(score) => score.score(t, x, out),
            AnyScore::Line(score) => score.score(t, x, out),
            AnyScore::Network(score) => score.score(t, x, out),
        }
    }
}
