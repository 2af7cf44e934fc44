//! `smoothscore bench`: the score kernel's speed against this machine's limits and against the
//! peers (NumPy, PyTorch CPU) in the same run.
//!
//! Per shape (B queries, N points, d dimensions) it reports the batched score's GFLOP/s
//! (5·B·N·d flops: 3 for each distance term, 2 for each weighted-sum term), the fraction of the
//! single-core f32 peak, the pairs per second (the measure for small d, where the B·N
//! exponentials dominate), the speed-up over the single-query path and, when a Python with the
//! peers is given, the ratio peer time / our time. The peak is measured, not derived: FMA
//! chains in the kernels' own registers (`simd::peak`), because the flags do not tell the
//! units' width (Zen 4 reports AVX-512 and runs it on 256-bit units). The kernel fuses its
//! multiply-adds (bit contract v2: a subtraction and two FMAs per coordinate of a pair, 5
//! counted flops); the `FMA-bound` column is the time its 2·B·N·d FMAs need at the peak over
//! the measured time (1 = the FMA units never wait).
//! Bandwidth: the single-query score on the largest N·d shape against a measured read stream.

use crate::sampling::evaluate::score_blocks;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore_core::rng::fill_standard_normal;
use smoothscore_core::{Dataset, EmpiricalScore, Process};
use std::path::PathBuf;
use std::time::Instant;

/// `smoothscore bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Shapes B×N×d, comma-separated.
    #[arg(
        long,
        default_value = "64x1000x2,256x10000x2,256x10000x8,64x10000x50,256x10000x50,64x10000x784,256x60000x784"
    )]
    pub shapes: String,
    /// Worker threads (the peers get the same number).
    #[arg(long, default_value_t = 1, value_parser = crate::io::limits::thread_count)]
    pub threads: usize,
    /// Timed repetitions per measurement (the best is kept).
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = crate::io::limits::count(1, usize::MAX))]
    pub repeats: usize,
    /// Python with numpy and/or torch for the peer timings (see benches/peer/setup.sh);
    /// default: `python3` when it imports one of them.
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Skip the peers.
    #[arg(long)]
    pub no_peers: bool,
    /// Diffusion time t of every timed score (VP, linear schedule): at t = 0.3 most posterior
    /// weights of wide data underflow to 0 and their rows are skipped; t = 1 keeps every weight.
    #[arg(long, default_value_t = 0.3)]
    pub time: f32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// One B×N×d shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Queries B.
    pub batch: usize,
    /// Training points N.
    pub points: usize,
    /// Dimension d.
    pub dim: usize,
}

impl Shape {
    /// Parses `BxNxd`.
    pub fn parse(text: &str) -> Result<Self> {
        let parts: Vec<usize> = text
            .split('x')
            .map(|p| p.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow!("shape '{text}' is not BxNxd"))?;
        match parts[..] {
            [batch, points, dim] if batch > 0 && points > 0 && dim > 0 => {
                Ok(Shape { batch, points, dim })
            }
            _ => bail!("shape '{text}' is not BxNxd with positive sizes"),
        }
    }

    /// The flop count 5·B·N·d (3 per distance term, 2 per weighted-sum term).
    pub fn flops(&self) -> f64 {
        5.0 * (self.batch * self.points * self.dim) as f64
    }
}

/// The single-core f32 FMA peak, measured ([`crate::simd::measured_fma_peak`] in the
/// registers the kernels use): (GFLOP/s, how it was obtained, with the flops per cycle at
/// the clock `/proc/cpuinfo` reports, which tells the FMA units' width).
pub fn cpu_peak() -> (f64, String) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_owned())
    };
    let max_khz = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok());
    let (ghz, clock_source) = match max_khz {
        Some(khz) => (khz / 1e6, "cpufreq max"),
        None => (
            field("cpu MHz")
                .and_then(|m| m.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1e3,
            "/proc/cpuinfo cpu MHz",
        ),
    };
    let simd = crate::simd::Simd::detect();
    let peak = crate::simd::measured_fma_peak(simd);
    let model = field("model name").unwrap_or_else(|| "unknown CPU".into());
    // Two FMA pipes of the registers' width, 2 flops per lane: the most a core can issue.
    let widest = match simd.name() {
        "avx512" => Some(64.0),
        "avx2" => Some(32.0),
        _ => None,
    };
    let per_cycle = if ghz > 0.0 {
        let flops_per_cycle = peak / ghz;
        let faster_clock = match widest {
            Some(most) if flops_per_cycle > 1.02 * most => format!(
                ", more than {most:.0} per cycle is impossible in these registers: the reported clock is below the running one (turbo, or a virtual machine's nominal figure), which is at least {:.2} GHz",
                peak / most
            ),
            _ => String::new(),
        };
        format!(
            " = {flops_per_cycle:.1} flops per cycle at {ghz:.2} GHz ({clock_source}; 32 is two 256-bit FMA pipes, 64 two 512-bit ones{faster_clock})"
        )
    } else {
        String::new()
    };
    (
        peak,
        format!(
            "{model}, {} registers: {peak:.1} GFLOP/s measured ({} independent chains of 16-lane FMAs, 2 flops per lane, best of 3 runs of 0.1 s: host/src/simd/peak.rs){per_cycle}. The kernel issues a subtraction and two FMAs per pair coordinate (5 counted flops); `FMA-bound` is the time its 2·B·N·d FMAs take at this peak over the measured time",
            simd.name(),
            crate::simd::peak::chains(simd),
        ),
    )
}

