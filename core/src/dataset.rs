//! The training set: a borrowed row-major N×d slice of f32 (on a device it lives in flash).

use crate::error::{check_finite, Error, Input};
use crate::posterior::{softmax, NARROW_DIM};

/// A validated, borrowed training set x_1..x_N in R^d.
#[derive(Clone, Copy, Debug)]
pub struct Dataset<'a> {
    points: &'a [f32],
    dim: usize,
}

impl<'a> Dataset<'a> {
    /// Wraps `points` (row-major, N·d values) after checking that it is non-empty, that d > 0
    /// divides its length, and that every value is finite. Without the `wide` feature, data with
    /// d > [`NARROW_DIM`] is an [`Error::WideDataNotBuilt`].
    pub fn new(points: &'a [f32], dim: usize) -> Result<Self, Error> {
        if points.is_empty() || dim == 0 {
            return Err(Error::EmptyData);
        }
        if dim > NARROW_DIM && !softmax::WIDE_BUILT {
            return Err(Error::WideDataNotBuilt {
                dim,
                max: NARROW_DIM,
            });
        }
        if !points.len().is_multiple_of(dim) {
            return Err(Error::RaggedData {
                len: points.len(),
                dim,
            });
        }
        check_finite(points, Input::Data)?;
        Ok(Dataset { points, dim })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of points N.
    pub fn len(&self) -> usize {
        self.points.len() / self.dim
    }

    /// Always false: a `Dataset` is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The points as one row-major slice.
    pub fn as_slice(&self) -> &'a [f32] {
        self.points
    }

    /// The rows x_1..x_N in index order (d ≥ 1 is checked by [`Dataset::new`]; `max(1)` only
    /// keeps the compiler from linking a panic path for d = 0).
    pub fn rows(&self) -> core::slice::ChunksExact<'a, f32> {
        self.points.chunks_exact(self.dim.max(1))
    }

    /// Returns `Err(DimensionMismatch)` unless `len == d`.
    pub fn check_dim(&self, len: usize) -> Result<(), Error> {
        if len == self.dim {
            Ok(())
        } else {
            Err(Error::DimensionMismatch {
                expected: self.dim,
                found: len,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_data_gets_typed_errors() {
        assert_eq!(Dataset::new(&[], 2).unwrap_err(), Error::EmptyData);
        assert_eq!(Dataset::new(&[1.0], 0).unwrap_err(), Error::EmptyData);
        assert_eq!(
            Dataset::new(&[1.0, 2.0, 3.0], 2).unwrap_err(),
            Error::RaggedData { len: 3, dim: 2 }
        );
        assert_eq!(
            Dataset::new(&[1.0, f32::NAN], 1).unwrap_err(),
            Error::NonFinite {
                input: Input::Data,
                index: 1
            }
        );
        let data = Dataset::new(&[1.0, 2.0, 3.0, 4.0], 2).unwrap();
        assert_eq!((data.len(), data.dim()), (2, 2));
    }

    #[test]
    fn wide_data_needs_the_wide_feature() {
        extern crate std;
        use crate::schedule::Process;
        use crate::score::{EmpiricalScore, ScoreField};
        let points = [0.25f32; 18];
        let narrow = Dataset::new(&points[..4], 2).unwrap();
        let field = EmpiricalScore::new(narrow, Process::VP_LINEAR).unwrap();
        let mut out = [0.0f32; 2];
        field.score(0.5, &[0.1, -0.3], &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
        match (softmax::WIDE_BUILT, Dataset::new(&points, 9)) {
            (true, Ok(wide)) => assert_eq!(wide.dim(), 9),
            (false, Err(error)) => {
                assert_eq!(
                    error,
                    Error::WideDataNotBuilt {
                        dim: 9,
                        max: NARROW_DIM
                    }
                );
                let message = std::format!("{error}");
                assert!(message.contains("`wide` feature"), "{message}");
            }
            (built, other) => panic!("wide path built: {built}, d = 9 gave {other:?}"),
        }
    }
}
