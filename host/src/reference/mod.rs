//! The high-precision reference the f32 core is checked against (`smoothscore crosscheck`): every
//! core computation written once, generic over the number type ([`real::Real`]), run in f64 with
//! compensated sums and validated by the same code in 192-bit arithmetic ([`real::Oracle`]).

pub mod compute;
pub mod crosscheck;
pub mod real;

#[cfg(test)]
mod tests {
    use super::compute;
    use super::real::{Oracle, Real};
    use crate::data::builtin::default_2d;
    use crate::reference::crosscheck::processes;
    use smoothscore_core::{Bandwidth, KernelRule};

    fn max_relative(a: &[f64], b: &[Oracle]) -> f64 {
        let scale = b
            .iter()
            .map(|v| v.to_f64().abs())
            .fold(0.0, f64::max)
            .max(1e-300);
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y.to_f64()).abs() / scale)
            .fold(0.0, f64::max)
    }

    /// The f64 reference agrees with the 192-bit run of the same code to ≤ 1e-12 of the scale:
    /// 10⁴ times below an f32 ULP, so rounding the f64 reference to f32 gives the correctly rounded
    /// result except within 10⁻⁴ ULP of a rounding boundary.
    #[test]
    fn f64_reference_matches_the_192_bit_oracle() {
        let data = default_2d().unwrap();
        let values = data.values();
        let mut worst = 0.0f64;
        for (name, process) in processes() {
            for t in [1e-3f32, 0.3 * process.horizon()] {
                let (a64, s64, f64_, g64) = compute::coefficients::<f64>(&process, t);
                let (a, s, f, g) = compute::coefficients::<Oracle>(&process, t);
                for (x, y) in [(a64, a), (s64, s), (f64_, f), (g64, g)] {
                    worst = worst.max(max_relative(&[x], &[y]));
                }
                for query in [[0.1f32, -0.2], [3.0, 4.0]] {
                    let score64 = compute::score::<f64>(values, 2, &process, t, &query);
                    let score = compute::score::<Oracle>(values, 2, &process, t, &query);
                    let relative = max_relative(&score64, &score);
                    assert!(relative < 1e-12, "{name} t = {t} {query:?}: {relative:e}");
                    worst = worst.max(relative);
                }
            }
        }
        let kernel = |process| {
            (
                compute::kernel_score::<f64>(
                    values,
                    2,
                    &process,
                    0.05,
                    Bandwidth::Constant { bandwidth: 0.1 },
                    KernelRule::GaussHermite { order: 3 },
                    &[0.2, 0.1],
                ),
                compute::kernel_score::<Oracle>(
                    values,
                    2,
                    &process,
                    0.05,
                    Bandwidth::Constant { bandwidth: 0.1 },
                    KernelRule::GaussHermite { order: 3 },
                    &[0.2, 0.1],
                ),
            )
        };
        let (k64, k) = kernel(smoothscore_core::Process::VP_LINEAR);
        worst = worst.max(max_relative(&k64, &k));
        println!("f64 reference vs 192-bit oracle: worst relative difference {worst:.2e}");
        assert!(worst < 1e-12);
    }
}
