//! Sets `cfg(smoothscore_arm_fma)` on the Arm targets whose every CPU has the single-precision
//! fused multiply-add `VFMA.F32` (FPv4-SP and later: Cortex-M4F, M7, M33, M55, R52), so that
//! `fused_multiply_add::fma` uses the instruction there. Stable Rust does not expose
//! Arm floating-point features to `cfg(target_feature)` (`vfp4` is unstable), so the target
//! name decides; every other target takes the portable definition.

/// Targets whose baseline includes VFPv4 or FPv5 single precision (hence `VFMA.F32`).
const VFMA_TARGETS: [&str; 3] = [
    "thumbv7em-none-eabihf",
    "thumbv8m.main-none-eabihf",
    "armv8r-none-eabihf",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(smoothscore_arm_fma)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TARGET");
    let target = std::env::var("TARGET").unwrap_or_default();
    if VFMA_TARGETS.contains(&target.as_str()) {
        println!("cargo::rustc-cfg=smoothscore_arm_fma");
    }
}
