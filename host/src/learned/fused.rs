//! Fused candle ops for the MLP's layers (feature `train`): the same f32 arithmetic as candle
//! 0.11's own ops, element for element, forward and backward, so training gives the same bits
//! as with candle's ops (unit tests compare values and gradients bit for bit). What changes is
//! the number of passes and allocations per step, which on a score network's small tensors
//! cost more than the arithmetic.
//!
//! **Bias** ([`add_bias`], for `Linear`'s `broadcast_add`): y = x + b per row. candle's
//! backward sums the gradient over the batch with a generic reduction (an index division per
//! element); here the column sums are accumulated row by row, which is the same sequence of
//! f32 additions per column (from 0, rows in order) in one cache-friendly pass.
//!
//! **Activations** ([`apply`]): candle differentiates silu with eight tensor operations
//! (negate, exp, +1, reciprocal, 1 − y, product, sum, product with the incoming gradient) and
//! relu with four, each a pass over a [batch, width] tensor and an allocation; here it is one,
//! and silu's e^{−x} is kept from the forward pass instead of recomputed.
//!
//! - silu: y = x / (1 + e^{−x}); ∂ = g · (σ(x)·(1 − y) + y) with σ(x) = 1/(e^{−x}·1 + 1)
//!   (candle's formula and operation order; its `(1 − y)` is the affine −1·y + 1, which rounds
//!   as 1 − y).
//! - relu: y = max(x, 0); ∂ = g · [x ≥ 0] (the indicator as 1.0 or 0.0, multiplied, as candle).

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Shape, Tensor};
use smoothscore_core::Activation;
use std::sync::OnceLock;

/// y = act(x) for the activation `activation`, differentiable by candle's autodiff.
pub fn apply(activation: Activation, x: &Tensor) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1(Forward {
        activation,
        exp_negative: OnceLock::new(),
    })
}

/// y = x + b for x `[B, n]` and b `[n]` (each row plus b), differentiable by candle's autodiff.
pub fn add_bias(x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op2(&bias.contiguous()?, AddBias)
}

struct AddBias;

impl CustomOp2 for AddBias {
    fn name(&self) -> &'static str {
        "fused-add-bias"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, bias) = (values(s1, l1)?, values(s2, l2)?);
        let (_, width) = l1.shape().dims2()?;
        if bias.len() != width || l2.shape().rank() != 1 {
            candle_core::bail!("fused bias: {} values for rows of {width}", bias.len());
        }
        let y = x
            .chunks_exact(width)
            .flat_map(|row| row.iter().zip(bias).map(|(&v, &b)| v + b))
            .collect();
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let grad_res = grad_res.contiguous()?;
        let sums = grad_res.apply_op1_no_bwd(&ColumnSums)?;
        Ok((Some(grad_res), Some(sums.reshape(bias.shape())?)))
    }
}

/// Σ_rows g for g [B, n]: per column from 0, rows in order.
struct ColumnSums;

impl CustomOp1 for ColumnSums {
    fn name(&self) -> &'static str {
        "fused-column-sums"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = values(storage, layout)?;
        let (_, width) = layout.shape().dims2()?;
        let mut sums = vec![0.0f32; width];
        for row in g.chunks_exact(width) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v;
            }
        }
        Ok((CpuStorage::F32(sums), Shape::from(width)))
    }
}

/// The values of a contiguous f32 storage.
fn values<'s>(storage: &'s CpuStorage, layout: &Layout) -> candle_core::Result<&'s [f32]> {
    let CpuStorage::F32(all) = storage else {
        candle_core::bail!("the fused activations take f32 tensors");
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&all[start..end]),
        None => candle_core::bail!("the fused activations take contiguous tensors"),
    }
}

/// The forward op; for silu it keeps e^{−x} for the backward pass (the same values candle
/// recomputes there, so reusing them changes no bit and halves the exponentials).
struct Forward {
    activation: Activation,
    exp_negative: OnceLock<Vec<f32>>,
}

impl CustomOp1 for Forward {
    fn name(&self) -> &'static str {
        "fused-activation"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = values(storage, layout)?;
        let y: Vec<f32> = match self.activation {
            Activation::Silu => {
                let exp_negative: Vec<f32> = x.iter().map(|&v| (-v).exp()).collect();
                let y = x
                    .iter()
                    .zip(&exp_negative)
                    .map(|(&v, &e)| v / (1.0 + e))
                    .collect();
                // A second forward of the same op (never done) would keep the first values.
                let _ = self.exp_negative.set(exp_negative);
                y
            }
            Activation::Relu => x.iter().map(|&v| v.max(0f32)).collect(),
        };
        Ok((CpuStorage::F32(y), layout.shape().clone()))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let grad_res = grad_res.contiguous()?;
        let backward = Backward {
            activation: self.activation,
            exp_negative: self.exp_negative.get().map(Vec::as_slice),
        };
        Ok(Some(arg.apply_op3_no_bwd(res, &grad_res, &backward)?))
    }
}

