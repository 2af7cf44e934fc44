//! Property tests of the core's invariants over random data, queries and times, and the edges
//! of f32 (huge queries, tiny data, t at the ends of the domain, large d).

use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore_core::{
    Dataset, EmpiricalScore, Error, FinalStep, Integrator, Process, ReverseSampler, ScoreField,
    Spacing, Workspace,
};

const PROCESSES: [Process; 5] = [
    Process::VP_LINEAR,
    Process::VP_COSINE,
    Process::OrnsteinUhlenbeck { horizon: 5.0 },
    Process::VeGeometric {
        sigma_min: 0.01,
        sigma_max: 10.0,
    },
    Process::Brownian { horizon: 10.0 },
];

/// (data row-major, dim, query) with 1..=12 points in 1..=5 dimensions, values in [-10, 10].
fn data_and_query() -> impl Strategy<Value = (Vec<f32>, usize, Vec<f32>)> {
    (1usize..=5, 1usize..=12).prop_flat_map(|(dim, n)| {
        (
            prop::collection::vec(-10.0f32..10.0, n * dim),
            Just(dim),
            prop::collection::vec(-10.0f32..10.0, dim),
        )
    })
}

/// A time inside the process's domain, spread over orders of magnitude: T·10^(−u), u ∈ [0, 4].
fn time_in(process: &Process, exponent: f32) -> f32 {
    process.horizon() * 10f32.powf(-exponent)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn weights_are_finite_and_sum_to_one(
        (points, dim, query) in data_and_query(),
        which in 0usize..5,
        exponent in 0.0f32..4.0,
    ) {
        let process = PROCESSES[which];
        let t = time_in(&process, exponent);
        let field = EmpiricalScore::new(Dataset::new(&points, dim).unwrap(), process).unwrap();
        let mut weights = vec![0.0f32; points.len() / dim];
        field.weights(t, &query, &mut weights).unwrap();
        prop_assert!(weights.iter().all(|w| w.is_finite() && *w >= 0.0));
        let total: f32 = weights.iter().sum();
        prop_assert!((total - 1.0).abs() <= 1e-5, "sum {}", total);
    }

    #[test]
    fn score_is_translation_equivariant(
        (points, dim, query) in data_and_query(),
        shift in prop::collection::vec(-5.0f32..5.0, 5),
        which in 0usize..5,
        exponent in 0.0f32..2.0,
    ) {
        // Shifting every x_i by c and the query by α_t c leaves the score unchanged.
        let process = PROCESSES[which];
        let t = time_in(&process, exponent);
        let alpha = process.alpha(t);
        let shifted: Vec<f32> = points.iter().enumerate().map(|(k, v)| v + shift[k % dim]).collect();
        let moved_query: Vec<f32> = query.iter().enumerate().map(|(k, v)| v + alpha * shift[k]).collect();
        let a = score_of(&points, dim, process, t, &query).unwrap();
        let b = score_of(&shifted, dim, process, t, &moved_query).unwrap();
        let scale = 1.0 / process.sigma_squared(t);
        for k in 0..dim {
            // The shift perturbs distances by rounding of size ε·(|x| + |c|)·|x − αx_i|, which
            // the softmax turns into weight changes of that order over 2σ²: allow a tolerance
            // scaled by 1/σ² and the magnitudes involved.
            let tolerance = 1e-3 * scale * (1.0 + a[k].abs() / scale) * 20.0;
            prop_assert!((a[k] - b[k]).abs() <= tolerance, "k={} {} vs {}", k, a[k], b[k]);
        }
    }

    #[test]
    fn score_is_rotation_equivariant_in_the_plane(
        points in prop::collection::vec(-3.0f32..3.0, 2..=16),
        query in prop::collection::vec(-3.0f32..3.0, 2),
        angle in 0.0f32..std::f32::consts::TAU,
        exponent in 0.0f32..1.5,
    ) {
        // s(Rx; R x_i) = R s(x; x_i) for a rotation R.
        let dim = 2;
        let points = &points[..points.len() / 2 * 2];
        let process = Process::Brownian { horizon: 10.0 };
        let t = time_in(&process, exponent);
        let (sin, cos) = angle.sin_cos();
        let rotate = |v: &[f32]| -> Vec<f32> {
            v.chunks(2).flat_map(|p| [cos * p[0] - sin * p[1], sin * p[0] + cos * p[1]]).collect()
        };
        let a = score_of(points, dim, process, t, &query).unwrap();
        let b = score_of(&rotate(points), dim, process, t, &rotate(&query)).unwrap();
        let expected = rotate(&a);
        let norm = (a[0] * a[0] + a[1] * a[1]).sqrt();
        for k in 0..2 {
            let tolerance = 1e-3 * (norm + 1.0 / process.sigma_squared(t)) ;
            prop_assert!((b[k] - expected[k]).abs() <= tolerance, "{:?} vs {:?}", b, expected);
        }
    }

    #[test]
    fn permuting_the_training_set_changes_the_score_only_by_rounding(
        (points, dim, query) in data_and_query(),
        which in 0usize..5,
        exponent in 0.0f32..2.0,
        rotation in 0usize..12,
    ) {
        // The reduction runs in index order, so a permutation may change the last bits
        // (floating-point addition is not associative); the value agrees to rounding.
        let process = PROCESSES[which];
        let t = time_in(&process, exponent);
        let n = points.len() / dim;
        let mut permuted = points.clone();
        permuted.rotate_left((rotation % n) * dim);
        let a = score_of(&points, dim, process, t, &query).unwrap();
        let b = score_of(&permuted, dim, process, t, &query).unwrap();
        let scale = 1.0 / process.sigma_squared(t);
        for k in 0..dim {
            prop_assert!((a[k] - b[k]).abs() <= 1e-4 * (a[k].abs() + 20.0 * scale), "{} vs {}", a[k], b[k]);
        }
    }

    #[test]
    fn samplers_return_finite_samples_or_a_typed_error(
        (points, dim, _query) in data_and_query(),
        which in 0usize..5,
        integrator in 0usize..3,
        seed in any::<u64>(),
    ) {
        let process = PROCESSES[which];
        let integrator = [Integrator::EulerMaruyama, Integrator::Euler, Integrator::Heun][integrator];
        let field = EmpiricalScore::new(Dataset::new(&points, dim).unwrap(), process).unwrap();
        let sampler = ReverseSampler::new(process, integrator, 1e-3, 50, Spacing::Geometric, FinalStep::Denoise).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut workspace = Workspace::<8>::new(dim).unwrap();
        let mut state = vec![0.0f32; dim];
        match sampler.sample(&field, &mut rng, &mut state, &mut workspace) {
            Ok(()) => prop_assert!(state.iter().all(|v| v.is_finite())),
            Err(error) => prop_assert!(matches!(error, Error::Overflow { .. }), "{:?}", error),
        }
    }
}

