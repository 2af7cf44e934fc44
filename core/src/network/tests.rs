//! The forward pass against an f64 oracle with the documented error bound, batched against
//! single evaluations, a network with a closed-form score, the samplers on networks, and the
//! typed errors.

extern crate std;

use super::*;
use crate::batched::BatchScoreField;
use crate::error::{Error, Input};
use crate::pinned::DriftField;
use crate::rng::SampleStreams;
use crate::sampler::{
    EdmChurn, FinalStep, Integrator, PinnedSampler, ReverseSampler, Spacing, Workspace,
};
use crate::schedule::Process;
use crate::score::ScoreField;
use crate::score_kind::AnyScore;
use crate::test_support::uniform;

const CAP: usize = 64;
const U: f64 = 1.0 / 16_777_216.0;

fn gamma(m: usize) -> f64 {
    m as f64 * U / (1.0 - m as f64 * U)
}

fn shape(dim: usize, width: usize, depth: usize, activation: Activation, k: usize) -> NetworkShape {
    NetworkShape {
        dim,
        width,
        depth,
        activation,
        time_features: k,
        time_input: TimeInput::LogSigma,
        output: NetworkOutput::Epsilon,
    }
}

/// Random tensors for `shape`: weights ~ U(±1/√in) per layer (PyTorch's default scale), biases
/// U(±0.5), frequencies U(±4), mean U(±1).
struct Tensors {
    weights: [f32; 8192],
    frequencies: [f32; 16],
    mean: [f32; 16],
    len: usize,
}

impl Tensors {
    fn random(shape: &NetworkShape, state: &mut u32) -> Self {
        let mut tensors = Tensors {
            weights: [0.0; 8192],
            frequencies: [0.0; 16],
            mean: [0.0; 16],
            len: shape.parameter_count().unwrap(),
        };
        for l in 0..shape.layer_count() {
            let (inputs, _) = shape.layer(l).unwrap();
            let scale = 1.0 / (inputs as f32).sqrt();
            for w in &mut tensors.weights[shape.weight_range(l).unwrap()] {
                *w = uniform(state, scale);
            }
            for b in &mut tensors.weights[shape.bias_range(l).unwrap()] {
                *b = uniform(state, 0.5);
            }
        }
        for f in &mut tensors.frequencies[..shape.time_features] {
            *f = uniform(state, 4.0);
        }
        for m in &mut tensors.mean[..shape.dim] {
            *m = uniform(state, 1.0);
        }
        tensors
    }

    fn network(&self, shape: NetworkShape, data_std: f32) -> Network<'_> {
        Network::new(
            shape,
            &self.weights[..self.len],
            &self.frequencies[..shape.time_features],
            &self.mean[..shape.dim],
            data_std,
        )
        .unwrap()
    }
}

