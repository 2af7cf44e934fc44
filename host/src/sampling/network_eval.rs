//! The `score` command's quantities of a trained network, row by row in parallel (each row is
//! independent, so the bits do not depend on the thread count), all through the core.

use super::network::TrainedNetwork;
use crate::matrix::{Matrix, MatrixView};
use crate::sampling::evaluate::{each_row, Quantity};
use crate::sampling::process_spec::ProcessSpec;
use crate::sampling::score_spec::MAX_DIM;
use anyhow::{anyhow, bail, Result};
use smoothscore_core::{DriftField, ScoreField};

/// `quantity` of `network` at time `t` for every row of `queries` under the run's process
/// `spec` (which must be the network's): reverse processes give the score −ε̂/σ_t, the
/// posterior mean (x + σ_t² s)/α_t and the noise prediction ε̂ (`denoiser`); pbm gives the
/// drift u and the terminal mean x + (1 − t)u. A network has no posterior weights.
pub fn evaluate_network(
    network: &TrainedNetwork,
    queries: MatrixView<'_>,
    spec: &ProcessSpec,
    t: f32,
    quantity: Quantity,
    threads: usize,
) -> Result<Matrix> {
    let dim = network.shape.dim;
    network.check_dim(queries.cols())?;
    network.check_process(spec)?;
    if quantity == Quantity::Weights {
        bail!("a network has no posterior weights; use --what score, mean or denoiser (pbm: drift or mean)");
    }
    match *spec {
        ProcessSpec::Reverse(process) => {
            if quantity == Quantity::Drift {
                bail!("--what drift is the pinned Brownian motion's (--process pbm)");
            }
            process.check_time(t).map_err(|e| anyhow!("--t: {e}"))?;
            let score = network.score(process)?;
            each_row(queries, dim, threads, |query, row_out| match quantity {
                Quantity::Mean => score.posterior_mean(t, query, row_out),
                Quantity::Denoiser => {
                    let mut scratch = [[0.0f32; MAX_DIM]; 2];
                    score
                        .epsilon_with(t, query, scratch.as_flattened_mut(), row_out)
                        .map(|_| ())
                }
                _ => score.score(t, query, row_out),
            })
        }
        ProcessSpec::Pinned { sigma } => {
            if !matches!(quantity, Quantity::Drift | Quantity::Mean) {
                bail!("the pinned Brownian motion has --what drift or mean only");
            }
            let drift = network.drift(sigma)?;
            each_row(queries, dim, threads, |query, row_out| match quantity {
                Quantity::Mean => drift.terminal_mean(t, query, row_out),
                _ => drift.drift(t, query, row_out),
            })
        }
    }
}
