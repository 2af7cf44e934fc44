//! `experiment interpolation`: Chen's setting (docs/math.md §6). n uniformly spaced points on a line in
//! R^d; start the probability-flow ODE (Heun, Brownian process) at t₀ from p_{t₀}^N (a training
//! point plus √t₀ noise) and integrate down to t_min with the exact empirical score, the PL-ESF,
//! the smoothed PL-ESF and the kernel-smoothed score.
//!
//! Measured along the way: the tangential spread E[(y − p_nearest)²] (y the position along the
//! line; it collapses to 0 when samples memorize) and the normal spread E‖x_⊥‖². At the end: the
//! fraction of endpoints strictly between training points (farther than `between_margin`·Δ from
//! every point), and for the smoothed PL-ESF the total-variation distance between the endpoint
//! histogram and the closed-form t → 0 law of its flow map (atoms at the points plus a density on
//! each gap), next to the same distance for exact flow-map draws (the sampling-noise floor).

use super::table::{Cell, Table};
use crate::matrix::Matrix;
use crate::sampling::sample::{with_threads, MAX_DIM};
use anyhow::{anyhow, Result};
use clap::Args;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};
use smoothscore_core::{
    AnyScore, Bandwidth, Dataset, EmpiricalScore, FinalStep, Integrator, KernelSmoothedScore,
    LineData, LineScore, LineScoreKind, Process, ReverseSampler, ScoreField, Spacing, Workspace,
};

/// Options of `experiment interpolation`.
#[derive(Clone, Debug, Args)]
pub struct InterpolationArgs {
    /// Number of training points n on the line (spacing 1, centred at 0).
    #[arg(long, default_value_t = 5)]
    pub n_points: usize,
    /// Ambient dimensions d (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "2,20")]
    pub dims: Vec<usize>,
    /// κ of the smoothed PL-ESF, δ_t = κ√t.
    #[arg(long, default_value_t = 1.0)]
    pub kappa: f32,
    /// Bandwidth h of the kernel-smoothed score.
    #[arg(long, default_value_t = 0.3)]
    pub bandwidth: f32,
    /// Kernel points M of the kernel-smoothed score.
    #[arg(long, default_value_t = 64)]
    pub kernel_points: usize,
    /// Start time t₀ (needs κ√t₀ < ½ for the smoothed PL-ESF to act).
    #[arg(long, default_value_t = 0.1)]
    pub t0: f32,
    /// End time t_min.
    #[arg(long, default_value_t = 1e-4)]
    pub t_min: f32,
    /// Heun steps (geometric grid).
    #[arg(long, default_value_t = 400)]
    pub steps: usize,
    /// Samples per score.
    #[arg(long, default_value_t = 512)]
    pub n_samples: usize,
    /// Histogram bins over the span of the points.
    #[arg(long, default_value_t = 32)]
    pub bins: usize,
    /// An endpoint is strictly between training points when it is farther than this times the
    /// spacing from every point.
    #[arg(long, default_value_t = 0.05)]
    pub between_margin: f64,
}

/// One score under test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Candidate {
    Exact,
    PiecewiseLinear,
    SmoothedPiecewiseLinear,
    KernelSmoothed,
}

impl Candidate {
    const ALL: [Candidate; 4] = [
        Candidate::Exact,
        Candidate::PiecewiseLinear,
        Candidate::SmoothedPiecewiseLinear,
        Candidate::KernelSmoothed,
    ];

    fn name(self) -> &'static str {
        match self {
            Candidate::Exact => "exact",
            Candidate::PiecewiseLinear => "pl",
            Candidate::SmoothedPiecewiseLinear => "smoothed-pl",
            Candidate::KernelSmoothed => "kernel",
        }
    }
}

/// The training set: positions p_k = k − (n − 1)/2 along a seeded random unit direction.
struct LineSet {
    direction: Vec<f32>,
    origin: Vec<f32>,
    positions: Vec<f32>,
    points: Matrix,
}

