//! The samplers against closed forms: each integrator's order of convergence on the Gaussian
//! probability-flow map at every process's default grid, DDIM on one training point, DDIM η = 1
//! against DDPM's ancestral sampler in law, and the density's normalisation and gradient.
//!
//! `cargo test --test sampler_order -- --nocapture` prints the error tables and fitted slopes
//! (README "Samplers").

use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore::commands::options::parse_options;
use smoothscore::commands::sample::{sample_rows, SampleArgs};
use smoothscore::matrix::Matrix;
use smoothscore::sampling::led_kde_grid::{led_kde_on_grid, GridSpec};
use smoothscore::sampling::process_spec::ProcessSpec;
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{
    Bandwidth, Dataset, EdmChurn, EmpiricalScore, Error, FinalStep, Integrator, KernelRule,
    KernelSmoothedScore, Process, ReverseSampler, ScoreField, TimeGrid, Workspace,
};

/// The exact score of 1-D Gaussian data N(μ, v): s_t(x) = −(x − α_t μ)/(α_t² v + σ_t²).
struct GaussianScore {
    process: Process,
    mean: f32,
    variance: f32,
}

impl ScoreField for GaussianScore {
    fn dim(&self) -> usize {
        1
    }

    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha, sigma_squared) = self.process.coefficients(t)?;
        out[0] = -(x[0] - alpha * self.mean) / (alpha * alpha * self.variance + sigma_squared);
        Ok(())
    }
}

impl GaussianScore {
    /// The probability-flow map from (T, y) to t in f64: (y − α_t μ)/√(α_t² v + σ_t²) is
    /// constant along the flow.
    fn flow(&self, from: f32, y: f32, to: f32) -> f64 {
        let moments = |t: f32| {
            let alpha = f64::from(self.process.alpha(t));
            let spread =
                alpha * alpha * f64::from(self.variance) + f64::from(self.process.sigma(t)).powi(2);
            (alpha * f64::from(self.mean), spread.sqrt())
        };
        let (m0, s0) = moments(from);
        let (m1, s1) = moments(to);
        m1 + (f64::from(y) - m0) * s1 / s0
    }
}

const T_MIN: f32 = 1e-2;

/// RMS error at t_min of `integrator`'s flow map over 16 prior draws, on the process's
/// default grid with `steps` steps.
fn flow_error(process: Process, integrator: Integrator, steps: usize) -> f64 {
    let field = GaussianScore {
        process,
        mean: 1.0,
        variance: 0.25,
    };
    let spacing = ProcessSpec::Reverse(process).default_spacing(&integrator, 7.0);
    let sampler =
        ReverseSampler::new(process, integrator, T_MIN, steps, spacing, FinalStep::State).unwrap();
    let mut workspace = Workspace::<1>::new(1).unwrap();
    let mut total = 0.0;
    for seed in 0..16u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut state, mut start) = ([0.0f32], 0.0f32);
        sampler
            .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, y| {
                if t == process.horizon() {
                    start = y[0];
                }
            })
            .unwrap();
        total += (f64::from(state[0]) - field.flow(process.horizon(), start, T_MIN)).powi(2);
    }
    (total / 16.0).sqrt()
}

/// The least-squares slope of −ln(error) against ln(steps).
fn slope(steps: &[usize], errors: &[f64]) -> f64 {
    let xs: Vec<f64> = steps.iter().map(|&n| (n as f64).ln()).collect();
    let ys: Vec<f64> = errors.iter().map(|e| -e.ln()).collect();
    let mx = xs.iter().sum::<f64>() / xs.len() as f64;
    let my = ys.iter().sum::<f64>() / ys.len() as f64;
    let covariance: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    covariance / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>()
}

