//! Reading and writing matrices as CSV (header optional) and NPY (f32/f64, C order).
//!
//! Every reader checks what it reads and says what was wrong with which file: a truncated NPY,
//! a ragged CSV row, a non-numeric cell and a NaN each get their own message with the position.

use crate::io::output::write_atomic;
use crate::matrix::Matrix;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// File formats the host reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values, one row per line, header optional.
    Csv,
    /// NumPy `.npy`, version 1–3, little-endian f32 or f64, C order, 1-D or 2-D.
    Npy,
    /// MNIST IDX images (`…-idx3-ubyte`, raw or `.gz`), read only, pixels scaled to [0, 1].
    Idx,
}

impl Format {
    /// The format named by a path's extension (`.csv` or `.npy`).
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "csv" => Ok(Format::Csv),
            Some(ext) if ext == "npy" => Ok(Format::Npy),
            _ if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("-idx3-ubyte")) =>
            {
                Ok(Format::Idx)
            }
            _ => bail!(
                "{}: unknown file format (expected a .csv or .npy extension, or an MNIST …-idx3-ubyte[.gz] file)",
                path.display()
            ),
        }
    }
}

/// Reads a matrix from `path`, the format chosen by its extension. Rejects empty files and
/// non-finite values.
pub fn read_matrix(path: &Path) -> Result<Matrix> {
    let format = Format::from_path(path)?;
    let bytes = || std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let matrix = match format {
        Format::Csv => parse_csv(&bytes()?),
        Format::Npy => parse_npy(&bytes()?),
        Format::Idx => crate::io::idx::load_images(path, &crate::io::idx::IdxOptions::default()),
    }
    .with_context(|| format!("{}", path.display()))?;
    if let Some(index) = matrix.values().iter().position(|v| !v.is_finite()) {
        let cols = matrix.cols();
        bail!(
            "{}: non-finite value at row {}, column {}",
            path.display(),
            index / cols + 1,
            index % cols + 1
        );
    }
    Ok(matrix)
}

/// Writes `matrix` to `path` atomically, the format chosen by its extension.
pub fn write_matrix(path: &Path, matrix: &Matrix) -> Result<()> {
    let bytes = match Format::from_path(path)? {
        Format::Csv => csv_bytes(matrix),
        Format::Npy => npy_bytes(matrix),
        Format::Idx => bail!(
            "{}: IDX is read-only here; write .csv or .npy",
            path.display()
        ),
    };
    write_atomic(path, &bytes)
}

/// Parses CSV text: rows of comma-separated numbers, all the same length; a first line that
/// does not parse as numbers is taken as a header. Blank lines are skipped.
pub fn parse_csv(bytes: &[u8]) -> Result<Matrix> {
    let text = std::str::from_utf8(bytes).context("not UTF-8 text")?;
    let mut values = Vec::new();
    let mut cols = 0usize;
    let mut rows = 0usize;
    for (line_index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f32>, _> = cells.iter().map(|c| c.parse::<f32>()).collect();
        let row = match parsed {
            Ok(row) => row,
            Err(_) if rows == 0 && cols == 0 && values.is_empty() && line_index == 0 => {
                continue;
            }
            Err(_) => {
                let (column, cell) = cells
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.parse::<f32>().is_err())
                    .map(|(i, c)| (i + 1, *c))
                    .unwrap_or((0, ""));
                bail!(
                    "line {}: column {column}: '{cell}' is not a number",
                    line_index + 1
                );
            }
        };
        if rows == 0 {
            cols = row.len();
        } else if row.len() != cols {
            bail!(
                "line {}: {} columns, but earlier rows have {cols}",
                line_index + 1,
                row.len()
            );
        }
        values.extend_from_slice(&row);
        rows += 1;
    }
    if rows == 0 {
        bail!("no data rows");
    }
    Matrix::new(rows, cols, values)
}

