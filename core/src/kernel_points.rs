//! Kernel points ξ_j and weights w_j for estimating a Gaussian convolution
//! (K_h * f)(x) = E[f(x − hξ)], ξ ~ N(0, I_d), by Σ_j w_j f(x − hξ_j) (docs/math.md §5).
//!
//! Every rule is deterministic given its parameters, so the same points are used at every (t, x)
//! of a run (common random numbers): the smoothing does not add a random walk of its own.
//!
//! | rule | M (cost in score evaluations) | error |
//! |---|---|---|
//! | [`KernelRule::GaussHermite`] | n^d, d ≤ 3 | exact for polynomials of degree ≤ 2n − 1 in each axis; spectral for smooth f |
//! | [`KernelRule::QuasiRandom`] | 2·pairs | odd parts of f exactly (antithetic); O((log M)^d / M) for the rest |
//! | [`KernelRule::MonteCarlo`] | points | unbiased, standard error √(Var f / M) |

use crate::error::Error;
use crate::math;
use core::num::NonZeroUsize;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Largest Gauss–Hermite order per axis.
pub const MAX_ORDER: usize = 10;

/// Largest dimension for the tensor-product Gauss–Hermite rule (n^d points grow too fast above).
pub const MAX_GAUSS_HERMITE_DIM: usize = 3;

#[allow(clippy::excessive_precision)]
mod tables {
    use super::MAX_ORDER;

