//! `reproduce` treats a manifest as untrusted input: each attack of issue #21 (item 1) ends in
//! a one-line error and a non-zero exit, and no file outside its scratch folder changes.

#[path = "common/tree.rs"]
mod tree;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A test's world: `work/` (the working folder), a victim file and folder beside it, and
/// `tmp/` (the child's TMPDIR, where `reproduce` makes its scratch folder).
struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let root = tempfile::tempdir().unwrap();
        for folder in ["work", "tmp", "victim-dir"] {
            std::fs::create_dir(root.path().join(folder)).unwrap();
        }
        std::fs::write(root.path().join("victim.csv"), "precious\n").unwrap();
        std::fs::write(root.path().join("victim-dir/keep.txt"), "keep\n").unwrap();
        World { root }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    fn work(&self) -> PathBuf {
        self.path("work")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_smoothscore"))
            .current_dir(self.work())
            .env("TMPDIR", self.path("tmp"))
            .args(args)
            .output()
            .expect("the binary runs")
    }

    /// Runs `args`, which must succeed, and returns its manifest (`work/<manifest>`).
    fn recorded(&self, args: &[&str], manifest: &str) -> Value {
        let run = self.run(args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(self.work().join(manifest)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Every entry under the world except `tmp/` ([`tree::snapshot`]).
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        tree::snapshot(self.root.path(), &self.path("tmp"))
    }

    /// Writes `manifest` as `work/<name>`, runs `reproduce` on it and checks the refusal:
    /// one line on stderr containing `expected`, a non-zero exit, no file changed outside the
    /// scratch folder, and the scratch folder removed.
    fn refused(&self, name: &str, manifest: &Value, expected: &str) {
        let file = self.work().join(name);
        std::fs::write(&file, serde_json::to_string_pretty(manifest).unwrap()).unwrap();
        let before = self.snapshot();
        let run = self.run(&["reproduce", name]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "accepted: {stderr}");
        assert_eq!(run.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "not one line: {stderr}"
        );
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        let after = self.snapshot();
        for (path, value) in &before {
            assert_eq!(after.get(path), Some(value), "{} changed", path.display());
        }
        let created: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
        assert!(created.is_empty(), "created {created:?}");
        assert_eq!(
            std::fs::read_dir(self.path("tmp")).unwrap().count(),
            0,
            "the scratch folder was left behind"
        );
        assert_eq!(
            std::fs::read_to_string(self.path("victim.csv")).unwrap(),
            "precious\n"
        );
    }

    /// A recorded `data generate` run's manifest.
    fn generate_manifest(&self) -> Value {
        self.recorded(
            &[
                "data",
                "generate",
                "two-moons",
                "--n",
                "5",
                "--out",
                "d.csv",
            ],
            "d.csv.manifest.json",
        )
    }

    /// A recorded `score` run's manifest, on `data.csv`.
    fn score_manifest(&self) -> Value {
        std::fs::write(self.work().join("data.csv"), "0,0\n1,0\n0,1\n").unwrap();
        self.recorded(
            &[
                "score",
                "--data",
                "data.csv",
                "--queries",
                "data.csv",
                "--t",
                "0.2",
                "--out",
                "s.csv",
            ],
            "s.csv.manifest.json",
        )
    }
}

fn argv(words: &[&str]) -> Value {
    json!(words)
}

/// The command line of `data generate two-moons --n 5 --out OUT`.
fn generate_to(out: &std::path::Path) -> Value {
    let out = out.to_str().unwrap();
    argv(&[
        "smoothscore",
        "data",
        "generate",
        "two-moons",
        "--n",
        "5",
        "--out",
        out,
    ])
}

#[test]
fn an_honest_manifest_still_reproduces_and_leaves_no_scratch_folder() {
    let world = World::new();
    world.generate_manifest();
    let before = world.snapshot();
    let run = world.run(&["reproduce", "d.csv.manifest.json"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("bit match: 1/1"));
    assert_eq!(world.snapshot(), before);
    assert_eq!(std::fs::read_dir(world.path("tmp")).unwrap().count(), 0);
}

#[test]
fn an_unlisted_out_is_refused() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    let victim = world.path("victim.csv");
    manifest["outputs"] = json!([]);
    manifest["argv"] = generate_to(&victim);
    world.refused(
        "edited.json",
        &manifest,
        "is not among the manifest's outputs",
    );
    // The `--out=PATH` spelling is the same flag to clap, so it is caught too.
    manifest["argv"] = argv(&[
        "smoothscore",
        "data",
        "generate",
        "two-moons",
        &format!("--out={}", victim.display()),
    ]);
    world.refused(
        "edited.json",
        &manifest,
        "is not among the manifest's outputs",
    );
}

#[test]
fn an_unlisted_plot_is_refused() {
    let world = World::new();
    let mut manifest = world.recorded(
        &[
            "sample",
            "--n-samples",
            "4",
            "--steps",
            "10",
            "--out",
            "s.csv",
        ],
        "s.csv.manifest.json",
    );
    let words: Vec<String> = manifest["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    for (flag, victim) in [
        ("--plot", "victim.svg"),
        ("--plot-trajectories", "victim.png"),
    ] {
        let mut edited = words.clone();
        edited.extend([flag.to_owned(), world.path(victim).display().to_string()]);
        manifest["argv"] = json!(edited);
        world.refused(
            "edited.json",
            &manifest,
            "is not among the manifest's outputs",
        );
    }
    // A listed output whose flag the command line does not give.
    manifest["argv"] = json!(words);
    manifest["outputs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"flag": "--plot", "path": "p.svg", "sha256": "0"}));
    world.refused(
        "edited.json",
        &manifest,
        "is listed but the command line does not write it",
    );
}

#[test]
fn an_unlisted_out_dir_is_refused() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    let victim = world.path("victim-dir");
    manifest["outputs"] = json!([]);
    manifest["argv"] = argv(&[
        "smoothscore",
        "experiment",
        "variance",
        "--out-dir",
        victim.to_str().unwrap(),
    ]);
    world.refused("edited.json", &manifest, "list no file of --out-dir");
    // Files listed elsewhere than in the folder the command line names.
    manifest["outputs"] = json!([{
        "flag": "--out-dir",
        "path": world.path("elsewhere/variance_bias.csv").to_str().unwrap(),
        "sha256": "0",
    }]);
    world.refused("edited.json", &manifest, "is not inside --out-dir");
}

#[test]
fn commands_that_write_no_file_are_refused() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    for words in [
        &["smoothscore", "bench", "--shapes", "2x2x2", "--no-peers"][..],
        &["smoothscore", "crosscheck"],
        &["smoothscore", "completions", "bash"],
        &["smoothscore", "manpage"],
        &["smoothscore", "data", "list"],
    ] {
        manifest["argv"] = argv(words);
        world.refused("edited.json", &manifest, "writes no output file");
    }
}

