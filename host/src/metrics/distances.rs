//! Distances between two samples of points (rows), in f64 (docs/math.md §8): MMD with the RBF kernel,
//! energy distance, sliced Wasserstein-2 and, for d ≤ 2, a k-nearest-neighbour KL estimate.
//! Quadratic-cost estimators use at most [`MAX_ROWS`] rows of each sample (the first ones).

use crate::matrix::MatrixView;
use anyhow::{bail, Result};
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};

/// Rows used by the O(n²) estimators.
pub const MAX_ROWS: usize = 2000;

fn rows(matrix: MatrixView<'_>) -> Vec<Vec<f64>> {
    matrix
        .iter_rows()
        .take(MAX_ROWS)
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect()
}

fn squared_distance(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum()
}

fn check_pair(a: MatrixView<'_>, b: MatrixView<'_>, minimum: usize) -> Result<()> {
    if a.cols() != b.cols() {
        bail!(
            "the two samples have dimensions {} and {}",
            a.cols(),
            b.cols()
        );
    }
    if a.rows() < minimum || b.rows() < minimum {
        bail!(
            "each sample needs at least {minimum} rows ({} and {} given)",
            a.rows(),
            b.rows()
        );
    }
    Ok(())
}

/// Mean of f over all ordered pairs (i ≠ j when `same`).
fn pair_mean(a: &[Vec<f64>], b: &[Vec<f64>], same: bool, f: impl Fn(f64) -> f64) -> f64 {
    let mut total = 0.0;
    let mut count = 0usize;
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if same && i == j {
                continue;
            }
            total += f(squared_distance(x, y));
            count += 1;
        }
    }
    total / count.max(1) as f64
}

/// Unbiased MMD² with k(x, y) = exp(−‖x − y‖²/(2ℓ²)), ℓ² = the median squared distance over all
/// pairs of the pooled sample (median heuristic):
/// MMD² = E k(X, X') + E k(Y, Y') − 2 E k(X, Y), within-sample means over i ≠ j.
pub fn mmd_rbf<'a>(a: impl Into<MatrixView<'a>>, b: impl Into<MatrixView<'a>>) -> Result<f64> {
    let (a, b) = (a.into(), b.into());
    check_pair(a, b, 2)?;
    let (a, b) = (rows(a), rows(b));
    let pooled: Vec<&Vec<f64>> = a.iter().chain(&b).collect();
    let mut all = Vec::with_capacity(pooled.len() * pooled.len() / 2);
    for i in 0..pooled.len() {
        for j in 0..i {
            all.push(squared_distance(pooled[i], pooled[j]));
        }
    }
    all.sort_by(f64::total_cmp);
    let median = all[all.len() / 2].max(1e-300);
    let kernel = |d2: f64| (-d2 / (2.0 * median)).exp();
    Ok(
        pair_mean(&a, &a, true, kernel) + pair_mean(&b, &b, true, kernel)
            - 2.0 * pair_mean(&a, &b, false, kernel),
    )
}

/// Energy distance 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely), within-sample means over i ≠ j.
pub fn energy_distance<'a>(
    a: impl Into<MatrixView<'a>>,
    b: impl Into<MatrixView<'a>>,
) -> Result<f64> {
    let (a, b) = (a.into(), b.into());
    check_pair(a, b, 2)?;
    let (a, b) = (rows(a), rows(b));
    Ok(2.0 * pair_mean(&a, &b, false, f64::sqrt)
        - pair_mean(&a, &a, true, f64::sqrt)
        - pair_mean(&b, &b, true, f64::sqrt))
}

/// Sliced Wasserstein-2: √(1/P Σ_p W₂²(θ_p·X, θ_p·Y)) over P directions θ_p uniform on the
/// sphere (normalised Gaussians from stream p of `seed`); the 1-D W₂² between empirical laws of
/// different sizes compares their quantile functions at the midpoints of max(n, m) levels.
pub fn sliced_wasserstein<'a>(
    a: impl Into<MatrixView<'a>>,
    b: impl Into<MatrixView<'a>>,
    projections: usize,
    seed: u64,
) -> Result<f64> {
    let (a, b) = (a.into(), b.into());
    check_pair(a, b, 1)?;
    if projections == 0 {
        bail!("sliced Wasserstein needs at least one projection");
    }
    let dim = a.cols();
    let mut total = 0.0;
    for mut rng in SampleStreams::new(seed).take(projections) {
        let mut theta = vec![0.0f32; dim];
        fill_standard_normal(&mut rng, &mut theta);
        let norm = theta
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            .sqrt();
        let project = |m: MatrixView<'_>| -> Vec<f64> {
            let mut values: Vec<f64> = m
                .iter_rows()
                .map(|r| {
                    r.iter()
                        .zip(&theta)
                        .map(|(&x, &t)| f64::from(x) * f64::from(t))
                        .sum::<f64>()
                        / norm
                })
                .collect();
            values.sort_by(f64::total_cmp);
            values
        };
        let (pa, pb) = (project(a), project(b));
        let levels = pa.len().max(pb.len());
        let quantile = |values: &[f64], level: usize| {
            let q = (level as f64 + 0.5) / levels as f64;
            values[((q * values.len() as f64) as usize).min(values.len() - 1)]
        };
        total += (0..levels)
            .map(|l| (quantile(&pa, l) - quantile(&pb, l)).powi(2))
            .sum::<f64>()
            / levels as f64;
    }
    Ok((total / projections as f64).sqrt())
}

