//! The `.safetensors` file of a trained network: one F32 tensor per layer weight and bias
//! (`layers.{l}.weight` \[out, in\], `layers.{l}.bias` \[out\], PyTorch's `Linear` layout),
//! `time_frequencies` \[K\], `data_mean` \[d\], `data_std` \[\] and the metadata: the format tag, the
//! architecture, the process, the parameterization, the normalisation and the training settings
//! (`train.*`).
//!
//! The writer is this module's own: the `safetensors` crate serializes the metadata from a
//! `HashMap` in a per-process random order, which would make two identical trainings write
//! different bytes. Here every key is written in sorted order (header padded with spaces to 8
//! bytes as the crate does), so the same network is always the same file; the reader is the
//! crate's ([`SafeTensors::deserialize`]), and a test reads every written file back through it.

use super::network::TrainedNetwork;
use crate::sampling::process_spec::ProcessSpec;
use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, SafeTensors};
use serde_json::{json, Map, Value};
use smoothscore_core::{Activation, NetworkOutput, NetworkShape, Process, TimeInput};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// The value of the `format` metadata key.
pub const FORMAT: &str = "smoothscore-network-v1";

/// Largest network file read (1 GiB, 2²⁸ parameters).
pub const MAX_NETWORK_BYTES: u64 = 1 << 30;

/// A full description of a process with its parameters, e.g. `vp-linear (β 0.1–20)`.
pub fn process_label(spec: &ProcessSpec) -> String {
    match *spec {
        ProcessSpec::Reverse(Process::VpLinear { beta_min, beta_max }) => {
            format!("vp-linear (β {beta_min}–{beta_max})")
        }
        ProcessSpec::Reverse(Process::VpCosine { offset }) => format!("vp-cosine (s = {offset})"),
        ProcessSpec::Reverse(Process::OrnsteinUhlenbeck { horizon }) => {
            format!("ou (T = {horizon})")
        }
        ProcessSpec::Reverse(Process::VeGeometric {
            sigma_min,
            sigma_max,
        }) => format!("ve (σ {sigma_min}–{sigma_max})"),
        ProcessSpec::Reverse(Process::Brownian { horizon }) => format!("brownian (T = {horizon})"),
        ProcessSpec::Pinned { sigma } => format!("pbm (σ = {sigma})"),
    }
}

/// The metadata entries naming `spec` (f32 values in Rust's shortest round-trip form).
pub fn process_entries(spec: &ProcessSpec) -> Vec<(&'static str, String)> {
    let number = |v: f32| v.to_string();
    match *spec {
        ProcessSpec::Reverse(Process::VpLinear { beta_min, beta_max }) => vec![
            ("process", "vp".into()),
            ("schedule", "linear".into()),
            ("beta_min", number(beta_min)),
            ("beta_max", number(beta_max)),
        ],
        ProcessSpec::Reverse(Process::VpCosine { offset }) => vec![
            ("process", "vp".into()),
            ("schedule", "cosine".into()),
            ("offset", number(offset)),
        ],
        ProcessSpec::Reverse(Process::OrnsteinUhlenbeck { horizon }) => {
            vec![("process", "ou".into()), ("horizon", number(horizon))]
        }
        ProcessSpec::Reverse(Process::VeGeometric {
            sigma_min,
            sigma_max,
        }) => vec![
            ("process", "ve".into()),
            ("sigma_min", number(sigma_min)),
            ("sigma_max", number(sigma_max)),
        ],
        ProcessSpec::Reverse(Process::Brownian { horizon }) => {
            vec![("process", "brownian".into()), ("horizon", number(horizon))]
        }
        ProcessSpec::Pinned { sigma } => {
            vec![("process", "pbm".into()), ("pbm_sigma", number(sigma))]
        }
    }
}

/// Tensors by name (sorted), each with its shape and values.
type Tensors<'a> = BTreeMap<String, (Vec<usize>, &'a [f32])>;

/// The tensors of `network`.
fn tensors(network: &TrainedNetwork) -> Result<Tensors<'_>> {
    let shape = &network.shape;
    let mut out = BTreeMap::new();
    for l in 0..shape.layer_count() {
        let (inputs, outputs) = shape.layer(l).context("layer past the output")?;
        let weights = shape.weight_range(l).context("weight range")?;
        let bias = shape.bias_range(l).context("bias range")?;
        let values = |range: std::ops::Range<usize>| {
            network
                .weights
                .get(range)
                .ok_or_else(|| anyhow!("the weights are shorter than the architecture"))
        };
        out.insert(
            format!("layers.{l}.weight"),
            (vec![outputs, inputs], values(weights)?),
        );
        out.insert(format!("layers.{l}.bias"), (vec![outputs], values(bias)?));
    }
    out.insert(
        "time_frequencies".into(),
        (
            vec![shape.time_features],
            network.time_frequencies.as_slice(),
        ),
    );
    out.insert(
        "data_mean".into(),
        (vec![shape.dim], network.data_mean.as_slice()),
    );
    out.insert(
        "data_std".into(),
        (vec![], std::slice::from_ref(&network.data_std)),
    );
    Ok(out)
}