/// Best wall time of `run` over `repeats` timed calls after one warm-up.
fn best_seconds(repeats: usize, mut run: impl FnMut() -> Result<()>) -> Result<f64> {
    run()?;
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        run()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn normal_data(len: usize, seed: u64) -> Vec<f32> {
    let mut values = vec![0.0f32; len];
    fill_standard_normal(&mut Xoshiro256PlusPlus::seed_from_u64(seed), &mut values);
    values
}

/// Read bandwidth of one core: sum of a 256 MiB f32 array in 8 lanes, GB/s.
pub fn stream_read_gbs(repeats: usize) -> Result<f64> {
    let values = vec![1.0f32; 64 << 20];
    let mut total = 0.0f32;
    let seconds = best_seconds(repeats, || {
        let mut acc = [0.0f32; 8];
        for chunk in values.chunks_exact(8) {
            for (a, v) in acc.iter_mut().zip(chunk) {
                *a += v;
            }
        }
        total += acc.iter().sum::<f32>();
        Ok(())
    })?;
    std::hint::black_box(total);
    Ok((values.len() * 4) as f64 / seconds / 1e9)
}

/// Timings of one shape.
#[derive(Clone, Debug)]
pub struct ShapeReport {
    /// The shape.
    pub shape: Shape,
    /// Best batched wall time, seconds.
    pub seconds: f64,
    /// Single-query path, seconds for all B queries: timed on one thread for the first 16
    /// queries, scaled to B and divided by the thread count (assumes linear scaling).
    pub single_seconds: f64,
    /// Peer wall times (torch, numpy), seconds.
    pub peers: (Option<f64>, Option<f64>),
    /// Fraction of the posterior weights of the first (up to 4) queries that are not 0 (the
    /// other rows are skipped by the weighted sums; the distances are always computed).
    pub nonzero_weights: f64,
}

fn run_peer(
    python: &PathBuf,
    shape: Shape,
    threads: usize,
    repeats: usize,
) -> (Option<f64>, Option<f64>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/peer/score_peer.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args([shape.batch, shape.points, shape.dim, threads, repeats].map(|v| v.to_string()))
        .output();
    let Ok(output) = output else {
        return (None, None);
    };
    let parsed: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (
        parsed["torch_seconds"].as_f64(),
        parsed["numpy_seconds"].as_f64(),
    )
}

fn default_python() -> Option<PathBuf> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import importlib.util as u, sys; sys.exit(0 if (u.find_spec('torch') or u.find_spec('numpy')) else 1)"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("python3"))
}

/// Measures one shape.
pub fn measure(
    shape: Shape,
    threads: usize,
    repeats: usize,
    python: Option<&PathBuf>,
    t: f32,
) -> Result<ShapeReport> {
    let Shape { batch, points, dim } = shape;
    let data = normal_data(points * dim, 1);
    let queries = normal_data(batch * dim, 2);
    let dataset = Dataset::new(&data, dim)?;
    let process = Process::VP_LINEAR;
    let (seconds, _) = time_batched(&dataset, &queries, threads, repeats, t)?;
    let simd = crate::simd::Simd::detect();
    let subset = batch.min(16);
    let mut row = vec![0.0f32; dim];
    let single_subset = best_seconds(repeats, || {
        for query in queries.chunks_exact(dim).take(subset) {
            simd.score_batch(&dataset, &process, t, query, &mut row)?;
        }
        Ok(())
    })?;
    let single_seconds = single_subset * batch as f64 / subset as f64 / threads.max(1) as f64;
    let peers = match python {
        Some(python) => run_peer(python, shape, threads, repeats),
        None => (None, None),
    };
    Ok(ShapeReport {
        shape,
        seconds,
        single_seconds,
        peers,
        nonzero_weights: nonzero_weights(&dataset, &queries, t)?,
    })
}

