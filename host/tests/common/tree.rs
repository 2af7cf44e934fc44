//! A snapshot of a folder tree, for tests that must show a run changed nothing outside its
//! scratch folder.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Every entry under `root` except the subtree `skip`: its kind, and for files the permission
/// bits (octal) and the contents, for links the target. Two equal snapshots mean no entry was
/// added, removed, rewritten, re-linked or re-moded.
pub fn snapshot(root: &Path, skip: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path == skip {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let kind = meta.file_type();
            let value = if kind.is_dir() {
                pending.push(path.clone());
                "folder".to_owned()
            } else if kind.is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_file() {
                format!(
                    "{:o} {:?}",
                    meta.permissions().mode(),
                    std::fs::read(&path).unwrap()
                )
            } else {
                format!("{kind:?}")
            };
            out.insert(path, value);
        }
    }
    out
}
