//! The empirical score against closed forms, and the memorization the papers start from.

use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore::data::builtin::default_2d;
use smoothscore::metrics::nearest_summary;
use smoothscore::sampling::process_spec::ProcessSpec;
use smoothscore::sampling::sample::{draw_samples, SampleConfig};
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{
    Dataset, EmpiricalScore, FinalStep, Integrator, Process, ScoreField, Spacing,
};

/// For data x_i ~ N(μ, s² I), p_t → N(α_t μ, (α_t² s² + σ_t²) I) as N → ∞, whose score is
/// −(x − α_t μ)/(α_t² s² + σ_t²). With N = 20000 points in d = 2 at t = 0.5 the empirical score
/// must be within 5 % of |true score| + 0.02 at every query of a grid around the mean.
#[test]
fn gaussian_data_score_approaches_the_analytic_score() {
    let (n, dim) = (20_000usize, 2usize);
    let mu = [0.5f32, -1.0];
    let s = 0.8f32;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2025);
    let mut points = vec![0.0f32; n * dim];
    fill_standard_normal(&mut rng, &mut points);
    for (k, value) in points.iter_mut().enumerate() {
        *value = mu[k % dim] + s * *value;
    }
    let data = Dataset::new(&points, dim).unwrap();
    for process in [Process::VP_LINEAR, Process::Brownian { horizon: 4.0 }] {
        let field = EmpiricalScore::new(data, process).unwrap();
        let t = 0.5f32;
        let alpha = process.alpha(t);
        let variance = alpha * alpha * s * s + process.sigma_squared(t);
        let spread = variance.sqrt();
        let mut worst_relative = 0.0f32;
        for i in -2..=2 {
            for j in -2..=2 {
                let x = [
                    alpha * mu[0] + i as f32 * spread,
                    alpha * mu[1] + j as f32 * spread,
                ];
                let mut score = [0.0f32; 2];
                field.score(t, &x, &mut score).unwrap();
                let truth = [
                    -(x[0] - alpha * mu[0]) / variance,
                    -(x[1] - alpha * mu[1]) / variance,
                ];
                let error = ((score[0] - truth[0]).powi(2) + (score[1] - truth[1]).powi(2)).sqrt();
                let norm = (truth[0].powi(2) + truth[1].powi(2)).sqrt();
                assert!(
                    error <= 0.05 * norm + 0.02,
                    "{process:?} x={x:?}: score {score:?} vs true {truth:?}"
                );
                worst_relative = worst_relative.max(error / (norm + 0.4));
            }
        }
        println!("{process:?}: worst error / (|true score| + 0.4) = {worst_relative:.4}");
    }
}

fn config(final_step: FinalStep) -> SampleConfig {
    SampleConfig {
        process: ProcessSpec::Reverse(Process::VP_LINEAR),
        integrator: Integrator::EulerMaruyama,
        steps: 1000,
        t_min: 1e-3,
        spacing: Spacing::Geometric,
        final_step,
        n_samples: 400,
        seed: 1,
        threads: 0,
        score: smoothscore::sampling::score_spec::ScoreSpec::Exact,
    }
}

/// The reverse SDE with the exact empirical score reproduces training points. At t_min = 1e-3
/// the VP state still carries noise σ_t ≈ 0.01, so "within a small radius" is 0.05 (≈ 5σ and
/// below the set's smallest gap 0.063); the denoised output lands within 1e-3.
#[test]
fn reverse_sde_memorizes_the_default_set() {
    let data = default_2d().unwrap();
    let state = draw_samples(&data, &config(FinalStep::State)).unwrap();
    let summary = nearest_summary(&data, &state, 0.05);
    println!("state at t_min: {summary:?}");
    assert!(summary.within_radius >= 0.95, "{summary:?}");
    let denoised = draw_samples(&data, &config(FinalStep::Denoise)).unwrap();
    let summary = nearest_summary(&data, &denoised, 1e-3);
    println!("denoised: {summary:?}");
    assert!(summary.within_radius >= 0.95, "{summary:?}");
    assert!(summary.memorized_fraction >= 0.95, "{summary:?}");
}

