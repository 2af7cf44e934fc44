//! What a trained network must show (issue #18): on a 1-D Gaussian and a 2-D Gaussian mixture
//! (closed-form scores at every t) the learned score is within a stated relative L2 error of
//! the truth at moderate t and its samples are about as close to the truth (MMD) as the exact
//! empirical score's; on a small set, no weight decay memorizes more than strong weight decay.
//! The measured numbers are printed (`cargo test --test learned_quality -- --nocapture`).

use rand_core::SeedableRng;
use smoothscore::learned::train::{
    train, ArchitectureSettings, LearningRateSchedule, TrainSettings,
};
use smoothscore::matrix::Matrix;
use smoothscore::metrics::distances::mmd_rbf;
use smoothscore::metrics::nearest_summary;
use smoothscore::sampling::network::TrainedNetwork;
use smoothscore::sampling::process_spec::ProcessSpec;
use smoothscore::sampling::sample::{draw_samples, SampleConfig};
use smoothscore::sampling::score_spec::ScoreSpec;
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{FinalStep, Integrator, Process, ScoreField, Spacing};

type Rng = rand_xoshiro::Xoshiro256PlusPlus;
const PROCESS: Process = Process::VP_LINEAR;

/// An isotropic Gaussian mixture Σ_j w_j N(μ_j, s_j² I).
struct Mixture {
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    stds: Vec<f64>,
}

impl Mixture {
    fn dim(&self) -> usize {
        self.means[0].len()
    }

    /// n draws (the component by the cumulative weights, then the Gaussian).
    fn draw(&self, n: usize, rng: &mut Rng) -> Matrix {
        let dim = self.dim();
        let mut values = Vec::with_capacity(n * dim);
        let mut z = vec![0.0f32; dim];
        for _ in 0..n {
            let u = smoothscore_core::rng::uniform_open(rng) as f64;
            let mut j = 0;
            let mut cumulative = self.weights[0];
            while u > cumulative && j + 1 < self.weights.len() {
                j += 1;
                cumulative += self.weights[j];
            }
            fill_standard_normal(rng, &mut z);
            values.extend(
                (0..dim).map(|k| (self.means[j][k] + self.stds[j] * f64::from(z[k])) as f32),
            );
        }
        Matrix::new(n, dim, values).unwrap()
    }

    /// ∇ log p_t(x) of the noised mixture: p_t = Σ_j w_j N(α μ_j, (α² s_j² + σ²) I).
    fn score(&self, t: f32, x: &[f32]) -> Vec<f64> {
        let alpha = f64::from(PROCESS.alpha(t));
        let sigma2 = f64::from(PROCESS.sigma_squared(t));
        let dim = self.dim();
        let mut logs = Vec::new();
        for (j, mean) in self.means.iter().enumerate() {
            let v = alpha * alpha * self.stds[j] * self.stds[j] + sigma2;
            let d2: f64 = (0..dim)
                .map(|k| (f64::from(x[k]) - alpha * mean[k]).powi(2))
                .sum();
            logs.push(self.weights[j].ln() - 0.5 * dim as f64 * v.ln() - 0.5 * d2 / v);
        }
        let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logs.iter().map(|l| (l - top).exp()).sum();
        let mut out = vec![0.0; dim];
        for (j, mean) in self.means.iter().enumerate() {
            let r = (logs[j] - top).exp() / total;
            let v = alpha * alpha * self.stds[j] * self.stds[j] + sigma2;
            for k in 0..dim {
                out[k] -= r * (f64::from(x[k]) - alpha * mean[k]) / v;
            }
        }
        out
    }
}

fn settings(steps: usize, weight_decay: f64, seed: u64) -> TrainSettings {
    TrainSettings {
        steps,
        batch: 256,
        lr: 2e-3,
        schedule: LearningRateSchedule::Cosine,
        weight_decay,
        seed,
        eval_every: steps,
        validation_fraction: 0.0,
        t_min: 1e-3,
    }
}

fn trained(
    data: &Matrix,
    width: usize,
    depth: usize,
    settings: &TrainSettings,
) -> &'static TrainedNetwork {
    let architecture = ArchitectureSettings {
        width,
        depth,
        activation: smoothscore_core::Activation::Silu,
        time_features: 6,
    };
    let run = train(
        data.view(),
        ProcessSpec::Reverse(PROCESS),
        &architecture,
        settings,
        |_, _| {},
    )
    .unwrap();
    Box::leak(Box::new(run.network))
}

/// ‖s_net − s‖ / ‖s‖ over 2000 points drawn from p_t.
fn relative_l2(network: &TrainedNetwork, truth: &Mixture, t: f32, rng: &mut Rng) -> f64 {
    let score = network.score(PROCESS).unwrap();
    let clean = truth.draw(2000, rng);
    let dim = truth.dim();
    let (alpha, sigma) = (PROCESS.alpha(t), PROCESS.sigma(t));
    let (mut error, mut norm) = (0.0f64, 0.0f64);
    let mut z = vec![0.0f32; dim];
    let mut learned = vec![0.0f32; dim];
    for row in clean.iter_rows() {
        fill_standard_normal(rng, &mut z);
        let x: Vec<f32> = row
            .iter()
            .zip(&z)
            .map(|(&x0, &e)| alpha * x0 + sigma * e)
            .collect();
        score.score(t, &x, &mut learned).unwrap();
        for (s, l) in truth.score(t, &x).iter().zip(&learned) {
            error += (f64::from(*l) - s).powi(2);
            norm += s * s;
        }
    }
    (error / norm).sqrt()
}

