//! Elementary functions used by the core, in one place so that the backend is a single switch.
//!
//! Default: `libm` (a port of musl's libm: pure software, so the same bits on every target;
//! `expf`/`logf` < 1 ULP, `sqrtf` correctly rounded). With the `fast-math` feature:
//! `micromath`'s approximations (faster on FPU-less or slow-FPU targets, errors of order 1e-4
//! relative and not bit-reproducible across `micromath` versions).

#[cfg(not(feature = "fast-math"))]
mod backend {
    /// e^x.
    #[inline]
    pub fn exp(x: f32) -> f32 {
        libm::expf(x)
    }
    /// e^x − 1, accurate near 0.
    #[inline]
    pub fn expm1(x: f32) -> f32 {
        libm::expm1f(x)
    }
    /// Natural logarithm ln x.
    #[inline]
    pub fn ln(x: f32) -> f32 {
        libm::logf(x)
    }
    /// √x.
    #[inline]
    pub fn sqrt(x: f32) -> f32 {
        libm::sqrtf(x)
    }
    /// sin x.
    #[inline]
    pub fn sin(x: f32) -> f32 {
        libm::sinf(x)
    }
    /// cos x.
    #[inline]
    pub fn cos(x: f32) -> f32 {
        libm::cosf(x)
    }
    /// tan x.
    #[inline]
    pub fn tan(x: f32) -> f32 {
        libm::tanf(x)
    }
    /// ln(1 + x), accurate near 0.
    #[inline]
    pub fn ln_1p(x: f32) -> f32 {
        libm::log1pf(x)
    }
    /// arctan x.
    #[inline]
    pub fn atan(x: f32) -> f32 {
        libm::atanf(x)
    }
    /// x^y.
    #[inline]
    pub fn pow(x: f32, y: f32) -> f32 {
        libm::powf(x, y)
    }
}

#[cfg(feature = "fast-math")]
mod backend {
    use micromath::F32Ext;
    /// e^x.
    #[inline]
    pub fn exp(x: f32) -> f32 {
        F32Ext::exp(x)
    }
    /// e^x − 1, accurate near 0.
    #[inline]
    pub fn expm1(x: f32) -> f32 {
        // micromath has no expm1; near 0 its exp loses all relative accuracy, so keep libm here.
        libm::expm1f(x)
    }
    /// Natural logarithm ln x.
    #[inline]
    pub fn ln(x: f32) -> f32 {
        F32Ext::ln(x)
    }
    /// √x.
    #[inline]
    pub fn sqrt(x: f32) -> f32 {
        F32Ext::sqrt(x)
    }
    /// sin x.
    #[inline]
    pub fn sin(x: f32) -> f32 {
        F32Ext::sin(x)
    }
    /// cos x.
    #[inline]
    pub fn cos(x: f32) -> f32 {
        F32Ext::cos(x)
    }
    /// tan x.
    #[inline]
    pub fn tan(x: f32) -> f32 {
        F32Ext::tan(x)
    }
    /// ln(1 + x), accurate near 0 (libm: micromath has no log1p).
    #[inline]
    pub fn ln_1p(x: f32) -> f32 {
        libm::log1pf(x)
    }
    /// arctan x (libm: the noise-level grids invert schedules with it).
    #[inline]
    pub fn atan(x: f32) -> f32 {
        libm::atanf(x)
    }
    /// x^y (libm: the Karras grid raises to the power ρ = 7, where micromath's error grows).
    #[inline]
    pub fn pow(x: f32, y: f32) -> f32 {
        libm::powf(x, y)
    }
}

pub use backend::{atan, cos, exp, expm1, ln, ln_1p, pow, sin, sqrt, tan};
