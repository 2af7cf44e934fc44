//! The samplers' fixed-capacity scratch space.

use crate::error::Error;
use heapless::Vec;

/// Fixed-capacity scratch buffers for the samplers: d ≤ `CAP`.
#[derive(Clone, Debug)]
pub struct Workspace<const CAP: usize> {
    pub(super) drift: Vec<f32, CAP>,
    pub(super) trial: Vec<f32, CAP>,
    pub(super) drift_trial: Vec<f32, CAP>,
    pub(super) noise: Vec<f32, CAP>,
    pub(super) history: Vec<f32, CAP>,
}

impl<const CAP: usize> Workspace<CAP> {
    /// Buffers for dimension `dim`, or `CapacityExceeded` when `dim > CAP`.
    pub fn new(dim: usize) -> Result<Self, Error> {
        let mut workspace = Workspace {
            drift: Vec::new(),
            trial: Vec::new(),
            drift_trial: Vec::new(),
            noise: Vec::new(),
            history: Vec::new(),
        };
        let exceeded = Error::CapacityExceeded {
            needed: dim,
            capacity: CAP,
        };
        for buffer in [
            &mut workspace.drift,
            &mut workspace.trial,
            &mut workspace.drift_trial,
            &mut workspace.noise,
            &mut workspace.history,
        ] {
            buffer.resize(dim, 0.0).map_err(|_| exceeded)?;
        }
        Ok(workspace)
    }

    /// The dimension d the buffers were made for.
    pub fn dim(&self) -> usize {
        self.drift.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_capacity_is_enforced() {
        assert!(Workspace::<4>::new(4).is_ok());
        assert_eq!(
            Workspace::<4>::new(5).unwrap_err(),
            Error::CapacityExceeded {
                needed: 5,
                capacity: 4
            }
        );
    }
}
