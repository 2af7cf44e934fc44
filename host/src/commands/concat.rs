//! `smoothscore concat`: the rows of several CSV/NPY files, in the order given, in one file —
//! the shards of a `sample --shard k/K` run joined into the one-machine output, bit for bit.

use crate::io::formats::{read_matrix, write_matrix, Format};
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// `smoothscore concat`.
#[derive(Debug, Args)]
pub struct ConcatArgs {
    /// The files (.csv or .npy, all with the same number of columns), in order: shard 0 first.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output file (.csv or .npy; not one of the inputs).
    #[arg(long)]
    pub out: PathBuf,
}

/// Whether `a` and `b` name the same file (`b` need not exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The rows of `parts` in order, in one matrix; all must have the same number of columns
/// (`names` name them in the error).
///
/// ```
/// use smoothscore::commands::concat::concat_rows;
/// use smoothscore::matrix::Matrix;
/// let a = Matrix::new(1, 2, vec![1.0, 2.0]).unwrap();
/// let b = Matrix::new(2, 2, vec![3.0, 4.0, 5.0, 6.0]).unwrap();
/// let names = ["a.csv".into(), "b.csv".into()];
/// let joined = concat_rows(&[a.clone(), b], &names).unwrap();
/// assert_eq!(joined.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let narrow = Matrix::new(1, 1, vec![7.0]).unwrap();
/// assert!(concat_rows(&[a, narrow], &names).is_err());
/// ```
pub fn concat_rows(parts: &[Matrix], names: &[PathBuf]) -> Result<Matrix> {
    let Some(first) = parts.first() else {
        bail!("nothing to concatenate");
    };
    let cols = first.cols();
    let mut values = Vec::with_capacity(parts.iter().map(|m| m.values().len()).sum());
    for (part, name) in parts.iter().zip(names) {
        if part.cols() != cols {
            bail!(
                "{} has {} columns but {} has {cols}",
                name.display(),
                part.cols(),
                names[0].display()
            );
        }
        values.extend_from_slice(part.values());
    }
    Matrix::new(values.len() / cols.max(1), cols, values)
}

/// Runs `concat`.
pub fn run(args: &ConcatArgs) -> Result<String> {
    Format::from_path(&args.out)?;
    if let Some(input) = args.inputs.iter().find(|input| same_file(input, &args.out)) {
        bail!(
            "--out {} is also an input: concat never overwrites its inputs",
            input.display()
        );
    }
    let parts: Vec<Matrix> = args
        .inputs
        .iter()
        .map(|path| read_matrix(path))
        .collect::<Result<_>>()?;
    let joined = concat_rows(&parts, &args.inputs)?;
    write_matrix(&args.out, &joined)?;
    Ok(format!(
        "wrote {} rows × {} columns from {} files to {}",
        joined.rows(),
        joined.cols(),
        args.inputs.len(),
        args.out.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_joined_in_order_and_columns_checked() {
        let a = Matrix::new(1, 2, vec![1.0, 2.0]).unwrap();
        let b = Matrix::new(2, 2, vec![3.0, 4.0, 5.0, 6.0]).unwrap();
        let names = [PathBuf::from("a.npy"), PathBuf::from("b.npy")];
        let joined = concat_rows(&[a.clone(), b], &names).unwrap();
        assert_eq!(joined.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let narrow = Matrix::new(1, 1, vec![7.0]).unwrap();
        let error = concat_rows(&[a, narrow], &names).unwrap_err().to_string();
        assert_eq!(error, "b.npy has 1 columns but a.npy has 2");
    }
}
