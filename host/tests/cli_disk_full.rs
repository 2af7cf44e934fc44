//! A full disk must give one clear line, a non-zero exit, and no partial output file.
//! Simulated with a 64 KiB tmpfs; skipped (with the reason printed) where mounting is not allowed.

use std::process::Command;

#[test]
fn disk_full_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let mount_point = dir.path().join("tiny");
    std::fs::create_dir(&mount_point).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount_point)
        .output();
    match mounted {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            println!(
                "skipped: cannot mount a tmpfs here ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            return;
        }
        Err(error) => {
            println!("skipped: cannot run mount ({error})");
            return;
        }
    }
    let target = mount_point.join("samples.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_smoothscore"))
        .args(["sample", "--n-samples", "20000", "--steps", "5", "--out"])
        .arg(&target)
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(&mount_point).unwrap().collect();
    let _ = Command::new("umount").arg(&mount_point).status();
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.contains("No space left on device"), "{message}");
    assert!(left.is_empty(), "partial files left: {left:?}");
}
