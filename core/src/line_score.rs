//! Chen's score smoothing for training points on a line (docs/math.md §6), under the Brownian forward
//! process (α_t = 1, σ_t² = t), probability-flow ODE dx/dt = −½ s_t(x).
//!
//! The points are x_k = a + p_k u (origin a, unit direction u, positions p_0 < … < p_{n−1}).
//! A query splits into its position y = u·(x − a) and normal part x_⊥ = x − a − y u, and the score is
//! s_t(x) = ŝ_t(y) u − x_⊥ / t: only the tangent part is smoothed. Between neighbours p_k < p_{k+1}
//! (midpoint m_k, half-gap g_k):
//! - piecewise-linear ESF (small-t limit of the exact score): ŝ_t(y) = (p_nearest − y)/t;
//! - smoothed PL-ESF with δ_t = min(κ√t, g_k): ŝ_t(y) = (δ_t/(g_k − δ_t))·(y − m_k)/t on
//!   |y − m_k| < g_k − δ_t, and (p_nearest − y)/t elsewhere (continuous).
//!
//! Beyond the end points both are (p_end − y)/t. At y = m_k exactly, the PL-ESF (discontinuous
//! there) takes the mean of its two one-sided limits, 0.

use crate::error::{check_finite, Error, Input};
use crate::lanes;
use crate::math;
use crate::score::ScoreField;

/// Which tangent score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineScoreKind {
    /// The piecewise-linear empirical score function (memorizes: every trajectory ends on a point).
    PiecewiseLinear,
    /// The smoothed PL-ESF with δ_t = κ√t (interpolates between neighbouring points).
    Smoothed {
        /// κ > 0.
        kappa: f32,
    },
}

/// Training points on a line: origin a, unit direction u, increasing positions p_k.
#[derive(Clone, Copy, Debug)]
pub struct LineData<'a> {
    origin: &'a [f32],
    direction: &'a [f32],
    positions: &'a [f32],
}

impl<'a> LineData<'a> {
    /// Checks the parts: same dimension for a and u, ‖u‖ = 1 within 10⁻⁴, at least one position,
    /// positions finite and strictly increasing.
    pub fn new(
        origin: &'a [f32],
        direction: &'a [f32],
        positions: &'a [f32],
    ) -> Result<Self, Error> {
        if positions.is_empty() || origin.is_empty() {
            return Err(Error::EmptyData);
        }
        if direction.len() != origin.len() {
            return Err(Error::DimensionMismatch {
                expected: origin.len(),
                found: direction.len(),
            });
        }
        check_finite(origin, Input::Data)?;
        check_finite(direction, Input::Data)?;
        check_finite(positions, Input::Data)?;
        let norm = math::sqrt(lanes::dot(direction, direction));
        if (norm - 1.0).abs() > 1e-4 {
            return Err(Error::InvalidParameter {
                name: "direction norm",
                value: norm,
            });
        }
        for pair in positions.windows(2) {
            if let [lower, upper] = *pair {
                if upper <= lower {
                    return Err(Error::InvalidParameter {
                        name: "gap between increasing positions",
                        value: upper - lower,
                    });
                }
            }
        }
        Ok(LineData {
            origin,
            direction,
            positions,
        })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.origin.len()
    }

    /// The positions p_k.
    pub fn positions(&self) -> &'a [f32] {
        self.positions
    }

    /// y = u·(x − a) and x_⊥ = x − a − y u (written into `normal`).
    pub fn split(&self, x: &[f32], normal: &mut [f32]) -> f32 {
        for ((n, &xk), &ak) in normal.iter_mut().zip(x).zip(self.origin) {
            *n = xk - ak;
        }
        let y = lanes::dot(normal, self.direction);
        for (n, &uk) in normal.iter_mut().zip(self.direction) {
            *n -= y * uk;
        }
        y
    }

    /// The cell of y: `Outside(p)` beyond an end point p, or `Between { lower, upper }`.
    fn cell(&self, y: f32) -> Cell {
        let positions = self.positions;
        let (first, last) = match (positions.first(), positions.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => return Cell::Outside(0.0),
        };
        if y <= first {
            return Cell::Outside(first);
        }
        if y >= last {
            return Cell::Outside(last);
        }
        let upper_index = positions.partition_point(|&p| p <= y);
        match (
            positions.get(upper_index.wrapping_sub(1)),
            positions.get(upper_index),
        ) {
            (Some(&lower), Some(&upper)) => Cell::Between { lower, upper },
            _ => Cell::Outside(last),
        }
    }
}

