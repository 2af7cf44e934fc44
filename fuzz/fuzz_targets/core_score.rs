//! The core's score, weights and posterior mean on arbitrary bytes read as f32 data, query, t:
//! a finite value or a typed error, never a panic, never a silent NaN.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smoothscore_core::{DriftField, Dataset, EmpiricalScore, PinnedBrownianMotion, Process, ScoreField};

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let dim = 1 + (data[0] % 8) as usize;
    let which = data[1] % 6;
    let values = floats(&data[2..]);
    let (header, rest) = values.split_at(values.len().min(1 + dim));
    let Some((&t, query)) = header.split_first() else {
        return;
    };
    if query.len() != dim {
        return;
    }
    let Ok(dataset) = Dataset::new(rest, dim) else {
        return;
    };
    let mut out = vec![0.0f32; dim];
    let mut weights = vec![0.0f32; dataset.len()];
    let processes = [
        Process::VP_LINEAR,
        Process::VP_COSINE,
        Process::OrnsteinUhlenbeck { horizon: 5.0 },
        Process::VeGeometric {
            sigma_min: 0.01,
            sigma_max: 10.0,
        },
        Process::Brownian { horizon: 10.0 },
    ];
    if which == 5 {
        let pinned = PinnedBrownianMotion::new(dataset, 1.0).expect("σ = 1 is valid");
        if pinned.drift(t, query, &mut out).is_ok() {
            assert!(out.iter().all(|v| v.is_finite()));
        }
        return;
    }
    let field = EmpiricalScore::new(dataset, processes[which as usize]).expect("valid process");
    if field.score(t, query, &mut out).is_ok() {
        assert!(out.iter().all(|v| v.is_finite()));
    }
    if field.weights(t, query, &mut weights).is_ok() {
        let total: f32 = weights.iter().sum();
        assert!(weights.iter().all(|w| w.is_finite()));
        assert!((total - 1.0).abs() < 1e-4, "weights sum to {total}");
    }
    if field.posterior_mean(t, query, &mut out).is_ok() {
        assert!(out.iter().all(|v| v.is_finite()));
    }
});
