//! `smoothscore data`: list the built-in and synthetic data sets, generate one to a file, and
//! describe a data file (N, d, mean, covariance spectrum).

use crate::data::builtin::default_2d;
use crate::data::synthetic::{circle, funnel, line_points, two_moons, GaussianMixture};
use crate::experiment::variance::symmetric_eigen;
use crate::io::formats::{read_matrix, write_matrix, Format};
use crate::io::idx::{load_images, IdxOptions, PixelScale};
use crate::manifest::{PathFlag, PathValue::Optional, PathValue::Required};
use crate::matrix::Matrix;
use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `smoothscore data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: DataAction,
}

impl DataArgs {
    /// The path-valued flags of `data generate` (for manifests and `reproduce`); `None` for
    /// the actions that write no file.
    pub fn path_flags(&mut self) -> Option<Vec<PathFlag<'_>>> {
        let DataAction::Generate(args) = &mut self.action else {
            return None;
        };
        let mnist = (args.name == DataSet::Mnist).then(default_mnist_images);
        if let Some(given) = args.options.mnist.take() {
            args.options.mnist = Some(crate::data::mnist::train_images(Some(&given)));
        }
        Some(vec![
            PathFlag::input("--mnist", Optional(&mut args.options.mnist, mnist)),
            PathFlag::output("--out", Required(&mut args.out)),
        ])
    }
}

/// The MNIST training images `data generate mnist` reads: `--mnist` (a folder or a file), else
/// the shipped subset.
fn default_mnist_images() -> PathBuf {
    crate::data::mnist::train_images(None)
}

/// The `data` actions.
#[derive(Debug, Subcommand)]
pub enum DataAction {
    /// List the data sets `generate` knows.
    List(ListArgs),
    /// Generate a data set to a .csv or .npy file.
    Generate(GenerateArgs),
    /// Describe a data file: N, d, mean, covariance spectrum.
    Describe(DescribeArgs),
}

/// `smoothscore data list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the list as JSON (name → description).
    #[arg(long)]
    pub json: bool,
}

/// `smoothscore data generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The data set (`smoothscore data list` says what each holds).
    #[arg(value_enum)]
    pub name: DataSet,
    /// How many points, of which dimension, from which seed.
    #[command(flatten)]
    pub options: GenerateOptions,
    /// Output file (.csv or .npy).
    #[arg(long)]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The parameters of a generated data set (the `data generate` options besides its files).
#[derive(Clone, Debug, Args)]
pub struct GenerateOptions {
    /// Number of points (synthetic sets) or images (mnist), at least 1.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n: usize,
    /// Dimension (gaussian, gmm50, funnel, line), at least 1.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub dim: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Jitter of two-moons and circle.
    #[arg(long, default_value_t = 0.0)]
    pub noise: f32,
    /// MNIST folder (its train-images-idx3-ubyte[.gz]) or images file (…-idx3-ubyte[.gz]);
    /// default: the 500-image subset shipped in fixtures/mnist.
    #[arg(long, value_name = "DIR", env = "SMOOTHSCORE_MNIST")]
    pub mnist: Option<PathBuf>,
    /// MNIST digits to keep, e.g. 0,1.
    #[arg(long, value_delimiter = ',')]
    pub digits: Option<Vec<u8>>,
    /// MNIST pixel range.
    #[arg(long, value_enum, default_value_t = PixelScale::Unit)]
    pub scale: PixelScale,
}

/// `smoothscore data describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The data file (.csv, .npy or IDX images).
    pub file: PathBuf,
    /// Number of covariance eigenvalues to print.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Print the report as JSON (every mean and eigenvalue, not only the top ones).
    #[arg(long)]
    pub json: bool,
}

/// The data sets `generate` knows (`data list` prints each with its line of help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataSet {
    /// the built-in 2-D two moons, 64 points (fixtures/default-2d.csv)
    Default,
    /// N(0, I_d) (true score −x/(α² + σ²))
    Gaussian,
    /// 8 Gaussians N(μ_k, 0.1² I) on a circle of radius 2 in 2-D (true score exact)
    GmmRing,
    /// 10-component GMM N(μ_k, I) in d = 50 (or --dim), fixed means (true score exact)
    Gmm50,
    /// Neal's funnel, v ~ N(0, 9), x | v ~ N(0, e^v I), d = 50 or --dim (score by quadrature)
    Funnel,
    /// two half-moons with uniform angles, --noise jitter
    TwoMoons,
    /// the unit circle, --noise jitter
    Circle,
    /// n points spaced 1 on a random line in R^d (Chen's setting)
    Line,
    /// MNIST training images, --digits, --scale, first --n
    Mnist,
}

/// The data sets `generate` knows, each with its line of help, in the order of [`DataSet`].
///
/// ```
/// let sets = smoothscore::commands::data::data_sets();
/// assert_eq!(sets[5].0, "two-moons");
/// assert!(sets[5].1.contains("half-moons"));
/// ```
pub fn data_sets() -> Vec<(String, String)> {
    DataSet::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .map(|value| {
            let help = value.get_help().map(ToString::to_string);
            (value.get_name().to_owned(), help.unwrap_or_default())
        })
        .collect()
}

