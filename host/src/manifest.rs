//! Run manifests: enough to reproduce a run bit for bit, and the check that it does.
//!
//! After a command that writes files succeeds, `<output>.manifest.json` records the exact
//! command line, the working folder, the tool's version and git revision, every parameter
//! (including defaults), the sha256 of every input (the built-in data set included) and of
//! every output. `smoothscore reproduce FILE.manifest.json` re-runs the command with its
//! outputs redirected to a temporary folder and reports whether every output has the same bits
//! ([`reproduce`], generic over the CLI through [`Recorded`], so this module knows no command).

use crate::data::builtin::{BUILTIN_DEFAULT, DEFAULT_2D_CSV};
use crate::io::output::write_atomic;
use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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

impl<'a> PathFlag<'a> {
    /// A file the command reads.
    pub fn input(flag: &'static str, value: PathValue<'a>) -> Self {
        PathFlag {
            flag,
            role: Role::Input,
            value,
        }
    }

    /// A file the command writes.
    pub fn output(flag: &'static str, value: PathValue<'a>) -> Self {
        PathFlag {
            flag,
            role: Role::Output,
            value,
        }
    }

    /// A folder the command writes files into.
    pub fn output_folder(flag: &'static str, value: PathValue<'a>) -> Self {
        PathFlag {
            flag,
            role: Role::OutputFolder,
            value,
        }
    }
}

/// The inputs and outputs a manifest records for `flags` (absent optional flags with no
/// default left out).
pub fn file_args(flags: Vec<PathFlag<'_>>) -> (Vec<FileArg>, Vec<FileArg>) {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for PathFlag { flag, role, value } in flags {
        let Some(path) = value.effective() else {
            continue;
        };
        let file = FileArg { flag, path };
        match role {
            Role::Input => inputs.push(file),
            Role::Output | Role::OutputFolder => outputs.push(file),
        }
    }
    (inputs, outputs)
}

/// Checks a command's files (its path-valued `flags`) before it runs: every output can be
/// written (its folder exists; it is not a folder, device or FIFO; see
/// [`crate::io::output::check_writable`]), an output folder is not a file, and no output (with
/// `writes_manifest`, the manifest beside the first one too) is an input or another output
/// ([`crate::io::same_file`]).
pub fn check_files(flags: Vec<PathFlag<'_>>, writes_manifest: bool) -> Result<()> {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for PathFlag { flag, role, value } in &flags {
        let Some(path) = value.effective() else {
            continue;
        };
        match role {
            Role::Input if path != Path::new(BUILTIN_DEFAULT) => inputs.push((*flag, path)),
            Role::Input => {}
            Role::Output => {
                crate::io::output::check_writable(&path)?;
                outputs.push((*flag, path));
            }
            Role::OutputFolder => {
                if path.exists() && !path.is_dir() {
                    bail!("{flag} {}: exists and is not a folder", path.display());
                }
            }
        }
    }
    if writes_manifest {
        if let Some((_, first)) = outputs.first() {
            outputs.push(("the manifest", manifest_path(first)));
        }
    }
    let inputs: Vec<(&str, &Path)> = inputs.iter().map(|(f, p)| (*f, p.as_path())).collect();
    let outputs: Vec<(&str, &Path)> = outputs.iter().map(|(f, p)| (*f, p.as_path())).collect();
    crate::io::same_file::refuse_overwriting(&inputs, &outputs)
}

