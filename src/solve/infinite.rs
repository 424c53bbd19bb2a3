//! The `t = infinity` stage: `A c = d(0)`, `A = K + r I`, by block PCG with the
//! pivoted-Cholesky preconditioner, stopping on the energy rule of [`Stop::Energy`].
//!
//! When there is no ridge and `K` is found singular — the pivoted Cholesky exhausts the
//! diagonal at rank `< n`, the spectrum's smallest Ritz value is below the cutoff, or CG
//! stagnates (a right-hand side outside the range never converges) — no CG solution is
//! returned and `t = infinity` goes to the Lanczos pseudo-inverse, with a warning.

use super::SolveOptions;
use super::cg::{self, CgReport, CgSolution, Progress, Stop};
use super::flow::StageTime;
use super::precond::{Preconditioner, PreconditionerKind, PreconditionerReport, default_rank};
use super::spectrum::SpectrumSummary;
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::{MatRef, Par};
use std::time::Instant;

/// What the stage produced.
pub(crate) struct InfStage {
    /// The converged CG solution (`None`: singular, use the pseudo-inverse).
    pub sol: Option<CgSolution>,
    pub report: Option<CgReport>,
    pub pre: Option<PreconditionerReport>,
    pub warnings: Vec<String>,
    pub stages: Vec<StageTime>,
}

/// What CG needs, made before it runs (the preconditioner is built on the caller's thread,
/// because building it reads kernel columns, which only products may share; see batch.rs).
pub(crate) struct CgPrep {
    pre: Option<Preconditioner>,
    stop: Stop,
    cgo: cg::CgOptions,
    st: InfStage,
}

/// The preconditioner and stopping rule of the stage, or the finished stage when the kernel
/// is found singular first (then `t = inf` goes to the pseudo-inverse).
///
/// # Errors
/// As [`Preconditioner::pivoted_cholesky`].
pub(crate) fn prepare(
    k: &dyn KernelMatrix,
    ridge: f64,
    spectrum: &SpectrumSummary,
    lambda_lo: f64,
    solve: &SolveOptions,
    par: Par,
) -> Result<std::result::Result<CgPrep, InfStage>> {
    let n = k.n();
    let mut st = InfStage {
        sol: None,
        report: None,
        pre: None,
        warnings: Vec::new(),
        stages: Vec::new(),
    };
    if ridge == 0.0 && spectrum.lambda_min_estimate <= spectrum.cutoff {
        st.warnings.push(singular_msg(
            spectrum,
            format!("smallest Ritz value {:.3e}", spectrum.lambda_min_estimate),
        ));
        return Ok(Err(st));
    }
    let t1 = Instant::now();
    let rank = solve
        .preconditioner_rank
        .unwrap_or_else(|| default_rank(n))
        .min(n);
    let pre = match (rank, solve.preconditioner) {
        (0, _) => None,
        (_, PreconditionerKind::PivotedCholesky) => {
            Some(Preconditioner::pivoted_cholesky(k, rank, ridge)?)
        }
        (_, PreconditionerKind::RandomizedNystrom) => Some(Preconditioner::randomized_nystrom(
            k,
            rank,
            ridge,
            solve.preconditioner_seed,
            par,
        )?),
    };
    st.stages.push(StageTime {
        stage: "preconditioner".into(),
        seconds: t1.elapsed().as_secs_f64(),
    });
    st.pre = pre.as_ref().map(|p| p.report().clone());
    if let Some(p) = pre
        .as_ref()
        .filter(|p| ridge == 0.0 && p.report().exhausted && p.rank() < n)
    {
        st.warnings.push(singular_msg(
            spectrum,
            format!("numerical rank {} of {n} by pivoted Cholesky", p.rank()),
        ));
        return Ok(Err(st));
    }
    let stop = Stop::Energy {
        tol: solve.tol,
        lambda_lo,
    };
    let mut cgo = solve.cg;
    if ridge == 0.0 && cgo.stagnation == 0 {
        cgo.stagnation = 100; // a singular K stagnates: fall back early
    }
    Ok(Ok(CgPrep { pre, stop, cgo, st }))
}

fn singular_msg(spectrum: &SpectrumSummary, why: String) -> String {
    format!(
        "the training kernel is singular or nearly so ({why}): t = inf uses the \
         pseudo-inverse (Lanczos, eigenvalues <= {:.3e} = n eps lambda_max treated as 0); \
         the residual in null modes is never learned. A ridge (--diag-reg) makes K positive \
         definite",
        spectrum.cutoff
    )
}

/// Solve `A c = d0` by PCG as prepared (see the module docs).
///
/// # Errors
/// [`Error::Numerical`] if CG does not converge with a ridge (or is not singular-looking).
pub(crate) fn run_cg(
    k: &dyn KernelMatrix,
    ridge: f64,
    d0: MatRef<'_, f64>,
    prep: CgPrep,
    spectrum: &SpectrumSummary,
    par: Par,
    progress: Progress<'_>,
) -> Result<InfStage> {
    let CgPrep {
        pre,
        stop,
        cgo,
        mut st,
    } = prep;
    let solve_tol = stop.tol();
    let sol = cg::run(k, ridge, d0, pre.as_ref(), stop, &cgo, par, progress)?;
    st.report = Some(sol.report.clone());
    let measures = || {
        sol.report
            .measure
            .iter()
            .map(|m| format!("{m:.1e}"))
            .collect::<Vec<_>>()
    };
    if sol.report.converged {
        st.sol = Some(sol);
    } else if ridge == 0.0 {
        st.warnings.push(singular_msg(
            spectrum,
            format!(
                "conjugate gradients stagnated after {} iterations at stopping measures {:?}",
                sol.report.iterations,
                measures()
            ),
        ));
    } else {
        return Err(Error::Numerical(format!(
            "conjugate gradients did not converge at t = inf in {} iterations (stopping measures \
             {:?}, target {:.1e}; true relative residuals {:?}): raise the preconditioner rank or \
             the iteration limit, or add a larger ridge",
            sol.report.iterations,
            measures(),
            solve_tol,
            sol.report
                .relative_residual
                .iter()
                .map(|r| format!("{r:.1e}"))
                .collect::<Vec<_>>()
        )));
    }
    Ok(st)
}