/// The exact (f64) forward pass of `network` on the f32 coefficients (α_t, σ_t²), with the
/// running error bound of the documentation: returns (ε, bound) per output coordinate.
fn oracle(
    network: &Network<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    x: &[f32],
) -> ([f64; 16], [f64; 16]) {
    let shape = network.shape();
    let (alpha, sigma2) = (f64::from(alpha_t), f64::from(sigma_squared));
    let std = f64::from(network.data_std());
    let c_in = 1.0 / (alpha * alpha * std * std + sigma2).sqrt();
    let c = 0.5 * sigma2.ln();
    let c_error = 2.0 * U * c.abs() + 1e-45;
    let mut h = [0.0f64; 64];
    let mut e = [0.0f64; 64];
    for k in 0..shape.dim {
        let shifted = alpha * f64::from(network.data_mean()[k]);
        h[k] = c_in * (f64::from(x[k]) - shifted);
        e[k] = gamma(7) * c_in * (f64::from(x[k]).abs() + shifted.abs());
    }
    let kk = shape.time_features;
    for (k, &omega) in network.time_frequencies().iter().enumerate() {
        let angle = f64::from(omega) * c;
        let error = f64::from(omega).abs() * c_error + angle.abs() * U + 2.0 * U;
        h[shape.dim + k] = angle.sin();
        h[shape.dim + kk + k] = angle.cos();
        e[shape.dim + k] = error;
        e[shape.dim + kk + k] = error;
    }
    let weights = network.weights();
    let mut inputs = shape.input_len();
    for l in 0..shape.layer_count() {
        let (_, outputs) = shape.layer(l).unwrap();
        let w = &weights[shape.weight_range(l).unwrap()];
        let b = &weights[shape.bias_range(l).unwrap()];
        let gamma_m = gamma(layer::rounding_depth(inputs));
        let mut next = [0.0f64; 64];
        let mut next_error = [0.0f64; 64];
        for j in 0..outputs {
            let row = &w[j * inputs..(j + 1) * inputs];
            let mut y = f64::from(b[j]);
            let mut magnitude = f64::from(b[j]).abs();
            let mut propagated = 0.0;
            for i in 0..inputs {
                let wi = f64::from(row[i]);
                y += wi * h[i];
                magnitude += wi.abs() * (h[i].abs() + e[i]);
                propagated += wi.abs() * e[i];
            }
            let error = gamma_m * magnitude + propagated;
            (next[j], next_error[j]) = if l == shape.depth {
                (y, error)
            } else {
                match shape.activation {
                    Activation::Relu => (y.max(0.0), error),
                    Activation::Silu => {
                        let value = y / (1.0 + (-y).exp());
                        (value, 1.1 * error + 4.0 * U * value.abs())
                    }
                }
            };
        }
        h = next;
        e = next_error;
        inputs = outputs;
    }
    let mut eps = [0.0f64; 16];
    let mut bound = [0.0f64; 16];
    eps[..shape.dim].copy_from_slice(&h[..shape.dim]);
    bound[..shape.dim].copy_from_slice(&e[..shape.dim]);
    (eps, bound)
}