/// Fraction of non-zero posterior weights w_i(x) at time t over the first (up to 4) queries.
fn nonzero_weights(dataset: &Dataset<'_>, queries: &[f32], t: f32) -> Result<f64> {
    let field = EmpiricalScore::new(*dataset, Process::VP_LINEAR)?;
    let mut weights = vec![0.0f32; dataset.len()];
    let (mut nonzero, mut total) = (0usize, 0usize);
    for query in queries.chunks_exact(dataset.dim()).take(4) {
        field.weights(t, query, &mut weights)?;
        nonzero += weights.iter().filter(|&&w| w != 0.0).count();
        total += weights.len();
    }
    Ok(nonzero as f64 / total.max(1) as f64)
}

/// Best time of `repeats` runs of the batched score of `queries` at time t on `threads`
/// workers (what `smoothscore score` runs), and its output.
fn time_batched(
    dataset: &Dataset<'_>,
    queries: &[f32],
    threads: usize,
    repeats: usize,
    t: f32,
) -> Result<(f64, Vec<f32>)> {
    let mut out = vec![0.0f32; queries.len()];
    let seconds = best_seconds(repeats, || {
        let failed = score_blocks(dataset, &Process::VP_LINEAR, t, queries, &mut out, threads)?;
        if failed.is_some() {
            bail!("the batched score failed");
        }
        Ok(())
    })?;
    Ok((seconds, out))
}

/// The batched score of one shape on 1 thread and on `threads_max`: (speed-up, whether the two
/// outputs are bit-identical).
fn thread_scaling(shape: Shape, threads_max: usize, repeats: usize, t: f32) -> Result<(f64, bool)> {
    let Shape { batch, points, dim } = shape;
    let data = normal_data(points * dim, 1);
    let queries = normal_data(batch * dim, 2);
    let dataset = Dataset::new(&data, dim)?;
    let (one_seconds, one) = time_batched(&dataset, &queries, 1, repeats, t)?;
    let (all_seconds, all) = time_batched(&dataset, &queries, threads_max, repeats, t)?;
    let identical = one
        .iter()
        .zip(&all)
        .all(|(x, y)| x.to_bits() == y.to_bits());
    Ok((one_seconds / all_seconds, identical))
}