fn samples(data: &Matrix, score: ScoreSpec, n: usize, seed: u64) -> Matrix {
    let config = SampleConfig {
        process: ProcessSpec::Reverse(PROCESS),
        integrator: Integrator::EulerMaruyama,
        steps: 200,
        t_min: 1e-3,
        spacing: Spacing::Geometric,
        final_step: FinalStep::Denoise,
        n_samples: n,
        seed,
        threads: 0,
        score,
    };
    draw_samples(data, &config).unwrap()
}

/// Trains a silu MLP of width 64 and the given depth for the given steps on 2000 draws of
/// `truth`, checks the relative L2 error at moderate t against `bound` and the MMD
/// of the samples against the exact empirical score's (both to fresh draws of the truth).
fn check(name: &str, truth: &Mixture, (depth, steps): (usize, usize), bound: f64) {
    let mut rng = Rng::seed_from_u64(2026);
    let data = truth.draw(2000, &mut rng);
    let network = trained(&data, 64, depth, &settings(steps, 0.0, 1));
    for t in [0.1f32, 0.3, 0.5] {
        let error = relative_l2(network, truth, t, &mut rng);
        println!(
            "{name}: relative L2 error of the learned score at t = {t}: {error:.3} (bound {bound})"
        );
        assert!(error < bound, "{name} t = {t}: {error}");
    }
    let fresh = truth.draw(500, &mut rng);
    let floor = mmd_rbf(&truth.draw(500, &mut rng), &fresh).unwrap();
    let learned = mmd_rbf(&samples(&data, ScoreSpec::Network(network), 500, 3), &fresh).unwrap();
    let exact = mmd_rbf(&samples(&data, ScoreSpec::Exact, 500, 3), &fresh).unwrap();
    println!("{name}: MMD² to fresh truth draws: learned {learned:.5}, exact empirical score (N = 2000) {exact:.5}, truth vs truth {floor:.5}");
    // "Comparable": within the exact score's MMD² plus 5 times the two-sample noise scale
    // (|MMD²| of two truth samples of the same size, at least 2e-3).
    let slack = 5.0 * floor.abs().max(2e-3);
    assert!(
        learned <= exact.max(0.0) + slack,
        "{name}: {learned} vs {exact} + {slack}"
    );
}

#[test]
fn learned_score_of_a_one_dimensional_gaussian_is_close_to_the_truth() {
    let truth = Mixture {
        weights: vec![1.0],
        means: vec![vec![1.0]],
        stds: vec![0.5],
    };
    check("1-D Gaussian N(1, 0.5²)", &truth, (2, 3000), 0.15);
}

#[test]
fn learned_score_of_a_two_dimensional_mixture_is_close_to_the_truth() {
    let truth = Mixture {
        weights: vec![0.25; 4],
        means: vec![
            vec![1.5, 1.5],
            vec![-1.5, 1.5],
            vec![1.5, -1.5],
            vec![-1.5, -1.5],
        ],
        stds: vec![0.35; 4],
    };
    check("2-D mixture of 4 Gaussians", &truth, (3, 4000), 0.25);
}

/// The memorized fraction (d₁/d₂ < 1/3) of 400 samples with a network trained long on a small
/// set, with and without weight decay.
#[test]
fn no_weight_decay_memorizes_more_than_strong_weight_decay() {
    let all = smoothscore::data::builtin::default_2d().unwrap();
    let rows: Vec<f32> = all.iter_rows().step_by(4).flatten().copied().collect();
    let data = Matrix::new(rows.len() / 2, 2, rows).unwrap();
    let mut fractions = Vec::new();
    for weight_decay in [0.0, 1.0] {
        // Long at a constant rate: no annealing that would settle either run early.
        let settings = TrainSettings {
            schedule: LearningRateSchedule::Constant,
            ..settings(4000, weight_decay, 5)
        };
        let network = trained(&data, 64, 2, &settings);
        let drawn = samples(&data, ScoreSpec::Network(network), 400, 9);
        let fraction = nearest_summary(&data, &drawn, 1e-3).memorized_fraction;
        println!(
            "{} points, weight decay {weight_decay}: memorized fraction {:.1}%",
            data.rows(),
            100.0 * fraction
        );
        fractions.push(fraction);
    }
    // Two proportions of 400: the difference must exceed 2 standard errors of it.
    let pooled = 0.5 * (fractions[0] + fractions[1]);
    let se = (pooled * (1.0 - pooled) * 2.0 / 400.0).sqrt();
    assert!(
        fractions[0] - fractions[1] > 2.0 * se,
        "{fractions:?} (se {se:.3})"
    );
}

#[test]
fn same_seed_gives_the_same_weights_and_samples() {
    let all = smoothscore::data::builtin::default_2d().unwrap();
    let first = trained(&all, 32, 2, &settings(300, 0.01, 7));
    let second = trained(&all, 32, 2, &settings(300, 0.01, 7));
    let bits = |n: &TrainedNetwork| n.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(first), bits(second));
    let other = trained(&all, 32, 2, &settings(300, 0.01, 8));
    assert_ne!(bits(first), bits(other));
    let a = samples(&all, ScoreSpec::Network(first), 32, 1);
    let b = samples(&all, ScoreSpec::Network(second), 32, 1);
    assert!(a
        .values()
        .iter()
        .zip(b.values())
        .all(|(x, y)| x.to_bits() == y.to_bits()));
}
