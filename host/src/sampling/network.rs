//! A trained network held by the host (owned tensors, the process it was trained for, its
//! metadata) and the core views that evaluate it: [`Network`], [`NetworkScore`],
//! [`NetworkDrift`]. The host has no forward pass of its own: every evaluation is the core's.

use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::score_spec::MAX_DIM;
use anyhow::{anyhow, bail, Result};
use smoothscore_core::{Network, NetworkDrift, NetworkScore, NetworkShape, Process};
use std::collections::BTreeMap;
use std::fmt;

/// Checks `shape` by the core's rules ([`NetworkShape::validate`]) and that its widest vector
/// max(d + 2K, width) fits the host's score buffers ([`MAX_DIM`]).
pub fn check_shape(shape: &NetworkShape) -> Result<()> {
    shape.validate()?;
    if shape.widest() > MAX_DIM {
        bail!(
            "the network's widest vector max(d + 2K, width) = {} exceeds the host's capacity {MAX_DIM}",
            shape.widest()
        );
    }
    Ok(())
}

/// The hidden-layer activation as a command-line choice (`--activation relu|silu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ActivationName {
    /// relu(y) = max(y, 0).
    Relu,
    /// silu(y) = y / (1 + e^{−y}).
    Silu,
}

impl From<ActivationName> for smoothscore_core::Activation {
    fn from(name: ActivationName) -> Self {
        match name {
            ActivationName::Relu => smoothscore_core::Activation::Relu,
            ActivationName::Silu => smoothscore_core::Activation::Silu,
        }
    }
}

/// A trained score network: the contract's tensors, the process it was trained for and the
/// file's metadata (architecture, normalisation, training settings).
#[derive(Clone, PartialEq)]
pub struct TrainedNetwork {
    /// The architecture.
    pub shape: NetworkShape,
    /// The flat weights in the contract's layout (W_l [out, in] row-major, then b_l, per layer).
    pub weights: Vec<f32>,
    /// The frequencies ω_k of the time features.
    pub time_frequencies: Vec<f32>,
    /// The data mean μ.
    pub data_mean: Vec<f32>,
    /// σ_data (RMS over all coordinates of x − μ).
    pub data_std: f32,
    /// The process the network was trained for.
    pub process: ProcessSpec,
    /// Every metadata entry of the file.
    pub metadata: BTreeMap<String, String>,
    /// Where it was read from (for errors), or `<memory>`.
    pub source: String,
}

impl fmt::Debug for TrainedNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrainedNetwork")
            .field("source", &self.source)
            .field("shape", &self.shape)
            .field("process", &self.process)
            .field("parameters", &self.weights.len())
            .finish_non_exhaustive()
    }
}

impl TrainedNetwork {
    /// The core's view of the tensors (checks shape, lengths, finite values, σ_data > 0).
    pub fn network(&self) -> Result<Network<'_>> {
        Network::new(
            self.shape,
            &self.weights,
            &self.time_frequencies,
            &self.data_mean,
            self.data_std,
        )
        .map_err(|e| anyhow!("{}: {e}", self.source))
    }

    /// Fails unless the run's process is the one the network was trained for.
    pub fn check_process(&self, run: &ProcessSpec) -> Result<()> {
        if *run != self.process {
            bail!(
                "{}: the network was trained for {}, but this run uses {} (pass the training run's process options)",
                self.source,
                crate::sampling::network_file::process_label(&self.process),
                crate::sampling::network_file::process_label(run)
            );
        }
        Ok(())
    }

    /// Fails unless the network is for data of dimension `dim`.
    pub fn check_dim(&self, dim: usize) -> Result<()> {
        if self.shape.dim != dim {
            bail!(
                "{}: the network is for d = {}, but the data has d = {dim}",
                self.source,
                self.shape.dim
            );
        }
        Ok(())
    }

    /// The learned score −ε̂/σ_t under `process` (which must be the training process).
    pub fn score(&self, process: Process) -> Result<NetworkScore<'_, MAX_DIM>> {
        self.check_process(&ProcessSpec::Reverse(process))?;
        NetworkScore::new(self.network()?, process).map_err(|e| anyhow!("{}: {e}", self.source))
    }

    /// The learned Föllmer drift of the pinned Brownian motion with coefficient `sigma` (which
    /// must be the training one).
    pub fn drift(&self, sigma: f32) -> Result<NetworkDrift<'_, MAX_DIM>> {
        self.check_process(&ProcessSpec::Pinned { sigma })?;
        NetworkDrift::new(self.network()?, sigma).map_err(|e| anyhow!("{}: {e}", self.source))
    }

    /// A one-line description for reports, e.g. `learned score (silu MLP 128×3, K = 8, 50,562
    /// parameters)`.
    pub fn describe(&self) -> String {
        let kind = match self.shape.output {
            smoothscore_core::NetworkOutput::Epsilon => "learned score",
            smoothscore_core::NetworkOutput::Drift => "learned drift",
        };
        format!(
            "{kind} ({} MLP {}×{}, K = {}, {} parameters)",
            self.shape.activation.name(),
            self.shape.width,
            self.shape.depth,
            self.shape.time_features,
            self.weights.len()
        )
    }
}
