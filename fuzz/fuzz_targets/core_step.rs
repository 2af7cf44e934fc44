//! One sampler step on arbitrary bytes read as f32 data, state and times: a finite state or a
//! typed error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use smoothscore_core::{
    Dataset, EmpiricalScore, FinalStep, Integrator, Process, ReverseSampler, Spacing, Workspace,
};

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let dim = 1 + (data[0] % 4) as usize;
    let integrator = [
        Integrator::EulerMaruyama,
        Integrator::Euler,
        Integrator::Heun,
    ][(data[1] % 3) as usize];
    let process = [Process::VP_LINEAR, Process::Brownian { horizon: 10.0 }][(data[2] % 2) as usize];
    let values: Vec<f32> = data[3..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if values.len() < 2 + dim {
        return;
    }
    let (times, rest) = values.split_at(2);
    let (state, points) = rest.split_at(dim);
    let Ok(dataset) = Dataset::new(points, dim) else {
        return;
    };
    let field = EmpiricalScore::new(dataset, process).expect("valid process");
    let Ok(sampler) = ReverseSampler::new(
        process,
        integrator,
        1e-3,
        10,
        Spacing::Geometric,
        FinalStep::State,
    ) else {
        return;
    };
    let mut workspace = Workspace::<4>::new(dim).expect("dim ≤ 4");
    let mut state = state.to_vec();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(u64::from(data[1]));
    if sampler
        .step(
            &field,
            times[0],
            times[1],
            &mut state,
            &mut rng,
            &mut workspace,
        )
        .is_ok()
    {
        assert!(state.iter().all(|v| v.is_finite()));
    }
});
