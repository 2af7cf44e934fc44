//! `experiment network-smoothing` (Chen 2025): do regularized score networks learn the
//! smoothed piecewise-linear score? n points spaced Δ = 1 on a random line in R^d, Brownian
//! process (σ_t² = t) with horizon t₀; two-layer ReLU networks (by default) trained by
//! denoising score matching with a sweep of AdamW weight decays λ.
//!
//! - **Best-fitting δ_t**: per fit time t, M draws x ~ p_t^N (a training point plus √t noise);
//!   the network's tangent score u·s_net(x) against the smoothed PL-ESF's ŝ_δ(y) (docs/math.md
//!   §6; `LineScore` with κ = δ/√t), δ̂_t = argmin_δ D(δ), D(δ) = mean (u·s_net − ŝ_δ)², over a
//!   geometric grid of [`DELTA_GRID`] values in [10⁻³g, g] (g the half-gap) refined by golden
//!   section. Reported: δ̂_t, κ̂_t = δ̂_t/√t, and the relative distances √(D/E ŝ_PL²) at δ̂_t and
//!   at δ = g (the PL-ESF itself, the small-t limit of the exact score). The exact empirical
//!   score gets the same fit as a baseline.
//! - **Exponent**: the least-squares slope of ln δ̂_t on ln t over the fit times whose δ̂_t lies
//!   strictly inside the grid (at an end the fit says "no smoothing" or "no force", not a
//!   size); Chen's δ_t = κ√t is the slope ½. κ̂ = exp(mean(ln δ̂_t − ½ ln t)).
//! - **Endpoints**: the network's probability-flow ODE (Heun, geometric grid) from p_{t₀}^N at
//!   t₀ down to t_min, against the closed-form flow map of the smoothed PL-ESF at κ̂ from the
//!   same starts: the interpolation experiment's placements (on a point, in gaps, new clusters,
//!   beyond the ends) and the KS distance of the endpoints' positions to the smoothed PL-ESF's
//!   closed-form endpoint law at κ̂ (for the smoothed PL-ESF rows: its own sampling noise).

use super::interpolation::flow_law::{FlowMapLaw, StartLaw};
use super::interpolation::placement::Arrangement;
use super::interpolation::{bracket, initial_states, integrate, LineSet};
use super::networks::{train_network, NetworkRecipe};
use super::table::{Cell, Table};
use crate::metrics::ks::{ks_critical_value_95, ks_distance};
use crate::sampling::sample::MAX_DIM;
use anyhow::{bail, Result};
use clap::Args;
use smoothscore_core::{
    Dataset, EmpiricalScore, FinalStep, Integrator, LineData, LineScore, LineScoreKind, Process,
    ReverseSampler, ScoreField, Spacing,
};

/// Values of the geometric δ grid before the golden-section refinement.
pub const DELTA_GRID: usize = 241;

/// The δ grid's lower end, as a fraction of the half-gap g.
pub const DELTA_GRID_LOW: f64 = 1e-3;

/// Options of `experiment network-smoothing`.
#[derive(Clone, Debug, Args)]
pub struct NetworkSmoothingArgs {
    /// Number of training points n on the line (spacing Δ = 1, centred at 0).
    #[arg(long, default_value_t = 5)]
    pub n_points: usize,
    /// Ambient dimension d.
    #[arg(long, default_value_t = 2)]
    pub dim: usize,
    /// AdamW weight decays λ of the networks (comma-separated: a sweep).
    #[arg(long, value_delimiter = ',', default_value = "0,0.01,0.1")]
    pub weight_decays: Vec<f64>,
    /// The networks.
    #[command(flatten)]
    pub recipe: NetworkRecipe,
    /// The horizon t₀ of the Brownian process (training range [t_min, t₀]; the runs start here).
    #[arg(long, default_value_t = 0.1)]
    pub t0: f32,
    /// Smallest training time and end of the runs.
    #[arg(long, default_value_t = 1e-3)]
    pub t_min: f32,
    /// Times t of the δ_t fit (comma-separated, in (t_min, t₀]).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.002,0.004,0.008,0.016,0.032"
    )]
    pub fit_times: Vec<f32>,
    /// Draws of p_t^N per fit time.
    #[arg(long, default_value_t = 1024)]
    pub fit_samples: usize,
    /// Steps of the network's probability-flow ODE (Heun, geometric grid).
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Endpoints per score.
    #[arg(long, default_value_t = 256)]
    pub n_samples: usize,
    /// ε: an endpoint within ε·Δ of a point is on it (as in `experiment interpolation`).
    #[arg(long, default_value_t = 0.05, value_parser = crate::io::limits::non_negative)]
    pub epsilon: f64,
}

