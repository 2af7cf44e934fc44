extern crate std;

use super::*;
use crate::dataset::Dataset;
use crate::schedule::Process;
use crate::score::{EmpiricalScore, ScoreField};
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::string::String;
use std::vec::Vec;
use std::{format, println};

const KARRAS: Spacing = Spacing::Karras { rho: 7.0 };

/// Every integrator with its default parameters, and EDM with churn.
fn integrators() -> [Integrator; 8] {
    [
        Integrator::EulerMaruyama,
        Integrator::Euler,
        Integrator::Heun,
        Integrator::Ddim { eta: 0.0 },
        Integrator::Ddim { eta: 1.0 },
        Integrator::DpmSolverPlusPlus2M,
        Integrator::Edm(EdmChurn::NONE),
        Integrator::Edm(EdmChurn {
            churn: 10.0,
            noise: 1.003,
            lambda_min: 0.05,
            lambda_max: 50.0,
        }),
    ]
}

/// The exact score of Gaussian data N(μ, v I): s_t(x) = −(x − α_t μ)/(α_t² v + σ_t²).
struct GaussianScore {
    process: Process,
    mean: f32,
    variance: f32,
    dim: usize,
}

impl ScoreField for GaussianScore {
    fn dim(&self) -> usize {
        self.dim
    }

    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        let (alpha, sigma_squared) = self.process.coefficients(t)?;
        let total = alpha * alpha * self.variance + sigma_squared;
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = -(xk - alpha * self.mean) / total;
        }
        Ok(())
    }
}

impl GaussianScore {
    /// The probability-flow map from (T, x_T) to t in f64: the standardised coordinate
    /// (x − α_t μ)/√(α_t² v + σ_t²) is constant along the flow.
    fn flow(&self, horizon: f32, start: f32, t: f32) -> f64 {
        let moments = |t: f32| {
            let alpha = self.process.alpha(t) as f64;
            let spread =
                alpha * alpha * self.variance as f64 + self.process.sigma_squared(t) as f64;
            (alpha * self.mean as f64, spread.sqrt())
        };
        let (mean_start, spread_start) = moments(horizon);
        let (mean_end, spread_end) = moments(t);
        mean_end + (start as f64 - mean_start) * spread_end / spread_start
    }
}

#[test]
fn heun_flow_of_a_single_point_is_accurate() {
    // One training point x₁ under Brownian motion: the probability-flow ODE
    // dY/dt = −½ s_t(Y) = (Y − x₁)/(2t) has the solution Y_t − x₁ = (Y_T − x₁)√(t/T).
    let point = [0.5f32];
    let data = Dataset::new(&point, 1).unwrap();
    let process = Process::Brownian { horizon: 4.0 };
    let field = EmpiricalScore::new(data, process).unwrap();
    let sampler = ReverseSampler::new(
        process,
        Integrator::Heun,
        0.01,
        400,
        Spacing::Geometric,
        FinalStep::State,
    )
    .unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut state = [0.0f32];
    let mut start = 0.0f32;
    let mut workspace = Workspace::<1>::new(1).unwrap();
    sampler
        .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, y| {
            if t == 4.0 {
                start = y[0];
            }
        })
        .unwrap();
    let expected = 0.5 + (start - 0.5) * (0.01f32 / 4.0).sqrt();
    assert!(
        (state[0] - expected).abs() < 1e-4,
        "{} vs {expected}",
        state[0]
    );
}

