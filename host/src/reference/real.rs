//! The number types the reference runs in: f64 (with compensated sums), and a 192-bit binary
//! floating point from `astro-float` as the oracle that validates the f64 run.
//!
//! `astro-float` is pure Rust, correctly rounds its elementary functions (exp, ln, sin, cos,
//! sqrt) at any precision, and needs no C library; `dashu-float` (the other well-kept pure-Rust
//! candidate) has no trigonometric functions, which the cosine schedule needs.

use astro_float::{BigFloat, Consts, RoundingMode};
use std::cell::RefCell;

/// Bits of the oracle's mantissa (≥ 128 asked for; 192 leaves margin for the longest sums).
pub const ORACLE_BITS: usize = 192;

/// The operations the reference needs, written once for every number type.
pub trait Real: Clone {
    /// The value nearest to an f64.
    fn from_f64(x: f64) -> Self;
    /// The value rounded to f64 (to nearest).
    fn to_f64(&self) -> f64;
    /// self + other.
    fn add(&self, other: &Self) -> Self;
    /// self − other.
    fn sub(&self, other: &Self) -> Self;
    /// self · other.
    fn mul(&self, other: &Self) -> Self;
    /// self / other.
    fn div(&self, other: &Self) -> Self;
    /// e^self.
    fn exp(&self) -> Self;
    /// e^self − 1, accurate near 0.
    fn expm1(&self) -> Self;
    /// ln self.
    fn ln(&self) -> Self;
    /// √self.
    fn sqrt(&self) -> Self;
    /// sin self.
    fn sin(&self) -> Self;
    /// cos self.
    fn cos(&self) -> Self;
    /// π.
    fn pi() -> Self;
    /// self > other.
    fn greater(&self, other: &Self) -> bool;
    /// |self|.
    fn abs(&self) -> Self;
    /// −self.
    fn neg(&self) -> Self {
        Self::from_f64(0.0).sub(self)
    }
}

impl Real for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn add(&self, other: &Self) -> Self {
        self + other
    }
    fn sub(&self, other: &Self) -> Self {
        self - other
    }
    fn mul(&self, other: &Self) -> Self {
        self * other
    }
    fn div(&self, other: &Self) -> Self {
        self / other
    }
    fn exp(&self) -> Self {
        libm::exp(*self)
    }
    fn expm1(&self) -> Self {
        libm::expm1(*self)
    }
    fn ln(&self) -> Self {
        libm::log(*self)
    }
    fn sqrt(&self) -> Self {
        libm::sqrt(*self)
    }
    fn sin(&self) -> Self {
        libm::sin(*self)
    }
    fn cos(&self) -> Self {
        libm::cos(*self)
    }
    fn pi() -> Self {
        std::f64::consts::PI
    }
    fn greater(&self, other: &Self) -> bool {
        self > other
    }
    fn abs(&self) -> Self {
        f64::abs(*self)
    }
}

thread_local! {
    static CONSTANTS: RefCell<Consts> =
        RefCell::new(Consts::new().expect("astro-float's constant cache allocates"));
}

/// A 192-bit binary float (`astro-float`), rounding to nearest-even.
#[derive(Clone, Debug)]
pub struct Oracle(pub BigFloat);

const ROUNDING: RoundingMode = RoundingMode::ToEven;

