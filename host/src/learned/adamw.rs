//! AdamW in one pass per variable (feature `train`): candle-nn's [`candle_nn::AdamW`] step,
//! fused. candle-nn updates each variable with thirteen tensor operations (each a pass over the
//! variable and a fresh allocation); on the small tensors of a score network that per-operation
//! cost, not the arithmetic, dominated the optimizer. Here every element goes through the same
//! f32 operations in the same order as candle-nn 0.11's chain, so the weights are bit-identical
//! to candle-nn's optimizer (a unit test runs both side by side):
//!
//! m ← (m·β₁ + 0) + (g·(1 − β₁) + 0),  v ← (v·β₂ + 0) + (g²·(1 − β₂) + 0),
//! m̂ = m·c_m + 0, v̂ = v·c_v + 0 (c = 1/(1 − βⁱ) at step i),
//! θ ← (θ·(1 − ηλ) + 0) − ((m̂ / (√v̂·1 + ε))·η + 0),
//!
//! each constant rounded once to f32 (candle's `affine(mul, add)` is v·mul + add in the tensor's
//! dtype; the `+ 0` are kept, as candle computes them: they turn −0 into +0).

use anyhow::{bail, Result};
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::ParamsAdamW;

/// The optimizer: the variables, their first and second moments, the step count.
#[derive(Debug)]
pub struct FusedAdamW {
    vars: Vec<Var>,
    first_moments: Vec<Vec<f32>>,
    second_moments: Vec<Vec<f32>>,
    params: ParamsAdamW,
    step_count: i32,
}

impl FusedAdamW {
    /// AdamW over `vars` (f32 tensors) with zero moments.
    pub fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        let zeros: Vec<Vec<f32>> = vars.iter().map(|v| vec![0.0; v.elem_count()]).collect();
        for var in &vars {
            if var.dtype() != candle_core::DType::F32 {
                bail!("the fused AdamW takes f32 variables, got {:?}", var.dtype());
            }
        }
        Ok(FusedAdamW {
            first_moments: zeros.clone(),
            second_moments: zeros,
            vars,
            params,
            step_count: 0,
        })
    }

    /// Sets η for the next steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }

    /// Back-propagates `loss` and takes one step.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step(&grads)
    }

    /// One step with the gradients `grads` (variables without a gradient are left alone, as
    /// candle-nn does).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_count += 1;
        let p = &self.params;
        let lr_lambda = p.lr * p.weight_decay;
        let scale_m = (1f64 / (1f64 - p.beta1.powi(self.step_count))) as f32;
        let scale_v = (1f64 / (1f64 - p.beta2.powi(self.step_count))) as f32;
        let (beta1, one_minus_beta1) = (p.beta1 as f32, (1.0 - p.beta1) as f32);
        let (beta2, one_minus_beta2) = (p.beta2 as f32, (1.0 - p.beta2) as f32);
        let decay = (1f64 - lr_lambda) as f32;
        let (eps, lr) = (p.eps as f32, p.lr as f32);
        for ((var, first), second) in self
            .vars
            .iter()
            .zip(&mut self.first_moments)
            .zip(&mut self.second_moments)
        {
            let Some(gradient) = grads.get(var.as_tensor()) else {
                continue;
            };
            let gradient = gradient.flatten_all()?.to_vec1::<f32>()?;
            let mut theta = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            for (((t, m), v), &g) in theta
                .iter_mut()
                .zip(first.iter_mut())
                .zip(second.iter_mut())
                .zip(&gradient)
            {
                *m = (*m * beta1 + 0.0) + (g * one_minus_beta1 + 0.0);
                *v = (*v * beta2 + 0.0) + ((g * g) * one_minus_beta2 + 0.0);
                let m_hat = *m * scale_m + 0.0;
                let v_hat = *v * scale_v + 0.0;
                let adjusted = m_hat / (v_hat.sqrt() * 1.0 + eps);
                *t = (*t * decay + 0.0) - (adjusted * lr + 0.0);
            }
            var.set(&Tensor::from_vec(theta, var.shape(), var.device())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Module};
    use candle_nn::{AdamW, Linear, Optimizer};

    /// Twenty steps of both optimizers on the same two-layer network and batches, with weight
    /// decay and a changing rate: the same weights bit for bit.
    #[test]
    fn the_fused_step_gives_candle_nn_adamw_bits() {
        let make = |seed: u64| -> Vec<Var> {
            let values = |n: usize, s: u64| -> Vec<f32> {
                (0..n)
                    .map(|i| (((i as u64 * 2654435761 + s) % 1000) as f32 / 500.0 - 1.0) * 0.3)
                    .collect()
            };
            vec![
                Var::from_vec(values(3 * 16, seed), (16, 3), &Device::Cpu).unwrap(),
                Var::from_vec(values(16, seed + 1), 16, &Device::Cpu).unwrap(),
                Var::from_vec(values(16 * 2, seed + 2), (2, 16), &Device::Cpu).unwrap(),
                Var::from_vec(values(2, seed + 3), 2, &Device::Cpu).unwrap(),
            ]
        };
        let loss = |vars: &[Var], step: usize| -> Tensor {
            let x: Vec<f32> = (0..64 * 3)
                .map(|i| ((i * 7 + step * 13) % 17) as f32 / 8.0 - 1.0)
                .collect();
            let x = Tensor::from_vec(x, (64, 3), &Device::Cpu).unwrap();
            let layer =
                |w: &Var, b: &Var| Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
            let h = layer(&vars[0], &vars[1])
                .forward(&x)
                .unwrap()
                .silu()
                .unwrap();
            let o = layer(&vars[2], &vars[3]).forward(&h).unwrap();
            o.sqr().unwrap().mean_all().unwrap()
        };
        let params = ParamsAdamW {
            lr: 1e-2,
            weight_decay: 0.3,
            ..ParamsAdamW::default()
        };
        let (ours, theirs) = (make(5), make(5));
        let mut fused = FusedAdamW::new(ours.clone(), params.clone()).unwrap();
        let mut reference = AdamW::new(theirs.clone(), params).unwrap();
        for step in 0..20 {
            let lr = 1e-2 * (1.0 - step as f64 / 20.0);
            fused.set_learning_rate(lr);
            reference.set_learning_rate(lr);
            fused.backward_step(&loss(&ours, step)).unwrap();
            reference.backward_step(&loss(&theirs, step)).unwrap();
        }
        let flat = |v: &Var| v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let bits = |v: Vec<f32>| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        for ((a, b), initial) in ours.iter().zip(&theirs).zip(&make(5)) {
            assert_eq!(bits(flat(a)), bits(flat(b)));
            assert_ne!(flat(a), flat(initial), "the weights moved");
        }
    }
}
