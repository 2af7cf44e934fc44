//! MNIST loads with the right shapes: the subset shipped in `fixtures/mnist` always, the full
//! files from `../shared/data/mnist` (or `$SMOOTHSCORE_MNIST`) on request, since a clean checkout
//! need not have them: `cargo test --test mnist -- --ignored` (CI runs it when the folder
//! exists and prints that it is absent otherwise).

use smoothscore::data::mnist::{test_images, train_images, MNIST_ENV};
use smoothscore::io::idx::{load_images, IdxOptions, PixelScale};
use std::path::PathBuf;

/// Mean pixel of `images` in [0, 1].
fn mean_pixel(images: &smoothscore::matrix::Matrix) -> f64 {
    images.values().iter().map(|&v| f64::from(v)).sum::<f64>() / images.values().len() as f64
}

#[test]
fn the_shipped_subset_loads() {
    let train = load_images(&train_images(None), &IdxOptions::default()).unwrap();
    let test = load_images(&test_images(None), &IdxOptions::default()).unwrap();
    assert_eq!((train.rows(), train.cols()), (500, 784));
    assert_eq!((test.rows(), test.cols()), (100, 784));
    assert!((0.10..0.16).contains(&mean_pixel(&train)));
}

#[test]
#[ignore = "reads the full MNIST from ../shared/data/mnist or $SMOOTHSCORE_MNIST; run with --ignored"]
fn the_full_mnist_loads() {
    let dir = std::env::var_os(MNIST_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mnist")
        });
    assert!(dir.is_dir(), "{} is absent", dir.display());
    let train = load_images(&train_images(Some(&dir)), &IdxOptions::default()).unwrap();
    let test = load_images(&test_images(Some(&dir)), &IdxOptions::default()).unwrap();
    assert_eq!((train.rows(), train.cols()), (60_000, 784));
    assert_eq!((test.rows(), test.cols()), (10_000, 784));
    let mean = mean_pixel(&train);
    println!("MNIST train 60000×784, test 10000×784, mean pixel {mean:.4}");
    assert!(
        (0.12..0.14).contains(&mean),
        "MNIST's mean intensity is ≈ 0.1307"
    );
    let zeros_and_ones = load_images(
        &test_images(Some(&dir)),
        &IdxOptions {
            scale: PixelScale::Symmetric,
            limit: Some(100),
            digits: Some(vec![0, 1]),
        },
    )
    .unwrap();
    assert_eq!(zeros_and_ones.rows(), 100);
    assert!(zeros_and_ones
        .values()
        .iter()
        .all(|v| (-1.0..=1.0).contains(v)));
}
