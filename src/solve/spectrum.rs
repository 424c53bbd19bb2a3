//! Extreme eigenvalues of `A = K + r I` without a dense eigendecomposition: Lanczos with full
//! reorthogonalisation over the [`KernelMatrix`] trait (the operator form of
//! [`crate::dynamics::lanczos`]), from a seeded random start.
//!
//! ```text
//! T_m = S diag(theta) S^T,  Ritz pair (theta_i, Q_m s_i),  ||A x_i - theta_i x_i|| = beta_m |S_{m,i}|
//! lambda_max  ~ theta_max   (stop when its residual <= tol theta_max, as the dense path's Lanczos)
//! lambda_min <= theta_min   (an estimate from above; its residual says how far it may be)
//! max stable learning rate = 2 / lambda_max (loss sum) or 2 N / lambda_max (loss mean)
//! ```

use super::krylov::{Lanczos, tridiag_dense};
use crate::dynamics::spectrum::symmetric_evd;
use crate::kernel_matrix::KernelMatrix;
use crate::rng::Rng;
use crate::{Error, Result};
use faer::{Mat, Par};
use serde::Serialize;

/// Relative residual at which `lambda_max` is accepted (the dense path's
/// [`LANCZOS_TOL`](crate::dynamics::lanczos::LANCZOS_TOL)).
pub const SPECTRUM_TOL: f64 = crate::dynamics::lanczos::LANCZOS_TOL;

/// Top of the spectrum and an estimate of its bottom.
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::spectrum_summary;
/// let k = Dense::new(faer::Mat::from_fn(30, 30, |i, j| if i == j { 1.0 + i as f64 } else { 0.0 }))?;
/// let s = spectrum_summary(&k, 0.5, 200, faer::Par::Seq)?;
/// assert!((s.lambda_max - 30.5).abs() < 1e-9);
/// assert!(s.lambda_min_estimate >= 1.5 - 1e-9);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpectrumSummary {
    /// Order `n`.
    pub n: usize,
    /// The ridge `r` included in every eigenvalue.
    pub ridge: f64,
    /// `lambda_max(K + r I)` (the top Ritz value).
    pub lambda_max: f64,
    /// `||A x - theta x||` of the top Ritz pair.
    pub lambda_max_residual: f64,
    /// Top Ritz values, descending (up to 10), with their residuals below.
    pub top: Vec<f64>,
    /// Residual norms of `top`.
    pub top_residual: Vec<f64>,
    /// The smallest Ritz value: an upper bound on `lambda_min(K + r I)`.
    pub lambda_min_estimate: f64,
    /// Its residual norm (some eigenvalue lies within it).
    pub lambda_min_residual: f64,
    /// `lambda_max / lambda_min_estimate` (a lower estimate of the condition number).
    #[serde(serialize_with = "crate::dynamics::ser::f64_or_inf")]
    pub condition_estimate: f64,
    /// `n eps lambda_max`: eigenvalues below are treated as 0 (the dense path's cutoff).
    pub cutoff: f64,
    /// Lanczos steps (products with `A`).
    pub iterations: usize,
}

/// Lanczos on `K + ridge I` until the top Ritz value's relative residual is
/// `<= SPECTRUM_TOL` (at least `min(n, 30)` steps, at most `min(n, max_iter)`).
///
/// # Errors
/// [`Error::Numerical`] if a product is non-finite or the top value does not converge.
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// let k = Dense::new(faer::mat![[3.0, 1.0], [1.0, 3.0]])?;
/// let s = ntk::solve::spectrum_summary(&k, 0.0, 100, faer::Par::Seq)?;
/// assert!((s.lambda_max - 4.0).abs() < 1e-12 && (s.lambda_min_estimate - 2.0).abs() < 1e-12);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn spectrum_summary(
    k: &dyn KernelMatrix,
    ridge: f64,
    max_iter: usize,
    par: Par,
) -> Result<SpectrumSummary> {
    let n = k.n();
    let mut rng = Rng::new(0x4c41_4e43_5a4f_5321);
    let b = Mat::<f64>::from_fn(n, 1, |_, _| rng.normal());
    let mut l = Lanczos::new(b.as_ref());
    let max_steps = max_iter.clamp(1, n.max(1));
    let min_steps = n.min(30);
    let mut steps = 0;
    loop {
        l.step(k, ridge, par)?;
        steps += 1;
        // the m x m eigenproblem costs O(m^3): check at min_steps, then every 5 steps
        let check = l.all_done()
            || steps >= max_steps
            || (steps >= min_steps && (steps - min_steps) % 5 == 0);
        if !check {
            continue;
        }
        let s = summarise(&l, n, ridge, steps)?;
        let conv =
            s.lambda_max_residual <= SPECTRUM_TOL * s.lambda_max.abs().max(f64::MIN_POSITIVE);
        if l.all_done() || (conv && steps >= min_steps) {
            return Ok(s);
        }
        if steps >= max_steps {
            return Err(Error::Numerical(format!(
                "Lanczos for lambda_max did not converge in {steps} steps (Ritz value {:.6e}, \
                 residual {:.3e})",
                s.lambda_max, s.lambda_max_residual
            )));
        }
    }
}

fn summarise(l: &Lanczos, n: usize, ridge: f64, steps: usize) -> Result<SpectrumSummary> {
    let (al, be) = l.tridiagonal(0);
    let m = al.len();
    if m == 0 {
        return Err(Error::Numerical(
            "Lanczos started from a zero vector".into(),
        ));
    }
    let (theta, sv) = symmetric_evd(tridiag_dense(al, be).as_ref(), Par::Seq)?;
    let nb = l.next_beta(0);
    let res = |i: usize| nb * sv[(m - 1, i)].abs();
    let top: Vec<usize> = (0..m).rev().take(10).collect();
    let lmax = theta[m - 1];
    let lmin = theta[0];
    Ok(SpectrumSummary {
        n,
        ridge,
        lambda_max: lmax,
        lambda_max_residual: res(m - 1),
        top: top.iter().map(|&i| theta[i]).collect(),
        top_residual: top.iter().map(|&i| res(i)).collect(),
        lambda_min_estimate: lmin,
        lambda_min_residual: res(0),
        condition_estimate: if lmin > 0.0 {
            lmax / lmin
        } else {
            f64::INFINITY
        },
        cutoff: n as f64 * f64::EPSILON * lmax.max(0.0),
        iterations: steps,
    })
}