/// The backward op over (x, y, g); silu reads e^{−x} from its forward pass.
struct Backward<'a> {
    activation: Activation,
    exp_negative: Option<&'a [f32]>,
}

impl CustomOp3 for Backward<'_> {
    fn name(&self) -> &'static str {
        "fused-activation-backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, y, g) = (values(s1, l1)?, values(s2, l2)?, values(s3, l3)?);
        if x.len() != y.len() || x.len() != g.len() {
            candle_core::bail!("fused activation backward: mismatched lengths");
        }
        let out: Vec<f32> = match (self.activation, self.exp_negative) {
            (Activation::Silu, Some(exp_negative)) if exp_negative.len() == x.len() => exp_negative
                .iter()
                .zip(y)
                .zip(g)
                .map(|((&e, &y), &g)| {
                    let sigmoid = (e * 1.0 + 1.0).recip();
                    g * (sigmoid * (1.0 - y) + y)
                })
                .collect(),
            (Activation::Silu, _) => candle_core::bail!("silu backward without its forward pass"),
            (Activation::Relu, _) => x
                .iter()
                .zip(g)
                .map(|(&x, &g)| g * if x >= 0.0 { 1.0 } else { 0.0 })
                .collect(),
        };
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// Values and gradients of the fused ops against candle's `silu`/`relu` on inputs spanning
    /// zero, large magnitudes and both signs: the same bits.
    #[test]
    fn fused_activations_give_candle_bits_forward_and_backward() {
        let x: Vec<f32> = (0..4000)
            .map(|i| {
                let u = i as f32 / 4000.0 - 0.5;
                u * u.abs() * 200.0
            })
            .chain([0.0, -0.0, 1e-30, -1e-30, 88.0, -104.0])
            .collect();
        let weights: Vec<f32> = (0..x.len())
            .map(|i| ((i % 13) as f32 - 6.0) / 3.0)
            .collect();
        let w = Tensor::from_vec(weights, x.len(), &Device::Cpu).unwrap();
        for activation in [Activation::Silu, Activation::Relu] {
            let run = |fused: bool| {
                let var = Var::from_vec(x.clone(), x.len(), &Device::Cpu).unwrap();
                let y = match (fused, activation) {
                    (true, _) => apply(activation, var.as_tensor()).unwrap(),
                    (false, Activation::Silu) => var.silu().unwrap(),
                    (false, Activation::Relu) => var.relu().unwrap(),
                };
                let loss = (&y * &w).unwrap().sum_all().unwrap();
                let grads = loss.backward().unwrap();
                let gradient = grads
                    .get(var.as_tensor())
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                (y.to_vec1::<f32>().unwrap(), gradient)
            };
            let (ours, theirs) = (run(true), run(false));
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&ours.0), bits(&theirs.0), "{activation:?} forward");
            assert_eq!(bits(&ours.1), bits(&theirs.1), "{activation:?} backward");
        }
    }

    /// The fused bias against candle's `broadcast_add`, forward and both gradients, on a
    /// [300, 7] batch with a weighted loss: the same bits.
    #[test]
    fn fused_bias_gives_candle_bits_forward_and_backward() {
        let (rows, width) = (300, 7);
        let x: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let b: Vec<f32> = (0..width).map(|j| j as f32 / 3.0 - 1.0).collect();
        let weights: Vec<f32> = (0..rows * width)
            .map(|i| ((i * 11 % 23) as f32 - 11.0) / 5.0)
            .collect();
        let w = Tensor::from_vec(weights, (rows, width), &Device::Cpu).unwrap();
        let run = |fused: bool| {
            let xv = Var::from_vec(x.clone(), (rows, width), &Device::Cpu).unwrap();
            let bv = Var::from_vec(b.clone(), width, &Device::Cpu).unwrap();
            let y = match fused {
                true => add_bias(xv.as_tensor(), bv.as_tensor()).unwrap(),
                false => xv.broadcast_add(bv.as_tensor()).unwrap(),
            };
            let grads = (&y * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            (
                flat(&y),
                flat(grads.get(xv.as_tensor()).unwrap()),
                flat(grads.get(bv.as_tensor()).unwrap()),
            )
        };
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let (ours, theirs) = (run(true), run(false));
        assert_eq!(bits(&ours.0), bits(&theirs.0), "forward");
        assert_eq!(bits(&ours.1), bits(&theirs.1), "input gradient");
        assert_eq!(bits(&ours.2), bits(&theirs.2), "bias gradient");
    }
}
