//! Golden outputs: the exact f32 bit patterns (hex) of samples for fixed data sets, seeds and
//! samplers, stored in `fixtures/golden/`. The test compares bit for bit. After a deliberate
//! change of the numerics, regenerate with `SMOOTHSCORE_BLESS=1 cargo test --test golden` and
//! explain the diff of `fixtures/golden/` in the commit.

use smoothscore::data::builtin::default_2d;
use smoothscore::io::formats::read_matrix;
use smoothscore::matrix::Matrix;
use smoothscore::sampling::process_spec::ProcessSpec;
use smoothscore::sampling::sample::{draw_samples, SampleConfig};
use smoothscore::sampling::score_spec::ScoreSpec;
use smoothscore_core::{
    Bandwidth, FinalStep, Integrator, KernelRule, LineScoreKind, Process, Spacing,
};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn config(
    process: ProcessSpec,
    integrator: Integrator,
    score: ScoreSpec,
    seed: u64,
) -> SampleConfig {
    SampleConfig {
        process,
        integrator,
        steps: 100,
        t_min: 1e-3,
        spacing: Spacing::Geometric,
        final_step: FinalStep::State,
        n_samples: 12,
        seed,
        threads: 0,
        score,
    }
}

fn cases() -> Vec<(&'static str, Matrix, SampleConfig)> {
    let default = default_2d().unwrap();
    let ring = read_matrix(&fixtures().join("golden/ring-32.csv")).unwrap();
    let line = Matrix::new(
        4,
        3,
        vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 4.0, 4.0, 3.0, 6.0, 6.0],
    )
    .unwrap();
    let kernel = ScoreSpec::Kernel {
        bandwidth: Bandwidth::Constant { bandwidth: 0.1 },
        rule: KernelRule::GaussHermite { order: 3 },
    };
    let quasi = ScoreSpec::Kernel {
        bandwidth: Bandwidth::SigmaTied { ratio: 0.25 },
        rule: KernelRule::QuasiRandom { pairs: 4 },
    };
    let reverse = ProcessSpec::Reverse;
    vec![
        (
            "default-vp-em",
            default.clone(),
            config(
                reverse(Process::VP_LINEAR),
                Integrator::EulerMaruyama,
                ScoreSpec::Exact,
                1,
            ),
        ),
        (
            "default-cosine-heun",
            default.clone(),
            config(
                reverse(Process::VP_COSINE),
                Integrator::Heun,
                ScoreSpec::Exact,
                2,
            ),
        ),
        (
            "default-ou-euler",
            default.clone(),
            config(
                reverse(Process::OrnsteinUhlenbeck { horizon: 5.0 }),
                Integrator::Euler,
                ScoreSpec::Exact,
                3,
            ),
        ),
        (
            "default-ve-em",
            default.clone(),
            config(
                reverse(Process::VeGeometric {
                    sigma_min: 0.01,
                    sigma_max: 10.0,
                }),
                Integrator::EulerMaruyama,
                ScoreSpec::Exact,
                4,
            ),
        ),
        (
            "default-pbm-em",
            default.clone(),
            config(
                ProcessSpec::Pinned { sigma: 1.0 },
                Integrator::EulerMaruyama,
                ScoreSpec::Exact,
                5,
            ),
        ),
        (
            "default-vp-kernel",
            default.clone(),
            config(
                reverse(Process::VP_LINEAR),
                Integrator::EulerMaruyama,
                kernel,
                6,
            ),
        ),
        (
            "ring-brownian-quasi",
            ring,
            config(
                reverse(Process::Brownian { horizon: 10.0 }),
                Integrator::EulerMaruyama,
                quasi,
                7,
            ),
        ),
        (
            "line-smoothed-pl-heun",
            line,
            config(
                reverse(Process::Brownian { horizon: 1.0 }),
                Integrator::Heun,
                ScoreSpec::Line(LineScoreKind::Smoothed { kappa: 1.0 }),
                8,
            ),
        ),
    ]
}

fn render(samples: &Matrix) -> String {
    samples
        .iter_rows()
        .map(|row| {
            row.iter()
                .map(|v| format!("{:08x}", v.to_bits()))
                .collect::<Vec<_>>()
                .join(" ")
                + "\n"
        })
        .collect()
}

#[test]
fn samples_match_the_golden_bits() {
    let bless = std::env::var_os("SMOOTHSCORE_BLESS").is_some();
    let mut mismatches = Vec::new();
    for (name, data, config) in cases() {
        let got = render(&draw_samples(&data, &config).unwrap());
        let path = fixtures().join(format!("golden/{name}.txt"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run with SMOOTHSCORE_BLESS=1",
                path.display()
            )
        });
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            mismatches.push(format!("{name}: first difference at sample {line}"));
        }
    }
    assert!(mismatches.is_empty(), "bits changed: {mismatches:?}");
}

/// Bit contract v2: every fused multiply-add is the correctly rounded one of
/// `core/src/fused_multiply_add.rs` (its `VFMA.F32` and `libm::fmaf` definitions live there
/// alone), or a lane vector's instruction with its exact semantics (the host's `_mm*_fmadd_ps`,
/// in `host/src/simd/x86_lanes.rs`, tested against it). Nothing else may fuse: no `mul_add`
/// (the platform's `fmaf` behind it is not ours to vouch for), no fused variants with other
/// signs (a negation is written on an operand, so the canonical order has one form).
#[test]
fn core_fuses_only_through_the_one_fma() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let definition = root.join("core/src/fused_multiply_add.rs");
    let host_lanes = root.join("host/src/simd/x86_lanes.rs");
    let host_tests = root.join("host/src/simd/mod.rs");
    let mut pending = vec![root.join("core/src"), root.join("host/src/simd")];
    let mut files = 0;
    let mut definition_seen = false;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let allowed: &[&str] = if path == definition {
            definition_seen = text.contains("vfma.f32") && text.contains("libm::fmaf");
            &["fmaf", "vfma", "_fmadd_ss"]
        } else if path == host_lanes {
            &["_fmadd_ps"]
        } else if path == host_tests {
            &["fmaf"]
        } else {
            &[]
        };
        for needle in [
            "mul_add", "fmaf", "_fmadd", "_fmsub", "_fnmadd", "_fnmsub", "vfma", "vfms", "vfnm",
        ] {
            let hits = text.matches(needle).count();
            let permitted: usize = allowed
                .iter()
                .filter(|a| a.contains(needle))
                .map(|a| text.matches(a).count())
                .sum();
            assert!(hits <= permitted, "{} uses {needle}", path.display());
        }
        files += 1;
    }
    assert!(
        definition_seen,
        "the fused multiply-add's definitions moved"
    );
    assert!(files > 20, "only {files} source files scanned");
}
