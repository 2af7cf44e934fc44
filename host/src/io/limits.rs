//! Resource limits: every size a user controls is checked against what it needs before
//! anything is allocated, so a hostile or mistyped number gives one line instead of an
//! allocation abort or minutes of spinning.
//!
//! | limit | value | why |
//! | --- | --- | --- |
//! | memory a run may plan for | the machine's physical memory (`MemTotal`), or `SMOOTHSCORE_MEMORY_LIMIT` (bytes, suffix K/M/G allowed) | an estimate above it is refused with "needs X GiB" |
//! | worker threads | [`MAX_THREADS`] | a million threads spin for minutes |
//! | CSV input | [`MAX_CSV_BYTES`] | text costs ~2.5× its size while parsed |
//! | `--config` TOML | [`MAX_CONFIG_BYTES`] | a run's options are a few hundred bytes |
//! | NPY / IDX input | the size the file's own header declares (the file must hold exactly that) | |
//! | time steps | [`MAX_STEPS`] | finer grids collapse adjacent f32 times |
//!
//! Inputs must be regular files (symbolic links followed): a device (`/dev/zero`,
//! `/dev/urandom`), a FIFO or a folder is refused by [`require_regular_input`].

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Most worker threads a run may ask for (`--threads`).
pub const MAX_THREADS: usize = 1024;

/// Largest CSV (or TSV) file read.
pub const MAX_CSV_BYTES: u64 = 2 << 30;

/// Largest `--config` file read.
pub const MAX_CONFIG_BYTES: u64 = 256 << 10;

/// Most time steps of a sampling run: the geometric and uniform f32 grids between t_min and T
/// keep adjacent times distinct up to about this many steps.
pub const MAX_STEPS: usize = 1_000_000;

/// The environment variable that sets the memory limit (bytes; `K`, `M`, `G` suffixes).
pub const MEMORY_LIMIT_VARIABLE: &str = "SMOOTHSCORE_MEMORY_LIMIT";

/// `bytes` in the largest binary unit that keeps it ≥ 1, e.g. `7.3 TiB`.
pub fn human_bytes(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// Parses `123`, `64K`, `512M`, `2G` (binary units).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last()?.to_ascii_uppercase() {
        'K' => (&text[..text.len() - 1], 10),
        'M' => (&text[..text.len() - 1], 20),
        'G' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Physical memory from `/proc/meminfo` (`MemTotal`), if the system says.
fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The memory a run may plan for, and where that number comes from.
pub fn memory_limit() -> (u64, &'static str) {
    if let Some(limit) = std::env::var(MEMORY_LIMIT_VARIABLE)
        .ok()
        .and_then(|v| parse_size(&v))
    {
        return (limit, MEMORY_LIMIT_VARIABLE);
    }
    match physical_memory() {
        Some(total) => (total, "the machine's memory"),
        None => (16 << 30, "the default limit"),
    }
}

/// Fails with "`what` needs X GiB, more than …" when `bytes` (an estimate of what a step will
/// allocate, computed with saturating arithmetic so that overflow reads as "too much")
/// exceeds [`memory_limit`].
pub fn require_memory(what: &str, bytes: u128) -> Result<()> {
    let (limit, source) = memory_limit();
    if bytes > u128::from(limit) {
        bail!(
            "{what} needs {}, more than the {} limit of {source} (set {MEMORY_LIMIT_VARIABLE} to change it)",
            human_bytes(bytes as f64),
            human_bytes(limit as f64)
        );
    }
    Ok(())
}

/// The product of `factors`, saturating at `u128::MAX` (sizes for [`require_memory`]).
pub fn product(factors: &[usize]) -> u128 {
    factors
        .iter()
        .fold(1u128, |acc, &f| acc.saturating_mul(f as u128))
}

/// clap value parser of `--threads`: 0 (all cores) up to [`MAX_THREADS`].
pub fn thread_count(text: &str) -> std::result::Result<usize, String> {
    let threads: usize = text
        .parse()
        .map_err(|_| format!("'{text}' is not a thread count"))?;
    if threads > MAX_THREADS {
        return Err(format!(
            "at most {MAX_THREADS} worker threads (0: all cores)"
        ));
    }
    Ok(threads)
}

/// clap value parser of a count: a whole number from `least` to `most`, written in digits.
/// Its errors say what is wrong in a few words (clap puts the flag and the value before them):
/// `1e9` "is not a whole number in digits (write 1000000000)", `0` "must be at least 1".
///
/// ```
/// let parse = smoothscore::io::limits::count(1, 10);
/// assert_eq!(parse("7"), Ok(7));
/// assert_eq!(parse("0").unwrap_err(), "must be at least 1");
/// assert_eq!(parse("11").unwrap_err(), "must be at most 10");
/// assert!(parse("1e3").unwrap_err().contains("(write 1000)"));
/// ```
pub fn count(
    least: usize,
    most: usize,
) -> impl Fn(&str) -> std::result::Result<usize, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let text = text.trim();
        let value = match text.parse::<usize>() {
            Ok(value) => value,
            Err(_) if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
                return Err(format!("must be at most {most}"));
            }
            Err(_) => {
                return Err(match text.parse::<f64>() {
                    Ok(value) if value < least as f64 => format!("must be at least {least}"),
                    Ok(value) if value.is_finite() && value.fract() == 0.0 => {
                        format!("is not a whole number in digits (write {value:.0})")
                    }
                    _ => "is not a whole number".to_owned(),
                });
            }
        };
        if value < least {
            return Err(format!("must be at least {least}"));
        }
        if value > most {
            return Err(format!("must be at most {most}"));
        }
        Ok(value)
    }
}