impl LineSet {
    fn new(n_points: usize, dim: usize, seed: u64) -> Result<Self> {
        let mut rng = SampleStreams::new(seed ^ 0x11e5)
            .next()
            .ok_or_else(|| anyhow!("no random stream"))?;
        let mut direction = vec![0.0f32; dim];
        fill_standard_normal(&mut rng, &mut direction);
        let norm = direction.iter().map(|v| v * v).sum::<f32>().sqrt();
        direction.iter_mut().for_each(|v| *v /= norm);
        let positions: Vec<f32> = (0..n_points)
            .map(|k| k as f32 - (n_points as f32 - 1.0) / 2.0)
            .collect();
        let values = positions
            .iter()
            .flat_map(|&p| direction.iter().map(move |&u| p * u))
            .collect();
        Ok(LineSet {
            origin: vec![0.0; dim],
            points: Matrix::new(n_points, dim, values)?,
            direction,
            positions,
        })
    }

    fn position(&self, x: &[f32]) -> f64 {
        x.iter()
            .zip(&self.direction)
            .map(|(&a, &u)| f64::from(a) * f64::from(u))
            .sum()
    }

    fn nearest_gap(&self, y: f64) -> f64 {
        self.positions
            .iter()
            .map(|&p| (y - f64::from(p)).abs())
            .fold(f64::INFINITY, f64::min)
    }
}

/// Spread statistics of a population of states.
fn spreads(line: &LineSet, states: &[Vec<f32>]) -> (f64, f64) {
    let mut tangential = 0.0;
    let mut normal = 0.0;
    for x in states {
        let y = line.position(x);
        tangential += line.nearest_gap(y).powi(2);
        let norm2: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
        normal += (norm2 - y * y).max(0.0);
    }
    let count = states.len() as f64;
    (tangential / count, normal / count)
}

/// Φ(z).
fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2))
}

/// The closed-form t → 0 law of the smoothed PL-ESF flow map started from
/// y_{t₀} ~ 1/n Σ_i N(p_i, t₀): per bin of [p_0, p_{n−1}] the interior mass, and the atom masses
/// at the points. On gap k the map is y ↦ m + g(y − m)/(g − δ_{t₀}), so y_0 ∈ [a, b] iff
/// y_{t₀} ∈ m + r([a, b] − m), r = (g − δ_{t₀})/g.
fn flow_map_law(positions: &[f32], kappa: f64, t0: f64, bins: usize) -> (Vec<f64>, Vec<f64>) {
    let n = positions.len() as f64;
    let mixture_cdf = |y: f64| {
        positions
            .iter()
            .map(|&p| normal_cdf((y - f64::from(p)) / t0.sqrt()))
            .sum::<f64>()
            / n
    };
    let (first, last) = (
        f64::from(positions[0]),
        f64::from(positions[positions.len() - 1]),
    );
    let width = (last - first) / bins as f64;
    let mut interior = vec![0.0; bins];
    for (b, mass) in interior.iter_mut().enumerate() {
        let (a, z) = (first + b as f64 * width, first + (b + 1) as f64 * width);
        for pair in positions.windows(2) {
            let (lower, upper) = (f64::from(pair[0]), f64::from(pair[1]));
            let (lo, hi) = (a.max(lower), z.min(upper));
            if hi <= lo {
                continue;
            }
            let (midpoint, half_gap) = (0.5 * (lower + upper), 0.5 * (upper - lower));
            let delta = (kappa * t0.sqrt()).min(half_gap);
            let ratio = (half_gap - delta) / half_gap;
            *mass += mixture_cdf(midpoint + ratio * (hi - midpoint))
                - mixture_cdf(midpoint + ratio * (lo - midpoint));
        }
    }
    let total_interior: f64 = interior.iter().sum();
    let mut atoms = vec![0.0; positions.len()];
    let mut remaining = 1.0 - total_interior;
    // Atom k collects the mass that ends on p_k: outer zones of gaps k−1 and k and beyond the ends.
    for (k, atom) in atoms.iter_mut().enumerate() {
        let p = f64::from(positions[k]);
        let left = if k == 0 {
            f64::NEG_INFINITY
        } else {
            let lower = f64::from(positions[k - 1]);
            let (m, g) = (0.5 * (lower + p), 0.5 * (p - lower));
            m + (g - (kappa * t0.sqrt()).min(g))
        };
        let right = if k + 1 == positions.len() {
            f64::INFINITY
        } else {
            let upper = f64::from(positions[k + 1]);
            let (m, g) = (0.5 * (p + upper), 0.5 * (upper - p));
            m - (g - (kappa * t0.sqrt()).min(g))
        };
        *atom = mixture_cdf(right) - mixture_cdf(left);
        remaining -= *atom;
    }
    debug_assert!(remaining.abs() < 1e-9);
    (interior, atoms)
}

