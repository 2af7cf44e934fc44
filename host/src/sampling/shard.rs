//! Splitting one sampling run over machines: shard k of K holds a contiguous block of the run's
//! sample indices, each sample drawn on its own stream (sample j on stream j, whatever the
//! shard), so the shards' outputs concatenated in order are the one-machine run bit for bit.

use anyhow::{bail, Result};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Shard `index` of `count` (`index` from 0 to `count − 1`), written `index/count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Shard `index` of `count`; needs `count ≥ 1` and `index < count`.
    pub fn new(index: usize, count: usize) -> Result<Self> {
        if count == 0 {
            bail!("--shard {index}/{count}: the number of shards K must be at least 1");
        }
        if index >= count {
            bail!(
                "--shard {index}/{count}: the shard index k must be below K = {count} (shards are numbered 0 to K − 1)"
            );
        }
        Ok(Shard { index, count })
    }

    /// The shard index k.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of shards K.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The sample indices of this shard in a run of `total` samples:
    /// ⌊k·total/K⌋ … ⌊(k+1)·total/K⌋ − 1 (the K ranges tile 0..total in order; their lengths
    /// differ by at most one). Fails when the shard would be empty (K > total).
    ///
    /// ```
    /// use smoothscore::sampling::shard::Shard;
    /// let parts: Vec<_> = (0..3).map(|k| Shard::new(k, 3).unwrap().samples(10).unwrap()).collect();
    /// assert_eq!(parts, [0..3, 3..6, 6..10]);
    /// assert!(Shard::new(6, 7).unwrap().samples(5).is_err());
    /// ```
    pub fn samples(&self, total: usize) -> Result<Range<usize>> {
        if self.count > total {
            bail!(
                "--shard {self}: {total} samples cannot be split over {} shards (every shard needs a sample)",
                self.count
            );
        }
        let bound = |k: usize| (k as u128 * total as u128 / self.count as u128) as usize;
        Ok(bound(self.index)..bound(self.index + 1))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = anyhow::Error;

    /// Parses `k/K`, e.g. `0/4`.
    fn from_str(text: &str) -> Result<Self> {
        let parsed = text
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) => Shard::new(index, count),
            None => bail!("expected k/K (shard k of K, k from 0 to K − 1), got '{text}'"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_tile_the_run_in_order() {
        for total in [1usize, 2, 7, 10, 256, 1001] {
            for count in [1usize, 2, 3, 7] {
                if count > total {
                    continue;
                }
                let mut next = 0;
                for index in 0..count {
                    let range = Shard::new(index, count).unwrap().samples(total).unwrap();
                    assert_eq!(range.start, next, "{index}/{count} of {total}");
                    assert!(!range.is_empty());
                    assert!(range.len() <= total.div_ceil(count));
                    next = range.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!("2/7".parse::<Shard>().unwrap(), Shard::new(2, 7).unwrap());
        assert_eq!(Shard::new(2, 7).unwrap().to_string(), "2/7");
        for bad in ["7/7", "1/0", "3", "a/b", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let message = "3/3".parse::<Shard>().unwrap_err().to_string();
        assert!(message.contains("below K = 3"), "{message}");
    }
}
