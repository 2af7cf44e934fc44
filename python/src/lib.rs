//! `smoothscore._native`: the Python bindings of the smoothscore host library.
//!
//! Each function parses its keyword arguments with the CLI command's own clap definition
//! ([`smoothscore::commands::options::parse_options`]), borrows its arrays (`arrays::Input`), releases
//! the GIL and calls the function the CLI command calls on the matrices it read from files —
//! so the same parameters give the same bits as the CLI.

mod arrays;
mod errors;
mod options;

use arrays::{to_numpy, Input};
use errors::to_python;
use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use smoothscore::commands::data::{data_sets as all_data_sets, generate_data, GenerateOptions};
use smoothscore::commands::eval::{metrics, EvalOptions};
use smoothscore::commands::options::{option_choices, option_defaults};
use smoothscore::commands::sample::{sample_rows, SampleArgs};
use smoothscore::commands::score::{score_queries, ScoreOptions};

/// The CLI's `sample` options that have no meaning for a function returning its samples.
const SAMPLE_FRONT_END: [(&str, &str); 5] = [
    ("out", "the samples are returned"),
    ("plot", "draw from the returned array"),
    ("plot_trajectories", "a CLI option"),
    ("json", "a CLI option"),
    ("config", "pass the options as keyword arguments"),
];

/// `score(data, queries, t, **options)`: the `score` command on arrays.
#[pyfunction]
#[pyo3(signature = (data, queries, t, **options))]
fn score<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    queries: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let pairs = options::pairs("score", options, &[])?;
    let options: ScoreOptions = options::parse("score", "score", &pairs)?;
    let t = time(t)?;
    let data = Input::new(data, "data")?;
    let queries = Input::new(queries, "queries")?;
    let (data, queries) = (data.view()?, queries.view()?);
    let out = py
        .detach(|| score_queries(data, queries, t, &options))
        .map_err(to_python)?;
    to_numpy(py, out)
}

/// t as the CLI reads `--t`: the decimal text of the number parsed to f32 (a Python float is
/// not rounded twice).
fn time(t: &Bound<'_, PyAny>) -> PyResult<f32> {
    let text: String = t.str()?.extract()?;
    text.trim()
        .parse()
        .map_err(|_| PyValueError::new_err(format!("t must be a number, got {text}")))
}

/// `sample(data=None, **options)`: the `sample` command on an array (None: the built-in set).
#[pyfunction]
#[pyo3(signature = (data=None, **options))]
fn sample<'py>(
    py: Python<'py>,
    data: Option<&Bound<'py, PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let pairs = options::pairs("sample", options, &SAMPLE_FRONT_END)?;
    let args: SampleArgs = options::parse("sample", "sample", &pairs)?;
    let builtin;
    let input;
    let data = match data {
        Some(data) => {
            input = Input::new(data, "data")?;
            input.view()?
        }
        None => {
            builtin = smoothscore::data::builtin::default_2d().map_err(to_python)?;
            builtin.view()
        }
    };
    let (_, samples) = py.detach(|| sample_rows(&args, data)).map_err(to_python)?;
    to_numpy(py, samples)
}

/// `eval(samples, train, test=None, **options)`: the `eval` command's metrics as a dict.
#[pyfunction]
#[pyo3(signature = (samples, train, test=None, **options))]
fn eval<'py>(
    py: Python<'py>,
    samples: &Bound<'py, PyAny>,
    train: &Bound<'py, PyAny>,
    test: Option<&Bound<'py, PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let pairs = options::pairs("eval", options, &[])?;
    let options: EvalOptions = options::parse("eval", "eval", &pairs)?;
    let samples = Input::new(samples, "samples")?;
    let train = Input::new(train, "train")?;
    let test = test.map(|test| Input::new(test, "test")).transpose()?;
    let (samples, train) = (samples.view()?, train.view()?);
    let test = test.as_ref().map(Input::view).transpose()?;
    let values = py
        .detach(|| metrics(samples, train, test, &options))
        .map_err(to_python)?;
    let out = PyDict::new(py);
    for (key, value) in values {
        match value {
            serde_json::Value::Number(number) if number.is_u64() => {
                out.set_item(key, number.as_u64())?
            }
            serde_json::Value::Number(number) => out.set_item(key, number.as_f64())?,
            _ => out.set_item(key, py.None())?,
        }
    }
    Ok(out)
}

