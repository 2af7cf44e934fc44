//! MNIST's IDX format (LeCun et al.): big-endian header, magic 0x0000_08_nn (unsigned bytes,
//! nn dimensions), one u32 size per dimension, then the bytes. Read raw or gzip-compressed
//! (detected by the gzip magic 1f 8b, not by the name).

use crate::matrix::Matrix;
use anyhow::{bail, Context, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How pixel bytes become values (`--scale`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PixelScale {
    /// p/255 ∈ [0, 1].
    Unit,
    /// 2p/255 − 1 ∈ [−1, 1].
    Symmetric,
}

impl PixelScale {
    fn apply(self, byte: u8) -> f32 {
        let unit = f32::from(byte) / 255.0;
        match self {
            PixelScale::Unit => unit,
            PixelScale::Symmetric => 2.0 * unit - 1.0,
        }
    }
}

/// Which images to keep and how to scale them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxOptions {
    /// Pixel scaling.
    pub scale: PixelScale,
    /// Keep at most this many images (after the digit filter), in file order.
    pub limit: Option<usize>,
    /// Keep only these labels (needs the labels file).
    pub digits: Option<Vec<u8>>,
}

impl Default for IdxOptions {
    fn default() -> Self {
        IdxOptions {
            scale: PixelScale::Unit,
            limit: None,
            digits: None,
        }
    }
}

/// An IDX array: its dimensions and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Sizes, outermost first.
    pub dims: Vec<usize>,
    /// The unsigned bytes, row-major.
    pub data: Vec<u8>,
}

/// Largest decompressed size accepted from a gzip stream (MNIST's largest file is 47 MB): a
/// small corrupt or hostile `.gz` cannot exhaust memory.
pub const MAX_GUNZIPPED_BYTES: u64 = 256 << 20;

/// `bytes` gunzipped when they start with the gzip magic 1f 8b, else as they are.
pub fn maybe_gunzip(bytes: Vec<u8>) -> Result<Vec<u8>> {
    maybe_gunzip_within(bytes, MAX_GUNZIPPED_BYTES)
}

/// [`maybe_gunzip`] with an explicit limit on the decompressed size.
pub fn maybe_gunzip_within(bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    GzDecoder::new(bytes.as_slice())
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .context("corrupt or truncated gzip stream")?;
    if out.len() as u64 > limit {
        bail!("gzip stream expands beyond {limit} bytes");
    }
    Ok(out)
}

/// Reads a file's bytes, gunzipping when it starts with the gzip magic.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let bytes = crate::io::limits::read_bounded(path, MAX_GUNZIPPED_BYTES, "IDX")?;
    maybe_gunzip(bytes).map_err(|e| anyhow::anyhow!("{}: {e:#}", path.display()))
}

/// Parses IDX bytes (unsigned-byte arrays only, the type MNIST uses).
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray> {
    let Some(header) = bytes.get(..4) else {
        bail!("too short for an IDX header ({} bytes)", bytes.len());
    };
    if header[0] != 0 || header[1] != 0 {
        bail!(
            "not an IDX file (magic {:02x}{:02x}{:02x}{:02x})",
            header[0],
            header[1],
            header[2],
            header[3]
        );
    }
    if header[2] != 0x08 {
        bail!(
            "IDX element type 0x{:02x} is not unsigned byte (0x08)",
            header[2]
        );
    }
    let rank = usize::from(header[3]);
    if rank == 0 {
        bail!("IDX rank 0");
    }
    let mut dims = Vec::with_capacity(rank);
    for k in 0..rank {
        let Some(size) = bytes.get(4 + 4 * k..8 + 4 * k) else {
            bail!("truncated IDX header: {rank} dimensions announced");
        };
        dims.push(u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize);
    }
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .context("IDX dimensions overflow")?;
    let start = 4 + 4 * rank;
    let data = &bytes[start..];
    if data.len() < count {
        bail!(
            "truncated IDX data: {:?} needs {count} bytes, found {}",
            dims,
            data.len()
        );
    }
    if data.len() > count {
        bail!(
            "IDX file has {} trailing bytes after {:?}",
            data.len() - count,
            dims
        );
    }
    Ok(IdxArray {
        dims,
        data: data.to_vec(),
    })
}

/// Reads an IDX file (raw or gzip).
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    parse_idx(&read_maybe_gzip(path)?).with_context(|| format!("{}", path.display()))
}

/// The labels file beside an images file: `…-images-idx3-ubyte[.gz]` → `…-labels-idx1-ubyte[.gz]`.
pub fn labels_path_for(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    let labels = name.replace("images-idx3", "labels-idx1");
    (labels != name).then(|| images.with_file_name(labels))
}

