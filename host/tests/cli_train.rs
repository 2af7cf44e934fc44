//! `smoothscore train` and `--score net` end to end: the file and its manifest, `reproduce`,
//! bit-for-bit reproducibility (same seed; 1 and 2 threads), sampling and scoring with the
//! network, pbm, and every refused input (one line, non-zero exit, nothing written).

#[path = "common/tree.rs"]
mod tree;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small, fast training run on the built-in set.
const SMALL: [&str; 10] = [
    "--width",
    "16",
    "--depth",
    "1",
    "--steps",
    "150",
    "--batch",
    "64",
    "--eval-every",
    "50",
];

struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let world = World {
            root: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(world.root.path().join("tmp")).unwrap();
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_smoothscore"));
        command
            .current_dir(self.root.path())
            .env("TMPDIR", self.path("tmp"))
            .args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("the binary runs")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn train(&self, out: &str, extra: &[&str]) -> String {
        let mut args = vec!["-q", "train", "--out", out];
        args.extend(SMALL);
        args.extend(extra);
        self.ok(&args)
    }

    /// `args` must fail with one line on stderr containing `needle` and change no file.
    fn refused(&self, args: &[&str], needle: &str) {
        let before = tree::snapshot(self.root.path(), &self.path("tmp"));
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(
            before,
            tree::snapshot(self.root.path(), &self.path("tmp")),
            "{args:?} changed files"
        );
    }
}

/// A command line written as one string.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn train_writes_a_network_and_a_manifest_that_reproduces() {
    let world = World::new();
    let report = world.train("net.safetensors", &["--plot", "loss.png"]);
    println!("{report}");
    assert!(report.contains("338 parameters"), "{report}");
    assert!(report.contains("held out"), "{report}");
    assert!(world.path("net.safetensors.manifest.json").exists());
    let png = bytes(&world.path("loss.png"));
    assert_eq!(&png[1..4], b"PNG");
    let reproduced = world.ok(&["reproduce", "net.safetensors.manifest.json"]);
    assert!(reproduced.contains("net.safetensors"), "{reproduced}");
    // The safetensors crate reads the file, with the metadata the docs promise.
    let file = bytes(&world.path("net.safetensors"));
    let (_, header) = safetensors::SafeTensors::read_metadata(&file).unwrap();
    let metadata = header.metadata().clone().unwrap();
    for key in [
        "format",
        "process",
        "schedule",
        "width",
        "train.weight_decay",
        "train.seed",
    ] {
        assert!(metadata.contains_key(key), "{key}");
    }
    let tensors = safetensors::SafeTensors::deserialize(&file).unwrap();
    assert_eq!(
        tensors.tensor("layers.0.weight").unwrap().shape(),
        &[16, 18]
    );
}

#[test]
fn same_seed_gives_the_same_bits_on_one_and_two_threads() {
    let world = World::new();
    world.train("a.safetensors", &["--threads", "1"]);
    let mut args = vec!["-q", "train", "--out", "b.safetensors", "--threads", "2"];
    args.extend(SMALL);
    let out = world.run_env(&args, &[("RAYON_NUM_THREADS", "2")]);
    assert!(out.status.success());
    let mut args = vec!["-q", "train", "--out", "c.safetensors", "--threads", "1"];
    args.extend(SMALL);
    let out = world.run_env(&args, &[("RAYON_NUM_THREADS", "1")]);
    assert!(out.status.success());
    let a = bytes(&world.path("a.safetensors"));
    assert!(a == bytes(&world.path("b.safetensors")), "1 vs 2 threads");
    assert!(
        a == bytes(&world.path("c.safetensors")),
        "RAYON_NUM_THREADS=1"
    );
    world.train("d.safetensors", &["--seed", "1"]);
    assert!(
        a != bytes(&world.path("d.safetensors")),
        "the seed changes the weights"
    );
    // Samples from the network: the same bits on 1 and 2 threads, and twice.
    let sample = |out: &str, threads: &str| {
        world.ok(&[
            "-q",
            "sample",
            "--score",
            "net",
            "--net",
            "a.safetensors",
            "--steps",
            "50",
            "--n-samples",
            "20",
            "--threads",
            threads,
            "--out",
            out,
        ])
    };
    let report = sample("s1.npy", "1");
    assert!(report.contains("learned score"), "{report}");
    sample("s2.npy", "2");
    assert_eq!(bytes(&world.path("s1.npy")), bytes(&world.path("s2.npy")));
}

