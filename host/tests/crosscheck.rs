//! The cross-check passes for the core and catches a deliberately wrong one.

use anyhow::Result;
use smoothscore::data::builtin::default_2d;
use smoothscore::reference::crosscheck::{run, Core, CoreUnderTest};
use smoothscore_core::{Dataset, Process};

/// A plausible but wrong core: softmax without subtracting the maximum logit, so far queries or
/// small t underflow every e^{ℓ_i} to 0 and the weights become 0/0.
struct NaiveSoftmax;

impl NaiveSoftmax {
    fn raw(data: &Dataset<'_>, alpha: f32, sigma_squared: f32, x: &[f32]) -> Vec<f32> {
        let raw: Vec<f32> = data
            .rows()
            .map(|row| {
                let d2: f32 = row
                    .iter()
                    .zip(x)
                    .map(|(y, xk)| (xk - alpha * y).powi(2))
                    .sum();
                (-d2 / (2.0 * sigma_squared)).exp()
            })
            .collect();
        let total: f32 = raw.iter().sum();
        raw.iter().map(|w| w / total).collect()
    }
}

impl CoreUnderTest for NaiveSoftmax {
    fn coefficients(&self, process: &Process, t: f32) -> Result<(f32, f32)> {
        Core.coefficients(process, t)
    }
    fn weights(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>> {
        Ok(Self::raw(data, alpha, sigma_squared, x))
    }
    fn mean(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>> {
        let w = Self::raw(data, alpha, sigma_squared, x);
        Ok((0..data.dim())
            .map(|k| data.rows().zip(&w).map(|(row, wi)| wi * row[k]).sum())
            .collect())
    }
    fn score(&self, data: &Dataset<'_>, process: &Process, t: f32, x: &[f32]) -> Result<Vec<f32>> {
        let (alpha, sigma_squared) = Core.coefficients(process, t)?;
        let mean = self.mean(data, alpha, sigma_squared, x)?;
        Ok(mean
            .iter()
            .zip(x)
            .map(|(m, xk)| (alpha * m - xk) / sigma_squared)
            .collect())
    }
}

#[test]
fn the_core_is_within_its_bounds_and_a_naive_softmax_is_not() {
    let data = default_2d().unwrap();
    let good = run(&Core, &data, 8).unwrap();
    for report in &good {
        println!(
            "core {:<20} max {:>9.2} ULP, p99.9 {:>8.2}, bit-identical {:.1}%",
            report.name,
            report.max_ulp(),
            report.p999_ulp(),
            100.0 * report.bit_identical as f64 / report.outputs as f64
        );
        assert_eq!(report.violations, 0, "{}", report.name);
    }
    let bad = run(&NaiveSoftmax, &data, 8).unwrap();
    let caught: usize = bad.iter().map(|r| r.violations).sum();
    println!("naive softmax: {caught} outputs over their bounds");
    assert!(caught > 0);
    let weights = bad.iter().find(|r| r.name == "weights").unwrap();
    assert!(weights.violations > 0 && weights.max_ulp().is_infinite());
}
