//! The architecture of a score network: sizes, activation, time input and output kind, the
//! layout of its flat weight buffer, and the checks that make a shape usable.

use crate::error::Error;
use core::ops::Range;

/// The activation of the hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// relu(y) = max(y, 0).
    Relu,
    /// silu(y) = y·sigmoid(y) = y / (1 + e^{−y}).
    Silu,
}

impl Activation {
    /// The name used in files and on the command line (`relu`, `silu`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Silu => "silu",
        }
    }

    /// The activation called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "relu" => Some(Activation::Relu),
            "silu" => Some(Activation::Silu),
            _ => None,
        }
    }
}

/// The scalar c(t) the time features are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeInput {
    /// c(t) = ln σ_t (VE, Brownian: σ_t spans decades, α_t = 1).
    LogSigma,
    /// c(t) = t (the pinned Brownian motion).
    Time,
    /// c(t) = ln(α_t/σ_t), the log signal-to-noise ratio (VP, OU). There ln σ_t saturates
    /// (σ_t → 1: ln σ_t ∈ [−0.04, 0] for t ∈ [0.5, 1] on the linear VP schedule, while α_t
    /// still falls from 0.28 to 0.007), so a network conditioned on it barely tells those times
    /// apart; the log-SNR spans both ends.
    LogSnr,
}

impl TimeInput {
    /// The name used in files (`log_sigma`, `time`).
    pub fn name(self) -> &'static str {
        match self {
            TimeInput::LogSigma => "log_sigma",
            TimeInput::Time => "time",
            TimeInput::LogSnr => "log_snr",
        }
    }

    /// The time input called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "log_sigma" => Some(TimeInput::LogSigma),
            "time" => Some(TimeInput::Time),
            "log_snr" => Some(TimeInput::LogSnr),
            _ => None,
        }
    }
}

/// What the output layer predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkOutput {
    /// The noise ε̂(x, t); the score is s = −ε̂ / σ_t ([`super::NetworkScore`]).
    Epsilon,
    /// The Föllmer drift u(x, t) of the pinned Brownian motion ([`super::NetworkDrift`]).
    Drift,
}

impl NetworkOutput {
    /// The name used in files (`epsilon`, `drift`).
    pub fn name(self) -> &'static str {
        match self {
            NetworkOutput::Epsilon => "epsilon",
            NetworkOutput::Drift => "drift",
        }
    }

    /// The output called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "epsilon" => Some(NetworkOutput::Epsilon),
            "drift" => Some(NetworkOutput::Drift),
            _ => None,
        }
    }
}

/// An MLP with time conditioning (the network contract, `docs/network-contract.md`): input
/// z ∈ ℝ^{d + 2K}, `depth` hidden layers of `width` units, a linear output layer of d units.
///
/// Layer l (l = 0 ..= depth) maps in_l → out_l values, in_0 = d + 2K, in_l = width for l > 0,
/// out_l = width for l < depth and out_depth = d. Its weights sit in the flat buffer as W_l
/// (out_l × in_l, row-major: W_l(j, i) multiplies input i for output j), then b_l (out_l),
/// layer after layer; the parameter count is Σ_l (in_l · out_l + out_l).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkShape {
    /// The data dimension d.
    pub dim: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Number of hidden layers.
    pub depth: usize,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// K: the number of frequencies; the input holds sin and cos of each.
    pub time_features: usize,
    /// The scalar c(t) the frequencies multiply.
    pub time_input: TimeInput,
    /// What the output layer predicts.
    pub output: NetworkOutput,
}

impl NetworkShape {
    /// Checks d, width and depth ≥ 1 and that every size below fits in `usize`
    /// ([`Error::InvalidShape`] names the field).
    pub fn validate(&self) -> Result<(), Error> {
        for (name, value) in [
            ("dim", self.dim),
            ("width", self.width),
            ("depth", self.depth),
        ] {
            if value == 0 {
                return Err(Error::InvalidShape { name, value });
            }
        }
        self.checked_input_len().ok_or(Error::InvalidShape {
            name: "time_features",
            value: self.time_features,
        })?;
        self.checked_parameter_count()
            .ok_or(Error::InvalidShape {
                name: "parameter_count",
                value: usize::MAX,
            })
            .map(|_| ())
    }

    /// The input length d + 2K (saturating; exact for a validated shape).
    pub fn input_len(&self) -> usize {
        self.checked_input_len().unwrap_or(usize::MAX)
    }

    /// The number of layers with weights: `depth` hidden layers and the output layer.
    pub fn layer_count(&self) -> usize {
        self.depth.saturating_add(1)
    }

    /// (in_l, out_l) of layer l, `None` past the output layer.
    pub fn layer(&self, l: usize) -> Option<(usize, usize)> {
        let inputs = if l == 0 { self.input_len() } else { self.width };
        match l.cmp(&self.depth) {
            core::cmp::Ordering::Less => Some((inputs, self.width)),
            core::cmp::Ordering::Equal => Some((inputs, self.dim)),
            core::cmp::Ordering::Greater => None,
        }
    }

