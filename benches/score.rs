//! Criterion benches of the core's hot loops: single-query empirical score on the grid
//! N ∈ {10³, 10⁴, 6·10⁴} × d ∈ {2, 50, 784}, the batched score (B = 64, 256), the
//! kernel-smoothed score (M kernel points) and full sampling runs (default set; 10 000 MNIST
//! digits, read from `../shared/data/mnist` or the shipped `fixtures/mnist` subset); run with
//! `cargo bench --bench score`. GFLOP/s, bandwidth and the peers are in `smoothscore bench`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore::data::builtin::default_2d;
use smoothscore::io::idx::{load_images, IdxOptions};
use smoothscore::sampling::process_spec::ProcessSpec;
use smoothscore::sampling::sample::{draw_samples, SampleConfig};
use smoothscore_core::batched::score_batch;
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{
    Bandwidth, Dataset, EmpiricalScore, FinalStep, Integrator, KernelRule, KernelSmoothedScore,
    Process, ScoreField, Spacing,
};

fn single_query_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("single_query_score");
    for n in [1_000usize, 10_000, 60_000] {
        for dim in [2usize, 50, 784] {
            single_query_case(&mut group, n, dim);
        }
    }
    group.finish();
}

/// One (N, d) of [`single_query_score`]: N standard normal points, one query, t = 0.3.
fn single_query_case(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
    dim: usize,
) {
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
        score: smoothscore::sampling::score_spec::ScoreSpec::Exact,
    };
    c.bench_function("sample_default_64x1000_steps", |b| {
        b.iter(|| draw_samples(black_box(&data), &config).unwrap())
    });
    let mnist = mnist_10k();
    let config = SampleConfig {
        steps: 100,
        n_samples: 4,
        ..config
    };
    c.bench_function(
        &format!("sample_mnist_{}x784_4x100_steps", mnist.rows()),
        |b| b.iter(|| draw_samples(black_box(&mnist), &config).unwrap()),
    );
}

/// The first 10 000 MNIST training digits (pixels in [0, 1]): the full set in
/// `../shared/data/mnist` when present, else the subset shipped in `fixtures/mnist`.
fn mnist_10k() -> smoothscore::matrix::Matrix {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/data/mnist/train-images-idx3-ubyte.gz");
    let path = if shared.exists() {
        shared
    } else {
        root.join("fixtures/mnist/train-images-idx3-ubyte.gz")
    };
    let options = IdxOptions {
        limit: Some(10_000),
        ..IdxOptions::default()
    };
    load_images(&path, &options).unwrap()
}

fn batched_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("batched_score");
    for &(batch, n, dim) in &[
        (64usize, 10_000usize, 2usize),
        (256, 10_000, 2),
        (64, 10_000, 50),
        (256, 10_000, 50),
        (64, 10_000, 784),
        (256, 10_000, 784),
    ] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let mut points = vec![0.0f32; n * dim];
        fill_standard_normal(&mut rng, &mut points);
        let mut queries = vec![0.0f32; batch * dim];
        fill_standard_normal(&mut rng, &mut queries);
        let data = Dataset::new(&points, dim).unwrap();
        let mut out = vec![0.0f32; batch * dim];
        group.throughput(Throughput::Elements((batch * n) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("B{batch}_N{n}"), format!("d{dim}")),
            &(),
            |b, _| {
                b.iter(|| {
                    score_batch(
                        &data,
                        &Process::VP_LINEAR,
                        black_box(0.3),
                        &queries,
                        &mut out,
                    )
                    .unwrap()
                })
            },
        );
    }
    group.finish();
}

fn kernel_smoothed_score(c: &mut Criterion) {
    let data = default_2d().unwrap();
    let dataset = Dataset::new(data.values(), 2).unwrap();
    let mut group = c.benchmark_group("kernel_smoothed_score_default");
    for points in [4u16, 16, 64] {
        let field = KernelSmoothedScore::<64>::new(
            EmpiricalScore::new(dataset, Process::VP_LINEAR).unwrap(),
            Bandwidth::Constant { bandwidth: 0.1 },
            KernelRule::QuasiRandom { pairs: points / 2 },
        )
        .unwrap();
        let mut out = [0.0f32; 2];
        group.bench_with_input(BenchmarkId::new("M", points), &(), |b, _| {
            b.iter(|| {
                field
                    .score(black_box(0.3), black_box(&[0.1, 0.2]), &mut out)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = single_query_score, batched_score, kernel_smoothed_score, sampling_run
}
criterion_main!(benches);
