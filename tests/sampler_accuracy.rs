//! Do the samplers sample the right law at their default settings? Gaussian data N(μ, Σ) in
//! d = 3, N = 20 000 points (where the empirical score is close to the true one), every process
//! × sampler through the `sample` command's own option parsing (default grid and prior), 100
//! score evaluations per sample (100 steps; 50 for Heun and EDM, which evaluate twice a step),
//! t_min = 10⁻³, denoised. A cell passes when every coordinate of the sample mean is within 4
//! standard errors √(Σ_kk/n) of the data's and every eigenvalue of Σ^{-1/2} S Σ^{-1/2} (S the
//! sample covariance: the ratio of variances along every direction) is in [0.85, 1.18]. Every
//! cell must pass; the one pair `sample` refuses (euler on ve, see `check_pairing`) must be
//! refused with a one-line error.
//!
//! `cargo test --test sampler_accuracy -- --nocapture` prints the matrix (README "Samplers").

// The 3 × 3 linear algebra below reads as the formulas with explicit indices.
#![allow(clippy::needless_range_loop)]

use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore::commands::options::parse_options;
use smoothscore::commands::sample::{sample_rows, SampleArgs};
use smoothscore::matrix::Matrix;
use smoothscore_core::rng::fill_standard_normal;

/// The data's dimension and size.
const DIM: usize = 3;
const POINTS: usize = 20_000;
/// Samples per cell. The band [0.85, 1.18] is close to the sampling noise of the extreme
/// eigenvalues of a 3 × 3 sample covariance at 500 samples (the first measurement; the
/// Marchenko–Pastur edges are (1 ± √(3/500))² = 0.85, 1.16): simulated on the exact Gaussian
/// law, a sampler without any bias fails the band one time in five at 500 samples, one in a
/// hundred at 1000 and fewer than one in a hundred at 2000. At 2000 a cell fails when the
/// sampler's law is off, not when the draws are: the mean's standard error is √(Σ_kk/2000),
/// and a sampler with a 5 % variance deficit still passes 99 times in a hundred. The streams
/// are fixed (seed 3), so every run measures the same numbers.
const SAMPLES: usize = 2000;

/// The processes as `sample` options.
const PROCESSES: [(&str, &[(&str, &str)]); 6] = [
    ("vp-linear", &[("process", "vp")]),
    ("vp-cosine", &[("process", "vp"), ("schedule", "cosine")]),
    ("ou", &[("process", "ou")]),
    ("ve", &[("process", "ve")]),
    ("brownian", &[("process", "brownian")]),
    ("pbm", &[("process", "pbm")]),
];

/// A sampler's name in the matrix, its `sample` options and its steps.
type SamplerCase = (&'static str, &'static [(&'static str, &'static str)], usize);

/// The samplers as `sample` options, with their steps (100 score evaluations each).
const SAMPLERS: [SamplerCase; 8] = [
    ("em", &[("sampler", "em")], 100),
    ("euler", &[("sampler", "euler")], 100),
    ("heun", &[("sampler", "heun")], 50),
    ("ddim η=0", &[("sampler", "ddim")], 100),
    ("ddim η=1", &[("sampler", "ddim"), ("eta", "1")], 100),
    ("dpmpp-2m", &[("sampler", "dpmpp-2m")], 100),
    ("edm", &[("sampler", "edm")], 50),
    (
        "edm churn",
        &[
            ("sampler", "edm"),
            ("churn", "10"),
            ("s-noise", "1.003"),
            ("s-tmin", "0.05"),
            ("s-tmax", "50"),
        ],
        50,
    ),
];

/// The pairs `sample` refuses (`check_pairing`, README "Samplers"): asserted to be refused with
/// a one-line error instead of measured.
const REFUSED: [(&str, &str); 1] = [("ve", "euler")];