/// Runs the benchmark and returns the report.
pub fn run(args: &BenchArgs) -> Result<String> {
    // The timed kernels would advance a bar; none is drawn, so none is timed.
    crate::progress::set_quiet(true);
    let shapes: Vec<Shape> = args
        .shapes
        .split(',')
        .map(Shape::parse)
        .collect::<Result<_>>()?;
    if !(args.time > 0.0 && args.time <= 1.0) {
        bail!(
            "--time {} is outside (0, 1] (the VP process ends at T = 1)",
            args.time
        );
    }
    let python = if args.no_peers {
        None
    } else {
        args.python.clone().or_else(default_python)
    };
    let (peak, peak_text) = cpu_peak();
    let threads = args.threads.max(1);
    let progress = crate::progress::bar(shapes.len() as u64 + 1, "shapes");
    let mut reports = Vec::new();
    for &shape in &shapes {
        reports.push(measure(
            shape,
            threads,
            args.repeats,
            python.as_ref(),
            args.time,
        )?);
        progress.inc(1);
    }
    let stream = stream_read_gbs(args.repeats)?;
    let largest = shapes
        .iter()
        .copied()
        .max_by_key(|s| s.points * s.dim)
        .context("no shapes")?;
    let memory = single_query_bandwidth(largest, args.repeats, args.time)?;
    let threads_max = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scaling_shape = *shapes.first().context("no shapes")?;
    let (thread_speedup, thread_identical) =
        thread_scaling(scaling_shape, threads_max, args.repeats, args.time)?;
    let simd = crate::simd::Simd::detect().name();
    progress.finish_and_clear();
    let peak_all = peak * threads as f64;
    if args.json {
        let shapes: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| {
                let gflops = r.shape.flops() / r.seconds / 1e9;
                serde_json::json!({
                    "batch": r.shape.batch, "points": r.shape.points, "dim": r.shape.dim,
                    "seconds": r.seconds,
                    "gflops": gflops,
                    "peak_fraction": if peak_all > 0.0 { gflops / peak_all } else { f64::NAN },
                    "fma_bound_fraction": if peak_all > 0.0 { 0.8 * gflops / peak_all } else { f64::NAN },
                    "pairs_per_second": (r.shape.batch * r.shape.points) as f64 / r.seconds,
                    "speedup_over_single_query": r.single_seconds / r.seconds,
                    "torch_ratio": r.peers.0.map(|p| p / r.seconds),
                    "numpy_ratio": r.peers.1.map(|p| p / r.seconds),
                    "nonzero_weights": r.nonzero_weights,
                })
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "threads": threads,
            "time": args.time,
            "simd": simd,
            "thread_scaling": {
                "shape": format!("{}x{}x{}", scaling_shape.batch, scaling_shape.points, scaling_shape.dim),
                "threads": threads_max,
                "speedup_over_one_thread": thread_speedup,
                "bit_identical": thread_identical,
            },
            "peak_gflops_per_core": peak,
            "peak_derivation": peak_text,
            "stream_read_gbs": stream,
            "single_query": {
                "points": largest.points, "dim": largest.dim,
                "gbs": memory, "bandwidth_fraction": memory / stream,
            },
            "shapes": shapes,
        }))?);
    }
    let mut text = format!(
        "peak: {peak_text}\nthreads: {threads}; kernel compiled for: {simd} (host/src/simd/mod.rs); t = {} (VP linear)\n\n",
        args.time
    );
    text += &format!(
        "{:>5} {:>6} {:>4} {:>10} {:>8} {:>6} {:>9} {:>12} {:>9} {:>9} {:>9} {:>6}\n",
        "B",
        "N",
        "d",
        "seconds",
        "GFLOP/s",
        "peak",
        "FMA-bound",
        "pairs/s",
        "vs single",
        "torch/us",
        "numpy/us",
        "w > 0"
    );
    let ratio = |p: Option<f64>, s: f64| p.map_or("—".to_owned(), |p| format!("{:.2}×", p / s));
    for r in &reports {
        let gflops = r.shape.flops() / r.seconds / 1e9;
        text += &format!(
            "{:>5} {:>6} {:>4} {:>10.4} {:>8.2} {:>5.1}% {:>8.1}% {:>12.3e} {:>8.2}× {:>9} {:>9} {:>5.1}%\n",
            r.shape.batch,
            r.shape.points,
            r.shape.dim,
            r.seconds,
            gflops,
            100.0 * gflops / peak_all,
            80.0 * gflops / peak_all,
            (r.shape.batch * r.shape.points) as f64 / r.seconds,
            r.single_seconds / r.seconds,
            ratio(r.peers.0, r.seconds),
            ratio(r.peers.1, r.seconds),
            100.0 * r.nonzero_weights,
        );
    }
    text += &format!(
        "\nsingle-query score, N = {}, d = {}: {memory:.2} GB/s of a measured {stream:.2} GB/s read stream ({:.0}%)",
        largest.points,
        largest.dim,
        100.0 * memory / stream
    );
    text += &format!(
        "\nthreads 1 → {threads_max} ({}×{}×{}): {thread_speedup:.2}× faster, outputs {}",
        scaling_shape.batch,
        scaling_shape.points,
        scaling_shape.dim,
        if thread_identical {
            "bit-identical"
        } else {
            "DIFFERENT"
        }
    );
    if python.is_none() && !args.no_peers {
        text +=
            "\npeers: no Python with numpy or torch found (benches/peer/setup.sh, then --python)";
    }
    Ok(text)
}

/// GB/s of the single-query score streaming an N×d training set.
fn single_query_bandwidth(shape: Shape, repeats: usize, t: f32) -> Result<f64> {
    let data = normal_data(shape.points * shape.dim, 1);
    let query = normal_data(shape.dim, 3);
    let dataset = Dataset::new(&data, shape.dim)?;
    let simd = crate::simd::Simd::detect();
    let mut out = vec![0.0f32; shape.dim];
    // One query: the batched entry point runs the single-query path, compiled for `simd`.
    let seconds = best_seconds(repeats, || {
        Ok(simd.score_batch(&dataset, &Process::VP_LINEAR, t, &query, &mut out)?)
    })?;
    Ok((data.len() * 4) as f64 / seconds / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_bad_ones_are_errors() {
        assert_eq!(
            Shape::parse("256x60000x784").unwrap(),
            Shape {
                batch: 256,
                points: 60000,
                dim: 784
            }
        );
        assert_eq!(Shape::parse("2x3x4").unwrap().flops(), 120.0);
        for bad in ["2x3", "0x1x1", "ax1x1", ""] {
            assert!(Shape::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn peak_is_measured_with_its_explanation() {
        let (peak, text) = cpu_peak();
        assert!(peak.is_finite() && peak > 0.0, "{text}");
        assert!(text.contains("GFLOP/s measured"), "{text}");
    }

    #[test]
    fn a_small_shape_measures_finite_times() {
        let report = measure(
            Shape {
                batch: 9,
                points: 50,
                dim: 3,
            },
            1,
            1,
            None,
            1.0,
        )
        .unwrap();
        assert!(report.seconds > 0.0 && report.seconds.is_finite());
        assert!(report.single_seconds > 0.0);
        assert_eq!(
            report.nonzero_weights, 1.0,
            "t = 1: every weight is positive"
        );
    }
}
