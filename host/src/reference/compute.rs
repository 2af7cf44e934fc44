//! Every core computation written once over [`Real`]: the process coefficients, the logits and
//! posterior weights, the posterior mean, the empirical and kernel-smoothed scores, and one
//! Euler–Maruyama step given the noise. Inputs are the core's own f32 inputs, taken exactly; sums
//! are compensated; the log-sum-exp subtracts the exact maximum.

use super::real::{CompensatedSum, Real};
use smoothscore_core::{Bandwidth, KernelRule, Process};

fn r<R: Real>(x: f32) -> R {
    R::from_f64(f64::from(x))
}

/// The coefficients of a process at t: (α_t, σ_t², f(t), g(t)²), from the closed forms of
/// `smoothscore_core::schedule` evaluated exactly (π exact for the cosine schedule).
pub fn coefficients<R: Real>(process: &Process, t: f32) -> (R, R, R, R) {
    let t_r: R = r(t);
    let one = R::from_f64(1.0);
    let half = R::from_f64(0.5);
    let two = R::from_f64(2.0);
    match *process {
        Process::VpLinear { beta_min, beta_max } => {
            let (low, high): (R, R) = (r(beta_min), r(beta_max));
            let slope = high.sub(&low);
            let integrated = low.mul(&t_r).add(&half.mul(&slope).mul(&t_r).mul(&t_r));
            let beta = low.add(&t_r.mul(&slope));
            let alpha = half.mul(&integrated).neg().exp();
            let sigma_squared = integrated.neg().expm1().neg();
            (alpha, sigma_squared, half.mul(&beta).neg(), beta)
        }
        Process::VpCosine { offset } => {
            let s: R = r(offset);
            let quarter = R::pi().div(&two).div(&one.add(&s));
            let angle = |u: &R| u.add(&s).mul(&quarter);
            let (theta_t, theta_0) = (angle(&t_r), angle(&R::from_f64(0.0)));
            let cos_0 = theta_0.cos();
            let alpha = theta_t.cos().div(&cos_0);
            let sigma_squared = theta_t
                .sub(&theta_0)
                .sin()
                .mul(&theta_t.add(&theta_0).sin())
                .div(&cos_0.mul(&cos_0));
            let beta = R::pi()
                .div(&one.add(&s))
                .mul(&theta_t.sin().div(&theta_t.cos()));
            (alpha, sigma_squared, half.mul(&beta).neg(), beta)
        }
        Process::OrnsteinUhlenbeck { .. } => (
            t_r.neg().exp(),
            two.mul(&t_r).neg().expm1().neg(),
            one.neg(),
            two,
        ),
        Process::VeGeometric {
            sigma_min,
            sigma_max,
        } => {
            let log_ratio = r::<R>(sigma_max).div(&r(sigma_min)).ln();
            let sigma = r::<R>(sigma_min).mul(&t_r.mul(&log_ratio).exp());
            let sigma_squared = sigma.mul(&sigma);
            let g2 = two.mul(&log_ratio).mul(&sigma_squared);
            (one, sigma_squared, R::from_f64(0.0), g2)
        }
        Process::Brownian { .. } => (one.clone(), t_r, R::from_f64(0.0), one),
    }
}

/// ℓ_i = −‖x − α x_i‖² / (2σ²) for every row, the squared norm summed with compensation.
pub fn logits<R: Real>(
    data: &[f32],
    dim: usize,
    alpha: &R,
    sigma_squared: &R,
    x: &[f32],
) -> Vec<R> {
    let scale = R::from_f64(-0.5).div(sigma_squared);
    data.chunks_exact(dim)
        .map(|row| {
            let mut sum = CompensatedSum::new();
            for (&xk, &yk) in x.iter().zip(row) {
                let difference = r::<R>(xk).sub(&alpha.mul(&r(yk)));
                sum.add(&difference.mul(&difference));
            }
            sum.value().mul(&scale)
        })
        .collect()
}

