//! Recovering the line a collinear training set lies on (Chen's setting): origin, unit
//! direction and sorted positions, for the core's `LineData`.

use crate::matrix::MatrixView;
use anyhow::{bail, Result};

/// A training set written as x_k = a + p_k u with p_0 < … < p_{n−1}.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFit {
    /// The origin a (the first training point).
    pub origin: Vec<f32>,
    /// The unit direction u (toward the point farthest from a).
    pub direction: Vec<f32>,
    /// The positions p_k = u·(x_k − a), sorted increasing.
    pub positions: Vec<f32>,
}

impl LineFit {
    /// Fits the line through `data` and checks that every point lies on it: the normal
    /// residual ‖x − a − p u‖ must be at most 10⁻⁴·(1 + span). Two equal points are rejected
    /// (their positions would not increase strictly).
    pub fn from_matrix<'a>(data: impl Into<MatrixView<'a>>) -> Result<Self> {
        let data = data.into();
        let dim = data.cols();
        let mut rows = data.values().chunks_exact(dim.max(1));
        let Some(origin) = rows.next() else {
            bail!("the training set is empty");
        };
        let offset = |row: &[f32]| -> Vec<f64> {
            row.iter()
                .zip(origin)
                .map(|(&x, &a)| f64::from(x) - f64::from(a))
                .collect()
        };
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let farthest = data
            .values()
            .chunks_exact(dim)
            .map(offset)
            .max_by(|a, b| norm(a).total_cmp(&norm(b)));
        let Some(farthest) = farthest else {
            bail!("the training set is empty");
        };
        let span = norm(&farthest);
        if span == 0.0 {
            bail!("a line needs two distinct training points");
        }
        let direction: Vec<f64> = farthest.iter().map(|x| x / span).collect();
        let mut positions = Vec::with_capacity(data.rows());
        for (index, row) in data.values().chunks_exact(dim).enumerate() {
            let v = offset(row);
            let p: f64 = v.iter().zip(&direction).map(|(a, b)| a * b).sum();
            let residual: Vec<f64> = v.iter().zip(&direction).map(|(a, u)| a - p * u).collect();
            if norm(&residual) > 1e-4 * (1.0 + span) {
                bail!(
                    "training point {} is {:.3e} away from the line through points 1 and the farthest one: --score pl/smoothed-pl needs collinear data",
                    index + 1,
                    norm(&residual)
                );
            }
            positions.push(p as f32);
        }
        positions.sort_by(f32::total_cmp);
        if positions.windows(2).any(|pair| pair[1] <= pair[0]) {
            bail!("two training points coincide on the line; remove duplicates");
        }
        Ok(LineFit {
            origin: origin.to_vec(),
            direction: direction.iter().map(|&u| u as f32).collect(),
            positions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    #[test]
    fn recovers_points_on_a_diagonal_and_rejects_a_bent_set() {
        let data = Matrix::new(3, 3, vec![0.0, 0.0, 0.0, 2.0, 2.0, 1.0, -1.0, -1.0, -0.5]).unwrap();
        let fit = LineFit::from_matrix(&data).unwrap();
        assert_eq!(fit.positions, vec![-1.5, 0.0, 3.0]);
        let bent = Matrix::new(3, 2, vec![0.0, 0.0, 1.0, 0.0, 2.0, 0.1]).unwrap();
        assert!(LineFit::from_matrix(&bent).is_err());
        let doubled = Matrix::new(3, 2, vec![0.0, 0.0, 1.0, 0.0, 1.0, 0.0]).unwrap();
        assert!(LineFit::from_matrix(&doubled).is_err());
    }
}
