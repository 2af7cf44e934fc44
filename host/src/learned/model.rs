//! The MLP as candle tensors, for training only (feature `train`): the same layers, layout and
//! activations as the core's [`smoothscore_core::Network`], with candle's autodiff. Sampling
//! never runs this forward pass; [`Mlp::flat_weights`] hands the trained values to the core.
//!
//! Each layer is `Linear`'s matmul x Wᵀ followed by [`super::fused`]'s bias and activation
//! ops: candle's own arithmetic element for element, forward and backward, in fewer passes.

use super::fused::{add_bias, apply};
use anyhow::{bail, Result};
use candle_core::{Device, Tensor, Var};
use rand_core::RngCore;
use smoothscore_core::NetworkShape;

/// The trainable layers: per layer l, W_l `[out, in]` and b_l `[out]` as candle variables.
#[derive(Debug)]
pub struct Mlp {
    shape: NetworkShape,
    layers: Vec<(Var, Var)>,
}

/// A uniform draw in [−1, 1) from 53 random bits.
fn symmetric_unit(rng: &mut impl RngCore) -> f64 {
    2.0 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) - 1.0
}

impl Mlp {
    /// PyTorch's `nn.Linear` initialisation, W and b ~ U(±1/√in_l), drawn from `rng` in the
    /// contract's order (W_0, b_0, W_1, …). candle's own random tensors come from an unseeded
    /// generator, so the draws are ours: the same seed gives the same initial weights.
    pub fn init(shape: NetworkShape, rng: &mut impl RngCore) -> Result<Self> {
        let mut weights = Vec::with_capacity(shape.parameter_count()?);
        for l in 0..shape.layer_count() {
            let Some((inputs, outputs)) = shape.layer(l) else {
                bail!("layer {l} past the output layer");
            };
            let bound = 1.0 / (inputs as f64).sqrt();
            let count = inputs * outputs + outputs;
            weights.extend((0..count).map(|_| (bound * symmetric_unit(rng)) as f32));
        }
        Self::from_weights(shape, &weights)
    }

    /// The network with the flat weights `weights` (the contract's layout).
    pub fn from_weights(shape: NetworkShape, weights: &[f32]) -> Result<Self> {
        if weights.len() != shape.parameter_count()? {
            bail!(
                "{} weights for an architecture of {}",
                weights.len(),
                shape.parameter_count()?
            );
        }
        let mut layers = Vec::with_capacity(shape.layer_count());
        for l in 0..shape.layer_count() {
            let (Some((inputs, outputs)), Some(w), Some(b)) =
                (shape.layer(l), shape.weight_range(l), shape.bias_range(l))
            else {
                bail!("layer {l} past the output layer");
            };
            let w = Var::from_vec(weights[w].to_vec(), (outputs, inputs), &Device::Cpu)?;
            let b = Var::from_vec(weights[b].to_vec(), outputs, &Device::Cpu)?;
            layers.push((w, b));
        }
        Ok(Mlp { shape, layers })
    }

    /// The architecture.
    pub fn shape(&self) -> &NetworkShape {
        &self.shape
    }

    /// Every trainable variable (for the optimizer).
    pub fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    /// o = W_L h_L + b_L, h_{l+1} = act(W_l h_l + b_l), h_0 = `input` ([B, d + 2K] → [B, d]).
    pub fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut h = input.clone();
        for (l, (w, b)) in self.layers.iter().enumerate() {
            h = add_bias(&h.matmul(&w.as_tensor().t()?)?, b.as_tensor())?;
            if l < self.shape.depth {
                h = apply(self.shape.activation, &h)?;
            }
        }
        Ok(h)
    }

    /// The current weights, flat in the contract's layout (W_l row-major, then b_l).
    pub fn flat_weights(&self) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(self.shape.parameter_count()?);
        for (w, b) in &self.layers {
            out.extend(w.as_tensor().flatten_all()?.to_vec1::<f32>()?);
            out.extend(b.as_tensor().to_vec1::<f32>()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learned::architecture::network_shape;
    use rand_core::SeedableRng;
    use smoothscore_core::network::time_features::network_input;
    use smoothscore_core::network::Conditioning;
    use smoothscore_core::{Activation, Network, NetworkOutput, TimeInput};

    /// candle's forward pass (its gemm's summation order) against the core's (16 lanes, fixed
    /// tree) on the same weights and inputs: both round the same exact values, so they agree
    /// to a few ulps of the output's scale. Stated tolerance: |o_candle − o_core| ≤ 1e-5 ·
    /// (1 + |o_core|) for widths up to 128 (measured: about 1e-6).
    #[test]
    fn candle_forward_matches_the_core_forward() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        for (dim, width, depth, activation, k) in [
            (2, 32, 2, Activation::Silu, 4),
            (3, 128, 3, Activation::Relu, 8),
            (50, 64, 2, Activation::Silu, 6),
        ] {
            let shape = network_shape(
                dim,
                width,
                depth,
                activation,
                k,
                NetworkOutput::Epsilon,
                TimeInput::LogSigma,
            )
            .unwrap();
            let model = Mlp::init(shape, &mut rng).unwrap();
            let weights = model.flat_weights().unwrap();
            let frequencies: Vec<f32> = (0..k).map(|j| 0.3 * (j + 1) as f32).collect();
            let mean: Vec<f32> = (0..dim).map(|j| 0.1 * j as f32).collect();
            let network = Network::new(shape, &weights, &frequencies, &mean, 1.3).unwrap();
            let rows = 64;
            let mut inputs = vec![0.0f32; rows * shape.input_len()];
            let mut expected = vec![0.0f32; rows * dim];
            let mut scratch = vec![0.0f32; shape.scratch_len()];
            for r in 0..rows {
                let x: Vec<f32> = (0..dim)
                    .map(|_| 3.0 * symmetric_unit(&mut rng) as f32)
                    .collect();
                let sigma_squared = 0.001 + 0.9 * r as f32 / rows as f32;
                let alpha = (1.0 - sigma_squared).sqrt();
                let conditioning =
                    Conditioning::new(alpha, sigma_squared, 0.5, 1.69, 1.3, TimeInput::LogSigma);
                let input = &mut inputs[r * shape.input_len()..(r + 1) * shape.input_len()];
                network_input(&conditioning, &x, &mean, &frequencies, input);
                network
                    .forward(
                        &conditioning,
                        &x,
                        &mut scratch,
                        &mut expected[r * dim..(r + 1) * dim],
                    )
                    .unwrap();
            }
            let input = Tensor::from_vec(inputs, (rows, shape.input_len()), &Device::Cpu).unwrap();
            let got = model
                .forward(&input)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let worst = got
                .iter()
                .zip(&expected)
                .map(|(&g, &e)| f64::from(g - e).abs() / (1.0 + f64::from(e).abs()))
                .fold(0.0f64, f64::max);
            println!("d {dim} width {width} depth {depth} {}: max |candle − core| / (1 + |core|) = {worst:.2e}", activation.name());
            assert!(worst <= 1e-5, "{worst}");
        }
    }

    #[test]
    fn flat_weights_round_trip_in_the_contract_layout() {
        let shape = network_shape(
            2,
            5,
            2,
            Activation::Relu,
            3,
            NetworkOutput::Drift,
            TimeInput::Time,
        )
        .unwrap();
        let weights: Vec<f32> = (0..87).map(|i| i as f32).collect();
        let model = Mlp::from_weights(shape, &weights).unwrap();
        assert_eq!(model.flat_weights().unwrap(), weights);
        assert!(Mlp::from_weights(shape, &weights[..86]).is_err());
    }
}