#[test]
fn ddim_and_dpm_solver_land_on_a_single_training_point() {
    // With one training point D ≡ x₁, so the deterministic noise-level samplers follow the flow
    // Y_t = α_t x₁ + (σ_t/σ_T)(Y_T − α_T x₁) exactly, whatever the number of steps, and the
    // denoised output is x₁ itself.
    let point = [0.75f32, -1.5];
    let data = Dataset::new(&point, 2).unwrap();
    let processes = [
        Process::VP_LINEAR,
        Process::VP_COSINE,
        Process::VeGeometric {
            sigma_min: 0.01,
            sigma_max: 10.0,
        },
        Process::Brownian { horizon: 10.0 },
    ];
    for process in processes {
        let field = EmpiricalScore::new(data, process).unwrap();
        for integrator in [
            Integrator::Ddim { eta: 0.0 },
            Integrator::DpmSolverPlusPlus2M,
        ] {
            for steps in [3, 25] {
                let mut workspace = Workspace::<2>::new(2).unwrap();
                let state_sampler =
                    ReverseSampler::new(process, integrator, 1e-3, steps, KARRAS, FinalStep::State)
                        .unwrap();
                let mut start = [0.0f32; 2];
                let mut state = [0.0f32; 2];
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
                state_sampler
                    .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, y| {
                        if t == process.horizon() {
                            start.copy_from_slice(y);
                        }
                    })
                    .unwrap();
                let (alpha_t, sigma_t) = (process.alpha(1e-3), process.sigma(1e-3));
                let horizon = process.horizon();
                let (alpha_h, sigma_h) = (process.alpha(horizon), process.sigma(horizon));
                for k in 0..2 {
                    let want =
                        alpha_t * point[k] + sigma_t / sigma_h * (start[k] - alpha_h * point[k]);
                    assert!(
                        (state[k] - want).abs() < 1e-4 * (1.0 + want.abs()),
                        "{process:?} {integrator:?} {steps}: {} vs {want}",
                        state[k]
                    );
                }
                let denoised = ReverseSampler::new(
                    process,
                    integrator,
                    1e-3,
                    steps,
                    KARRAS,
                    FinalStep::Denoise,
                )
                .unwrap();
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
                denoised
                    .sample(&field, &mut rng, &mut state, &mut workspace)
                    .unwrap();
                for k in 0..2 {
                    assert!(
                        (state[k] - point[k]).abs() < 1e-5,
                        "{process:?} {integrator:?} {steps}: denoised {} vs {}",
                        state[k],
                        point[k]
                    );
                }
            }
        }
    }
}

/// The root-mean-square error at t_min of `integrator`'s flow map over 16 prior draws, against
/// the closed form (Gaussian data, VP linear, Karras grid).
fn flow_error(integrator: Integrator, steps: usize) -> f64 {
    let process = Process::VP_LINEAR;
    let field = GaussianScore {
        process,
        mean: 1.0,
        variance: 0.25,
        dim: 1,
    };
    let sampler =
        ReverseSampler::new(process, integrator, 1e-2, steps, KARRAS, FinalStep::State).unwrap();
    let mut workspace = Workspace::<1>::new(1).unwrap();
    let mut total = 0.0f64;
    for seed in 0..16u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut state = [0.0f32];
        let mut start = 0.0f32;
        sampler
            .sample_with_observer(&field, &mut rng, &mut state, &mut workspace, |t, y| {
                if t == process.horizon() {
                    start = y[0];
                }
            })
            .unwrap();
        let want = field.flow(process.horizon(), start, 1e-2);
        total += (state[0] as f64 - want).powi(2);
    }
    (total / 16.0).sqrt()
}

/// Least-squares slope of −ln(error) against ln(steps).
fn convergence_order(integrator: Integrator, steps: &[usize]) -> (f64, Vec<f64>) {
    let errors: Vec<f64> = steps.iter().map(|&n| flow_error(integrator, n)).collect();
    let xs: Vec<f64> = steps.iter().map(|&n| (n as f64).ln()).collect();
    let ys: Vec<f64> = errors.iter().map(|e| -e.ln()).collect();
    let count = xs.len() as f64;
    let mean_x = xs.iter().sum::<f64>() / count;
    let mean_y = ys.iter().sum::<f64>() / count;
    let covariance: f64 = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum();
    let variance: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    (covariance / variance, errors)
}

