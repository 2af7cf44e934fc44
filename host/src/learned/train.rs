//! The training loop (feature `train`): seeded batches of [`Objective`] examples, AdamW
//! (candle-nn's, fused: [`super::adamw`]) with a cosine, linear or constant learning rate, and a fixed per-time-bucket
//! evaluation of the loss on training and held-out points every `eval_every` steps.
//!
//! Random streams (xoshiro256++ of `seed`, jumped as [`SampleStreams`]): 0 the initial weights,
//! 1 the training batches (point indices, times, noise), 2 the held-out evaluation draws, 3 the
//! split into training and held-out rows, 4 the training-point evaluation draws. Reproducible:
//! the same data, settings and seed give the same weights bit for bit; candle's matrix
//! products split their rows over RAYON_NUM_THREADS (default: all cores) tasks, and each output
//! element is one sequential dot product whatever the split, so the thread count does not
//! change the bits either (tests compare 1 and 2 threads).

use super::adamw::FusedAdamW;
use super::architecture::{network_shape, time_frequencies, training_bytes};
use super::model::Mlp;
use super::objective::{Buffers, Objective, Preconditioning};
use crate::matrix::MatrixView;
use crate::sampling::network::TrainedNetwork;
use crate::sampling::process_spec::ProcessSpec;
use anyhow::{anyhow, bail, Result};
use candle_core::{Device, Tensor};
use candle_nn::ParamsAdamW;
use rand_core::RngCore;
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};
use std::collections::BTreeMap;

/// Time buckets of the evaluation (equal widths in the training time coordinate).
pub const BUCKETS: usize = 8;

/// Evaluation examples per bucket (each of the training and the held-out set).
pub const EXAMPLES_PER_BUCKET: usize = 256;

/// The learning-rate schedule over the steps s = 0 … S − 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LearningRateSchedule {
    /// η_s = η · ½(1 + cos(π s / S)).
    Cosine,
    /// η_s = η · (1 − s / S).
    Linear,
    /// η_s = η.
    Constant,
}

impl LearningRateSchedule {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::Linear => "linear",
            Self::Constant => "constant",
        }
    }

    /// η_s for base rate `lr` at step `step` of `steps`.
    pub fn rate(self, lr: f64, step: usize, steps: usize) -> f64 {
        let progress = step as f64 / steps.max(1) as f64;
        match self {
            Self::Cosine => lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
            Self::Linear => lr * (1.0 - progress),
            Self::Constant => lr,
        }
    }
}

/// The architecture options.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchitectureSettings {
    /// Hidden units per layer.
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    /// The hidden layers' activation.
    pub activation: smoothscore_core::Activation,
    /// K.
    pub time_features: usize,
}

/// The optimisation options.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSettings {
    /// Optimizer steps.
    pub steps: usize,
    /// Examples per step.
    pub batch: usize,
    /// Base learning rate η.
    pub lr: f64,
    /// Its schedule.
    pub schedule: LearningRateSchedule,
    /// AdamW's decoupled weight decay λ (θ ← θ(1 − ηλ) each step, weights and biases).
    pub weight_decay: f64,
    /// Seed of the random streams.
    pub seed: u64,
    /// Steps between evaluations (and the last step).
    pub eval_every: usize,
    /// Fraction of the rows held out (⌊N·f⌋ rows).
    pub validation_fraction: f64,
    /// The smallest training time (pbm: the gap 1 − t_max).
    pub t_min: f32,
}

/// One evaluation of the loss curve.
#[derive(Clone, Debug, PartialEq)]
pub struct LossPoint {
    /// Steps done.
    pub step: usize,
    /// Mean loss of the training batches since the previous evaluation.
    pub batch_loss: f64,
    /// The loss per time bucket on fixed draws from training points.
    pub train: Vec<f64>,
    /// The same on held-out points (none held out: `None`).
    pub validation: Option<Vec<f64>>,
}

impl LossPoint {
    /// The mean over buckets of the training-point loss.
    pub fn train_mean(&self) -> f64 {
        mean(&self.train)
    }

