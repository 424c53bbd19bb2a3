//! Options of the iterative solvers: the prediction tolerance and the limits of each stage.
//!
//! `tol` bounds, per requested point, the relative error of the test coefficients `c(t)` in
//! the energy norm of `A = K + r I` and of the train residual relative to `||d(0)||`
//! (see `docs/solvers.md` for what that means for predictions).

use super::cg::CgOptions;
use super::precond::PreconditionerKind;
use crate::{Error, Result};
use serde::Serialize;

/// Default prediction tolerance.
pub const DEFAULT_TOL: f64 = 1e-8;

/// Options of [`flow`](super::flow()).
///
/// ```
/// let o = ntk::solve::SolveOptions::default();
/// assert_eq!(o.tol, 1e-8);
/// assert!(o.validate().is_ok());
/// assert!(ntk::solve::SolveOptions { tol: 0.0, ..o }.validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SolveOptions {
    /// Relative tolerance of every prediction (default `1e-8`), in `(0, 1)`.
    pub tol: f64,
    /// Rank of the pivoted-Cholesky preconditioner for CG: `None` = [`default_rank`]
    /// (`min(500, n/10)`), `Some(0)` = no preconditioner.
    ///
    /// [`default_rank`]: super::precond::default_rank
    pub preconditioner_rank: Option<usize>,
    /// How the preconditioner is built (default pivoted Cholesky).
    pub preconditioner: PreconditionerKind,
    /// Seed of the randomized Nystrom preconditioner's test matrix (default 0).
    pub preconditioner_seed: u64,
    /// CG limits (t = infinity).
    pub cg: CgOptions,
    /// Most Lanczos vectors per output column for finite times (memory `8 n k max_basis`).
    pub max_basis: usize,
    /// Lanczos steps between error checks.
    pub check_every: usize,
    /// Most Lanczos steps of the spectrum summary (default 500, as the dense path's Lanczos).
    pub spectrum_iter: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            tol: DEFAULT_TOL,
            preconditioner_rank: None,
            preconditioner: PreconditionerKind::PivotedCholesky,
            preconditioner_seed: 0,
            cg: CgOptions::default(),
            max_basis: 1000,
            check_every: 8,
            spectrum_iter: 500,
        }
    }
}

impl SolveOptions {
    /// Check the options.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the option.
    ///
    /// ```
    /// let o = ntk::solve::SolveOptions { max_basis: 0, ..Default::default() };
    /// assert!(o.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if !(self.tol.is_finite() && self.tol > 0.0 && self.tol < 1.0) {
            return Err(Error::param(
                "tol",
                format!("must be a number in (0, 1), got {}", self.tol),
            ));
        }
        if self.tol < 1e-14 {
            return Err(Error::param(
                "tol",
                format!(
                    "{} is below what f64 arithmetic can certify; use a tolerance >= 1e-14",
                    self.tol
                ),
            ));
        }
        for (v, name) in [
            (self.max_basis, "max_basis"),
            (self.check_every, "check_every"),
            (self.spectrum_iter, "spectrum_iter"),
            (self.cg.max_iter, "cg.max_iter"),
        ] {
            if v == 0 {
                return Err(Error::param(name, "must be >= 1"));
            }
        }
        Ok(())
    }
}