    /// Probabilists' Gauss–Hermite nodes, order n in row n − 1 (first n entries, ascending).
    pub const NODES: [[f32; MAX_ORDER]; MAX_ORDER] = [
        [0.000000000e+00, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [
            -1.000000000e+00,
            1.000000000e+00,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -1.732050808e+00,
            0.000000000e+00,
            1.732050808e+00,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -2.334414218e+00,
            -7.419637843e-01,
            7.419637843e-01,
            2.334414218e+00,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -2.856970014e+00,
            -1.355626180e+00,
            0.000000000e+00,
            1.355626180e+00,
            2.856970014e+00,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -3.324257434e+00,
            -1.889175878e+00,
            -6.167065902e-01,
            6.167065902e-01,
            1.889175878e+00,
            3.324257434e+00,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -3.750439718e+00,
            -2.366759411e+00,
            -1.154405395e+00,
            0.000000000e+00,
            1.154405395e+00,
            2.366759411e+00,
            3.750439718e+00,
            0.0,
            0.0,
            0.0,
        ],
        [
            -4.144547186e+00,
            -2.802485861e+00,
            -1.636519042e+00,
            -5.390798114e-01,
            5.390798114e-01,
            1.636519042e+00,
            2.802485861e+00,
            4.144547186e+00,
            0.0,
            0.0,
        ],
        [
            -4.512745863e+00,
            -3.205429003e+00,
            -2.076847979e+00,
            -1.023255664e+00,
            0.000000000e+00,
            1.023255664e+00,
            2.076847979e+00,
            3.205429003e+00,
            4.512745863e+00,
            0.0,
        ],
        [
            -4.859462828e+00,
            -3.581823484e+00,
            -2.484325842e+00,
            -1.465989094e+00,
            -4.849357075e-01,
            4.849357075e-01,
            1.465989094e+00,
            2.484325842e+00,
            3.581823484e+00,
            4.859462828e+00,
        ],
    ];
    /// The matching weights, normalised to sum to 1 (the N(0, 1) quadrature weights).
    pub const WEIGHTS: [[f32; MAX_ORDER]; MAX_ORDER] = [
        [1.000000000e+00, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [
            5.000000000e-01,
            5.000000000e-01,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            1.666666667e-01,
            6.666666667e-01,
            1.666666667e-01,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            4.587585477e-02,
            4.541241452e-01,
            4.541241452e-01,
            4.587585477e-02,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            1.125741133e-02,
            2.220759220e-01,
            5.333333333e-01,
            2.220759220e-01,
            1.125741133e-02,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            2.555784402e-03,
            8.861574604e-02,
            4.088284696e-01,
            4.088284696e-01,
            8.861574604e-02,
            2.555784402e-03,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            5.482688560e-04,
            3.075712397e-02,
            2.401231786e-01,
            4.571428571e-01,
            2.401231786e-01,
            3.075712397e-02,
            5.482688560e-04,
            0.0,
            0.0,
            0.0,
        ],
        [
            1.126145384e-04,
            9.635220121e-03,
            1.172399077e-01,
            3.730122577e-01,
            3.730122577e-01,
            1.172399077e-01,
            9.635220121e-03,
            1.126145384e-04,
            0.0,
            0.0,
        ],
        [
            2.234584401e-05,
            2.789141321e-03,
            4.991640677e-02,
            2.440975029e-01,
            4.063492063e-01,
            2.440975029e-01,
            4.991640677e-02,
            2.789141321e-03,
            2.234584401e-05,
            0.0,
        ],
        [
            4.310652631e-06,
            7.580709343e-04,
            1.911158050e-02,
            1.354837030e-01,
            3.446423349e-01,
            3.446423349e-01,
            1.354837030e-01,
            1.911158050e-02,
            7.580709343e-04,
            4.310652631e-06,
        ],
    ];
}

/// How the kernel points ξ_j ~ N(0, I_d) are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelRule {
    /// Tensor-product probabilists' Gauss–Hermite with `order` nodes per axis (1..=10), d ≤ 3,
    /// M = order^d, w_j = Π_k ω_{j_k}.
    GaussHermite {
        /// Nodes per axis.
        order: u8,
    },
    /// `pairs` antithetic pairs ±ξ_j, ξ_j = Φ⁻¹(u_j) coordinate-wise, u_j the R_d Kronecker
    /// sequence u_{j,k} = {½ + j·a_k}, a_k = φ_d^{−(k+1)} (φ_d: the positive root of
    /// x^{d+1} = x + 1) rounded to 32-bit fixed point, the sum computed exactly in that fixed point; M = 2·pairs, w_j = 1/M.
    QuasiRandom {
        /// Number of antithetic pairs.
        pairs: u16,
    },
    /// `points` i.i.d. N(0, I) draws from Xoshiro256++ seeded with `seed` (the f32 Box–Muller
    /// sampler of [`crate::rng`]), the same draws at every call; w_j = 1/M.
    MonteCarlo {
        /// Number of draws M.
        points: u16,
        /// Seed of the draws.
        seed: u64,
    },
}

impl KernelRule {
    /// The number of kernel points M for dimension `dim` (the cost of one smoothed evaluation in
    /// evaluations of the exact score), or an error when the rule does not apply.
    pub fn count(&self, dim: usize) -> Result<usize, Error> {
        match *self {
            KernelRule::GaussHermite { order } => {
                if order == 0 || usize::from(order) > MAX_ORDER {
                    return Err(Error::InvalidParameter {
                        name: "Gauss-Hermite order",
                        value: f32::from(order),
                    });
                }
                if dim == 0 || dim > MAX_GAUSS_HERMITE_DIM {
                    return Err(Error::CapacityExceeded {
                        needed: dim,
                        capacity: MAX_GAUSS_HERMITE_DIM,
                    });
                }
                Ok(usize::from(order).pow(dim as u32))
            }
            KernelRule::QuasiRandom { pairs } => {
                if pairs == 0 {
                    return Err(Error::InvalidParameter {
                        name: "kernel pairs",
                        value: 0.0,
                    });
                }
                Ok(2 * usize::from(pairs))
            }
            KernelRule::MonteCarlo { points, .. } => {
                if points == 0 {
                    return Err(Error::InvalidParameter {
                        name: "kernel points",
                        value: 0.0,
                    });
                }
                Ok(usize::from(points))
            }
        }
    }

