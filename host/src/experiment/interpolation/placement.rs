//! Where endpoints land along a one-dimensional arrangement of training points (a line, or a
//! circle by its arc length): on a point, strictly inside a gap, or in a *new cluster* inside a
//! gap — a pile-up that is neither a copy of a point nor an interpolation between points.

/// The fractions of endpoints in each place (they sum to 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// Within ε·Δ of a training point (Δ the spacing).
    pub near_point: f64,
    /// Farther than ε·Δ from every point, inside a gap, and not in a new cluster.
    pub in_gaps: f64,
    /// Inside a gap, in a new cluster: at least [`CLUSTER_MINIMUM`] endpoints and at least
    /// [`CLUSTER_FACTOR`] times the uniform expectation within ±ε·Δ.
    pub new_clusters: f64,
    /// Beyond the first or last point (a line only).
    pub outside: f64,
}

/// A new cluster holds at least this many endpoints within ±ε·Δ…
pub const CLUSTER_MINIMUM: usize = 5;
/// …and at least this many times as many as if the in-gap endpoints spread uniformly over the
/// gaps' interiors (a Poisson count of mean λ reaches 4λ with probability < 10⁻³ for λ ≥ 3).
pub const CLUSTER_FACTOR: f64 = 4.0;

/// The arrangement: sorted point coordinates and, for a circle, its circumference.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrangement {
    /// Sorted coordinates of the training points (positions along the line, or arc lengths).
    pub points: Vec<f64>,
    /// The circumference when the coordinate is periodic (a circle), else `None`.
    pub period: Option<f64>,
}

impl Arrangement {
    fn separation(&self, a: f64, b: f64) -> f64 {
        match self.period {
            Some(period) => {
                let d = (a - b).rem_euclid(period);
                d.min(period - d)
            }
            None => (a - b).abs(),
        }
    }

    /// The distance from `u` to the nearest point.
    pub fn nearest_gap(&self, u: f64) -> f64 {
        self.points
            .iter()
            .map(|&p| self.separation(u, p))
            .fold(f64::INFINITY, f64::min)
    }

    /// Total length of the gaps' interiors (each gap less 2ε·Δ).
    fn interior_length(&self, margin: f64) -> f64 {
        let mut gaps: Vec<f64> = self.points.windows(2).map(|w| w[1] - w[0]).collect();
        if let (Some(period), Some(first), Some(last)) =
            (self.period, self.points.first(), self.points.last())
        {
            gaps.push(period - (last - first));
        }
        gaps.iter().map(|g| (g - 2.0 * margin).max(0.0)).sum()
    }

    fn outside_span(&self, u: f64) -> bool {
        self.period.is_none() && (u < self.points[0] || u > self.points[self.points.len() - 1])
    }

    /// Places every endpoint coordinate in `endpoints`, with margin ε·Δ = `margin`.
    pub fn place(&self, endpoints: &[f64], margin: f64) -> Placement {
        let count = endpoints.len().max(1) as f64;
        let mut near = 0usize;
        let mut outside = 0usize;
        let mut inside: Vec<f64> = Vec::new();
        for &u in endpoints {
            if self.nearest_gap(u) <= margin {
                near += 1;
            } else if self.outside_span(u) {
                outside += 1;
            } else {
                inside.push(u);
            }
        }
        let length = self.interior_length(margin);
        let expected = if length > 0.0 {
            inside.len() as f64 * 2.0 * margin / length
        } else {
            f64::INFINITY
        };
        let threshold = (CLUSTER_FACTOR * expected).max(CLUSTER_MINIMUM as f64);
        let clustered = inside
            .iter()
            .filter(|&&u| {
                inside
                    .iter()
                    .filter(|&&v| self.separation(u, v) <= margin)
                    .count() as f64
                    >= threshold
            })
            .count();
        Placement {
            near_point: near as f64 / count,
            in_gaps: (inside.len() - clustered) as f64 / count,
            new_clusters: clustered as f64 / count,
            outside: outside as f64 / count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_gaps_and_new_clusters_are_told_apart() {
        let line = Arrangement {
            points: vec![0.0, 1.0, 2.0],
            period: None,
        };
        // 10 on the points, 20 spread evenly over [0.2, 0.77], 20 piled at 1.5, 2 beyond the ends.
        let mut endpoints: Vec<f64> = (0..10).map(|k| f64::from(k % 3) + 0.01).collect();
        endpoints.extend((0..20).map(|k| 0.2 + 0.03 * f64::from(k)));
        endpoints.extend((0..20).map(|k| 1.5 + 0.001 * f64::from(k)));
        endpoints.extend([-0.5, 2.5]);
        let placed = line.place(&endpoints, 0.05);
        let n = endpoints.len() as f64;
        println!("{placed:?} of {n}");
        assert!((placed.near_point - 10.0 / n).abs() < 1e-12);
        assert!((placed.in_gaps - 20.0 / n).abs() < 1e-12);
        assert!((placed.new_clusters - 20.0 / n).abs() < 1e-12);
        assert!((placed.outside - 2.0 / n).abs() < 1e-12);
        let total = placed.near_point + placed.in_gaps + placed.new_clusters + placed.outside;
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_circle_wraps_around() {
        let circle = Arrangement {
            points: vec![0.0, 1.0, 2.0, 3.0],
            period: Some(4.0),
        };
        assert!((circle.nearest_gap(3.9) - 0.1).abs() < 1e-12);
        let placed = circle.place(&[3.98, 0.02, 3.5], 0.05);
        assert!((placed.near_point - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(placed.outside, 0.0);
    }
}