/// The probability-flow ODE (Heun) also collapses onto training points: memorization is a
/// property of the exact score, not of the noise.
#[test]
fn probability_flow_memorizes_the_default_set() {
    let data = default_2d().unwrap();
    let mut ode = config(FinalStep::State);
    ode.integrator = Integrator::Heun;
    ode.steps = 200;
    let summary = nearest_summary(&data, &draw_samples(&data, &ode).unwrap(), 0.05);
    println!("heun state at t_min: {summary:?}");
    assert!(summary.memorized_fraction >= 0.9, "{summary:?}");
}

/// The score is translation-equivariant: shifting the data by c and the query by α_t c leaves
/// it unchanged (up to rounding).
#[test]
fn score_is_translation_equivariant() {
    let data = default_2d().unwrap();
    let shift = [3.0f32, -2.0];
    let shifted: Vec<f32> = data
        .values()
        .iter()
        .enumerate()
        .map(|(k, v)| v + shift[k % 2])
        .collect();
    let process = Process::VP_LINEAR;
    let original = EmpiricalScore::new(Dataset::new(data.values(), 2).unwrap(), process).unwrap();
    let moved = EmpiricalScore::new(Dataset::new(&shifted, 2).unwrap(), process).unwrap();
    for t in [0.01f32, 0.1, 0.6] {
        let alpha = process.alpha(t);
        let x = [0.3f32, 0.2];
        let y = [x[0] + alpha * shift[0], x[1] + alpha * shift[1]];
        let (mut a, mut b) = ([0.0f32; 2], [0.0f32; 2]);
        original.score(t, &x, &mut a).unwrap();
        moved.score(t, &y, &mut b).unwrap();
        for k in 0..2 {
            let scale = 1.0 + a[k].abs();
            assert!((a[k] - b[k]).abs() <= 1e-3 * scale, "t={t}: {a:?} vs {b:?}");
        }
    }
}

/// The batched score of wide data goes panel by panel over groups of query blocks and skips
/// rows whose weights are all zero; each query must still get the single-query bits. Shapes
/// cross a panel boundary (N·d > `PANEL_FLOATS`), fill more than one group of query blocks and
/// leave a partial block; times from dense (t = 1) to one-hot weights (t = 1e-3); a run of rows
/// at 1e30 has +∞ distances, so whole tiles have logits −∞.
#[test]
fn wide_batches_across_panels_have_the_single_query_bits() {
    use smoothscore_core::batched::{score_batch, PANEL_BLOCKS, PANEL_FLOATS, QUERY_BLOCK};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    for dim in [9usize, 20, 784] {
        let n = PANEL_FLOATS / dim + 45;
        let batch = PANEL_BLOCKS * QUERY_BLOCK + QUERY_BLOCK + 3;
        let mut points = vec![0.0f32; n * dim];
        fill_standard_normal(&mut rng, &mut points);
        for value in points.iter_mut().skip(3 * dim).take(40 * dim) {
            *value = 1e30;
        }
        let mut queries = vec![0.0f32; batch * dim];
        fill_standard_normal(&mut rng, &mut queries);
        let data = Dataset::new(&points, dim).unwrap();
        let field = EmpiricalScore::new(data, Process::VP_LINEAR).unwrap();
        for t in [1e-3f32, 0.3, 1.0] {
            let mut many = vec![0.0f32; batch * dim];
            score_batch(&data, &Process::VP_LINEAR, t, &queries, &mut many).unwrap();
            let mut one = vec![0.0f32; dim];
            for (b, (query, got)) in queries.chunks(dim).zip(many.chunks(dim)).enumerate() {
                field.score(t, query, &mut one).unwrap();
                let same = got
                    .iter()
                    .zip(&one)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "d {dim} t {t} query {b}");
            }
        }
    }
}
