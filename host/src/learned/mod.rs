//! Training score networks (`smoothscore train`). The trained network is a score like any
//! other ([`crate::sampling::network`], its file [`crate::sampling::network_file`]), evaluated
//! everywhere through the core's [`smoothscore_core::NetworkScore`] and
//! [`smoothscore_core::NetworkDrift`]; this module only makes it.
//!
//! - [`architecture`]: the network's shape from the command line, its Fourier time
//!   frequencies, and the size checks made before anything is allocated.
//! - [`objective`]: the training examples (network input, target, weight λ(t)) of denoising
//!   score matching (ε-prediction) and of Föllmer-drift matching for the pinned process.
//! - `model`, `fused`, `adamw`, `train` (feature `train`): the candle MLP, its fused
//!   bias and activation ops, AdamW in one pass per variable, and the training loop with its
//!   per-time-bucket loss curve.
//!
//! The parameterization (the docs of [`objective`] say why): a reverse process trains
//! ε̂(x, t) with λ(t) = σ_t² score-matching weight, i.e. the loss E‖ε̂(α_t x₀ + σ_t ε, t) − ε‖²,
//! and the score is s = −ε̂/σ_t; the pinned Brownian motion trains the drift u(x, t) on the
//! bridge target (X₁ − X_t)/(1 − t) with λ(t) = 1 − t.

#[cfg(feature = "train")]
pub mod adamw;
pub mod architecture;
#[cfg(feature = "train")]
pub mod fused;
#[cfg(feature = "train")]
pub mod model;
pub mod objective;
#[cfg(feature = "train")]
pub mod train;