    /// The mean over buckets of the held-out loss.
    pub fn validation_mean(&self) -> Option<f64> {
        self.validation.as_deref().map(mean)
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// A finished training run.
#[derive(Debug)]
pub struct Trained {
    /// The network (metadata with the training settings).
    pub network: TrainedNetwork,
    /// The loss curve.
    pub history: Vec<LossPoint>,
    /// Rows trained on.
    pub train_rows: usize,
    /// Rows held out.
    pub validation_rows: usize,
    /// The bucket edges in t (BUCKETS + 1 values).
    pub bucket_times: Vec<f32>,
}

/// Fixed inputs, targets and weights of a set of examples, as tensors.
struct Examples {
    input: Tensor,
    target: Tensor,
    weight: Tensor,
    count: usize,
}

/// Everything that turns random draws into examples.
struct ExampleMaker<'a> {
    objective: Objective,
    preconditioning: Preconditioning<'a>,
    range: (f64, f64),
    dim: usize,
    input_len: usize,
}

/// A uniform draw in [0, 1) from 53 random bits.
fn unit<R: RngCore + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform index below `n` (the high half of a 64-bit product: no division).
fn index_below<R: RngCore + ?Sized>(rng: &mut R, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

impl ExampleMaker<'_> {
    /// `count` examples: row `rows(e)` of `data`, time coordinate uniform in the sub-range
    /// `coordinate(e)` ⊂ [0, 1) of the training range, N(0, I) noise, all from `rng`.
    fn make(
        &self,
        data: MatrixView<'_>,
        count: usize,
        rng: &mut impl RngCore,
        mut row_and_bucket: impl FnMut(usize, &mut dyn RngCore) -> (usize, (f64, f64)),
    ) -> Result<Examples> {
        let (dim, input_len) = (self.dim, self.input_len);
        let mut inputs = vec![0.0f32; count * input_len];
        let mut targets = vec![0.0f32; count * dim];
        let mut weights = vec![0.0f32; count];
        let mut noise = vec![0.0f32; dim];
        let mut state = vec![0.0f32; dim];
        for e in 0..count {
            let (row, (low, high)) = row_and_bucket(e, rng);
            let u = low + (high - low) * unit(rng);
            let t = self
                .objective
                .time_at(self.range.0 + (self.range.1 - self.range.0) * u);
            fill_standard_normal(rng, &mut noise);
            let x0 = &data.values()[row * dim..(row + 1) * dim];
            weights[e] = self.objective.example(
                &self.preconditioning,
                x0,
                t,
                &noise,
                Buffers {
                    state: &mut state,
                    input: &mut inputs[e * input_len..(e + 1) * input_len],
                    target: &mut targets[e * dim..(e + 1) * dim],
                },
            )?;
        }
        Ok(Examples {
            input: Tensor::from_vec(inputs, (count, input_len), &Device::Cpu)?,
            target: Tensor::from_vec(targets, (count, dim), &Device::Cpu)?,
            weight: Tensor::from_vec(weights, (count, 1), &Device::Cpu)?,
            count,
        })
    }

    /// The fixed evaluation set of `rows`: [`EXAMPLES_PER_BUCKET`] examples in each bucket,
    /// cycling over the rows.
    fn evaluation_set(
        &self,
        data: MatrixView<'_>,
        rows: &[usize],
        seed: u64,
        stream: usize,
    ) -> Result<Examples> {
        let mut rng = SampleStreams::new(seed)
            .nth(stream)
            .ok_or_else(|| anyhow!("no random stream"))?;
        self.make(data, BUCKETS * EXAMPLES_PER_BUCKET, &mut rng, |e, _| {
            let bucket = e / EXAMPLES_PER_BUCKET;
            (
                rows[e % rows.len()],
                (
                    bucket as f64 / BUCKETS as f64,
                    (bucket + 1) as f64 / BUCKETS as f64,
                ),
            )
        })
    }
}

/// The weighted squared error per example, λ_e ‖o_e − y_e‖² / d, as a [count] tensor.
fn example_losses(model: &Mlp, examples: &Examples) -> Result<Tensor> {
    let error = (model.forward(&examples.input)? - &examples.target)?;
    Ok(error
        .sqr()?
        .mean_keepdim(1)?
        .mul(&examples.weight)?
        .flatten_all()?)
}

/// The mean loss per bucket of a fixed evaluation set.
fn bucket_losses(model: &Mlp, examples: &Examples) -> Result<Vec<f64>> {
    let losses = example_losses(model, examples)?.detach().to_vec1::<f32>()?;
    Ok(losses
        .chunks(examples.count / BUCKETS)
        .map(|bucket| bucket.iter().map(|&v| f64::from(v)).sum::<f64>() / bucket.len() as f64)
        .collect())
}

/// The split of N rows into training and held-out rows (Fisher–Yates on stream 3): ⌊N·f⌋ held out.
fn split_rows(rows: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(fraction.is_finite() && (0.0..1.0).contains(&fraction)) {
        bail!("--validation-fraction must be in [0, 1), got {fraction}");
    }
    let held_out = (rows as f64 * fraction).floor() as usize;
    if rows - held_out == 0 {
        bail!("no training rows left after holding out {held_out} of {rows}");
    }
    let mut order: Vec<usize> = (0..rows).collect();
    let mut rng = SampleStreams::new(seed)
        .nth(3)
        .ok_or_else(|| anyhow!("no random stream"))?;
    for i in (1..rows).rev() {
        order.swap(i, index_below(&mut rng, i + 1));
    }
    let validation = order.split_off(rows - held_out);
    Ok((order, validation))
}

/// μ and σ_data = RMS over all coordinates of x − μ of the rows `rows` (f64 sums, rounded once).
fn normalisation(data: MatrixView<'_>, rows: &[usize]) -> Result<(Vec<f32>, f32)> {
    let dim = data.cols();
    let row = |i: usize| &data.values()[i * dim..(i + 1) * dim];
    let mut mean = vec![0.0f64; dim];
    for &i in rows {
        for (m, &v) in mean.iter_mut().zip(row(i)) {
            *m += f64::from(v);
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
    let mut squares = 0.0f64;
    for &i in rows {
        for (m, &v) in mean.iter().zip(row(i)) {
            squares += (f64::from(v) - m).powi(2);
        }
    }
    let std = (squares / (rows.len() * dim) as f64).sqrt() as f32;
    if !(std.is_finite() && std > 0.0 && (std * std) > 0.0) {
        bail!("the training rows have no spread (σ_data = {std}); the network's input needs σ_data > 0");
    }
    Ok((mean.iter().map(|&m| m as f32).collect(), std))
}

/// Trains a network on `data` for the process `spec`; `on_step(step, loss)` sees every
/// step's batch loss (the progress bar). Fails before allocating when the run would exceed
/// the memory limit, and on a non-finite loss (divergence).
pub fn train(
    data: MatrixView<'_>,
    spec: ProcessSpec,
    architecture: &ArchitectureSettings,
    settings: &TrainSettings,
    mut on_step: impl FnMut(usize, f64),
) -> Result<Trained> {
    for (flag, value) in [
        ("--steps", settings.steps),
        ("--batch", settings.batch),
        ("--eval-every", settings.eval_every),
    ] {
        if value == 0 {
            bail!("{flag} must be at least 1, got 0");
        }
    }
    if !(settings.lr.is_finite() && settings.lr > 0.0) {
        bail!("--lr must be a positive number, got {}", settings.lr);
    }
    if !(settings.weight_decay.is_finite() && settings.weight_decay >= 0.0) {
        bail!(
            "--weight-decay must be a number ≥ 0, got {}",
            settings.weight_decay
        );
    }
    let dim = data.cols();
    let objective = Objective::new(spec);
    let shape = network_shape(
        dim,
        architecture.width,
        architecture.depth,
        architecture.activation,
        architecture.time_features,
        objective.output(),
        objective.time_input(),
    )?;
    let largest = settings.batch.max(BUCKETS * EXAMPLES_PER_BUCKET);
    crate::io::limits::require_memory(
        &format!(
            "training {} parameters with --batch {}",
            shape.parameter_count()?,
            settings.batch
        ),
        training_bytes(&shape, largest).saturating_mul(3),
    )?;
    let range = objective.coordinate_range(settings.t_min)?;
    let (c_min, c_max) = objective.time_value_range(settings.t_min)?;
    let frequencies = time_frequencies(shape.time_features, c_min.min(c_max), c_max.max(c_min))?;
    let (train_rows, validation_rows) =
        split_rows(data.rows(), settings.validation_fraction, settings.seed)?;
    let (data_mean, data_std) = normalisation(data, &train_rows)?;
    let maker = ExampleMaker {
        objective,
        preconditioning: Preconditioning {
            data_mean: &data_mean,
            data_std,
            time_frequencies: &frequencies,
        },
        range,
        dim,
        input_len: shape.input_len(),
    };
    let mut streams = SampleStreams::new(settings.seed);
    let (Some(mut init_rng), Some(mut batch_rng)) = (streams.next(), streams.next()) else {
        bail!("no random stream");
    };
    let model = Mlp::init(shape, &mut init_rng)?;
    let mut optimizer = FusedAdamW::new(
        model.vars(),
        ParamsAdamW {
            lr: settings.lr,
            weight_decay: settings.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let train_set = maker.evaluation_set(data, &train_rows, settings.seed, 4)?;
    let validation_set = match validation_rows.is_empty() {
        true => None,
        false => Some(maker.evaluation_set(data, &validation_rows, settings.seed, 2)?),
    };
    let evaluate = |model: &Mlp, step: usize, batch_loss: f64| -> Result<LossPoint> {
        Ok(LossPoint {
            step,
            batch_loss,
            train: bucket_losses(model, &train_set)?,
            validation: validation_set
                .as_ref()
                .map(|set| bucket_losses(model, set))
                .transpose()?,
        })
    };
    let mut history = vec![evaluate(&model, 0, f64::NAN)?];
    let (mut loss_sum, mut loss_count) = (0.0f64, 0usize);
    for step in 0..settings.steps {
        let batch = maker.make(data, settings.batch, &mut batch_rng, |_, rng| {
            (train_rows[index_below(rng, train_rows.len())], (0.0, 1.0))
        })?;
        let loss = example_losses(&model, &batch)?.mean_all()?;
        let value = f64::from(loss.to_scalar::<f32>()?);
        if !value.is_finite() {
            bail!(
                "training diverged at step {} (loss {value}); try a smaller --lr",
                step + 1
            );
        }
        optimizer.set_learning_rate(settings.schedule.rate(settings.lr, step, settings.steps));
        optimizer.backward_step(&loss)?;
        loss_sum += value;
        loss_count += 1;
        on_step(step + 1, value);
        if (step + 1) % settings.eval_every == 0 || step + 1 == settings.steps {
            history.push(evaluate(&model, step + 1, loss_sum / loss_count as f64)?);
            (loss_sum, loss_count) = (0.0, 0);
        }
    }
    let last = history
        .last()
        .cloned()
        .ok_or_else(|| anyhow!("no evaluation"))?;
    let mut metadata = BTreeMap::new();
    let mut set = |key: &str, value: String| {
        metadata.insert(key.to_owned(), value);
    };
    set(
        "parameterization",
        match objective {
            Objective::Denoising(_) => "epsilon-prediction: loss |eps_hat(x_t, t) - eps|^2 (score matching with lambda(t) = sigma_t^2), score = -eps_hat / sigma_t".into(),
            Objective::Drift { .. } => "drift matching: loss (1 - t) |u_hat(x_t, t) - (x_1 - x_t) / (1 - t)|^2, the Foellmer drift of the pinned Brownian motion".into(),
        },
    );
    set(
        "normalisation",
        "input c_in(t) (x - alpha_t data_mean), c_in = 1 / sqrt(alpha_t^2 data_std^2 + sigma_t^2); data_std = RMS over all coordinates of x - data_mean (training rows)".into(),
    );
    set(
        "time_features_of",
        "sin and cos of omega_k c(t), omega_k = 2^k pi / (c_max - c_min) over the training times"
            .into(),
    );
    set("train.steps", settings.steps.to_string());
    set("train.batch", settings.batch.to_string());
    set("train.optimizer", "AdamW (candle-nn), beta1 0.9, beta2 0.999, eps 1e-8, decoupled decay of weights and biases".into());
    set("train.lr", settings.lr.to_string());
    set("train.lr_schedule", settings.schedule.name().into());
    set("train.weight_decay", settings.weight_decay.to_string());
    set("train.seed", settings.seed.to_string());
    set(
        "train.init",
        "W, b ~ U(+-1/sqrt(fan_in)) from xoshiro256++ stream 0 of the seed".into(),
    );
    set(
        "train.time_sampling",
        match objective {
            Objective::Denoising(_) => "log-uniform in [t_min, T]",
            Objective::Drift { .. } => "uniform in [0, 1 - t_min]",
        }
        .into(),
    );
    set("train.t_min", settings.t_min.to_string());
    set(
        "train.validation_fraction",
        settings.validation_fraction.to_string(),
    );
    set("train.rows", train_rows.len().to_string());
    set("train.validation_rows", validation_rows.len().to_string());
    set(
        "train.final_train_loss",
        format!("{:.6}", last.train_mean()),
    );
    if let Some(validation) = last.validation_mean() {
        set("train.final_validation_loss", format!("{validation:.6}"));
    }
    let bucket_times = (0..=BUCKETS)
        .map(|j| objective.time_at(range.0 + (range.1 - range.0) * j as f64 / BUCKETS as f64))
        .collect();
    Ok(Trained {
        network: TrainedNetwork {
            shape,
            weights: model.flat_weights()?,
            time_frequencies: frequencies,
            data_mean,
            data_std,
            process: spec,
            metadata,
            source: "<trained>".into(),
        },
        history,
        train_rows: train_rows.len(),
        validation_rows: validation_rows.len(),
        bucket_times,
    })
}