/// `generate(name, **options)`: the `data generate` command's data set as an array.
#[pyfunction]
#[pyo3(signature = (name, **options))]
fn generate<'py>(
    py: Python<'py>,
    name: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let pairs = options::pairs("generate", options, &[])?;
    let options: GenerateOptions = options::parse("generate", "generate", &pairs)?;
    let name = options::data_set(name)?;
    let data = py
        .detach(|| generate_data(name, &options))
        .map_err(to_python)?;
    to_numpy(py, data)
}

/// The data sets `generate` knows: name → description.
#[pyfunction]
fn data_sets(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for (name, text) in all_data_sets() {
        out.set_item(name, text)?;
    }
    Ok(out)
}

/// The options of one function with their defaults, and those that take one of a few values
/// with the values.
type OptionLists = (Vec<(String, Option<String>)>, Vec<(String, Vec<String>)>);

/// The [`OptionLists`] of `function` (score, sample, eval, generate).
fn option_lists(function: &str) -> PyResult<OptionLists> {
    fn of<A: clap::Args>() -> OptionLists {
        (option_defaults::<A>(), option_choices::<A>())
    }
    Ok(match function {
        "score" => of::<ScoreOptions>(),
        "sample" => of::<SampleArgs>(),
        "eval" => of::<EvalOptions>(),
        "generate" => of::<GenerateOptions>(),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown function '{other}' (expected score, sample, eval or generate)"
            )))
        }
    })
}

/// The options of `function` (score, sample, eval, generate) with the CLI's defaults, keyed by
/// their Python names (None: no default).
#[pyfunction]
fn defaults<'py>(py: Python<'py>, function: &str) -> PyResult<Bound<'py, PyDict>> {
    let (options, _) = option_lists(function)?;
    let out = PyDict::new(py);
    for (name, default) in options {
        let name = name.replace('-', "_");
        if name != "data" && !SAMPLE_FRONT_END.iter().any(|(refused, _)| *refused == name) {
            out.set_item(name, default)?;
        }
    }
    Ok(out)
}

/// The options of `function` (score, sample, eval, generate) that take one of a few values,
/// keyed by their Python names, with those values as the CLI spells them.
#[pyfunction]
fn choices<'py>(py: Python<'py>, function: &str) -> PyResult<Bound<'py, PyDict>> {
    let (_, options) = option_lists(function)?;
    let out = PyDict::new(py);
    for (name, values) in options {
        out.set_item(name.replace('-', "_"), values)?;
    }
    Ok(out)
}

/// The address of the values the functions read for `array` and whether it is the caller's
/// own memory (`True`: borrowed in place; `False`: a converted copy). For tests and for
/// checking that an array is passed without a copy.
#[pyfunction]
fn input_address(array: &Bound<'_, PyAny>) -> PyResult<(usize, bool)> {
    let input = Input::new(array, "array")?;
    let address = input.view()?.values().as_ptr() as usize;
    Ok((address, input.borrowed()))
}

/// The native module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    smoothscore::progress::set_quiet(true);
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_function(wrap_pyfunction!(score, module)?)?;
    module.add_function(wrap_pyfunction!(sample, module)?)?;
    module.add_function(wrap_pyfunction!(eval, module)?)?;
    module.add_function(wrap_pyfunction!(generate, module)?)?;
    module.add_function(wrap_pyfunction!(data_sets, module)?)?;
    module.add_function(wrap_pyfunction!(defaults, module)?)?;
    module.add_function(wrap_pyfunction!(choices, module)?)?;
    module.add_function(wrap_pyfunction!(input_address, module)?)?;
    Ok(())
}