#[test]
fn each_deterministic_integrator_converges_at_its_order() {
    // Probability-flow map of Gaussian data under VP linear, Karras grid (ρ = 7) to t = 10⁻²:
    // error against the number of steps, slope of the log-log fit. `cargo test -p
    // smoothscore-core converges_at_its_order -- --nocapture` prints the table.
    let cases = [
        (Integrator::Euler, 1.0),
        (Integrator::Ddim { eta: 0.0 }, 1.0),
        (Integrator::Heun, 2.0),
        (Integrator::DpmSolverPlusPlus2M, 2.0),
        (Integrator::Edm(EdmChurn::NONE), 2.0),
    ];
    let steps = &[16usize, 32, 64, 128];
    for (integrator, order) in cases {
        let (slope, errors) = convergence_order(integrator, steps);
        let table: Vec<String> = steps
            .iter()
            .zip(&errors)
            .map(|(n, e)| format!("n={n}: {e:.3e}"))
            .collect();
        println!(
            "order {:<9} slope {slope:.2} ({})",
            integrator.name(),
            table.join(", ")
        );
        assert!(
            (slope - order).abs() < 0.25,
            "{integrator:?}: slope {slope:.3}, expected {order} ({table:?})"
        );
    }
}

/// DDPM's ancestral step written from the forward posterior (Ho et al. 2020, eqs. 6–7 for a
/// general α_t, σ_t): μ̃ = α_{t'} D + (α_t σ_{t'}²/(α_{t'} σ_t²))(Y − α_t D), variance
/// σ_{t'}² (1 − (α_t σ_{t'})²/(α_{t'} σ_t)²). The reference for DDIM η = 1.
fn ddpm_ancestral(field: &GaussianScore, grid: &TimeGrid, rng: &mut Xoshiro256PlusPlus) -> f32 {
    let process = field.process;
    let mut xi = [0.0f32];
    crate::rng::fill_standard_normal(rng, &mut xi);
    let mut y = process.sigma(grid.time(0)) as f64 * xi[0] as f64;
    for k in 0..grid.steps() {
        let (t, t_next) = (grid.time(k), grid.time(k + 1));
        let mut score = [0.0f32];
        field.score(t, &[y as f32], &mut score).unwrap();
        let (a, a_next) = (process.alpha(t) as f64, process.alpha(t_next) as f64);
        let (v, v_next) = (
            process.sigma_squared(t) as f64,
            process.sigma_squared(t_next) as f64,
        );
        let denoised = (y + v * score[0] as f64) / a;
        let mean = a_next * denoised + a * v_next / (a_next * v) * (y - a * denoised);
        let variance = v_next * (1.0 - (a * a * v_next) / (a_next * a_next * v));
        crate::rng::fill_standard_normal(rng, &mut xi);
        y = mean + variance.max(0.0).sqrt() * xi[0] as f64;
    }
    y as f32
}

#[test]
fn ddim_with_eta_one_is_ddpm_ancestral_sampling() {
    let process = Process::VP_LINEAR;
    let field = GaussianScore {
        process,
        mean: 1.0,
        variance: 0.25,
        dim: 1,
    };
    let sampler = ReverseSampler::new(
        process,
        Integrator::Ddim { eta: 1.0 },
        1e-3,
        50,
        KARRAS,
        FinalStep::State,
    )
    .unwrap();
    let mut workspace = Workspace::<1>::new(1).unwrap();
    let count = 4000;
    let (mut ddim, mut ddpm) = (Vec::new(), Vec::new());
    for j in 0..count as u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(j);
        let mut state = [0.0f32];
        sampler
            .sample(&field, &mut rng, &mut state, &mut workspace)
            .unwrap();
        ddim.push(state[0] as f64);
        // Same stream: the same path up to rounding.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(j);
        let reference = ddpm_ancestral(&field, sampler.grid(), &mut rng);
        assert!(
            (reference - state[0]).abs() < 1e-4,
            "sample {j}: {reference} vs {}",
            state[0]
        );
        // Independent stream: the law.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1_000_000 + j);
        ddpm.push(ddpm_ancestral(&field, sampler.grid(), &mut rng) as f64);
    }
    let moments = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
        (mean, var)
    };
    let ((mean_a, var_a), (mean_b, var_b)) = (moments(&ddim), moments(&ddpm));
    let n = count as f64;
    let mean_z = (mean_a - mean_b) / ((var_a + var_b) / n).sqrt();
    let var_z = (var_a - var_b) / ((var_a * var_a + var_b * var_b) * 2.0 / (n - 1.0)).sqrt();
    assert!(
        mean_z.abs() < 4.0,
        "means {mean_a} vs {mean_b}: z = {mean_z}"
    );
    assert!(
        var_z.abs() < 4.0,
        "variances {var_a} vs {var_b}: z = {var_z}"
    );
}

