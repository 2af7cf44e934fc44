//! Every posterior-mean path against the core's plain-loop oracle, bit for bit: single query
//! (batches of fewer than 8 queries, and the queries past the last block of 8, go query by
//! query through `posterior_mean_in_lanes`) and batched, narrow and wide, the portable lanes and each register implementation this CPU
//! has, whole and partial query blocks, query groups past 64, partial tiles, panels, tiles whose
//! logits are all −∞, one-hot, sparse and dense weights, d = 1…9, 16, 17, 784, 4100.

use super::*;
use smoothscore_core::lane_vector::LaneVector;
use smoothscore_core::posterior::batched::posterior_mean_batch_with;
use smoothscore_core::posterior::{oracle, posterior_mean_with};

/// A path under test: the means of `queries` (B×d) into `out`.
type MeanPath = fn(&Dataset<'_>, f32, f32, &[f32], &mut [f32]) -> Result<(), Error>;

#[inline(always)]
fn batch_in<V: LaneVector>(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    posterior_mean_batch_with::<V>(data, alpha_t, sigma_squared, queries, out)
}

/// The generic-logit path with the empirical logit of the oracle's distance.
fn generic_logit(
    data: &Dataset<'_>,
    alpha_t: f32,
    sigma_squared: f32,
    queries: &[f32],
    out: &mut [f32],
) -> Result<(), Error> {
    let dim = data.dim();
    let c = -0.5 / sigma_squared;
    for (query, mean) in queries.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
        let logit = |row: &[f32]| oracle::squared_distance(query, row, alpha_t) * c;
        posterior_mean_with(data, logit, mean)?;
    }
    Ok(())
}

/// Defines `$name`, the path `$path::<$lanes>` compiled with the target features `$features`
/// (called only after detecting them).
macro_rules! path_for {
    ($name:ident, $path:ident, $lanes:ty, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name(
            data: &Dataset<'_>,
            alpha_t: f32,
            sigma_squared: f32,
            queries: &[f32],
            out: &mut [f32],
        ) -> Result<(), Error> {
            $path::<$lanes>(data, alpha_t, sigma_squared, queries, out)
        }
    };
}

path_for!(
    batch_avx512,
    batch_in,
    x86_lanes::Avx512Lanes,
    "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma"
);
path_for!(batch_avx2, batch_in, x86_lanes::Avx2Lanes, "avx2,avx,fma");

/// Every path this CPU runs, by name.
fn paths() -> Vec<(String, MeanPath)> {
    let mut paths: Vec<(String, MeanPath)> = vec![
        ("portable batched".into(), batch_in::<[f32; 16]>),
        ("generic logit".into(), generic_logit),
    ];
    #[cfg(target_arch = "x86_64")]
    {
        if avx2_detected() {
            // SAFETY: AVX2 and FMA detected on the line above; the paths run only on this CPU.
            paths.push(("avx2 batched".into(), |d, a, s, q, o| unsafe {
                batch_avx2(d, a, s, q, o)
            }));
        }
        if avx512_detected() {
            // SAFETY: AVX-512 F/VL/DQ/BW and FMA detected on the line above.
            paths.push(("avx512 batched".into(), |d, a, s, q, o| unsafe {
                batch_avx512(d, a, s, q, o)
            }));
        }
    }
    paths
}

/// Whether `a` and `b` have the same length and the same bits, value by value (±0 and NaN
/// payloads told apart).
fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// A xorshift32 stream in [−2, 2].
fn stream(seed: u32) -> impl FnMut() -> f32 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 4.0 - 2.0
    }
}

/// Training rows (n×d) and B queries: half near a scaled row (so small σ² gives one-hot
/// weights), half anywhere. With `far_tiles`, the first tile and the fourth are rows of 10³⁰,
/// whose distances overflow to +∞: tiles whose logits are all −∞.
fn case(n: usize, dim: usize, batch: usize, far_tiles: bool, alpha_t: f32) -> (Vec<f32>, Vec<f32>) {
    let mut next = stream((n * 7919 + dim * 104_729 + batch) as u32 | 1);
    let mut points: Vec<f32> = (0..n * dim).map(|_| next()).collect();
    if far_tiles {
        for tile in [0usize, 3] {
            let rows = (tile * 16)..((tile + 1) * 16).min(n);
            for value in &mut points[rows.start * dim..rows.end * dim] {
                *value = 1e30;
            }
        }
    }
    let mut queries = Vec::with_capacity(batch * dim);
    for b in 0..batch {
        let row = (b * 13 + 20) % n;
        for k in 0..dim {
            let noise = 0.01 * next();
            queries.push(match b % 2 {
                0 if points[row * dim] < 1e29 => alpha_t * points[row * dim + k] + noise,
                _ => next(),
            });
        }
    }
    (points, queries)
}

