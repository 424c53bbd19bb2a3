//! When a CG column has converged ([`Stop`]), per column:
//!
//! ```text
//! Residual(tol):  ||r|| / ||b|| <= tol
//! Energy:         max(||r|| / sqrt(lambda_lo) / ||x||_A, ||r|| / ||b||) <= tol
//! ```
//!
//! with `||x||_A^2 = x.(b - r)`. The first term is a bound on the relative energy-norm error
//! whenever `lambda_lo <= lambda_min(A)` (`||x* - x||_A^2 = r^T A^{-1} r <= ||r||^2 /
//! lambda_min`); the ridge is such a lower bound for a PSD kernel. The second is the train
//! residual at `t = inf`.

use serde::Serialize;

/// When a column has converged.
///
/// ```
/// use ntk::solve::Stop;
/// assert_eq!(Stop::Residual(1e-8).tol(), 1e-8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// Relative residual `||b - A x|| / ||b|| <= tol`.
    Residual(f64),
    /// Relative energy-norm error bound `||r|| / sqrt(lambda_lo) / ||x||_A <= tol`, and
    /// relative residual `||r|| / ||b|| <= tol` (the measure is the larger of the two).
    Energy {
        /// The tolerance.
        tol: f64,
        /// A lower bound (or estimate) of `lambda_min(K + r I)`.
        lambda_lo: f64,
    },
}

impl Stop {
    /// The tolerance.
    pub fn tol(&self) -> f64 {
        match *self {
            Stop::Residual(t) | Stop::Energy { tol: t, .. } => t,
        }
    }

    /// The measure this rule compares with its tolerance, for a column with residual norm
    /// `r`, right-hand side norm `b` and `x.(b - r) = ||x||_A^2`.
    ///
    /// ```
    /// use ntk::solve::Stop;
    /// assert_eq!(Stop::Residual(1e-8).measure(1e-3, 10.0, 4.0), 1e-4);
    /// assert_eq!(Stop::Energy { tol: 1e-8, lambda_lo: 4.0 }.measure(1e-3, 10.0, 4.0), 2.5e-4);
    /// assert_eq!(Stop::Energy { tol: 1e-8, lambda_lo: 4.0 }.measure(1e-3, 1e-3, 4.0), 1.0);
    /// ```
    pub fn measure(&self, r: f64, b: f64, x_a2: f64) -> f64 {
        match *self {
            Stop::Residual(_) => {
                if b > 0.0 {
                    r / b
                } else {
                    r
                }
            }
            Stop::Energy { lambda_lo, .. } => {
                let rel = if b > 0.0 { r / b } else { r };
                if r == 0.0 {
                    0.0
                } else if x_a2 > 0.0 && lambda_lo > 0.0 {
                    (r / lambda_lo.sqrt() / x_a2.sqrt()).max(rel)
                } else {
                    f64::INFINITY
                }
            }
        }
    }
}
