//! Drawing samples with the core's samplers, in parallel over samples, bit-identical for any
//! number of threads (sample j always uses random stream j, see `smoothscore_core::rng`).
//!
//! With the exact empirical score, the reverse samplers run the samples in lockstep: contiguous
//! chunks of samples go through the grid together, each score evaluation one batched call on
//! the chunk ([`ReverseSampler::sample_batch`] with [`SimdScore`]), which reads the training set
//! once per block of samples instead of once per sample. The batched score has the single-query
//! bits and every sample draws from its own stream, so each sample's bits are those of the
//! sample-by-sample path, whatever the chunk size or thread count. Every other score, the
//! pinned process and trajectories go sample by sample.
//!
//! The reverse samplers start from the law a [`PriorChoice`] names: N(0, σ_T² I)
//! ([`draw_samples`], and the seeds' experiments), or the moment-matched Gaussian of the data
//! ([`MomentMatched`], what `sample --prior auto` picks for Brownian motion and VE).

use crate::matrix::{Matrix, MatrixView};
use crate::parallel::{first_failure, map_with_progress, Work};
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::sampler_spec::{MomentMatched, PriorChoice};
use crate::sampling::score_spec::{self, ScoreSpec};
use crate::simd::{Simd, SimdScore};
use anyhow::{anyhow, bail, Result};
use rayon::prelude::*;
use smoothscore_core::rng::SampleStreams;
use smoothscore_core::{
    AnyScore, Dataset, FinalStep, Integrator, KernelSmoothedPinned, PinnedBrownianMotion,
    PinnedSampler, ReverseSampler, Spacing, Workspace,
};

/// The largest dimension the host's fixed sampler buffers hold.
pub const MAX_DIM: usize = 4096;

/// The most samples in one lockstep chunk: the chunk's states, scores and step points (and
/// Heun's trial scores) stay below 12 MiB at d = [`MAX_DIM`], and 256 samples are 32 query
/// blocks, enough for the batched score to reuse each panel of data many times.
pub const MAX_CHUNK: usize = 256;

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

pub use crate::parallel::with_threads;

/// Draws `config.n_samples` samples from the sampler following `config.score` built on
/// `data`, the reverse processes from the standard prior N(0, σ_T² I); returns them as an
/// n_samples × d matrix.
pub fn draw_samples<'a>(data: impl Into<MatrixView<'a>>, config: &SampleConfig) -> Result<Matrix> {
    draw_sample_range(data, config, PriorChoice::Standard, 0..config.n_samples)
}