    /// Calls `visit(w_j, ξ_j)` for j = 0..M in a fixed order, writing each ξ_j into `point`
    /// (length d). Stops at the first error `visit` returns.
    pub fn for_each<F>(&self, point: &mut [f32], mut visit: F) -> Result<(), Error>
    where
        F: FnMut(f32, &[f32]) -> Result<(), Error>,
    {
        let dim = point.len();
        let count = self.count(dim)?;
        match *self {
            KernelRule::GaussHermite { order } => {
                let bad_order = Error::InvalidParameter {
                    name: "Gauss-Hermite order",
                    value: f32::from(order),
                };
                let order = NonZeroUsize::new(usize::from(order)).ok_or(bad_order)?;
                let row = order.get() - 1;
                let (Some(nodes), Some(weights)) =
                    (tables::NODES.get(row), tables::WEIGHTS.get(row))
                else {
                    return Err(bad_order);
                };
                for j in 0..count {
                    let mut digits = j;
                    let mut weight = 1.0f32;
                    for coordinate in point.iter_mut() {
                        let index = digits % order;
                        digits /= order;
                        let (Some(&node), Some(&node_weight)) =
                            (nodes.get(index), weights.get(index))
                        else {
                            return Err(bad_order);
                        };
                        *coordinate = node;
                        weight *= node_weight;
                    }
                    visit(weight, point)?;
                }
            }
            KernelRule::QuasiRandom { pairs } => {
                let weight = 1.0 / count as f32;
                let inverse_phi = 1.0 / kronecker_base(dim);
                for j in 0..u32::from(pairs) {
                    let mut step = inverse_phi;
                    for coordinate in point.iter_mut() {
                        let fixed = (step * 4_294_967_296.0) as u64 as u32;
                        let u = 0x8000_0000u32.wrapping_add(j.wrapping_mul(fixed));
                        *coordinate = inverse_normal_cdf(fixed_point_to_open_unit(u));
                        step *= inverse_phi;
                    }
                    visit(weight, point)?;
                    for coordinate in point.iter_mut() {
                        *coordinate = -*coordinate;
                    }
                    visit(weight, point)?;
                }
            }
            KernelRule::MonteCarlo { seed, .. } => {
                let weight = 1.0 / count as f32;
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
                for _ in 0..count {
                    crate::rng::fill_standard_normal(&mut rng, point);
                    visit(weight, point)?;
                }
            }
        }
        Ok(())
    }
}

/// φ_d, the positive root of x^{d+1} = x + 1, by 40 Newton steps in f32 on
/// g(x) = (d+1)·ln x − ln(1 + x) from x₀ = 1 + ln 2/(d+1) (f32 only: no f64 soft-float on
/// microcontrollers; the sequence's quality does not depend on the last bits of φ_d).
fn kronecker_base(dim: usize) -> f32 {
    let order = dim as f32 + 1.0;
    let mut x = 1.0 + core::f32::consts::LN_2 / order;
    for _ in 0..40 {
        let value = order * math::ln(x) - math::ln(1.0 + x);
        let slope = order / x - 1.0 / (1.0 + x);
        x -= value / slope;
    }
    x
}

/// (⌊u/2⁸⌋ + ½)·2⁻²⁴ ∈ (0, 1), exact in f32.
fn fixed_point_to_open_unit(u: u32) -> f32 {
    ((u >> 8) as f32 + 0.5) * (1.0 / 16_777_216.0)
}

/// Φ⁻¹(p) for p ∈ (0, 1) by Acklam's rational approximation (relative error < 1.2·10⁻⁹ in exact
/// arithmetic; the f32 evaluation adds a few ULP): a central rational in q = p − ½ for
/// 0.02425 ≤ p ≤ 0.97575, tails in r = √(−2 ln p) (or of 1 − p).
#[allow(clippy::excessive_precision)]
pub fn inverse_normal_cdf(p: f32) -> f32 {
    const A: [f32; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f32; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f32; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f32; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    const LOW: f32 = 0.02425;
    let tail = |q: f32| {
        let r = math::sqrt(-2.0 * math::ln(q));
        (((((C[0] * r + C[1]) * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5])
            / ((((D[0] * r + D[1]) * r + D[2]) * r + D[3]) * r + 1.0)
    };
    if p < LOW {
        tail(p)
    } else if p > 1.0 - LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(rule: KernelRule, dim: usize) -> ([f32; 3], [f32; 3], f32) {
        let mut mean = [0.0f32; 3];
        let mut second = [0.0f32; 3];
        let mut total = 0.0f32;
        let mut point = [0.0f32; 3];
        rule.for_each(&mut point[..dim], |w, xi| {
            total += w;
            for k in 0..dim {
                mean[k] += w * xi[k];
                second[k] += w * xi[k] * xi[k];
            }
            Ok(())
        })
        .unwrap();
        (mean, second, total)
    }

    #[test]
    fn gauss_hermite_integrates_low_moments_exactly() {
        for order in 2..=MAX_ORDER as u8 {
            for dim in 1..=3 {
                let (mean, second, total) = moments(KernelRule::GaussHermite { order }, dim);
                assert!((total - 1.0).abs() < 1e-5, "order {order} total {total}");
                for k in 0..dim {
                    assert!(mean[k].abs() < 1e-5);
                    assert!((second[k] - 1.0).abs() < 1e-5, "order {order}: {second:?}");
                }
            }
        }
        let mut fourth = 0.0f32;
        let mut point = [0.0f32; 1];
        KernelRule::GaussHermite { order: 3 }
            .for_each(&mut point, |w, xi| {
                fourth += w * xi[0].powi(4);
                Ok(())
            })
            .unwrap();
        assert!((fourth - 3.0).abs() < 1e-5, "E ξ⁴ = 3, got {fourth}");
    }

    #[test]
    fn quasi_random_points_are_antithetic_with_unit_variance() {
        let (mean, second, total) = moments(KernelRule::QuasiRandom { pairs: 512 }, 3);
        assert!((total - 1.0).abs() < 1e-4);
        for k in 0..3 {
            assert!(mean[k].abs() < 1e-6, "antithetic mean is zero: {mean:?}");
            assert!((second[k] - 1.0).abs() < 0.02, "variance {second:?}");
        }
    }

    #[test]
    fn monte_carlo_points_repeat_for_a_seed() {
        let rule = KernelRule::MonteCarlo {
            points: 64,
            seed: 7,
        };
        let (mean_a, second_a, _) = moments(rule, 2);
        let (mean_b, second_b, _) = moments(rule, 2);
        assert_eq!(mean_a, mean_b);
        assert_eq!(second_a, second_b);
        assert!((second_a[0] - 1.0).abs() < 0.5);
    }

    #[test]
    fn kronecker_base_solves_its_equation() {
        assert!(
            (kronecker_base(1) - 1.618_034).abs() < 1e-6,
            "d = 1: the golden ratio"
        );
        assert!(
            (kronecker_base(2) - 1.324_718).abs() < 1e-6,
            "d = 2: the plastic number"
        );
        for dim in [3usize, 50, 784, 4096] {
            let mut exact = 2.0f64;
            for _ in 0..200 {
                exact = libm::pow(1.0 + exact, 1.0 / (dim as f64 + 1.0));
            }
            let got = f64::from(kronecker_base(dim));
            assert!((got - exact).abs() < 3e-7, "d = {dim}: {got} vs {exact}");
        }
    }

    #[test]
    fn inverse_normal_cdf_matches_known_quantiles() {
        let cases = [
            (0.5f32, 0.0f32),
            (0.975, 1.959_964),
            (0.025, -1.959_964),
            (0.841_344_7, 1.0),
            (1e-6, -4.753_424),
        ];
        for (p, z) in cases {
            let got = inverse_normal_cdf(p);
            assert!(
                (got - z).abs() < 2e-4 * (1.0 + z.abs()),
                "Φ⁻¹({p}) = {got}, want {z}"
            );
        }
    }

    #[test]
    fn bad_rules_are_rejected() {
        let mut point = [0.0f32; 4];
        let gh = KernelRule::GaussHermite { order: 3 };
        assert!(matches!(
            gh.for_each(&mut point, |_, _| Ok(())),
            Err(Error::CapacityExceeded { .. })
        ));
        assert!(KernelRule::GaussHermite { order: 11 }.count(1).is_err());
        assert!(KernelRule::QuasiRandom { pairs: 0 }.count(5).is_err());
        assert!(KernelRule::MonteCarlo { points: 0, seed: 1 }
            .count(5)
            .is_err());
    }
}
