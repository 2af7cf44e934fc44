//! `experiment interpolation`: Chen's setting (docs/math.md §6). n uniformly spaced points on a line in
//! R^d; start at t₀ (from p_{t₀}^N — a training point plus √t₀ noise — or from the process's
//! usual start N(0, t₀ I) at its horizon) and integrate the probability-flow ODE (Heun) or the
//! reverse SDE (Euler–Maruyama), Brownian process, down to t_min with the exact empirical score,
//! the PL-ESF, the smoothed PL-ESF (δ_t = κ√t, a sweep of κ) and the kernel-smoothed score;
//! sweeps over t₀ and the start. Then the same for points on a circle (exact vs kernel).
//!
//! Measured: where endpoints land along the line ([`placement`]: within ε·Δ of a point,
//! strictly inside a gap, in a new cluster inside a gap, beyond the ends), their histogram, the
//! tangential spread E[(y − p_nearest)²] and normal spread E‖x_⊥‖² along the run, and for the
//! line scores under the ODE the Kolmogorov–Smirnov distance between the endpoints' positions
//! and the closed-form law of the flow map at t_min ([`flow_law`]), beside Kolmogorov's 95 %
//! critical value 1.358/√n and the KS distance of the starts to their own law (the sampling
//! noise of the same n).

pub mod flow_law;
pub mod placement;

use super::table::{Cell, Table};
use crate::matrix::Matrix;
use crate::metrics::ks::{ks_critical_value_95, ks_distance, Law1d};
use crate::parallel::{map_with_progress, Work};
use crate::sampling::sample::MAX_DIM;
use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};
use flow_law::{FlowMapLaw, StartLaw};
use placement::Arrangement;
use rand_core::RngCore;
use rayon::prelude::*;
use smoothscore_core::rng::{fill_standard_normal, SampleStreams};
use smoothscore_core::{
    AnyScore, Bandwidth, Dataset, EmpiricalScore, FinalStep, Integrator, KernelSmoothedScore,
    LineData, LineScore, LineScoreKind, Process, ReverseSampler, ScoreField, Spacing, Workspace,
};

/// Where the runs start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Start {
    /// p_{t₀}^N: a uniformly chosen training point plus √t₀ noise (Chen's setting).
    Mixture,
    /// N(0, t₀ I): the reverse process's usual start at its horizon t₀.
    Prior,
}

/// The integrator of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Run {
    /// The probability-flow ODE, Heun.
    Heun,
    /// The reverse SDE, Euler–Maruyama.
    Em,
}

impl Run {
    /// The run's sampler for `process`: its integrator on the geometric grid of `--steps` to
    /// `--t-min`, returning the final state.
    fn sampler(
        self,
        process: Process,
        args: &InterpolationArgs,
    ) -> Result<ReverseSampler<'static>> {
        let integrator = match self {
            Run::Heun => Integrator::Heun,
            Run::Em => Integrator::EulerMaruyama,
        };
        Ok(ReverseSampler::new(
            process,
            integrator,
            args.t_min,
            args.steps,
            Spacing::Geometric,
            FinalStep::State,
        )?)
    }

    fn name(self) -> &'static str {
        match self {
            Run::Heun => "ode-heun",
            Run::Em => "sde-em",
        }
    }
}

