//! The architecture `train` builds: the core's [`NetworkShape`] from the command line, the
//! frequencies ω_k of the Fourier time features, and the memory estimate checked before
//! anything is allocated.

use crate::sampling::network::check_shape;
use anyhow::{anyhow, bail, Result};
use smoothscore_core::{Activation, NetworkOutput, NetworkShape, TimeInput};

/// The shape of an MLP for data of dimension `dim`: `depth` hidden layers of `width` units
/// with `activation`, K = `time_features`. Errors name the flag: a zero
/// size (the core's check) or a widest vector max(d + 2K, width) above
/// the host's capacity ([`check_shape`]; refused before any allocation).
pub fn network_shape(
    dim: usize,
    width: usize,
    depth: usize,
    activation: Activation,
    time_features: usize,
    output: NetworkOutput,
    time_input: TimeInput,
) -> Result<NetworkShape> {
    for (flag, value) in [("--width", width), ("--depth", depth)] {
        if value == 0 {
            bail!("{flag} must be at least 1, got 0");
        }
    }
    let shape = NetworkShape {
        dim,
        width,
        depth,
        activation,
        time_features,
        time_input,
        output,
    };
    check_shape(&shape).map_err(|e| {
        anyhow!("network architecture (--width {width}, --time-features {time_features}, d = {dim}): {e}")
    })?;
    Ok(shape)
}

/// ω_k = 2^k · π / (c_max − c_min), k = 0 … K − 1, for time values c(t) in [c_min, c_max]:
/// the lowest frequency turns by π over the range, so (sin ω₀c, cos ω₀c) alone already tell
/// every c of the range apart, and each further feature doubles the resolution. Computed in
/// f64 and rounded once to f32 (exact for the powers of two times the rounded base).
pub fn time_frequencies(time_features: usize, c_min: f32, c_max: f32) -> Result<Vec<f32>> {
    let span = f64::from(c_max) - f64::from(c_min);
    if !(span.is_finite() && span > 0.0) {
        bail!("the training times span no range of c(t) ({c_min} to {c_max})");
    }
    Ok((0..time_features)
        .map(|k| (2f64.powi(k.min(120) as i32) * std::f64::consts::PI / span) as f32)
        .collect())
}

/// The bytes a training run of `shape` plans for: parameters, gradients and the two AdamW
/// moments (4 copies), plus per example of the largest batch (`examples`: the batch or the
/// evaluation set) the input, target and every layer's pre-activation, activation and their
/// gradients (6 vectors of the widest length), all f32; saturating, so overflow reads as "too
/// much".
pub fn training_bytes(shape: &NetworkShape, examples: usize) -> u128 {
    let parameters = shape.parameter_count().unwrap_or(usize::MAX);
    let per_example = crate::io::limits::product(&[6, shape.widest(), shape.layer_count()])
        .saturating_add(crate::io::limits::product(&[2, shape.input_len()]));
    crate::io::limits::product(&[4, 4, parameters]).saturating_add(
        per_example
            .saturating_mul(examples as u128)
            .saturating_mul(4),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_too_wide_shapes_are_refused() {
        let shape = |width, depth, activation, k| {
            network_shape(
                2,
                width,
                depth,
                activation,
                k,
                NetworkOutput::Epsilon,
                TimeInput::LogSigma,
            )
        };
        assert_eq!(
            shape(32, 2, Activation::Silu, 4)
                .unwrap()
                .parameter_count()
                .unwrap(),
            1474
        );
        let zero = shape(0, 2, Activation::Silu, 4).unwrap_err().to_string();
        assert_eq!(zero, "--width must be at least 1, got 0");
        assert!(shape(32, 0, Activation::Relu, 4).is_err());
        let wide = shape(4097, 2, Activation::Silu, 4).unwrap_err().to_string();
        assert!(wide.contains("exceeds the host's capacity"), "{wide}");
        assert!(shape(8, 2, Activation::Silu, usize::MAX / 2).is_err());
    }

    #[test]
    fn frequencies_double_from_half_a_turn_over_the_range() {
        let omega = time_frequencies(3, -2.0, 2.0).unwrap();
        assert_eq!(omega[0], (std::f64::consts::PI / 4.0) as f32);
        assert_eq!(omega[2], (std::f64::consts::PI) as f32);
        assert!(time_frequencies(2, 1.0, 1.0).is_err());
    }

    #[test]
    fn absurd_depth_needs_absurd_memory() {
        let shape = network_shape(
            2,
            4096,
            1 << 40,
            Activation::Relu,
            1,
            NetworkOutput::Epsilon,
            TimeInput::LogSigma,
        );
        // The shape may be representable; the memory estimate then refuses it.
        if let Ok(shape) = shape {
            assert!(crate::io::limits::require_memory("x", training_bytes(&shape, 256)).is_err());
        }
    }
}
