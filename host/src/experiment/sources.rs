//! The data sets the experiments run on: a training set and held-out data from the same law.

use crate::builtin::default_2d;
use crate::idx::{load_images, IdxOptions};
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
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

/// Neal's funnel in dimension d: v ~ N(0, 3²), x_{2..d} | v ~ N(0, e^v I) (SPEC §7).
pub fn funnel(count: usize, dim: usize, seed: u64) -> Result<Matrix> {
    let mut values = Vec::with_capacity(count * dim);
    for mut rng in SampleStreams::new(seed).take(count) {
        let mut z = vec![0.0f32; dim];
        fill_standard_normal(&mut rng, &mut z);
        let v = 3.0 * z[0];
        values.push(v);
        values.extend(z[1..].iter().map(|zk| (0.5 * v).exp() * zk));
    }
    Matrix::new(count, dim, values)
}

/// The means of the d-dimensional 10-component mixture: coordinates uniform on [−5, 5], drawn
/// from xoshiro256++ seeded with 0x6a11 (fixed, so every run and every seed sees the same law).
pub fn mixture_means(dim: usize) -> Vec<Vec<f32>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x6a11);
    (0..10)
        .map(|_| {
            (0..dim)
                .map(|_| 10.0 * uniform_open(&mut rng) - 5.0)
                .collect()
        })
        .collect()
}

/// A 10-component equal-weight mixture N(μ_k, I_d) with [`mixture_means`] (our instance of the
/// d = 50 GMM of Vargas et al.; the abstract does not give their parameters).
pub fn mixture(count: usize, dim: usize, seed: u64) -> Result<Matrix> {
    let means = mixture_means(dim);
    let mut values = Vec::with_capacity(count * dim);
    for mut rng in SampleStreams::new(seed).take(count) {
        let component = (uniform_open(&mut rng) * 10.0) as usize % 10;
        let mut z = vec![0.0f32; dim];
        fill_standard_normal(&mut rng, &mut z);
        values.extend(means[component].iter().zip(&z).map(|(m, zk)| m + zk));
    }
    Matrix::new(count, dim, values)
}

/// MNIST: the first `train` training images from `../shared/data/mnist` (beside the project,
/// when present) or the shipped `fixtures/mnist` subset (500), held out: the test images (10000
/// or 100), pixels in [0, 1].
pub fn mnist(train: usize) -> Result<Source> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = root.join("../shared/data/mnist");
    let dir = if shared.join("train-images-idx3-ubyte.gz").exists() {
        shared
    } else {
        root.join("fixtures/mnist")
    };
    let options = |limit| IdxOptions {
        limit,
        ..IdxOptions::default()
    };
    Ok(Source {
        train: load_images(
            &dir.join("train-images-idx3-ubyte.gz"),
            &options(Some(train)),
        )?,
        held_out: load_images(&dir.join("t10k-images-idx3-ubyte.gz"), &options(Some(1000)))?,
    })
}

/// The named source: `default` (the built-in 64 points; held out: 512 fresh two-moons draws),
/// `gmm-ring` (128 training points, 512 held out), `funnel50` and `gmm50` (512 and 512), `mnist`
/// (see [`mnist`]).
pub fn load(name: &str, seed: u64, mnist_train: usize) -> Result<Source> {
    Ok(match name {
        "mnist" => mnist(mnist_train)?,
        "default" => Source {
            train: default_2d()?,
            held_out: two_moons(512, seed ^ 0x5eed)?,
        },
        "gmm-ring" => Source {
            train: gmm_ring(128, seed)?,
            held_out: gmm_ring(512, seed ^ 0x5eed)?,
        },
        "funnel50" => Source {
            train: funnel(512, 50, seed)?,
            held_out: funnel(512, 50, seed ^ 0x5eed)?,
        },
        "gmm50" => Source {
            train: mixture(512, 50, seed)?,
            held_out: mixture(512, 50, seed ^ 0x5eed)?,
        },
        other => bail!(
            "unknown data set '{other}' (expected default, gmm-ring, funnel50, gmm50 or mnist)"
        ),
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