#[test]
fn reproduce_inside_a_manifest_is_refused() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    let itself = world.work().join("self.json");
    manifest["argv"] = argv(&["smoothscore", "reproduce", itself.to_str().unwrap()]);
    world.refused("self.json", &manifest, "`reproduce` writes no output file");
}

#[test]
fn a_command_line_that_does_not_parse_is_one_line() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    manifest["argv"] = argv(&["smoothscore", "data", "generate", "--bogus", "1"]);
    world.refused(
        "edited.json",
        &manifest,
        "the recorded command line does not parse",
    );
    manifest["argv"] = argv(&[
        "smoothscore",
        "--config",
        "x.toml",
        "data",
        "generate",
        "two-moons",
        "--out",
        "d.csv",
    ]);
    world.refused("edited.json", &manifest, "cannot use --config");
}

#[test]
fn inputs_that_are_not_regular_files_are_refused() {
    let world = World::new();
    let manifest = world.score_manifest();
    let fifo = world.work().join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo failed");
    std::os::unix::fs::symlink("/dev/zero", world.work().join("zero.csv")).unwrap();
    for input in [
        fifo.to_str().unwrap(),
        "zero.csv",
        "/dev/zero",
        "/dev/urandom",
    ] {
        // The attacker lists the input (with any hash) ...
        let mut edited = manifest.clone();
        edited["inputs"] = json!([
            {"flag": "--data", "path": input, "sha256": "0"},
            {"flag": "--queries", "path": "data.csv", "sha256": manifest["inputs"][1]["sha256"]},
        ]);
        edited["argv"] = argv(&[
            "smoothscore",
            "score",
            "--data",
            input,
            "--queries",
            "data.csv",
            "--t",
            "0.2",
            "--out",
            "s.csv",
        ]);
        world.refused("edited.json", &edited, "not a regular file");
        // ... or leaves it out of the list.
        edited["inputs"] = json!([]);
        world.refused("edited.json", &edited, "is not among the manifest's inputs");
    }
    // The manifest itself.
    let before = world.snapshot();
    let run = world.run(&["reproduce", "zero.csv"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
    assert_eq!(world.snapshot(), before);
}

#[test]
fn an_unlisted_input_path_is_refused() {
    let world = World::new();
    let mut manifest = world.score_manifest();
    std::fs::write(world.work().join("other.csv"), "5,5\n").unwrap();
    manifest["argv"][3] = json!("other.csv");
    world.refused(
        "edited.json",
        &manifest,
        "input --data other.csv is not among",
    );
}

/// The refusals are checked by a test that can fail: a manifest naming the victim as a
/// listed output is accepted and writes only into the scratch folder.
#[test]
fn a_listed_victim_is_redirected_into_the_scratch_folder() {
    let world = World::new();
    let mut manifest = world.generate_manifest();
    let victim = world.path("victim.csv");
    manifest["outputs"][0]["path"] = json!(victim.to_str().unwrap());
    manifest["argv"] = generate_to(&victim);
    std::fs::write(
        world.work().join("listed.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    let before = world.snapshot();
    let run = world.run(&["reproduce", "listed.json"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(world.snapshot(), before);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(std::fs::read_dir(world.path("tmp")).unwrap().count(), 0);
}