#[test]
fn score_gives_score_mean_and_denoiser_of_the_network() {
    let world = World::new();
    world.train("net.safetensors", &[]);
    std::fs::write(world.path("q.csv"), "0.1,0.2\n-0.5,0.3\n1,1\n").unwrap();
    let mut values = Vec::new();
    let score = |what: &str, out: &str| {
        format!("score --score net --net net.safetensors --data q.csv --queries q.csv --t 0.3 --what {what} --out {out}")
    };
    for what in ["score", "denoiser", "mean"] {
        let out = format!("{what}.csv");
        world.ok(&words(&score(what, &out)));
        let text = std::fs::read_to_string(world.path(&out)).unwrap();
        let row: Vec<f64> = text
            .split([',', '\n'])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(row.len(), 6);
        values.push(row);
    }
    // s = −ε̂/σ_t at t = 0.3 of the linear VP schedule.
    let integral: f64 = 0.1 * 0.3 + 0.5 * 19.9 * 0.09;
    let sigma = (1.0f64 - (-integral).exp()).sqrt();
    for (s, e) in values[0].iter().zip(&values[1]) {
        assert!((s + e / sigma).abs() <= 1e-5 * (1.0 + s.abs()), "{s} {e}");
    }
    world.refused(&words(&score("weights", "w.csv")), "no posterior weights");
}

#[test]
fn pbm_trains_and_samples_a_learned_drift() {
    let world = World::new();
    world.train("drift.safetensors", &["--process", "pbm"]);
    let report = world.ok(&words(
        "-q sample --process pbm --score net --net drift.safetensors --steps 40 --n-samples 16 --out p.csv",
    ));
    assert!(report.contains("learned drift"), "{report}");
    std::fs::write(world.path("q.csv"), "0.1,0.2\n").unwrap();
    world.ok(&words(
        "score --process pbm --score net --net drift.safetensors --data q.csv --queries q.csv --t 0.5 --what drift --out u.csv",
    ));
    world.refused(
        &[
            "sample",
            "--score",
            "net",
            "--net",
            "drift.safetensors",
            "--out",
            "x.csv",
        ],
        "trained for pbm",
    );
}

#[test]
fn bad_networks_and_bad_sizes_are_refused_with_one_line() {
    let world = World::new();
    world.train("net.safetensors", &[]);
    let good = bytes(&world.path("net.safetensors"));
    std::fs::write(world.path("truncated.safetensors"), &good[..good.len() - 9]).unwrap();
    std::fs::write(
        world.path("garbage.safetensors"),
        b"not a tensor file at all",
    )
    .unwrap();
    // A valid safetensors file from elsewhere: no smoothscore metadata.
    let value = [0u8; 8];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &value).unwrap();
    let foreign = safetensors::serialize([("w", view)], None).unwrap();
    std::fs::write(world.path("foreign.safetensors"), foreign).unwrap();
    // NaN in the first weight of layer 0.
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&good[8..8 + header_len]).unwrap();
    let start = header["layers.0.weight"]["data_offsets"][0]
        .as_u64()
        .unwrap() as usize;
    let mut nan = good.clone();
    nan[8 + header_len + start..][..4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(world.path("nan.safetensors"), nan).unwrap();
    std::fs::write(world.path("d3.csv"), "0,0,0\n1,0,1\n0,1,1\n").unwrap();
    let sample = |net: &str| -> Vec<String> {
        [
            "sample", "--score", "net", "--net", net, "--steps", "10", "--out", "s.csv",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    for (net, needle) in [
        ("truncated.safetensors", "not a safetensors file"),
        ("garbage.safetensors", "not a safetensors file"),
        ("foreign.safetensors", "not a smoothscore network"),
        ("nan.safetensors", "non-finite"),
        ("missing.safetensors", "missing.safetensors"),
    ] {
        let args = sample(net);
        world.refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    }
    let with = |extra: &[&str]| -> Vec<String> {
        let mut args = sample("net.safetensors");
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    for (extra, needle) in [
        (&["--data", "d3.csv"][..], "d = 2, but the data has d = 3"),
        (&["--process", "ve"][..], "trained for vp-linear"),
        (
            &["--beta-max", "10"][..],
            "trained for vp-linear (β 0.1–20)",
        ),
    ] {
        let args = with(extra);
        world.refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    }
    world.refused(
        &["sample", "--score", "net", "--out", "s.csv"],
        "needs --net",
    );
    world.refused(
        &["sample", "--net", "net.safetensors", "--out", "s.csv"],
        "--score net only",
    );
    for (extra, needle) in [
        (
            &["--width", "0"][..],
            "'0' for '--width <WIDTH>': must be at least 1",
        ),
        (
            &["--depth", "0"][..],
            "'0' for '--depth <DEPTH>': must be at least 1",
        ),
        (&["--width", "100000"][..], "exceeds the host's capacity"),
        (
            &["--width", "4096", "--depth", "100000000"][..],
            "more than",
        ),
        (
            &["--steps", "0"][..],
            "'0' for '--steps <STEPS>': must be at least 1",
        ),
        (&["--batch", "1e3"][..], "(write 1000)"),
        (
            &["--activation", "tanh"][..],
            "[possible values: relu, silu]",
        ),
        (
            &["--lr-schedule", "cosin"][..],
            "a similar value exists: 'cosine'",
        ),
        (&["--lr", "-1"][..], "--lr"),
        (&["--validation-fraction", "1"][..], "--validation-fraction"),
        (&["--out", "net.csv"][..], ".safetensors"),
    ] {
        let mut args = vec!["train"];
        args.extend(extra);
        if !extra.contains(&"--out") {
            args.extend(["--out", "new.safetensors"]);
        }
        world.refused(&args, needle);
    }
}
