//! Run manifests: enough to reproduce a run bit for bit, and the check that it does.
//!
//! After a command that writes files succeeds, `<output>.manifest.json` records the exact
//! command line, the working folder, the tool's version and git revision, every parameter
//! (including defaults), the sha256 of every input (the built-in data set included) and of
//! every output. `smoothscore reproduce FILE.manifest.json` re-runs the command with its
//! outputs redirected to a temporary folder and reports whether every output has the same bits.

use crate::cli::{Cli, Command};
use crate::commands::data::{DataAction, DataArgs};
use crate::data::builtin::DEFAULT_2D_CSV;
use crate::io::output::write_atomic;
use anyhow::{bail, Context, Result};
use clap::{CommandFactory, Parser};
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

/// What a command does with the file a path-valued flag names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The command reads the file.
    Input,
    /// The command writes the file.
    Output,
    /// The command writes files inside the folder.
    OutputFolder,
}

/// The value of a path-valued flag, borrowed so that `reproduce` can redirect it.
#[derive(Debug)]
pub enum PathValue<'a> {
    /// A flag the command requires.
    Required(&'a mut PathBuf),
    /// An optional flag, with the path the command uses when it is absent (if any).
    Optional(&'a mut Option<PathBuf>, Option<PathBuf>),
}

impl PathValue<'_> {
    /// The path the command uses: the given one, else the default.
    pub fn effective(&self) -> Option<PathBuf> {
        match self {
            PathValue::Required(path) => Some(path.to_path_buf()),
            PathValue::Optional(path, default) => (**path).clone().or_else(|| default.clone()),
        }
    }

    /// Whether the command line gives the flag.
    pub fn is_given(&self) -> bool {
        match self {
            PathValue::Required(_) => true,
            PathValue::Optional(path, _) => path.is_some(),
        }
    }

    /// Makes the command use `path`.
    pub fn set(&mut self, path: PathBuf) {
        match self {
            PathValue::Required(value) => **value = path,
            PathValue::Optional(value, _) => **value = Some(path),
        }
    }
}

/// One path-valued flag of a parsed command.
#[derive(Debug)]
pub struct PathFlag<'a> {
    /// The long flag, e.g. `--out`.
    pub flag: &'static str,
    /// Whether the command reads or writes it.
    pub role: Role,
    /// Its value.
    pub value: PathValue<'a>,
}

/// Every path-valued flag of the commands that write output files (`sample`, `score`,
/// `density`, `data generate`, `experiment`), or `None` for the commands that write none
/// (`reproduce`, `bench`, `crosscheck`, `eval`, `data list|describe`, `completions`,
/// `manpage`) and for `concat`, which only joins files and records no manifest. Exhaustive over [`Command`], so a new command has to be classified here; the
/// test `every_path_flag_is_classified` checks that no path-valued flag is missed.
pub fn path_flags(command: &mut Command) -> Option<Vec<PathFlag<'_>>> {
    use PathValue::{Optional, Required};
    let flag = |flag, role, value| PathFlag { flag, role, value };
    let builtin = || Some(PathBuf::from(BUILTIN_DEFAULT));
    Some(match command {
        Command::Sample(args) => vec![
            flag("--data", Role::Input, Optional(&mut args.data, builtin())),
            flag("--out", Role::Output, Required(&mut args.out)),
            flag("--plot", Role::Output, Optional(&mut args.plot, None)),
            flag(
                "--plot-trajectories",
                Role::Output,
                Optional(&mut args.plot_trajectories, None),
            ),
        ],
        Command::Score(args) => vec![
            flag("--data", Role::Input, Required(&mut args.data)),
            flag("--queries", Role::Input, Required(&mut args.queries)),
            flag("--out", Role::Output, Required(&mut args.out)),
        ],
        Command::Density(args) => vec![
            flag("--data", Role::Input, Optional(&mut args.data, builtin())),
            flag("--out", Role::Output, Required(&mut args.out)),
        ],
        Command::Data(DataArgs { action }) => match action {
            DataAction::Generate(args) => {
                let mnist = (args.name == "mnist").then(|| {
                    crate::experiment::sources::mnist_dir().join("train-images-idx3-ubyte.gz")
                });
                vec![
                    flag(
                        "--mnist",
                        Role::Input,
                        Optional(&mut args.options.mnist, mnist),
                    ),
                    flag("--out", Role::Output, Required(&mut args.out)),
                ]
            }
            DataAction::List(_) | DataAction::Describe(_) => return None,
        },
        Command::Experiment(args) => {
            let folder = Some(PathBuf::from("experiments").join(args.which.name()));
            vec![
                flag(
                    "--out-dir",
                    Role::OutputFolder,
                    Optional(&mut args.out_dir, folder),
                ),
                flag("--plot", Role::Output, Optional(&mut args.plot, None)),
            ]
        }
        Command::Crosscheck(_)
        | Command::Eval(_)
        | Command::Concat(_)
        | Command::Reproduce(_)
        | Command::Bench(_)
        | Command::Completions(_)
        | Command::Manpage => return None,
    })
}

