//! The host's parallel work: a rayon pool of the size a run asks for ([`with_threads`]), the one
//! parallel map with a progress bar that every row-by-row computation runs through
//! ([`map_with_progress`], [`map_rows`]), and the re-run that names the first failing row of a
//! block whose fast path failed ([`first_failure`]).
//!
//! The results come back in the items' order, whatever the number of threads, so nothing a
//! run writes depends on it.

use crate::progress;
use anyhow::{Context, Result};
use rayon::prelude::*;

/// Runs `body` on a rayon pool of `threads` threads (0: rayon's default, all cores).
pub fn with_threads<T: Send>(threads: usize, body: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    Ok(pool.install(body))
}

/// Where a parallel map runs and how its progress bar reads.
#[derive(Clone, Copy, Debug)]
pub struct Work<'a> {
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// The bar's label, e.g. `samples`.
    pub label: &'a str,
    /// The bar's length in units (rows, samples, grid points).
    pub total: u64,
}

impl<'a> Work<'a> {
    /// Work on `threads` threads (0: all cores) under a bar `label` of `total` units.
    pub fn new(threads: usize, label: &'a str, total: usize) -> Self {
        Work {
            threads,
            label,
            total: total as u64,
        }
    }
}

/// `task(state, item)` for every item of `items`, in parallel as `work` says, in the items'
/// order. Each worker thread makes its own `state` with `init` (scratch space that should not
/// be allocated per item); the bar advances by `units(&item)` as each item finishes.
///
/// ```
/// use rayon::prelude::*;
/// use smoothscore::parallel::{map_with_progress, Work};
/// let work = Work::new(2, "rows", 10);
/// let rows: Vec<u64> = (0..10).collect();
/// let sums = map_with_progress(
///     work,
///     rows.par_chunks(4),
///     Vec::new,
///     |chunk| chunk.len() as u64,
///     |scratch: &mut Vec<u64>, chunk| {
///         scratch.clear();
///         scratch.extend(chunk);
///         scratch.iter().sum::<u64>()
///     },
/// )
/// .unwrap();
/// assert_eq!(sums, [6, 22, 17]);
/// ```
pub fn map_with_progress<I, S, R>(
    work: Work<'_>,
    items: I,
    init: impl Fn() -> S + Sync + Send,
    units: impl Fn(&I::Item) -> u64 + Sync + Send,
    task: impl Fn(&mut S, I::Item) -> R + Sync + Send,
) -> Result<Vec<R>>
where
    I: IndexedParallelIterator,
    R: Send,
{
    let bar = progress::bar(work.total, work.label);
    let results = with_threads(work.threads, || {
        items
            .map_init(init, |state, item| {
                let advance = units(&item);
                let result = task(state, item);
                bar.inc(advance);
                result
            })
            .collect()
    })?;
    bar.finish_and_clear();
    Ok(results)
}

/// [`map_with_progress`] without per-thread state, one unit of the bar per item.
///
/// ```
/// use rayon::prelude::*;
/// use smoothscore::parallel::{map_rows, Work};
/// let squares = map_rows(Work::new(1, "rows", 4), (0..4u32).into_par_iter(), |x| x * x);
/// assert_eq!(squares.unwrap(), [0, 1, 4, 9]);
/// ```
pub fn map_rows<I, R>(
    work: Work<'_>,
    items: I,
    task: impl Fn(I::Item) -> R + Sync + Send,
) -> Result<Vec<R>>
where
    I: IndexedParallelIterator,
    R: Send,
{
    map_with_progress(work, items, || (), |_| 1, |(), item| task(item))
}

/// Runs the rows of a block whose fast path failed again one at a time with `one_by_one`, and
/// returns the index (`first` + the row's offset) and error of the first row that fails, or
/// `None` when every row succeeds one by one.
///
/// ```
/// let rows = [1.0f32, -1.0, 2.0, -2.0];
/// let check = |x: &f32| if *x < 0.0 { Err(format!("{x} < 0")) } else { Ok(()) };
/// let failed = smoothscore::parallel::first_failure(10, rows.iter(), check);
/// assert_eq!(failed, Some((11, "-1 < 0".to_string())));
/// ```
pub fn first_failure<T, E>(
    first: usize,
    rows: impl IntoIterator<Item = T>,
    mut one_by_one: impl FnMut(T) -> Result<(), E>,
) -> Option<(usize, E)> {
    rows.into_iter()
        .enumerate()
        .find_map(|(offset, row)| one_by_one(row).err().map(|e| (first + offset, e)))
}