#[derive(Clone, Copy)]
enum Cell {
    Outside(f32),
    Between { lower: f32, upper: f32 },
}

/// δ_t = min(κ√t, g).
fn delta(kind: LineScoreKind, t: f32, half_gap: f32) -> f32 {
    match kind {
        LineScoreKind::PiecewiseLinear => 0.0,
        LineScoreKind::Smoothed { kappa } => (kappa * math::sqrt(t)).min(half_gap),
    }
}

/// The PL-ESF or smoothed PL-ESF with the points of a [`LineData`], on (0, T].
#[derive(Clone, Copy, Debug)]
pub struct LineScore<'a> {
    line: LineData<'a>,
    kind: LineScoreKind,
    horizon: f32,
}

impl<'a> LineScore<'a> {
    /// The score of `kind` for `line` on t ∈ (0, horizon]; κ must be finite and > 0.
    pub fn new(line: LineData<'a>, kind: LineScoreKind, horizon: f32) -> Result<Self, Error> {
        if let LineScoreKind::Smoothed { kappa } = kind {
            if !(kappa.is_finite() && kappa > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "kappa",
                    value: kappa,
                });
            }
        }
        if !(horizon.is_finite() && horizon > 0.0) {
            return Err(Error::InvalidParameter {
                name: "horizon",
                value: horizon,
            });
        }
        Ok(LineScore {
            line,
            kind,
            horizon,
        })
    }

    /// The line data.
    pub fn line(&self) -> &LineData<'a> {
        &self.line
    }

    fn check_time(&self, t: f32) -> Result<(), Error> {
        if t > 0.0 && t <= self.horizon {
            Ok(())
        } else {
            Err(Error::TimeOutOfDomain {
                t,
                lower: 0.0,
                upper: self.horizon,
            })
        }
    }

    /// The tangent score ŝ_t(y) (module docs).
    pub fn tangent_score(&self, t: f32, y: f32) -> f32 {
        match self.line.cell(y) {
            Cell::Outside(end) => (end - y) / t,
            Cell::Between { lower, upper } => {
                let midpoint = 0.5 * (lower + upper);
                let half_gap = 0.5 * (upper - lower);
                let delta_t = delta(self.kind, t, half_gap);
                let offset = y - midpoint;
                if offset.abs() < half_gap - delta_t && delta_t > 0.0 {
                    delta_t / (half_gap - delta_t) * offset / t
                } else if offset < 0.0 {
                    (lower - y) / t
                } else if offset > 0.0 {
                    (upper - y) / t
                } else {
                    0.0
                }
            }
        }
    }

    /// The closed-form flow map of dx/dt = −½ s_t(x) from `t_from` down to `t_to` ∈ (0, t_from]
    /// (t_to → 0 gives the endpoint law), written into `out`. Tangent part: on the smoothed zone
    /// |y − m| < g − δ_t the ratio (y − m)/(g − δ_t) is conserved, so
    /// y_to = m + (y − m)(g − δ_to)/(g − δ_from); elsewhere y − p_nearest ∝ √t; normal part
    /// x_⊥ ∝ √t. Trajectories never leave their zone, so the map is exact.
    pub fn flow_map(
        &self,
        t_from: f32,
        t_to: f32,
        x: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.check_time(t_from)?;
        if !(t_to >= 0.0 && t_to <= t_from) {
            return Err(Error::TimeOutOfDomain {
                t: t_to,
                lower: 0.0,
                upper: t_from,
            });
        }
        self.check_query(x, out.len())?;
        let y = self.line.split(x, out);
        let shrink = math::sqrt(t_to / t_from);
        let toward = |point: f32| point + (y - point) * shrink;
        let y_to = match self.line.cell(y) {
            Cell::Outside(end) => toward(end),
            Cell::Between { lower, upper } => {
                let midpoint = 0.5 * (lower + upper);
                let half_gap = 0.5 * (upper - lower);
                let delta_from = delta(self.kind, t_from, half_gap);
                let offset = y - midpoint;
                if offset.abs() < half_gap - delta_from && delta_from > 0.0 {
                    let delta_to = delta(self.kind, t_to, half_gap);
                    midpoint + offset * (half_gap - delta_to) / (half_gap - delta_from)
                } else if offset < 0.0 {
                    toward(lower)
                } else {
                    toward(upper)
                }
            }
        };
        for ((o, &ak), &uk) in out
            .iter_mut()
            .zip(self.line.origin)
            .zip(self.line.direction)
        {
            *o = ak + y_to * uk + *o * shrink;
        }
        Ok(())
    }

    fn check_query(&self, x: &[f32], out_len: usize) -> Result<(), Error> {
        let dim = self.line.dim();
        for len in [x.len(), out_len] {
            if len != dim {
                return Err(Error::DimensionMismatch {
                    expected: dim,
                    found: len,
                });
            }
        }
        check_finite(x, Input::Query)
    }
}

