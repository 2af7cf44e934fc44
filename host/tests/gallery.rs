//! The README gallery is produced by the current code: every picture listed in
//! `docs/gallery/commands.txt` is regenerated with its command and compared byte for byte
//! with the committed file. `SMOOTHSCORE_BLESS=1` rewrites the pictures instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `(file, commands)` per gallery line, each command's arguments with `fixtures/…` made
/// absolute (a line may chain commands with ` && `, run in order in one folder: e.g. `train`
/// then `sample` with the network it wrote).
fn gallery() -> Vec<(String, Vec<Vec<String>>)> {
    let root = root();
    let text = std::fs::read_to_string(root.join("docs/gallery/commands.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (file, commands) = line.split_once(": ").expect("`file: arguments`");
            let commands = commands
                .split(" && ")
                .map(|command| {
                    command
                        .split_whitespace()
                        .map(|a| match a.strip_prefix("fixtures/") {
                            Some(rest) => root.join("fixtures").join(rest).display().to_string(),
                            None => a.to_owned(),
                        })
                        .collect()
                })
                .collect();
            (file.to_owned(), commands)
        })
        .collect()
}

#[test]
fn gallery_pictures_are_what_the_current_code_draws() {
    let bless = std::env::var_os("SMOOTHSCORE_BLESS").is_some();
    let entries = gallery();
    assert!(entries.len() >= 6, "the gallery lists its pictures");
    let mut stale = Vec::new();
    for (file, commands) in entries {
        let scratch = tempfile::tempdir().unwrap();
        for args in commands {
            let output = Command::new(env!("CARGO_BIN_EXE_smoothscore"))
                .current_dir(scratch.path())
                .args(&args)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let drawn = std::fs::read(scratch.path().join(&file)).unwrap();
        assert!(drawn.starts_with(b"\x89PNG"), "{file} is a PNG");
        let committed = root().join("docs/gallery").join(&file);
        if bless {
            std::fs::write(&committed, &drawn).unwrap();
        } else if std::fs::read(&committed).ok().as_deref() != Some(drawn.as_slice()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "gallery pictures differ from what the code draws: {stale:?} (SMOOTHSCORE_BLESS=1 to rewrite)"
    );
}
