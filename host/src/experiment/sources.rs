//! The data sets the experiments run on: a training set and held-out data from the same law.

use crate::builtin::default_2d;
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use smoothscore_core::rng::{fill_standard_normal, uniform_open, SampleStreams};

/// Training data and held-out data of one law.
pub struct Source {
    /// The training set.
    pub train: Matrix,
    /// Fresh draws (or a held-out split) of the same law.
    pub held_out: Matrix,
}

/// Two interleaved half-moons like the built-in set: angle uniform on [0, π], radius 1, the
/// second moon shifted by (1, −0.5), N(0, 0.015²) jitter, centred as `fixtures/default-2d.csv`
/// (shift (−0.5, −0.25)).
pub fn two_moons(count: usize, seed: u64) -> Result<Matrix> {
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
        values.extend([x - 0.5 + 0.015 * jitter[0], y - 0.25 + 0.015 * jitter[1]]);
    }
    Matrix::new(count, 2, values)
}

/// Eight Gaussians N(μ_k, 0.1² I) with μ_k = 2(cos 2πk/8, sin 2πk/8), equal weights.
pub fn gmm_ring(count: usize, seed: u64) -> Result<Matrix> {
    let mut values = Vec::with_capacity(2 * count);
    for mut rng in SampleStreams::new(seed).take(count) {
        let component = (uniform_open(&mut rng) * 8.0) as usize % 8;
        let angle = std::f32::consts::TAU * component as f32 / 8.0;
        let mut z = [0.0f32; 2];
        fill_standard_normal(&mut rng, &mut z);
        values.extend([
            2.0 * angle.cos() + 0.1 * z[0],
            2.0 * angle.sin() + 0.1 * z[1],
        ]);
    }
    Matrix::new(count, 2, values)
}

/// The named source: `default` (the built-in 64 points; held out: 512 fresh two-moons draws),
/// `gmm-ring` (128 training points, 512 held out).
pub fn load(name: &str, seed: u64, _mnist_train: usize) -> Result<Source> {
    Ok(match name {
        "default" => Source {
            train: default_2d()?,
            held_out: two_moons(512, seed ^ 0x5eed)?,
        },
        "gmm-ring" => Source {
            train: gmm_ring(128, seed)?,
            held_out: gmm_ring(512, seed ^ 0x5eed)?,
        },
        other => bail!("unknown data set '{other}' (expected default, gmm-ring or mnist)"),
    })
}

/// The unbiased squared MMD with the RBF kernel k(x, y) = exp(−‖x − y‖²/(2ℓ²)), ℓ² the median
/// of the pooled pairwise squared distances (the median heuristic); at most 512 rows of each
/// set are used (the first ones).
pub fn mmd_rbf(a: &Matrix, b: &Matrix) -> f64 {
    let take = |m: &Matrix| -> Vec<Vec<f64>> {
        m.iter_rows()
            .take(512)
            .map(|r| r.iter().map(|&v| f64::from(v)).collect())
            .collect()
    };
    let (a, b) = (take(a), take(b));
    let squared = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| (p - q).powi(2)).sum::<f64>();
    let pooled: Vec<&Vec<f64>> = a.iter().chain(&b).collect();
    let mut all = Vec::new();
    for i in 0..pooled.len() {
        for j in 0..i {
            all.push(squared(pooled[i], pooled[j]));
        }
    }
    all.sort_by(f64::total_cmp);
    let median = all.get(all.len() / 2).copied().unwrap_or(1.0).max(1e-12);
    let kernel = |x: &[f64], y: &[f64]| (-squared(x, y) / (2.0 * median)).exp();
    let within = |s: &[Vec<f64>]| {
        let n = s.len() as f64;
        let mut total = 0.0;
        for i in 0..s.len() {
            for j in 0..s.len() {
                if i != j {
                    total += kernel(&s[i], &s[j]);
                }
            }
        }
        total / (n * (n - 1.0))
    };
    let mut cross = 0.0;
    for x in &a {
        for y in &b {
            cross += kernel(x, y);
        }
    }
    within(&a) + within(&b) - 2.0 * cross / (a.len() * b.len()) as f64
}
