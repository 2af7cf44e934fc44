//! `experiment variance`: the empirical score as a noisy estimate of the true score (Gabriel et
//! al., docs/math.md §5, §8). For data with a known true score (Gaussian, 8-Gaussian ring) and the
//! Brownian process (α = 1, σ_t² = t), over R resampled training sets of size N:
//! - bias² = E_x‖E_R ŝ(x) − s(x)‖², variance = E_x E_R‖ŝ(x) − E_R ŝ(x)‖², MSE = bias² + variance,
//!   x ~ p_t, for the exact score (h = 0) and kernel-smoothed ones, as functions of t and h;
//! - the covariance of the exact empirical score over resamples at a query, its top eigenvectors
//!   against the data's principal axes (largest principal angle), for anisotropic Gaussian data;
//! - "smoothing ≈ more data": the smoothed score's MSE at N against the exact score's at 4N, 16N.

use super::table::Table;
use crate::data::synthetic::GaussianMixture;
use crate::sampling::sample::MAX_DIM;
use anyhow::{anyhow, Result};
use clap::Args;
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, KernelRule, KernelSmoothedScore, Process, ScoreField,
};

/// Options of `experiment variance`.
#[derive(Clone, Debug, Args)]
pub struct VarianceArgs {
    /// Times t (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "0.01,0.05,0.2,1")]
    pub times: Vec<f32>,
    /// Bandwidths h (comma-separated; 0 is the exact score).
    #[arg(long, value_delimiter = ',', default_value = "0,0.1,0.3")]
    pub bandwidths: Vec<f32>,
    /// Training points N per resample.
    #[arg(long, default_value_t = 64, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_train: usize,
    /// Resampled training sets R.
    #[arg(long, default_value_t = 32, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub resamples: usize,
    /// Query points per (t, h), drawn from p_t.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub queries: usize,
    /// Kernel points M (Gauss–Hermite in d = 2).
    #[arg(long, default_value_t = 36, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
}

/// A data law with a closed-form noised score under the Brownian process (α = 1, σ² = t).
struct Law {
    name: &'static str,
    mixture: GaussianMixture,
}

impl Law {
    fn all() -> [Law; 2] {
        [
            Law {
                name: "gaussian",
                mixture: GaussianMixture::gaussian(vec![0.0, 0.0], 1.0),
            },
            Law {
                name: "gmm-ring",
                mixture: GaussianMixture::ring8(),
            },
        ]
    }

    /// `count` draws of X_t = X_0 + √t Z.
    fn draw(&self, count: usize, t: f32, seed: u64) -> Result<Vec<f32>> {
        let clean = self.mixture.sample(count, seed)?;
        let mut noise = vec![0.0f32; clean.values().len()];
        let mut rng = SampleStreams::new(seed ^ 0x7e57)
            .next()
            .ok_or_else(|| anyhow!("no stream"))?;
        fill_standard_normal(&mut rng, &mut noise);
        Ok(clean
            .values()
            .iter()
            .zip(&noise)
            .map(|(x, z)| x + t.sqrt() * z)
            .collect())
    }

    /// The true score of p_t.
    fn score(&self, t: f64, x: &[f32]) -> Vec<f64> {
        self.mixture.score(1.0, t, x)
    }
}

/// The empirical (h = 0) or kernel-smoothed score of `points` at (t, x).
fn estimate(
    points: &[f32],
    dim: usize,
    t: f32,
    bandwidth: f32,
    rule: KernelRule,
    x: &[f32],
    out: &mut [f32],
) -> Result<()> {
    let dataset = Dataset::new(points, dim)?;
    let exact = EmpiricalScore::new(dataset, Process::Brownian { horizon: 10.0 })?;
    let smoothed =
        KernelSmoothedScore::<MAX_DIM>::new(exact, Bandwidth::Constant { bandwidth }, rule)?;
    Ok(smoothed.score(t, x, out)?)
}

