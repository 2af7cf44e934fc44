//! The library's errors as Python exceptions, with the CLI's one-line message (what the CLI
//! prints after `error: `): `OSError` when a file could not be read, `ValueError` otherwise.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;

/// `error` as a Python exception.
pub fn to_python(error: anyhow::Error) -> PyErr {
    let message = format!("{error:#}");
    if error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some())
    {
        PyOSError::new_err(message)
    } else {
        PyValueError::new_err(message)
    }
}
