//! The score of an ε-prediction network under a forward process: s(x, t) = −ε̂(x, t) / σ_t.

use super::forward::Network;
use super::shape::NetworkOutput;
use crate::batched::BatchScoreField;
use crate::error::Error;
use crate::math;
use crate::schedule::Process;
use crate::score::{check_output, ScoreField};

/// A learned score s(x, t) = −ε̂(x, t) / σ_t from a [`NetworkOutput::Epsilon`] network under a
/// forward process X_t = α_t X_0 + σ_t Z, with the posterior mean (denoiser)
/// m(x, t) = (x + σ_t² s(x, t)) / α_t.
///
/// `CAP` bounds the network's widest vector (max(d + 2K, width)): the [`ScoreField`] and
/// [`BatchScoreField`] evaluations keep their two activation buffers on the stack (2·`CAP` f32
/// per call, zeroed once per call; a batch shares them). Callers with their own buffer use
/// [`Self::score_with`] and [`Self::posterior_mean_with`], which have the same bits.
///
/// Error: ε̂ carries the forward pass's bound ([`Network::forward`]); σ_t = √σ_t² adds u/2,
/// the division u, so |ŝ_k − s_k| ≤ |ε̂ error_k| / σ_t + γ_2 |s_k|.
#[derive(Clone, Copy, Debug)]
pub struct NetworkScore<'a, const CAP: usize> {
    network: Network<'a>,
    process: Process,
}

impl<'a, const CAP: usize> NetworkScore<'a, CAP> {
    /// The score of `network` under `process`. Errors: the network predicts the drift
    /// ([`Error::WrongNetworkOutput`]), its widest vector exceeds `CAP`
    /// ([`Error::CapacityExceeded`]), or the process's parameters are invalid.
    pub fn new(network: Network<'a>, process: Process) -> Result<Self, Error> {
        network.check_use(NetworkOutput::Epsilon, CAP)?;
        process.validate()?;
        Ok(NetworkScore { network, process })
    }

    /// The network.
    pub fn network(&self) -> &Network<'a> {
        &self.network
    }

    /// The forward process.
    pub fn process(&self) -> &Process {
        &self.process
    }

    /// ε̂(x, t) into `out`; returns (α_t, σ_t²). t is checked against the process's domain.
    pub fn epsilon_with(
        &self,
        t: f32,
        x: &[f32],
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(f32, f32), Error> {
        let (alpha_t, sigma_squared) = self.process.coefficients(t)?;
        let conditioning = self.network.conditioning(t, alpha_t, sigma_squared);
        self.network.forward(&conditioning, x, scratch, out)?;
        Ok((alpha_t, sigma_squared))
    }

    /// s(x, t) = −(ε̂_k / σ_t) into `out`, σ_t = √σ_t², with caller scratch
    /// ([`super::NetworkShape::scratch_len`] f32); returns (α_t, σ_t²).
    pub fn score_with(
        &self,
        t: f32,
        x: &[f32],
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(f32, f32), Error> {
        let coefficients = self.epsilon_with(t, x, scratch, out)?;
        let sigma_t = math::sqrt(coefficients.1);
        for o in out.iter_mut() {
            *o = -(*o / sigma_t);
        }
        check_output(out, "score")?;
        Ok(coefficients)
    }

    /// m(x, t) = (x_k + σ_t²·s_k) / α_t into `out`, with caller scratch.
    pub fn posterior_mean_with(
        &self,
        t: f32,
        x: &[f32],
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        let (alpha_t, sigma_squared) = self.score_with(t, x, scratch, out)?;
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = (xk + sigma_squared * *o) / alpha_t;
        }
        check_output(out, "posterior mean")
    }

    /// [`Self::posterior_mean_with`] with the stack scratch of `CAP`.
    pub fn posterior_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let mut scratch = [[0.0f32; CAP]; 2];
        self.posterior_mean_with(t, x, scratch.as_flattened_mut(), out)
    }
}

impl<const CAP: usize> ScoreField for NetworkScore<'_, CAP> {
    fn dim(&self) -> usize {
        self.network.shape().dim
    }

    /// [`NetworkScore::score_with`] with the stack scratch of `CAP`.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let mut scratch = [[0.0f32; CAP]; 2];
        self.score_with(t, x, scratch.as_flattened_mut(), out)
            .map(|_| ())
    }
}

/// The B points one after another through [`NetworkScore::score_with`] with one shared stack
/// scratch: bit-identical to the single-point score.
impl<const CAP: usize> BatchScoreField for NetworkScore<'_, CAP> {
    fn dim(&self) -> usize {
        self.network.shape().dim
    }

    fn score_batch(&self, t: f32, points: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let dim = self.network.shape().dim;
        if points.len() != out.len() || !points.len().is_multiple_of(dim) {
            return Err(Error::DimensionMismatch {
                expected: dim,
                found: points.len(),
            });
        }
        let mut scratch = [[0.0f32; CAP]; 2];
        for (x, o) in points.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
            self.score_with(t, x, scratch.as_flattened_mut(), o)?;
        }
        Ok(())
    }
}