    /// The parameter count Σ_l (in_l · out_l + out_l), or [`Error::InvalidShape`] if it
    /// overflows `usize`.
    pub fn parameter_count(&self) -> Result<usize, Error> {
        self.checked_parameter_count().ok_or(Error::InvalidShape {
            name: "parameter_count",
            value: usize::MAX,
        })
    }

    /// Where W_l sits in the flat weight buffer (`None` past the output layer or on overflow).
    pub fn weight_range(&self, l: usize) -> Option<Range<usize>> {
        let start = self.layer_offset(l)?;
        let (inputs, outputs) = self.layer(l)?;
        Some(start..start.checked_add(inputs.checked_mul(outputs)?)?)
    }

    /// Where b_l sits in the flat weight buffer (`None` past the output layer or on overflow).
    pub fn bias_range(&self, l: usize) -> Option<Range<usize>> {
        let start = self.weight_range(l)?.end;
        let (_, outputs) = self.layer(l)?;
        Some(start..start.checked_add(outputs)?)
    }

    /// The widest vector of the forward pass, max(d + 2K, width): the activations ping-pong
    /// between two buffers of this length.
    pub fn widest(&self) -> usize {
        self.input_len().max(self.width)
    }

    /// The scratch a forward pass needs: 2 · [`Self::widest`] f32.
    pub fn scratch_len(&self) -> usize {
        self.widest().saturating_mul(2)
    }

    fn checked_input_len(&self) -> Option<usize> {
        self.dim.checked_add(self.time_features.checked_mul(2)?)
    }

    /// Σ_{k < l} (in_k · out_k + out_k) in closed form (no loop over an absurd depth): layer 0
    /// has in_0 · width + width values, each later hidden layer width² + width.
    fn layer_offset(&self, l: usize) -> Option<usize> {
        if l == 0 {
            return Some(0);
        }
        if l > self.depth {
            return None;
        }
        let first = self
            .input_len()
            .checked_mul(self.width)?
            .checked_add(self.width)?;
        let hidden = self
            .width
            .checked_mul(self.width)?
            .checked_add(self.width)?;
        first.checked_add((l - 1).checked_mul(hidden)?)
    }

    fn checked_parameter_count(&self) -> Option<usize> {
        self.checked_input_len()?;
        self.bias_range(self.depth).map(|range| range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dim: usize, width: usize, depth: usize, time_features: usize) -> NetworkShape {
        NetworkShape {
            dim,
            width,
            depth,
            activation: Activation::Silu,
            time_features,
            time_input: TimeInput::LogSigma,
            output: NetworkOutput::Epsilon,
        }
    }

    #[test]
    fn parameter_count_and_layout_follow_the_contract() {
        // d = 2, K = 3: in_0 = 8; width 5, depth 2: 8·5+5 + 5·5+5 + 5·2+2 = 87.
        let s = shape(2, 5, 2, 3);
        s.validate().unwrap();
        assert_eq!(s.parameter_count().unwrap(), 87);
        assert_eq!(s.layer(0), Some((8, 5)));
        assert_eq!(s.layer(1), Some((5, 5)));
        assert_eq!(s.layer(2), Some((5, 2)));
        assert_eq!(s.layer(3), None);
        assert_eq!(s.weight_range(0), Some(0..40));
        assert_eq!(s.bias_range(0), Some(40..45));
        assert_eq!(s.weight_range(1), Some(45..70));
        assert_eq!(s.bias_range(2), Some(85..87));
        assert_eq!(s.scratch_len(), 16);
    }

    #[test]
    fn zero_and_overflowing_sizes_are_rejected() {
        let zero_width = shape(2, 0, 2, 3).validate();
        assert_eq!(
            zero_width,
            Err(Error::InvalidShape {
                name: "width",
                value: 0
            })
        );
        assert!(shape(0, 4, 1, 0).validate().is_err());
        assert!(shape(2, 4, 0, 0).validate().is_err());
        assert!(shape(2, 4, 1, usize::MAX / 2 + 1).validate().is_err());
        assert!(shape(2, usize::MAX / 4, 2, 1).validate().is_err());
        assert!(shape(2, 1 << 20, usize::MAX, 1).validate().is_err());
    }

    #[test]
    fn names_round_trip() {
        for a in [Activation::Relu, Activation::Silu] {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        for t in [TimeInput::LogSigma, TimeInput::Time, TimeInput::LogSnr] {
            assert_eq!(TimeInput::from_name(t.name()), Some(t));
        }
        for o in [NetworkOutput::Epsilon, NetworkOutput::Drift] {
            assert_eq!(NetworkOutput::from_name(o.name()), Some(o));
        }
        assert_eq!(Activation::from_name("tanh"), None);
    }
}
