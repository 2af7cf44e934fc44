//! The closed-form law of the line scores' probability-flow endpoints at t_min: the start law
//! along the line pushed through the exact flow map of `LineScore::flow_map` (a one-dimensional
//! ODE flow, hence increasing), F(y) = F_start(T⁻¹(y)) with T⁻¹ by bisection.

use crate::metrics::ks::Law1d;
use smoothscore_core::LineScore;

/// Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2))
}

/// The law of the start's position y along the line.
#[derive(Clone, Debug, PartialEq)]
pub enum StartLaw {
    /// p_{t₀}^N: a uniformly chosen point p_i plus √t₀ noise, F = 1/n Σ Φ((y − p_i)/√t₀).
    Mixture {
        /// The points' positions.
        positions: Vec<f64>,
        /// t₀.
        t0: f64,
    },
    /// The reverse process's start at its horizon, N(0, t₀ I): F = Φ(y/√t₀).
    Prior {
        /// t₀.
        t0: f64,
    },
}

impl StartLaw {
    /// F_start(y).
    pub fn cdf(&self, y: f64) -> f64 {
        match self {
            StartLaw::Mixture { positions, t0 } => {
                positions
                    .iter()
                    .map(|p| normal_cdf((y - p) / t0.sqrt()))
                    .sum::<f64>()
                    / positions.len() as f64
            }
            StartLaw::Prior { t0 } => normal_cdf(y / t0.sqrt()),
        }
    }
}

/// The endpoint law at `t_min` of the flow of `score` from `t0`, for starts of law `start`.
pub struct FlowMapLaw<'a> {
    /// The line score (PL-ESF or smoothed PL-ESF).
    pub score: &'a LineScore<'a>,
    /// The line's unit direction (its origin is 0).
    pub direction: &'a [f32],
    /// The start law.
    pub start: StartLaw,
    /// Start time t₀.
    pub t0: f32,
    /// End time.
    pub t_min: f32,
    /// A bracket of start positions holding all but a negligible part of the start law.
    pub bracket: (f64, f64),
}

impl FlowMapLaw<'_> {
    /// T(y): the position at t_min of the flow started at y·u at t₀.
    fn map(&self, y: f64) -> f64 {
        let start: Vec<f32> = self.direction.iter().map(|&u| y as f32 * u).collect();
        let mut end = vec![0.0f32; start.len()];
        match self.score.flow_map(self.t0, self.t_min, &start, &mut end) {
            Ok(()) => end
                .iter()
                .zip(self.direction)
                .map(|(&a, &u)| f64::from(a) * f64::from(u))
                .sum(),
            Err(_) => f64::NAN,
        }
    }
}

impl Law1d for FlowMapLaw<'_> {
    /// F(y) = F_start(sup{x : T(x) ≤ y}) (60 bisection steps on the bracket).
    fn cdf(&self, y: f64) -> f64 {
        let (mut low, mut high) = self.bracket;
        if self.map(low) > y {
            return self.start.cdf(low);
        }
        if self.map(high) <= y {
            return self.start.cdf(high);
        }
        for _ in 0..60 {
            let middle = 0.5 * (low + high);
            if self.map(middle) <= y {
                low = middle;
            } else {
                high = middle;
            }
        }
        self.start.cdf(0.5 * (low + high))
    }
}