fn score_of(
    points: &[f32],
    dim: usize,
    process: Process,
    t: f32,
    query: &[f32],
) -> Result<Vec<f32>, Error> {
    let field = EmpiricalScore::new(Dataset::new(points, dim)?, process)?;
    let mut out = vec![0.0f32; dim];
    field.score(t, query, &mut out)?;
    Ok(out)
}

#[test]
fn huge_queries_get_a_typed_error_not_nan() {
    let points = [0.0f32, 1.0, 2.0, -1.0];
    for process in PROCESSES {
        for query in [[1e30f32, 0.0], [-3e38, 3e38], [1e19, 1e19]] {
            match score_of(&points, 2, process, 0.5 * process.horizon(), &query) {
                Ok(score) => assert!(score.iter().all(|v| v.is_finite()), "{process:?} {query:?}"),
                Err(error) => assert!(matches!(error, Error::Overflow { .. }), "{error:?}"),
            }
        }
    }
}

#[test]
fn tiny_data_and_domain_edges_give_values_or_typed_errors() {
    let tiny = [1e-30f32, -1e-30, 3e-30, 0.0];
    for process in PROCESSES {
        for t in [
            process.horizon(),
            1e-6 * process.horizon(),
            f32::MIN_POSITIVE,
            1e-38,
        ] {
            match score_of(&tiny, 2, process, t, &[1e-30, 2e-30]) {
                Ok(score) => assert!(score.iter().all(|v| v.is_finite()), "{process:?} t={t}"),
                Err(error) => assert!(
                    matches!(error, Error::Overflow { .. } | Error::ZeroSigma { .. }),
                    "{process:?} t={t}: {error:?}"
                ),
            }
        }
        assert!(matches!(
            score_of(&tiny, 2, process, 0.0, &[0.0, 0.0]),
            Err(Error::TimeOutOfDomain { .. })
        ));
        assert!(matches!(
            score_of(
                &tiny,
                2,
                process,
                process.horizon() * 1.0001 + 1e-6,
                &[0.0, 0.0]
            ),
            Err(Error::TimeOutOfDomain { .. })
        ));
    }
}

#[test]
fn dimension_4096_works_and_the_sampler_capacity_is_enforced() {
    let dim = 4096;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let mut points = vec![0.0f32; 8 * dim];
    smoothscore_core::rng::fill_standard_normal(&mut rng, &mut points);
    let query = points[..dim].to_vec();
    let score = score_of(&points, dim, Process::VP_LINEAR, 0.3, &query).unwrap();
    assert!(score.iter().all(|v| v.is_finite()));
    assert_eq!(
        Workspace::<4096>::new(4097).unwrap_err(),
        Error::CapacityExceeded {
            needed: 4097,
            capacity: 4096
        }
    );
}
