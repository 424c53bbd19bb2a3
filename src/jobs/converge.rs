//! The convergence job: the width sweep of empirical kernels against the analytic ones and,
//! optionally, the kernel-profile view (Jacot et al. 2018, Figure 1), in one call.
//!
//! ```text
//! sweep:   e_NTK(w, s) = ||Theta_hat_{w,s} - Theta||_F / ||Theta||_F  (and NNGP), per width w and seed s
//! profile: Theta_hat(x_0, x(gamma)) on the unit circle at init and after training, per seed and width
//! ```
//!
//! [`ConvergeJob`] is the typed input, [`run`] returns the [`ConvergenceReport`] with its
//! `profile` filled when one was requested. Definitions are in [`crate::converge`].

use crate::converge::{ConvergenceReport, ProfileConfig, SweepConfig, kernel_profile, width_sweep};
use crate::{Network, Result};
use faer::MatRef;

/// Which part of the job a progress report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The width sweep.
    Sweep,
    /// The kernel profile (initialization and training).
    Profile,
}

/// A progress callback `(stage, done, total)`, called from worker threads.
pub type Progress<'a> = Option<&'a (dyn Fn(Stage, usize, usize) + Sync)>;

/// A convergence study.
///
/// ```
/// use ntk::converge::SweepConfig;
/// use ntk::jobs::converge::{ConvergeJob, run};
/// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.4, 0.1)?;
/// let x = ntk::data::Dataset::parse("circle:6")?.load()?.x;
/// let job = ConvergeJob::new(&net, x.as_ref(), "circle:6", SweepConfig::new(vec![16, 128], 2));
/// let r = run(&job)?;
/// assert_eq!(r.widths.len(), 2);
/// assert!(r.profile.is_none());
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ConvergeJob<'a> {
    /// The network (its widths are set by the sweep).
    pub net: &'a Network,
    /// Input points `n x d`.
    pub x: MatRef<'a, f64>,
    /// Where the points came from (recorded in the report).
    pub data: &'a str,
    /// Widths, seeds, threads of the sweep.
    pub sweep: SweepConfig,
    /// The profile view, if wanted.
    pub profile: Option<ProfileConfig>,
    /// Progress callback.
    pub progress: Progress<'a>,
}

impl<'a> ConvergeJob<'a> {
    /// A sweep without profile and without progress reports.
    pub fn new(net: &'a Network, x: MatRef<'a, f64>, data: &'a str, sweep: SweepConfig) -> Self {
        ConvergeJob {
            net,
            x,
            data,
            sweep,
            profile: None,
            progress: None,
        }
    }
}

/// Run the sweep, then the profile (if requested); the report's `seconds` covers both.
///
/// # Errors
/// Those of [`width_sweep`] and [`kernel_profile`].
pub fn run(job: &ConvergeJob<'_>) -> Result<ConvergenceReport> {
    let sweep_progress = |d: usize, t: usize| {
        if let Some(p) = job.progress {
            p(Stage::Sweep, d, t);
        }
    };
    let mut report = width_sweep(job.net, job.x, job.data, &job.sweep, Some(&sweep_progress))?;
    if let Some(pc) = &job.profile {
        let profile_progress = |d: usize, t: usize| {
            if let Some(p) = job.progress {
                p(Stage::Profile, d, t);
            }
        };
        let start = std::time::Instant::now();
        let prof = kernel_profile(job.net, pc, Some(&profile_progress))?;
        report.seconds += start.elapsed().as_secs_f64();
        report.profile = Some(prof);
    }
    Ok(report)
}
