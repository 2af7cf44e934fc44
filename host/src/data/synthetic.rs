//! Seeded synthetic data sets and, where one exists, their true density and score under the
//! forward processes X_t = α_t X_0 + σ_t Z (docs/math.md §8). Draw j of a generator uses random stream j
//! of its seed (`smoothscore_core::rng::SampleStreams`), so a prefix of a larger draw is the same.
//!
//! - Isotropic Gaussian mixtures Σ_k π_k N(μ_k, s_k² I): exact, p_t = Σ_k π_k N(α μ_k, (α² s_k² + σ²) I).
//!   Includes the isotropic Gaussian, the 2-D ring of 8 Gaussians and a 10-component mixture in
//!   d = 50 (our instance of Vargas et al.'s; the abstract does not give their parameters).
//! - Neal's funnel: v ~ N(0, 3²), x_{2..d} | v ~ N(0, e^v I); p_t by quadrature over v.
//! - Two moons, a circle (1-D manifolds in 2-D) and n evenly spaced points on a line in R^d.

use crate::matrix::Matrix;
use anyhow::{bail, Result};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore_core::rng::{fill_standard_normal, uniform_open, SampleStreams};

const LN_TAU: f64 = 1.837_877_066_409_345_5;

/// An isotropic Gaussian mixture Σ_k π_k N(μ_k, s_k² I).
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    /// Weights π_k (sum 1).
    pub weights: Vec<f64>,
    /// Means μ_k.
    pub means: Vec<Vec<f64>>,
    /// Standard deviations s_k.
    pub stds: Vec<f64>,
}

impl GaussianMixture {
    /// N(μ, s² I).
    pub fn gaussian(mean: Vec<f64>, std: f64) -> Self {
        GaussianMixture {
            weights: vec![1.0],
            means: vec![mean],
            stds: vec![std],
        }
    }

    /// Eight N(μ_k, 0.1² I), μ_k = 2(cos 2πk/8, sin 2πk/8), equal weights.
    pub fn ring8() -> Self {
        let means = (0..8)
            .map(|k| {
                let angle = std::f64::consts::TAU * k as f64 / 8.0;
                vec![2.0 * angle.cos(), 2.0 * angle.sin()]
            })
            .collect();
        GaussianMixture {
            weights: vec![1.0 / 8.0; 8],
            means,
            stds: vec![0.1; 8],
        }
    }

    /// Ten N(μ_k, I_d), equal weights, μ_k coordinates uniform on [−5, 5] from xoshiro256++
    /// seeded with 0x6a11 (fixed: every run sees the same law).
    pub fn ten_components(dim: usize) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x6a11);
        let means = (0..10)
            .map(|_| {
                (0..dim)
                    .map(|_| f64::from(10.0 * uniform_open(&mut rng) - 5.0))
                    .collect()
            })
            .collect();
        GaussianMixture {
            weights: vec![0.1; 10],
            means,
            stds: vec![1.0; 10],
        }
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.means.first().map_or(0, Vec::len)
    }

    /// `count` draws: component by inverse CDF of one uniform, then μ_k + s_k z.
    pub fn sample(&self, count: usize, seed: u64) -> Result<Matrix> {
        let dim = self.dim();
        let mut values = Vec::with_capacity(count * dim);
        let mut z = vec![0.0f32; dim];
        for mut rng in SampleStreams::new(seed).take(count) {
            let u = f64::from(uniform_open(&mut rng));
            let mut cumulative = 0.0;
            let component = self
                .weights
                .iter()
                .position(|w| {
                    cumulative += w;
                    u < cumulative
                })
                .unwrap_or(self.weights.len() - 1);
            fill_standard_normal(&mut rng, &mut z);
            let (mean, std) = (&self.means[component], self.stds[component]);
            values.extend(
                mean.iter()
                    .zip(&z)
                    .map(|(m, &zk)| (m + std * f64::from(zk)) as f32),
            );
        }
        Matrix::new(count, dim, values)
    }

    /// Per component: log π_k + log N(x; α μ_k, v_k I), v_k = α² s_k² + σ².
    fn component_logs(&self, alpha: f64, sigma_squared: f64, x: &[f32]) -> Vec<(f64, f64)> {
        let dim = x.len() as f64;
        self.means
            .iter()
            .zip(&self.stds)
            .zip(&self.weights)
            .map(|((mean, std), weight)| {
                let variance = alpha * alpha * std * std + sigma_squared;
                let squared: f64 = x
                    .iter()
                    .zip(mean)
                    .map(|(&xk, m)| (f64::from(xk) - alpha * m).powi(2))
                    .sum();
                let log =
                    weight.ln() - squared / (2.0 * variance) - 0.5 * dim * (LN_TAU + variance.ln());
                (log, variance)
            })
            .collect()
    }

    /// log p_t(x) for X_t = α X_0 + σ Z (α = 1, σ² = 0: the mixture itself).
    pub fn log_density(&self, alpha: f64, sigma_squared: f64, x: &[f32]) -> f64 {
        let logs = self.component_logs(alpha, sigma_squared, x);
        let top = logs.iter().map(|l| l.0).fold(f64::NEG_INFINITY, f64::max);
        top + logs.iter().map(|l| (l.0 - top).exp()).sum::<f64>().ln()
    }

    /// ∇ log p_t(x) = Σ_k r_k(x)(α μ_k − x)/v_k, r_k the component responsibilities.
    pub fn score(&self, alpha: f64, sigma_squared: f64, x: &[f32]) -> Vec<f64> {
        let logs = self.component_logs(alpha, sigma_squared, x);
        let top = logs.iter().map(|l| l.0).fold(f64::NEG_INFINITY, f64::max);
        let responsibilities: Vec<f64> = logs.iter().map(|l| (l.0 - top).exp()).collect();
        let total: f64 = responsibilities.iter().sum();
        let mut out = vec![0.0; x.len()];
        for ((r, (_, variance)), mean) in responsibilities.iter().zip(&logs).zip(&self.means) {
            for ((o, &xk), m) in out.iter_mut().zip(x).zip(mean) {
                *o += r / total * (alpha * m - f64::from(xk)) / variance;
            }
        }
        out
    }
}