impl ScoreField for LineScore<'_> {
    fn dim(&self) -> usize {
        self.line.dim()
    }

    /// s_t(x) = ŝ_t(y) u − x_⊥ / t.
    fn score(&self, t: f32, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.check_time(t)?;
        self.check_query(x, out.len())?;
        let y = self.line.split(x, out);
        let tangent = self.tangent_score(t, y);
        for (o, &uk) in out.iter_mut().zip(self.line.direction) {
            *o = tangent * uk - *o / t;
        }
        if out.iter().all(|v| v.is_finite()) {
            Ok(())
        } else {
            Err(Error::Overflow { quantity: "score" })
        }
    }
}

/// The exact posterior mean of two points p_lower < p_upper in d = 1 under Brownian noise
/// (σ_t² = t): m + g·tanh(g(y − m)/t), m the midpoint, g the half-gap (tanh(y/t) for ±1).
pub fn two_point_posterior_mean(lower: f32, upper: f32, t: f32, y: f32) -> f32 {
    let midpoint = 0.5 * (lower + upper);
    let half_gap = 0.5 * (upper - lower);
    midpoint + half_gap * libm::tanhf(half_gap * (y - midpoint) / t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: [f32; 2] = [0.0, 0.0];
    const AXIS: [f32; 2] = [1.0, 0.0];
    const TWO: [f32; 2] = [-1.0, 1.0];

    fn two_points(kind: LineScoreKind) -> LineScore<'static> {
        LineScore::new(LineData::new(&ORIGIN, &AXIS, &TWO).unwrap(), kind, 1.0).unwrap()
    }

    #[test]
    fn smoothed_two_point_score_is_the_papers_formula() {
        let kappa = 0.5f32;
        let score = two_points(LineScoreKind::Smoothed { kappa });
        let t = 0.16f32;
        let delta = kappa * 0.4;
        for x in [-1.5f32, -0.9, -0.5, 0.0, 0.3, 0.79, 0.81, 1.2] {
            let want = if x <= delta - 1.0 {
                -(x + 1.0) / t
            } else if x >= 1.0 - delta {
                -(x - 1.0) / t
            } else {
                delta / (1.0 - delta) * x / t
            };
            let got = score.tangent_score(t, x);
            assert!(
                (got - want).abs() < 1e-4 * (1.0 + want.abs()),
                "x = {x}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn smoothed_score_is_continuous_and_pl_esf_jumps_at_the_midpoint() {
        let smoothed = two_points(LineScoreKind::Smoothed { kappa: 0.3 });
        let pl = two_points(LineScoreKind::PiecewiseLinear);
        let t = 0.25f32;
        let boundary = 1.0 - 0.3 * 0.5;
        let (left, right) = (boundary - 1e-4, boundary + 1e-4);
        assert!((smoothed.tangent_score(t, left) - smoothed.tangent_score(t, right)).abs() < 1e-2);
        let jump = pl.tangent_score(t, 1e-4) - pl.tangent_score(t, -1e-4);
        assert!((jump - 8.0).abs() < 1e-2, "jump 2/t = 8, got {jump}");
        assert_eq!(pl.tangent_score(t, 0.0), 0.0);
    }

    #[test]
    fn normal_part_is_pulled_in_and_tangent_part_follows_the_line() {
        let direction = [0.6f32, 0.8];
        let origin = [1.0f32, -1.0];
        let line = LineData::new(&origin, &direction, &TWO).unwrap();
        let score = LineScore::new(line, LineScoreKind::PiecewiseLinear, 1.0).unwrap();
        let x = [1.0 + 0.6 * 1.5 - 0.8 * 0.2, -1.0 + 0.8 * 1.5 + 0.6 * 0.2];
        let mut out = [0.0f32; 2];
        score.score(0.5, &x, &mut out).unwrap();
        let tangent = (1.0 - 1.5) / 0.5;
        let want = [
            tangent * 0.6 + 0.8 * 0.2 / 0.5,
            tangent * 0.8 - 0.6 * 0.2 / 0.5,
        ];
        for k in 0..2 {
            assert!((out[k] - want[k]).abs() < 1e-5, "{out:?} vs {want:?}");
        }
    }

    #[test]
    fn flow_map_endpoints_interpolate_under_smoothing_and_memorize_without() {
        let smoothed = two_points(LineScoreKind::Smoothed { kappa: 0.5 });
        let pl = two_points(LineScoreKind::PiecewiseLinear);
        let mut out = [0.0f32; 2];
        let t = 0.25f32;
        smoothed.flow_map(t, 0.0, &[0.3, 0.4], &mut out).unwrap();
        assert!(
            (out[0] - 0.3 / 0.75).abs() < 1e-6 && out[1] == 0.0,
            "{out:?}"
        );
        pl.flow_map(t, 0.0, &[0.3, 0.4], &mut out).unwrap();
        assert_eq!(out, [1.0, 0.0]);
        smoothed.flow_map(t, 0.0, &[0.9, 0.0], &mut out).unwrap();
        assert_eq!(out, [1.0, 0.0]);
    }

    #[test]
    fn two_point_posterior_mean_is_tanh() {
        for y in [-2.0f32, -0.3, 0.0, 0.7] {
            let got = two_point_posterior_mean(-1.0, 1.0, 0.4, y);
            assert!((got - libm::tanhf(y / 0.4)).abs() < 1e-6);
        }
        let shifted = two_point_posterior_mean(1.0, 3.0, 0.4, 2.5);
        assert!((shifted - (2.0 + libm::tanhf(0.5 / 0.4))).abs() < 1e-6);
    }

    #[test]
    fn bad_lines_and_queries_are_rejected() {
        assert!(LineData::new(&ORIGIN, &[1.0, 1.0], &TWO).is_err());
        assert!(LineData::new(&ORIGIN, &AXIS, &[1.0, 1.0]).is_err());
        assert!(LineData::new(&ORIGIN, &AXIS, &[]).is_err());
        assert!(LineData::new(&ORIGIN, &AXIS[..1], &TWO).is_err());
        let line = LineData::new(&ORIGIN, &AXIS, &TWO).unwrap();
        assert!(LineScore::new(line, LineScoreKind::Smoothed { kappa: 0.0 }, 1.0).is_err());
        let score = two_points(LineScoreKind::PiecewiseLinear);
        let mut out = [0.0f32; 2];
        assert!(score.score(0.0, &[0.0, 0.0], &mut out).is_err());
        assert!(score.score(0.5, &[f32::NAN, 0.0], &mut out).is_err());
        assert!(score.flow_map(0.5, 0.6, &[0.0, 0.0], &mut out).is_err());
    }
}
