//! The `score` command's computation: a core quantity at time t for every query row, in
//! parallel over rows (each row is independent, so the bits do not depend on the thread count).

use crate::matrix::{Matrix, MatrixView};
use crate::parallel::{first_failure, map_rows, map_with_progress, Work};
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::score_spec::{self, ScoreSpec};
use anyhow::{anyhow, bail, Result};
use rayon::prelude::*;
use smoothscore_core::batched::PANEL_BLOCKS;
use smoothscore_core::{Dataset, DriftField, EmpiricalScore, PinnedBrownianMotion, ScoreField};

/// The quantity to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Quantity {
    /// s_t(x) (reverse processes) — d columns.
    Score,
    /// Posterior weights w_i(x) — N columns.
    Weights,
    /// Posterior mean m_t(x) = E[X_0 | X_t = x] (pinned: E[X_1 | X_t = x]) — d columns.
    Mean,
    /// Noise prediction ε̂ = (x − α_t m_t(x))/σ_t — d columns.
    Denoiser,
    /// Föllmer drift u(x, t) (pinned only) — d columns.
    Drift,
}

/// Query rows per parallel task of the batched score for `rows` queries on `threads` workers
/// (0: all cores): the rows shared evenly, in whole query blocks, at most one panel's worth
/// ([`PANEL_BLOCKS`] blocks: the kernel reads each training row once per panel, so a task
/// of fewer queries reads the data more often per query, and two threads then contend for
/// memory instead of computing).
pub fn rows_per_task(rows: usize, threads: usize) -> usize {
    let block = smoothscore_core::batched::QUERY_BLOCK;
    let threads = match threads {
        0 => rayon::current_num_threads(),
        n => n,
    };
    rows.div_ceil(threads.max(1))
        .next_multiple_of(block)
        .clamp(block, PANEL_BLOCKS * block)
}

/// The exact score of every query row through the core's batched kernel (each training row
/// read once per block of queries, no B×N matrix), in parallel over blocks of rows: the same
/// bits as the single-query path, for any thread count. A failing block is re-run row by row
/// to name the row.
fn score_batched(
    dataset: &Dataset<'_>,
    process: &smoothscore_core::Process,
    t: f32,
    queries: MatrixView<'_>,
    threads: usize,
) -> Result<Matrix> {
    let dim = dataset.dim();
    process.check_time(t).map_err(|e| anyhow!("--t: {e}"))?;
    let mut out = Matrix::zeros(queries.rows(), dim);
    let failed = score_blocks(
        dataset,
        process,
        t,
        queries.values(),
        out.values_mut(),
        threads,
    )?;
    if let Some(failed) = failed {
        let field = EmpiricalScore::new(*dataset, *process)?;
        let first_row = failed.start;
        let rows = queries.values()[first_row * dim..]
            .chunks_exact(dim)
            .take(failed.len());
        let mut row_out = vec![0.0f32; dim];
        if let Some((row, e)) =
            first_failure(first_row, rows, |query| field.score(t, query, &mut row_out))
        {
            bail!("query row {}: {e}", row + 1);
        }
        bail!(
            "query rows {}–{}: the batched score failed",
            first_row + 1,
            failed.end
        );
    }
    Ok(out)
}

/// The exact scores of the row-major `queries` into `out` through the core's batched kernel,
/// on `threads` workers, one task per [`rows_per_task`] rows (the progress bar advances by
/// rows). Returns the rows of the first task whose block failed, if any. `smoothscore score`
/// and `smoothscore bench` both run this, so the benchmark times what the command does.
pub fn score_blocks(
    dataset: &Dataset<'_>,
    process: &smoothscore_core::Process,
    t: f32,
    queries: &[f32],
    out: &mut [f32],
    threads: usize,
) -> Result<Option<std::ops::Range<usize>>> {
    let dim = dataset.dim();
    let rows = queries.len() / dim.max(1);
    let task = rows_per_task(rows, threads);
    let block = task * dim;
    let simd = crate::simd::Simd::detect();
    let work = Work::new(threads, "queries", rows);
    let items = out
        .par_chunks_mut(block.max(1))
        .zip(queries.par_chunks(block.max(1)));
    let failed = map_with_progress(
        work,
        items,
        || (),
        |(_, block)| (block.len() / dim) as u64,
        |(), (block_out, block)| simd.score_batch(dataset, process, t, block, block_out),
    )?;
    Ok(failed
        .iter()
        .position(Result::is_err)
        .map(|index| index * task..((index + 1) * task).min(rows)))
}