/// Runs `data`.
pub fn run(args: &DataArgs) -> Result<String> {
    match &args.action {
        DataAction::List(list) if list.json => Ok(serde_json::to_string_pretty(
            &data_sets()
                .into_iter()
                .map(|(name, text)| (name, serde_json::Value::from(text)))
                .collect::<serde_json::Map<_, _>>(),
        )?),
        DataAction::List(_) => Ok(data_sets()
            .iter()
            .map(|(name, text)| format!("{name:<10} {text}"))
            .collect::<Vec<_>>()
            .join("\n")),
        DataAction::Generate(generate_args) => generate(generate_args),
        DataAction::Describe(describe_args) => describe(describe_args),
    }
}

fn generate(args: &GenerateArgs) -> Result<String> {
    Format::for_output(&args.out)?;
    let data = generate_data(args.name, &args.options)?;
    let name = crate::usage::choice_name(args.name);
    write_matrix(&args.out, &data)?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "dataset": name,
            "rows": data.rows(),
            "dim": data.cols(),
            "out": args.out.display().to_string(),
        }))?);
    }
    Ok(format!(
        "wrote {name} ({} × {}) to {}",
        data.rows(),
        data.cols(),
        args.out.display()
    ))
}

/// The data set `name` with the parameters `args`.
///
/// ```
/// use smoothscore::commands::data::{generate_data, DataSet, GenerateOptions};
/// use smoothscore::commands::options::parse_options;
/// let options: GenerateOptions = parse_options("generate", &[("n".into(), Some("5".into()))]).unwrap();
/// let moons = generate_data(DataSet::TwoMoons, &options).unwrap();
/// assert_eq!((moons.rows(), moons.cols()), (5, 2));
/// ```
pub fn generate_data(name: DataSet, args: &GenerateOptions) -> Result<Matrix> {
    if args.n == 0 {
        bail!("--n must be at least 1");
    }
    crate::io::limits::require_memory(
        &format!("--n {}", args.n),
        crate::io::limits::product(&[args.n, args.dim.unwrap_or(50).max(2), 12]),
    )?;
    let dim = |default: usize| args.dim.unwrap_or(default);
    let data: Matrix = match name {
        DataSet::Default => default_2d()?,
        DataSet::Gaussian => {
            GaussianMixture::gaussian(vec![0.0; dim(2)], 1.0).sample(args.n, args.seed)?
        }
        DataSet::GmmRing => GaussianMixture::ring8().sample(args.n, args.seed)?,
        DataSet::Gmm50 => GaussianMixture::ten_components(dim(50)).sample(args.n, args.seed)?,
        DataSet::Funnel => funnel(args.n, dim(50), args.seed)?,
        DataSet::TwoMoons => two_moons(args.n, args.noise, args.seed)?,
        DataSet::Circle => circle(args.n, args.noise, args.seed)?,
        DataSet::Line => line_points(args.n, dim(2), args.seed)?,
        DataSet::Mnist => {
            let path = crate::data::mnist::train_images(args.mnist.as_deref());
            if !path.exists() {
                return Err(crate::data::mnist::missing(&path));
            }
            load_images(
                &path,
                &IdxOptions {
                    scale: args.scale,
                    limit: Some(args.n),
                    digits: args.digits.clone(),
                },
            )?
        }
    };
    if data.cols() == 0 {
        bail!("--dim must be at least 1");
    }
    Ok(data)
}

/// Largest d for which `describe` computes the covariance spectrum (Jacobi is O(d³)).
pub const MAX_SPECTRUM_DIM: usize = 256;

fn column_means(data: &Matrix) -> Vec<f64> {
    let n = data.rows() as f64;
    (0..data.cols())
        .map(|k| data.iter_rows().map(|r| f64::from(r[k])).sum::<f64>() / n)
        .collect()
}

/// Mean and covariance eigenvalues (descending) of the rows.
pub fn spectrum(data: &Matrix) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = (data.rows() as f64, data.cols());
    let mean = column_means(data);
    let covariance: Vec<Vec<f64>> = (0..d)
        .map(|i| {
            (0..d)
                .map(|j| {
                    data.iter_rows()
                        .map(|row| (f64::from(row[i]) - mean[i]) * (f64::from(row[j]) - mean[j]))
                        .sum::<f64>()
                        / n
                })
                .collect()
        })
        .collect();
    (mean, symmetric_eigen(&covariance).0)
}

fn describe(args: &DescribeArgs) -> Result<String> {
    let data = read_matrix(&args.file)?;
    let (mean, values) = if data.cols() <= MAX_SPECTRUM_DIM {
        spectrum(&data)
    } else {
        (column_means(&data), Vec::new())
    };
    if args.json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "file": args.file.display().to_string(),
            "rows": data.rows(),
            "dim": data.cols(),
            "mean": mean,
            "covariance_eigenvalues": values,
            "covariance_trace": values.iter().sum::<f64>(),
        }))?);
    }
    let shown = |v: &[f64]| {
        v.iter()
            .take(args.top)
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let head = format!(
        "{}: N = {}, d = {}\nmean: [{}{}]",
        args.file.display(),
        data.rows(),
        data.cols(),
        shown(&mean),
        if mean.len() > args.top { ", …" } else { "" },
    );
    if values.is_empty() {
        return Ok(format!(
            "{head}\ncovariance spectrum skipped: d > {MAX_SPECTRUM_DIM}"
        ));
    }
    let total: f64 = values.iter().sum();
    Ok(format!(
        "{head}\ncovariance eigenvalues (top {}): [{}]; trace {:.4}",
        args.top.min(values.len()),
        shown(&values),
        total
    ))
}
