//! The real MNIST files from `../shared/data/mnist` (beside the project root) load with the right
//! shapes; skipped, with the reason printed, only when that folder is absent.

use smoothscore::io::idx::{load_images, IdxOptions, PixelScale};
use std::path::PathBuf;

fn mnist_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mnist");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

#[test]
fn mnist_train_and_test_sets_load() {
    let Some(dir) = mnist_dir() else { return };
    let train = load_images(
        &dir.join("train-images-idx3-ubyte.gz"),
        &IdxOptions::default(),
    )
    .unwrap();
    let test = load_images(
        &dir.join("t10k-images-idx3-ubyte.gz"),
        &IdxOptions::default(),
    )
    .unwrap();
    assert_eq!((train.rows(), train.cols()), (60_000, 784));
    assert_eq!((test.rows(), test.cols()), (10_000, 784));
    let mean =
        train.values().iter().map(|&v| f64::from(v)).sum::<f64>() / train.values().len() as f64;
    println!("MNIST train 60000×784, test 10000×784, mean pixel {mean:.4}");
    assert!(
        (0.12..0.14).contains(&mean),
        "MNIST's mean intensity is ≈ 0.1307"
    );
    let ones = load_images(
        &dir.join("t10k-images-idx3-ubyte.gz"),
        &IdxOptions {
            scale: PixelScale::Symmetric,
            limit: Some(100),
            digits: Some(vec![0, 1]),
        },
    )
    .unwrap();
    assert_eq!(ones.rows(), 100);
    assert!(ones.values().iter().all(|v| (-1.0..=1.0).contains(v)));
}
