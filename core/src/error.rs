//! The typed error every fallible core call returns. Each variant gives the rejected value back.

use core::fmt;

/// Which input a [`Error::NonFinite`] was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The training set.
    Data,
    /// The query point (or sampler state).
    Query,
    /// The time t.
    Time,
    /// A process or sampler parameter.
    Parameter,
    /// The flat weights of a score network ([`crate::network`]).
    Weights,
    /// A score network's time-feature frequencies ω_k.
    TimeFrequencies,
    /// A score network's data mean μ.
    DataMean,
}

/// Errors of the core. Nothing in the core panics on data; every check lands here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Error {
    /// The training set has no points (or the dimension is zero).
    EmptyData,
    /// A buffer or query has the wrong length for the data dimension.
    DimensionMismatch {
        /// The length the call needed.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// The data length is not a multiple of the dimension.
    RaggedData {
        /// Number of values given.
        len: usize,
        /// The dimension d.
        dim: usize,
    },
    /// A NaN or infinity in an input, at `index` (flat index into that input).
    NonFinite {
        /// Which input.
        input: Input,
        /// Flat index of the first offending value.
        index: usize,
    },
    /// t lies outside the process's domain (lower bound exclusive, upper inclusive).
    TimeOutOfDomain {
        /// The rejected time.
        t: f32,
        /// Exclusive lower end of the domain.
        lower: f32,
        /// Inclusive upper end of the domain.
        upper: f32,
    },
    /// σ_t² is zero (or underflows) at this t, so the score is undefined.
    ZeroSigma {
        /// The time at which σ_t² vanished.
        t: f32,
    },
    /// A parameter is out of its valid range.
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value.
        value: f32,
    },
    /// A fixed-capacity buffer is too small for the dimension asked for.
    CapacityExceeded {
        /// The capacity needed.
        needed: usize,
        /// The capacity available.
        capacity: usize,
    },
    /// The data has more than [`crate::posterior::NARROW_DIM`] coordinates, but this build of the
    /// core left the wide path out (the `wide` feature is off, as in the firmware).
    WideDataNotBuilt {
        /// The dimension d of the rejected data.
        dim: usize,
        /// The largest dimension this build handles.
        max: usize,
    },
    /// A sampler, grid or option that the process does not support.
    Unsupported {
        /// What was asked for (an integrator's name, a grid).
        feature: &'static str,
        /// The process that refuses it.
        process: &'static str,
    },
    /// A score network's shape is unusable: a zero size (`dim`, `width`, `depth`), or sizes whose
    /// parameter count or layer width overflows `usize`.
    InvalidShape {
        /// The field (`dim`, `width`, `depth`, `time_features`, `parameter_count`).
        name: &'static str,
        /// The rejected value.
        value: usize,
    },
    /// A score network's tensor has the wrong number of values for its shape.
    TensorLength {
        /// The tensor (`weights`, `time_frequencies`, `data_mean`).
        tensor: &'static str,
        /// The length the shape needs.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A score network predicts another quantity than the one asked for (an ε network used as a
    /// drift, or the other way round).
    WrongNetworkOutput {
        /// The output the caller needs.
        expected: &'static str,
        /// The network's output.
        found: &'static str,
    },
    /// The computation overflowed f32 (e.g. every log-weight is −∞ because distances overflow).
    Overflow {
        /// What overflowed.
        quantity: &'static str,
    },
}

impl Error {
    /// The variant's name, for reports that cannot afford `core::fmt` (e.g. firmware).
    pub fn name(&self) -> &'static str {
        match self {
            Error::EmptyData => "EmptyData",
            Error::DimensionMismatch { .. } => "DimensionMismatch",
            Error::RaggedData { .. } => "RaggedData",
            Error::NonFinite { .. } => "NonFinite",
            Error::TimeOutOfDomain { .. } => "TimeOutOfDomain",
            Error::ZeroSigma { .. } => "ZeroSigma",
            Error::InvalidParameter { .. } => "InvalidParameter",
            Error::CapacityExceeded { .. } => "CapacityExceeded",
            Error::WideDataNotBuilt { .. } => "WideDataNotBuilt",
            Error::Unsupported { .. } => "Unsupported",
            Error::InvalidShape { .. } => "InvalidShape",
            Error::TensorLength { .. } => "TensorLength",
            Error::WrongNetworkOutput { .. } => "WrongNetworkOutput",
            Error::Overflow { .. } => "Overflow",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyData => write!(f, "the training set is empty"),
            Error::DimensionMismatch { expected, found } => {
                write!(f, "dimension mismatch: expected {expected}, found {found}")
            }
            Error::RaggedData { len, dim } => write!(
                f,
                "data length {len} is not a multiple of the dimension {dim}"
            ),
            Error::NonFinite { input, index } => {
                let what = match input {
                    Input::Data => "training data",
                    Input::Query => "query",
                    Input::Time => "time t",
                    Input::Parameter => "parameter",
                    Input::Weights => "network weights",
                    Input::TimeFrequencies => "network time frequencies",
                    Input::DataMean => "network data mean",
                };
                write!(
                    f,
                    "non-finite value (NaN or infinity) in the {what} at index {index}"
                )
            }
            Error::TimeOutOfDomain { t, lower, upper } => {
                write!(
                    f,
                    "t = {t} is outside the process's domain ({lower}, {upper}]"
                )
            }
            Error::ZeroSigma { t } => {
                write!(f, "sigma_t is zero at t = {t}: the score is undefined")
            }
            Error::InvalidParameter { name, value } => {
                write!(f, "invalid parameter {name} = {value}")
            }
            Error::CapacityExceeded { needed, capacity } => write!(
                f,
                "fixed buffer too small: dimension {needed} exceeds capacity {capacity}"
            ),
            Error::WideDataNotBuilt { dim, max } => write!(
                f,
                "data of dimension {dim} needs the wide path, which this build of smoothscore-core \
                 leaves out (it handles d <= {max}): enable the core's `wide` feature"
            ),
            Error::Unsupported { feature, process } => {
                write!(f, "{feature} does not apply to the {process}")
            }
            Error::InvalidShape { name, value } => {
                write!(f, "invalid network shape: {name} = {value}")
            }
            Error::TensorLength {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "network tensor {tensor} has {found} values, the shape needs {expected}"
            ),
            Error::WrongNetworkOutput { expected, found } => write!(
                f,
                "the network predicts the {found}, but the {expected} is needed"
            ),
            Error::Overflow { quantity } => {
                write!(f, "f32 overflow while computing the {quantity}")
            }
        }
    }
}

/// A library error type, so callers use `?` (anyhow, `Box<dyn Error>`) instead of wrapping it.
impl core::error::Error for Error {}

/// Returns `Err(NonFinite)` at the first NaN or infinity in `values`.
pub fn check_finite(values: &[f32], input: Input) -> Result<(), Error> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { input, index }),
        None => Ok(()),
    }
}
