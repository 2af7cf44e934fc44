//! The data sets the experiments run on: a training set and held-out data from the same law.

use crate::data::builtin::default_2d;
use crate::data::synthetic::{funnel, two_moons, GaussianMixture};
use crate::io::idx::{load_images, IdxOptions};
use crate::matrix::Matrix;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Training data and held-out data of one law.
pub struct Source {
    /// The training set.
    pub train: Matrix,
    /// Fresh draws (or a held-out split) of the same law.
    pub held_out: Matrix,
}

/// MNIST: the first `train` training images and the first 1000 test images (held out) of the
/// folder [`crate::data::mnist::dir`] picks for `given` (`--mnist DIR`, `SMOOTHSCORE_MNIST`,
/// else the shipped 500/100-image subset), pixels in [0, 1]. Names the files and counts on
/// stderr (see [`crate::progress::note`]).
pub fn mnist(train: usize, given: Option<&Path>) -> Result<Source> {
    let options = |limit| IdxOptions {
        limit,
        ..IdxOptions::default()
    };
    let read = |path: PathBuf, limit: usize| -> Result<Matrix> {
        if !path.exists() {
            return Err(crate::data::mnist::missing(&path));
        }
        let images = load_images(&path, &options(Some(limit)))?;
        Ok(images)
    };
    let train_file = crate::data::mnist::train_images(given);
    let test_file = crate::data::mnist::test_images(given);
    let source = Source {
        train: read(train_file.clone(), train)?,
        held_out: read(test_file.clone(), 1000)?,
    };
    crate::progress::note(&format!(
        "mnist: {} training images from {}, {} held out from {}",
        source.train.rows(),
        train_file.display(),
        source.held_out.rows(),
        test_file.display()
    ));
    Ok(source)
}

/// The data sets of `experiment memorization` and `experiment pbm` (`--datasets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceName {
    /// The built-in 64 points; held out: 512 fresh two-moons draws.
    Default,
    /// 8 Gaussians on a circle: 128 training points, 512 held out.
    GmmRing,
    /// Neal's funnel in d = 50: 512 training points, 512 held out.
    Funnel50,
    /// The 10-component GMM in d = 50: 512 training points, 512 held out.
    Gmm50,
    /// MNIST training images (--mnist-train of them, --mnist), test images held out.
    Mnist,
}

/// The source `name` (`mnist`: see [`mnist`]; `mnist_dir` is `--mnist`).
pub fn load(
    name: SourceName,
    seed: u64,
    mnist_train: usize,
    mnist_dir: Option<&Path>,
) -> Result<Source> {
    Ok(match name {
        SourceName::Mnist => mnist(mnist_train, mnist_dir)?,
        SourceName::Default => Source {
            train: default_2d()?,
            held_out: two_moons(512, 0.015, seed ^ 0x5eed)?,
        },
        SourceName::GmmRing => Source {
            train: GaussianMixture::ring8().sample(128, seed)?,
            held_out: GaussianMixture::ring8().sample(512, seed ^ 0x5eed)?,
        },
        SourceName::Funnel50 => Source {
            train: funnel(512, 50, seed)?,
            held_out: funnel(512, 50, seed ^ 0x5eed)?,
        },
        SourceName::Gmm50 => Source {
            train: GaussianMixture::ten_components(50).sample(512, seed)?,
            held_out: GaussianMixture::ten_components(50).sample(512, seed ^ 0x5eed)?,
        },
    })
}