/// A command line that [`reproduce`] can re-run. The CLI implements it (`cli::Cli`), so this
/// module needs no knowledge of the commands.
pub trait Recorded: Sized {
    /// Parses a recorded command line with the CLI's own definition; the error in one line.
    fn parse(argv: &[String]) -> Result<Self>;
    /// Whether the command line names `--config` (a manifest records the expanded options).
    fn uses_config(&self) -> bool;
    /// The path-valued flags of the command, or `None` when the command writes no output file
    /// (a manifest cannot run it).
    fn path_flags(&mut self) -> Option<Vec<PathFlag<'_>>>;
    /// Runs the command; returns its report.
    fn run(self) -> Result<String>;
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
    let contents = crate::io::output::current_path(path);
    let mut file =
        std::fs::File::open(contents).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

/// Every parameter of `argv` parsed by `definition`, defaults included, as `flag → value`.
fn parameters(definition: clap::Command, argv: &[String]) -> Map<String, Value> {
    let mut map = Map::new();
    let Ok(matches) = definition.try_get_matches_from(argv) else {
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

/// The command line as run and its parameters (see [`set_argv`]).
static RUN: std::sync::OnceLock<(Vec<String>, Map<String, Value>)> = std::sync::OnceLock::new();

/// What the run resolved from its options (the sampler, grid and prior used, the kernel rule
/// and its M), set by the command for the manifest's `summary` (see [`set_summary`]).
static SUMMARY: std::sync::Mutex<Option<Value>> = std::sync::Mutex::new(None);

/// Records what the run used beyond its command line (defaults resolved, `auto` choices made),
/// written into the manifest as `summary`.
pub fn set_summary(summary: Value) {
    if let Ok(mut slot) = SUMMARY.lock() {
        *slot = Some(summary);
    }
}

/// Records the command line as run (after `--config` expansion) for the manifests, with its
/// parameters as `definition` (the CLI's clap command) parses them.
pub fn set_argv(argv: Vec<String>, definition: clap::Command) {
    let parameters = parameters(definition, &argv);
    let _ = RUN.set((argv, parameters));
}

/// The command line recorded by [`set_argv`] (the process's arguments if none was).
pub fn argv() -> Vec<String> {
    RUN.get()
        .map(|(argv, _)| argv.clone())
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
    let parameters = RUN
        .get()
        .filter(|(recorded, _)| recorded.as_slice() == argv)
        .map(|(_, parameters)| parameters.clone())
        .unwrap_or_default();
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
        "summary": SUMMARY.lock().ok().and_then(|s| s.clone()).unwrap_or(Value::Null),
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

/// A checked manifest, ready to run: the command line with every output redirected into the
/// scratch folder, the inputs to verify and the expected outputs.
pub struct Plan<C> {
    /// The recorded command line, outputs redirected.
    pub cli: C,
    /// Every input: its path in the manifest, resolved against the recorded folder, and its
    /// recorded sha256.
    pub inputs: Vec<(String, PathBuf, String)>,
    /// Every listed output: its path in the manifest, where the re-run writes it, its sha256.
    pub expected_outputs: Vec<(String, PathBuf, String)>,
}

/// The checks of [`reproduce`] that read no file: parses the manifest `text` (named
/// `manifest_file` in messages), parses its command line with the CLI's own definition,
/// accepts only the commands that write files, matches every path-valued flag against the
/// listed inputs and outputs and redirects every output into `scratch`. The fuzz target
/// `manifest` runs it on arbitrary text.
pub fn plan<C: Recorded>(text: &str, manifest_file: &Path, scratch: &Path) -> Result<Plan<C>> {
    let name = manifest_file.display();
    let manifest: Value =
        serde_json::from_str(text).with_context(|| format!("{name}: not a JSON manifest"))?;
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
    let mut cli = C::parse(&argv).with_context(|| format!("{name}"))?;
    if cli.uses_config() {
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
    let Some(flags) = cli.path_flags() else {
        bail!(
            "{name}: `{command}` writes no output file; a manifest can only re-run sample, score, density, data generate or experiment"
        );
    };
    let verify: Vec<(String, PathBuf, String)> = inputs
        .iter()
        .map(|input| {
            let path = if input.path == BUILTIN_DEFAULT {
                PathBuf::from(BUILTIN_DEFAULT)
            } else {
                base.join(&input.path)
            };
            (input.path.clone(), path, input.sha256.clone())
        })
        .collect();
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
                    value.set(base.join(&path));
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
                let redirected = scratch.join(format!("{index}-{file}"));
                value.set(redirected.clone());
                expected_outputs.push((
                    outputs[position].path.clone(),
                    redirected,
                    outputs[position].sha256.clone(),
                ));
            }
            Role::OutputFolder => {
                let folder = scratch.join("out-dir");
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
    Ok(Plan {
        cli,
        inputs: verify,
        expected_outputs,
    })
}

/// Re-runs the command of `manifest_file` with outputs in a temporary folder and compares
/// their sha256 with the recorded ones. Returns the report; an error when inputs changed or
/// any output differs.
///
/// The manifest is untrusted input. Its command line is parsed with the CLI's own definition
/// and must be one of the commands that write output files ([`Recorded::path_flags`]); every
/// output-writing flag must name a path listed in `outputs`, and all of them are rewritten
/// into the temporary folder, so nothing is written outside it; the run must write no file
/// the manifest does not list. Every input must be a regular file listed in `inputs` with its
/// recorded sha256. The temporary folder is removed on return.
pub fn reproduce<C: Recorded>(manifest_file: &Path) -> Result<String> {
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
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let Plan {
        cli,
        inputs,
        expected_outputs,
    } = plan::<C>(&text, manifest_file, scratch.path())?;
    for (listed, path, recorded) in &inputs {
        if path != Path::new(BUILTIN_DEFAULT) {
            require_regular_file(path)?;
        }
        let actual = file_sha256(path)?;
        if actual != *recorded {
            bail!(
                "input {listed} has changed since the run (sha256 {actual}, recorded {recorded})"
            );
        }
    }
    if let Err(error) = cli.run() {
        crate::io::output::discard();
        return Err(error);
    }
    crate::io::output::commit()?;
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
