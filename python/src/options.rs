//! Keyword arguments → the CLI's options: `n_samples=64` is `--n-samples=64`, parsed by the
//! command's own clap definition (its defaults, its checks, its messages).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use smoothscore::commands::options::{parse_choice, parse_options, OptionsError};

/// The keyword arguments of `function` as (long flag name, value) pairs; `None` values are left
/// out (the CLI's default applies), `True` is a flag without a value, sequences are joined with
/// commas, `shard=(k, K)` is `k/K`. The names in `refused` (front-end options of the CLI, such
/// as `out`) are refused with a `TypeError` that says why.
pub fn pairs(
    function: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
    refused: &[(&str, &str)],
) -> PyResult<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let Some(kwargs) = kwargs else {
        return Ok(out);
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if let Some((_, why)) = refused.iter().find(|(name, _)| *name == key) {
            return Err(PyTypeError::new_err(format!(
                "{function}() got an unexpected keyword argument '{key}' ({why})"
            )));
        }
        if value.is_none() {
            continue;
        }
        let name = key.replace('_', "-");
        if let Ok(flag) = value.cast::<PyBool>() {
            if flag.is_true() {
                out.push((name, None));
            }
            continue;
        }
        out.push((name, Some(text(&key, &value)?)));
    }
    Ok(out)
}

/// A value as the command line would spell it: `str()` of a number (the shortest decimal that
/// reads back to it, for NumPy float32 scalars too) or a string, `os.fspath` of a path.
fn text(key: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if key == "shard" {
        if let Ok((index, count)) = value.extract::<(i64, i64)>() {
            return Ok(format!("{index}/{count}"));
        }
    }
    if value.cast::<PyString>().is_err()
        && (value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok())
    {
        let items: Vec<String> = value
            .try_iter()?
            .map(|item| text(key, &item?))
            .collect::<PyResult<_>>()?;
        return Ok(items.join(","));
    }
    let os = value.py().import("os")?;
    if value.hasattr("__fspath__")? {
        return os.getattr("fspath")?.call1((value,))?.str()?.extract();
    }
    value.str()?.extract()
}

/// Parses `pairs` into the options type `A` of `command`; an unknown name is a `TypeError` as
/// Python gives for an unexpected keyword argument, a bad value a `ValueError` with the CLI's
/// message.
pub fn parse<A: clap::Args + clap::FromArgMatches>(
    function: &str,
    command: &'static str,
    pairs: &[(String, Option<String>)],
) -> PyResult<A> {
    parse_options(command, pairs).map_err(|e| match e {
        OptionsError::Unknown(name) => PyTypeError::new_err(format!(
            "{function}() got an unexpected keyword argument '{}'",
            name.replace('-', "_")
        )),
        OptionsError::Invalid(message) => PyValueError::new_err(message),
    })
}

/// Parses a data set name as `data generate NAME` does: a `ValueError` with the CLI's message
/// (and its nearest name) when it is none of them.
pub fn data_set(name: &str) -> PyResult<smoothscore::commands::data::DataSet> {
    parse_choice("NAME", name).map_err(|e| PyValueError::new_err(e.to_string()))
}