/// Draws the samples `samples` (a range of indices below `config.n_samples`) of the run `config`
/// describes, the reverse processes starting from `prior` (the pinned process from 0): sample j
/// on stream j as always, so the rows are exactly rows `samples` of
/// [`draw_samples`] (the ranges of a [`crate::sampling::shard::Shard`] split a run over machines).
///
/// ```
/// use smoothscore::sampling::sample::{draw_sample_range, draw_samples, SampleConfig};
/// use smoothscore::matrix::MatrixView;
/// # use smoothscore::sampling::{process_spec::ProcessSpec, score_spec::ScoreSpec};
/// # use smoothscore::sampling::sampler_spec::PriorChoice;
/// # use smoothscore_core::{FinalStep, Integrator, Process, Spacing};
/// let data = [0.0f32, 0.0, 1.0, 1.0, -1.0, 0.5];
/// let data = MatrixView::new(3, 2, &data).unwrap();
/// let config = SampleConfig {
///     process: ProcessSpec::Reverse(Process::VP_LINEAR),
///     integrator: Integrator::EulerMaruyama,
///     steps: 20,
///     t_min: 1e-3,
///     spacing: Spacing::Geometric,
///     final_step: FinalStep::Denoise,
///     n_samples: 10,
///     seed: 3,
///     threads: 1,
///     score: ScoreSpec::Exact,
/// };
/// let all = draw_samples(data, &config).unwrap();
/// let middle = draw_sample_range(data, &config, PriorChoice::Standard, 4..7).unwrap();
/// assert_eq!(middle.values(), &all.values()[4 * 2..7 * 2]);
/// ```
pub fn draw_sample_range<'a>(
    data: impl Into<MatrixView<'a>>,
    config: &SampleConfig,
    prior: PriorChoice,
    samples: std::ops::Range<usize>,
) -> Result<Matrix> {
    let data = data.into();
    let dim = data.cols();
    if dim > MAX_DIM {
        bail!("dimension {dim} exceeds the sampler's capacity {MAX_DIM}");
    }
    if config.n_samples == 0 {
        bail!("--n-samples must be at least 1");
    }
    if samples.is_empty() || samples.end > config.n_samples {
        bail!(
            "samples {}..{} are not a part of a run of {} samples",
            samples.start,
            samples.end,
            config.n_samples
        );
    }
    let first = samples.start;
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let mut out = Matrix::zeros(samples.len(), dim);
    let streams: Vec<_> = SampleStreams::new(config.seed)
        .skip(first)
        .take(samples.len())
        .collect();
    match config.process {
        ProcessSpec::Reverse(process) => {
            let line = score_spec::line_for(&config.score, data)?;
            let field = score_spec::build(&config.score, dataset, process, line.as_ref())?;
            let moments = moment_matched(data, &process, prior)?;
            let sampler = reverse_sampler(process, config, moments.as_ref())?;
            let one_by_one =
                |rng: &mut Stream, state: &mut [f32], workspace: &mut Workspace<MAX_DIM>| {
                    sampler.sample(&field, rng, state, workspace)
                };
            match field {
                AnyScore::Exact(exact) => {
                    let batched = SimdScore::new(exact, Simd::detect());
                    let threads = config.threads;
                    run_lockstep(
                        &mut out, &streams, first, threads, &sampler, &batched, one_by_one,
                    )?
                }
                _ => run_parallel(&mut out, streams, first, config.threads, one_by_one)?,
            }
        }
        ProcessSpec::Pinned { sigma } => {
            PinnedSampler::check_integrator(&config.integrator).map_err(|e| {
                anyhow!("{e} (it is simulated forward with Euler–Maruyama, --sampler em)")
            })?;
            let pinned = PinnedBrownianMotion::new(dataset, sigma)?;
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
                    first,
                    config.threads,
                    |rng, state, workspace| sampler.sample(&pinned, rng, state, workspace),
                )?,
                ScoreSpec::Kernel { bandwidth, rule } => {
                    let smoothed = KernelSmoothedPinned::<MAX_DIM>::new(pinned, bandwidth, rule)
                        .map_err(|e| anyhow!("kernel-smoothed drift: {e}"))?;
                    run_parallel(
                        &mut out,
                        streams,
                        first,
                        config.threads,
                        |rng, state, workspace| sampler.sample(&smoothed, rng, state, workspace),
                    )?
                }
                ScoreSpec::Line(_) => {
                    bail!("--score pl/smoothed-pl is for the Brownian process, not pbm")
                }
                ScoreSpec::Network(network) => {
                    let drift = network.drift(sigma)?;
                    run_parallel(
                        &mut out,
                        streams,
                        first,
                        config.threads,
                        |rng, state, workspace| sampler.sample(&drift, rng, state, workspace),
                    )?
                }
            }
        }
    }
    Ok(out)
}

/// The buffers of the moment-matched prior when `prior` asks for it.
fn moment_matched(
    data: MatrixView<'_>,
    process: &smoothscore_core::Process,
    prior: PriorChoice,
) -> Result<Option<MomentMatched>> {
    match prior {
        PriorChoice::Standard => Ok(None),
        PriorChoice::MomentMatched => MomentMatched::new(data, process).map(Some),
    }
}

/// The reverse-time sampler `config` describes, from the moment-matched prior `moments` when
/// given (else the standard one).
fn reverse_sampler<'p>(
    process: smoothscore_core::Process,
    config: &SampleConfig,
    moments: Option<&'p MomentMatched>,
) -> Result<ReverseSampler<'p>> {
    let sampler = ReverseSampler::new(
        process,
        config.integrator,
        config.t_min,
        config.steps,
        config.spacing,
        config.final_step,
    )
    .map_err(|e| anyhow!("sampler: {e}"))?;
    match moments {
        Some(moments) => sampler
            .with_prior(moments.prior())
            .map_err(|e| anyhow!("prior: {e}")),
        None => Ok(sampler),
    }
}

/// One sample's path: every grid state `(t, x_t)`, in sampling order.
pub type Path = Vec<(f32, Vec<f32>)>;

