//! Where the MNIST IDX files are found: the folder (or images file) given by `--mnist`, which
//! clap also fills from the environment variable `SMOOTHSCORE_MNIST`, else the 500-image subset
//! this checkout ships in `fixtures/mnist` (500 training images, 100 test images).
//!
//! Nothing is looked up silently elsewhere: an installed binary without the checkout needs
//! `--mnist DIR`, and says so.

use std::path::{Path, PathBuf};

/// The environment variable that gives the MNIST folder when `--mnist` is not on the command line.
pub const MNIST_ENV: &str = "SMOOTHSCORE_MNIST";

/// `--mnist DIR` for the commands that read MNIST.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MnistArgs {
    /// MNIST folder (holding train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz]) or
    /// an images file; default: the 500-image subset shipped in fixtures/mnist.
    #[arg(long = "mnist", value_name = "DIR", env = "SMOOTHSCORE_MNIST")]
    pub dir: Option<PathBuf>,
}

/// The training images file.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";

/// The test images file.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";

/// The subset shipped with the checkout (its location is fixed when the binary is built).
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mnist")
}

/// The MNIST folder: `given` (a folder, or an images file whose folder is taken), else the
/// shipped subset.
pub fn dir(given: Option<&Path>) -> PathBuf {
    match given {
        Some(path) if path.is_dir() => path.to_path_buf(),
        Some(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => shipped_dir(),
    }
}

/// The training images file: `given` when it names a file, `given/train-images-idx3-ubyte.gz`
/// when it names a folder (the uncompressed name when only that exists), else the shipped
/// subset's.
pub fn train_images(given: Option<&Path>) -> PathBuf {
    match given {
        Some(path) if !path.is_dir() => path.to_path_buf(),
        _ => in_folder(&dir(given), TRAIN_IMAGES),
    }
}

/// The test images file of the folder [`dir`] picks.
pub fn test_images(given: Option<&Path>) -> PathBuf {
    in_folder(&dir(given), TEST_IMAGES)
}

/// `folder/name`, or `folder/name` without its `.gz` when only the uncompressed file exists.
fn in_folder(folder: &Path, name: &str) -> PathBuf {
    let compressed = folder.join(name);
    let plain = folder.join(name.trim_end_matches(".gz"));
    if !compressed.exists() && plain.exists() {
        plain
    } else {
        compressed
    }
}

/// The error when the images file at `path` is absent: an I/O "not found" error (so that the
/// Python package raises `OSError`) carrying [`not_found`]'s message.
pub fn missing(path: &Path) -> anyhow::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, not_found(path)).into()
}

/// The message when the images file is absent: where it was looked for and how to say where
/// MNIST is.
pub fn not_found(path: &Path) -> String {
    format!(
        "MNIST not found at {} (give the folder with --mnist DIR or {MNIST_ENV}=DIR; the \
         checkout ships a 500-image subset in fixtures/mnist)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_gives_its_files_and_a_file_gives_itself() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("train-images-idx3-ubyte"), b"").unwrap();
        assert_eq!(
            train_images(Some(folder.path())),
            folder.path().join("train-images-idx3-ubyte")
        );
        assert_eq!(
            test_images(Some(folder.path())),
            folder.path().join(TEST_IMAGES)
        );
        let file = folder.path().join("digits.idx3");
        assert_eq!(train_images(Some(&file)), file);
        assert_eq!(dir(Some(&file)), folder.path());
    }

    #[test]
    fn without_a_flag_the_shipped_subset_is_used() {
        assert!(train_images(None).ends_with("fixtures/mnist/train-images-idx3-ubyte.gz"));
        assert!(train_images(None).is_file());
    }
}
