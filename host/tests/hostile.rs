//! Hostile and careless inputs (issue #21 items 2–7, issue #24 items 3–6), each run through the
//! binary as a user would. Every refused case must give one line naming the problem, a non-zero
//! exit (no panic, no abort, no signal), and leave the whole test folder exactly as it was:
//! no file changed or added outside the run's scratch folder, the inputs intact, no temporary
//! file left. The cases that must succeed (BOM, delimiters, modes, links) check their result.

#[path = "common/tree.rs"]
mod tree;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test's folder: `work/` (the working folder, with the inputs) and `tmp/` (the child's
/// TMPDIR: `reproduce`'s scratch folder, the only place a run may leave changes).
struct World {
    root: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let root = tempfile::tempdir().unwrap();
        for folder in ["work", "tmp", "work/sub"] {
            std::fs::create_dir(root.path().join(folder)).unwrap();
        }
        let world = World { root };
        world.write("d.csv", "0,0\n1,0\n0,1\n1,1\n0.5,0.5\n");
        world.write("q.csv", "0.1,0.2\n0.3,0.4\n");
        world
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join("work").join(relative)
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.path(relative), contents).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_smoothscore"));
        command
            .current_dir(self.path(""))
            .env("TMPDIR", self.root.path().join("tmp"))
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }

    /// Every entry under the world except `tmp/` ([`tree::snapshot`]).
    fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        tree::snapshot(self.root.path(), &self.root.path().join("tmp"))
    }

    /// Runs `args`, which must be refused with one line containing every needle, and must
    /// leave the world unchanged.
    fn refused(&self, args: &[&str], needles: &[&str]) -> String {
        self.refused_with(&mut self.command(args), args, needles)
    }

    fn refused_with(&self, command: &mut Command, args: &[&str], needles: &[&str]) -> String {
        let before = self.snapshot();
        let output = command.output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.signal(),
            None,
            "{args:?}: killed by a signal: {stderr}"
        );
        let code = output.status.code().unwrap();
        assert!(
            code == 1 || code == 2,
            "{args:?}: exit {code} (want 1 or 2): {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {stderr}"
        );
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: '{needle}' not in {stderr}"
            );
        }
        assert_eq!(self.snapshot(), before, "{args:?} changed the folder");
        stderr
    }

    fn succeeds(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

const SMALL: [&str; 4] = ["--n-samples", "3", "--steps", "4"];

fn with(base: &[&'static str], extra: &[&'static str]) -> Vec<&'static str> {
    base.iter().chain(extra).copied().collect()
}

#[test]
fn item_2_an_output_that_is_an_input_is_refused() {
    let world = World::new();
    world.succeeds(&[
        "data",
        "generate",
        "two-moons",
        "--n",
        "20",
        "--out",
        "x.npy",
    ]);
    std::fs::hard_link(world.path("d.csv"), world.path("hard.csv")).unwrap();
    std::os::unix::fs::symlink("d.csv", world.path("soft.csv")).unwrap();
    let score = [
        "score",
        "--data",
        "d.csv",
        "--queries",
        "q.csv",
        "--t",
        "0.1",
    ];
    for out in ["d.csv", "q.csv", "hard.csv", "soft.csv", "sub/../d.csv"] {
        world.refused(
            &[&score[..], &["--out", out]].concat(),
            &["refusing to overwrite an input"],
        );
    }
    world.refused(
        &with(&["sample", "--data", "x.npy", "--out", "x.npy"], &SMALL),
        &["--out x.npy is the input --data x.npy"],
    );
    world.refused(
        &with(
            &[
                "sample",
                "--out",
                "s.csv",
                "--plot",
                "p.png",
                "--plot-trajectories",
                "sub/../p.png",
            ],
            &SMALL,
        ),
        &["are the same file"],
    );
}

