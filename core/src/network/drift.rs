//! A learned Föllmer drift for the pinned Brownian motion: the network's output is u(x, t).

use super::forward::Network;
use super::shape::NetworkOutput;
use crate::error::Error;
use crate::pinned::{check_time, DriftField};
use crate::score::check_output;

/// A learned drift u(x, t) = o(x, t) from a [`NetworkOutput::Drift`] network for the pinned
/// Brownian motion X_t = t·X_1 + σ√(t(1−t)) Z, so α_t = t and σ_t² = (σ·σ)·(t·(1 − t)) in the
/// network's input (c_in = 1/σ_data at t = 0, where both vanish). The terminal mean (the
/// sampler's final denoising step) is E[X_1 | X_t = x] ≈ x + (1 − t)·u(x, t).
///
/// `CAP` bounds the widest vector as for [`super::NetworkScore`]; [`Self::drift_with`] takes
/// caller scratch instead. Error: the forward pass's bound ([`Network::forward`]).
#[derive(Clone, Copy, Debug)]
pub struct NetworkDrift<'a, const CAP: usize> {
    network: Network<'a>,
    sigma: f32,
}

impl<'a, const CAP: usize> NetworkDrift<'a, CAP> {
    /// The drift of `network` for the pinned process with diffusion coefficient σ > 0. Errors:
    /// the network predicts ε ([`Error::WrongNetworkOutput`]), its widest vector exceeds `CAP`
    /// ([`Error::CapacityExceeded`]), σ is not finite and positive.
    pub fn new(network: Network<'a>, sigma: f32) -> Result<Self, Error> {
        network.check_use(NetworkOutput::Drift, CAP)?;
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::InvalidParameter {
                name: "sigma",
                value: sigma,
            });
        }
        Ok(NetworkDrift { network, sigma })
    }

    /// The network.
    pub fn network(&self) -> &Network<'a> {
        &self.network
    }

    /// u(x, t) into `out` for 0 ≤ t < 1, with caller scratch
    /// ([`super::NetworkShape::scratch_len`] f32).
    pub fn drift_with(
        &self,
        t: f32,
        x: &[f32],
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        check_time(t)?;
        let sigma_squared = self.sigma * self.sigma * (t * (1.0 - t));
        let conditioning = self.network.conditioning(t, t, sigma_squared);
        self.network.forward(&conditioning, x, scratch, out)
    }
}

impl<const CAP: usize> DriftField for NetworkDrift<'_, CAP> {
    fn dim(&self) -> usize {
        self.network.shape().dim
    }

    fn sigma(&self) -> f32 {
        self.sigma
    }

    /// x_k + (1 − t)·u_k(x, t).
    fn terminal_mean(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.drift(t, x, out)?;
        let gap = 1.0 - t;
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = xk + gap * *o;
        }
        check_output(out, "terminal mean")
    }

    /// The network's output, with the stack scratch of `CAP`.
    fn drift(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let mut scratch = [[0.0f32; CAP]; 2];
        self.drift_with(t, x, scratch.as_flattened_mut(), out)
    }
}
