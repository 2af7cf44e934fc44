//! A dense row-major f32 matrix: the host's in-memory form of data sets, queries and samples.

use anyhow::{bail, Result};

/// Row-major `rows × cols` f32 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    values: Vec<f32>,
}

impl Matrix {
    /// Wraps `values` as a `rows × cols` matrix; the length must be `rows · cols`.
    pub fn new(rows: usize, cols: usize, values: Vec<f32>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(values.len()) {
            bail!("{} values do not form a {rows}×{cols} matrix", values.len());
        }
        Ok(Matrix { rows, cols, values })
    }

    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            values: vec![0.0; rows * cols],
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (the dimension d).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// All values, row-major, mutable.
    pub fn values_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows in order.
    pub fn iter_rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.values.chunks_exact(self.cols.max(1))
    }

    /// The values, row-major, without a copy.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// The matrix borrowed as a [`MatrixView`].
    pub fn view(&self) -> MatrixView<'_> {
        MatrixView {
            rows: self.rows,
            cols: self.cols,
            values: &self.values,
        }
    }
}

/// A borrowed row-major `rows × cols` f32 matrix: values owned elsewhere (a [`Matrix`], a NumPy
/// array) read in place, without a copy. The library's entry points take it (through
/// `impl Into<MatrixView>`, so a `&Matrix` works as well).
///
/// ```
/// use smoothscore::matrix::{Matrix, MatrixView};
/// let values = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let view = MatrixView::new(3, 2, &values).unwrap();
/// assert_eq!(view.row(1), &[3.0, 4.0]);
/// assert!(std::ptr::eq(view.values(), &values[..]));
/// assert!(MatrixView::new(4, 2, &values).is_err());
/// let owned = Matrix::new(3, 2, values.to_vec()).unwrap();
/// assert_eq!(MatrixView::from(&owned).values(), view.values());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatrixView<'a> {
    rows: usize,
    cols: usize,
    values: &'a [f32],
}

impl<'a> MatrixView<'a> {
    /// Views `values` as a `rows × cols` matrix; the length must be `rows · cols`.
    pub fn new(rows: usize, cols: usize, values: &'a [f32]) -> Result<Self> {
        if rows.checked_mul(cols) != Some(values.len()) {
            bail!("{} values do not form a {rows}×{cols} matrix", values.len());
        }
        Ok(MatrixView { rows, cols, values })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (the dimension d).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// All values, row-major.
    pub fn values(&self) -> &'a [f32] {
        self.values
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows in order.
    pub fn iter_rows(&self) -> std::slice::ChunksExact<'a, f32> {
        self.values.chunks_exact(self.cols.max(1))
    }

    /// An owned copy.
    pub fn to_matrix(&self) -> Matrix {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            values: self.values.to_vec(),
        }
    }
}

impl<'a> From<&'a Matrix> for MatrixView<'a> {
    fn from(matrix: &'a Matrix) -> Self {
        matrix.view()
    }
}
