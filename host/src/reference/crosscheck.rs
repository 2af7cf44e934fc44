//! `smoothscore crosscheck`: the f32 core against the f64 reference (itself validated against the
//! 192-bit oracle), over a grid of processes, times and queries. Per quantity: how many outputs
//! are bit-identical to the reference rounded to f32, the max and 99.9th-percentile error in
//! ULPs, the worst input, and whether every error is within its stated bound.
//!
//! Errors are in f32 ULPs of a scale: scalars (α_t, σ_t²) against themselves; vectors normwise,
//! against ‖reference‖∞ — and for the score and the sampler step against the size of the terms
//! that cancel (‖x‖∞/σ² for s = (α m − x)/σ²), the "absolute term near cancellation".
//!
//! The bounds (checked per input) follow the algorithm, with κ = 1 + max |ℓ_i| over the points
//! whose weight is ≥ 2⁻²⁴ and n the number of those points:
//! - α_t: 4 + 4·c_α ULP, c_α the condition number of the closed form (|ln α| for the exponential
//!   forms, |θ tan θ| for the cosine schedule); σ_t²: 8 + 4·c_σ (c_σ = 2|t ln(σ_max/σ_min)| for VE,
//!   1 otherwise).
//! - weights and posterior mean: 4·((d + 3)κ + n + 4): each logit carries (d + 3)κ rounding
//!   errors (the distance sum, the scaling), the exponential 1, the online normaliser n.
//! - score: the weights' bound + the coefficients' bounds + 4.
//! - kernel-smoothed score: M·(the score's bound at the worst shifted query), M = kernel points.
//! - Euler–Maruyama step: the score's bound + 8.

use crate::matrix::Matrix;
use crate::reference::compute;
use crate::reference::real::Real;
use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, FinalStep, Integrator, KernelRule, KernelSmoothedScore,
    Process, ReverseSampler, ScoreField, Spacing, Workspace,
};

