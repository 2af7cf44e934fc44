//! The borrowed network and its forward pass over caller-provided scratch.

use super::layer::dense;
use super::shape::{NetworkOutput, NetworkShape};
use super::time_features::{network_input, Conditioning};
use crate::error::{check_finite, Error, Input};
use crate::score::check_output;

/// An MLP of a validated [`NetworkShape`] over borrowed tensors: the flat weights (the contract's
/// layout, see [`NetworkShape`]), the frequencies ω_k, the data mean μ and the data scale σ_data.
/// Every tensor is checked once, here; evaluations only check their own arguments.
#[derive(Clone, Copy, Debug)]
pub struct Network<'a> {
    shape: NetworkShape,
    weights: &'a [f32],
    time_frequencies: &'a [f32],
    data_mean: &'a [f32],
    data_std: f32,
    data_variance: f32,
}

impl<'a> Network<'a> {
    /// Checks the shape ([`NetworkShape::validate`]), the tensor lengths
    /// ([`Error::TensorLength`]: `weights` must hold [`NetworkShape::parameter_count`] values,
    /// `time_frequencies` K, `data_mean` d), that every value is finite ([`Error::NonFinite`]
    /// with [`Input::Weights`], [`Input::TimeFrequencies`], [`Input::DataMean`] and the flat
    /// index) and that σ_data and σ_data² are finite and > 0 ([`Error::InvalidParameter`]).
    pub fn new(
        shape: NetworkShape,
        weights: &'a [f32],
        time_frequencies: &'a [f32],
        data_mean: &'a [f32],
        data_std: f32,
    ) -> Result<Self, Error> {
        shape.validate()?;
        for (tensor, expected, found) in [
            ("weights", shape.parameter_count()?, weights.len()),
            (
                "time_frequencies",
                shape.time_features,
                time_frequencies.len(),
            ),
            ("data_mean", shape.dim, data_mean.len()),
        ] {
            if expected != found {
                return Err(Error::TensorLength {
                    tensor,
                    expected,
                    found,
                });
            }
        }
        check_finite(weights, Input::Weights)?;
        check_finite(time_frequencies, Input::TimeFrequencies)?;
        check_finite(data_mean, Input::DataMean)?;
        let data_variance = data_std * data_std;
        let usable = |v: f32| v.is_finite() && v > 0.0;
        if !(usable(data_std) && usable(data_variance)) {
            return Err(Error::InvalidParameter {
                name: "data_std",
                value: data_std,
            });
        }
        Ok(Network {
            shape,
            weights,
            time_frequencies,
            data_mean,
            data_std,
            data_variance,
        })
    }

    /// Checks that the network predicts `output` ([`Error::WrongNetworkOutput`]) and that its
    /// widest vector fits in `capacity` f32 ([`Error::CapacityExceeded`]).
    pub fn check_use(&self, output: NetworkOutput, capacity: usize) -> Result<(), Error> {
        if self.shape.output != output {
            return Err(Error::WrongNetworkOutput {
                expected: output.name(),
                found: self.shape.output.name(),
            });
        }
        let widest = self.shape.widest();
        if widest > capacity {
            return Err(Error::CapacityExceeded {
                needed: widest,
                capacity,
            });
        }
        Ok(())
    }

    /// The architecture.
    pub fn shape(&self) -> &NetworkShape {
        &self.shape
    }

    /// The flat weights.
    pub fn weights(&self) -> &'a [f32] {
        self.weights
    }

    /// The frequencies ω_k.
    pub fn time_frequencies(&self) -> &'a [f32] {
        self.time_frequencies
    }

    /// The data mean μ.
    pub fn data_mean(&self) -> &'a [f32] {
        self.data_mean
    }

    /// The data scale σ_data.
    pub fn data_std(&self) -> f32 {
        self.data_std
    }

    /// α_t, c_in(t), c(t) for this network at time t with the process's α_t and σ_t²
    /// ([`Conditioning::new`]).
    pub fn conditioning(&self, t: f32, alpha_t: f32, sigma_squared: f32) -> Conditioning {
        Conditioning::new(
            alpha_t,
            sigma_squared,
            t,
            self.data_variance,
            self.data_std,
            self.shape.time_input,
        )
    }

    /// The forward pass o = W_L h_L + b_L, h_{l+1} = act(W_l h_l + b_l), h_0 = z (the input of
    /// [`network_input`]), into `out` (length d), with the two activation buffers cut from
    /// `scratch` (at least [`NetworkShape::scratch_len`] f32; its contents are overwritten).
    ///
    /// Every layer is [`dense`] (lane-ordered dot products, no FMA), so the bits are fixed by
    /// this source. Error bound, relative to exact arithmetic on the same weights and input:
    /// layer l adds at most γ_{m_l} (Σ_i |W_ji| |h_i| + |b_j|) to output j, m_l = ⌈in_l/16⌉ + 5
    /// ([`super::layer::rounding_depth`]), plus the activation's rounding; the errors of h_l
    /// pass through W_l (|W_l|·e_l) and the activation (Lipschitz 1 for relu, 1.1 for silu).
    /// The unit tests check a running bound of exactly this form against an f64 oracle.
    ///
    /// Errors: x or `out` not of length d ([`Error::DimensionMismatch`]), a non-finite x
    /// ([`Error::NonFinite`], [`Input::Query`]), `scratch` too short
    /// ([`Error::CapacityExceeded`]), a non-finite output ([`Error::Overflow`]).
    pub fn forward(
        &self,
        conditioning: &Conditioning,
        x: &[f32],
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        let shape = &self.shape;
        for found in [x.len(), out.len()] {
            if found != shape.dim {
                return Err(Error::DimensionMismatch {
                    expected: shape.dim,
                    found,
                });
            }
        }
        check_finite(x, Input::Query)?;
        let widest = shape.widest();
        let too_small = Error::CapacityExceeded {
            needed: shape.scratch_len(),
            capacity: scratch.len(),
        };
        let (mut current, rest) = scratch.split_at_mut_checked(widest).ok_or(too_small)?;
        let mut next = rest.get_mut(..widest).ok_or(too_small)?;
        let input_len = shape.input_len();
        network_input(
            conditioning,
            x,
            self.data_mean,
            self.time_frequencies,
            current.get_mut(..input_len).ok_or(too_small)?,
        );
        let mut weights = self.weights;
        let mut inputs = input_len;
        for l in 0..=shape.depth {
            let outputs = if l == shape.depth {
                shape.dim
            } else {
                shape.width
            };
            let truncated = Error::TensorLength {
                tensor: "weights",
                expected: self.weights.len(),
                found: self.weights.len() - weights.len(),
            };
            let (layer, rest) = weights
                .split_at_checked(inputs * outputs)
                .ok_or(truncated)?;
            let (bias, rest) = rest.split_at_checked(outputs).ok_or(truncated)?;
            weights = rest;
            let input = current.get(..inputs).ok_or(too_small)?;
            // One call site, so the firmware holds one copy of the inlined kernel.
            let (output, activation) = if l == shape.depth {
                (&mut *out, None)
            } else {
                (
                    next.get_mut(..outputs).ok_or(too_small)?,
                    Some(shape.activation),
                )
            };
            dense(layer, bias, input, output, activation);
            core::mem::swap(&mut current, &mut next);
            inputs = outputs;
        }
        check_output(out, "network output")
    }
}