#[test]
fn edm_without_churn_draws_nothing_and_with_churn_draws_each_step() {
    let field = GaussianScore {
        process: Process::VP_LINEAR,
        mean: 0.0,
        variance: 1.0,
        dim: 2,
    };
    let mut workspace = Workspace::<2>::new(2).unwrap();
    let [.., plain, churned] = integrators();
    for (integrator, draws) in [(plain, 2u64), (churned, 2 + 2 * 20)] {
        let sampler = ReverseSampler::new(
            Process::VP_LINEAR,
            integrator,
            1e-3,
            20,
            KARRAS,
            FinalStep::State,
        )
        .unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut state = [0.0f32; 2];
        sampler
            .sample(&field, &mut rng, &mut state, &mut workspace)
            .unwrap();
        // Churn is on where 0.05 ≤ λ ≤ 50: count the steps that churned.
        let churning = (0..20)
            .filter(|&k| sampler.plan(k).unwrap().prepares())
            .count() as u64;
        let mut reference = Xoshiro256PlusPlus::seed_from_u64(9);
        let used = if integrator == plain {
            draws
        } else {
            2 + 2 * churning
        };
        for _ in 0..used {
            reference.next_u32();
        }
        assert_eq!(rng.next_u64(), reference.next_u64(), "{integrator:?}");
        if integrator == churned {
            assert!(churning > 5 && churning < 20, "{churning} churning steps");
        }
    }
}

#[test]
fn batch_sampling_has_the_bits_of_one_by_one_sampling() {
    const DIM: usize = 3;
    const COUNT: usize = 11;
    let mut seed = 0x1234_5678_u32;
    let mut points = [0.0f32; 40 * DIM];
    for value in points.iter_mut() {
        *value = crate::test_support::uniform(&mut seed, 2.0);
    }
    let data = Dataset::new(&points, DIM).unwrap();
    let field = EmpiricalScore::new(data, Process::VP_COSINE).unwrap();
    let mean = [0.1f32, -0.2, 0.3];
    let factor = [1.0f32, 0.0, 0.0, 0.2, 0.9, 0.0, -0.1, 0.3, 0.8];
    let moment_matched = Prior::Cholesky {
        mean: &mean,
        factor: &factor,
    };
    for integrator in integrators() {
        for (spacing, final_step, prior) in [
            (Spacing::Geometric, FinalStep::State, Prior::Standard),
            (KARRAS, FinalStep::Denoise, moment_matched),
        ] {
            let sampler = ReverseSampler::new(
                Process::VP_COSINE,
                integrator,
                1e-3,
                20,
                spacing,
                final_step,
            )
            .unwrap()
            .with_prior(prior)
            .unwrap();
            let mut rngs: [Xoshiro256PlusPlus; COUNT] =
                core::array::from_fn(|j| Xoshiro256PlusPlus::seed_from_u64(j as u64));
            let mut states = [0.0f32; COUNT * DIM];
            let mut scratch = [0.0f32; 4 * COUNT * DIM];
            let needed = sampler.batch_scratch_len(COUNT, DIM);
            sampler
                .sample_batch(&field, &mut rngs, &mut states, &mut scratch[..needed])
                .unwrap();
            let mut workspace = Workspace::<DIM>::new(DIM).unwrap();
            for (j, batched) in states.chunks(DIM).enumerate() {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(j as u64);
                let mut state = [0.0f32; DIM];
                sampler
                    .sample(&field, &mut rng, &mut state, &mut workspace)
                    .unwrap();
                let same = state
                    .iter()
                    .zip(batched)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{integrator:?} {final_step:?} sample {j}");
                assert_eq!(rng.next_u64(), rngs[j].next_u64(), "streams diverged");
            }
        }
    }
}

