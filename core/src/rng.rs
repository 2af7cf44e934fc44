//! Randomness: the exact f32 normal sampler and the per-sample stream rule.
//!
//! The core is generic over [`RngCore`]; the host (or firmware) chooses and seeds the generator.
//! The normal sampler is Box–Muller in f32 through [`crate::math`], so with the default `libm`
//! backend a given generator state yields the same bits on every target:
//! u₁, u₂ = (⌊r/2⁹⌋ + ½)·2⁻²³ for two successive `next_u32` outputs r (exact, in (0, 1)),
//! ρ = √(−2 ln u₁), z₀ = ρ cos(2π u₂), z₁ = ρ sin(2π u₂). |z| ≤ √(−2 ln 2⁻²⁴) ≈ 5.77.

use crate::math;
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A uniform draw in the open interval (0, 1): (⌊r/2⁹⌋ + ½)·2⁻²³ for r = `rng.next_u32()`.
/// The 23-bit integer plus one half has at most 24 significant bits, so the value is exact.
pub fn uniform_open<R: RngCore>(rng: &mut R) -> f32 {
    let bits = rng.next_u32() >> 9;
    (bits as f32 + 0.5) * (1.0 / 8_388_608.0)
}

/// Two independent N(0, 1) draws by Box–Muller: ρ = √(−2 ln u₁), (ρ cos 2πu₂, ρ sin 2πu₂).
pub fn standard_normal_pair<R: RngCore>(rng: &mut R) -> (f32, f32) {
    let u1 = uniform_open(rng);
    let u2 = uniform_open(rng);
    let radius = math::sqrt(-2.0 * math::ln(u1));
    let angle = core::f32::consts::TAU * u2;
    (radius * math::cos(angle), radius * math::sin(angle))
}

/// Fills `out` with N(0, 1) draws, pair by pair in index order; for odd lengths the second
/// value of the last pair is discarded (so each call consumes 2·⌈len/2⌉ `next_u32` outputs).
pub fn fill_standard_normal<R: RngCore>(rng: &mut R, out: &mut [f32]) {
    let mut pairs = out.chunks_exact_mut(2);
    for pair in &mut pairs {
        let (z0, z1) = standard_normal_pair(rng);
        if let [first, second] = pair {
            *first = z0;
            *second = z1;
        }
    }
    if let Some(last) = pairs.into_remainder().first_mut() {
        *last = standard_normal_pair(rng).0;
    }
}

/// The per-sample random streams of a run: sample j uses the generator
/// `Xoshiro256PlusPlus::seed_from_u64(seed)` advanced by j calls of `jump()` (2¹²⁸ steps each),
/// so streams never overlap and do not depend on threads or scheduling.
#[derive(Clone, Debug)]
pub struct SampleStreams {
    next: Xoshiro256PlusPlus,
}

impl SampleStreams {
    /// The streams of `seed`.
    pub fn new(seed: u64) -> Self {
        SampleStreams {
            next: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }
}

impl Iterator for SampleStreams {
    type Item = Xoshiro256PlusPlus;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.next.clone();
        self.next.jump();
        Some(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_strictly_inside_the_unit_interval() {
        struct Fixed(u32);
        impl RngCore for Fixed {
            fn next_u32(&mut self) -> u32 {
                self.0
            }
            fn next_u64(&mut self) -> u64 {
                self.0 as u64
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                dest.fill(0)
            }
        }
        assert!(uniform_open(&mut Fixed(0)) > 0.0);
        assert!(uniform_open(&mut Fixed(u32::MAX)) < 1.0);
        let (z0, z1) = standard_normal_pair(&mut Fixed(0));
        assert!(z0.is_finite() && z1.is_finite() && z0.abs() < 5.8);
    }

    #[test]
    fn normal_moments_are_right() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut buf = [0.0f32; 1000];
        let (mut sum, mut sum_sq, mut count) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..100 {
            fill_standard_normal(&mut rng, &mut buf);
            for &z in &buf {
                sum += z as f64;
                sum_sq += (z as f64) * (z as f64);
                count += 1.0;
            }
        }
        let mean = sum / count;
        let variance = sum_sq / count - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.02, "variance {variance}");
    }

    #[test]
    fn streams_are_distinct_and_reproducible() {
        let a: [u64; 3] = {
            let mut streams = SampleStreams::new(42);
            core::array::from_fn(|_| streams.next().map(|mut r| r.next_u64()).unwrap_or(0))
        };
        let b: [u64; 3] = {
            let mut streams = SampleStreams::new(42);
            core::array::from_fn(|_| streams.next().map(|mut r| r.next_u64()).unwrap_or(0))
        };
        assert_eq!(a, b);
        assert!(a[0] != a[1] && a[1] != a[2]);
    }
}
