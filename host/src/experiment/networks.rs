//! Score networks trained inside the learned-score experiments (feature `train`): one recipe
//! (architecture and optimisation flags shared by `network-smoothing` and
//! `effective-bandwidth`), trained with [`crate::learned::train::train`] exactly as
//! `smoothscore train` does, with nothing held out and one loss evaluation at the end.
//! `experiment pbm --scores net` trains its VP and pinned networks with the same function.

use crate::learned::train::{train, ArchitectureSettings, LearningRateSchedule, TrainSettings};
use crate::matrix::MatrixView;
use crate::sampling::network::{ActivationName, TrainedNetwork};
use crate::sampling::process_spec::ProcessSpec;
use anyhow::{bail, Result};
use clap::Args;

/// The networks' architecture and training options.
#[derive(Clone, Debug, Args)]
pub struct NetworkRecipe {
    /// Hidden units of the networks.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub width: usize,
    /// Hidden layers of the networks (1: a two-layer network).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub depth: usize,
    /// Hidden-layer activation of the networks.
    #[arg(long, value_enum, default_value = "relu")]
    pub activation: ActivationName,
    /// Fourier time features K of the networks. Few: the k-th turns 2^k/2 times over the
    /// training range, and networks with K = 8 fit no tangential structure of the line set
    /// at all (measured: the tangent score stays ≈ 0, loss ≈ 0.5, with 8; it is learned with 2).
    #[arg(long, default_value_t = 2, allow_negative_numbers = true, value_parser = crate::io::limits::count(0, usize::MAX))]
    pub time_features: usize,
    /// Optimizer steps per network.
    #[arg(long, default_value_t = 4000, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub train_steps: usize,
    /// Examples per optimizer step.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub batch: usize,
    /// AdamW learning rate (cosine schedule).
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
}

/// A trained network and its final training loss (mean over the time buckets).
pub struct TrainedRun {
    /// The network.
    pub network: TrainedNetwork,
    /// Its final training loss.
    pub final_loss: f64,
}

/// Trains a network of `recipe` with weight decay `weight_decay` on `points` for `process` (a
/// reverse process: denoising score matching; the pinned process: drift matching), training
/// times down to `t_min` (pbm: up to 1 − `t_min`), from `seed`, on the current rayon pool.
pub fn train_network(
    points: MatrixView<'_>,
    process: ProcessSpec,
    recipe: &NetworkRecipe,
    weight_decay: f64,
    t_min: f32,
    seed: u64,
) -> Result<TrainedRun> {
    if !(weight_decay.is_finite() && weight_decay >= 0.0) {
        bail!("--weight-decays must be numbers ≥ 0, got {weight_decay}");
    }
    let trained = train(
        points,
        process,
        &ArchitectureSettings {
            width: recipe.width,
            depth: recipe.depth,
            activation: recipe.activation.into(),
            time_features: recipe.time_features,
        },
        &TrainSettings {
            steps: recipe.train_steps,
            batch: recipe.batch,
            lr: recipe.lr,
            schedule: LearningRateSchedule::Cosine,
            weight_decay,
            seed,
            eval_every: recipe.train_steps.max(1),
            validation_fraction: 0.0,
            t_min,
        },
        |_, _| {},
    )?;
    let final_loss = trained
        .history
        .last()
        .map_or(f64::NAN, |point| point.train_mean());
    Ok(TrainedRun {
        network: trained.network,
        final_loss,
    })
}