#[test]
fn item_3_sizes_threads_and_endless_inputs_are_bounded() {
    let world = World::new();
    world.refused(
        &["sample", "--n-samples", "1000000000000"],
        &["--n-samples 1000000000000", "needs", "TiB"],
    );
    world.refused(
        &[
            "data",
            "generate",
            "two-moons",
            "--n",
            "1000000000000",
            "--out",
            "g.csv",
        ],
        &["--n 1000000000000 needs"],
    );
    world.refused(
        &["density", "--t", "0.1", "--grid", "1000000"],
        &["--grid 1000000", "needs"],
    );
    let mut limited = world.command(&with(
        &["sample", "--n-samples", "100000"],
        &["--steps", "1"],
    ));
    limited.env("SMOOTHSCORE_MEMORY_LIMIT", "1M");
    world.refused_with(
        &mut limited,
        &["sample", "--n-samples", "100000", "(limit 1M)"],
        &["needs", "SMOOTHSCORE_MEMORY_LIMIT"],
    );
    world.refused(
        &["sample", "--threads", "1000000"],
        &["--threads", "at most 1024"],
    );
    std::os::unix::fs::symlink("/dev/zero", world.path("zero.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", world.path("random.npy")).unwrap();
    let fifo = world.path("fifo.csv");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    world.refused(&["sample", "--data", "zero.csv"], &["zero.csv", "a device"]);
    world.refused(&["sample", "--data", "random.npy"], &["a device"]);
    world.refused(&["sample", "--data", "fifo.csv"], &["fifo.csv", "a FIFO"]);
    world.refused(&["sample", "--data", "sub"], &["sub", "a folder"]);
    world.refused(&["data", "describe", "zero.csv"], &["a device"]);
    let tables: String = (0..2_000_000).map(|i| format!("[t{i}]\n")).collect();
    world.write("tables.toml", tables);
    world.refused(
        &["sample", "--config", "tables.toml"],
        &["tables.toml", "larger than the", "cap"],
    );
    world.write("table.toml", "[seed]\nx = 1\n");
    world.refused(
        &["sample", "--config", "table.toml"],
        &["option 'seed'", "table values are not options"],
    );
}

/// Starts `sample` writing a large CSV, waits until its temporary file exists, sends `signal`,
/// and checks that the run died of it and left neither the temporary file nor the output.
fn interrupt_a_long_write(signal: &str, number: i32) {
    let world = World::new();
    let before = world.snapshot();
    let mut child = world
        .command(&[
            "sample",
            "--n-samples",
            "3000000",
            "--steps",
            "1",
            "--threads",
            "1",
            "--out",
            "big.csv",
        ])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temporary = |world: &World| {
        std::fs::read_dir(world.path(""))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".smoothscore-"))
    };
    let start = std::time::Instant::now();
    while !temporary(&world) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before its temporary file appeared");
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "no temporary file after 300 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(number), "{status}");
    assert!(
        !temporary(&world),
        "a temporary file is left after {signal}"
    );
    assert_eq!(world.snapshot(), before, "{signal} left a file");
}

#[test]
fn item_4_sigterm_during_a_write_leaves_no_temporary_file() {
    interrupt_a_long_write("-TERM", 15);
}

#[test]
fn item_4_sigint_during_a_write_leaves_no_temporary_file() {
    interrupt_a_long_write("-INT", 2);
}

#[test]
fn item_5_a_bom_is_skipped_and_a_first_row_with_a_number_is_data() {
    let world = World::new();
    world.write("bom.csv", b"\xef\xbb\xbf1,2\n3,4\n");
    let described = world.succeeds(&["data", "describe", "bom.csv"]);
    assert!(described.contains("N = 2, d = 2"), "{described}");
    world.write("typo.csv", "1,2x\n3,4\n");
    world.refused(
        &["data", "describe", "typo.csv"],
        &["typo.csv: line 1: column 2: '2x' is not a number"],
    );
    world.refused(
        &with(&["sample", "--data", "typo.csv", "--out", "s.csv"], &SMALL),
        &["line 1", "'2x'"],
    );
    world.write("header.csv", "x,y\n1,2\n3,4\n");
    let described = world.succeeds(&["data", "describe", "header.csv"]);
    assert!(described.contains("N = 2, d = 2"), "{described}");
}

#[test]
fn item_5_tab_and_semicolon_files_are_read_and_tsv_is_written() {
    let world = World::new();
    world.write("tab.csv", "x\ty\n1\t2\n3\t4\n5\t6\n");
    world.write("semi.csv", "1;2\n3;4\n");
    world.write("tab.tsv", "1\t2\n3\t4\n");
    for file in ["tab.csv", "semi.csv", "tab.tsv"] {
        let described = world.succeeds(&["data", "describe", file]);
        assert!(described.contains("d = 2"), "{file}: {described}");
    }
    let described = world.succeeds(&["data", "describe", "tab.csv"]);
    assert!(described.contains("N = 3"), "{described}");
    world.refused(
        &["data", "describe", "semi.csv", "--delimiter", "comma"],
        &["line 2", "'3;4' is not a number"],
    );
    world.succeeds(&[
        "data",
        "generate",
        "two-moons",
        "--n",
        "4",
        "--out",
        "g.tsv",
    ]);
    let text = std::fs::read_to_string(world.path("g.tsv")).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(text.lines().all(|l| l.split('\t').count() == 2), "{text}");
}

#[test]
fn item_6_a_late_failure_writes_no_output() {
    let world = World::new();
    world.refused(
        &with(
            &["sample", "--out", "s.csv", "--plot", "nodir/p.png"],
            &SMALL,
        ),
        &["nodir/p.png", "does not exist"],
    );
    world.refused(
        &with(
            &["sample", "--out", "s.csv", "--plot-trajectories", "sub"],
            &SMALL,
        ),
        &["sub"],
    );
    world.refused(
        &with(&["sample", "--out", "/dev/null"], &SMALL),
        &["/dev/null", "not a regular file"],
    );
    world.refused(
        &with(
            &[
                "sample",
                "--out",
                "s.csv",
                "--plot",
                "p.svg",
                "--process",
                "pbm",
            ],
            &["--plot-trajectories", "t.png"],
        ),
        &["not pbm"],
    );
}

