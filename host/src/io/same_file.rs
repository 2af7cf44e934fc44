//! An output must never be one of the run's inputs: `score --data d.csv --out d.csv` would
//! destroy the training set. Two paths name the same file when their canonical paths are equal
//! (symbolic links and `..` resolved; an output that does not exist yet is its canonical parent
//! folder joined with its name) or when both exist and share device and inode (hard links).

use anyhow::{bail, Result};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What identifies a file on disk: its canonical path and, when it exists, (device, inode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    canonical: Option<PathBuf>,
    inode: Option<(u64, u64)>,
}

impl Identity {
    /// The identity of `path`, existing or not.
    pub fn of(path: &Path) -> Identity {
        let inode = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
        let canonical = std::fs::canonicalize(path).ok().or_else(|| {
            let name = path.file_name()?;
            let parent = match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(parent).ok()?.join(name))
        });
        Identity { canonical, inode }
    }

    /// Whether `self` and `other` are the same file.
    pub fn same_as(&self, other: &Identity) -> bool {
        (self.canonical.is_some() && self.canonical == other.canonical)
            || (self.inode.is_some() && self.inode == other.inode)
    }
}

/// Fails when an output (flag, path) is the same file as an input or as another output,
/// naming both.
pub fn refuse_overwriting(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let inputs: Vec<_> = inputs
        .iter()
        .map(|&(flag, path)| (flag, path, Identity::of(path)))
        .collect();
    let outputs: Vec<_> = outputs
        .iter()
        .map(|&(flag, path)| (flag, path, Identity::of(path)))
        .collect();
    for (index, (flag, path, identity)) in outputs.iter().enumerate() {
        if let Some((input_flag, input, _)) = inputs.iter().find(|(_, _, i)| i.same_as(identity)) {
            bail!(
                "{flag} {} is the input {input_flag} {}: refusing to overwrite an input",
                path.display(),
                input.display()
            );
        }
        if let Some((other_flag, other, _)) = outputs[..index]
            .iter()
            .find(|(_, _, i)| i.same_as(identity))
        {
            bail!(
                "{flag} {} and {other_flag} {} are the same file",
                path.display(),
                other.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_links_and_new_files_resolve_to_the_same_identity() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("d.csv");
        std::fs::write(&data, "1,2\n").unwrap();
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&data, &hard).unwrap();
        let soft = dir.path().join("soft.csv");
        std::os::unix::fs::symlink(&data, &soft).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let dotted = dir.path().join("sub/../d.csv");
        for alias in [&data, &hard, &soft, &dotted] {
            let error = refuse_overwriting(&[("--data", &data)], &[("--out", alias)]).unwrap_err();
            assert!(
                error.to_string().contains("refusing to overwrite"),
                "{error}"
            );
        }
        let fresh = dir.path().join("sub/../new.csv");
        assert!(refuse_overwriting(&[("--data", &data)], &[("--out", &fresh)]).is_ok());
        let error = refuse_overwriting(
            &[],
            &[
                ("--plot", &fresh),
                ("--plot-trajectories", &dir.path().join("new.csv")),
            ],
        )
        .unwrap_err();
        assert!(error.to_string().contains("the same file"), "{error}");
    }
}
