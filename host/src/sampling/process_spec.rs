//! The forward process a run uses, as chosen on the command line.

use anyhow::{bail, Result};
use clap::Args;
use smoothscore_core::Process;

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

/// The options that choose the forward process (flattened into each command's `Args`).
#[derive(Clone, Debug, PartialEq, Args)]
pub struct ProcessArgs {
    /// Forward process: vp, ou, ve, brownian, pbm (pinned Brownian motion).
    #[arg(long, default_value = "vp")]
    pub process: String,
    /// VP schedule: linear or cosine.
    #[arg(long, default_value = "linear")]
    pub schedule: String,
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
        let process = match self.process.as_str() {
            "vp" => match self.schedule.as_str() {
                "linear" => Process::VpLinear {
                    beta_min: self.beta_min,
                    beta_max: self.beta_max,
                },
                "cosine" => Process::VP_COSINE,
                other => bail!("unknown --schedule '{other}' (expected linear or cosine)"),
            },
            "ou" => Process::OrnsteinUhlenbeck {
                horizon: self.horizon.unwrap_or(5.0),
            },
            "ve" => Process::VeGeometric {
                sigma_min: self.sigma_min,
                sigma_max: self.sigma_max,
            },
            "brownian" => Process::Brownian {
                horizon: self.horizon.unwrap_or(10.0),
            },
            "pbm" => {
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
            other => bail!("unknown --process '{other}' (expected vp, ou, ve, brownian or pbm)"),
        };
        process
            .validate()
            .map_err(|e| anyhow::anyhow!("process {}: {e}", self.process))?;
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