/// The files a command reads and writes, for the manifest `main` writes beside the first
/// output; `None` for commands that write no file and for `experiment` (which writes its own
/// `manifest.json` into its output folder).
pub fn file_args(command: &mut Command) -> Option<(Vec<FileArg>, Vec<FileArg>)> {
    if matches!(command, Command::Experiment(_)) {
        return None;
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for PathFlag { flag, role, value } in path_flags(command)? {
        let Some(path) = value.effective() else {
            continue;
        };
        let file = FileArg { flag, path };
        match role {
            Role::Input => inputs.push(file),
            Role::Output | Role::OutputFolder => outputs.push(file),
        }
    }
    Some((inputs, outputs))
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

/// Largest manifest `reproduce` reads (a run's manifest is a few KiB).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// One file of a manifest's `inputs` or `outputs` list.
struct Listed {
    flag: String,
    path: String,
    sha256: String,
}

/// The `key` list of a manifest: flag, path and sha256 of each file.
fn listed(manifest: &Value, key: &str, file: &Path) -> Result<Vec<Listed>> {
    let field = |entry: &Value, name: &str| -> Result<String> {
        entry[name].as_str().map(str::to_owned).with_context(|| {
            format!(
                "{}: every '{key}' entry needs a '{name}' string",
                file.display()
            )
        })
    };
    manifest[key]
        .as_array()
        .with_context(|| format!("{}: no '{key}' list", file.display()))?
        .iter()
        .map(|entry| {
            Ok(Listed {
                flag: field(entry, "flag")?,
                path: field(entry, "path")?,
                sha256: field(entry, "sha256")?,
            })
        })
        .collect()
}

/// Fails unless `path` (symbolic links followed) is a regular file: a manifest is untrusted,
/// and a device or pipe (`/dev/zero`, a FIFO) would be read without end.
fn require_regular_file(path: &Path) -> Result<()> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !metadata.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    Ok(())
}

/// Parses a recorded command line with the CLI's own definition; clap's error in one line.
fn parse_recorded(argv: &[String], file: &Path) -> Result<Cli> {
    Cli::try_parse_from(argv).map_err(|error| {
        let rendered = error.render().to_string();
        let first = rendered.lines().next().unwrap_or_default();
        anyhow::anyhow!(
            "{}: the recorded command line does not parse: {}",
            file.display(),
            first.trim_start_matches("error: ")
        )
    })
}

/// The name of the parsed command, for messages.
fn command_name(argv: &[String]) -> String {
    argv.iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .cloned()
        .unwrap_or_default()
}

/// Every file under `folder`, recursively.
fn files_under(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
        {
            let path = entry
                .with_context(|| format!("cannot list {}", dir.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    Ok(files)
}

/// Re-runs the command of `manifest_file` with outputs in a temporary folder and compares
/// their sha256 with the recorded ones. Returns the report; an error when inputs changed or
/// any output differs.
///
/// The manifest is untrusted input. Its command line is parsed with the CLI's own definition
/// and must be one of the commands that write output files (see [`path_flags`]); every
/// output-writing flag must name a path listed in `outputs`, and all of them are rewritten
/// into the temporary folder, so nothing is written outside it; the run must write no file
/// the manifest does not list. Every input must be a regular file listed in `inputs` with its
/// recorded sha256. The temporary folder is removed on return.
pub fn reproduce(manifest_file: &Path) -> Result<String> {
    let name = manifest_file.display();
    require_regular_file(manifest_file)?;
    let mut text = String::new();
    std::fs::File::open(manifest_file)
        .and_then(|file| {
            use std::io::Read;
            file.take(MAX_MANIFEST_BYTES + 1).read_to_string(&mut text)
        })
        .with_context(|| format!("cannot read {name}"))?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        bail!("{name}: larger than {MAX_MANIFEST_BYTES} bytes, not a run manifest");
    }
    let manifest: Value =
        serde_json::from_str(&text).with_context(|| format!("{name}: not a JSON manifest"))?;
    let argv: Vec<String> = manifest["argv"]
        .as_array()
        .with_context(|| format!("{name}: no 'argv' list"))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .with_context(|| format!("{name}: argv entries must be strings"))
        })
        .collect::<Result<_>>()?;
    let mut cli = parse_recorded(&argv, manifest_file)?;
    if cli.config.is_some() {
        bail!(
            "{name}: a recorded command line cannot use --config (it records the expanded options)"
        );
    }
    let inputs = listed(&manifest, "inputs", manifest_file)?;
    let outputs = listed(&manifest, "outputs", manifest_file)?;
    let base = match manifest["cwd"].as_str().map(PathBuf::from) {
        Some(cwd) if cwd.is_dir() => cwd,
        _ => manifest_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let command = command_name(&argv);
    let Some(flags) = path_flags(&mut cli.command) else {
        bail!(
            "{name}: `{command}` writes no output file; a manifest can only re-run sample, score, density, data generate or experiment"
        );
    };
    for input in &inputs {
        let resolved = if input.path == BUILTIN_DEFAULT {
            PathBuf::from(BUILTIN_DEFAULT)
        } else {
            let resolved = base.join(&input.path);
            require_regular_file(&resolved)?;
            resolved
        };
        let actual = file_sha256(&resolved)?;
        if actual != input.sha256 {
            bail!(
                "input {} has changed since the run (sha256 {actual}, recorded {})",
                input.path,
                input.sha256
            );
        }
    }
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let mut matched = vec![false; outputs.len()];
    let mut expected_outputs = Vec::new();
    for (
        index,
        PathFlag {
            flag,
            role,
            mut value,
        },
    ) in flags.into_iter().enumerate()
    {
        let Some(path) = value.effective() else {
            continue;
        };
        match role {
            Role::Input => {
                if !inputs
                    .iter()
                    .any(|i| i.flag == flag && Path::new(&i.path) == path)
                {
                    bail!(
                        "{name}: input {flag} {} is not among the manifest's inputs",
                        path.display()
                    );
                }
                if value.is_given() {
                    let resolved = base.join(&path);
                    require_regular_file(&resolved)?;
                    value.set(resolved);
                }
            }
            Role::Output => {
                let Some(position) = outputs
                    .iter()
                    .position(|o| o.flag == flag && Path::new(&o.path) == path)
                else {
                    bail!(
                        "{name}: output {flag} {} is not among the manifest's outputs",
                        path.display()
                    );
                };
                matched[position] = true;
                let file = path
                    .file_name()
                    .map_or_else(|| "output".to_owned(), |n| n.to_string_lossy().into_owned());
                let redirected = scratch.path().join(format!("{index}-{file}"));
                value.set(redirected.clone());
                expected_outputs.push((
                    outputs[position].path.clone(),
                    redirected,
                    outputs[position].sha256.clone(),
                ));
            }
            Role::OutputFolder => {
                let folder = scratch.path().join("out-dir");
                for (position, output) in outputs.iter().enumerate() {
                    if output.flag != flag {
                        continue;
                    }
                    let listed = Path::new(&output.path);
                    let (Some(parent), Some(file)) = (listed.parent(), listed.file_name()) else {
                        bail!("{name}: output {flag} {} is not a file name", output.path);
                    };
                    if parent != path {
                        bail!(
                            "{name}: output {} is not inside {flag} {}",
                            output.path,
                            path.display()
                        );
                    }
                    matched[position] = true;
                    expected_outputs.push((
                        output.path.clone(),
                        folder.join(file),
                        output.sha256.clone(),
                    ));
                }
                if !outputs.iter().any(|o| o.flag == flag) {
                    bail!(
                        "{name}: the manifest's outputs list no file of {flag} {}",
                        path.display()
                    );
                }
                value.set(folder);
            }
        }
    }
    if let Some(position) = matched.iter().position(|m| !m) {
        let output = &outputs[position];
        bail!(
            "{name}: output {} {} is listed but the command line does not write it",
            output.flag,
            output.path
        );
    }
    crate::cli::run(cli)?;
    let experiment_manifest = scratch.path().join("out-dir").join("manifest.json");
    for file in files_under(scratch.path())? {
        if file != experiment_manifest && !expected_outputs.iter().any(|(_, r, _)| *r == file) {
            bail!(
                "{name}: the run wrote {}, which the manifest does not list",
                file.strip_prefix(scratch.path()).unwrap_or(&file).display()
            );
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each leaf command with the least command line that parses, and whether it writes files
    /// (so `reproduce` accepts it). A new command fails `every_path_flag_is_classified` until
    /// it is listed here.
    const LEAVES: [(&str, &[&str], bool); 17] = [
        ("sample", &[], true),
        ("score", &["--t", "0.1"], true),
        ("density", &["--t", "0.1"], true),
        ("data generate", &["two-moons"], true),
        ("experiment interpolation", &[], true),
        ("experiment memorization", &[], true),
        ("experiment variance", &[], true),
        ("experiment pbm", &[], true),
        ("data list", &[], false),
        ("data describe", &[], false),
        ("crosscheck", &[], false),
        ("eval", &[], false),
        ("concat", &[], false),
        ("reproduce", &[], false),
        ("bench", &[], false),
        ("completions", &["bash"], false),
        ("manpage", &[], false),
    ];

    /// Every leaf command path with its path-valued arguments (long flags, or ids of
    /// positionals), from the CLI's own definition.
    fn path_arguments() -> Vec<(String, Vec<(String, bool)>)> {
        fn walk(command: &clap::Command, path: &str, out: &mut Vec<(String, Vec<(String, bool)>)>) {
            if command.has_subcommands() {
                for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                    let name = sub.get_name();
                    let path = if path.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{path} {name}")
                    };
                    walk(sub, &path, out);
                }
                return;
            }
            let path_type = clap::builder::ValueParser::path_buf().type_id();
            let flags = command
                .get_arguments()
                .filter(|a| a.get_value_parser().type_id() == path_type)
                .filter(|a| a.get_id() != "config")
                .map(|a| match a.get_long() {
                    Some(long) => (format!("--{long}"), true),
                    None => (a.get_id().to_string(), false),
                })
                .collect();
            out.push((path.to_owned(), flags));
        }
        let mut command = Cli::command();
        command.build();
        let mut out = Vec::new();
        walk(&command, "", &mut out);
        out
    }

    #[test]
    fn every_path_flag_is_classified() {
        let leaves = path_arguments();
        assert_eq!(leaves.len(), LEAVES.len(), "{leaves:?}");
        let mut checked = 0;
        for (path, flags) in leaves {
            let (_, least, writes) = LEAVES
                .iter()
                .find(|(name, _, _)| *name == path)
                .unwrap_or_else(|| panic!("`{path}` is not classified in LEAVES"));
            let mut argv: Vec<String> = std::iter::once("smoothscore")
                .chain(path.split(' '))
                .chain(least.iter().copied())
                .map(str::to_owned)
                .collect();
            for (index, (flag, long)) in flags.iter().enumerate() {
                if *long {
                    argv.push(flag.clone());
                }
                argv.push(format!("p{index}.csv"));
            }
            let mut cli = Cli::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"));
            match path_flags(&mut cli.command) {
                Some(classified) => {
                    assert!(writes, "`{path}` writes no file but is accepted");
                    let mut seen: Vec<String> = classified
                        .iter()
                        .filter(|f| f.value.is_given())
                        .map(|f| f.flag.to_owned())
                        .collect();
                    let mut expected: Vec<String> =
                        flags.iter().map(|(flag, _)| flag.clone()).collect();
                    seen.sort();
                    expected.sort();
                    assert_eq!(seen, expected, "path flags of `{path}`");
                    assert!(classified.iter().any(|f| f.role != Role::Input));
                }
                None => assert!(!writes, "`{path}` writes files but is refused"),
            }
            checked += 1;
        }
        assert_eq!(checked, LEAVES.len());
    }
}
