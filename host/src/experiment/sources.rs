//! The data sets the experiments run on: a training set and held-out data from the same law.

use crate::data::builtin::default_2d;
use crate::data::synthetic::{funnel, two_moons, GaussianMixture};
use crate::io::idx::{load_images, IdxOptions};
use crate::matrix::Matrix;
use anyhow::{bail, Result};

/// Training data and held-out data of one law.
pub struct Source {
    /// The training set.
    pub train: Matrix,
    /// Fresh draws (or a held-out split) of the same law.
    pub held_out: Matrix,
}

/// `../shared/data/mnist` beside the project when it holds MNIST, else the shipped
/// `fixtures/mnist` subset.
pub fn mnist_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = root.join("../shared/data/mnist");
    if shared.join("train-images-idx3-ubyte.gz").exists() {
        shared
    } else {
        root.join("fixtures/mnist")
    }
}

/// MNIST: the first `train` training images from `../shared/data/mnist` (beside the project,
/// when present) or the shipped `fixtures/mnist` subset (500), held out: the test images (10000
/// or 100), pixels in [0, 1].
pub fn mnist(train: usize) -> Result<Source> {
    let dir = mnist_dir();
    let options = |limit| IdxOptions {
        limit,
        ..IdxOptions::default()
    };
    Ok(Source {
        train: load_images(
            &dir.join("train-images-idx3-ubyte.gz"),
            &options(Some(train)),
        )?,
        held_out: load_images(&dir.join("t10k-images-idx3-ubyte.gz"), &options(Some(1000)))?,
    })
}

/// The named source: `default` (the built-in 64 points; held out: 512 fresh two-moons draws),
/// `gmm-ring` (128 training points, 512 held out), `funnel50` and `gmm50` (512 and 512), `mnist`
/// (see [`mnist`]).
pub fn load(name: &str, seed: u64, mnist_train: usize) -> Result<Source> {
    Ok(match name {
        "mnist" => mnist(mnist_train)?,
        "default" => Source {
            train: default_2d()?,
            held_out: two_moons(512, 0.015, seed ^ 0x5eed)?,
        },
        "gmm-ring" => Source {
            train: GaussianMixture::ring8().sample(128, seed)?,
            held_out: GaussianMixture::ring8().sample(512, seed ^ 0x5eed)?,
        },
        "funnel50" => Source {
            train: funnel(512, 50, seed)?,
            held_out: funnel(512, 50, seed ^ 0x5eed)?,
        },
        "gmm50" => Source {
            train: GaussianMixture::ten_components(50).sample(512, seed)?,
            held_out: GaussianMixture::ten_components(50).sample(512, seed ^ 0x5eed)?,
        },
        other => bail!(
            "unknown data set '{other}' (expected default, gmm-ring, funnel50, gmm50 or mnist)"
        ),
    })
}