/// The paths of the first `count` samples of the run `config` describes from `prior` (the same
/// streams, so they end where those samples end): every grid state with its time. Reverse
/// processes only.
pub fn trajectories<'a>(
    data: impl Into<MatrixView<'a>>,
    config: &SampleConfig,
    prior: PriorChoice,
    count: usize,
) -> Result<Vec<Path>> {
    let data = data.into();
    let dim = data.cols();
    let ProcessSpec::Reverse(process) = config.process else {
        bail!("trajectories are drawn for the reverse-time processes, not pbm");
    };
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let line = score_spec::line_for(&config.score, data)?;
    let field = score_spec::build(&config.score, dataset, process, line.as_ref())?;
    let moments = moment_matched(data, &process, prior)?;
    let sampler = reverse_sampler(process, config, moments.as_ref())?;
    let mut workspace = Box::new(Workspace::<MAX_DIM>::new(dim)?);
    let mut paths = Vec::with_capacity(count);
    for mut rng in SampleStreams::new(config.seed).take(count.min(config.n_samples)) {
        let mut path = Vec::with_capacity(config.steps + 2);
        let mut state = vec![0.0f32; dim];
        sampler.sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, x| {
            path.push((t, x.to_vec()))
        })?;
        path.push((config.t_min, state));
        paths.push(path);
    }
    Ok(paths)
}

type Stream = rand_xoshiro::Xoshiro256PlusPlus;

/// Runs the samples of `streams` (numbered from `first` in errors) into the rows of `out`, one
/// by one, in parallel on `threads` threads.
fn run_parallel<F>(
    out: &mut Matrix,
    streams: Vec<Stream>,
    first: usize,
    threads: usize,
    body: F,
) -> Result<()>
where
    F: Fn(&mut Stream, &mut [f32], &mut Workspace<MAX_DIM>) -> Result<(), smoothscore_core::Error>
        + Sync,
{
    let dim = out.cols();
    let work = Work::new(threads, "samples", streams.len());
    let items = out
        .values_mut()
        .par_chunks_mut(dim)
        .zip(streams.into_par_iter())
        .enumerate();
    let results = map_with_progress(
        work,
        items,
        || Workspace::<MAX_DIM>::new(dim).map(Box::new),
        |_| 1,
        |workspace, (offset, (state, mut rng))| {
            let index = first + offset;
            let workspace = workspace.as_mut().map_err(|e| (index, *e))?;
            body(&mut rng, state, workspace).map_err(|e| (index, e))
        },
    )?;
    for result in results {
        result.map_err(|(index, e)| anyhow!("sample {index}: {e}"))?;
    }
    Ok(())
}

/// Samples per lockstep chunk for `samples` samples on `threads` threads: the samples shared
/// evenly over a multiple of the thread count of chunks of at most [`MAX_CHUNK`], rounded up to
/// whole query blocks of the batched score (a partial block goes query by query). Only the
/// speed depends on it.
pub fn chunk_len(samples: usize, threads: usize) -> usize {
    let block = smoothscore_core::batched::QUERY_BLOCK;
    let chunks = samples
        .div_ceil(MAX_CHUNK)
        .max(1)
        .next_multiple_of(threads.max(1));
    samples.div_ceil(chunks).next_multiple_of(block).max(block)
}

/// Runs the samples of `streams` (numbered from `first`) into the rows of `out` chunk by chunk in lockstep
/// ([`ReverseSampler::sample_batch`] of `sampler` following `field`), the chunks in parallel on `threads` threads. A chunk
/// that fails is run again sample by sample with `one_by_one` (the same bits), so a run fails
/// exactly when the sample-by-sample path does, naming the same sample with the same error.
fn run_lockstep<F>(
    out: &mut Matrix,
    streams: &[Stream],
    first: usize,
    threads: usize,
    sampler: &ReverseSampler,
    field: &SimdScore<'_>,
    one_by_one: F,
) -> Result<()>
where
    F: Fn(&mut Stream, &mut [f32], &mut Workspace<MAX_DIM>) -> Result<(), smoothscore_core::Error>
        + Sync,
{
    let dim = out.cols();
    let work = Work::new(threads, "samples", streams.len());
    let threads = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    let chunk = chunk_len(streams.len(), threads);
    let items = out
        .values_mut()
        .par_chunks_mut(chunk * dim)
        .zip(streams.par_chunks(chunk))
        .enumerate();
    let failures = map_with_progress(
        work,
        items,
        || (),
        |(_, (_, streams))| streams.len() as u64,
        |(), (index, (states, streams))| {
            let mut rngs = streams.to_vec();
            let mut scratch = vec![0.0f32; sampler.batch_scratch_len(rngs.len(), dim)];
            match sampler.sample_batch(field, &mut rngs, states, &mut scratch) {
                Ok(()) => None,
                Err(_) => {
                    let start = first + index * chunk;
                    rerun_one_by_one(streams, states, dim, start, &one_by_one)
                }
            }
        },
    )?;
    match failures
        .into_iter()
        .flatten()
        .min_by_key(|&(sample, _)| sample)
    {
        Some((sample, e)) => bail!("sample {sample}: {e}"),
        None => Ok(()),
    }
}