#[test]
fn every_path_has_the_bits_of_the_oracle() {
    let paths = paths();
    let names: Vec<&str> = paths.iter().map(|(name, _)| name.as_str()).collect();
    eprintln!("paths checked against the oracle: {names:?}");
    let mut shapes = Vec::new();
    for dim in (1..=9).chain([16, 17]) {
        for n in [1usize, 16, 37, 70] {
            shapes.push((n, dim, [1usize, 8, 9, 17, 75]));
        }
    }
    shapes.push((100, 784, [1, 8, 9, 17, 75]));
    shapes.push((35, 4100, [1, 7, 8, 9, 17]));
    let alpha_t = 0.8f32;
    let mut compared = 0usize;
    for (n, dim, batches) in shapes {
        for far_tiles in [false, true] {
            if far_tiles && n < 40 {
                continue;
            }
            for batch in batches {
                let (points, queries) = case(n, dim, batch, far_tiles, alpha_t);
                let data = Dataset::new(&points, dim).unwrap();
                // One-hot (every other weight flushed to 0), sparse, dense weights.
                for sigma_squared in [1e-5f32, 0.05, 10.0 * dim as f32] {
                    let mut expected = vec![0.0f32; batch * dim];
                    let mut expected_ok = true;
                    for (query, mean) in queries
                        .chunks_exact(dim)
                        .zip(expected.chunks_exact_mut(dim))
                    {
                        expected_ok &=
                            oracle::posterior_mean(&data, alpha_t, sigma_squared, query, mean)
                                .is_ok();
                    }
                    for (name, path) in &paths {
                        let mut got = vec![0.0f32; batch * dim];
                        let result = path(&data, alpha_t, sigma_squared, &queries, &mut got);
                        let what = format!(
                            "{name}: n {n} d {dim} B {batch} σ² {sigma_squared} far {far_tiles}"
                        );
                        assert_eq!(result.is_ok(), expected_ok, "{what}: {result:?}");
                        if expected_ok {
                            assert!(
                                same_bits(&got, &expected),
                                "{what}: differs from the oracle"
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} comparisons");
}

/// The sign of a zero sum: a running sum that underflows to −0 (the smallest negative
/// subnormal times a rescale e^{m − M} = e^{−1} < ½), then a tile whose weights are all 0. The
/// fast paths skip that tile, the oracle adds its +0 tile sum; both must end at +0, the bits
/// of the oracle (a sum's zero sign is the one thing skipping a zero-weight row can change,
/// and the mean's last step maps −0 to +0).
#[test]
fn a_sum_that_underflows_to_minus_zero_has_the_oracles_bits() {
    let (n, dim) = (48usize, 17usize);
    let mut points = vec![0.0f32; n * dim];
    // Row 0: at distance 1 from the query, coordinate 1 = −2⁻¹⁴⁹; row 16: the query itself
    // (the larger max); every other row far (weight exactly 0).
    points[0] = 1.0;
    points[1] = -f32::from_bits(1);
    for row in (1..16).chain(17..n) {
        points[row * dim] = 100.0;
    }
    let data = Dataset::new(&points, dim).unwrap();
    for batch in [1usize, 8, 9] {
        let queries = vec![0.0f32; batch * dim];
        let mut expected = vec![0.0f32; dim];
        oracle::posterior_mean(&data, 1.0, 0.5, &queries[..dim], &mut expected).unwrap();
        assert_eq!(expected[1].to_bits(), 0.0f32.to_bits(), "the oracle's zero");
        for (name, path) in paths() {
            let mut got = vec![0.0f32; batch * dim];
            path(&data, 1.0, 0.5, &queries, &mut got).unwrap();
            for mean in got.chunks_exact(dim) {
                assert!(
                    same_bits(mean, &expected),
                    "{name}, B {batch}: {:?} vs {:?}",
                    &mean[..2],
                    &expected[..2]
                );
            }
        }
    }
}