/// Total-variation distance between endpoint positions (atoms: within `margin` of a point) and
/// a law given as (interior bins, atoms).
fn total_variation(
    line: &LineSet,
    endpoints: &[f64],
    law: &(Vec<f64>, Vec<f64>),
    margin: f64,
) -> f64 {
    let (interior, atoms) = law;
    let bins = interior.len();
    let first = f64::from(line.positions[0]);
    let width = (f64::from(line.positions[line.positions.len() - 1]) - first) / bins as f64;
    let mut sample_interior = vec![0.0; bins];
    let mut sample_atoms = vec![0.0; atoms.len()];
    let weight = 1.0 / endpoints.len() as f64;
    for &y in endpoints {
        let nearest = line
            .positions
            .iter()
            .enumerate()
            .min_by(|a, b| {
                (y - f64::from(*a.1))
                    .abs()
                    .total_cmp(&(y - f64::from(*b.1)).abs())
            })
            .map(|(k, _)| k)
            .unwrap_or(0);
        if (y - f64::from(line.positions[nearest])).abs() <= margin {
            sample_atoms[nearest] += weight;
        } else {
            let bin = (((y - first) / width).floor().max(0.0) as usize).min(bins - 1);
            sample_interior[bin] += weight;
        }
    }
    let difference =
        |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
    0.5 * (difference(&sample_interior, interior) + difference(&sample_atoms, atoms))
}

