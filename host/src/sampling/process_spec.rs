//! The forward process a run uses, as chosen on the command line.

use crate::sampling::sampler_spec::COSINE_GRID_SCALE;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use smoothscore_core::{Integrator, Process, Spacing};

/// The processes the CLI knows: the core's forward processes plus the pinned Brownian motion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProcessSpec {
    /// A forward process sampled in reverse time.
    Reverse(Process),
    /// The pinned Brownian motion (Föllmer drift) with diffusion coefficient σ, simulated forward.
    Pinned {
        /// σ of dX = u dt + σ dB.
        sigma: f32,
    },
}

impl ProcessSpec {
    /// The time grid of `--grid auto` for `integrator`: where each process's steps sample
    /// correctly at 100 steps (measured on Gaussian data, README "Samplers").
    ///
    /// DDIM (any η) and EDM with churn (S_churn > 0) take the cosine grid in noise level on
    /// every process ([`Spacing::Cosine`], c = [`COSINE_GRID_SCALE`]): each of their steps
    /// misses (DDIM: the posterior variance of X_0, which η = 1's ancestral step leaves out
    /// and η = 0's Euler step in λ follows only to first order) or adds (the churn) variance
    /// in proportion to how much the data shape the law at that noise level, most around
    /// λ ≈ σ_data and little at either end; the cosine grid puts its steps there. On Gaussian
    /// data with the exact score at 100 steps (50 for EDM) it takes DDIM η = 1 from a 4–11 %
    /// variance deficit on the grids below to 3–5 %, DDIM η = 0 from 2–9 % to 1–4 %, and EDM
    /// with churn from +1–6 % to +1–2 %. The others:
    ///
    /// | process | grid | why |
    /// |---|---|---|
    /// | vp linear | geometric in t | β is bounded; Δt/t constant resolves the small-t end |
    /// | vp cosine | karras in λ | β(t) blows up near T = 0.999, so a geometric first step overshoots the SDE and EDM |
    /// | ou | geometric in t | a constant rate: like vp linear |
    /// | ve | karras in λ | σ is geometric in t already; a geometric t-grid crowds the steps at σ_min |
    /// | brownian | geometric in t | λ = √t: log-uniform in t is log-uniform in λ |
    /// | pbm | geometric in 1 − t | steps concentrate near the singular end t = 1 |
    ///
    /// `rho` is the Karras exponent where the default is karras.
    pub fn default_spacing(&self, integrator: &Integrator, rho: f32) -> Spacing {
        let adds_noise_in_noise_level = match integrator {
            Integrator::Ddim { .. } => true,
            Integrator::Edm(churn) => churn.churn > 0.0,
            _ => false,
        };
        match self {
            ProcessSpec::Pinned { .. } => Spacing::Geometric,
            ProcessSpec::Reverse(_) if adds_noise_in_noise_level => Spacing::Cosine {
                scale: COSINE_GRID_SCALE,
            },
            ProcessSpec::Reverse(Process::VpCosine { .. } | Process::VeGeometric { .. }) => {
                Spacing::Karras { rho }
            }
            ProcessSpec::Reverse(_) => Spacing::Geometric,
        }
    }
}

/// The forward processes, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProcessName {
    /// Variance preserving (--schedule linear or cosine).
    Vp,
    /// Ornstein–Uhlenbeck, dX = −X dt + √2 dB, to --horizon (default 5).
    Ou,
    /// Variance exploding, σ geometric from --sigma-min to --sigma-max.
    Ve,
    /// Brownian motion, dX = dB, to --horizon (default 10).
    Brownian,
    /// The pinned Brownian motion (Föllmer drift), σ = --pbm-sigma, simulated forward.
    Pbm,
}

/// The VP noise schedules, under the names the command line uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleName {
    /// β(t) linear from --beta-min to --beta-max.
    Linear,
    /// Nichol and Dhariwal's cosine schedule (T = 0.999).
    Cosine,
}

/// The options that choose the forward process (flattened into each command's `Args`).
#[derive(Clone, Debug, PartialEq, Args)]
pub struct ProcessArgs {
    /// Forward process.
    #[arg(long, value_enum, default_value_t = ProcessName::Vp)]
    pub process: ProcessName,
    /// VP schedule.
    #[arg(long, value_enum, default_value_t = ScheduleName::Linear)]
    pub schedule: ScheduleName,
    /// β_min of the linear VP schedule.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub beta_min: f32,
    /// β_max of the linear VP schedule.
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    pub beta_max: f32,
    /// σ_min of VE.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub sigma_min: f32,
    /// σ_max of VE.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub sigma_max: f32,
    /// Horizon T of ou (default 5) and brownian (default 10).
    #[arg(long, allow_negative_numbers = true)]
    pub horizon: Option<f32>,
    /// σ of the pinned Brownian motion.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub pbm_sigma: f32,
}

impl ProcessArgs {
    /// Resolves the options into a validated process.
    pub fn resolve(&self) -> Result<ProcessSpec> {
        let process = match self.process {
            ProcessName::Vp => match self.schedule {
                ScheduleName::Linear => Process::VpLinear {
                    beta_min: self.beta_min,
                    beta_max: self.beta_max,
                },
                ScheduleName::Cosine => Process::VP_COSINE,
            },
            ProcessName::Ou => Process::OrnsteinUhlenbeck {
                horizon: self.horizon.unwrap_or(5.0),
            },
            ProcessName::Ve => Process::VeGeometric {
                sigma_min: self.sigma_min,
                sigma_max: self.sigma_max,
            },
            ProcessName::Brownian => Process::Brownian {
                horizon: self.horizon.unwrap_or(10.0),
            },
            ProcessName::Pbm => {
                if !(self.pbm_sigma.is_finite() && self.pbm_sigma > 0.0) {
                    bail!(
                        "--pbm-sigma must be a positive number, got {}",
                        self.pbm_sigma
                    );
                }
                return Ok(ProcessSpec::Pinned {
                    sigma: self.pbm_sigma,
                });
            }
        };
        process
            .validate()
            .with_context(|| format!("process {}", crate::usage::choice_name(self.process)))?;
        Ok(ProcessSpec::Reverse(process))
    }
}

/// A short human-readable name of a process spec, e.g. `vp-linear`.
pub fn describe(spec: &ProcessSpec) -> String {
    match spec {
        ProcessSpec::Reverse(Process::VpLinear { .. }) => "vp-linear".into(),
        ProcessSpec::Reverse(Process::VpCosine { .. }) => "vp-cosine".into(),
        ProcessSpec::Reverse(Process::OrnsteinUhlenbeck { horizon }) => format!("ou(T={horizon})"),
        ProcessSpec::Reverse(Process::VeGeometric { .. }) => "ve".into(),
        ProcessSpec::Reverse(Process::Brownian { horizon }) => format!("brownian(T={horizon})"),
        ProcessSpec::Pinned { sigma } => format!("pbm(sigma={sigma})"),
    }
}