/// Runs the samples of a failed lockstep chunk (`streams` from their start, states of
/// dimension `dim`, numbered from `first`) one by one, and returns the index and error of the first that fails (`None` when
/// none does: the rows then hold the sample-by-sample results).
fn rerun_one_by_one<F>(
    streams: &[Stream],
    states: &mut [f32],
    dim: usize,
    first: usize,
    one_by_one: &F,
) -> Option<(usize, smoothscore_core::Error)>
where
    F: Fn(&mut Stream, &mut [f32], &mut Workspace<MAX_DIM>) -> Result<(), smoothscore_core::Error>,
{
    let mut workspace = match Workspace::<MAX_DIM>::new(dim) {
        Ok(workspace) => Box::new(workspace),
        Err(e) => return Some((first, e)),
    };
    let rows = streams.iter().zip(states.chunks_exact_mut(dim));
    first_failure(first, rows, |(rng, state)| {
        one_by_one(&mut rng.clone(), state, &mut workspace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothscore_core::{EmpiricalScore, Process};

    /// Deterministic data in [−2, 2] (xorshift32).
    fn points(rows: usize, dim: usize, mut state: u32) -> Matrix {
        let values = (0..rows * dim)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 4.0 - 2.0
            })
            .collect();
        Matrix::new(rows, dim, values).unwrap()
    }

    fn config(integrator: Integrator, final_step: FinalStep, n_samples: usize) -> SampleConfig {
        SampleConfig {
            process: ProcessSpec::Reverse(Process::VP_LINEAR),
            integrator,
            steps: 12,
            t_min: 1e-3,
            spacing: Spacing::Geometric,
            final_step,
            n_samples,
            seed: 7,
            threads: 1,
            score: ScoreSpec::Exact,
        }
    }

    /// The sample-by-sample path: `ReverseSampler::sample` on stream j for sample j.
    fn one_by_one(data: &Matrix, config: &SampleConfig) -> Vec<u32> {
        let dim = data.cols();
        let ProcessSpec::Reverse(process) = config.process else {
            unreachable!()
        };
        let dataset = Dataset::new(data.values(), dim).unwrap();
        let field = EmpiricalScore::new(dataset, process).unwrap();
        let sampler = reverse_sampler(process, config, None).unwrap();
        let mut workspace = Box::new(Workspace::<MAX_DIM>::new(dim).unwrap());
        let mut bits = Vec::new();
        for mut rng in SampleStreams::new(config.seed).take(config.n_samples) {
            let mut state = vec![0.0f32; dim];
            sampler
                .sample(&field, &mut rng, &mut state, &mut workspace)
                .unwrap();
            bits.extend(state.iter().map(|v| v.to_bits()));
        }
        bits
    }

    /// The bits of `draw_samples` (lockstep for the exact score) on `threads` threads.
    fn drawn_bits(data: &Matrix, config: &SampleConfig, threads: usize) -> Vec<u32> {
        let config = SampleConfig {
            threads,
            ..config.clone()
        };
        let samples = draw_samples(data, &config).unwrap();
        samples.values().iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn lockstep_has_the_bits_of_the_sample_by_sample_path() {
        let integrators = [
            Integrator::EulerMaruyama,
            Integrator::Euler,
            Integrator::Heun,
            Integrator::Ddim { eta: 1.0 },
            Integrator::DpmSolverPlusPlus2M,
            Integrator::Edm(smoothscore_core::EdmChurn {
                churn: 5.0,
                noise: 1.003,
                lambda_min: 0.05,
                lambda_max: 50.0,
            }),
        ];
        for (rows, dim, n_samples) in [(60, 2, 21), (40, 50, 13), (12, 784, 9)] {
            let data = points(rows, dim, 0x2545_f491 ^ dim as u32);
            for integrator in integrators {
                for final_step in [FinalStep::State, FinalStep::Denoise] {
                    let config = config(integrator, final_step, n_samples);
                    let want = one_by_one(&data, &config);
                    for threads in [1, 2, 3] {
                        assert!(
                            drawn_bits(&data, &config, threads) == want,
                            "d {dim} {integrator:?} {final_step:?} {threads} threads"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lockstep_from_the_moment_matched_prior_has_the_sample_by_sample_bits() {
        let data = points(40, 3, 5);
        let process = Process::Brownian { horizon: 10.0 };
        for integrator in [Integrator::DpmSolverPlusPlus2M, Integrator::Heun] {
            let config = SampleConfig {
                process: ProcessSpec::Reverse(process),
                ..config(integrator, FinalStep::Denoise, 19)
            };
            let lockstep =
                draw_sample_range(&data, &config, PriorChoice::MomentMatched, 0..19).unwrap();
            let moments = MomentMatched::new(data.view(), &process).unwrap();
            let sampler = reverse_sampler(process, &config, Some(&moments)).unwrap();
            let dataset = Dataset::new(data.values(), 3).unwrap();
            let field = EmpiricalScore::new(dataset, process).unwrap();
            let mut workspace = Box::new(Workspace::<MAX_DIM>::new(3).unwrap());
            for (row, mut rng) in lockstep.iter_rows().zip(SampleStreams::new(config.seed)) {
                let mut state = [0.0f32; 3];
                sampler
                    .sample(&field, &mut rng, &mut state, &mut workspace)
                    .unwrap();
                assert_eq!(row, state, "{integrator:?}");
            }
            let standard = draw_samples(&data, &config).unwrap();
            assert_ne!(standard.values(), lockstep.values());
        }
    }

    #[test]
    fn lockstep_over_many_chunks_has_the_sample_by_sample_bits() {
        let data = points(30, 2, 99);
        let config = SampleConfig {
            steps: 4,
            ..config(
                Integrator::EulerMaruyama,
                FinalStep::Denoise,
                2 * MAX_CHUNK + 3,
            )
        };
        let want = one_by_one(&data, &config);
        for threads in [1, 2] {
            assert!(
                drawn_bits(&data, &config, threads) == want,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn lockstep_fails_like_the_sample_by_sample_path() {
        // Training values near f32::MAX: every distance overflows, so every posterior fails.
        let data = Matrix::new(2, 2, vec![3e38, -3e38, 3e38, 3e38]).unwrap();
        let config = config(Integrator::Heun, FinalStep::State, 10);
        let lockstep = draw_samples(&data, &config).unwrap_err().to_string();
        let dataset = Dataset::new(data.values(), 2).unwrap();
        let field = EmpiricalScore::new(dataset, Process::VP_LINEAR).unwrap();
        let sampler = reverse_sampler(Process::VP_LINEAR, &config, None).unwrap();
        let streams = SampleStreams::new(config.seed).take(10).collect();
        let mut out = Matrix::zeros(10, 2);
        let one_by_one = run_parallel(&mut out, streams, 0, 2, |rng, state, workspace| {
            sampler.sample(&field, rng, state, workspace)
        })
        .unwrap_err()
        .to_string();
        assert_eq!(lockstep, one_by_one);
        assert!(lockstep.starts_with("sample 0: "), "{lockstep}");
    }

    #[test]
    fn chunks_share_the_samples_over_the_threads_in_whole_blocks() {
        assert_eq!(chunk_len(64, 1), 64);
        assert_eq!(chunk_len(64, 2), 32);
        assert_eq!(chunk_len(12, 2), 8);
        assert_eq!(chunk_len(1, 4), 8);
        assert_eq!(chunk_len(1000, 2), 256);
        assert_eq!(chunk_len(600, 2), 152);
        for samples in 1..700 {
            for threads in 1..5 {
                let chunk = chunk_len(samples, threads);
                assert!(
                    chunk <= MAX_CHUNK && chunk.is_multiple_of(8),
                    "{samples} {threads}"
                );
            }
        }
    }
}