/// (bias², variance) averaged over queries from p_t; both unbiased over the R resamples
/// (sample variance with R − 1, bias² = ‖mean − s‖² − variance/R).
fn bias_variance(
    law: &Law,
    args: &VarianceArgs,
    n_train: usize,
    t: f32,
    bandwidth: f32,
    rule: KernelRule,
    seed: u64,
) -> Result<(f64, f64)> {
    let queries = law.draw(args.queries, t, seed ^ 0xa11ce)?;
    let training: Vec<Vec<f32>> = (0..args.resamples)
        .map(|r| law.draw(n_train, 0.0, seed.wrapping_add(1000 + r as u64)))
        .collect::<Result<_>>()?;
    let (mut bias2, mut variance) = (0.0, 0.0);
    for x in queries.chunks(2) {
        let truth = law.score(f64::from(t), x);
        let mut estimates = Vec::with_capacity(args.resamples);
        for points in &training {
            let mut out = [0.0f32; 2];
            estimate(points, 2, t, bandwidth, rule, x, &mut out)?;
            estimates.push([f64::from(out[0]), f64::from(out[1])]);
        }
        let count = estimates.len() as f64;
        for j in 0..2 {
            let mean = estimates.iter().map(|e| e[j]).sum::<f64>() / count;
            // Unbiased: E‖mean − s‖² = bias² + Var/R, so subtract the sample variance / R.
            let sample_variance =
                estimates.iter().map(|e| (e[j] - mean).powi(2)).sum::<f64>() / (count - 1.0);
            bias2 += (mean - truth[j]).powi(2) - sample_variance / count;
            variance += sample_variance;
        }
    }
    let queries = args.queries as f64;
    Ok((bias2 / queries, variance / queries))
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: (eigenvalues
/// descending, eigenvectors as rows).
pub fn symmetric_eigen(matrix: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = matrix.len();
    let mut a = matrix.to_vec();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let tangent = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let tangent = if theta == 0.0 { 1.0 } else { tangent };
                let cosine = 1.0 / (tangent * tangent + 1.0).sqrt();
                let sine = tangent * cosine;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = cosine * akp - sine * akq;
                    row[q] = sine * akp + cosine * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = cosine * apk - sine * aqk;
                    a[q][k] = sine * apk + cosine * aqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = cosine * vp - sine * vq;
                    row[q] = sine * vp + cosine * vq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]));
    let values = order.iter().map(|&i| a[i][i]).collect();
    let vectors = order
        .iter()
        .map(|&i| v.iter().map(|row| row[i]).collect())
        .collect();
    (values, vectors)
}

