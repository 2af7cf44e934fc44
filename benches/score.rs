//! Criterion benches of the core's hot loops: single-query empirical score for a range of
//! (N, d), and one full sampling run on the default set. Larger shapes and the batched kernel
//! belong to the performance work; run with `cargo bench --bench score`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore::builtin::default_2d;
use smoothscore::process_spec::ProcessSpec;
use smoothscore::sample::{draw_samples, SampleConfig};
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{
    Dataset, EmpiricalScore, FinalStep, Integrator, Process, ScoreField, Spacing,
};

fn single_query_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("single_query_score");
    for &(n, dim) in &[
        (1_000usize, 2usize),
        (1_000, 50),
        (10_000, 2),
        (10_000, 50),
        (1_000, 784),
    ] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut points = vec![0.0f32; n * dim];
        fill_standard_normal(&mut rng, &mut points);
        let mut query = vec![0.0f32; dim];
        fill_standard_normal(&mut rng, &mut query);
        let field =
            EmpiricalScore::new(Dataset::new(&points, dim).unwrap(), Process::VP_LINEAR).unwrap();
        let mut out = vec![0.0f32; dim];
        group.throughput(Throughput::Bytes((n * dim * 4) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("N{n}"), format!("d{dim}")),
            &(),
            |b, _| {
                b.iter(|| {
                    field
                        .score(black_box(0.3), black_box(&query), &mut out)
                        .unwrap()
                })
            },
        );
    }
    group.finish();
}

fn sampling_run(c: &mut Criterion) {
    let data = default_2d().unwrap();
    let config = SampleConfig {
        process: ProcessSpec::Reverse(Process::VP_LINEAR),
        integrator: Integrator::EulerMaruyama,
        steps: 1000,
        t_min: 1e-3,
        spacing: Spacing::Geometric,
        final_step: FinalStep::Denoise,
        n_samples: 64,
        seed: 0,
        threads: 1,
        score: smoothscore::score_spec::ScoreSpec::Exact,
    };
    c.bench_function("sample_default_64x1000_steps", |b| {
        b.iter(|| draw_samples(black_box(&data), &config).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = single_query_score, sampling_run
}
criterion_main!(benches);
