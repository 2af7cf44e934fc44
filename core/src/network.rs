//! Learned scores: an MLP with time conditioning over borrowed f32 weights, evaluated in the
//! core's fixed summation order (the network contract, `docs/network-contract.md`).
//!
//! Input z ∈ ℝ^{d + 2K}: z_k = c_in(t)·(x_k − α_t μ_k) with c_in(t) = 1/√(α_t² σ_data² + σ_t²),
//! z_{d+k} = sin(ω_k c(t)), z_{d+K+k} = cos(ω_k c(t)), c(t) = ln σ_t, t or
//! ln(α_t/σ_t) ([`time_features`]). Hidden layers h_{l+1} = act(W_l h_l + b_l) (relu or silu,
//! [`activation`]), `depth` of them with `width` units; output o = W_L h_L + b_L of d values
//! ([`layer`]). The weights are one flat row-major buffer, W_l (out_l × in_l) then b_l (out_l),
//! layer after layer ([`NetworkShape`]).
//!
//! - [`NetworkScore`]: o = ε̂(x, t), s = −ε̂/σ_t under a [`crate::Process`]; a [`ScoreField`]
//!   and a [`crate::BatchScoreField`], so the reverse samplers and the lockstep driver follow it.
//! - [`NetworkDrift`]: o = u(x, t), the Föllmer drift of the pinned Brownian motion; a
//!   [`crate::DriftField`] for the pinned sampler.
//!
//! Every dot product is [`crate::lanes::dot`] (16 lanes over the input index, the fixed lane
//! tree), nothing is fused or reassociated, and sin, cos, ln, exp, √ go through `libm`: the
//! same bits on every target. Forward error bound: layer l adds at most
//! γ_{⌈in_l/16⌉+5} (Σ_i |W_ji||h_i| + |b_j|) to output j (γ_m = m·u/(1 − m·u), u = 2⁻²⁴),
//! propagated through the later layers by |W| and the activation's Lipschitz constant
//! ([`Network::forward`]). Nothing allocates: the activations ping-pong between two buffers
//! of max(d + 2K, width) f32, from the caller or on the stack (`CAP`).
//!
//! [`ScoreField`]: crate::ScoreField

pub mod activation;
pub mod drift;
pub mod forward;
pub mod layer;
pub mod score;
pub mod shape;
#[cfg(test)]
mod tests;
pub mod time_features;

pub use drift::NetworkDrift;
pub use forward::Network;
pub use score::NetworkScore;
pub use shape::{Activation, NetworkOutput, NetworkShape, TimeInput};
pub use time_features::Conditioning;