/// μ and the factor A of Σ = A Aᵀ (eigenvalues of Σ ≈ 1.27, 0.62, 0.19).
const MEAN: [f64; DIM] = [1.0, -2.0, 0.5];
const FACTOR: [[f64; DIM]; DIM] = [[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [-0.3, 0.2, 0.5]];

/// N points of N(μ, A Aᵀ) from xoshiro256++ seed 22 (deterministic).
fn gaussian_data() -> Matrix {
    let mut normals = vec![0.0f32; POINTS * DIM];
    fill_standard_normal(&mut Xoshiro256PlusPlus::seed_from_u64(22), &mut normals);
    let values = normals
        .chunks_exact(DIM)
        .flat_map(|z| {
            (0..DIM).map(move |i| {
                let sum: f64 = (0..DIM).map(|j| FACTOR[i][j] * f64::from(z[j])).sum();
                (MEAN[i] + sum) as f32
            })
        })
        .collect();
    Matrix::new(POINTS, DIM, values).unwrap()
}

/// Mean and covariance (divisor n − 1) of the rows.
fn moments(rows: &Matrix) -> ([f64; DIM], [[f64; DIM]; DIM]) {
    let n = rows.rows() as f64;
    let mut mean = [0.0; DIM];
    for row in rows.iter_rows() {
        for k in 0..DIM {
            mean[k] += f64::from(row[k]) / n;
        }
    }
    let mut covariance = [[0.0; DIM]; DIM];
    for row in rows.iter_rows() {
        for i in 0..DIM {
            for j in 0..DIM {
                covariance[i][j] +=
                    (f64::from(row[i]) - mean[i]) * (f64::from(row[j]) - mean[j]) / (n - 1.0);
            }
        }
    }
    (mean, covariance)
}

/// The Cholesky factor of a symmetric positive definite 3 × 3 matrix.
fn cholesky(a: &[[f64; DIM]; DIM]) -> [[f64; DIM]; DIM] {
    let mut l = [[0.0; DIM]; DIM];
    for j in 0..DIM {
        let pivot = a[j][j] - (0..j).map(|k| l[j][k] * l[j][k]).sum::<f64>();
        l[j][j] = pivot.sqrt();
        for i in j + 1..DIM {
            let dot: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            l[i][j] = (a[i][j] - dot) / l[j][j];
        }
    }
    l
}

/// The eigenvalues of a symmetric 3 × 3 matrix (cyclic Jacobi), ascending.
fn eigenvalues(mut a: [[f64; DIM]; DIM]) -> [f64; DIM] {
    for _ in 0..50 {
        for p in 0..DIM {
            for q in p + 1..DIM {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for k in 0..DIM {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..DIM {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut values = [a[0][0], a[1][1], a[2][2]];
    values.sort_by(f64::total_cmp);
    values
}

/// The eigenvalues of L⁻¹ S L⁻ᵀ for Σ = L Lᵀ: the ratios of S to Σ along their principal
/// directions relative to each other.
fn variance_ratios(sample: &[[f64; DIM]; DIM], data: &[[f64; DIM]; DIM]) -> [f64; DIM] {
    let l = cholesky(data);
    // Solve L X = S column by column, then L Y = Xᵀ: Y = L⁻¹ S L⁻ᵀ.
    let solve = |b: [f64; DIM]| {
        let mut x = [0.0; DIM];
        for i in 0..DIM {
            let dot: f64 = (0..i).map(|k| l[i][k] * x[k]).sum();
            x[i] = (b[i] - dot) / l[i][i];
        }
        x
    };
    let mut x = [[0.0; DIM]; DIM];
    for j in 0..DIM {
        let column = solve([sample[0][j], sample[1][j], sample[2][j]]);
        for i in 0..DIM {
            x[i][j] = column[i];
        }
    }
    let mut y = [[0.0; DIM]; DIM];
    for i in 0..DIM {
        let row = solve(x[i]);
        for j in 0..DIM {
            y[j][i] = row[j];
        }
    }
    eigenvalues(y)
}

/// One cell's measurement.
#[derive(Debug)]
struct Cell {
    /// The largest |z| of the mean's coordinates.
    mean_z: f64,
    /// The smallest and largest variance ratio.
    ratios: (f64, f64),
}

impl Cell {
    fn passes(&self) -> bool {
        self.mean_z <= 4.0 && self.ratios.0 >= 0.85 && self.ratios.1 <= 1.18
    }
}

/// Runs `sample` with `options` (plus the run size) on `data`, measures the samples.
fn measure(data: &Matrix, options: &[(&str, &str)], steps: usize, samples: usize) -> Cell {
    try_measure(data, options, steps, samples).unwrap()
}

/// [`measure`], or `sample`'s error message.
fn try_measure(
    data: &Matrix,
    options: &[(&str, &str)],
    steps: usize,
    samples: usize,
) -> Result<Cell, String> {
    let (data_mean, data_covariance) = moments(data);
    let mut pairs: Vec<(String, Option<String>)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
    for (key, value) in [
        ("steps", steps.to_string()),
        ("n-samples", samples.to_string()),
        ("seed", "3".to_string()),
    ] {
        pairs.push((key.to_string(), Some(value)));
    }
    let args: SampleArgs = parse_options("sample", &pairs).map_err(|e| format!("{e:#}"))?;
    let (_, rows) = sample_rows(&args, data.view()).map_err(|e| format!("{e:#}"))?;
    let (mean, covariance) = moments(&rows);
    let mean_z = (0..DIM)
        .map(|k| (mean[k] - data_mean[k]).abs() / (data_covariance[k][k] / samples as f64).sqrt())
        .fold(0.0, f64::max);
    let ratios = variance_ratios(&covariance, &data_covariance);
    Ok(Cell {
        mean_z,
        ratios: (ratios[0], ratios[DIM - 1]),
    })
}

/// Measures every sampler on `process` (pbm: em only), printing each cell, and asserts that
/// every cell passes, and that the [`REFUSED`] pairs are refused with one line.
fn check_process(process: usize) {
    let data = gaussian_data();
    let (name, options) = PROCESSES[process];
    let mut failures = Vec::new();
    for (sampler, sampler_options, steps) in SAMPLERS {
        if name == "pbm" && sampler != "em" {
            continue;
        }
        let mut all = options.to_vec();
        all.extend_from_slice(sampler_options);
        let result = try_measure(&data, &all, steps, SAMPLES);
        if REFUSED.contains(&(name, sampler)) {
            let message = result.expect_err("refused");
            println!("{name:<10} {sampler:<10} refused: {message}");
            assert_eq!(message.lines().count(), 1, "{message}");
            assert!(message.contains("does not sample"), "{message}");
            continue;
        }
        let cell = result.unwrap();
        println!(
            "{name:<10} {sampler:<10} mean |z| ≤ {:5.2}  variance ratios {:.3}–{:.3}  {}",
            cell.mean_z,
            cell.ratios.0,
            cell.ratios.1,
            if cell.passes() { "pass" } else { "FAIL" }
        );
        if !cell.passes() {
            failures.push(format!("{name} {sampler}: {cell:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn vp_linear_samples_the_data_law_with_every_sampler() {
    check_process(0);
}

#[test]
fn vp_cosine_samples_the_data_law_with_every_sampler() {
    check_process(1);
}

#[test]
fn ou_samples_the_data_law_with_every_sampler() {
    check_process(2);
}

#[test]
fn ve_samples_the_data_law_with_every_sampler() {
    check_process(3);
}

#[test]
fn brownian_samples_the_data_law_with_every_sampler() {
    check_process(4);
}

#[test]
fn pbm_samples_the_data_law() {
    check_process(5);
}

#[test]
fn the_criterion_catches_a_wrong_law() {
    // The check itself must be able to fail: the standard prior under Brownian motion ignores
    // the data's mean (the measurement: z-scores 4.6–12.8), and 10 Heun steps on VE's
    // geometric t-grid inflate the spread.
    let data = gaussian_data();
    let standard = measure(
        &data,
        &[("process", "brownian"), ("prior", "standard")],
        100,
        SAMPLES / 2,
    );
    assert!(!standard.passes(), "{standard:?}");
    let coarse = measure(
        &data,
        &[
            ("process", "ve"),
            ("sampler", "heun"),
            ("grid", "geometric"),
        ],
        10,
        SAMPLES / 2,
    );
    assert!(!coarse.passes(), "{coarse:?}");
}

#[test]
#[ignore = "exploration (an hour): every process × sampler × grid, to choose the default grids"]
fn every_grid_matrix() {
    let data = gaussian_data();
    for (name, options) in PROCESSES {
        for grid in ["geometric", "karras", "cosine"] {
            if name == "pbm" && grid != "geometric" {
                continue;
            }
            for (sampler, sampler_options, steps) in SAMPLERS {
                if name == "pbm" && sampler != "em" {
                    continue;
                }
                let mut all = options.to_vec();
                all.extend_from_slice(sampler_options);
                all.push(("grid", grid));
                let Ok(cell) = try_measure(&data, &all, steps, SAMPLES) else {
                    println!("{name:<10} {grid:<9} {sampler:<10} refused");
                    continue;
                };
                println!(
                    "{name:<10} {grid:<9} {sampler:<10} |z| ≤ {:6.2} ratios {:.3}–{:.3} {}",
                    cell.mean_z,
                    cell.ratios.0,
                    cell.ratios.1,
                    if cell.passes() { "pass" } else { "FAIL" }
                );
            }
        }
    }
}
