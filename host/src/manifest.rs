//! Run manifests: enough to reproduce a run bit for bit, and the check that it does.
//!
//! After a command that writes files succeeds, `<output>.manifest.json` records the exact
//! command line, the working folder, the tool's version and git revision, every parameter
//! (including defaults), the sha256 of every input (the built-in data set included) and of
//! every output. `smoothscore reproduce FILE.manifest.json` re-runs the command with its
//! outputs redirected to a temporary folder and reports whether every output has the same bits.

use crate::builtin::DEFAULT_2D_CSV;
use crate::cli::{Cli, Command};
use crate::cmd_data::{DataAction, DataArgs};
use crate::output::write_atomic;
use anyhow::{bail, Context, Result};
use clap::{CommandFactory, FromArgMatches};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The name recorded for the built-in default data set.
pub const BUILTIN_DEFAULT: &str = "builtin:default-2d";

/// The flag and path of one input or output file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileArg {
    /// The command-line flag that names it, e.g. `--out`.
    pub flag: &'static str,
    /// The path as given (or [`BUILTIN_DEFAULT`]).
    pub path: PathBuf,
}

/// The files a command reads and writes, or `None` for commands that write no file.
pub fn file_args(command: &Command) -> Option<(Vec<FileArg>, Vec<FileArg>)> {
    let arg = |flag, path: &Path| FileArg {
        flag,
        path: path.to_path_buf(),
    };
    match command {
        Command::Sample(args) => {
            let data = args.data.as_deref().unwrap_or(Path::new(BUILTIN_DEFAULT));
            let mut outputs = vec![arg("--out", &args.out)];
            if let Some(plot) = &args.plot {
                outputs.push(arg("--plot", plot));
            }
            if let Some(plot) = &args.plot_trajectories {
                outputs.push(arg("--plot-trajectories", plot));
            }
            Some((vec![arg("--data", data)], outputs))
        }
        Command::Score(args) => Some((
            vec![arg("--data", &args.data), arg("--queries", &args.queries)],
            vec![arg("--out", &args.out)],
        )),
        Command::Density(args) => Some((
            vec![arg(
                "--data",
                args.data.as_deref().unwrap_or(Path::new(BUILTIN_DEFAULT)),
            )],
            vec![arg("--out", &args.out)],
        )),
        Command::Data(DataArgs {
            action: DataAction::Generate(args),
        }) => Some((Vec::new(), vec![arg("--out", &args.out)])),
        _ => None,
    }
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_sha256(path: &Path) -> Result<String> {
    if path == Path::new(BUILTIN_DEFAULT) {
        return Ok(sha256_hex(DEFAULT_2D_CSV.as_bytes()));
    }
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

/// Every parameter of the parsed command line, defaults included, as `flag → value`.
fn parameters(argv: &[String]) -> Map<String, Value> {
    let mut map = Map::new();
    let Ok(matches) = Cli::command().try_get_matches_from(argv) else {
        return map;
    };
    if let Some((name, sub)) = matches.subcommand() {
        map.insert("command".into(), Value::String(name.into()));
        for id in sub.ids() {
            if let Ok(Some(values)) = sub.try_get_raw(id.as_str()) {
                let joined: Vec<String> =
                    values.map(|v| v.to_string_lossy().into_owned()).collect();
                map.insert(id.as_str().into(), Value::String(joined.join(",")));
            }
        }
    }
    map
}

/// The path of the manifest written beside `output`: `<output>.manifest.json`.
pub fn manifest_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

static ARGV: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Records the command line as run (after `--config` expansion) for the manifests.
pub fn set_argv(argv: Vec<String>) {
    let _ = ARGV.set(argv);
}

/// The command line recorded by [`set_argv`] (the process's arguments if none was).
pub fn argv() -> Vec<String> {
    ARGV.get()
        .cloned()
        .unwrap_or_else(|| std::env::args().collect())
}

/// Writes the manifest of a finished run beside its first output; returns its path.
pub fn write(argv: &[String], inputs: &[FileArg], outputs: &[FileArg]) -> Result<PathBuf> {
    let first = outputs
        .first()
        .context("a manifest needs at least one output")?;
    write_to(&manifest_path(&first.path), argv, inputs, outputs)
}

/// Writes the manifest of a finished run to `path` (an output folder's `manifest.json`).
/// Outputs with flag `--out-dir` are files inside the folder that flag names.
pub fn write_to(
    path: &Path,
    argv: &[String],
    inputs: &[FileArg],
    outputs: &[FileArg],
) -> Result<PathBuf> {
    let record = |files: &[FileArg]| -> Result<Vec<Value>> {
        files
            .iter()
            .map(|f| {
                Ok(json!({
                    "flag": f.flag,
                    "path": f.path.to_string_lossy(),
                    "sha256": file_sha256(&f.path)?,
                }))
            })
            .collect()
    };
    let parameters = parameters(argv);
    let manifest = json!({
        "tool": "smoothscore",
        "version": env!("CARGO_PKG_VERSION"),
        "git_revision": option_env!("SMOOTHSCORE_GIT_REVISION").unwrap_or("unknown"),
        "argv": argv,
        "cwd": std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default(),
        "seed": parameters
            .get("seed")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
            .map_or(Value::Null, Value::from),
        "parameters": parameters,
        "inputs": record(inputs)?,
        "outputs": record(outputs)?,
    });
    let text = serde_json::to_string_pretty(&manifest).context("cannot format the manifest")?;
    write_atomic(path, text.as_bytes())?;
    Ok(path.to_path_buf())
}

/// Re-runs the command of `manifest_file` with outputs in a temporary folder and compares
/// their sha256 with the recorded ones. Returns the report; an error when inputs changed or
/// any output differs.
pub fn reproduce(manifest_file: &Path) -> Result<String> {
    let text = std::fs::read_to_string(manifest_file)
        .with_context(|| format!("cannot read {}", manifest_file.display()))?;
    let manifest: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON manifest", manifest_file.display()))?;
    let strings = |key: &str| -> Result<Vec<String>> {
        manifest[key]
            .as_array()
            .with_context(|| format!("{}: no '{key}' list", manifest_file.display()))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .context("argv entries must be strings")
            })
            .collect()
    };
    let mut argv = strings("argv")?;
    let recorded_cwd = manifest["cwd"].as_str().map(PathBuf::from);
    let base = match recorded_cwd {
        Some(cwd) if cwd.is_dir() => cwd,
        _ => manifest_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    for input in manifest["inputs"].as_array().into_iter().flatten() {
        let path = input["path"].as_str().unwrap_or_default();
        let resolved = if path == BUILTIN_DEFAULT {
            PathBuf::from(path)
        } else {
            base.join(path)
        };
        let expected = input["sha256"].as_str().unwrap_or_default();
        let actual = file_sha256(&resolved)?;
        if actual != expected {
            bail!("input {path} has changed since the run (sha256 {actual}, recorded {expected})");
        }
        if let Some(position) = argv.iter().position(|a| a == path) {
            if path != BUILTIN_DEFAULT {
                argv[position] = resolved.to_string_lossy().into_owned();
            }
        }
    }
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let mut expected_outputs = Vec::new();
    for (index, output) in manifest["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let flag = output["flag"].as_str().unwrap_or_default();
        let path = output["path"].as_str().unwrap_or_default();
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_owned())
            .unwrap_or_default();
        let redirected = if flag == "--out-dir" {
            let folder = scratch.path().join("out-dir");
            let folder_text = folder.to_string_lossy().into_owned();
            match argv.iter().position(|a| a == flag) {
                Some(position) if position + 1 < argv.len() => argv[position + 1] = folder_text,
                _ => argv.extend([flag.to_owned(), folder_text]),
            }
            folder.join(name)
        } else {
            let redirected = scratch
                .path()
                .join(format!("{index}-{}", name.to_string_lossy()));
            let redirected_text = redirected.to_string_lossy().into_owned();
            match argv.windows(2).position(|w| w[0] == flag && w[1] == path) {
                Some(position) => argv[position + 1] = redirected_text,
                None => argv.extend([flag.to_owned(), redirected_text]),
            }
            redirected
        };
        expected_outputs.push((
            path.to_owned(),
            redirected,
            output["sha256"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let matches = Cli::command()
        .try_get_matches_from(&argv)
        .context("the recorded command line no longer parses")?;
    let cli =
        Cli::from_arg_matches(&matches).context("the recorded command line no longer parses")?;
    crate::cli::run(cli)?;
    let mut differing = Vec::new();
    for (path, redirected, expected) in &expected_outputs {
        if file_sha256(redirected)? != *expected {
            differing.push(path.clone());
        }
    }
    let total = expected_outputs.len();
    if !differing.is_empty() {
        bail!(
            "bits differ: {} of {total} outputs ({})",
            differing.len(),
            differing.join(", ")
        );
    }
    Ok(format!(
        "bit match: {total}/{total} outputs identical to {}",
        manifest_file.display()
    ))
}
