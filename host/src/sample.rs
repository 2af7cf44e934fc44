//! Drawing samples with the core's samplers, in parallel over samples, bit-identical for any
//! number of threads (sample j always uses random stream j, see `smoothscore_core::rng`).

use crate::matrix::Matrix;
use crate::process_spec::ProcessSpec;
use crate::score_spec::{self, ScoreSpec};
use anyhow::{anyhow, bail, Context, Result};
use rayon::prelude::*;
use smoothscore_core::rng::SampleStreams;
use smoothscore_core::{
    Dataset, FinalStep, Integrator, KernelSmoothedPinned, PinnedBrownianMotion, PinnedSampler,
    ReverseSampler, Spacing, Workspace,
};

/// The largest dimension the host's fixed sampler buffers hold.
pub const MAX_DIM: usize = 4096;

/// Everything a sampling run needs besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// The process.
    pub process: ProcessSpec,
    /// The integrator (only Euler–Maruyama for the pinned process).
    pub integrator: Integrator,
    /// Number of steps.
    pub steps: usize,
    /// Early-stopping time t_min (for the pinned process: the gap 1 − t_max).
    pub t_min: f32,
    /// Grid spacing.
    pub spacing: Spacing,
    /// What to return at the last time.
    pub final_step: FinalStep,
    /// Number of samples.
    pub n_samples: usize,
    /// Seed of the random streams.
    pub seed: u64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// The score followed (reverse processes; the pinned process uses its exact drift).
    pub score: ScoreSpec,
}

/// Runs `body` on a rayon pool of `threads` threads (0: rayon's default, all cores).
pub fn with_threads<T: Send>(threads: usize, body: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    Ok(pool.install(body))
}

/// Draws `config.n_samples` samples from the sampler following `config.score` built on
/// `data`; returns them as an n_samples × d matrix.
pub fn draw_samples(data: &Matrix, config: &SampleConfig) -> Result<Matrix> {
    let dim = data.cols();
    if dim > MAX_DIM {
        bail!("dimension {dim} exceeds the sampler's capacity {MAX_DIM}");
    }
    if config.n_samples == 0 {
        bail!("--n-samples must be at least 1");
    }
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let mut out = Matrix::zeros(config.n_samples, dim);
    let streams: Vec<_> = SampleStreams::new(config.seed)
        .take(config.n_samples)
        .collect();
    match config.process {
        ProcessSpec::Reverse(process) => {
            let line = score_spec::line_for(&config.score, data)?;
            let field = score_spec::build(&config.score, dataset, process, line.as_ref())?;
            let sampler = reverse_sampler(process, config)?;
            run_parallel(
                &mut out,
                streams,
                config.threads,
                dim,
                |rng, state, workspace| sampler.sample(&field, rng, state, workspace),
            )?;
        }
        ProcessSpec::Pinned { sigma } => {
            if config.integrator != Integrator::EulerMaruyama {
                bail!("the pinned Brownian motion is simulated with Euler–Maruyama only (--sampler em)");
            }
            let pinned = PinnedBrownianMotion::new(dataset, sigma).map_err(|e| anyhow!("{e}"))?;
            let sampler = PinnedSampler::new(
                1.0 - config.t_min,
                config.steps,
                config.spacing,
                config.final_step,
            )
            .map_err(|e| anyhow!("sampler (t_max = 1 − t_min): {e}"))?;
            match config.score {
                ScoreSpec::Exact => run_parallel(
                    &mut out,
                    streams,
                    config.threads,
                    dim,
                    |rng, state, workspace| sampler.sample(&pinned, rng, state, workspace),
                )?,
                ScoreSpec::Kernel { bandwidth, rule } => {
                    let smoothed = KernelSmoothedPinned::<MAX_DIM>::new(pinned, bandwidth, rule)
                        .map_err(|e| anyhow!("kernel-smoothed drift: {e}"))?;
                    run_parallel(
                        &mut out,
                        streams,
                        config.threads,
                        dim,
                        |rng, state, workspace| sampler.sample(&smoothed, rng, state, workspace),
                    )?
                }
                ScoreSpec::Line(_) => {
                    bail!("--score pl/smoothed-pl is for the Brownian process, not pbm")
                }
            }
        }
    }
    Ok(out)
}

/// The reverse-time sampler `config` describes.
fn reverse_sampler(
    process: smoothscore_core::Process,
    config: &SampleConfig,
) -> Result<ReverseSampler> {
    ReverseSampler::new(
        process,
        config.integrator,
        config.t_min,
        config.steps,
        config.spacing,
        config.final_step,
    )
    .map_err(|e| anyhow!("sampler: {e}"))
}

/// One sample's path: every grid state `(t, x_t)`, in sampling order.
pub type Path = Vec<(f32, Vec<f32>)>;

/// The paths of the first `count` samples of the run `config` describes (the same streams, so
/// they end where those samples end): every grid state with its time. Reverse processes only.
pub fn trajectories(data: &Matrix, config: &SampleConfig, count: usize) -> Result<Vec<Path>> {
    let dim = data.cols();
    let ProcessSpec::Reverse(process) = config.process else {
        bail!("trajectories are drawn for the reverse-time processes, not pbm");
    };
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let line = score_spec::line_for(&config.score, data)?;
    let field = score_spec::build(&config.score, dataset, process, line.as_ref())?;
    let sampler = reverse_sampler(process, config)?;
    let mut workspace = Box::new(Workspace::<MAX_DIM>::new(dim).map_err(|e| anyhow!("{e}"))?);
    let mut paths = Vec::with_capacity(count);
    for mut rng in SampleStreams::new(config.seed).take(count.min(config.n_samples)) {
        let mut path = Vec::with_capacity(config.steps + 2);
        let mut state = vec![0.0f32; dim];
        sampler
            .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, x| {
                path.push((t, x.to_vec()))
            })
            .map_err(|e| anyhow!("{e}"))?;
        path.push((config.t_min, state));
        paths.push(path);
    }
    Ok(paths)
}

type Stream = rand_xoshiro::Xoshiro256PlusPlus;

fn run_parallel<F>(
    out: &mut Matrix,
    streams: Vec<Stream>,
    threads: usize,
    dim: usize,
    body: F,
) -> Result<()>
where
    F: Fn(&mut Stream, &mut [f32], &mut Workspace<MAX_DIM>) -> Result<(), smoothscore_core::Error>
        + Sync,
{
    let progress = crate::progress::bar(streams.len() as u64, "samples");
    let results: Vec<Result<(), (usize, smoothscore_core::Error)>> = with_threads(threads, || {
        out.values_mut()
            .par_chunks_mut(dim)
            .zip(streams.into_par_iter())
            .enumerate()
            .map_init(
                || Workspace::<MAX_DIM>::new(dim).map(Box::new),
                |workspace, (index, (state, mut rng))| {
                    let workspace = workspace.as_mut().map_err(|e| (index, *e))?;
                    let result = body(&mut rng, state, workspace).map_err(|e| (index, e));
                    progress.inc(1);
                    result
                },
            )
            .collect()
    })?;
    progress.finish_and_clear();
    for result in results {
        result.map_err(|(index, e)| anyhow!("sample {index}: {e}"))?;
    }
    Ok(())
}