/// Runs the experiment; returns the time table and the endpoint table.
pub fn run(args: &InterpolationArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    if args.n_points < 2 {
        anyhow::bail!("--n-points must be at least 2");
    }
    if !(args.t_min > 0.0 && args.t_min < args.t0) {
        anyhow::bail!("need 0 < --t-min < --t0");
    }
    let mut over_time = Table::new(
        "interpolation_over_time",
        &["dim", "score", "t", "tangential_spread", "normal_spread"],
    );
    let mut endpoints_table = Table::new(
        "interpolation_endpoints",
        &[
            "dim",
            "score",
            "fraction_between_points",
            "tangential_spread",
            "tv_to_flow_map_law",
            "max_error_to_flow_map",
        ],
    );
    let margin = args.between_margin;
    for &dim in &args.dims {
        if dim == 0 || dim > MAX_DIM {
            anyhow::bail!("--dims: {dim} is outside 1..={MAX_DIM}");
        }
        let line = LineSet::new(args.n_points, dim, seed)?;
        let starts = initial_states(&line, args.t0, args.n_samples, seed);
        let law = flow_map_law(
            &line.positions,
            f64::from(args.kappa),
            f64::from(args.t0),
            args.bins,
        );
        let line_data = LineData::new(&line.origin, &line.direction, &line.positions)
            .map_err(|e| anyhow!("{e}"))?;
        let process = Process::Brownian { horizon: args.t0 };
        let dataset = Dataset::new(line.points.values(), dim).map_err(|e| anyhow!("{e}"))?;
        let exact = EmpiricalScore::new(dataset, process).map_err(|e| anyhow!("{e}"))?;
        let smoothed_line = LineScore::new(
            line_data,
            LineScoreKind::Smoothed { kappa: args.kappa },
            args.t0,
        )
        .map_err(|e| anyhow!("{e}"))?;
        let rule =
            crate::sampling::score_spec::kernel_rule("auto", args.kernel_points as i64, seed, dim)?;
        let sampler = ReverseSampler::new(
            process,
            Integrator::Heun,
            args.t_min,
            args.steps,
            Spacing::Geometric,
            FinalStep::State,
        )
        .map_err(|e| anyhow!("{e}"))?;
        for candidate in Candidate::ALL {
            let field: AnyScore<'_, MAX_DIM> = match candidate {
                Candidate::Exact => AnyScore::Exact(exact),
                Candidate::PiecewiseLinear => AnyScore::Line(
                    LineScore::new(line_data, LineScoreKind::PiecewiseLinear, args.t0)
                        .map_err(|e| anyhow!("{e}"))?,
                ),
                Candidate::SmoothedPiecewiseLinear => AnyScore::Line(smoothed_line),
                Candidate::KernelSmoothed => AnyScore::KernelSmoothed(
                    KernelSmoothedScore::new(
                        exact,
                        Bandwidth::Constant {
                            bandwidth: args.bandwidth,
                        },
                        rule,
                    )
                    .map_err(|e| anyhow!("{e}"))?,
                ),
            };
            let checkpoints = [
                0,
                args.steps / 4,
                args.steps / 2,
                3 * args.steps / 4,
                args.steps,
            ];
            let paths = integrate(&sampler, &field, &starts, &checkpoints, threads)?;
            for (c, &k) in checkpoints.iter().enumerate() {
                let (tangential, normal) = spreads(&line, &paths[c]);
                over_time.push(vec![
                    dim.into(),
                    candidate.name().into(),
                    f64::from(sampler.grid().time(k)).into(),
                    tangential.into(),
                    normal.into(),
                ]);
            }
            let last = &paths[checkpoints.len() - 1];
            let positions: Vec<f64> = last.iter().map(|x| line.position(x)).collect();
            let between = positions
                .iter()
                .filter(|&&y| line.nearest_gap(y) > margin)
                .count() as f64
                / positions.len() as f64;
            let (tangential, _) = spreads(&line, last);
            let (tv, map_error) = if candidate == Candidate::SmoothedPiecewiseLinear {
                let mut worst = 0.0f64;
                let mut mapped = vec![0.0f32; dim];
                for (start, end) in starts.iter().zip(last) {
                    smoothed_line
                        .flow_map(args.t0, args.t_min, start, &mut mapped)
                        .map_err(|e| anyhow!("{e}"))?;
                    for (a, b) in mapped.iter().zip(end) {
                        worst = worst.max(f64::from((a - b).abs()));
                    }
                }
                (
                    total_variation(&line, &positions, &law, margin).into(),
                    worst.into(),
                )
            } else {
                (Cell::Text("-".into()), Cell::Text("-".into()))
            };
            endpoints_table.push(vec![
                dim.into(),
                candidate.name().into(),
                between.into(),
                tangential.into(),
                tv,
                map_error,
            ]);
        }
        let floor: Vec<f64> = starts
            .iter()
            .map(|start| {
                let mut mapped = vec![0.0f32; dim];
                smoothed_line
                    .flow_map(args.t0, 0.0, start, &mut mapped)
                    .map(|_| line.position(&mapped))
            })
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow!("{e}"))?;
        endpoints_table.push(vec![
            dim.into(),
            "flow-map draws (noise floor)".into(),
            (floor
                .iter()
                .filter(|&&y| line.nearest_gap(y) > margin)
                .count() as f64
                / floor.len() as f64)
                .into(),
            "-".into(),
            total_variation(&line, &floor, &law, margin).into(),
            0.0.into(),
        ]);
    }
    Ok(vec![over_time, endpoints_table])
}

