//! Reading and writing matrices as delimited text (CSV/TSV, header optional) and NPY (f32/f64,
//! C order).
//!
//! Every reader checks what it reads and says what was wrong with which file: a truncated NPY,
//! a ragged CSV row, a non-numeric cell and a NaN each get their own message with the position.

use crate::io::limits;
use crate::io::output::{write_atomic, write_atomic_with};
use crate::matrix::Matrix;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// File formats the host reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text (`.csv`, `.tsv`), one row per line, header optional; the delimiter is
    /// detected (see [`parse_csv`]) or given with `--delimiter`.
    Csv,
    /// Tab-separated text (`.tsv`): read like [`Format::Csv`], written with tabs.
    Tsv,
    /// NumPy `.npy`, version 1–3, little-endian f32 or f64, C order, 1-D or 2-D.
    Npy,
    /// MNIST IDX images (`…-idx3-ubyte`, raw or `.gz`), read only, pixels scaled to [0, 1].
    Idx,
}

impl Format {
    /// The format named by a path's extension (`.csv`, `.tsv` or `.npy`) or an MNIST name.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "csv" => Ok(Format::Csv),
            Some(ext) if ext == "tsv" => Ok(Format::Tsv),
            Some(ext) if ext == "npy" => Ok(Format::Npy),
            _ if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("-idx3-ubyte")) =>
            {
                Ok(Format::Idx)
            }
            _ => bail!(
                "{}: unknown file format (expected a .csv, .tsv or .npy extension, or an MNIST …-idx3-ubyte[.gz] file)",
                path.display()
            ),
        }
    }

    /// The format an output path asks for: `.csv`, `.tsv` or `.npy` (IDX is read only).
    pub fn for_output(path: &Path) -> Result<Self> {
        match Format::from_path(path) {
            Ok(format @ (Format::Csv | Format::Tsv | Format::Npy)) => Ok(format),
            _ => bail!(
                "{}: unknown output format (write .csv, .tsv or .npy)",
                path.display()
            ),
        }
    }
}

/// The field separator of delimited text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Delimiter {
    /// `,`
    #[value(alias = ",")]
    Comma,
    /// a tab
    #[value(alias = "\\t")]
    Tab,
    /// `;`
    #[value(alias = ";")]
    Semicolon,
}

impl Delimiter {
    /// The separator character.
    pub fn char(self) -> char {
        match self {
            Delimiter::Comma => ',',
            Delimiter::Tab => '\t',
            Delimiter::Semicolon => ';',
        }
    }

    /// The delimiter of a first data line: a tab if it has one, else `;` if it has one, else `,`.
    pub fn detect(line: &str) -> Delimiter {
        if line.contains('\t') {
            Delimiter::Tab
        } else if line.contains(';') {
            Delimiter::Semicolon
        } else {
            Delimiter::Comma
        }
    }
}

/// The `--delimiter` of this run (0: detect; else 1 + the [`Delimiter`]'s index).
static DELIMITER: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets the delimiter text inputs are read with (`None`: detect it per file).
pub fn set_delimiter(delimiter: Option<Delimiter>) {
    let code = match delimiter {
        None => 0,
        Some(Delimiter::Comma) => 1,
        Some(Delimiter::Tab) => 2,
        Some(Delimiter::Semicolon) => 3,
    };
    DELIMITER.store(code, std::sync::atomic::Ordering::SeqCst);
}

fn delimiter_setting() -> Option<Delimiter> {
    match DELIMITER.load(std::sync::atomic::Ordering::SeqCst) {
        1 => Some(Delimiter::Comma),
        2 => Some(Delimiter::Tab),
        3 => Some(Delimiter::Semicolon),
        _ => None,
    }
}