/// The architecture's metadata entries.
fn shape_entries(shape: &NetworkShape) -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("dim", shape.dim.to_string()),
        ("width", shape.width.to_string()),
        ("depth", shape.depth.to_string()),
        ("activation", shape.activation.name().into()),
        ("time_features", shape.time_features.to_string()),
        ("time_input", shape.time_input.name().into()),
        ("output", shape.output.name().into()),
        ("parameter_count", shape.parameter_count()?.to_string()),
    ])
}

/// The file's bytes: the header (sorted keys: `__metadata__` first, then the tensors by name)
/// and the tensors' little-endian f32 values in the header's order. The metadata are
/// `network.metadata` overridden by the format, architecture and process entries.
pub fn to_bytes(network: &TrainedNetwork) -> Result<Vec<u8>> {
    network.network()?;
    let mut metadata = network.metadata.clone();
    metadata.insert("format".into(), FORMAT.into());
    for (key, value) in shape_entries(&network.shape)?
        .into_iter()
        .chain(process_entries(&network.process))
    {
        metadata.insert(key.into(), value);
    }
    let tensors = tensors(network)?;
    let mut header = Map::new();
    header.insert(
        "__metadata__".into(),
        Value::Object(metadata.into_iter().map(|(k, v)| (k, json!(v))).collect()),
    );
    let mut offset = 0usize;
    for (name, (shape, values)) in &tensors {
        let end = offset + 4 * values.len();
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut header = serde_json::to_string(&Value::Object(header))?.into_bytes();
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + header.len() + offset);
    bytes.extend((header.len() as u64).to_le_bytes());
    bytes.extend(header);
    for (_, values) in tensors.values() {
        for v in *values {
            bytes.extend(v.to_le_bytes());
        }
    }
    Ok(bytes)
}

/// Writes `network` to `path` atomically (nothing is left behind on failure).
pub fn write(path: &Path, network: &TrainedNetwork) -> Result<()> {
    crate::io::output::write_atomic(path, &to_bytes(network)?)
}

fn entry<'m>(metadata: &'m BTreeMap<String, String>, key: &str, source: &str) -> Result<&'m str> {
    metadata
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| anyhow!("{source}: the network's metadata lacks `{key}`"))
}

fn parsed<T: std::str::FromStr>(
    metadata: &BTreeMap<String, String>,
    key: &str,
    source: &str,
) -> Result<T> {
    let text = entry(metadata, key, source)?;
    text.parse()
        .map_err(|_| anyhow!("{source}: metadata `{key}` = `{text}` is not a valid value"))
}

/// The process the metadata name, validated.
fn process_from(metadata: &BTreeMap<String, String>, source: &str) -> Result<ProcessSpec> {
    let number = |key: &str| parsed::<f32>(metadata, key, source);
    let process = match entry(metadata, "process", source)? {
        "vp" => match entry(metadata, "schedule", source)? {
            "linear" => Process::VpLinear {
                beta_min: number("beta_min")?,
                beta_max: number("beta_max")?,
            },
            "cosine" => Process::VpCosine {
                offset: number("offset")?,
            },
            other => bail!("{source}: unknown schedule `{other}` in the metadata"),
        },
        "ou" => Process::OrnsteinUhlenbeck {
            horizon: number("horizon")?,
        },
        "ve" => Process::VeGeometric {
            sigma_min: number("sigma_min")?,
            sigma_max: number("sigma_max")?,
        },
        "brownian" => Process::Brownian {
            horizon: number("horizon")?,
        },
        "pbm" => {
            let sigma = number("pbm_sigma")?;
            if !(sigma.is_finite() && sigma > 0.0) {
                bail!("{source}: metadata pbm_sigma = {sigma} is not positive");
            }
            return Ok(ProcessSpec::Pinned { sigma });
        }
        other => bail!("{source}: unknown process `{other}` in the metadata"),
    };
    process
        .validate()
        .map_err(|e| anyhow!("{source}: the metadata's process: {e}"))?;
    Ok(ProcessSpec::Reverse(process))
}

/// The architecture the metadata name, validated against the core's rules and the host's
/// capacity ([`super::network::check_shape`]).
fn shape_from(metadata: &BTreeMap<String, String>, source: &str) -> Result<NetworkShape> {
    let name = |key: &str| entry(metadata, key, source);
    let unknown = |key: &str| {
        anyhow!(
            "{source}: unknown {key} `{}` in the metadata",
            metadata[key]
        )
    };
    let shape = NetworkShape {
        dim: parsed(metadata, "dim", source)?,
        width: parsed(metadata, "width", source)?,
        depth: parsed(metadata, "depth", source)?,
        activation: Activation::from_name(name("activation")?)
            .ok_or_else(|| unknown("activation"))?,
        time_features: parsed(metadata, "time_features", source)?,
        time_input: TimeInput::from_name(name("time_input")?)
            .ok_or_else(|| unknown("time_input"))?,
        output: NetworkOutput::from_name(name("output")?).ok_or_else(|| unknown("output"))?,
    };
    super::network::check_shape(&shape)
        .map_err(|e| anyhow!("{source}: the metadata's architecture: {e}"))?;
    Ok(shape)
}