/// The fit of δ at one time: δ̂, D(δ̂) and D at the PL-ESF, relative to E ŝ_PL².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeltaFit {
    /// δ̂_t.
    pub delta: f64,
    /// √(D(δ̂)/E ŝ_PL²).
    pub relative_distance: f64,
    /// √(D(g)/E ŝ_PL²): the distance to the PL-ESF.
    pub relative_distance_pl: f64,
    /// Whether δ̂ lies strictly inside the grid.
    pub interior: bool,
}

/// Fits δ at time `t` to the tangent scores `tangent[j]` at positions `positions[j]`: the
/// smoothed PL-ESF of `line` with κ = δ/√t on the geometric grid, refined by golden section
/// between the grid neighbours of the best value.
pub fn fit_delta(
    line: LineData<'_>,
    horizon: f32,
    t: f32,
    positions: &[f32],
    tangent: &[f64],
) -> Result<DeltaFit> {
    let half_gap = line
        .positions()
        .windows(2)
        .map(|w| 0.5 * f64::from(w[1] - w[0]))
        .fold(f64::INFINITY, f64::min);
    let sqrt_t = f64::from(t).sqrt();
    let squared_error = |kind: LineScoreKind| -> Result<f64> {
        let score = LineScore::new(line, kind, horizon)?;
        Ok(positions
            .iter()
            .zip(tangent)
            .map(|(&y, &s)| (s - f64::from(score.tangent_score(t, y))).powi(2))
            .sum::<f64>()
            / positions.len().max(1) as f64)
    };
    let at = |delta: f64| {
        squared_error(LineScoreKind::Smoothed {
            kappa: (delta / sqrt_t) as f32,
        })
    };
    let pl = LineScore::new(line, LineScoreKind::PiecewiseLinear, horizon)?;
    let pl_norm = positions
        .iter()
        .map(|&y| f64::from(pl.tangent_score(t, y)).powi(2))
        .sum::<f64>()
        / positions.len().max(1) as f64;
    let grid: Vec<f64> = (0..DELTA_GRID)
        .map(|j| half_gap * DELTA_GRID_LOW.powf(1.0 - j as f64 / (DELTA_GRID - 1) as f64))
        .collect();
    let errors: Vec<f64> = grid.iter().map(|&d| at(d)).collect::<Result<_>>()?;
    let best = errors
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(j, _)| j);
    let (mut low, mut high) = (
        grid[best.saturating_sub(1)],
        grid[(best + 1).min(DELTA_GRID - 1)],
    );
    let ratio = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (high - ratio * (high - low), low + ratio * (high - low));
    let (mut error_a, mut error_b) = (at(a)?, at(b)?);
    for _ in 0..40 {
        if error_a <= error_b {
            high = b;
            (b, error_b) = (a, error_a);
            a = high - ratio * (high - low);
            error_a = at(a)?;
        } else {
            low = a;
            (a, error_a) = (b, error_b);
            b = low + ratio * (high - low);
            error_b = at(b)?;
        }
    }
    let (mut delta, mut error) = if error_a <= error_b {
        (a, error_a)
    } else {
        (b, error_b)
    };
    if errors[best] < error {
        (delta, error) = (grid[best], errors[best]);
    }
    Ok(DeltaFit {
        delta,
        relative_distance: (error / pl_norm).sqrt(),
        relative_distance_pl: (squared_error(LineScoreKind::PiecewiseLinear)? / pl_norm).sqrt(),
        interior: best > 0 && best < DELTA_GRID - 1,
    })
}

