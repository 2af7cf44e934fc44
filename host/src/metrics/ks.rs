//! The Kolmogorov–Smirnov distance between a one-dimensional sample and a law that may have
//! atoms: D = sup_y |F_n(y) − F(y)|.

/// A law on the real line by its CDF F(y) = P(Y ≤ y), its left limits F(y−) = P(Y < y) and the
/// places where it jumps.
pub trait Law1d {
    /// F(y).
    fn cdf(&self, y: f64) -> f64;
    /// F(y−); equal to F(y) off the atoms.
    fn cdf_left(&self, y: f64) -> f64 {
        self.cdf(y)
    }
    /// The atoms (where F jumps).
    fn atoms(&self) -> Vec<f64> {
        Vec::new()
    }
}

/// D = sup_y |F_n(y) − F(y)|, exactly: between consecutive sample values and atoms both F_n and
/// F are monotone and F_n is constant, so the supremum is attained at (or as the left limit at)
/// a sample value or an atom; both limits are compared there. NaN for an empty sample.
pub fn ks_distance(sample: &[f64], law: &impl Law1d) -> f64 {
    if sample.is_empty() {
        return f64::NAN;
    }
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mut places = sorted.clone();
    places.extend(law.atoms());
    places.sort_by(f64::total_cmp);
    places.dedup();
    places
        .iter()
        .map(|&z| {
            let at_most = sorted.partition_point(|&v| v <= z) as f64 / n;
            let below = sorted.partition_point(|&v| v < z) as f64 / n;
            (at_most - law.cdf(z))
                .abs()
                .max((below - law.cdf_left(z)).abs())
        })
        .fold(0.0, f64::max)
}

/// The 95 % critical value of D for a sample of size n from a continuous law, by Kolmogorov's
/// limit law: P(√n D > 1.3581) → 0.05 (conservative when the law has atoms).
pub fn ks_critical_value_95(n: usize) -> f64 {
    1.358_1 / (n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{RngCore, SeedableRng};

    struct Uniform;
    impl Law1d for Uniform {
        fn cdf(&self, y: f64) -> f64 {
            y.clamp(0.0, 1.0)
        }
    }

    /// ½ δ₀ + ½ U(0, 1).
    struct AtomAndUniform;
    impl Law1d for AtomAndUniform {
        fn cdf(&self, y: f64) -> f64 {
            if y < 0.0 {
                0.0
            } else {
                0.5 + 0.5 * y.min(1.0)
            }
        }
        fn cdf_left(&self, y: f64) -> f64 {
            if y <= 0.0 {
                0.0
            } else {
                self.cdf(y)
            }
        }
        fn atoms(&self) -> Vec<f64> {
            vec![0.0]
        }
    }

    fn uniforms(count: usize, rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Vec<f64> {
        (0..count)
            .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
            .collect()
    }

    #[test]
    fn a_sample_from_its_own_law_passes_the_ks_test_95_percent_of_the_time() {
        // 1000 samples of n = 400 uniforms: the count with D ≤ 1.3581/√n is ≈ Binomial(1000,
        // 0.95) (sd 6.9; the finite-n error of the limit law is below 0.5 %).
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let (trials, n) = (1000, 400);
        let passed = (0..trials)
            .filter(|_| ks_distance(&uniforms(n, &mut rng), &Uniform) <= ks_critical_value_95(n))
            .count() as f64;
        println!("passed {passed} of {trials}");
        assert!((passed - 950.0).abs() < 4.0 * 6.9 + 5.0);
        let shifted: Vec<f64> = uniforms(n, &mut rng).iter().map(|u| u + 0.2).collect();
        assert!((ks_distance(&shifted, &Uniform) - 0.2).abs() < 0.1);
    }

    #[test]
    fn atoms_are_compared_with_both_limits() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
        let mut sample = uniforms(2000, &mut rng);
        sample.iter_mut().step_by(2).for_each(|v| *v = 0.0);
        let own = ks_distance(&sample, &AtomAndUniform);
        assert!(own < ks_critical_value_95(2000), "{own}");
        // Against U(0, 1) the atom is a jump of ½ that the law does not have.
        assert!((ks_distance(&sample, &Uniform) - 0.5).abs() < 0.05);
        // A law with the atom but an empty sample there: D = ½ at 0.
        let no_atom = uniforms(2000, &mut rng);
        assert!((ks_distance(&no_atom, &AtomAndUniform) - 0.5).abs() < 0.05);
        assert!(ks_distance(&[], &Uniform).is_nan());
    }
}
