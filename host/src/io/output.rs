//! Atomic output: write to a temporary file in the target's folder, then rename over the target.
//! A failed or interrupted run leaves no half-written file behind.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |temporary| {
        std::fs::write(temporary, bytes).with_context(|| format!("cannot write {}", path.display()))
    })
}

/// Writes `path` atomically through `fill`, which writes the temporary file whose path it is
/// given: in the same folder and with the same extension as `path` (so writers that choose the
/// format from the extension, like the PNG encoder, choose right). Then fsync and rename; when
/// `fill` fails nothing is left behind.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let file = tempfile::Builder::new()
        .prefix(".smoothscore-")
        .suffix(&suffix)
        .tempfile_in(folder)
        .with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                folder.display()
            )
        })?;
    fill(file.path())?;
    file.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
