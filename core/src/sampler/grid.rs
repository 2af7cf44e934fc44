//! Time grids t_0 = start, …, t_n = end: uniform or geometric in t, or in the process's noise
//! level λ_t = σ_t/α_t mapped back to t: the EDM schedule of Karras et al. (2022, eq. 5), or
//! the cosine schedule's noise levels (uniform in θ = atan(λ/c)).

use super::noise_level::{noise_level, time_of_noise_level};
use crate::error::Error;
use crate::math;
use crate::schedule::Process;

/// How the time points of a grid are spaced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spacing {
    /// t_k = t_start + (k/n)(t_end − t_start).
    Uniform,
    /// t_k = t_start (t_end/t_start)^{k/n}: log-uniform, so Δt/t is constant and the step stays
    /// stable near t_min where σ_t² ≪ Δt would make a uniform Euler step overshoot.
    Geometric,
    /// The EDM schedule in noise level (Karras et al. 2022, eq. 5):
    /// λ_k = (λ_max^{1/ρ} + (k/n)(λ_min^{1/ρ} − λ_max^{1/ρ}))^ρ with λ_max = λ_{t_start},
    /// λ_min = λ_{t_end}, and t_k = t(λ_k) by [`super::time_of_noise_level`].
    /// ρ = 7 is their choice; ρ = 1 is uniform in λ, ρ → ∞ geometric in λ. Reverse samplers
    /// only (the process gives the map λ ↔ t).
    Karras {
        /// The exponent ρ ≥ 1.
        rho: f32,
    },
    /// The noise levels of the cosine schedule (Nichol & Dhariwal 2021, where λ = tan θ and θ
    /// moves uniformly in t) shifted by the scale c (Hoogeboom, Heek & Salimans 2023,
    /// λ = c tan θ): θ_k = θ_start + (k/n)(θ_end − θ_start) with θ = atan(λ/c), λ_k = c tan θ_k,
    /// t_k = t(λ_k). The steps are dense around λ ≈ c and sparse at both ends, in proportion to
    /// c λ/(c² + λ²) per unit of ln λ: where a sampler that adds noise each step (DDIM η > 0,
    /// EDM's churn) loses or gains the most variance per step for data of scale c. Reverse
    /// samplers only.
    Cosine {
        /// The scale c > 0 of the noise levels (the data's standard deviation, σ_data).
        scale: f32,
    },
}

/// How a noise-level grid warps λ before spacing it uniformly: u = λ^{1/ρ} (Karras) or
/// u = atan(λ/c) (cosine), with the inverse λ = u^ρ or c tan u.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Warp {
    Root { rho: f32 },
    Angle { scale: f32 },
}

impl Warp {
    fn forward(&self, lambda: f32) -> f32 {
        match *self {
            Warp::Root { rho } => math::pow(lambda, 1.0 / rho),
            Warp::Angle { scale } => math::atan(lambda / scale),
        }
    }

    fn inverse(&self, warped: f32) -> f32 {
        match *self {
            Warp::Root { rho } => math::pow(warped, rho),
            Warp::Angle { scale } => scale * math::tan(warped),
        }
    }
}

/// A noise-level grid's parameters: the process whose λ ↔ t map it uses, the warp, and the
/// warped noise level at both ends.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NoiseLevelGrid {
    process: Process,
    warp: Warp,
    warped_start: f32,
    warped_end: f32,
}

/// A time grid t_0 = start, …, t_n = end with n steps (start > end for reverse samplers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeGrid {
    start: f32,
    end: f32,
    steps: usize,
    spacing: Spacing,
    noise_levels: Option<NoiseLevelGrid>,
}

impl TimeGrid {
    /// A grid of `steps` ≥ 1 steps from `start` to `end`; both must be finite and distinct, and
    /// both positive for [`Spacing::Geometric`]. [`Spacing::Karras`] and [`Spacing::Cosine`]
    /// need the process: use [`Self::for_process`].
    pub fn new(start: f32, end: f32, steps: usize, spacing: Spacing) -> Result<Self, Error> {
        match spacing {
            Spacing::Karras { rho } => Err(Error::InvalidParameter {
                name: "rho",
                value: rho,
            }),
            Spacing::Cosine { scale } => Err(Error::InvalidParameter {
                name: "scale",
                value: scale,
            }),
            _ => Self::checked(start, end, steps, spacing, None),
        }
    }

    /// A grid from the process's time `start` down to `end` (0 < end < start ≤ T): any spacing,
    /// [`Spacing::Karras`] and [`Spacing::Cosine`] in the process's noise level. A noise-level
    /// grid is checked to decrease strictly (f32 rounding could merge two points of a very fine
    /// grid; that is an `InvalidParameter` on `steps`).
    pub fn for_process(
        process: &Process,
        start: f32,
        end: f32,
        steps: usize,
        spacing: Spacing,
    ) -> Result<Self, Error> {
        let warp = match spacing {
            Spacing::Karras { rho } if rho.is_finite() && rho >= 1.0 => Warp::Root { rho },
            Spacing::Karras { rho } => {
                return Err(Error::InvalidParameter {
                    name: "rho",
                    value: rho,
                })
            }
            Spacing::Cosine { scale } if scale.is_finite() && scale > 0.0 => Warp::Angle { scale },
            Spacing::Cosine { scale } => {
                return Err(Error::InvalidParameter {
                    name: "scale",
                    value: scale,
                })
            }
            _ => return Self::new(start, end, steps, spacing),
        };
        process.check_time(start)?;
        process.check_time(end)?;
        if end >= start {
            return Err(Error::InvalidParameter {
                name: "t_end",
                value: end,
            });
        }
        let levels = NoiseLevelGrid {
            process: *process,
            warp,
            warped_start: warp.forward(noise_level(process, start)),
            warped_end: warp.forward(noise_level(process, end)),
        };
        let grid = Self::checked(start, end, steps, spacing, Some(levels))?;
        for k in 0..steps {
            let (from, to) = (grid.time(k), grid.time(k + 1));
            if !(to < from && to > 0.0) {
                return Err(Error::InvalidParameter {
                    name: "steps",
                    value: steps as f32,
                });
            }
        }
        Ok(grid)
    }

