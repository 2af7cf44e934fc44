//! Records the git revision (when built from a git checkout) for run manifests.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
    let revision = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if let Some(revision) = revision {
        println!("cargo:rustc-env=SMOOTHSCORE_GIT_REVISION={revision}");
    }
}