/// KL(P ‖ Q) from samples x ~ P (n rows) and y ~ Q (m rows) by the 1-nearest-neighbour estimator
/// of Wang, Kulkarni and Verdú (2009): (d/n) Σ_i ln(ν_i/ρ_i) + ln(m/(n − 1)), ρ_i the distance
/// from x_i to its nearest other x, ν_i to its nearest y. For d ≤ 2 (it degrades in high d).
/// Duplicate points (ρ_i = 0) are an error: the estimator is undefined there.
pub fn knn_kl<'a>(p: impl Into<MatrixView<'a>>, q: impl Into<MatrixView<'a>>) -> Result<f64> {
    let (p, q) = (p.into(), q.into());
    check_pair(p, q, 2)?;
    let dim = p.cols();
    if dim > 2 {
        bail!("the kNN KL estimate is offered for d ≤ 2 (d = {dim})");
    }
    let (x, y) = (rows(p), rows(q));
    let nearest = |point: &[f64], set: &[Vec<f64>], skip: Option<usize>| {
        set.iter()
            .enumerate()
            .filter(|(j, _)| Some(*j) != skip)
            .map(|(_, other)| squared_distance(point, other))
            .fold(f64::INFINITY, f64::min)
            .sqrt()
    };
    let mut total = 0.0;
    for (i, point) in x.iter().enumerate() {
        let rho = nearest(point, &x, Some(i));
        let nu = nearest(point, &y, None);
        if rho == 0.0 || nu == 0.0 {
            bail!(
                "the kNN KL estimate is undefined with duplicate points (sample row {})",
                i + 1
            );
        }
        total += (nu / rho).ln();
    }
    let (n, m) = (x.len() as f64, y.len() as f64);
    Ok(dim as f64 * total / n + (m / (n - 1.0)).ln())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    fn gaussian(count: usize, dim: usize, shift: f32, seed: u64) -> Matrix {
        let mut values = Vec::with_capacity(count * dim);
        for mut rng in SampleStreams::new(seed).take(count) {
            let mut z = vec![0.0f32; dim];
            fill_standard_normal(&mut rng, &mut z);
            z[0] += shift;
            values.extend(z);
        }
        Matrix::new(count, dim, values).unwrap()
    }

    /// E|Z| for Z ~ N(μ, s²).
    fn mean_absolute(mu: f64, s: f64) -> f64 {
        s * (2.0 / std::f64::consts::PI).sqrt() * (-mu * mu / (2.0 * s * s)).exp()
            + mu * libm::erf(mu / (s * std::f64::consts::SQRT_2))
    }

    #[test]
    fn every_distance_is_near_zero_for_one_law_and_matches_closed_forms_for_shifts() {
        let (a, b) = (gaussian(800, 1, 0.0, 1), gaussian(800, 1, 0.0, 2));
        let shifted = gaussian(800, 1, 1.0, 3);
        let mmd_same = mmd_rbf(&a, &b).unwrap();
        let mmd_shift = mmd_rbf(&a, &shifted).unwrap();
        println!("MMD² same {mmd_same:.2e}, shifted by 1 {mmd_shift:.3}");
        assert!(mmd_same.abs() < 5e-3 && mmd_shift > 0.05);
        // Energy distance of N(0,1) and N(1,1): 2E|N(1,2)| − 2E|N(0,2)|.
        let want = 2.0 * mean_absolute(1.0, 2f64.sqrt()) - 2.0 * mean_absolute(0.0, 2f64.sqrt());
        let energy = energy_distance(&a, &shifted).unwrap();
        let energy_same = energy_distance(&a, &b).unwrap();
        println!("energy same {energy_same:.2e}, shifted {energy:.4} (closed form {want:.4})");
        assert!(energy_same.abs() < 0.02 && (energy - want).abs() < 0.08 * want);
        // SW₂ between N(0, I) and N(μ, I) in d = 3: √(‖μ‖²/d).
        let (c, d) = (gaussian(1000, 3, 0.0, 4), gaussian(1000, 3, 1.5, 5));
        let sw = sliced_wasserstein(&c, &d, 200, 9).unwrap();
        let sw_same = sliced_wasserstein(&c, &gaussian(1000, 3, 0.0, 6), 200, 9).unwrap();
        println!(
            "SW2 same {sw_same:.3}, shifted {sw:.3} (closed form {:.3})",
            (2.25f64 / 3.0).sqrt()
        );
        assert!(sw_same < 0.1 && (sw - (0.75f64).sqrt()).abs() < 0.1);
        // KL(N(1,1) ‖ N(0,1)) = ½.
        let kl = knn_kl(&shifted, &gaussian(1600, 1, 0.0, 7)).unwrap();
        let kl_same = knn_kl(&a, &gaussian(1600, 1, 0.0, 8)).unwrap();
        println!("KL same {kl_same:.3}, shifted {kl:.3} (closed form 0.5)");
        assert!(kl_same.abs() < 0.1 && (kl - 0.5).abs() < 0.15);
    }

    #[test]
    fn bad_pairs_are_rejected() {
        let a = gaussian(10, 2, 0.0, 1);
        let b = gaussian(10, 3, 0.0, 1);
        assert!(mmd_rbf(&a, &b).is_err());
        assert!(energy_distance(&a, &gaussian(1, 2, 0.0, 1)).is_err());
        assert!(sliced_wasserstein(&a, &a, 0, 1).is_err());
        assert!(knn_kl(&b, &b).is_err());
        let doubled = Matrix::new(2, 1, vec![0.0, 0.0]).unwrap();
        assert!(knn_kl(&doubled, &gaussian(5, 1, 0.0, 1)).is_err());
    }
}