/// clap value parser of `--steps`: a [`count`] from 1 to [`MAX_STEPS`].
pub fn step_count(text: &str) -> std::result::Result<usize, String> {
    count(1, MAX_STEPS)(text).map_err(|error| {
        if error.contains("at most") {
            format!(
                "{error}: a finer f32 time grid would repeat times (its steps would round to zero)"
            )
        } else {
            error
        }
    })
}

/// clap value parser of a finite number ≥ 0 (`--radius`, `--margin`).
pub fn non_negative(text: &str) -> std::result::Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("must be a finite number ≥ 0, got {text}"));
    }
    Ok(value)
}

/// Fails unless `path` (symbolic links followed) is a regular file; names what it is instead
/// (a folder, a device, a FIFO). Returns the file's size.
pub fn require_regular_input(path: &Path) -> Result<u64> {
    use std::os::unix::fs::FileTypeExt;
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let kind = metadata.file_type();
    let what = if kind.is_file() {
        return Ok(metadata.len());
    } else if kind.is_dir() {
        "a folder, not a data file"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device, not a regular file (it could be read without end)"
    } else if kind.is_fifo() {
        "a FIFO, not a regular file (it could be read without end)"
    } else if kind.is_socket() {
        "a socket, not a regular file"
    } else {
        "not a regular file"
    };
    bail!("{}: {what}", path.display())
}

/// Reads a regular file of at most `cap` bytes (checked before reading, and again while
/// reading in case it grows), after [`require_regular_input`] and [`require_memory`].
pub fn read_bounded(path: &Path, cap: u64, kind: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let size = require_regular_input(path)?;
    if size > cap {
        bail!(
            "{}: {} is larger than the {} cap on {kind} files",
            path.display(),
            human_bytes(size as f64),
            human_bytes(cap as f64)
        );
    }
    require_memory(&format!("reading {}", path.display()), u128::from(size))?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(cap.saturating_add(1)).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > cap {
        bail!(
            "{}: grew past the {} cap on {kind} files while read",
            path.display(),
            human_bytes(cap as f64)
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("64K"), Some(65536));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("17"), Some(17));
        assert_eq!(parse_size("x"), None);
        assert_eq!(human_bytes(3.0 * (1u64 << 30) as f64), "3.0 GiB");
        assert_eq!(human_bytes(12.0), "12 B");
    }

    #[test]
    fn value_parsers_refuse_what_they_must() {
        assert_eq!(thread_count("8"), Ok(8));
        assert!(thread_count("1000000").unwrap_err().contains("at most"));
        assert_eq!(step_count("1000"), Ok(1000));
        assert!(step_count("1000000000")
            .unwrap_err()
            .contains("at most 1000000: a finer"));
        assert_eq!(step_count("-2").unwrap_err(), "must be at least 1");
        assert!(step_count("1e9").unwrap_err().contains("write 1000000000"));
        assert_eq!(step_count("x").unwrap_err(), "is not a whole number");
        assert_eq!(
            count(0, 5)("99999999999999999999999").unwrap_err(),
            "must be at most 5"
        );
        assert_eq!(non_negative("0.5"), Ok(0.5));
        assert!(non_negative("NaN").is_err());
        assert!(non_negative("-100").is_err());
        assert!(non_negative("inf").is_err());
    }

    #[test]
    fn non_regular_inputs_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let error = require_regular_input(dir.path()).unwrap_err().to_string();
        assert!(error.contains("a folder"), "{error}");
        let error = require_regular_input(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("a device"), "{error}");
        assert!(require_memory("x", u128::MAX)
            .unwrap_err()
            .to_string()
            .contains("needs"));
        assert!(require_memory("x", 1).is_ok());
    }
}
