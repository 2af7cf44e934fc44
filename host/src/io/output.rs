//! Atomic output: write to a temporary file in the target's folder, then rename over the target.
//! A failed or interrupted run leaves no half-written file behind.
//!
//! - **All or nothing.** The binary calls [`defer_commits`] first: every write of the run then
//!   fills its temporary file and waits, and [`commit`] renames them all at the end, so a run
//!   that fails late (a plot folder that does not exist) leaves none of its outputs. Library
//!   callers that never call [`defer_commits`] get each file renamed as soon as it is written.
//! - **Signals.** Every temporary file is registered until it is renamed or removed;
//!   [`remove_temporaries`] (called on SIGINT/SIGTERM/SIGHUP by [`crate::io::signals`]) deletes
//!   them.
//! - **Mode.** A new output gets 0666 & ~umask, as `File::create` would give; an existing
//!   output keeps its mode.
//! - **Symbolic links.** As a normal write would, a write through a symbolic link writes the
//!   file it points to (resolved link by link, up to [`MAX_LINKS`]; a dangling link creates its
//!   target): the link stays a link. An existing output that is not a regular file (a folder, a
//!   device such as `/dev/null`, a FIFO) is refused: the rename would replace it.

use anyhow::{bail, Context, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Most symbolic links followed from an output path (Linux's own limit is 40).
pub const MAX_LINKS: usize = 40;

/// Whether writes wait for [`commit`].
static DEFERRING: AtomicBool = AtomicBool::new(false);
/// Every temporary file that exists now (being filled, or filled and waiting for [`commit`]).
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Filled temporary files waiting for [`commit`]: (the file they become, the temporary).
static PENDING: Mutex<Vec<(PathBuf, tempfile::TempPath)>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes every later write wait for [`commit`].
pub fn defer_commits() {
    DEFERRING.store(true, Ordering::SeqCst);
}

/// Renames every waiting temporary file over its target, in the order written. While it runs
/// the signal handler waits, so an interrupt cannot split the outputs.
pub fn commit() -> Result<()> {
    let mut temporaries = lock(&TEMPORARIES);
    let pending: Vec<_> = lock(&PENDING).drain(..).collect();
    let mut result = Ok(());
    for (target, temporary) in pending {
        let path = temporary.to_path_buf();
        if result.is_ok() {
            result = temporary
                .persist(&target)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot write {}", target.display()));
        }
        temporaries.retain(|t| *t != path);
    }
    result
}

/// Deletes every temporary file (the signal handler's cleanup); returns how many.
pub fn remove_temporaries() -> usize {
    let mut temporaries = lock(&TEMPORARIES);
    let removed = temporaries
        .drain(..)
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count();
    removed
}

/// Drops every write that waits for [`commit`] and deletes every temporary file (a failed run).
pub fn discard() {
    remove_temporaries();
    lock(&PENDING).clear();
}

/// Where the contents of `path` are now: the waiting temporary file when a write to it has not
/// been committed yet (so a manifest can hash it), else `path` itself.
pub fn current_path(path: &Path) -> PathBuf {
    let target = resolve_links(path).unwrap_or_else(|_| path.to_path_buf());
    lock(&PENDING)
        .iter()
        .find(|(t, _)| *t == target)
        .map_or_else(
            || path.to_path_buf(),
            |(_, temporary)| temporary.to_path_buf(),
        )
}

/// `path` with symbolic links followed to the file a normal write would write.
pub fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)
                    .with_context(|| format!("cannot read the link {}", current.display()))?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "{}: more than {MAX_LINKS} symbolic links to follow",
        path.display()
    )
}

/// Checks that `path` can be written: its folder exists and is a folder, and the path is not an
/// existing folder, device or FIFO. Returns the file a write would replace (links followed).
pub fn check_writable(path: &Path) -> Result<PathBuf> {
    let target = resolve_links(path)?;
    if let Ok(meta) = std::fs::metadata(&target) {
        if meta.is_dir() {
            bail!("{}: is a folder, not an output file", path.display());
        }
        if !meta.is_file() {
            bail!(
                "{}: exists and is not a regular file (a device or FIFO); write to a file",
                path.display()
            );
        }
    }
    let folder = folder_of(&target);
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(target),
        Ok(_) => bail!(
            "cannot write {}: {} is not a folder",
            path.display(),
            folder.display()
        ),
        Err(_) => bail!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            folder.display()
        ),
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |temporary| {
        std::fs::write(temporary, bytes).with_context(|| format!("cannot write {}", path.display()))
    })
}

/// Writes `path` atomically through `fill`, which writes the temporary file whose path it is
/// given: in the same folder and with the same extension as `path` (so writers that choose the
/// format from the extension, like the PNG encoder, choose right). Then fsync and rename (now,
/// or at [`commit`] after [`defer_commits`]); when `fill` fails nothing is left behind.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let target = check_writable(path)?;
    let folder = folder_of(&target);
    let suffix = target
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let file = {
        let mut temporaries = lock(&TEMPORARIES);
        let file = tempfile::Builder::new()
            .prefix(".smoothscore-")
            .suffix(&suffix)
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(folder)
            .with_context(|| {
                format!(
                    "cannot write {}: cannot create a file in {}",
                    path.display(),
                    folder.display()
                )
            })?;
        temporaries.push(file.path().to_path_buf());
        file
    };
    let temporary_path = file.path().to_path_buf();
    let forget = || lock(&TEMPORARIES).retain(|t| *t != temporary_path);
    let filled = (|| {
        if let Some(permissions) = existing {
            file.as_file()
                .set_permissions(permissions)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        fill(file.path())?;
        file.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", path.display()))
    })();
    if let Err(error) = filled {
        drop(file);
        forget();
        return Err(error);
    }
    let temporary = file.into_temp_path();
    if DEFERRING.load(Ordering::SeqCst) {
        let mut pending = lock(&PENDING);
        pending.retain(|(t, _)| *t != target);
        pending.push((target, temporary));
        return Ok(());
    }
    let result = temporary
        .persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()));
    forget();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn umask() -> u32 {
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join("probe");
        std::fs::File::create(&probe).unwrap();
        0o777 & !std::fs::metadata(&probe).unwrap().permissions().mode()
    }

    #[test]
    fn new_files_get_the_umask_mode_and_existing_ones_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.csv");
        write_atomic(&fresh, b"1\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), 0o666 & !umask());
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&fresh, b"2\n").unwrap();
        assert_eq!(mode(&fresh), 0o640);
        assert_eq!(std::fs::read(&fresh).unwrap(), b"2\n");
    }

    #[test]
    fn a_link_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old\n").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write_atomic(&link, b"new\n").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new\n");
    }

    #[test]
    fn folders_devices_and_missing_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = check_writable(dir.path()).unwrap_err().to_string();
        assert!(error.contains("is a folder"), "{error}");
        let error = check_writable(Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a regular file"), "{error}");
        let error = check_writable(&dir.path().join("nodir/p.png"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not exist"), "{error}");
    }
}