    fn checked(
        start: f32,
        end: f32,
        steps: usize,
        spacing: Spacing,
        noise_levels: Option<NoiseLevelGrid>,
    ) -> Result<Self, Error> {
        if steps == 0 {
            return Err(Error::InvalidParameter {
                name: "steps",
                value: 0.0,
            });
        }
        for (name, value) in [("t_start", start), ("t_end", end)] {
            let positive_needed = spacing != Spacing::Uniform;
            if !value.is_finite() || (positive_needed && value <= 0.0) {
                return Err(Error::InvalidParameter { name, value });
            }
        }
        if start == end {
            return Err(Error::InvalidParameter {
                name: "t_end",
                value: end,
            });
        }
        Ok(TimeGrid {
            start,
            end,
            steps,
            spacing,
            noise_levels,
        })
    }

    /// The number of steps n.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The spacing.
    pub fn spacing(&self) -> Spacing {
        self.spacing
    }

    /// t_k for k = 0..=n; t_0 and t_n are exactly `start` and `end`.
    pub fn time(&self, k: usize) -> f32 {
        if k == 0 {
            return self.start;
        }
        if k >= self.steps {
            return self.end;
        }
        let fraction = k as f32 / self.steps as f32;
        if let Some(levels) = &self.noise_levels {
            let warped = levels.warped_start + fraction * (levels.warped_end - levels.warped_start);
            return time_of_noise_level(&levels.process, levels.warp.inverse(warped));
        }
        match self.spacing {
            Spacing::Uniform => self.start + fraction * (self.end - self.start),
            Spacing::Geometric | Spacing::Karras { .. } | Spacing::Cosine { .. } => {
                self.start * math::exp(fraction * math::ln(self.end / self.start))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_hit_their_ends_exactly_and_are_monotone() {
        for spacing in [Spacing::Uniform, Spacing::Geometric] {
            let grid = TimeGrid::new(1.0, 1e-3, 100, spacing).unwrap();
            assert_eq!(grid.time(0), 1.0);
            assert_eq!(grid.time(100), 1e-3);
            for k in 0..100 {
                assert!(grid.time(k + 1) < grid.time(k));
            }
        }
        assert!(TimeGrid::new(1.0, 0.0, 10, Spacing::Geometric).is_err());
        assert!(TimeGrid::new(1.0, 0.5, 0, Spacing::Uniform).is_err());
        assert!(TimeGrid::new(1.0, 0.5, 10, Spacing::Karras { rho: 7.0 }).is_err());
        assert!(TimeGrid::new(1.0, 0.5, 10, Spacing::Cosine { scale: 0.5 }).is_err());
    }

    #[test]
    fn cosine_grids_are_uniform_in_the_angle_of_the_noise_level() {
        for process in crate::test_support::REVERSE_PROCESSES {
            let horizon = process.horizon();
            let spacing = Spacing::Cosine { scale: 0.5 };
            let grid = TimeGrid::for_process(&process, horizon, 1e-3, 100, spacing).unwrap();
            assert_eq!(grid.time(0), horizon);
            assert_eq!(grid.time(100), 1e-3);
            let angle = |t: f32| (noise_level(&process, t) as f64 / 0.5).atan();
            let (start, end) = (angle(horizon), angle(1e-3));
            for k in 0..100 {
                assert!(grid.time(k + 1) < grid.time(k), "{process:?} k = {k}");
            }
            for k in [1usize, 30, 70, 99] {
                let want = start + k as f64 / 100.0 * (end - start);
                let got = angle(grid.time(k));
                assert!(
                    (got - want).abs() < 1e-4 * want,
                    "{process:?} k = {k}: θ {got} vs {want}"
                );
            }
        }
        for scale in [0.0, -1.0, f32::NAN] {
            let bad = TimeGrid::for_process(
                &Process::VP_LINEAR,
                1.0,
                1e-3,
                10,
                Spacing::Cosine { scale },
            );
            assert!(bad.is_err(), "{scale}");
        }
    }

    #[test]
    fn karras_grids_follow_eq_5_in_noise_level() {
        for process in crate::test_support::REVERSE_PROCESSES {
            let horizon = process.horizon();
            let spacing = Spacing::Karras { rho: 7.0 };
            let grid = TimeGrid::for_process(&process, horizon, 1e-3, 100, spacing).unwrap();
            assert_eq!(grid.time(0), horizon);
            assert_eq!(grid.time(100), 1e-3);
            let lambda_max = noise_level(&process, horizon) as f64;
            let lambda_min = noise_level(&process, 1e-3) as f64;
            for k in [1usize, 30, 70, 99] {
                let fraction = k as f64 / 100.0;
                let root = lambda_max.powf(1.0 / 7.0)
                    + fraction * (lambda_min.powf(1.0 / 7.0) - lambda_max.powf(1.0 / 7.0));
                let want = root.powf(7.0);
                let got = noise_level(&process, grid.time(k)) as f64;
                assert!(
                    ((got - want) / want).abs() < 1e-4,
                    "{process:?} k = {k}: λ {got} vs {want}"
                );
            }
        }
        let bad = TimeGrid::for_process(
            &Process::VP_LINEAR,
            1.0,
            1e-3,
            10,
            Spacing::Karras { rho: 0.5 },
        );
        assert!(bad.is_err());
    }
}
