//! The replicate driver every experiment runs through: R independent runs of the experiment
//! (replicate r gets its own seed for the samples, the training set and the kernel points), then
//! each metric cell of each table summarised as the mean with its 95 % Student-t interval
//! ([`crate::metrics::interval::t_interval`]) in `<metric>`, `<metric>_ci95_low`,
//! `<metric>_ci95_high`.

use super::table::{Cell, Table, INTERVAL_SUFFIXES};
use crate::metrics::interval::t_interval;
use anyhow::{bail, Result};

/// The seed of replicate r: the run's seed itself for r = 0 (so one replicate reproduces a run
/// without replicates), else SplitMix64 of seed ⊕ r·φ (φ = 2⁶⁴/golden ratio): well-separated
/// seeds for neighbouring r.
pub fn replicate_seed(seed: u64, replicate: usize) -> u64 {
    if replicate == 0 {
        return seed;
    }
    let mut z = seed ^ (replicate as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Runs `experiment` once per replicate seed and summarises the tables ([`summarise`]).
pub fn run_replicates(
    replicates: usize,
    seed: u64,
    mut experiment: impl FnMut(u64) -> Result<Vec<Table>>,
) -> Result<Vec<Table>> {
    if replicates == 0 {
        bail!("--replicates must be at least 1");
    }
    let progress = crate::progress::bar(replicates as u64, "replicates");
    let mut runs = Vec::with_capacity(replicates);
    for r in 0..replicates {
        runs.push(experiment(replicate_seed(seed, r))?);
        progress.inc(1);
    }
    progress.finish_and_clear();
    summarise(&runs)
}

/// One table per table of the runs: the key columns as they are (they must agree across runs),
/// each metric column as mean, 95 % t-interval low and high. A metric that is text in some run
/// (a "-" for not applicable) stays text, with "-" for its interval.
pub fn summarise(runs: &[Vec<Table>]) -> Result<Vec<Table>> {
    let Some(first) = runs.first() else {
        bail!("no replicate ran");
    };
    let mut out = Vec::with_capacity(first.len());
    for (index, base) in first.iter().enumerate() {
        let tables: Vec<&Table> = runs.iter().map(|run| &run[index]).collect();
        for (r, table) in tables.iter().enumerate() {
            if table.name != base.name
                || table.columns != base.columns
                || table.rows.len() != base.rows.len()
                || table
                    .rows
                    .iter()
                    .zip(&base.rows)
                    .any(|(a, b)| a[..base.keys] != b[..base.keys])
            {
                bail!(
                    "replicate {r} of table {} has other rows than replicate 0",
                    base.name
                );
            }
        }
        let keys: Vec<&str> = base.columns[..base.keys]
            .iter()
            .map(String::as_str)
            .collect();
        let metrics: Vec<String> = base.columns[base.keys..]
            .iter()
            .flat_map(|m| {
                std::iter::once(m.clone()).chain(
                    INTERVAL_SUFFIXES
                        .iter()
                        .map(move |suffix| format!("{m}{suffix}")),
                )
            })
            .collect();
        let metric_names: Vec<&str> = metrics.iter().map(String::as_str).collect();
        let mut summary = Table::new(&base.name, &keys, &metric_names);
        summary.replicates = Some(runs.len());
        summary.printed = base.printed;
        for (i, row) in base.rows.iter().enumerate() {
            let mut cells: Vec<Cell> = row[..base.keys].to_vec();
            for (c, first_cell) in row.iter().enumerate().skip(base.keys) {
                let numbers: Option<Vec<f64>> = tables
                    .iter()
                    .map(|t| match t.rows[i][c] {
                        Cell::Number(v) => Some(v),
                        Cell::Text(_) => None,
                    })
                    .collect();
                match numbers {
                    Some(values) => {
                        let interval = t_interval(&values);
                        cells.extend([interval.mean, interval.low, interval.high].map(Cell::from));
                    }
                    None => cells.extend([first_cell.clone(), "-".into(), "-".into()]),
                }
            }
            summary.push(cells);
        }
        out.push(summary);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(value: f64) -> Vec<Table> {
        let mut table = Table::new("t", &["setting"], &["metric", "note"]);
        table.push(vec!["a".into(), value.into(), "-".into()]);
        vec![table]
    }

    #[test]
    fn summaries_carry_the_mean_and_the_t_interval() {
        let tables = summarise(&[run(1.0), run(2.0), run(3.0)]).unwrap();
        let table = &tables[0];
        assert_eq!(
            table.columns,
            [
                "setting",
                "metric",
                "metric_ci95_low",
                "metric_ci95_high",
                "note",
                "note_ci95_low",
                "note_ci95_high"
            ]
        );
        // mean 2, s = 1, t_{2, 0.975} = 4.3027: 2 ± 2.4841.
        let Cell::Number(low) = table.rows[0][2] else {
            panic!()
        };
        assert!((low - (2.0 - 4.302_65 / 3f64.sqrt())).abs() < 1e-4, "{low}");
        assert_eq!(table.rows[0][4], Cell::Text("-".into()));
        assert_eq!(table.replicates, Some(3));
    }

    #[test]
    fn runs_with_other_rows_are_an_error_and_seeds_differ() {
        let mut other = run(1.0);
        other[0].rows[0][0] = "b".into();
        assert!(summarise(&[run(1.0), other]).is_err());
        assert_eq!(replicate_seed(7, 0), 7);
        let seeds: std::collections::BTreeSet<u64> =
            (0..100).map(|r| replicate_seed(7, r)).collect();
        assert_eq!(seeds.len(), 100);
    }
}
