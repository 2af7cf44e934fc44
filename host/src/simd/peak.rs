//! The measured fused multiply-add peak of one core: what `smoothscore bench` divides by.
//!
//! A peak derived from `/proc/cpuinfo` needs the microarchitecture (Zen 4 reports `avx512f`
//! but executes 512-bit operations on 256-bit units; Zen 3 has no AVX-512; a guest's clock
//! is not the host's boost clock). Here the peak is measured instead: independent chains
//! c ← fma(c, a, b) in the same lane vectors the kernels use (the AVX-512 or AVX2 registers of
//! `x86_lanes`, the widest the CPU has), so the loop is bound by the FMA units' throughput,
//! not by their latency: [`chains`] of 16 lanes, as many as fit the register file with the two
//! constants (AVX2: 6 chains = 12 of the 16 ymm registers; AVX-512: 12 of the 32 zmm), at
//! least the 8 registers in flight that two pipes of 4-cycle latency need. The figure is
//! 2 flops × 16 lanes × chains × iterations / seconds, best of three timed runs of 0.1 s.

use super::Simd;
use smoothscore_core::lane_vector::LaneVector;
use std::hint::black_box;
use std::time::Instant;

/// Independent accumulator chains of 16 lanes for the instruction set `simd`.
pub const fn chains(simd: Simd) -> usize {
    match simd {
        Simd::Avx512 => 12,
        Simd::Avx2 => 6,
        Simd::Baseline => 4,
    }
}

/// The measured FMA peak of one core in GFLOP/s (an FMA counted as 2 flops), with `simd`'s
/// registers (the portable lanes, software fused multiply-add, when `simd` is [`Simd::Baseline`]).
pub fn measured_fma_peak(simd: Simd) -> f64 {
    let mut iterations = 1u64 << 16;
    // Grow the run until it lasts 20 ms, then time three runs of ~0.1 s each.
    let simd = Simd::available()
        .into_iter()
        .rfind(|&available| available <= simd)
        .unwrap_or(Simd::Baseline);
    loop {
        let seconds = timed(simd, iterations);
        if seconds >= 0.02 || iterations >= 1 << 34 {
            let target = (iterations as f64 * 0.1 / seconds.max(1e-9)).max(1.0) as u64;
            let best = (0..3)
                .map(|_| timed(simd, target))
                .fold(f64::INFINITY, f64::min);
            return flops(simd, target) / best / 1e9;
        }
        iterations *= 4;
    }
}

/// Flops of `iterations` rounds of the probe on `simd`.
fn flops(simd: Simd, iterations: u64) -> f64 {
    2.0 * 16.0 * chains(simd) as f64 * iterations as f64
}

fn timed(simd: Simd, iterations: u64) -> f64 {
    let start = Instant::now();
    black_box(run(simd, black_box(iterations)));
    start.elapsed().as_secs_f64()
}

fn run(simd: Simd, iterations: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if simd == Simd::Avx512 && super::avx512_detected() {
            // SAFETY: the CPU has AVX-512 F/VL/DQ/BW and FMA (checked on the line above).
            return unsafe { chains_avx512(iterations) };
        }
        if simd >= Simd::Avx2 && super::avx2_detected() {
            // SAFETY: the CPU has AVX2 and FMA (checked on the line above).
            return unsafe { chains_avx2(iterations) };
        }
    }
    let _ = simd;
    fma_chains::<[f32; 16], { chains(Simd::Baseline) }>(iterations)
}

/// `C` chains c ← fma(c, a, b), `iterations` rounds; returns the sum of every lane of
/// every chain, so no lane is dead code (with one lane returned, LLVM dropped the upper AVX2
/// register of each chain and the probe counted twice the flops it ran).
#[inline(always)]
fn fma_chains<V: LaneVector, const C: usize>(iterations: u64) -> f32 {
    let a = V::splat(black_box(0.999_999_9));
    let b = V::splat(black_box(1e-7));
    let mut accumulators = [V::splat(black_box(1.0)); C];
    for _ in 0..iterations {
        for accumulator in &mut accumulators {
            *accumulator = accumulator.fma(a, b);
        }
    }
    accumulators
        .iter()
        .fold(V::splat(0.0), |sum, &accumulator| sum.add(accumulator))
        .to_array()
        .iter()
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma")]
fn chains_avx512(iterations: u64) -> f32 {
    fma_chains::<super::x86_lanes::Avx512Lanes, { chains(Simd::Avx512) }>(iterations)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,fma")]
fn chains_avx2(iterations: u64) -> f32 {
    fma_chains::<super::x86_lanes::Avx2Lanes, { chains(Simd::Avx2) }>(iterations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_computes_the_chains_it_times() {
        // fma(c, a, b) from c = 1 with a = 1 − 1e-7, b = 1e-7: the fixed point is 1, so every
        // lane of every chain stays at 1 within a few ULP, on every instruction set (the sum
        // is 16 lanes × the chains).
        for simd in Simd::available() {
            let value = run(simd, 1000);
            let expected = 16.0 * chains(simd) as f32;
            assert!((value - expected).abs() < 1e-3, "{}: {value}", simd.name());
        }
    }

    #[test]
    fn the_measured_peak_is_positive_and_finite() {
        let peak = measured_fma_peak(Simd::detect());
        assert!(peak.is_finite() && peak > 0.1, "{peak}");
    }
}