/// Reads a matrix from `path`, the format chosen by its extension. Rejects folders, devices
/// and FIFOs (see [`crate::io::limits`]), files larger than their caps, empty files and
/// non-finite values.
///
/// ```
/// use smoothscore::io::formats::{read_matrix, write_matrix};
/// use smoothscore::matrix::Matrix;
/// let dir = tempfile::tempdir().unwrap();
/// let points = Matrix::new(2, 2, vec![0.5, -1.0, 0.1, 3.0]).unwrap();
/// for name in ["points.csv", "points.npy", "points.tsv"] {
///     write_matrix(&dir.path().join(name), &points).unwrap();
///     assert_eq!(read_matrix(&dir.path().join(name)).unwrap(), points);
/// }
/// let error = read_matrix(dir.path()).unwrap_err().to_string();
/// assert!(error.ends_with("a folder, not a data file"), "{error}");
/// ```
pub fn read_matrix(path: &Path) -> Result<Matrix> {
    let size = limits::require_regular_input(path)?;
    let format = Format::from_path(path)?;
    let in_file = |error: anyhow::Error| anyhow::anyhow!("{}: {error:#}", path.display());
    let matrix = match format {
        Format::Csv | Format::Tsv => {
            let bytes = limits::read_bounded(path, limits::MAX_CSV_BYTES, "CSV")?;
            limits::require_memory(&format!("parsing {}", path.display()), u128::from(size) * 3)?;
            parse_csv_with(&bytes, delimiter_setting()).map_err(in_file)?
        }
        Format::Npy => {
            let bytes = limits::read_bounded(path, u64::MAX, "NPY")?;
            limits::require_memory(&format!("parsing {}", path.display()), u128::from(size) * 2)?;
            parse_npy(&bytes).map_err(in_file)?
        }
        Format::Idx => crate::io::idx::load_images(path, &crate::io::idx::IdxOptions::default())?,
    };
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

/// Writes `matrix` to `path` atomically, the format chosen by its extension (CSV streamed row by
/// row, no second copy of the data in memory).
pub fn write_matrix(path: &Path, matrix: &Matrix) -> Result<()> {
    let delimiter = match Format::for_output(path)? {
        Format::Tsv => Delimiter::Tab,
        Format::Npy => return write_atomic(path, &npy_bytes(matrix)),
        Format::Csv | Format::Idx => Delimiter::Comma,
    };
    write_atomic_with(path, |temporary| {
        let file = std::fs::File::create(temporary)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        write_delimited(&mut writer, matrix, delimiter)
            .and_then(|()| std::io::Write::flush(&mut writer))
            .with_context(|| format!("cannot write {}", path.display()))
    })
}

/// Parses delimited text with the delimiter detected from the first data line (see
/// [`parse_csv_with`]).
pub fn parse_csv(bytes: &[u8]) -> Result<Matrix> {
    parse_csv_with(bytes, None)
}

/// Parses delimited text: rows of numbers separated by `delimiter` (`None`: detected from the
/// first non-blank line, see [`Delimiter::detect`]), all the same length. A UTF-8 byte-order
/// mark is skipped. The first non-blank line is a header only when none of its fields parses as
/// a number; otherwise a field that is not a number is an error naming its line and column.
/// Blank lines are skipped.
pub fn parse_csv_with(bytes: &[u8], delimiter: Option<Delimiter>) -> Result<Matrix> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).context("not UTF-8 text")?;
    let mut values = Vec::new();
    let mut cols = 0usize;
    let mut rows = 0usize;
    let mut separator = delimiter.map(Delimiter::char);
    let mut first = true;
    for (line_index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let separator = *separator.get_or_insert_with(|| Delimiter::detect(line).char());
        let cells: Vec<&str> = line.split(separator).map(str::trim).collect();
        let is_number = |c: &&str| c.parse::<f32>().is_ok();
        if std::mem::take(&mut first) && !cells.iter().any(is_number) {
            continue;
        }
        if let Some((column, cell)) = cells.iter().enumerate().find(|(_, c)| !is_number(c)) {
            bail!(
                "line {}: column {}: '{cell}' is not a number",
                line_index + 1,
                column + 1
            );
        }
        if rows == 0 {
            cols = cells.len();
        } else if cells.len() != cols {
            bail!(
                "line {}: {} columns, but earlier rows have {cols}",
                line_index + 1,
                cells.len()
            );
        }
        values.extend(cells.iter().filter_map(|c| c.parse::<f32>().ok()));
        rows += 1;
    }
    if rows == 0 {
        bail!("no data rows");
    }
    Matrix::new(rows, cols, values)
}

/// Writes a matrix as delimited text, one row per line, no header, each value in Rust's
/// shortest round-trip form (so reading it back gives the same bits).
pub fn write_delimited(
    writer: &mut impl std::io::Write,
    matrix: &Matrix,
    delimiter: Delimiter,
) -> std::io::Result<()> {
    let separator = delimiter.char();
    for row in matrix.iter_rows() {
        for (index, value) in row.iter().enumerate() {
            if index > 0 {
                write!(writer, "{separator}")?;
            }
            write!(writer, "{value:?}")?;
        }
        writeln!(writer)?;
    }
    Ok(())
}

/// Formats a matrix as CSV, one row per line, no header, each value in Rust's shortest
/// round-trip form (so reading it back gives the same bits).
pub fn csv_bytes(matrix: &Matrix) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_delimited(&mut bytes, matrix, Delimiter::Comma).expect("writing to memory cannot fail");
    bytes
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
    let header = crate::io::npy_header::parse_header(header)?;
    let width = match header.descr.as_str() {
        "<f4" | "=f4" => 4,
        "<f8" | "=f8" => 8,
        other => bail!("unsupported NPY dtype {other} (expected little-endian f4 or f8)"),
    };
    if header.fortran_order {
        bail!("Fortran-order NPY arrays are not supported (save with C order)");
    }
    let (rows, cols) = match header.shape.as_slice() {
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        other => bail!("NPY array has shape {other:?}; expected 1-D or 2-D"),
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
    if payload.len() > needed {
        bail!(
            "NPY file has {} bytes after the data of shape {rows}×{cols}",
            payload.len() - needed
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