/// x_{t₀} = x_i + √t₀ z with i uniform: sample j uses random stream j.
fn initial_states(line: &LineSet, t0: f32, count: usize, seed: u64) -> Vec<Vec<f32>> {
    let dim = line.points.cols();
    SampleStreams::new(seed)
        .take(count)
        .map(|mut rng| {
            let index = (rng.next_u64() % line.points.rows() as u64) as usize;
            let mut x = vec![0.0f32; dim];
            fill_standard_normal(&mut rng, &mut x);
            for (v, &p) in x.iter_mut().zip(line.points.row(index)) {
                *v = p + t0.sqrt() * *v;
            }
            x
        })
        .collect()
}

/// Integrates every start over the sampler's grid; returns the states at the checkpoint indices.
fn integrate<S: ScoreField + Sync>(
    sampler: &ReverseSampler,
    field: &S,
    starts: &[Vec<f32>],
    checkpoints: &[usize],
    threads: usize,
) -> Result<Vec<Vec<Vec<f32>>>> {
    let grid = *sampler.grid();
    let dim = field.dim();
    let per_sample: Vec<Result<Vec<Vec<f32>>, smoothscore_core::Error>> =
        with_threads(threads, || {
            starts
                .par_iter()
                .map_init(
                    || Workspace::<MAX_DIM>::new(dim).map(Box::new),
                    |workspace, start| {
                        let workspace = workspace.as_mut().map_err(|e| *e)?;
                        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
                        let mut state = start.clone();
                        let mut recorded = Vec::with_capacity(checkpoints.len());
                        for k in 0..=grid.steps() {
                            if checkpoints.contains(&k) {
                                recorded.push(state.clone());
                            }
                            if k < grid.steps() {
                                sampler.step(
                                    field,
                                    grid.time(k),
                                    grid.time(k + 1),
                                    &mut state,
                                    &mut rng,
                                    workspace,
                                )?;
                            }
                        }
                        Ok(recorded)
                    },
                )
                .collect()
        })?;
    let mut by_checkpoint = vec![Vec::with_capacity(starts.len()); checkpoints.len()];
    for (index, result) in per_sample.into_iter().enumerate() {
        let recorded = result.map_err(|e| anyhow!("sample {index}: {e}"))?;
        for (c, state) in recorded.into_iter().enumerate() {
            by_checkpoint[c].push(state);
        }
    }
    Ok(by_checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_map_law_is_a_probability_law_and_matches_flow_map_draws() {
        let line = LineSet::new(4, 3, 1).unwrap();
        let law = flow_map_law(&line.positions, 1.0, 0.1, 24);
        let total: f64 = law.0.iter().sum::<f64>() + law.1.iter().sum::<f64>();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let data = LineData::new(&line.origin, &line.direction, &line.positions).unwrap();
        let score = LineScore::new(data, LineScoreKind::Smoothed { kappa: 1.0 }, 0.1).unwrap();
        let starts = initial_states(&line, 0.1, 20_000, 5);
        let ends: Vec<f64> = starts
            .iter()
            .map(|x| {
                let mut y = vec![0.0f32; 3];
                score.flow_map(0.1, 0.0, x, &mut y).unwrap();
                line.position(&y)
            })
            .collect();
        let tv = total_variation(&line, &ends, &law, 0.05);
        assert!(
            tv < 0.05,
            "20k flow-map draws are within sampling noise of the law: {tv}"
        );
        let shifted: Vec<f64> = ends.iter().map(|y| y + 0.3).collect();
        assert!(total_variation(&line, &shifted, &law, 0.05) > 0.3);
    }
}
