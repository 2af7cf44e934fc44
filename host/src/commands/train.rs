//! `smoothscore train`: train a score network (denoising score matching; drift matching for
//! pbm) on a training set, write it as `.safetensors`, optionally plot the loss curve.

use crate::data::builtin::{builtin_default, data_or_default, BUILTIN_DEFAULT};
use crate::learned::train::{
    train, ArchitectureSettings, LearningRateSchedule, LossPoint, TrainSettings, Trained, BUCKETS,
};
use crate::manifest::{PathFlag, PathValue::Optional, PathValue::Required};
use crate::plot::Series;
use crate::sampling::network::ActivationName;
use crate::sampling::network_file as file;
use crate::sampling::process_spec::ProcessArgs;
use anyhow::{bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `smoothscore train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training set (.csv, .npy or IDX, N×d); default: the built-in 2-D two-moons set.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The forward process the network is trained for (pbm: the Föllmer drift).
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Hidden units per layer.
    #[arg(long, default_value_t = 128, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub width: usize,
    /// Hidden layers.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub depth: usize,
    /// Hidden-layer activation.
    #[arg(long, value_enum, default_value = "silu")]
    pub activation: ActivationName,
    /// K: Fourier time features sin/cos(ω_k c(t)), c = ln(α_t/σ_t) for vp and ou, ln σ_t for ve and brownian, t for pbm.
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::io::limits::count(0, usize::MAX))]
    pub time_features: usize,
    /// Optimizer steps.
    #[arg(long, default_value_t = 20_000, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub steps: usize,
    /// Examples per step.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub batch: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lr: f64,
    /// Learning-rate schedule: cosine, linear (decay to 0) or constant.
    #[arg(long, value_enum, default_value = "cosine")]
    pub lr_schedule: LearningRateSchedule,
    /// AdamW's decoupled weight decay λ (θ ← θ(1 − η_s λ) each step).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f64,
    /// Seed of the initial weights, batches and evaluation draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Steps between loss evaluations (per time bucket, training and held-out points).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub eval_every: usize,
    /// Fraction of the rows held out for the validation loss (⌊N·f⌋ rows).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub validation_fraction: f64,
    /// Smallest training time (pbm: the gap 1 − t_max), as `sample --t-min`.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub t_min: f32,
    /// Worker threads (0: all cores). The weights do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
    /// Output file (.safetensors).
    #[arg(long, default_value = "net.safetensors")]
    pub out: PathBuf,
    /// Also draw the training and validation loss curves (.png).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl TrainArgs {
    /// The path-valued flags (for manifests and `reproduce`).
    pub fn path_flags(&mut self) -> Vec<PathFlag<'_>> {
        vec![
            PathFlag::input("--data", Optional(&mut self.data, builtin_default())),
            PathFlag::output("--out", Required(&mut self.out)),
            PathFlag::output("--plot", Optional(&mut self.plot, None)),
        ]
    }

    fn settings(&self) -> Result<(ArchitectureSettings, TrainSettings)> {
        Ok((
            ArchitectureSettings {
                width: self.width,
                depth: self.depth,
                activation: self.activation.into(),
                time_features: self.time_features,
            },
            TrainSettings {
                steps: self.steps,
                batch: self.batch,
                lr: self.lr,
                schedule: self.lr_schedule,
                weight_decay: self.weight_decay,
                seed: self.seed,
                eval_every: self.eval_every,
                validation_fraction: self.validation_fraction,
                t_min: self.t_min,
            },
        ))
    }
}

/// Fails unless `path` ends in `.safetensors`.
fn require_safetensors(path: &Path) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("safetensors") => Ok(()),
        _ => bail!("{}: --out writes a .safetensors file", path.display()),
    }
}

/// The loss-curve series: the training batches, the fixed draws on training and held-out
/// points (mean over buckets), and the held-out loss of the first, middle and last buckets.
pub fn loss_series(trained: &Trained) -> Vec<Series> {
    let history = &trained.history;
    let line = |name: String, value: &dyn Fn(&LossPoint) -> Option<f64>| Series {
        name,
        points: history
            .iter()
            .filter_map(|p| value(p).map(|v| (p.step as f64, v)))
            .collect(),
        intervals: Vec::new(),
    };
    let edges = &trained.bucket_times;
    let mut series = vec![
        line("training batches".into(), &|p| Some(p.batch_loss)),
        line("training points (all t)".into(), &|p| Some(p.train_mean())),
    ];
    if trained.validation_rows > 0 {
        series.push(line("held-out points (all t)".into(), &|p| {
            p.validation_mean()
        }));
        for bucket in [0, BUCKETS / 2, BUCKETS - 1] {
            let name = format!(
                "held-out, t in [{:.3}, {:.3}]",
                edges[bucket],
                edges[bucket + 1]
            );
            series.push(line(name, &|p| p.validation.as_ref().map(|v| v[bucket])));
        }
    }
    series.retain(|s| !s.points.is_empty());
    series
}

/// Runs `train`; returns the report.
pub fn run(args: &TrainArgs) -> Result<String> {
    require_safetensors(&args.out)?;
    if let Some(plot) = &args.plot {
        crate::plot::require_png(plot)?;
    }
    let spec = args.process.resolve()?;
    let (architecture, settings) = args.settings()?;
    let data = data_or_default(args.data.as_deref())?;
    let progress = crate::progress::bar(settings.steps as u64, "training");
    let started = Instant::now();
    let mut running = f64::NAN;
    let mut trained = crate::sampling::sample::with_threads(args.threads, || {
        train(data.view(), spec, &architecture, &settings, |step, loss| {
            running = if running.is_nan() {
                loss
            } else {
                0.98 * running + 0.02 * loss
            };
            if step % 50 == 0 {
                progress.set_message(format!("training, loss {running:.4}"));
                progress.set_position(step as u64);
            }
        })
    })??;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    let source = args
        .data
        .as_ref()
        .map_or(BUILTIN_DEFAULT.to_string(), |p| p.display().to_string());
    trained.network.metadata.insert("train.data".into(), source);
    file::write(&args.out, &trained.network)?;
    if let Some(plot) = &args.plot {
        let title = format!(
            "DSM loss, {} ({})",
            file::process_label(&spec),
            trained.network.describe()
        );
        let series = loss_series(&trained);
        crate::io::output::write_atomic_with(plot, |tmp| {
            crate::plot::curves(tmp, &title, "step", "loss", &series, false, true)
        })?;
    }
    let last = trained.history.last().cloned();
    let train_loss = last.as_ref().map(LossPoint::train_mean);
    let validation_loss = last.as_ref().and_then(LossPoint::validation_mean);
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "out": args.out.display().to_string(),
            "parameters": trained.network.weights.len(),
            "process": file::process_label(&spec),
            "network": trained.network.describe(),
            "train_rows": trained.train_rows,
            "validation_rows": trained.validation_rows,
            "steps": settings.steps,
            "batch": settings.batch,
            "seconds": seconds,
            "final_train_loss": train_loss,
            "final_validation_loss": validation_loss,
            "final_validation_loss_per_bucket": last.as_ref().and_then(|p| p.validation.clone()),
            "bucket_times": trained.bucket_times,
        }))?);
    }
    let validation = match validation_loss {
        Some(v) => format!(", held-out {v:.4}"),
        None => String::new(),
    };
    Ok(format!(
        "trained a {} for {} on {} points ({} held out): {} steps of batch {}, AdamW lr {} {}, weight decay {}, in {seconds:.1} s; final loss: training {:.4}{validation}; wrote {}",
        trained.network.describe(),
        file::process_label(&spec),
        trained.train_rows,
        trained.validation_rows,
        settings.steps,
        settings.batch,
        settings.lr,
        settings.schedule.name(),
        settings.weight_decay,
        train_loss.unwrap_or(f64::NAN),
        args.out.display()
    ))
}