/// Options of `experiment interpolation`.
#[derive(Clone, Debug, Args)]
pub struct InterpolationArgs {
    /// Number of training points n on the line (spacing Δ = 1, centred at 0).
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_points: usize,
    /// Ambient dimensions d (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "2")]
    pub dims: Vec<usize>,
    /// κ of the smoothed PL-ESF, δ_t = κ√t (comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', default_value = "0.5,1", alias = "kappa")]
    pub kappas: Vec<f32>,
    /// Bandwidth h of the kernel-smoothed score.
    #[arg(long, default_value_t = 0.3)]
    pub bandwidth: f32,
    /// Kernel points M of the kernel-smoothed score.
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, u16::MAX.into()))]
    pub kernel_points: usize,
    /// Start times t₀ (comma-separated: a sweep; the Brownian process's horizon is t₀).
    #[arg(long, value_delimiter = ',', default_value = "0.1,10", alias = "t0")]
    pub t0s: Vec<f32>,
    /// Starts (comma-separated): mixture (p_{t₀}^N), prior (N(0, t₀ I)).
    #[arg(long, value_delimiter = ',', default_value = "mixture,prior")]
    pub starts: Vec<Start>,
    /// Integrators (comma-separated): heun (probability-flow ODE), em (reverse SDE).
    #[arg(long, value_delimiter = ',', default_value = "heun,em")]
    pub integrators: Vec<Run>,
    /// End time t_min.
    #[arg(long, default_value_t = 1e-4)]
    pub t_min: f32,
    /// Steps (geometric grid from t₀ to t_min).
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = crate::io::limits::step_count)]
    pub steps: usize,
    /// Samples per score.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub n_samples: usize,
    /// Histogram bins over [p_first − Δ/2, p_last + Δ/2] (45: width Δ/9, points mid-bin).
    #[arg(long, default_value_t = 45, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub bins: usize,
    /// ε: an endpoint within ε·Δ of a point is on it; farther, it is in a gap (or a new cluster:
    /// ≥ 5 endpoints and ≥ 4× the uniform expectation within ±ε·Δ).
    #[arg(long, default_value_t = 0.05, alias = "between-margin", value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
    /// Points on the circle of the circle runs (arc spacing Δ = 1, d = 2; 0: none).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true, value_parser = crate::io::limits::count(0, usize::MAX))]
    pub circle_points: usize,
}

/// One score under test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Candidate {
    Exact,
    PiecewiseLinear,
    SmoothedPiecewiseLinear(f32),
    KernelSmoothed,
}

impl Candidate {
    fn name(self) -> &'static str {
        match self {
            Candidate::Exact => "exact",
            Candidate::PiecewiseLinear => "pl",
            Candidate::SmoothedPiecewiseLinear(_) => "smoothed-pl",
            Candidate::KernelSmoothed => "kernel",
        }
    }

    fn kappa(self) -> Cell {
        match self {
            Candidate::SmoothedPiecewiseLinear(kappa) => f64::from(kappa).into(),
            _ => "-".into(),
        }
    }
}

/// The training set: positions p_k = k − (n − 1)/2 along a seeded random unit direction.
pub(crate) struct LineSet {
    pub(crate) direction: Vec<f32>,
    pub(crate) origin: Vec<f32>,
    pub(crate) positions: Vec<f32>,
    pub(crate) points: Matrix,
}