impl Real for Oracle {
    fn from_f64(x: f64) -> Self {
        Oracle(BigFloat::from_f64(x, ORACLE_BITS))
    }
    fn to_f64(&self) -> f64 {
        let text = format!("{}", self.0);
        text.parse::<f64>().unwrap_or(f64::NAN)
    }
    fn add(&self, other: &Self) -> Self {
        Oracle(self.0.add(&other.0, ORACLE_BITS, ROUNDING))
    }
    fn sub(&self, other: &Self) -> Self {
        Oracle(self.0.sub(&other.0, ORACLE_BITS, ROUNDING))
    }
    fn mul(&self, other: &Self) -> Self {
        Oracle(self.0.mul(&other.0, ORACLE_BITS, ROUNDING))
    }
    fn div(&self, other: &Self) -> Self {
        Oracle(self.0.div(&other.0, ORACLE_BITS, ROUNDING))
    }
    fn exp(&self) -> Self {
        CONSTANTS.with(|c| Oracle(self.0.exp(ORACLE_BITS, ROUNDING, &mut c.borrow_mut())))
    }
    fn expm1(&self) -> Self {
        self.exp().sub(&Self::from_f64(1.0))
    }
    fn ln(&self) -> Self {
        CONSTANTS.with(|c| Oracle(self.0.ln(ORACLE_BITS, ROUNDING, &mut c.borrow_mut())))
    }
    fn sqrt(&self) -> Self {
        Oracle(self.0.sqrt(ORACLE_BITS, ROUNDING))
    }
    fn sin(&self) -> Self {
        CONSTANTS.with(|c| Oracle(self.0.sin(ORACLE_BITS, ROUNDING, &mut c.borrow_mut())))
    }
    fn cos(&self) -> Self {
        CONSTANTS.with(|c| Oracle(self.0.cos(ORACLE_BITS, ROUNDING, &mut c.borrow_mut())))
    }
    fn pi() -> Self {
        CONSTANTS.with(|c| Oracle(c.borrow_mut().pi(ORACLE_BITS, ROUNDING)))
    }
    fn greater(&self, other: &Self) -> bool {
        self.0.cmp(&other.0).is_some_and(|order| order > 0)
    }
    fn abs(&self) -> Self {
        Oracle(self.0.abs())
    }
}

/// Neumaier's compensated sum: the running sum s and the lost low-order part c.
#[derive(Clone, Debug)]
pub struct CompensatedSum<R: Real> {
    sum: R,
    compensation: R,
}

impl<R: Real> CompensatedSum<R> {
    /// 0.
    pub fn new() -> Self {
        CompensatedSum {
            sum: R::from_f64(0.0),
            compensation: R::from_f64(0.0),
        }
    }

    /// s ← s + x, keeping what rounding dropped in c.
    pub fn add(&mut self, x: &R) {
        let total = self.sum.add(x);
        let lost = if self.sum.abs().greater(&x.abs()) {
            self.sum.sub(&total).add(x)
        } else {
            x.sub(&total).add(&self.sum)
        };
        self.compensation = self.compensation.add(&lost);
        self.sum = total;
    }

    /// s + c.
    pub fn value(&self) -> R {
        self.sum.add(&self.compensation)
    }
}

impl<R: Real> Default for CompensatedSum<R> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_recovers_what_naive_summation_loses() {
        let mut compensated = CompensatedSum::<f64>::new();
        let mut naive = 0.0f64;
        for x in [1e16, 1.0, -1e16, 1.0] {
            compensated.add(&x);
            naive += x;
        }
        assert_eq!(compensated.value(), 2.0);
        assert_ne!(naive, 2.0);
    }

    #[test]
    fn oracle_functions_agree_with_f64_to_its_precision() {
        for x in [0.3f64, -2.5, 7.0, 1e-5] {
            let big = Oracle::from_f64(x);
            for (got, want) in [
                (big.exp().to_f64(), x.exp()),
                (big.sin().to_f64(), x.sin()),
                (big.cos().to_f64(), x.cos()),
                (big.expm1().to_f64(), x.exp_m1()),
            ] {
                assert!(
                    (got - want).abs() <= 2e-16 * want.abs().max(1e-300),
                    "{x}: {got} vs {want}"
                );
            }
        }
        assert!((Oracle::pi().to_f64() - std::f64::consts::PI).abs() < 1e-16);
        assert!((Oracle::from_f64(2.0).sqrt().to_f64() - std::f64::consts::SQRT_2).abs() < 3e-16);
        assert!((Oracle::from_f64(10.0).ln().to_f64() - std::f64::consts::LN_10).abs() < 3e-16);
    }
}