/// `evaluate_row(query, row_out)` for every row of `queries` into a rows × `out_cols` matrix, in
/// parallel over rows on `threads` workers (each row independent: the bits do not depend on the
/// thread count), with a progress bar; the first failing row is named (1-based) in the error.
pub fn each_row(
    queries: MatrixView<'_>,
    out_cols: usize,
    threads: usize,
    evaluate_row: impl Fn(&[f32], &mut [f32]) -> Result<(), smoothscore_core::Error> + Sync,
) -> Result<Matrix> {
    let mut out = Matrix::zeros(queries.rows(), out_cols);
    let work = Work::new(threads, "queries", queries.rows());
    let items = out
        .values_mut()
        .par_chunks_mut(out_cols.max(1))
        .zip(queries.values().par_chunks(queries.cols().max(1)));
    let results = map_rows(work, items, |(row_out, query)| evaluate_row(query, row_out))?;
    for (row, result) in results.into_iter().enumerate() {
        result.map_err(|e| anyhow!("query row {}: {e}", row + 1))?;
    }
    Ok(out)
}

/// Evaluates `quantity` at time `t` for every row of `queries` (both matrices borrowed: a
/// `&Matrix` or a [`MatrixView`] of values held elsewhere, read without a copy).
///
/// ```
/// use smoothscore::sampling::evaluate::{evaluate, Quantity};
/// use smoothscore::matrix::MatrixView;
/// use smoothscore::sampling::process_spec::ProcessSpec;
/// use smoothscore::sampling::score_spec::ScoreSpec;
/// let data = [0.0f32, 0.0, 1.0, 1.0];
/// let queries = [0.5f32, 0.5];
/// let data = MatrixView::new(2, 2, &data).unwrap();
/// let queries = MatrixView::new(1, 2, &queries).unwrap();
/// let process = ProcessSpec::Reverse(smoothscore_core::Process::VP_LINEAR);
/// let mean = evaluate(data, queries, &process, &ScoreSpec::Exact, 0.5, Quantity::Mean, 1).unwrap();
/// // A convex combination of the two points, on the diagonal like both of them.
/// let m = mean.values();
/// assert!(m[0] == m[1] && 0.0 < m[0] && m[0] < 1.0);
/// ```
pub fn evaluate<'a>(
    data: impl Into<MatrixView<'a>>,
    queries: impl Into<MatrixView<'a>>,
    spec: &ProcessSpec,
    score: &ScoreSpec,
    t: f32,
    quantity: Quantity,
    threads: usize,
) -> Result<Matrix> {
    let (data, queries) = (data.into(), queries.into());
    let dim = data.cols();
    if queries.cols() != dim {
        bail!(
            "queries have {} columns but the data has dimension {dim}",
            queries.cols()
        );
    }
    if let ScoreSpec::Network(network) = score {
        return crate::sampling::network_eval::evaluate_network(
            network, queries, spec, t, quantity, threads,
        );
    }
    let dataset = Dataset::new(data.values(), dim).map_err(|e| anyhow!("training data: {e}"))?;
    let out_cols = if quantity == Quantity::Weights {
        data.rows()
    } else {
        dim
    };
    if quantity == Quantity::Score && *score == ScoreSpec::Exact {
        if let ProcessSpec::Reverse(process) = *spec {
            return score_batched(&dataset, &process, t, queries, threads);
        }
    }
    match *spec {
        ProcessSpec::Reverse(process) => {
            if quantity == Quantity::Drift {
                bail!("--what drift is the pinned Brownian motion's (--process pbm)");
            }
            let field = EmpiricalScore::new(dataset, process)?;
            process.check_time(t).map_err(|e| anyhow!("--t: {e}"))?;
            if *score != ScoreSpec::Exact && quantity != Quantity::Score {
                bail!(
                    "--score {} applies to --what score only",
                    score_spec::describe(score, dim)
                );
            }
            let line = score_spec::line_for(score, data)?;
            let chosen = score_spec::build(score, dataset, process, line.as_ref())?;
            each_row(
                queries,
                out_cols,
                threads,
                |query, row_out| match quantity {
                    Quantity::Score => chosen.score(t, query, row_out),
                    Quantity::Weights => field.weights(t, query, row_out),
                    Quantity::Mean => field.posterior_mean(t, query, row_out),
                    Quantity::Denoiser | Quantity::Drift => {
                        field.noise_prediction(t, query, row_out)
                    }
                },
            )
        }
        ProcessSpec::Pinned { sigma } => {
            let pinned = PinnedBrownianMotion::new(dataset, sigma)?;
            pinned.check_time(t).map_err(|e| anyhow!("--t: {e}"))?;
            if *score != ScoreSpec::Exact {
                bail!("the pinned Brownian motion has its exact drift only; use --score exact");
            }
            if !matches!(quantity, Quantity::Drift | Quantity::Mean) {
                bail!("the pinned Brownian motion has --what drift or mean only");
            }
            each_row(
                queries,
                out_cols,
                threads,
                |query, row_out| match quantity {
                    Quantity::Mean => pinned.terminal_mean(t, query, row_out),
                    _ => pinned.drift(t, query, row_out),
                },
            )
        }
    }
}