impl LineSet {
    pub(crate) fn new(n_points: usize, dim: usize, seed: u64) -> Result<Self> {
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

    /// The position u·x along the line (its origin is 0).
    pub(crate) fn position(&self, x: &[f32]) -> f64 {
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

/// The metric columns of the endpoint tables.
const PLACEMENT_METRICS: [&str; 4] = [
    "near_point_fraction",
    "in_gaps_fraction",
    "new_cluster_fraction",
    "outside_fraction",
];

fn placement_cells(arrangement: &Arrangement, positions: &[f64], margin: f64) -> Vec<Cell> {
    let placed = arrangement.place(positions, margin);
    vec![
        placed.near_point.into(),
        placed.in_gaps.into(),
        placed.new_clusters.into(),
        placed.outside.into(),
    ]
}

/// The fraction of endpoints per histogram bin over [p_first − Δ/2, p_last + Δ/2] (endpoints
/// beyond fall in the end bins).
fn histogram(positions: &[f64], first: f64, last: f64, bins: usize) -> Vec<(f64, f64, f64)> {
    let (low, high) = (first - 0.5, last + 0.5);
    let width = (high - low) / bins as f64;
    let mut mass = vec![0.0; bins];
    for &y in positions {
        let bin = (((y - low) / width).floor().max(0.0) as usize).min(bins - 1);
        mass[bin] += 1.0 / positions.len() as f64;
    }
    mass.iter()
        .enumerate()
        .map(|(b, &m)| (low + b as f64 * width, low + (b + 1) as f64 * width, m))
        .collect()
}

/// x_{t₀}: for `Mixture` x_i + √t₀ z with i uniform, for `Prior` √t₀ z; sample j uses random
/// stream j.
pub(crate) fn initial_states(
    points: &Matrix,
    start: Start,
    t0: f32,
    count: usize,
    seed: u64,
) -> Vec<Vec<f32>> {
    let dim = points.cols();
    SampleStreams::new(seed)
        .take(count)
        .map(|mut rng| {
            let index = (rng.next_u64() % points.rows() as u64) as usize;
            let mut x = vec![0.0f32; dim];
            fill_standard_normal(&mut rng, &mut x);
            for (v, &p) in x.iter_mut().zip(points.row(index)) {
                let centre = if start == Start::Mixture { p } else { 0.0 };
                *v = centre + t0.sqrt() * *v;
            }
            x
        })
        .collect()
}

/// Runs the experiment; returns the endpoint, histogram, over-time and circle tables.
pub fn run(args: &InterpolationArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    if args.n_points < 2 {
        bail!("--n-points must be at least 2");
    }
    if args.bins == 0 {
        bail!("--bins must be at least 1");
    }
    for &t0 in &args.t0s {
        if !(args.t_min > 0.0 && args.t_min < t0 && t0.is_finite()) {
            bail!(
                "need 0 < --t-min < every --t0s value (got t₀ = {t0}, t_min = {})",
                args.t_min
            );
        }
    }
    if args.kappas.iter().any(|k| !(k.is_finite() && *k > 0.0)) {
        bail!("--kappas must be numbers > 0");
    }
    let mut endpoints_table = Table::new(
        "interpolation_endpoints",
        &["dim", "start", "t0", "integrator", "score", "kappa"],
        &[
            PLACEMENT_METRICS[0],
            PLACEMENT_METRICS[1],
            PLACEMENT_METRICS[2],
            PLACEMENT_METRICS[3],
            "tangential_spread",
            "ks_to_flow_map_law",
            "ks_critical_95",
            "max_error_to_flow_map",
        ],
    );
    let mut histogram_table = Table::new(
        "interpolation_histogram",
        &[
            "dim",
            "start",
            "t0",
            "integrator",
            "score",
            "kappa",
            "bin_low",
            "bin_high",
        ],
        &["mass"],
    );
    histogram_table.printed = false;
    let mut over_time = Table::new(
        "interpolation_over_time",
        &["dim", "start", "t0", "integrator", "score", "kappa", "t"],
        &["tangential_spread", "normal_spread"],
    );
    let margin = args.epsilon;
    for &dim in &args.dims {
        if dim == 0 || dim > MAX_DIM {
            bail!("--dims: {dim} is outside 1..={MAX_DIM}");
        }
        let line = LineSet::new(args.n_points, dim, seed)?;
        let arrangement = Arrangement {
            points: line.positions.iter().map(|&p| f64::from(p)).collect(),
            period: None,
        };
        let line_data = LineData::new(&line.origin, &line.direction, &line.positions)?;
        let rule = crate::sampling::score_spec::kernel_rule(
            crate::sampling::score_spec::KernelRuleName::Auto,
            args.kernel_points,
            seed,
            dim,
        )?;
        let dataset = Dataset::new(line.points.values(), dim)?;
        for (first_config, (&start, &t0, &integrator)) in args
            .starts
            .iter()
            .flat_map(|s| args.t0s.iter().map(move |t| (s, t)))
            .flat_map(|(s, t)| args.integrators.iter().map(move |i| (s, t, i)))
            .enumerate()
            .map(|(k, c)| (k == 0, c))
        {
            let starts = initial_states(&line.points, start, t0, args.n_samples, seed);
            let start_law = match start {
                Start::Mixture => StartLaw::Mixture {
                    positions: arrangement.points.clone(),
                    t0: f64::from(t0),
                },
                Start::Prior => StartLaw::Prior { t0: f64::from(t0) },
            };
            let process = Process::Brownian { horizon: t0 };
            let exact = EmpiricalScore::new(dataset, process)?;
            let sampler = integrator.sampler(process, args)?;
            let key = |candidate: Candidate| -> Vec<Cell> {
                vec![
                    dim.into(),
                    start_name(start).into(),
                    f64::from(t0).into(),
                    integrator.name().into(),
                    candidate.name().into(),
                    candidate.kappa(),
                ]
            };
            let candidates: Vec<Candidate> = [Candidate::Exact, Candidate::PiecewiseLinear]
                .into_iter()
                .chain(
                    args.kappas
                        .iter()
                        .map(|&k| Candidate::SmoothedPiecewiseLinear(k)),
                )
                .chain([Candidate::KernelSmoothed])
                .collect();
            for candidate in candidates {
                let line_score = match candidate {
                    Candidate::PiecewiseLinear => Some(LineScore::new(
                        line_data,
                        LineScoreKind::PiecewiseLinear,
                        t0,
                    )?),
                    Candidate::SmoothedPiecewiseLinear(kappa) => Some(LineScore::new(
                        line_data,
                        LineScoreKind::Smoothed { kappa },
                        t0,
                    )?),
                    _ => None,
                };
                let field: AnyScore<'_, MAX_DIM> = match (candidate, line_score) {
                    (_, Some(score)) => AnyScore::Line(score),
                    (Candidate::KernelSmoothed, _) => {
                        AnyScore::KernelSmoothed(KernelSmoothedScore::new(
                            exact,
                            Bandwidth::Constant {
                                bandwidth: args.bandwidth,
                            },
                            rule,
                        )?)
                    }
                    _ => AnyScore::Exact(exact),
                };
                let checkpoints = [
                    0,
                    args.steps / 4,
                    args.steps / 2,
                    3 * args.steps / 4,
                    args.steps,
                ];
                let paths = integrate(&sampler, &field, &starts, &checkpoints, seed, threads)?;
                if first_config {
                    for (c, &k) in checkpoints.iter().enumerate() {
                        let (tangential, normal) = spreads(&line, &paths[c]);
                        let mut row = key(candidate);
                        row.extend([
                            f64::from(sampler.grid().time(k)).into(),
                            tangential.into(),
                            normal.into(),
                        ]);
                        over_time.push(row);
                    }
                }
                let last = &paths[checkpoints.len() - 1];
                let positions: Vec<f64> = last.iter().map(|x| line.position(x)).collect();
                let (tangential, _) = spreads(&line, last);
                let (ks, critical, map_error) = match (line_score, integrator) {
                    (Some(score), Run::Heun) => {
                        let law = FlowMapLaw {
                            score: &score,
                            direction: &line.direction,
                            start: start_law.clone(),
                            t0,
                            t_min: args.t_min,
                            bracket: bracket(&arrangement.points, t0),
                        };
                        let mut worst = 0.0f64;
                        let mut mapped = vec![0.0f32; dim];
                        for (begin, end) in starts.iter().zip(last) {
                            score.flow_map(t0, args.t_min, begin, &mut mapped)?;
                            for (a, b) in mapped.iter().zip(end) {
                                worst = worst.max(f64::from((a - b).abs()));
                            }
                        }
                        (
                            ks_distance(&positions, &law).into(),
                            ks_critical_value_95(positions.len()).into(),
                            worst.into(),
                        )
                    }
                    _ => ("-".into(), "-".into(), "-".into()),
                };
                let mut row = key(candidate);
                row.extend(placement_cells(&arrangement, &positions, margin));
                row.extend([tangential.into(), ks, critical, map_error]);
                endpoints_table.push(row);
                for (low, high, mass) in histogram(
                    &positions,
                    arrangement.points[0],
                    arrangement.points[arrangement.points.len() - 1],
                    args.bins,
                ) {
                    let mut row = key(candidate);
                    row.extend([low.into(), high.into(), mass.into()]);
                    histogram_table.push(row);
                }
            }
            if integrator == Run::Heun {
                // The sampling noise of n draws: the starts' KS distance to their own law.
                let positions: Vec<f64> = starts.iter().map(|x| line.position(x)).collect();
                struct Own<'a>(&'a StartLaw);
                impl Law1d for Own<'_> {
                    fn cdf(&self, y: f64) -> f64 {
                        self.0.cdf(y)
                    }
                }
                let mut row = vec![
                    dim.into(),
                    start_name(start).into(),
                    f64::from(t0).into(),
                    integrator.name().into(),
                    "starts (KS noise floor)".into(),
                    "-".into(),
                ];
                row.extend(placement_cells(&arrangement, &positions, margin));
                row.extend([
                    "-".into(),
                    ks_distance(&positions, &Own(&start_law)).into(),
                    ks_critical_value_95(positions.len()).into(),
                    "-".into(),
                ]);
                endpoints_table.push(row);
            }
        }
    }
    let mut tables = vec![endpoints_table, over_time, histogram_table];
    if args.circle_points > 0 {
        tables.push(circle(args, seed, threads)?);
    }
    Ok(tables)
}