/// The f32 implementation under test (the real core, or a deliberately wrong one in tests).
pub trait CoreUnderTest {
    /// (α_t, σ_t²).
    fn coefficients(&self, process: &Process, t: f32) -> Result<(f32, f32)>;
    /// Posterior weights.
    fn weights(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>>;
    /// Posterior mean.
    fn mean(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>>;
    /// Empirical score.
    fn score(&self, data: &Dataset<'_>, process: &Process, t: f32, x: &[f32]) -> Result<Vec<f32>>;
}

/// `smoothscore_core` itself.
pub struct Core;

impl CoreUnderTest for Core {
    fn coefficients(&self, process: &Process, t: f32) -> Result<(f32, f32)> {
        Ok(process.coefficients(t)?)
    }
    fn weights(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>> {
        let mut out = vec![0.0; data.len()];
        smoothscore_core::posterior::posterior_weights(data, alpha, sigma_squared, x, &mut out)?;
        Ok(out)
    }
    fn mean(
        &self,
        data: &Dataset<'_>,
        alpha: f32,
        sigma_squared: f32,
        x: &[f32],
    ) -> Result<Vec<f32>> {
        let mut out = vec![0.0; data.dim()];
        smoothscore_core::posterior::posterior_mean(data, alpha, sigma_squared, x, &mut out)?;
        Ok(out)
    }
    fn score(&self, data: &Dataset<'_>, process: &Process, t: f32, x: &[f32]) -> Result<Vec<f32>> {
        let mut out = vec![0.0; data.dim()];
        EmpiricalScore::new(*data, *process).and_then(|field| field.score(t, x, &mut out))?;
        Ok(out)
    }
}

/// f32 ULP of |x| (the gap to the next f32 up), for a scale.
fn ulp(scale: f64) -> f64 {
    let x = (scale.abs() as f32).max(f32::MIN_POSITIVE);
    f64::from(f32::from_bits(x.to_bits() + 1) - x)
}

/// Error statistics of one quantity.
#[derive(Clone, Debug, Default)]
pub struct QuantityReport {
    /// The quantity.
    pub name: String,
    /// Outputs compared.
    pub outputs: usize,
    /// Outputs equal to the reference rounded to f32.
    pub bit_identical: usize,
    /// Error of every output, in ULPs of its scale.
    pub errors: Vec<f64>,
    /// (error, bound, input) of the worst output.
    pub worst: Option<(f64, f64, String)>,
    /// Outputs over their bound.
    pub violations: usize,
}

impl QuantityReport {
    fn new(name: &str) -> Self {
        QuantityReport {
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Records outputs against the reference with a scale and a bound (ULPs).
    fn record(&mut self, core: &[f32], reference: &[f64], scale: f64, bound: f64, input: &str) {
        for (&c, &r) in core.iter().zip(reference) {
            self.outputs += 1;
            if c.to_bits() == (r as f32).to_bits() {
                self.bit_identical += 1;
            }
            let error = if c.is_finite() {
                (f64::from(c) - r).abs() / ulp(scale)
            } else {
                f64::INFINITY
            };
            if error > bound {
                self.violations += 1;
            }
            if self.worst.as_ref().is_none_or(|w| error > w.0) {
                self.worst = Some((error, bound, input.to_string()));
            }
            self.errors.push(error);
        }
    }

    /// max error in ULPs.
    pub fn max_ulp(&self) -> f64 {
        self.errors.iter().copied().fold(0.0, f64::max)
    }

    /// 99.9th percentile of the errors in ULPs.
    pub fn p999_ulp(&self) -> f64 {
        let mut sorted = self.errors.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
            .get(((sorted.len() as f64 * 0.999) as usize).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    }

    /// The JSON object of this quantity.
    pub fn json(&self) -> Value {
        json!({
            "outputs": self.outputs,
            "bit_identical_fraction": self.bit_identical as f64 / self.outputs.max(1) as f64,
            "max_ulp": self.max_ulp(),
            "p999_ulp": self.p999_ulp(),
            "violations": self.violations,
            "worst_input": self.worst.as_ref().map(|w| w.2.clone()),
            "worst_bound_ulp": self.worst.as_ref().map(|w| w.1),
        })
    }
}

/// The processes checked.
pub fn processes() -> Vec<(&'static str, Process)> {
    vec![
        ("vp-linear", Process::VP_LINEAR),
        ("vp-cosine", Process::VP_COSINE),
        ("ou", Process::OrnsteinUhlenbeck { horizon: 5.0 }),
        (
            "ve",
            Process::VeGeometric {
                sigma_min: 0.01,
                sigma_max: 10.0,
            },
        ),
        ("brownian", Process::Brownian { horizon: 10.0 }),
    ]
}

/// Times: near t_min, small, middle, near T.
fn times(process: &Process) -> Vec<f32> {
    let horizon = process.horizon();
    vec![1e-3, 1e-2, 0.1 * horizon, 0.5 * horizon, 0.99 * horizon]
}

/// Queries: training points, midpoints of neighbours, far points, and noised points.
fn queries(data: &Matrix, process: &Process, t: f32, limit: usize) -> Vec<(String, Vec<f32>)> {
    let (alpha, sigma_squared) = process.coefficients(t).unwrap_or((1.0, 1.0));
    let rows: Vec<&[f32]> = data.iter_rows().collect();
    let step = (rows.len() / limit.max(1)).max(1);
    let mut out = Vec::new();
    for (j, row) in rows.iter().step_by(step).take(limit).enumerate() {
        out.push((format!("training point {}", j * step + 1), row.to_vec()));
        let next = rows[(j * step + 1) % rows.len()];
        out.push((
            format!(
                "between points {} and {}",
                j * step + 1,
                (j * step + 1) % rows.len() + 1
            ),
            row.iter().zip(next).map(|(a, b)| 0.5 * (a + b)).collect(),
        ));
        let spread = sigma_squared.sqrt();
        out.push((
            format!("α·point {} + noise", j * step + 1),
            row.iter()
                .enumerate()
                .map(|(k, a)| alpha * a + spread * if (j + k) % 2 == 0 { 0.7 } else { -1.1 })
                .collect(),
        ));
        if j % 4 == 0 {
            out.push((
                format!("far: 10·point {} + 5", j * step + 1),
                row.iter().map(|a| 10.0 * a + 5.0).collect(),
            ));
        }
    }
    out
}

fn infinity_norm(values: &[f64]) -> f64 {
    values.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Condition numbers (c_α, c_σ) of the closed forms at t.
fn coefficient_conditions(process: &Process, t: f32, alpha: f64) -> (f64, f64) {
    match *process {
        Process::VpCosine { offset } => {
            let theta = (f64::from(t) + f64::from(offset)) / (1.0 + f64::from(offset))
                * std::f64::consts::FRAC_PI_2;
            ((theta * theta.tan()).abs(), 1.0)
        }
        Process::VeGeometric {
            sigma_min,
            sigma_max,
        } => (
            0.0,
            2.0 * (f64::from(t) * (f64::from(sigma_max) / f64::from(sigma_min)).ln()).abs(),
        ),
        _ => (alpha.ln().abs(), 1.0),
    }
}

/// Runs the comparison of `core` against the f64 reference on `data`; `limit` caps the training
/// points used as query seeds per (process, t).
pub fn run<C: CoreUnderTest>(core: &C, data: &Matrix, limit: usize) -> Result<Vec<QuantityReport>> {
    let dim = data.cols();
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let mut alpha_report = QuantityReport::new("alpha");
    let mut sigma_report = QuantityReport::new("sigma_squared");
    let mut weight_report = QuantityReport::new("weights");
    let mut mean_report = QuantityReport::new("posterior_mean");
    let mut score_report = QuantityReport::new("score");
    let mut kernel_report = QuantityReport::new("kernel_score");
    let mut step_report = QuantityReport::new("euler_maruyama_step");
    let rule = if dim <= 3 {
        KernelRule::GaussHermite { order: 3 }
    } else {
        KernelRule::QuasiRandom { pairs: 4 }
    };
    let kernel_points = rule.count(dim)? as f64;
    for (name, process) in processes() {
        for t in times(&process) {
            let (alpha, sigma_squared) = core.coefficients(&process, t)?;
            let (ref_alpha, ref_sigma, ref_f, ref_g2) = compute::coefficients::<f64>(&process, t);
            let (c_alpha, c_sigma) = coefficient_conditions(&process, t, ref_alpha);
            let input = format!("{name} t = {t}");
            let alpha_bound = 4.0 + 4.0 * c_alpha;
            let sigma_bound = 8.0 + 4.0 * c_sigma;
            alpha_report.record(&[alpha], &[ref_alpha], ref_alpha, alpha_bound, &input);
            sigma_report.record(
                &[sigma_squared],
                &[ref_sigma],
                ref_sigma,
                sigma_bound,
                &input,
            );
            let smoothed = KernelSmoothedScore::<{ crate::sampling::sample::MAX_DIM }>::new(
                EmpiricalScore::new(dataset, process)?,
                Bandwidth::Constant { bandwidth: 0.1 },
                rule,
            )?;
            for (label, x) in queries(data, &process, t, limit) {
                let input = format!("{name} t = {t}, {label}");
                let logits = compute::logits::<f64>(data.values(), dim, &ref_alpha, &ref_sigma, &x);
                let weights = compute::weights(&logits);
                let effective: Vec<usize> = (0..weights.len())
                    .filter(|&i| weights[i] >= 2f64.powi(-24))
                    .collect();
                let kappa = 1.0
                    + effective
                        .iter()
                        .map(|&i| logits[i].abs())
                        .fold(0.0, f64::max);
                let weights_bound =
                    4.0 * ((dim as f64 + 3.0) * kappa + effective.len() as f64 + 4.0);
                let core_weights = core.weights(&dataset, alpha, sigma_squared, &x)?;
                weight_report.record(
                    &core_weights,
                    &weights,
                    infinity_norm(&weights),
                    weights_bound,
                    &input,
                );
                let mean = compute::posterior_mean(data.values(), dim, &weights);
                let data_scale = effective
                    .iter()
                    .map(|&i| {
                        infinity_norm(
                            &data
                                .row(i)
                                .iter()
                                .map(|&v| f64::from(v))
                                .collect::<Vec<_>>(),
                        )
                    })
                    .fold(0.0, f64::max);
                let core_mean = core.mean(&dataset, alpha, sigma_squared, &x)?;
                mean_report.record(
                    &core_mean,
                    &mean,
                    data_scale.max(infinity_norm(&mean)),
                    weights_bound,
                    &input,
                );
                let score: Vec<f64> = mean
                    .iter()
                    .zip(&x)
                    .map(|(m, &xk)| (ref_alpha * m - f64::from(xk)) / ref_sigma)
                    .collect();
                let x_norm = infinity_norm(&x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
                let score_scale =
                    infinity_norm(&score).max((x_norm + ref_alpha.abs() * data_scale) / ref_sigma);
                let score_bound = weights_bound + alpha_bound + sigma_bound + 4.0;
                let core_score = core.score(&dataset, &process, t, &x)?;
                score_report.record(&core_score, &score, score_scale, score_bound, &input);

                let kernel: Vec<f64> = compute::kernel_score::<f64>(
                    data.values(),
                    dim,
                    &process,
                    t,
                    Bandwidth::Constant { bandwidth: 0.1 },
                    rule,
                    &x,
                );
                let mut core_kernel = vec![0.0f32; dim];
                smoothed.score(t, &x, &mut core_kernel)?;
                let kernel_scale = infinity_norm(&kernel)
                    .max((x_norm + 0.5 + ref_alpha.abs() * data_scale) / ref_sigma);
                kernel_report.record(
                    &core_kernel,
                    &kernel,
                    kernel_scale,
                    kernel_points * score_bound,
                    &input,
                );

                let t_to = 0.9 * t;
                let (core_step, noise) = core_euler_maruyama(&dataset, &process, t, t_to, &x)?;
                let step = compute::euler_maruyama_step::<f64>(
                    data.values(),
                    dim,
                    &process,
                    t,
                    t_to,
                    &x,
                    &noise,
                );
                let noise_norm =
                    infinity_norm(&noise.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
                let dt = f64::from(t) - f64::from(t_to);
                let step_scale = infinity_norm(&step)
                    .max(x_norm * (1.0 + ref_f.abs() * dt))
                    .max(ref_g2.abs() * dt * score_scale)
                    .max((ref_g2 * dt).sqrt() * noise_norm);
                step_report.record(&core_step, &step, step_scale, score_bound + 8.0, &input);
            }
        }
    }
    Ok(vec![
        alpha_report,
        sigma_report,
        weight_report,
        mean_report,
        score_report,
        kernel_report,
        step_report,
    ])
}

/// One step of the core's own `ReverseSampler::step` (Euler–Maruyama); returns the new state and
/// the normals it drew (read from a clone of the generator with the core's normal sampler).
fn core_euler_maruyama(
    data: &Dataset<'_>,
    process: &Process,
    t_from: f32,
    t_to: f32,
    y: &[f32],
) -> Result<(Vec<f32>, Vec<f32>)> {
    use rand_core::SeedableRng;
    let field = EmpiricalScore::new(*data, *process)?;
    let sampler = ReverseSampler::new(
        *process,
        Integrator::EulerMaruyama,
        t_to.min(1e-4),
        1,
        Spacing::Uniform,
        FinalStep::State,
    )?;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(u64::from(t_from.to_bits()));
    let mut noise = vec![0.0f32; y.len()];
    smoothscore_core::rng::fill_standard_normal(&mut rng.clone(), &mut noise);
    let mut state = y.to_vec();
    let mut workspace = Workspace::<{ crate::sampling::sample::MAX_DIM }>::new(y.len())?;
    sampler.step(&field, t_from, t_to, &mut state, &mut rng, &mut workspace)?;
    Ok((state, noise))
}

/// The hot-path exponential [`smoothscore_core::vector_exp::exp`] against f64 `exp` on every
/// `stride`-th f32 whose e^x is a normal f32 (x in [−87.33, 88.72]), in ULPs of the exact
/// result, bound [`smoothscore_core::vector_exp::MAX_ULP`]. (The exhaustive sweep is the ignored
/// test `exp_is_faithful_on_every_f32`; a report keeps every error, so strides stay ≥ 16.)
pub fn exp_report(stride: u32) -> QuantityReport {
    use smoothscore_core::vector_exp;
    let mut report = QuantityReport::new("exp (softmax)");
    let low = (-87.33f32).to_bits();
    let high = 88.72f32.to_bits();
    let ranges = [(0u32, high), (0x8000_0000u32, low)];
    for (start, end) in ranges {
        for bits in (start..=end).step_by(stride.max(1) as usize) {
            let x = f32::from_bits(bits);
            let exact = f64::from(x).exp();
            let input = format!("x = {x:e}");
            report.record(
                &[vector_exp::exp(x)],
                &[exact],
                exact,
                f64::from(vector_exp::MAX_ULP),
                &input,
            );
        }
    }
    report
}

/// The text report: a row per quantity.
pub fn render(reports: &[QuantityReport]) -> String {
    let mut text = format!(
        "{:<20} {:>8} {:>14} {:>10} {:>10} {:>10}  worst input\n",
        "quantity", "outputs", "bit-identical", "max ULP", "p99.9 ULP", "over bound"
    );
    for r in reports {
        text += &format!(
            "{:<20} {:>8} {:>13.1}% {:>10.2} {:>10.2} {:>10}  {}\n",
            r.name,
            r.outputs,
            100.0 * r.bit_identical as f64 / r.outputs.max(1) as f64,
            r.max_ulp(),
            r.p999_ulp(),
            r.violations,
            r.worst
                .as_ref()
                .map(|w| format!("{} (bound {:.0})", w.2, w.1))
                .unwrap_or_default()
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;
    use smoothscore_core::vector_exp;

    /// Error of the softmax exponential at x in ULPs of e^x (0 where e^x is not a normal f32).
    fn exp_ulp(bits: u32) -> f64 {
        let x = f32::from_bits(bits);
        let exact = f64::from(x).exp();
        let rounded = exact as f32;
        if !rounded.is_normal() {
            return 0.0;
        }
        (f64::from(vector_exp::exp(x)) - exact).abs() / super::ulp(exact)
    }

    #[test]
    fn exp_is_faithful_on_a_strided_sweep() {
        let worst = (0..=u32::MAX)
            .step_by(65_537)
            .map(exp_ulp)
            .fold(0.0, f64::max);
        assert!(worst < f64::from(vector_exp::MAX_ULP), "{worst}");
    }

    #[test]
    #[ignore = "2.2·10⁹ inputs: ~40 s on two cores in release"]
    fn exp_is_faithful_on_every_f32() {
        let worst = (0..=u32::MAX)
            .into_par_iter()
            .map(exp_ulp)
            .reduce(|| 0.0, f64::max);
        println!("max error of vector_exp::exp over every f32: {worst:.4} ULP");
        assert!(worst < f64::from(vector_exp::MAX_ULP), "{worst}");
    }
}