/// Formats a matrix as CSV, one row per line, no header, each value in Rust's shortest
/// round-trip form (so reading it back gives the same bits).
pub fn csv_bytes(matrix: &Matrix) -> Vec<u8> {
    let mut text = String::new();
    for row in matrix.iter_rows() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Parses an NPY file: versions 1.0–3.0, `descr` `<f4` or `<f8` (f64 is rounded to f32),
/// `fortran_order` False, shape (n,) (read as n×1) or (n, d).
pub fn parse_npy(bytes: &[u8]) -> Result<Matrix> {
    if bytes.len() < 10 || &bytes[..6] != NPY_MAGIC {
        bail!("not an NPY file (bad magic)");
    }
    let major = bytes[6];
    let (header_len, header_start): (usize, usize) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                bail!("truncated NPY header");
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        other => bail!("unsupported NPY version {other}"),
    };
    let data_start = header_start
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len())
        .context("truncated NPY header")?;
    let header =
        std::str::from_utf8(&bytes[header_start..data_start]).context("NPY header is not text")?;
    let descr = header_value(header, "descr").context("NPY header has no 'descr'")?;
    let width = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<f4" | "=f4" => 4,
        "<f8" | "=f8" => 8,
        other => bail!("unsupported NPY dtype {other} (expected little-endian f4 or f8)"),
    };
    let fortran =
        header_value(header, "fortran_order").context("NPY header has no 'fortran_order'")?;
    if fortran.trim() != "False" {
        bail!("Fortran-order NPY arrays are not supported (save with C order)");
    }
    let shape_text = header_value(header, "shape").context("NPY header has no 'shape'")?;
    let dims: Vec<usize> = shape_text
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .with_context(|| format!("bad NPY shape entry '{s}'"))
        })
        .collect::<Result<_>>()?;
    let (rows, cols) = match dims.as_slice() {
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        _ => bail!("NPY array has shape {shape_text}; expected 1-D or 2-D"),
    };
    let count = rows.checked_mul(cols).context("NPY shape overflows")?;
    let payload = &bytes[data_start..];
    let needed = count.checked_mul(width).context("NPY shape overflows")?;
    if payload.len() < needed {
        bail!(
            "truncated NPY data: shape {rows}×{cols} needs {needed} bytes, file has {}",
            payload.len()
        );
    }
    let values: Vec<f32> = if width == 4 {
        payload[..needed]
            .as_chunks::<4>()
            .0
            .iter()
            .map(|&c| f32::from_le_bytes(c))
            .collect()
    } else {
        payload[..needed]
            .as_chunks::<8>()
            .0
            .iter()
            .map(|&c| f64::from_le_bytes(c) as f32)
            .collect()
    };
    if count == 0 {
        bail!("NPY array is empty");
    }
    Matrix::new(rows, cols, values)
}

/// The text after `'key':` in an NPY header dict, up to the next top-level comma.
fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pattern_single = format!("'{key}':");
    let pattern_double = format!("\"{key}\":");
    let start = header
        .find(&pattern_single)
        .map(|i| i + pattern_single.len())
        .or_else(|| {
            header
                .find(&pattern_double)
                .map(|i| i + pattern_double.len())
        })?;
    let rest = &header[start..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

/// Formats a matrix as NPY version 1.0, `<f4`, C order, shape (rows, cols); header padded
/// so the data starts at a multiple of 64 bytes.
pub fn npy_bytes(matrix: &Matrix) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        matrix.rows(),
        matrix.cols()
    );
    let unpadded = NPY_MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + 4 * matrix.values().len());
    bytes.extend_from_slice(NPY_MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in matrix.values() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_bits_and_skips_a_header() {
        let m = Matrix::new(2, 3, vec![0.1, -2.5e-8, 3.0, f32::MIN_POSITIVE, 7.25, -0.0]).unwrap();
        let parsed = parse_csv(&csv_bytes(&m)).unwrap();
        let bits = |m: &Matrix| m.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&parsed), bits(&m));
        let with_header = parse_csv(b"a,b\n1,2\n\n3,4\n").unwrap();
        assert_eq!((with_header.rows(), with_header.cols()), (2, 2));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = parse_csv(b"1,2\n3\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = parse_csv(b"1,2\n3,x\n").unwrap_err().to_string();
        assert!(err.contains("'x'"), "{err}");
        assert!(parse_csv(b"").is_err());
        assert!(parse_csv(b"a,b\n").is_err());
    }

    #[test]
    fn npy_round_trips_and_rejects_truncation() {
        let m = Matrix::new(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5]).unwrap();
        let bytes = npy_bytes(&m);
        assert_eq!((bytes.len() - 4 * 6) % 64, 0);
        assert_eq!(parse_npy(&bytes).unwrap(), m);
        let err = parse_npy(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        assert!(parse_npy(&bytes[..20]).is_err());
        assert!(parse_npy(b"hello").is_err());
    }

    #[test]
    fn npy_reads_f64_and_1d() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
        let mut bytes = NPY_MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        for v in [1.5f64, -2.0, 0.25] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let m = parse_npy(&bytes).unwrap();
        assert_eq!((m.rows(), m.cols()), (3, 1));
        assert_eq!(m.values(), &[1.5, -2.0, 0.25]);
    }
}