fn start_name(start: Start) -> &'static str {
    match start {
        Start::Mixture => "mixture",
        Start::Prior => "prior",
    }
}

/// Start positions holding all but ~10⁻³² of either start law.
pub(crate) fn bracket(points: &[f64], t0: f32) -> (f64, f64) {
    let reach = 12.0 * f64::from(t0).sqrt() + 1.0;
    (points[0] - reach, points[points.len() - 1] + reach)
}

/// Points on a circle of radius R = n/(2π) (arc spacing 1) in d = 2, from p_{t₀}^N at the first
/// t₀: where the endpoints land by arc length, and their mean distance |‖x‖ − R| off the circle,
/// for the exact and the kernel-smoothed score under each integrator.
fn circle(args: &InterpolationArgs, seed: u64, threads: usize) -> Result<Table> {
    let n = args.circle_points;
    if n < 3 {
        bail!("--circle-points must be 0 or at least 3");
    }
    let radius = n as f64 / std::f64::consts::TAU;
    let angles: Vec<f64> = (0..n)
        .map(|k| std::f64::consts::TAU * k as f64 / n as f64)
        .collect();
    let values: Vec<f32> = angles
        .iter()
        .flat_map(|a| [(radius * a.cos()) as f32, (radius * a.sin()) as f32])
        .collect();
    let points = Matrix::new(n, 2, values)?;
    let arrangement = Arrangement {
        points: angles.iter().map(|a| a * radius).collect(),
        period: Some(n as f64),
    };
    let t0 = args.t0s[0];
    let starts = initial_states(&points, Start::Mixture, t0, args.n_samples, seed);
    let process = Process::Brownian { horizon: t0 };
    let exact = EmpiricalScore::new(Dataset::new(points.values(), 2)?, process)?;
    let rule = crate::sampling::score_spec::kernel_rule(
        crate::sampling::score_spec::KernelRuleName::Auto,
        args.kernel_points,
        seed,
        2,
    )?;
    let mut table = Table::new(
        "interpolation_circle",
        &["points", "t0", "integrator", "score"],
        &[
            PLACEMENT_METRICS[0],
            PLACEMENT_METRICS[1],
            PLACEMENT_METRICS[2],
            "mean_distance_off_circle",
        ],
    );
    for &integrator in &args.integrators {
        let sampler = integrator.sampler(process, args)?;
        for (name, field) in [
            ("exact", AnyScore::<'_, MAX_DIM>::Exact(exact)),
            (
                "kernel",
                AnyScore::KernelSmoothed(KernelSmoothedScore::new(
                    exact,
                    Bandwidth::Constant {
                        bandwidth: args.bandwidth,
                    },
                    rule,
                )?),
            ),
        ] {
            let paths = integrate(&sampler, &field, &starts, &[args.steps], seed, threads)?;
            let ends = &paths[0];
            let arc: Vec<f64> = ends
                .iter()
                .map(|x| {
                    f64::from(x[1])
                        .atan2(f64::from(x[0]))
                        .rem_euclid(std::f64::consts::TAU)
                        * radius
                })
                .collect();
            let off = ends
                .iter()
                .map(|x| (f64::from(x[0]).hypot(f64::from(x[1])) - radius).abs())
                .sum::<f64>()
                / ends.len() as f64;
            let placed = arrangement.place(&arc, args.epsilon);
            table.push(vec![
                n.into(),
                f64::from(t0).into(),
                integrator.name().into(),
                name.into(),
                placed.near_point.into(),
                placed.in_gaps.into(),
                placed.new_clusters.into(),
                off.into(),
            ]);
        }
    }
    Ok(table)
}

/// Integrates every start over the sampler's grid (sample j draws its SDE noise from stream j of
/// `seed`); returns the states at the checkpoint indices.
pub(crate) fn integrate<S: ScoreField + Sync>(
    sampler: &ReverseSampler,
    field: &S,
    starts: &[Vec<f32>],
    checkpoints: &[usize],
    seed: u64,
    threads: usize,
) -> Result<Vec<Vec<Vec<f32>>>> {
    let streams: Vec<_> = SampleStreams::new(seed ^ 0x5de)
        .take(starts.len())
        .collect();
    let grid = *sampler.grid();
    let dim = field.dim();
    let work = Work::new(threads, "samples", starts.len());
    let per_sample = map_with_progress(
        work,
        starts.par_iter().zip(streams),
        || Workspace::<MAX_DIM>::new(dim).map(Box::new),
        |_| 1,
        |workspace, (start, mut rng)| -> Result<Vec<Vec<f32>>, smoothscore_core::Error> {
            let workspace = workspace.as_mut().map_err(|e| *e)?;
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
    )?;
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
    fn flow_map_draws_follow_the_closed_form_law_and_shifted_draws_do_not() {
        let line = LineSet::new(4, 3, 1).unwrap();
        let data = LineData::new(&line.origin, &line.direction, &line.positions).unwrap();
        let score = LineScore::new(data, LineScoreKind::Smoothed { kappa: 1.0 }, 0.1).unwrap();
        let positions: Vec<f64> = line.positions.iter().map(|&p| f64::from(p)).collect();
        let law = FlowMapLaw {
            score: &score,
            direction: &line.direction,
            start: StartLaw::Mixture {
                positions: positions.clone(),
                t0: 0.1,
            },
            t0: 0.1,
            t_min: 1e-4,
            bracket: bracket(&positions, 0.1),
        };
        let starts = initial_states(&line.points, Start::Mixture, 0.1, 4000, 5);
        let ends: Vec<f64> = starts
            .iter()
            .map(|x| {
                let mut y = vec![0.0f32; 3];
                score.flow_map(0.1, 1e-4, x, &mut y).unwrap();
                line.position(&y)
            })
            .collect();
        let ks = ks_distance(&ends, &law);
        println!(
            "KS of 4000 flow-map draws: {ks:.4} (95 % critical {:.4})",
            ks_critical_value_95(4000)
        );
        assert!(ks < ks_critical_value_95(4000));
        let shifted: Vec<f64> = ends.iter().map(|y| y + 0.3).collect();
        assert!(ks_distance(&shifted, &law) > 0.1);
    }
}