/// w_i = e^{ℓ_i − max ℓ} / Σ_j e^{ℓ_j − max ℓ}.
pub fn weights<R: Real>(logits: &[R]) -> Vec<R> {
    let Some(first) = logits.first() else {
        return Vec::new();
    };
    let top = logits.iter().fold(
        first.clone(),
        |m, l| if l.greater(&m) { l.clone() } else { m },
    );
    let raw: Vec<R> = logits.iter().map(|l| l.sub(&top).exp()).collect();
    let mut total = CompensatedSum::new();
    raw.iter().for_each(|w| total.add(w));
    let total = total.value();
    raw.iter().map(|w| w.div(&total)).collect()
}

/// m = Σ_i w_i x_i, per coordinate with compensation.
pub fn posterior_mean<R: Real>(data: &[f32], dim: usize, weights: &[R]) -> Vec<R> {
    (0..dim)
        .map(|k| {
            let mut sum = CompensatedSum::new();
            for (w, row) in weights.iter().zip(data.chunks_exact(dim)) {
                sum.add(&w.mul(&r(row[k])));
            }
            sum.value()
        })
        .collect()
}

/// s_t(x) = (α m_t(x) − x)/σ², with the weights of x.
pub fn score<R: Real>(data: &[f32], dim: usize, process: &Process, t: f32, x: &[f32]) -> Vec<R> {
    let (alpha, sigma_squared, _, _) = coefficients::<R>(process, t);
    score_with(data, dim, &alpha, &sigma_squared, x)
}

fn score_with<R: Real>(
    data: &[f32],
    dim: usize,
    alpha: &R,
    sigma_squared: &R,
    x: &[f32],
) -> Vec<R> {
    let w = weights(&logits(data, dim, alpha, sigma_squared, x));
    posterior_mean(data, dim, &w)
        .iter()
        .zip(x)
        .map(|(m, &xk)| alpha.mul(m).sub(&r(xk)).div(sigma_squared))
        .collect()
}

/// s̃_t(x) = Σ_j w_j s_t(x − hξ_j) with the core's kernel points (taken exactly) and h computed
/// exactly from the bandwidth rule; the shifted queries are rounded to f32 as the core rounds them.
pub fn kernel_score<R: Real>(
    data: &[f32],
    dim: usize,
    process: &Process,
    t: f32,
    bandwidth: Bandwidth,
    rule: KernelRule,
    x: &[f32],
) -> Vec<R> {
    let (alpha, sigma_squared, _, _) = coefficients::<R>(process, t);
    let h = match bandwidth {
        Bandwidth::Constant { bandwidth } => bandwidth,
        Bandwidth::SigmaTied { ratio } => (f64::from(ratio) * sigma_squared.to_f64()).sqrt() as f32,
    };
    let mut sums: Vec<CompensatedSum<R>> = (0..dim).map(|_| CompensatedSum::new()).collect();
    let mut point = vec![0.0f32; dim];
    let _ = rule.for_each(&mut point, |weight, xi| {
        let shifted: Vec<f32> = x.iter().zip(xi).map(|(&xk, &xik)| xk - h * xik).collect();
        let single = score_with(data, dim, &alpha, &sigma_squared, &shifted);
        for (sum, s) in sums.iter_mut().zip(&single) {
            sum.add(&r::<R>(weight).mul(s));
        }
        Ok(())
    });
    sums.iter().map(CompensatedSum::value).collect()
}

/// One reverse-SDE Euler–Maruyama step from t_from to t_to given the normals ξ:
/// y − (f y − g² s_t(y))Δt + √(g² Δt) ξ, all at t_from, Δt = t_from − t_to.
pub fn euler_maruyama_step<R: Real>(
    data: &[f32],
    dim: usize,
    process: &Process,
    t_from: f32,
    t_to: f32,
    y: &[f32],
    noise: &[f32],
) -> Vec<R> {
    let (alpha, sigma_squared, f, g2) = coefficients::<R>(process, t_from);
    let s = score_with(data, dim, &alpha, &sigma_squared, y);
    let dt = r::<R>(t_from).sub(&r(t_to));
    let noise_scale = g2.mul(&dt).sqrt();
    y.iter()
        .zip(&s)
        .zip(noise)
        .map(|((&yk, sk), &xi)| {
            let drift = f.mul(&r(yk)).sub(&g2.mul(sk));
            r::<R>(yk)
                .sub(&drift.mul(&dt))
                .add(&noise_scale.mul(&r(xi)))
        })
        .collect()
}