/// The f32 values of tensor `name`, which must be F32 of shape `expected`.
fn tensor_values(
    file: &SafeTensors<'_>,
    name: &str,
    expected: &[usize],
    source: &str,
) -> Result<Vec<f32>> {
    let view = file
        .tensor(name)
        .map_err(|_| anyhow!("{source}: the file has no tensor `{name}`"))?;
    if view.dtype() != Dtype::F32 {
        bail!(
            "{source}: tensor `{name}` is {:?}, expected F32",
            view.dtype()
        );
    }
    if view.shape() != expected {
        bail!(
            "{source}: tensor `{name}` has shape {:?}, expected {expected:?}",
            view.shape()
        );
    }
    Ok(view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Parses and checks a network file's bytes (`source` names it in errors): a safetensors
/// file with this format's metadata, a valid architecture and process, every tensor present
/// with its shape, and finite values (the core's [`smoothscore_core::Network::new`] checks).
pub fn from_bytes(bytes: &[u8], source: &str) -> Result<TrainedNetwork> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| anyhow!("{source}: not a safetensors file ({e})"))?;
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| anyhow!("{source}: not a safetensors file ({e})"))?;
    let metadata: BTreeMap<String, String> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    match metadata.get("format") {
        Some(format) if format == FORMAT => {}
        Some(format) => bail!("{source}: not a smoothscore network (format `{format}`, expected `{FORMAT}`)"),
        None => bail!("{source}: not a smoothscore network (no `format` metadata; a safetensors file from elsewhere?)"),
    }
    let shape = shape_from(&metadata, source)?;
    let process = process_from(&metadata, source)?;
    let expected_output = match process {
        ProcessSpec::Reverse(_) => NetworkOutput::Epsilon,
        ProcessSpec::Pinned { .. } => NetworkOutput::Drift,
    };
    if shape.output != expected_output {
        bail!(
            "{source}: a {} network cannot be trained for {}",
            shape.output.name(),
            process_label(&process)
        );
    }
    let mut weights = Vec::with_capacity(shape.parameter_count()?);
    for l in 0..shape.layer_count() {
        let (inputs, outputs) = shape.layer(l).context("layer past the output")?;
        weights.extend(tensor_values(
            &file,
            &format!("layers.{l}.weight"),
            &[outputs, inputs],
            source,
        )?);
        weights.extend(tensor_values(
            &file,
            &format!("layers.{l}.bias"),
            &[outputs],
            source,
        )?);
    }
    let network = TrainedNetwork {
        shape,
        weights,
        time_frequencies: tensor_values(&file, "time_frequencies", &[shape.time_features], source)?,
        data_mean: tensor_values(&file, "data_mean", &[shape.dim], source)?,
        data_std: tensor_values(&file, "data_std", &[], source)?[0],
        process,
        metadata,
        source: source.to_owned(),
    };
    network.network()?;
    Ok(network)
}

/// Reads and checks the network file at `path` ([`from_bytes`]), at most
/// [`MAX_NETWORK_BYTES`] and within the memory limit.
pub fn read(path: &Path) -> Result<TrainedNetwork> {
    let bytes = crate::io::limits::read_bounded(path, MAX_NETWORK_BYTES, "network")?;
    from_bytes(&bytes, &path.display().to_string())
}

/// The networks this process has read, each kept for the process's lifetime so a
/// [`crate::sampling::score_spec::ScoreSpec`] can borrow one and stay `Copy`; a file with the
/// same bytes and name is read once.
static LOADED: Mutex<Vec<(Vec<u8>, &'static TrainedNetwork)>> = Mutex::new(Vec::new());

/// [`read`], kept for the rest of the process (see `LOADED`).
pub fn load(path: &Path) -> Result<&'static TrainedNetwork> {
    use sha2::{Digest, Sha256};
    let bytes = crate::io::limits::read_bounded(path, MAX_NETWORK_BYTES, "network")?;
    let source = path.display().to_string();
    let mut key = Sha256::digest(&bytes).to_vec();
    key.extend(source.as_bytes());
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, network)) = loaded.iter().find(|(k, _)| *k == key) {
        return Ok(network);
    }
    let network: &'static TrainedNetwork = Box::leak(Box::new(from_bytes(&bytes, &source)?));
    loaded.push((key, network));
    Ok(network)
}
