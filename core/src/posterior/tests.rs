//! The portable paths against [`super::oracle`] bit for bit (the host repeats this for every
//! instruction set, with more shapes): single query, generic logit, batched blocks and the
//! queries past them, narrow and wide, partial tiles, −∞ tiles, one-hot and dense weights.

extern crate std;

use super::batched::posterior_mean_batch;
use super::{oracle, path, posterior_mean, posterior_mean_with, Path};
use crate::dataset::Dataset;
use crate::lanes::LANES;
use std::vec;
use std::vec::Vec;

#[test]
fn portable_paths_have_the_bits_of_the_oracle() {
    let mut state = 0x0dd_ba11_u32;
    let max_dim = if super::softmax::WIDE_BUILT { 17 } else { 8 };
    for dim in 1..=max_dim {
        for (n, far) in [(1usize, false), (37, false), (70, true)] {
            let mut points: Vec<f32> = (0..n * dim)
                .map(|_| crate::test_support::uniform(&mut state, 2.0))
                .collect();
            if far {
                // Rows 16..32 overflow the distance: a tile whose logits are all −∞.
                points[16 * dim..32 * dim].fill(1e30);
            }
            let data = Dataset::new(&points, dim).unwrap();
            let batch = 11;
            let queries: Vec<f32> = (0..batch * dim)
                .map(|_| crate::test_support::uniform(&mut state, 2.0))
                .collect();
            for sigma_squared in [1e-5f32, 0.05, 40.0] {
                let mut expected = vec![0.0f32; batch * dim];
                for (query, mean) in queries.chunks(dim).zip(expected.chunks_mut(dim)) {
                    oracle::posterior_mean(&data, 0.8, sigma_squared, query, mean).unwrap();
                }
                let mut batched = vec![0.0f32; batch * dim];
                posterior_mean_batch(&data, 0.8, sigma_squared, &queries, &mut batched).unwrap();
                let c = -0.5 / sigma_squared;
                for (b, query) in queries.chunks(dim).enumerate() {
                    let mut single = vec![0.0f32; dim];
                    posterior_mean(&data, 0.8, sigma_squared, query, &mut single).unwrap();
                    let mut generic = vec![0.0f32; dim];
                    let logit = |row: &[f32]| oracle::squared_distance(query, row, 0.8) * c;
                    posterior_mean_with(&data, logit, &mut generic).unwrap();
                    let want = &expected[b * dim..(b + 1) * dim];
                    for (name, got) in [
                        ("single", &single[..]),
                        ("generic", &generic[..]),
                        ("batched", &batched[b * dim..(b + 1) * dim]),
                    ] {
                        let same = got
                            .iter()
                            .zip(want)
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "{name}: d {dim} n {n} σ² {sigma_squared} query {b}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_oracle_reports_what_the_paths_report() {
    let points = [1e30f32, 1e30, 1e30, 1e30];
    let data = Dataset::new(&points, 2).unwrap();
    let mut out = [0.0f32; 2];
    assert!(oracle::posterior_mean(&data, 0.8, 0.5, &[0.0, 0.0], &mut out).is_err());
    assert!(posterior_mean(&data, 0.8, 0.5, &[0.0, 0.0], &mut out).is_err());
    assert!(oracle::posterior_mean(&data, 0.8, 0.0, &[0.0, 0.0], &mut out).is_err());
    let one = [0.5f32, -1.0];
    let data = Dataset::new(&one, 2).unwrap();
    let log_normaliser = oracle::posterior_mean(&data, 1.0, 0.5, &[0.5, -1.0], &mut out).unwrap();
    assert_eq!(out, one);
    assert_eq!(log_normaliser.to_bits(), 0.0f32.to_bits());
}

#[test]
fn the_dispatch_follows_its_table() {
    type Portable = [f32; LANES];
    assert_eq!(path::<Portable>(2, 1), Path::NarrowSingle);
    assert_eq!(path::<Portable>(8, 8), Path::NarrowBlock);
    if super::softmax::WIDE_BUILT {
        assert_eq!(path::<Portable>(9, 7), Path::WideSingle);
        assert_eq!(path::<Portable>(784, 64), Path::WideBlock);
    }
}
