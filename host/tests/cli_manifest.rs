//! Manifests: every run that writes files records how to reproduce it, and `reproduce` checks
//! the bits.

use sha2::Digest;
mod common;

use common::smoothscore;

#[test]
fn sample_writes_a_manifest_and_reproduce_matches_the_bits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = smoothscore(
        d,
        &[
            "sample",
            "--n-samples",
            "16",
            "--seed",
            "4",
            "--plot",
            "p.svg",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(d.join("samples.csv.manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["seed"], 4);
    assert_eq!(manifest["parameters"]["steps"], "1000");
    assert_eq!(manifest["inputs"][0]["path"], "builtin:default-2d");
    let samples = std::fs::read(d.join("samples.csv")).unwrap();
    let digest: String = sha2::Sha256::digest(&samples)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(manifest["outputs"][0]["sha256"], digest.as_str());

    let check = smoothscore(d, &["reproduce", "samples.csv.manifest.json"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        report.starts_with("bit match: 2/2 outputs identical"),
        "{report}"
    );

    let tampered = text.replacen(&digest, &"0".repeat(64), 1);
    std::fs::write(d.join("tampered.json"), tampered).unwrap();
    let check = smoothscore(d, &["reproduce", "tampered.json"]);
    let message = String::from_utf8_lossy(&check.stderr);
    assert!(!check.status.success());
    assert!(
        message.contains("bits differ: 1 of 2 outputs (samples.csv)"),
        "{message}"
    );
}

#[test]
fn reproduce_refuses_changed_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), "0,0\n1,0\n0,1\n").unwrap();
    let run = smoothscore(
        d,
        &[
            "score",
            "--data",
            "data.csv",
            "--queries",
            "data.csv",
            "--t",
            "0.2",
            "--out",
            "s.npy",
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(smoothscore(d, &["reproduce", "s.npy.manifest.json"])
        .status
        .success());
    std::fs::write(d.join("data.csv"), "0,0\n1,0\n0,2\n").unwrap();
    let check = smoothscore(d, &["reproduce", "s.npy.manifest.json"]);
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stderr).contains("input data.csv has changed"));
}