/// Neal's funnel in dimension d ≥ 2: v ~ N(0, 3²) in the first coordinate, x_{2..d} ~ N(0, e^v I).
pub fn funnel(count: usize, dim: usize, seed: u64) -> Result<Matrix> {
    if dim < 2 {
        bail!("the funnel needs d ≥ 2");
    }
    let mut values = Vec::with_capacity(count * dim);
    let mut z = vec![0.0f32; dim];
    for mut rng in SampleStreams::new(seed).take(count) {
        fill_standard_normal(&mut rng, &mut z);
        let v = 3.0 * z[0];
        values.push(v);
        values.extend(z[1..].iter().map(|zk| (0.5 * v).exp() * zk));
    }
    Matrix::new(count, dim, values)
}

/// Quadrature nodes for the funnel: v on [−30, 30] (10 prior standard deviations), trapezoid.
const FUNNEL_NODES: usize = 4001;

/// log p_t(y) and ∇ log p_t(y) of the noised funnel, by the trapezoid rule over v on [−30, 30]
/// with 4001 nodes: p_t(y) = ∫ N(v; 0, 9) N(y_1; αv, σ²) Π_{k≥2} N(y_k; 0, α² e^v + σ²) dv. The
/// score is the posterior average of the integrand's gradient: ∂_1 = E[(αv − y_1)/σ²] (for σ² > 0),
/// ∂_k = E[−y_k/(α² e^v + σ²)]. With σ² = 0 the first coordinate pins v = y_1/α.
pub fn funnel_log_density_and_score(alpha: f64, sigma_squared: f64, y: &[f32]) -> (f64, Vec<f64>) {
    let dim = y.len();
    let y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let rest: f64 = y[1..].iter().map(|v| v * v).sum();
    let rest_dims = (dim - 1) as f64;
    let log_rest = |v: f64| {
        let variance = alpha * alpha * v.exp() + sigma_squared;
        (
            -rest / (2.0 * variance) - 0.5 * rest_dims * (LN_TAU + variance.ln()),
            variance,
        )
    };
    if sigma_squared == 0.0 {
        let v = y[0] / alpha;
        let (log, variance) = log_rest(v);
        let log_density = log - v * v / 18.0 - 0.5 * (LN_TAU + 9f64.ln()) - alpha.ln();
        let mut score = vec![0.0; dim];
        let d_variance_dv = variance;
        score[0] = (-v / 9.0
            + (rest / (2.0 * variance * variance) - 0.5 * rest_dims / variance) * d_variance_dv)
            / alpha;
        for k in 1..dim {
            score[k] = -y[k] / variance;
        }
        return (log_density, score);
    }
    let step = 60.0 / (FUNNEL_NODES - 1) as f64;
    let nodes: Vec<(f64, f64, f64)> = (0..FUNNEL_NODES)
        .map(|i| {
            let v = -30.0 + step * i as f64;
            let (log, variance) = log_rest(v);
            let log_first = -(y[0] - alpha * v).powi(2) / (2.0 * sigma_squared)
                - 0.5 * (LN_TAU + sigma_squared.ln());
            let log_prior = -v * v / 18.0 - 0.5 * (LN_TAU + 9f64.ln());
            let trapezoid = if i == 0 || i == FUNNEL_NODES - 1 {
                0.5
            } else {
                1.0
            };
            (
                v,
                log + log_first + log_prior + (trapezoid * step).ln(),
                variance,
            )
        })
        .collect();
    let top = nodes.iter().map(|n| n.1).fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = nodes.iter().map(|n| (n.1 - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut score = vec![0.0; dim];
    for ((v, _, variance), w) in nodes.iter().zip(&weights) {
        let r = w / total;
        score[0] += r * (alpha * v - y[0]) / sigma_squared;
        for k in 1..dim {
            score[k] += r * -y[k] / variance;
        }
    }
    (top + total.ln(), score)
}

/// Two interleaved half-moons (the built-in set's law with random angles): angle uniform on
/// [0, π], moon 1 (cos a, sin a), moon 2 (1 − cos a, ½ − sin a) alternating, N(0, noise²)
/// jitter, shifted by (−½, −¼).
pub fn two_moons(count: usize, noise: f32, seed: u64) -> Result<Matrix> {
    let mut values = Vec::with_capacity(2 * count);
    for (j, mut rng) in SampleStreams::new(seed).take(count).enumerate() {
        let angle = std::f32::consts::PI * uniform_open(&mut rng);
        let mut jitter = [0.0f32; 2];
        fill_standard_normal(&mut rng, &mut jitter);
        let (x, y) = if j % 2 == 0 {
            (angle.cos(), angle.sin())
        } else {
            (1.0 - angle.cos(), 0.5 - angle.sin())
        };
        values.extend([x - 0.5 + noise * jitter[0], y - 0.25 + noise * jitter[1]]);
    }
    Matrix::new(count, 2, values)
}

/// The unit circle with N(0, noise²) jitter (noise 0: exactly on the circle).
pub fn circle(count: usize, noise: f32, seed: u64) -> Result<Matrix> {
    let mut values = Vec::with_capacity(2 * count);
    for mut rng in SampleStreams::new(seed).take(count) {
        let angle = std::f32::consts::TAU * uniform_open(&mut rng);
        let mut jitter = [0.0f32; 2];
        fill_standard_normal(&mut rng, &mut jitter);
        values.extend([
            angle.cos() + noise * jitter[0],
            angle.sin() + noise * jitter[1],
        ]);
    }
    Matrix::new(count, 2, values)
}

/// Chen's setting: n points p_k u, p_k = k − (n − 1)/2 (spacing 1, centred), u a unit direction
/// drawn from `seed` (e₁ when d = 1).
pub fn line_points(count: usize, dim: usize, seed: u64) -> Result<Matrix> {
    if dim == 0 || count == 0 {
        bail!("line points need d ≥ 1 and n ≥ 1");
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut direction = vec![0.0f32; dim];
    fill_standard_normal(&mut rng, &mut direction);
    let norm = direction.iter().map(|v| v * v).sum::<f32>().sqrt();
    direction.iter_mut().for_each(|v| *v /= norm);
    let values = (0..count)
        .flat_map(|k| {
            let p = k as f32 - (count as f32 - 1.0) / 2.0;
            direction.iter().map(move |u| p * u).collect::<Vec<_>>()
        })
        .collect();
    Matrix::new(count, dim, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finite_difference(f: impl Fn(&[f32]) -> f64, x: &[f32], k: usize, step: f32) -> f64 {
        let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
        plus[k] += step;
        minus[k] -= step;
        (f(&plus) - f(&minus)) / f64::from(plus[k] - minus[k])
    }

    #[test]
    fn mixture_score_is_the_gradient_of_its_log_density() {
        for (mixture, alpha, sigma_squared) in [
            (GaussianMixture::ring8(), 1.0, 0.3),
            (GaussianMixture::ring8(), 0.6, 0.64),
            (
                GaussianMixture::gaussian(vec![0.5, -1.0, 2.0], 0.8),
                0.9,
                0.19,
            ),
        ] {
            let x: Vec<f32> = (0..mixture.dim()).map(|k| 0.7 - 0.4 * k as f32).collect();
            let score = mixture.score(alpha, sigma_squared, &x);
            for (k, &want) in score.iter().enumerate() {
                let numeric = finite_difference(
                    |y| mixture.log_density(alpha, sigma_squared, y),
                    &x,
                    k,
                    1e-2,
                );
                assert!(
                    (numeric - want).abs() < 1e-3 * (1.0 + want.abs()),
                    "{numeric} vs {}",
                    want
                );
            }
        }
        let gaussian = GaussianMixture::gaussian(vec![1.0, 2.0], 0.5);
        let score = gaussian.score(0.8, 0.36, &[0.0, 0.0]);
        let variance = 0.64 * 0.25 + 0.36;
        assert!(
            (score[0] - 0.8 / variance).abs() < 1e-12 && (score[1] - 1.6 / variance).abs() < 1e-12
        );
    }

    #[test]
    fn mixture_draws_have_the_right_moments() {
        let ring = GaussianMixture::ring8().sample(4000, 3).unwrap();
        let radius: f64 = ring
            .iter_rows()
            .map(|r| f64::from(r[0].hypot(r[1])))
            .sum::<f64>()
            / 4000.0;
        assert!((radius - 2.0).abs() < 0.01, "{radius}");
        let mixture = GaussianMixture::ten_components(50);
        assert_eq!(mixture.sample(10, 1).unwrap().cols(), 50);
        assert_eq!(
            mixture,
            GaussianMixture::ten_components(50),
            "the law is fixed"
        );
    }

    #[test]
    fn funnel_quadrature_score_matches_finite_differences_and_draws_have_its_moments() {
        let y = [0.8f32, -0.5, 1.2, 0.3];
        for (alpha, sigma_squared) in [(1.0, 0.25), (0.7, 0.51), (1.0, 0.0)] {
            let (_, score) = funnel_log_density_and_score(alpha, sigma_squared, &y);
            for (k, &want) in score.iter().enumerate() {
                let numeric = finite_difference(
                    |x| funnel_log_density_and_score(alpha, sigma_squared, x).0,
                    &y,
                    k,
                    1e-2,
                );
                assert!(
                    (numeric - want).abs() < 2e-3 * (1.0 + want.abs()),
                    "σ² = {sigma_squared}, k = {k}: {numeric} vs {}",
                    want
                );
            }
        }
        let draws = funnel(20_000, 3, 4).unwrap();
        let v: Vec<f64> = draws.iter_rows().map(|r| f64::from(r[0])).collect();
        let std = (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
        assert!((std - 3.0).abs() < 0.06, "{std}");
        // The quadrature density against Monte Carlo over v ~ N(0, 9) (10⁶ draws).
        let (alpha, sigma_squared) = (0.8f64, 0.36f64);
        let point = [0.5f32, -0.7, 0.2];
        let mut total = 0.0;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut z = [0.0f32; 2];
        let draws = 500_000;
        for _ in 0..draws {
            fill_standard_normal(&mut rng, &mut z);
            for &zk in &z {
                let v = 3.0 * f64::from(zk);
                let variance = alpha * alpha * v.exp() + sigma_squared;
                let log = -(f64::from(point[0]) - alpha * v).powi(2) / (2.0 * sigma_squared)
                    - 0.5 * (LN_TAU + sigma_squared.ln())
                    - (f64::from(point[1]).powi(2) + f64::from(point[2]).powi(2))
                        / (2.0 * variance)
                    - (LN_TAU + variance.ln());
                total += log.exp();
            }
        }
        let monte_carlo = total / (2 * draws) as f64;
        let quadrature = funnel_log_density_and_score(alpha, sigma_squared, &point)
            .0
            .exp();
        assert!(
            (quadrature / monte_carlo - 1.0).abs() < 0.01,
            "{quadrature} vs {monte_carlo}"
        );
    }

    #[test]
    fn manifold_sets_lie_on_their_manifolds() {
        let circle = circle(100, 0.0, 1).unwrap();
        assert!(circle
            .iter_rows()
            .all(|r| (r[0].hypot(r[1]) - 1.0).abs() < 1e-5));
        let line = line_points(5, 4, 2).unwrap();
        let first = line.row(0).to_vec();
        let step: Vec<f32> = line.row(1).iter().zip(&first).map(|(a, b)| a - b).collect();
        assert!((step.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(two_moons(10, 0.0, 1).unwrap().rows(), 10);
    }
}