#[test]
fn item_6_outputs_get_the_mode_a_normal_write_gives_and_links_stay_links() {
    let world = World::new();
    let run = |umask: &str, args: &str| {
        let status = Command::new("sh")
            .current_dir(world.path(""))
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" {args}",))
            .arg(env!("CARGO_BIN_EXE_smoothscore"))
            .env("TMPDIR", world.root.path().join("tmp"))
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    let mode = |file: &str| {
        std::fs::metadata(world.path(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    run(
        "002",
        "sample --n-samples 3 --steps 4 --out a.csv --plot a.svg",
    );
    assert_eq!(mode("a.csv"), 0o664);
    assert_eq!(mode("a.svg"), 0o664);
    assert_eq!(mode("a.csv.manifest.json"), 0o664);
    run("022", "sample --n-samples 3 --steps 4 --out b.npy");
    assert_eq!(mode("b.npy"), 0o644);
    std::fs::set_permissions(world.path("a.csv"), std::fs::Permissions::from_mode(0o640)).unwrap();
    run("022", "sample --n-samples 3 --steps 4 --seed 1 --out a.csv");
    assert_eq!(mode("a.csv"), 0o640, "an existing file keeps its mode");
    std::fs::write(world.path("real.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("real.csv", world.path("link.csv")).unwrap();
    run("022", "sample --n-samples 3 --steps 4 --out link.csv");
    let link = std::fs::symlink_metadata(world.path("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let written = std::fs::read_to_string(world.path("real.csv")).unwrap();
    assert_eq!(
        written.lines().count(),
        3,
        "the link's target holds the samples"
    );
}

#[test]
fn item_7_minor_cases_get_precise_lines() {
    let world = World::new();
    world.succeeds(&[
        "data",
        "generate",
        "two-moons",
        "--n",
        "4",
        "--out",
        "x.npy",
    ]);
    let mut trailing = std::fs::read(world.path("x.npy")).unwrap();
    trailing.extend_from_slice(&[0, 0, 0, 0]);
    world.write("trailing.npy", &trailing);
    world.refused(
        &["data", "describe", "trailing.npy"],
        &["trailing.npy", "4 bytes after the data"],
    );
    let original = std::fs::read(world.path("x.npy")).unwrap();
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), 'shape': (2, 2), }\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&original[original.len() - 32..]);
    world.write("doubled.npy", &bytes);
    world.refused(
        &["data", "describe", "doubled.npy"],
        &["repeats the key 'shape'"],
    );
    world.refused(
        &[
            "eval",
            "--samples",
            "q.csv",
            "--train",
            "d.csv",
            "--radius",
            "NaN",
        ],
        &["--radius", "NaN"],
    );
    world.refused(
        &["density", "--t", "0.1", "--margin", "-100"],
        &["--margin", "-100"],
    );
    world.write("seed.toml", "seed = \"x\"\n");
    world.refused(
        &["sample", "--config", "seed.toml", "--seed", "3"],
        &["seed.toml: option 'seed'", "invalid value 'x'"],
    );
    world.write("syntax.toml", "seed = 1\nsteps = [\n");
    world.refused(
        &["sample", "--config", "syntax.toml"],
        &["syntax.toml", "line "],
    );
    world.write("bad-images-idx3-ubyte", "not idx");
    let line = world.refused(
        &["data", "describe", "bad-images-idx3-ubyte"],
        &["not an IDX file"],
    );
    assert_eq!(line.matches("bad-images-idx3-ubyte").count(), 1, "{line}");
    world.refused(
        &["sample", "--steps", "1000000000"],
        &["'1000000000' for '--steps", "at most 1000000"],
    );
    world.refused(
        &["sample", "--steps", "1e9"],
        &[
            "'1e9' for '--steps",
            "not a whole number",
            "write 1000000000",
        ],
    );
    world.refused(
        &["sample", "--steps", "0"],
        &["'0' for '--steps", "must be at least 1"],
    );
    world.refused(
        &["score", "--data", "d.csv"],
        &["--queries <QUERIES>", "--t <T>", "--out <OUT>"],
    );
    world.refused(&["sample", "--nsamples", "3"], &["'--n-samples'"]);
    world.write(
        "m.json",
        serde_json::json!({
            "argv": ["smoothscore", "sample", "--nsamples", "3"],
            "inputs": [],
            "outputs": [],
        })
        .to_string(),
    );
    world.refused(
        &["reproduce", "m.json"],
        &["does not parse", "'--n-samples'"],
    );
}

#[test]
fn issue_24_item_6_wording_of_folders_and_output_formats() {
    let world = World::new();
    world.refused(
        &["sample", "--data", "sub"],
        &["sub: a folder, not a data file"],
    );
    let line = world.refused(
        &["sample", "--out", "x.txt"],
        &["x.txt", "unknown output format"],
    );
    assert!(!line.contains("IDX"), "{line}");
    world.refused(
        &["data", "generate", "two-moons", "--out", "x-idx3-ubyte"],
        &["unknown output format"],
    );
    assert!(Path::new(&world.path("d.csv")).exists());
}
