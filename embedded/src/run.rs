//! The run the firmware and its host twin both perform, in `no_std` code shared by both: the
//! default 2-D set, the reverse VP-SDE (linear β, Euler–Maruyama, geometric grid of `STEPS`
//! steps to t_min = 10⁻³, denoised), `SAMPLES` samples from the xoshiro256++ streams of `SEED`,
//! with the exact score, with the kernel-smoothed score (h = 0.1, Gauss–Hermite order 4), and
//! with the learned score of the trained network held in flash (d = 2, width 32, depth 2).

use smoothscore_core::rng::SampleStreams;
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, Error, FinalStep, Integrator, KernelRule,
    KernelSmoothedScore, Network, NetworkScore, Process, ReverseSampler, ScoreField, Spacing,
    Workspace,
};

/// Seed of the sample streams.
pub const SEED: u64 = 2026;
/// Samples per configuration.
pub const SAMPLES: usize = 64;
/// Sampler steps.
pub const STEPS: usize = 100;
/// Samples of the DDIM configuration (fewer: it checks the integrator, not the score).
pub const DDIM_SAMPLES: usize = 16;
/// Largest dimension the fixed buffers hold (Workspace and kernel buffers).
pub const CAPACITY: usize = 8;

/// The widest vector of the score network the fixed buffers hold (max(d + 2K, width)).
pub const NETWORK_CAPACITY: usize = 32;

/// The score network in flash: trained by `smoothscore train` and written as Rust source by
/// `scripts/make-firmware-net.sh` (`embedded/network.rs`, committed; the same values as
/// `embedded/network.safetensors`, which the CLI samples from), for the firmware and the twin alike.
mod network {
    include!("../network.rs");
}

/// The three configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// The exact empirical score.
    Exact,
    /// K_h * s with h = 0.1, 16 Gauss–Hermite points.
    Kernel,
    /// The learned score −ε̂/σ_t of the network.
    Network,
    /// The exact score with DDIM (η = 0) instead of Euler–Maruyama.
    Ddim,
}

impl Config {
    /// All, in print order.
    pub const ALL: [Config; 4] = [Config::Exact, Config::Kernel, Config::Network, Config::Ddim];

    /// The label printed before each sample.
    pub fn name(self) -> &'static str {
        match self {
            Config::Exact => "exact",
            Config::Kernel => "kernel",
            Config::Network => "network",
            Config::Ddim => "ddim",
        }
    }
}

fn draw<S: ScoreField>(
    field: &S,
    sampler: &ReverseSampler,
    dim: usize,
    config: Config,
    samples: usize,
    emit: &mut impl FnMut(Config, usize, &[f32]),
) -> Result<(), Error> {
    let mut workspace = Workspace::<CAPACITY>::new(dim)?;
    let mut state = [0.0f32; CAPACITY];
    let state = state.get_mut(..dim).ok_or(Error::CapacityExceeded {
        needed: dim,
        capacity: CAPACITY,
    })?;
    for (index, mut rng) in SampleStreams::new(SEED).take(samples).enumerate() {
        sampler.sample(field, &mut rng, state, &mut workspace)?;
        emit(config, index, state);
    }
    Ok(())
}

/// Draws every sample of every configuration and hands each to `emit(config, index, sample)`.
pub fn run(
    data: &[f32],
    dim: usize,
    mut emit: impl FnMut(Config, usize, &[f32]),
) -> Result<(), Error> {
    let dataset = Dataset::new(data, dim)?;
    let process = Process::VP_LINEAR;
    let exact = EmpiricalScore::new(dataset, process)?;
    for config in Config::ALL {
        // One sampler at a time, so that the DDIM run adds no second sampler to the stack.
        let (integrator, samples) = match config {
            Config::Ddim => (Integrator::Ddim { eta: 0.0 }, DDIM_SAMPLES),
            _ => (Integrator::EulerMaruyama, SAMPLES),
        };
        let sampler = ReverseSampler::new(
            process,
            integrator,
            1e-3,
            STEPS,
            Spacing::Geometric,
            FinalStep::Denoise,
        )?;
        match config {
            Config::Exact | Config::Ddim => {
                draw(&exact, &sampler, dim, config, samples, &mut emit)?
            }
            Config::Kernel => {
                let smoothed = KernelSmoothedScore::<CAPACITY>::new(
                    exact,
                    Bandwidth::Constant { bandwidth: 0.1 },
                    KernelRule::GaussHermite { order: 4 },
                )?;
                draw(&smoothed, &sampler, dim, config, samples, &mut emit)?
            }
            Config::Network => {
                let network = Network::new(
                    network::SHAPE,
                    &network::WEIGHTS,
                    &network::TIME_FREQUENCIES,
                    &network::DATA_MEAN,
                    network::DATA_STD,
                )?;
                let learned = NetworkScore::<NETWORK_CAPACITY>::new(network, process)?;
                draw(&learned, &sampler, dim, config, samples, &mut emit)?
            }
        }
    }
    Ok(())
}