/// The largest principal angle (degrees) between the spans of two orthonormal sets of vectors:
/// arccos of the smallest singular value of AᵀB, from the eigenvalues of (AᵀB)(AᵀB)ᵀ.
pub fn largest_principal_angle(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let k = a.len();
    let m: Vec<Vec<f64>> = a
        .iter()
        .map(|u| {
            b.iter()
                .map(|w| u.iter().zip(w).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect();
    let gram: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| m[i].iter().zip(&m[j]).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect();
    let (values, _) = symmetric_eigen(&gram);
    let smallest = values.last().copied().unwrap_or(0.0).clamp(0.0, 1.0).sqrt();
    smallest.acos().to_degrees()
}

/// The delta-method prediction of the empirical score's covariance at x (up to the factor
/// 1/(N t² (Eφ)²)): the data covariance re-weighted by φ_t(x − X)²,
/// E[φ²(X − m)(X − m)ᵀ] with m = E[φ X]/E[φ], estimated from `draws` (rows of length d).
fn reweighted_covariance(draws: &[f32], dim: usize, x: &[f32], t: f32) -> Vec<Vec<f64>> {
    let rows: Vec<&[f32]> = draws.chunks(dim).collect();
    let logits: Vec<f64> = rows
        .iter()
        .map(|r| {
            -r.iter()
                .zip(x)
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum::<f64>()
                / (2.0 * f64::from(t))
        })
        .collect();
    let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let phi: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = phi.iter().sum();
    let mean: Vec<f64> = (0..dim)
        .map(|k| {
            rows.iter()
                .zip(&phi)
                .map(|(r, w)| w * f64::from(r[k]))
                .sum::<f64>()
                / total
        })
        .collect();
    (0..dim)
        .map(|i| {
            (0..dim)
                .map(|j| {
                    rows.iter()
                        .zip(&phi)
                        .map(|(r, w)| {
                            w * w * (f64::from(r[i]) - mean[i]) * (f64::from(r[j]) - mean[j])
                        })
                        .sum::<f64>()
                })
                .collect()
        })
        .collect()
}

/// Covariance of the exact empirical score over resampled anisotropic Gaussian data sets at a
/// query on the data's scale (16·N points per set, toward the asymptotic regime), against the
/// data PCA and against the delta-method prediction (the φ²-re-weighted data covariance): the
/// largest principal angle between the top-2 eigenvectors of each.
fn pca_alignment(args: &VarianceArgs, t: f32, seed: u64, table: &mut Table) -> Result<()> {
    const DIM: usize = 8;
    const TOP: usize = 2;
    const PCA_TRAIN_FACTOR: usize = 16;
    let scales: [f32; DIM] = [3.0, 2.0, 1.0, 0.7, 0.5, 0.4, 0.3, 0.2];
    // A fixed rotation: the eigenvectors of a seeded random symmetric matrix.
    let mut rng = SampleStreams::new(seed ^ 0xbca)
        .next()
        .ok_or_else(|| anyhow!("no stream"))?;
    let mut noise = vec![0.0f32; DIM * DIM];
    fill_standard_normal(&mut rng, &mut noise);
    let symmetric: Vec<Vec<f64>> = (0..DIM)
        .map(|i| {
            (0..DIM)
                .map(|j| f64::from(noise[i * DIM + j] + noise[j * DIM + i]))
                .collect()
        })
        .collect();
    let (_, rotation) = symmetric_eigen(&symmetric);
    let draw = |count: usize, stream_seed: u64| -> Vec<f32> {
        let mut values = Vec::with_capacity(count * DIM);
        for mut rng in SampleStreams::new(stream_seed).take(count) {
            let mut z = [0.0f32; DIM];
            fill_standard_normal(&mut rng, &mut z);
            for coordinate in 0..DIM {
                let v: f64 = rotation
                    .iter()
                    .zip(scales.iter().zip(&z))
                    .map(|(axis, (&scale, &zk))| axis[coordinate] * f64::from(scale * zk))
                    .sum();
                values.push(v as f32);
            }
        }
        values
    };
    let query = draw(1, seed ^ 0x9e7)
        .iter()
        .map(|v| v * 0.5)
        .collect::<Vec<f32>>();
    let resamples = 4 * args.resamples;
    let mut estimates = Vec::with_capacity(resamples);
    for r in 0..resamples {
        let points = draw(
            PCA_TRAIN_FACTOR * args.n_train,
            seed.wrapping_add(5000 + r as u64),
        );
        let mut out = [0.0f32; DIM];
        let rule = KernelRule::QuasiRandom { pairs: 1 };
        estimate(&points, DIM, t, 0.0, rule, &query, &mut out)?;
        estimates.push(out.map(f64::from));
    }
    let count = estimates.len() as f64;
    let mean: Vec<f64> = (0..DIM)
        .map(|j| estimates.iter().map(|e| e[j]).sum::<f64>() / count)
        .collect();
    let covariance: Vec<Vec<f64>> = (0..DIM)
        .map(|i| {
            (0..DIM)
                .map(|j| {
                    estimates
                        .iter()
                        .map(|e| (e[i] - mean[i]) * (e[j] - mean[j]))
                        .sum::<f64>()
                        / (count - 1.0)
                })
                .collect()
        })
        .collect();
    let (values, vectors) = symmetric_eigen(&covariance);
    let angle = largest_principal_angle(&vectors[..TOP], &rotation[..TOP]);
    let prediction = reweighted_covariance(&draw(200_000, seed ^ 0x9ed), DIM, &query, t);
    let (_, predicted_axes) = symmetric_eigen(&prediction);
    let reweighted_angle = largest_principal_angle(&vectors[..TOP], &predicted_axes[..TOP]);
    let trace: f64 = values.iter().sum();
    table.push(vec![
        f64::from(t).into(),
        (resamples).into(),
        (PCA_TRAIN_FACTOR * args.n_train).into(),
        angle.into(),
        reweighted_angle.into(),
        (values[..TOP].iter().sum::<f64>() / trace).into(),
        trace.into(),
    ]);
    Ok(())
}

/// Runs the experiment.
pub fn run(args: &VarianceArgs, seed: u64) -> Result<Vec<Table>> {
    if args.resamples < 2 || args.queries == 0 || args.n_train == 0 {
        anyhow::bail!("--resamples must be ≥ 2 and --queries, --n-train ≥ 1");
    }
    let rule = crate::sampling::score_spec::kernel_rule(
        crate::sampling::score_spec::KernelRuleName::Auto,
        args.kernel_points,
        seed,
        2,
    )?;
    let mut bias_table = Table::new(
        "variance_bias",
        &["dataset", "t", "bandwidth"],
        &["bias_squared", "variance", "mse"],
    );
    let laws = Law::all();
    let progress = crate::progress::bar(
        (laws.len() * args.times.len() * args.bandwidths.len()) as u64,
        "bias/variance cells",
    );
    for law in &laws {
        for &t in &args.times {
            for &h in &args.bandwidths {
                let (bias2, variance) = bias_variance(law, args, args.n_train, t, h, rule, seed)?;
                progress.inc(1);
                bias_table.push(vec![
                    law.name.into(),
                    f64::from(t).into(),
                    f64::from(h).into(),
                    bias2.into(),
                    variance.into(),
                    (bias2 + variance).into(),
                ]);
            }
        }
    }
    progress.finish_and_clear();
    let mut pca_table = Table::new(
        "variance_pca",
        &["t", "resamples", "n_train"],
        &[
            "angle_to_data_pca_degrees",
            "angle_to_reweighted_pca_degrees",
            "top2_variance_share",
            "total_variance",
        ],
    );
    for &t in &args.times {
        pca_alignment(args, t, seed, &mut pca_table)?;
    }
    let mut more_data = Table::new(
        "variance_more_data",
        &["dataset", "t", "bandwidth"],
        &[
            "mse_smoothed_n",
            "mse_exact_n",
            "mse_exact_4n",
            "mse_exact_16n",
        ],
    );
    for law in &Law::all() {
        for &t in &args.times {
            let exact = |n: usize| -> Result<f64> {
                let (b, v) = bias_variance(law, args, n, t, 0.0, rule, seed)?;
                Ok(b + v)
            };
            let (exact_n, exact_4n, exact_16n) = (
                exact(args.n_train)?,
                exact(4 * args.n_train)?,
                exact(16 * args.n_train)?,
            );
            for &h in args.bandwidths.iter().filter(|&&h| h > 0.0) {
                let (b, v) = bias_variance(law, args, args.n_train, t, h, rule, seed)?;
                more_data.push(vec![
                    law.name.into(),
                    f64::from(t).into(),
                    f64::from(h).into(),
                    (b + v).into(),
                    exact_n.into(),
                    exact_4n.into(),
                    exact_16n.into(),
                ]);
            }
        }
    }
    Ok(vec![bias_table, pca_table, more_data])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_recovers_a_known_spectrum_and_angles_are_zero_for_the_same_span() {
        let matrix = vec![
            vec![2.0, 1.0, 0.0],
            vec![1.0, 2.0, 0.0],
            vec![0.0, 0.0, 5.0],
        ];
        let (values, vectors) = symmetric_eigen(&matrix);
        for (got, want) in values.iter().zip([5.0, 3.0, 1.0]) {
            assert!((got - want).abs() < 1e-12, "{values:?}");
        }
        let s = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[1][0].abs() - s).abs() < 1e-12 && (vectors[1][1].abs() - s).abs() < 1e-12);
        let span = [vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]];
        let rotated = [vec![s, s, 0.0], vec![s, -s, 0.0]];
        assert!(largest_principal_angle(&span, &rotated) < 1e-6);
        let other = [vec![1.0, 0.0, 0.0], vec![0.0, 0.0, 1.0]];
        assert!((largest_principal_angle(&span, &other) - 90.0).abs() < 1e-6);
    }
}
