//! NumPy arrays in and out. A float32, C-contiguous, aligned, native-byte-order 2-D array is
//! borrowed in place (no copy); anything else array-like goes through
//! `numpy.ascontiguousarray(value, dtype=numpy.float32)` first (a converted copy; float64
//! rounds to nearest, as the CLI's NPY reader does). Results are handed to NumPy without a copy.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use smoothscore::matrix::{Matrix, MatrixView};

/// A 2-D float32 array held for the duration of a call, read through [`Input::view`].
pub struct Input<'py> {
    array: PyReadonlyArray2<'py, f32>,
    borrowed: bool,
}

impl<'py> Input<'py> {
    /// Borrows `value` (named `name` in errors), converting it first when it is not already a
    /// float32 C-contiguous aligned 2-D array.
    pub fn new(value: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(array) = value.cast::<PyArray2<f32>>() {
            if array.is_c_contiguous() && is_aligned(array.as_any())? {
                return Ok(Input {
                    array: readonly(array, name)?,
                    borrowed: true,
                });
            }
        }
        let numpy = value.py().import("numpy")?;
        let converted = numpy
            .getattr("ascontiguousarray")?
            .call1((value, numpy.getattr("float32")?))
            .map_err(|e| PyValueError::new_err(format!("{name}: not an array of numbers ({e})")))?;
        let shape: Vec<usize> = converted.getattr("shape")?.extract()?;
        let array = converted.cast::<PyArray2<f32>>().map_err(|_| {
            PyValueError::new_err(format!(
                "{name} must be a 2-D array (rows × d), got shape {shape:?}"
            ))
        })?;
        Ok(Input {
            array: readonly(array, name)?,
            borrowed: false,
        })
    }

    /// The values as a matrix view (in place when [`Input::borrowed`]).
    pub fn view(&self) -> PyResult<MatrixView<'_>> {
        let shape = self.array.shape();
        let values = self
            .array
            .as_slice()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        MatrixView::new(shape[0], shape[1], values)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Whether the caller's own memory is read (no conversion was needed).
    pub fn borrowed(&self) -> bool {
        self.borrowed
    }
}

fn is_aligned(array: &Bound<'_, PyAny>) -> PyResult<bool> {
    array.getattr("flags")?.getattr("aligned")?.extract()
}

fn readonly<'py>(
    array: &Bound<'py, PyArray2<f32>>,
    name: &str,
) -> PyResult<PyReadonlyArray2<'py, f32>> {
    array
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

/// `matrix` as a rows × cols float32 NumPy array owning the matrix's buffer (no copy).
pub fn to_numpy<'py>(py: Python<'py>, matrix: Matrix) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    PyArray1::from_vec(py, matrix.into_values()).reshape([rows, cols])
}
