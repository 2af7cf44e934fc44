//! Test-only helpers shared by the core's unit tests.

use crate::schedule::Process;

/// One of every reverse-time process at the CLI's default parameters (VP linear and cosine,
/// OU with T = 5, VE with σ ∈ [0.01, 10], Brownian with T = 10).
pub(crate) const REVERSE_PROCESSES: [Process; 5] = [
    Process::VP_LINEAR,
    Process::VP_COSINE,
    Process::OrnsteinUhlenbeck { horizon: 5.0 },
    Process::VeGeometric {
        sigma_min: 0.01,
        sigma_max: 10.0,
    },
    Process::Brownian { horizon: 10.0 },
];

/// The next value of a xorshift32 stream, mapped to [−half_width, half_width]: deterministic
/// test data without a dependency.
pub(crate) fn uniform(state: &mut u32, half_width: f32) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    (*state as f32 / u32::MAX as f32) * (2.0 * half_width) - half_width
}