#[test]
fn each_integrator_converges_at_its_order_on_every_default_grid() {
    let processes = [
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
    ];
    let integrators = [
        ("euler", Integrator::Euler, 1.0),
        ("ddim η=0", Integrator::Ddim { eta: 0.0 }, 1.0),
        ("heun", Integrator::Heun, 2.0),
        ("dpmpp-2m", Integrator::DpmSolverPlusPlus2M, 2.0),
        ("edm", Integrator::Edm(EdmChurn::NONE), 2.0),
    ];
    let steps = [32usize, 64, 128, 256];
    let mut failures = Vec::new();
    for (name, process) in processes {
        for (integrator_name, integrator, order) in integrators {
            let errors: Vec<f64> = steps
                .iter()
                .map(|&n| flow_error(process, integrator, n))
                .collect();
            let fitted = slope(&steps, &errors);
            let table: Vec<String> = steps
                .iter()
                .zip(&errors)
                .map(|(n, e)| format!("{n}: {e:.2e}"))
                .collect();
            println!(
                "{name:<10} {integrator_name:<9} slope {fitted:.2}  ({})",
                table.join(", ")
            );
            if (fitted - order).abs() > 0.35 {
                failures.push(format!("{name} {integrator_name}: slope {fitted:.2}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// Runs `sample` on `data` with `options`.
fn sample(data: &Matrix, options: &[(&str, &str)]) -> Matrix {
    let pairs: Vec<(String, Option<String>)> = options
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
    let args: SampleArgs = parse_options("sample", &pairs).unwrap();
    sample_rows(&args, data.view()).unwrap().1
}

#[test]
fn ddim_without_noise_lands_on_a_single_training_point() {
    let point = [0.7f32, -1.3];
    let data = Matrix::new(1, 2, point.to_vec()).unwrap();
    let run = |process: &str, sampler: &str, final_step: &str, steps: &str| {
        sample(
            &data,
            &[
                ("process", process),
                ("sampler", sampler),
                ("final", final_step),
                ("steps", steps),
                ("n-samples", "16"),
                ("t-min", "1e-4"),
            ],
        )
    };
    let largest_difference = |a: &Matrix, b: &Matrix| {
        a.values()
            .iter()
            .zip(b.values())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    for process in ["vp", "ve", "brownian", "ou"] {
        let denoised = run(process, "ddim", "denoised", "50");
        let worst = denoised
            .iter_rows()
            .map(|row| ((row[0] - point[0]).powi(2) + (row[1] - point[1]).powi(2)).sqrt())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{process} denoised: {worst}");
        // On one point D = x₁ whatever the state, so the DDIM step is exact: the state at
        // t_min, α x₁ + σ_{t_min} ε̂ with ε̂ fixed by the prior draw, is the same after 1 step
        // as after 50 (f32 rounding apart). Euler is not exact: its 1 and 50 steps disagree.
        let (one, fifty) = (
            run(process, "ddim", "state", "1"),
            run(process, "ddim", "state", "50"),
        );
        let ddim_gap = largest_difference(&one, &fifty);
        assert!(
            ddim_gap < 1e-4,
            "{process}: ddim 1 vs 50 steps differ by {ddim_gap}"
        );
        let heun_gap = largest_difference(
            &run(process, "heun", "state", "1"),
            &run(process, "heun", "state", "50"),
        );
        assert!(
            heun_gap > 1e-2,
            "{process}: heun 1 vs 50 steps differ by {heun_gap} only"
        );
        println!("{process}: ddim 1 vs 50 steps {ddim_gap:.1e}, heun {heun_gap:.1e}");
    }
}

/// DDPM's ancestral sampler (Ho et al. 2020, eqs. 6–7 for general α_t, σ_t) in f64 on the
/// empirical score: from N(0, σ_T²) down `grid`, each step the posterior
/// N(α' D + (α σ'²/(α' σ²))(y − α D), σ'²(1 − (α σ')²/(α' σ)²)).
fn ddpm(field: &EmpiricalScore<'_>, grid: &TimeGrid, rng: &mut Xoshiro256PlusPlus) -> f64 {
    let process = field.process();
    let mut xi = [0.0f32];
    fill_standard_normal(rng, &mut xi);
    let mut y = f64::from(process.sigma(grid.time(0))) * f64::from(xi[0]);
    for k in 0..grid.steps() {
        let (t, next) = (grid.time(k), grid.time(k + 1));
        let mut score = [0.0f32];
        field.score(t, &[y as f32], &mut score).unwrap();
        let (a, a1) = (f64::from(process.alpha(t)), f64::from(process.alpha(next)));
        let (v, v1) = (
            f64::from(process.sigma(t)).powi(2),
            f64::from(process.sigma(next)).powi(2),
        );
        let denoised = (y + v * f64::from(score[0])) / a;
        let mean = a1 * denoised + a * v1 / (a1 * v) * (y - a * denoised);
        let variance = (v1 * (1.0 - (a * a * v1) / (a1 * a1 * v))).max(0.0);
        fill_standard_normal(rng, &mut xi);
        y = mean + variance.sqrt() * f64::from(xi[0]);
    }
    y
}

#[test]
fn ddim_with_eta_one_has_the_law_of_ddpm_ancestral_sampling() {
    let values = vec![-1.0f32, -0.2, 0.4, 1.5];
    let data = Matrix::new(4, 1, values.clone()).unwrap();
    let count = 4000;
    let ddim = sample(
        &data,
        &[
            ("sampler", "ddim"),
            ("eta", "1"),
            ("final", "state"),
            ("steps", "40"),
            ("t-min", "0.05"),
            ("n-samples", &count.to_string()),
        ],
    );
    let dataset = Dataset::new(&values, 1).unwrap();
    let field = EmpiricalScore::new(dataset, Process::VP_LINEAR).unwrap();
    let spacing = ProcessSpec::Reverse(Process::VP_LINEAR)
        .default_spacing(&Integrator::Ddim { eta: 1.0 }, 7.0);
    let grid = TimeGrid::for_process(&Process::VP_LINEAR, 1.0, 0.05, 40, spacing).unwrap();
    let reference: Vec<f64> = (0..count as u64)
        .map(|j| {
            ddpm(
                &field,
                &grid,
                &mut Xoshiro256PlusPlus::seed_from_u64(900_000 + j),
            )
        })
        .collect();
    let ours: Vec<f64> = ddim.values().iter().map(|&v| f64::from(v)).collect();
    let moments = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let fourth = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
        (mean, var, fourth)
    };
    let ((m_a, v_a, f_a), (m_b, v_b, f_b)) = (moments(&ours), moments(&reference));
    let n = count as f64;
    let mean_z = (m_a - m_b) / ((v_a + v_b) / n).sqrt();
    // Var of a sample variance: (μ₄ − σ⁴)/n.
    let var_z = (v_a - v_b) / ((f_a - v_a * v_a + f_b - v_b * v_b) / n).sqrt();
    println!("ddim η=1 vs ddpm: means {m_a:.4} {m_b:.4} (z {mean_z:.2}), variances {v_a:.4} {v_b:.4} (z {var_z:.2})");
    assert!(mean_z.abs() < 4.0, "mean z = {mean_z}");
    assert!(var_z.abs() < 4.0, "variance z = {var_z}");
}

/// A small 2-D data set (xorshift32 in [−1, 1]²).
fn small_data() -> Matrix {
    let mut state = 0x9e37_79b9u32;
    let values = (0..24)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect();
    Matrix::new(12, 2, values).unwrap()
}

#[test]
fn the_density_integrates_to_one_within_its_stated_bound() {
    let data = small_data();
    let process = Process::VP_LINEAR;
    let rule = KernelRule::GaussHermite { order: 6 };
    for (bandwidth, margin) in [(0.0f32, 0.3f64), (0.0, 1.5), (0.15, 0.3), (0.15, 1.5)] {
        let density = led_kde_on_grid(
            &data,
            process,
            0.05,
            Bandwidth::Constant { bandwidth },
            rule,
            GridSpec {
                points: 201,
                margin,
            },
            1,
        )
        .unwrap();
        let (inside, outside) = (density.grid_mass, density.outside_mass);
        println!("h = {bandwidth}, margin {margin}: grid mass {inside:.6}, outside {outside:.3e}, ln Z bound {:.2e}", density.log_normaliser_bound);
        // Quadrature (trapezoid, 201 points a side) adds at most 1e-3 here.
        if bandwidth == 0.0 {
            assert!(
                (inside + outside - 1.0).abs() < 1e-3,
                "{inside} + {outside}"
            );
        } else {
            assert!(inside <= 1.0 + 1e-3, "{inside}");
            assert!(inside + outside >= 1.0 - 1e-3, "{inside} + {outside}");
        }
        if margin > 1.0 {
            assert!(outside < 1e-6, "a wide margin keeps the mass: {outside}");
        } else {
            assert!(outside > 1e-4, "a tight margin loses mass: {outside}");
        }
    }
}

#[test]
fn the_gradient_of_the_log_density_is_the_score() {
    let data = small_data();
    let process = Process::VP_LINEAR;
    let rule = KernelRule::GaussHermite { order: 6 };
    let t = 0.2f32;
    for bandwidth in [0.0f32, 0.1] {
        let density = led_kde_on_grid(
            &data,
            process,
            t,
            Bandwidth::Constant { bandwidth },
            rule,
            GridSpec {
                points: 401,
                margin: 0.5,
            },
            1,
        )
        .unwrap();
        let dataset = Dataset::new(data.values(), 2).unwrap();
        let exact = EmpiricalScore::new(dataset, process).unwrap();
        let smoothed =
            KernelSmoothedScore::<8>::new(exact, Bandwidth::Constant { bandwidth }, rule).unwrap();
        let ny = density.ys.len();
        let (dx, dy) = (density.xs[1] - density.xs[0], density.ys[1] - density.ys[0]);
        for (i, j) in [(100usize, 100usize), (200, 200), (150, 300), (320, 80)] {
            let at = |i: usize, j: usize| density.log_values[i * ny + j];
            let gradient = [
                (at(i + 1, j) - at(i - 1, j)) / (2.0 * dx),
                (at(i, j + 1) - at(i, j - 1)) / (2.0 * dy),
            ];
            let x = [density.xs[i] as f32, density.ys[j] as f32];
            let mut score = [0.0f32; 2];
            smoothed.score(t, &x, &mut score).unwrap();
            for k in 0..2 {
                let want = f64::from(score[k]);
                assert!(
                    (gradient[k] - want).abs() < 2e-2 * (1.0 + want.abs()),
                    "h = {bandwidth} at {x:?}: finite difference {} vs score {want}",
                    gradient[k]
                );
            }
        }
    }
}
