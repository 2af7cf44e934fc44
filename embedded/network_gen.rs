//! The firmware's score network as Rust source with the exact f32 bit patterns (shared by the
//! firmware's and the host twin's build scripts, so both hold the same bits).
//!
//! The weights are drawn from a fixed seed (splitmix64, U(±1/√in) per layer as PyTorch
//! initialises a `Linear`, biases U(±0.5)); the data normalisation is the default set's mean and
//! σ_data = RMS over coordinates of x − μ, as the network contract defines it.

use std::fmt::Write as _;

/// The data dimension the network is built for.
pub const DIM: usize = 2;
/// Hidden units per layer.
pub const WIDTH: usize = 32;
/// Hidden layers.
pub const DEPTH: usize = 2;
/// Time features K (sin and cos of each).
pub const TIME_FEATURES: usize = 4;
/// The seed of the weights.
pub const SEED: u64 = 0x5eed_2026;

/// splitmix64 mapped to U(−half_width, half_width) in f64, then rounded to f32.
struct SplitMix(u64);

impl SplitMix {
    fn uniform(&mut self, half_width: f64) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        ((2.0 * unit - 1.0) * half_width) as f32
    }
}

/// The source: `SHAPE` (a `smoothscore_core::NetworkShape`), `WEIGHTS`, `TIME_FREQUENCIES`,
/// `DATA_MEAN`, `DATA_STD`, for the data set `data` (row-major, dimension `dim`).
pub fn generate(data: &[f32], dim: usize) -> String {
    assert_eq!(dim, DIM, "the network is built for 2-D data");
    let rows = data.len() / dim;
    let mean: Vec<f64> = (0..dim)
        .map(|k| {
            data.iter()
                .skip(k)
                .step_by(dim)
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / rows as f64
        })
        .collect();
    let squares: f64 = data
        .iter()
        .enumerate()
        .map(|(i, &v)| (f64::from(v) - mean[i % dim]).powi(2))
        .sum();
    let data_std = (squares / data.len() as f64).sqrt() as f32;
    let mut rng = SplitMix(SEED);
    let mut weights = Vec::new();
    let mut inputs = DIM + 2 * TIME_FEATURES;
    for l in 0..=DEPTH {
        let outputs = if l == DEPTH { DIM } else { WIDTH };
        let scale = 1.0 / (inputs as f64).sqrt();
        weights.extend((0..inputs * outputs).map(|_| rng.uniform(scale)));
        weights.extend((0..outputs).map(|_| rng.uniform(0.5)));
        inputs = outputs;
    }
    let frequencies: Vec<f32> = (0..TIME_FEATURES).map(|k| (1u32 << k) as f32).collect();
    let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
    let mut source = String::new();
    let _ = writeln!(
        source,
        "/// The network's architecture (seeded weights, seed {SEED:#x}).\n\
         pub const SHAPE: smoothscore_core::NetworkShape = smoothscore_core::NetworkShape {{\n    \
         dim: {DIM},\n    width: {WIDTH},\n    depth: {DEPTH},\n    \
         activation: smoothscore_core::Activation::Silu,\n    time_features: {TIME_FEATURES},\n    \
         time_input: smoothscore_core::TimeInput::LogSigma,\n    \
         output: smoothscore_core::NetworkOutput::Epsilon,\n}};"
    );
    let _ = writeln!(
        source,
        "/// σ_data.\npub const DATA_STD: f32 = f32::from_bits(0x{:08x});",
        data_std.to_bits()
    );
    for (name, doc, values) in [
        ("WEIGHTS", "The flat weights (contract layout).", &weights),
        ("TIME_FREQUENCIES", "The frequencies ω_k.", &frequencies),
        ("DATA_MEAN", "The data mean μ.", &mean),
    ] {
        let _ = writeln!(
            source,
            "/// {doc}\npub static {name}: [f32; {}] = [",
            values.len()
        );
        for v in values {
            let _ = writeln!(source, "    f32::from_bits(0x{:08x}),", v.to_bits());
        }
        source.push_str("];\n");
    }
    source
}