/// The least-squares slope of ln δ̂ on ln t over the interior fits, and κ̂ =
/// exp(mean(ln δ̂ − ½ ln t)); NaN (both) with fewer than two interior fits.
pub fn exponent_fit(times: &[f32], fits: &[DeltaFit]) -> (f64, f64, usize) {
    let points: Vec<(f64, f64)> = times
        .iter()
        .zip(fits)
        .filter(|(_, f)| f.interior)
        .map(|(&t, f)| (f64::from(t).ln(), f.delta.ln()))
        .collect();
    let count = points.len();
    if count < 2 {
        return (f64::NAN, f64::NAN, count);
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / count as f64;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / count as f64;
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let kappa = (points.iter().map(|p| p.1 - 0.5 * p.0).sum::<f64>() / count as f64).exp();
    (sxy / sxx, kappa, count)
}

/// Draws of p_t^N (a uniformly chosen training point plus √t noise) for the fit at `t`.
fn fit_draws(line: &LineSet, t: f32, count: usize, seed: u64) -> Vec<Vec<f32>> {
    initial_states(
        &line.points,
        super::interpolation::Start::Mixture,
        t,
        count,
        seed ^ 0xf17 ^ u64::from(t.to_bits()),
    )
}

/// The δ fits of `field` at every fit time.
fn fits_of(
    field: &(impl ScoreField + Sync),
    line: &LineSet,
    line_data: LineData<'_>,
    args: &NetworkSmoothingArgs,
    seed: u64,
) -> Result<Vec<DeltaFit>> {
    let mut out = Vec::with_capacity(args.fit_times.len());
    let mut score = vec![0.0f32; args.dim];
    for &t in &args.fit_times {
        let draws = fit_draws(line, t, args.fit_samples, seed);
        let mut positions = Vec::with_capacity(draws.len());
        let mut tangent = Vec::with_capacity(draws.len());
        for x in &draws {
            field.score(t, x, &mut score)?;
            positions.push(line.position(x) as f32);
            tangent.push(line.position(&score));
        }
        out.push(fit_delta(line_data, args.t0, t, &positions, &tangent)?);
    }
    Ok(out)
}

/// Runs the experiment; returns the fit, exponent and endpoint tables.
pub fn run(args: &NetworkSmoothingArgs, seed: u64, threads: usize) -> Result<Vec<Table>> {
    if args.n_points < 2 {
        bail!("--n-points must be at least 2");
    }
    if args.dim == 0 || args.dim > MAX_DIM {
        bail!("--dim: {} is outside 1..={MAX_DIM}", args.dim);
    }
    if !(args.t_min > 0.0 && args.t_min < args.t0 && args.t0.is_finite()) {
        bail!(
            "need 0 < --t-min < --t0 (got t₀ = {}, t_min = {})",
            args.t0,
            args.t_min
        );
    }
    if args.fit_times.is_empty()
        || args
            .fit_times
            .iter()
            .any(|&t| !(t > args.t_min && t <= args.t0))
    {
        bail!(
            "--fit-times must be in (t_min, t₀] = ({}, {}]",
            args.t_min,
            args.t0
        );
    }
    if args.weight_decays.is_empty() || args.fit_samples == 0 || args.n_samples == 0 {
        bail!("--weight-decays, --fit-samples and --n-samples must not be empty or 0");
    }
    let line = LineSet::new(args.n_points, args.dim, seed)?;
    let line_data = LineData::new(&line.origin, &line.direction, &line.positions)?;
    let arrangement = Arrangement {
        points: line.positions.iter().map(|&p| f64::from(p)).collect(),
        period: None,
    };
    let process = Process::Brownian { horizon: args.t0 };
    let mut fit_table = Table::new(
        "network_smoothing_fit",
        &["score", "weight_decay", "t"],
        &[
            "best_delta",
            "best_kappa",
            "relative_distance_best",
            "relative_distance_pl",
        ],
    );
    let mut exponent_table = Table::new(
        "network_smoothing_exponent",
        &["score", "weight_decay"],
        &["exponent", "kappa_hat", "interior_fits", "final_train_loss"],
    );
    let mut endpoint_table = Table::new(
        "network_smoothing_endpoints",
        &["weight_decay", "score"],
        &[
            "near_point_fraction",
            "in_gaps_fraction",
            "new_cluster_fraction",
            "outside_fraction",
            "ks_to_smoothed_pl_law",
            "ks_critical_95",
        ],
    );
    let mut record = |name: &str, decay: Cell, fits: &[DeltaFit], loss: Cell| -> (f64, f64) {
        for (&t, fit) in args.fit_times.iter().zip(fits) {
            fit_table.push(vec![
                name.into(),
                decay.clone(),
                f64::from(t).into(),
                fit.delta.into(),
                (fit.delta / f64::from(t).sqrt()).into(),
                fit.relative_distance.into(),
                fit.relative_distance_pl.into(),
            ]);
        }
        let (exponent, kappa, count) = exponent_fit(&args.fit_times, fits);
        exponent_table.push(vec![
            name.into(),
            decay,
            exponent.into(),
            kappa.into(),
            count.into(),
            loss,
        ]);
        (exponent, kappa)
    };
    let exact = EmpiricalScore::new(Dataset::new(line.points.values(), args.dim)?, process)?;
    record(
        "exact",
        "-".into(),
        &fits_of(&exact, &line, line_data, args, seed)?,
        "-".into(),
    );
    let starts = initial_states(
        &line.points,
        super::interpolation::Start::Mixture,
        args.t0,
        args.n_samples,
        seed,
    );
    let start_law = StartLaw::Mixture {
        positions: arrangement.points.clone(),
        t0: f64::from(args.t0),
    };
    let sampler = ReverseSampler::new(
        process,
        Integrator::Heun,
        args.t_min,
        args.steps,
        Spacing::Geometric,
        FinalStep::State,
    )?;
    for (index, &weight_decay) in args.weight_decays.iter().enumerate() {
        let trained = train_network(
            line.points.view(),
            crate::sampling::process_spec::ProcessSpec::Reverse(process),
            &args.recipe,
            weight_decay,
            args.t_min,
            seed ^ (index as u64 + 1).wrapping_mul(0x9e37),
        )?;
        let score = trained.network.score(process)?;
        let fits = fits_of(&score, &line, line_data, args, seed)?;
        let (_, kappa) = record(
            "network",
            weight_decay.into(),
            &fits,
            trained.final_loss.into(),
        );
        let ends = integrate(&sampler, &score, &starts, &[args.steps], seed, threads)?;
        let network_positions: Vec<f64> = ends[0].iter().map(|x| line.position(x)).collect();
        let (smoothed_positions, ks_network, ks_smoothed) = if kappa.is_finite() && kappa > 0.0 {
            let smoothed = LineScore::new(
                line_data,
                LineScoreKind::Smoothed {
                    kappa: kappa as f32,
                },
                args.t0,
            )?;
            let law = FlowMapLaw {
                score: &smoothed,
                direction: &line.direction,
                start: start_law.clone(),
                t0: args.t0,
                t_min: args.t_min,
                bracket: bracket(&arrangement.points, args.t0),
            };
            let mut end = vec![0.0f32; args.dim];
            let mut positions = Vec::with_capacity(starts.len());
            for start in &starts {
                smoothed.flow_map(args.t0, args.t_min, start, &mut end)?;
                positions.push(line.position(&end));
            }
            let ks_network = ks_distance(&network_positions, &law);
            let ks_smoothed = ks_distance(&positions, &law);
            (Some(positions), ks_network, ks_smoothed)
        } else {
            (None, f64::NAN, f64::NAN)
        };
        let critical = ks_critical_value_95(starts.len());
        let mut push = |name: &str, positions: &[f64], ks: f64| {
            let placed = arrangement.place(positions, args.epsilon);
            endpoint_table.push(vec![
                weight_decay.into(),
                name.into(),
                placed.near_point.into(),
                placed.in_gaps.into(),
                placed.new_clusters.into(),
                placed.outside.into(),
                ks.into(),
                critical.into(),
            ]);
        };
        push("network", &network_positions, ks_network);
        match smoothed_positions {
            Some(positions) => push("smoothed-pl at kappa_hat", &positions, ks_smoothed),
            None => push("smoothed-pl at kappa_hat", &[], f64::NAN),
        }
    }
    Ok(vec![fit_table, exponent_table, endpoint_table])
}

#[cfg(test)]
mod tests {
    use super::*;
    use smoothscore_core::rng::{fill_standard_normal, SampleStreams};

    /// `count` standard normal draws from stream 0 of `seed`.
    fn noise(count: usize, seed: u64) -> Vec<f32> {
        let mut rng = SampleStreams::new(seed).next().unwrap();
        let mut out = vec![0.0f32; count];
        fill_standard_normal(&mut rng, &mut out);
        out
    }

    /// The fit recovers the δ of a smoothed PL-ESF it is given (plus small noise), at several
    /// t, and the exponent fit then returns ½.
    #[test]
    fn the_fit_recovers_a_known_delta_and_exponent() {
        let origin = [0.0f32, 0.0];
        let direction = [0.6f32, 0.8];
        let positions = [-1.0f32, 0.0, 1.0];
        let line = LineData::new(&origin, &direction, &positions).unwrap();
        let kappa = 0.8f32;
        let truth = LineScore::new(line, LineScoreKind::Smoothed { kappa }, 1.0).unwrap();
        let times = [0.004f32, 0.01, 0.03, 0.09];
        let mut fits = Vec::new();
        for (k, &t) in times.iter().enumerate() {
            let ys: Vec<f32> = noise(2000, k as u64)
                .iter()
                .enumerate()
                .map(|(j, z)| positions[j % 3] + t.sqrt() * z)
                .collect();
            let tangent: Vec<f64> = ys
                .iter()
                .zip(noise(2000, 100 + k as u64))
                .map(|(&y, z)| f64::from(truth.tangent_score(t, y)) + 1e-3 * f64::from(z))
                .collect();
            let fit = fit_delta(line, 1.0, t, &ys, &tangent).unwrap();
            let want = f64::from(kappa) * f64::from(t).sqrt();
            println!("t {t}: δ̂ {:.5} (true {want:.5})", fit.delta);
            assert!((fit.delta / want - 1.0).abs() < 0.01, "{fit:?} vs {want}");
            assert!(fit.interior);
            assert!(fit.relative_distance < fit.relative_distance_pl);
            fits.push(fit);
        }
        let (exponent, kappa_hat, count) = exponent_fit(&times, &fits);
        assert_eq!(count, 4);
        assert!((exponent - 0.5).abs() < 0.01, "{exponent}");
        assert!((kappa_hat - f64::from(kappa)).abs() < 0.01, "{kappa_hat}");
    }
}