/// Loads images as an n × (rows·cols) matrix. With `digits`, reads the labels file beside the
/// images (see [`labels_path_for`]) and keeps the images with those labels.
pub fn load_images(images: &Path, options: &IdxOptions) -> Result<Matrix> {
    let array = read_idx(images)?;
    if array.dims.len() != 3 {
        bail!(
            "{}: images need 3 dimensions (n, rows, cols), found {:?}",
            images.display(),
            array.dims
        );
    }
    let (count, width) = (array.dims[0], array.dims[1] * array.dims[2]);
    if width == 0 {
        bail!("{}: images of size 0", images.display());
    }
    let labels = match &options.digits {
        None => None,
        Some(_) => {
            let path = labels_path_for(images)
                .with_context(|| format!("{}: cannot name its labels file", images.display()))?;
            let labels = read_idx(&path)?;
            if labels.dims != [count] {
                bail!(
                    "{}: {:?} labels for {count} images",
                    path.display(),
                    labels.dims
                );
            }
            Some(labels.data)
        }
    };
    let limit = options.limit.unwrap_or(usize::MAX);
    let mut values = Vec::new();
    let mut kept = 0;
    for (index, image) in array.data.chunks_exact(width).enumerate() {
        if kept == limit {
            break;
        }
        if let (Some(labels), Some(digits)) = (&labels, &options.digits) {
            if !digits.contains(&labels[index]) {
                continue;
            }
        }
        values.extend(image.iter().map(|&p| options.scale.apply(p)));
        kept += 1;
    }
    if kept == 0 {
        bail!("{}: no image matches the selection", images.display());
    }
    Matrix::new(kept, width, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_expanding_past_the_limit_is_refused_and_within_it_passes() {
        let zeros = gzip(&vec![0u8; 1 << 16]);
        assert!(zeros.len() < 1 << 10, "a small stream expanding 64×");
        let error = maybe_gunzip_within(zeros.clone(), 1 << 15).unwrap_err();
        assert!(
            error.to_string().contains("expands beyond 32768 bytes"),
            "{error}"
        );
        assert_eq!(maybe_gunzip_within(zeros, 1 << 16).unwrap().len(), 1 << 16);
        let truncated = gzip(b"0123456789abcdef")[..12].to_vec();
        assert!(maybe_gunzip(truncated).is_err());
        assert_eq!(maybe_gunzip(b"raw".to_vec()).unwrap(), b"raw");
    }

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            bytes.extend(d.to_be_bytes());
        }
        bytes.extend(data);
        bytes
    }

    #[test]
    fn parses_and_rejects() {
        let array = parse_idx(&idx(&[2, 1, 2], &[0, 255, 51, 102])).unwrap();
        assert_eq!(array.dims, vec![2, 1, 2]);
        assert!(parse_idx(&idx(&[2, 1, 2], &[0, 255, 51]))
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        assert!(parse_idx(&idx(&[1, 1, 1], &[0, 1]))
            .unwrap_err()
            .to_string()
            .contains("trailing"));
        assert!(parse_idx(&[1, 2, 3]).is_err());
        assert!(parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0])
            .unwrap_err()
            .to_string()
            .contains("element type"));
        assert!(parse_idx(&[0, 0, 8, 2, 0, 0, 0, 1])
            .unwrap_err()
            .to_string()
            .contains("truncated IDX header"));
    }

    #[test]
    fn loads_scaled_filtered_gzipped_images() {
        let dir = tempfile::tempdir().unwrap();
        let images = dir.path().join("t-images-idx3-ubyte.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &idx(&[3, 1, 2], &[0, 255, 51, 102, 255, 0]))
            .unwrap();
        std::fs::write(&images, encoder.finish().unwrap()).unwrap();
        std::fs::write(
            dir.path().join("t-labels-idx1-ubyte.gz"),
            idx(&[3], &[7, 1, 7]),
        )
        .unwrap();
        let all = load_images(&images, &IdxOptions::default()).unwrap();
        assert_eq!((all.rows(), all.cols()), (3, 2));
        assert_eq!(all.row(1), &[0.2, 0.4]);
        let sevens = load_images(
            &images,
            &IdxOptions {
                scale: PixelScale::Symmetric,
                limit: None,
                digits: Some(vec![7]),
            },
        )
        .unwrap();
        assert_eq!(sevens.values(), &[-1.0, 1.0, 1.0, -1.0]);
        let first = load_images(
            &images,
            &IdxOptions {
                limit: Some(1),
                ..IdxOptions::default()
            },
        )
        .unwrap();
        assert_eq!(first.rows(), 1);
        let none = load_images(
            &images,
            &IdxOptions {
                digits: Some(vec![3]),
                ..IdxOptions::default()
            },
        );
        assert!(none.unwrap_err().to_string().contains("no image"));
        std::fs::write(&images, [0x1f, 0x8b, 8, 0, 0]).unwrap();
        assert!(load_images(&images, &IdxOptions::default())
            .unwrap_err()
            .to_string()
            .contains("gzip"));
    }
}