/// The VP-linear sampler with `integrator`, 10 uniform steps down to 10⁻³.
fn vp_sampler(integrator: Integrator) -> ReverseSampler<'static> {
    let grid = Spacing::Uniform;
    ReverseSampler::new(
        Process::VP_LINEAR,
        integrator,
        1e-3,
        10,
        grid,
        FinalStep::State,
    )
    .unwrap()
}

#[test]
fn batch_sampling_checks_its_buffers() {
    let point = [0.5f32, 1.0];
    let data = Dataset::new(&point, 2).unwrap();
    let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
    let sampler = vp_sampler(Integrator::Heun);
    let mut rngs = [
        Xoshiro256PlusPlus::seed_from_u64(1),
        Xoshiro256PlusPlus::seed_from_u64(2),
    ];
    let mut states = [0.0f32; 4];
    let mut scratch = [0.0f32; 12];
    assert_eq!(sampler.batch_scratch_len(2, 2), 12);
    assert_eq!(vp_sampler(Integrator::Euler).batch_scratch_len(2, 2), 8);
    assert_eq!(
        vp_sampler(Integrator::DpmSolverPlusPlus2M).batch_scratch_len(2, 2),
        12
    );
    assert_eq!(
        sampler.sample_batch(&field, &mut rngs, &mut states, &mut scratch[..11]),
        Err(Error::DimensionMismatch {
            expected: 12,
            found: 11
        })
    );
    assert!(matches!(
        sampler.sample_batch(&field, &mut rngs, &mut states[..3], &mut scratch),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(sampler
        .sample_batch(&field, &mut rngs, &mut states, &mut scratch)
        .is_ok());
}

#[test]
fn mismatched_state_and_bad_parameters_are_rejected() {
    let point = [0.5f32, 1.0];
    let data = Dataset::new(&point, 2).unwrap();
    let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
    let sampler = vp_sampler(Integrator::EulerMaruyama);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut workspace = Workspace::<2>::new(2).unwrap();
    let mut state = [0.0f32; 3];
    assert!(matches!(
        sampler.sample(&field, &mut rng, &mut state, &mut workspace),
        Err(Error::DimensionMismatch { .. })
    ));
    let sampler_at = |integrator, t_min| {
        ReverseSampler::new(
            Process::VP_LINEAR,
            integrator,
            t_min,
            10,
            Spacing::Uniform,
            FinalStep::State,
        )
    };
    assert!(sampler_at(Integrator::Euler, 1.0).is_err());
    assert_eq!(
        sampler_at(Integrator::Ddim { eta: 1.5 }, 1e-3),
        Err(Error::InvalidParameter {
            name: "eta",
            value: 1.5
        })
    );
    let negative = EdmChurn {
        churn: -1.0,
        ..EdmChurn::NONE
    };
    assert!(sampler_at(Integrator::Edm(negative), 1e-3).is_err());
    let short = Prior::Diagonal {
        mean: &[0.0; 3],
        scale: &[1.0; 3],
    };
    let sampler = vp_sampler(Integrator::Euler).with_prior(short).unwrap();
    let mut state = [0.0f32; 2];
    assert!(matches!(
        sampler.sample(&field, &mut rng, &mut state, &mut workspace),
        Err(Error::DimensionMismatch { .. })
    ));
    assert_eq!(
        PinnedSampler::check_integrator(&Integrator::DpmSolverPlusPlus2M),
        Err(Error::Unsupported {
            feature: "dpmpp-2m",
            process: "pinned Brownian motion"
        })
    );
    assert!(matches!(
        PinnedSampler::new(0.999, 10, KARRAS, FinalStep::State),
        Err(Error::Unsupported { .. })
    ));
}