#[test]
fn forward_pass_is_within_the_stated_bound_of_exact_arithmetic() {
    let mut state = 0x5eed_0001_u32;
    let process = Process::VP_LINEAR;
    let mut worst_ratio = 0.0f64;
    let mut checked = 0;
    for (dim, width, depth, k) in [
        (1usize, 3usize, 1usize, 0usize),
        (2, 32, 2, 4),
        (3, 17, 3, 8),
        (5, 40, 2, 16),
        (16, 64, 1, 2),
    ] {
        for activation in [Activation::Relu, Activation::Silu] {
            let shape = shape(dim, width, depth, activation, k);
            let tensors = Tensors::random(&shape, &mut state);
            let network = tensors.network(shape, 0.7);
            let score = NetworkScore::<CAP>::new(network, process).unwrap();
            let mut scratch = [0.0f32; 2 * CAP];
            for t in [1e-3f32, 0.1, 0.5, 1.0] {
                let mut x = [0.0f32; 16];
                for v in &mut x[..dim] {
                    *v = uniform(&mut state, 3.0);
                }
                let mut eps = [0.0f32; 16];
                let (alpha_t, sigma_squared) = score
                    .epsilon_with(t, &x[..dim], &mut scratch, &mut eps[..dim])
                    .unwrap();
                let (exact, bound) = oracle(&network, alpha_t, sigma_squared, &x[..dim]);
                for j in 0..dim {
                    let error = (f64::from(eps[j]) - exact[j]).abs();
                    assert!(
                        error <= bound[j],
                        "d {dim} w {width} L {depth} {activation:?} t {t}: |{} − {}| = {error:e} > {:e}",
                        eps[j],
                        exact[j],
                        bound[j]
                    );
                    assert!(bound[j] < 1e-4 * (1.0 + exact[j].abs()), "bound too loose");
                    worst_ratio = worst_ratio.max(error / bound[j]);
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * (1 + 2 + 3 + 5 + 16));
    assert!(worst_ratio > 0.0, "the oracle never saw a rounding error");
    std::println!("forward pass: worst error / bound = {worst_ratio:.3} over {checked} outputs");
}

#[test]
fn batched_evaluation_has_the_single_point_bits() {
    let mut state = 0x0ba7_c4ed_u32;
    let shape = shape(3, 24, 3, Activation::Silu, 5);
    let tensors = Tensors::random(&shape, &mut state);
    let score = NetworkScore::<CAP>::new(tensors.network(shape, 1.3), Process::VP_COSINE).unwrap();
    let mut points = [0.0f32; 3 * 11];
    for v in &mut points {
        *v = uniform(&mut state, 2.0);
    }
    for t in [0.01f32, 0.4, 0.9] {
        let mut batch = [0.0f32; 3 * 11];
        score.score_batch(t, &points, &mut batch).unwrap();
        for (x, got) in points.chunks(3).zip(batch.chunks(3)) {
            let mut one = [0.0f32; 3];
            ScoreField::score(&score, t, x, &mut one).unwrap();
            let mut scratch = [1e9f32; 200];
            let mut with = [0.0f32; 3];
            score.score_with(t, x, &mut scratch, &mut with).unwrap();
            for ((a, b), c) in got.iter().zip(&one).zip(&with) {
                assert_eq!(a.to_bits(), b.to_bits(), "t {t}");
                assert_eq!(a.to_bits(), c.to_bits(), "t {t}");
            }
        }
    }
    let mut short = [0.0f32; 4];
    assert!(matches!(
        score.score_batch(0.5, &points[..4], &mut short),
        Err(Error::DimensionMismatch { .. })
    ));
}

/// A relu network with ε̂ = z = c_in(t)·(x − α_t μ) exactly: hidden layer 1 is
/// relu([z; −z]) (plus a dead unit), layer 2 the identity on it, the output z⁺ − z⁻. Every
/// dot product has one non-zero term, so the f32 forward pass is exact.
fn identity_epsilon_weights(dim: usize, k: usize, weights: &mut [f32]) -> NetworkShape {
    let width = 2 * dim + 1;
    let shape = NetworkShape {
        dim,
        width,
        depth: 2,
        activation: Activation::Relu,
        time_features: k,
        time_input: TimeInput::LogSigma,
        output: NetworkOutput::Epsilon,
    };
    let inputs = shape.input_len();
    weights.fill(0.0);
    let w0 = shape.weight_range(0).unwrap().start;
    for i in 0..dim {
        weights[w0 + i * inputs + i] = 1.0;
        weights[w0 + (dim + i) * inputs + i] = -1.0;
    }
    let w1 = shape.weight_range(1).unwrap().start;
    for j in 0..2 * dim {
        weights[w1 + j * width + j] = 1.0;
    }
    let w2 = shape.weight_range(2).unwrap().start;
    for i in 0..dim {
        weights[w2 + i * width + i] = 1.0;
        weights[w2 + i * width + dim + i] = -1.0;
    }
    shape
}

#[test]
fn hand_built_network_has_the_closed_form_gaussian_score() {
    // ε̂ = c_in(x − α_t μ) gives s = −(x − α_t μ) / (σ_t √(α_t² σ_data² + σ_t²)): the score of
    // N(α_t μ, σ_t √(α_t² σ_data² + σ_t²) I) at every t.
    let mut weights = [0.0f32; 512];
    let shape = identity_epsilon_weights(2, 3, &mut weights);
    let len = shape.parameter_count().unwrap();
    let (mean, frequencies, data_std) = ([0.5f32, -1.5], [1.0f32, 2.0, 8.0], 0.8f32);
    let network = Network::new(shape, &weights[..len], &frequencies, &mean, data_std).unwrap();
    let process = Process::VP_LINEAR;
    let score = NetworkScore::<CAP>::new(network, process).unwrap();
    let mut scratch = [0.0f32; 2 * CAP];
    for t in [1e-3f32, 0.05, 0.3, 0.8, 1.0] {
        for x in [[0.0f32, 0.0], [1.25, -2.0], [-3.0, 4.5]] {
            let (alpha_t, sigma_squared) = process.coefficients(t).unwrap();
            let conditioning = network.conditioning(t, alpha_t, sigma_squared);
            let mut eps = [0.0f32; 2];
            score.epsilon_with(t, &x, &mut scratch, &mut eps).unwrap();
            for k in 0..2 {
                let z = conditioning.c_in * (x[k] - alpha_t * mean[k]);
                assert_eq!(eps[k].to_bits(), z.to_bits(), "ε̂ = z exactly, t {t}");
            }
            let mut s = [0.0f32; 2];
            ScoreField::score(&score, t, &x, &mut s).unwrap();
            let (a, s2, sd) = (
                f64::from(alpha_t),
                f64::from(sigma_squared),
                f64::from(data_std),
            );
            let variance = s2.sqrt() * (a * a * sd * sd + s2).sqrt();
            for k in 0..2 {
                let exact = -(f64::from(x[k]) - a * f64::from(mean[k])) / variance;
                let tolerance =
                    gamma(10) * (f64::from(x[k]).abs() + (a * f64::from(mean[k])).abs()) / variance
                        + 1e-30;
                assert!(
                    (f64::from(s[k]) - exact).abs() <= tolerance,
                    "t {t} x {x:?}: {} vs {exact}",
                    s[k]
                );
            }
        }
    }
}

#[test]
fn every_reverse_sampler_and_the_lockstep_driver_run_on_a_network() {
    let mut weights = [0.0f32; 512];
    let shape = identity_epsilon_weights(2, 2, &mut weights);
    let len = shape.parameter_count().unwrap();
    let network = Network::new(shape, &weights[..len], &[1.0, 3.0], &[0.0, 0.0], 1.0).unwrap();
    let score = NetworkScore::<CAP>::new(network, Process::VP_LINEAR).unwrap();
    for integrator in [
        Integrator::EulerMaruyama,
        Integrator::Euler,
        Integrator::Heun,
        Integrator::Ddim { eta: 0.5 },
        Integrator::DpmSolverPlusPlus2M,
        Integrator::Edm(EdmChurn {
            churn: 10.0,
            ..EdmChurn::NONE
        }),
    ] {
        let sampler = ReverseSampler::new(
            Process::VP_LINEAR,
            integrator,
            1e-3,
            40,
            Spacing::Geometric,
            FinalStep::Denoise,
        )
        .unwrap();
        let mut workspace = Workspace::<CAP>::new(2).unwrap();
        let count = 9;
        let mut one_by_one = [0.0f32; 18];
        for (state, mut rng) in one_by_one
            .chunks_mut(2)
            .zip(SampleStreams::new(7).take(count))
        {
            sampler
                .sample(&score, &mut rng, state, &mut workspace)
                .unwrap();
            assert!(state.iter().all(|v| v.is_finite()));
        }
        let mut streams: std::vec::Vec<_> = SampleStreams::new(7).take(count).collect();
        let mut lockstep = [0.0f32; 18];
        let mut scratch = std::vec![0.0f32; sampler.batch_scratch_len(count, 2)];
        sampler
            .sample_batch(&score, &mut streams, &mut lockstep, &mut scratch)
            .unwrap();
        for (a, b) in lockstep.iter().zip(&one_by_one) {
            assert_eq!(a.to_bits(), b.to_bits(), "{integrator:?}");
        }
        let any: AnyScore<'_, CAP> = AnyScore::Network(score);
        let mut via_any = [0.0f32; 2];
        let mut rng = SampleStreams::new(7).next().unwrap();
        sampler
            .sample(&any, &mut rng, &mut via_any, &mut workspace)
            .unwrap();
        assert_eq!(via_any, [one_by_one[0], one_by_one[1]]);
    }
}

#[test]
fn pinned_sampler_runs_on_a_learned_drift() {
    let mut state = 0xd1f7_u32;
    let shape = NetworkShape {
        output: NetworkOutput::Drift,
        time_input: TimeInput::Time,
        ..shape(2, 8, 2, Activation::Silu, 3)
    };
    let tensors = Tensors::random(&shape, &mut state);
    let drift = NetworkDrift::<CAP>::new(tensors.network(shape, 0.9), 1.0).unwrap();
    let mut u = [0.0f32; 2];
    drift.drift(0.0, &[0.0, 0.0], &mut u).unwrap();
    assert!(
        u.iter().all(|v| v.is_finite()),
        "t = 0 uses c_in = 1/σ_data"
    );
    let x = [0.3f32, -0.4];
    let mut mean = [0.0f32; 2];
    drift.drift(0.6, &x, &mut u).unwrap();
    drift.terminal_mean(0.6, &x, &mut mean).unwrap();
    for k in 0..2 {
        assert_eq!(mean[k], x[k] + 0.4 * u[k]);
    }
    let sampler = PinnedSampler::new(0.99, 30, Spacing::Geometric, FinalStep::Denoise).unwrap();
    let mut workspace = Workspace::<CAP>::new(2).unwrap();
    let mut sample = [0.0f32; 2];
    let mut rng = SampleStreams::new(3).next().unwrap();
    sampler
        .sample(&drift, &mut rng, &mut sample, &mut workspace)
        .unwrap();
    assert!(sample.iter().all(|v| v.is_finite()));
    assert!(matches!(
        drift.drift(1.0, &x, &mut u),
        Err(Error::TimeOutOfDomain { .. })
    ));
}

#[test]
fn bad_networks_and_bad_calls_are_typed_errors() {
    let mut state = 0xbad_u32;
    let good = shape(2, 4, 2, Activation::Relu, 1);
    let tensors = Tensors::random(&good, &mut state);
    let (weights, frequencies, mean) = (
        &tensors.weights[..tensors.len],
        &tensors.frequencies[..1],
        &tensors.mean[..2],
    );
    assert_eq!(
        Network::new(good, &weights[..weights.len() - 1], frequencies, mean, 1.0).unwrap_err(),
        Error::TensorLength {
            tensor: "weights",
            expected: tensors.len,
            found: tensors.len - 1
        }
    );
    let mut poisoned = tensors.weights;
    poisoned[17] = f32::NAN;
    assert_eq!(
        Network::new(good, &poisoned[..tensors.len], frequencies, mean, 1.0).unwrap_err(),
        Error::NonFinite {
            input: Input::Weights,
            index: 17
        }
    );
    let zero_width = NetworkShape { width: 0, ..good };
    assert_eq!(
        Network::new(zero_width, weights, frequencies, mean, 1.0).unwrap_err(),
        Error::InvalidShape {
            name: "width",
            value: 0
        }
    );
    assert!(matches!(
        Network::new(good, weights, frequencies, &tensors.mean[..3], 1.0),
        Err(Error::TensorLength {
            tensor: "data_mean",
            ..
        })
    ));
    assert!(matches!(
        Network::new(good, weights, &[], mean, 1.0),
        Err(Error::TensorLength {
            tensor: "time_frequencies",
            ..
        })
    ));
    assert!(matches!(
        Network::new(good, weights, &[f32::INFINITY], mean, 1.0),
        Err(Error::NonFinite {
            input: Input::TimeFrequencies,
            index: 0
        })
    ));
    for data_std in [0.0f32, -1.0, f32::NAN, 1e-30] {
        assert!(matches!(
            Network::new(good, weights, frequencies, mean, data_std),
            Err(Error::InvalidParameter {
                name: "data_std",
                ..
            })
        ));
    }
    let network = Network::new(good, weights, frequencies, mean, 1.0).unwrap();
    let score = NetworkScore::<CAP>::new(network, Process::VP_LINEAR).unwrap();
    let mut out = [0.0f32; 3];
    assert_eq!(
        ScoreField::score(&score, 0.5, &[0.0; 3], &mut out).unwrap_err(),
        Error::DimensionMismatch {
            expected: 2,
            found: 3
        }
    );
    assert!(matches!(
        ScoreField::score(&score, 0.5, &[0.0, f32::NAN], &mut out[..2]),
        Err(Error::NonFinite {
            input: Input::Query,
            ..
        })
    ));
    assert!(ScoreField::score(&score, 0.0, &[0.0; 2], &mut out[..2]).is_err());
    let mut small = [0.0f32; 7];
    assert_eq!(
        score
            .score_with(0.5, &[0.0; 2], &mut small, &mut out[..2])
            .unwrap_err(),
        Error::CapacityExceeded {
            needed: 8,
            capacity: 7
        }
    );
    assert_eq!(
        NetworkScore::<3>::new(network, Process::VP_LINEAR).unwrap_err(),
        Error::CapacityExceeded {
            needed: 4,
            capacity: 3
        }
    );
    assert_eq!(
        NetworkDrift::<CAP>::new(network, 1.0).unwrap_err(),
        Error::WrongNetworkOutput {
            expected: "drift",
            found: "epsilon"
        }
    );
    let huge = shape(2, usize::MAX / 8, 3, Activation::Relu, 1);
    assert!(matches!(
        Network::new(huge, weights, frequencies, mean, 1.0),
        Err(Error::InvalidShape { .. })
    ));
}
