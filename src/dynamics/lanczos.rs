//! The largest eigenvalue of a symmetric kernel without a full eigendecomposition, by the
//! Lanczos iteration with full reorthogonalisation, and the largest stable learning rate.
//!
//! ```text
//! q_0 = random unit vector (fixed seed)
//! w = K q_j - alpha_j q_j - beta_{j-1} q_{j-1},  alpha_j = q_j . K q_j,
//! w <- w - Q (Q^T w)  (twice),  beta_j = ||w||,  q_{j+1} = w / beta_j
//! T_j = tridiag(beta, alpha, beta);  theta = lambda_max(T_j) <= lambda_max(K)
//! residual ||K x - theta x|| = beta_j |s_j|   (s = unit eigenvector of T_j for theta)
//! ```
//!
//! Stops when `residual <= tol * |theta|` (then some eigenvalue of `K` lies within the
//! residual of `theta`, and for a separated top eigenvalue the error is `~residual^2 / gap`),
//! or when the Krylov space is invariant. Each iteration costs one mat-vec (`n^2`).
//! The largest stable learning rate is `2 / lambda_max` (loss Sum) or `2 N / lambda_max`
//! (loss Mean), see [`Loss::max_learning_rate`].

use super::Loss;
use super::linalg::mm;
use super::spectrum::{check_symmetric, symmetric_evd};
use crate::rng::Rng;
use crate::{Error, Result};
use faer::{Mat, MatRef, Par};

/// Default relative residual tolerance of [`largest_eigenvalue`].
pub const LANCZOS_TOL: f64 = 1e-11;

/// The result of [`largest_eigenvalue`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LargestEigenvalue {
    /// The Ritz value `theta` (a lower bound on `lambda_max`, accurate to `~residual^2/gap`).
    pub value: f64,
    /// `||K x - theta x||` for the unit Ritz vector `x`.
    pub residual: f64,
    /// Mat-vecs used.
    pub iterations: usize,
}

/// The largest eigenvalue of the symmetric matrix `k` by Lanczos (relative residual
/// tolerance `tol`, e.g. [`LANCZOS_TOL`]; at most `min(n, 500)` iterations).
///
/// # Errors
/// [`Error::Shape`]/[`Error::Data`] for a non-square, non-finite or asymmetric `k`,
/// [`Error::InvalidParameter`] for a bad `tol`, [`Error::Numerical`] if it does not converge.
///
/// ```
/// use ntk::dynamics::lanczos::{largest_eigenvalue, LANCZOS_TOL};
/// let k = faer::Mat::from_fn(50, 50, |i, j| if i == j { 1.0 + i as f64 } else { 0.0 });
/// let r = largest_eigenvalue(k.as_ref(), LANCZOS_TOL, faer::Par::Seq)?;
/// assert!((r.value - 50.0).abs() < 1e-9);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn largest_eigenvalue(k: MatRef<'_, f64>, tol: f64, par: Par) -> Result<LargestEigenvalue> {
    check_symmetric(k, "kernel")?;
    if !(tol.is_finite() && tol > 0.0) {
        return Err(Error::param(
            "tol",
            format!("must be a finite number > 0, got {tol}"),
        ));
    }
    let n = k.nrows();
    let max_iter = n.min(500);
    let mut rng = Rng::new(0x4c41_4e43_5a4f_5321);
    let mut q = Mat::<f64>::from_fn(n, 1, |_, _| rng.normal());
    normalize(&mut q);
    let mut basis: Vec<Mat<f64>> = Vec::with_capacity(max_iter + 1);
    let (mut alpha, mut beta) = (Vec::<f64>::new(), Vec::<f64>::new());
    let mut best = LargestEigenvalue {
        value: 0.0,
        residual: f64::INFINITY,
        iterations: 0,
    };
    for j in 0..max_iter {
        let mut w = mm(k, q.as_ref(), par);
        let a = dot(&q, &w);
        alpha.push(a);
        basis.push(q.clone());
        for i in 0..n {
            w[(i, 0)] -= a * q[(i, 0)];
        }
        if j > 0 {
            let (b, prev) = (beta[j - 1], &basis[j - 1]);
            for i in 0..n {
                w[(i, 0)] -= b * prev[(i, 0)];
            }
        }
        for _ in 0..2 {
            for qi in &basis {
                let c = dot(qi, &w);
                for i in 0..n {
                    w[(i, 0)] -= c * qi[(i, 0)];
                }
            }
        }
        let b = dot(&w, &w).sqrt();
        let (theta, last) = top_ritz(&alpha, &beta)?;
        let residual = b * last.abs();
        best = LargestEigenvalue {
            value: theta,
            residual,
            iterations: j + 1,
        };
        let scale = theta
            .abs()
            .max(alpha.iter().fold(0.0f64, |m, x| m.max(x.abs())));
        if residual <= tol * scale || b <= f64::EPSILON * scale.max(f64::MIN_POSITIVE) || j + 1 == n
        {
            return Ok(best);
        }
        beta.push(b);
        q = w;
        for i in 0..n {
            q[(i, 0)] /= b;
        }
    }
    Err(Error::Numerical(format!(
        "Lanczos did not converge in {} iterations (Ritz value {:.6e}, residual {:.3e})",
        best.iterations, best.value, best.residual
    )))
}

/// The largest stable gradient-descent learning rate for `k` under `loss`, with `n_outputs`
/// outputs per training point, from [`largest_eigenvalue`] (`None` = unbounded: `k = 0`).
///
/// # Errors
/// As [`largest_eigenvalue`].
///
/// ```
/// use ntk::dynamics::{lanczos::max_learning_rate, Loss};
/// let k = faer::mat![[3.0, 1.0], [1.0, 3.0]]; // lambda_max = 4
/// let lr = max_learning_rate(k.as_ref(), Loss::Mean, 1, faer::Par::Seq)?.unwrap();
/// assert!((lr - 1.0).abs() < 1e-12); // 2 N / 4 with N = 2
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn max_learning_rate(
    k: MatRef<'_, f64>,
    loss: Loss,
    n_outputs: usize,
    par: Par,
) -> Result<Option<f64>> {
    let l = largest_eigenvalue(k, LANCZOS_TOL, par)?;
    loss.max_learning_rate(l.value, k.nrows() * n_outputs.max(1))
}

fn dot(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    (0..a.nrows()).map(|i| a[(i, 0)] * b[(i, 0)]).sum()
}

fn normalize(q: &mut Mat<f64>) {
    let nrm = dot(q, q).sqrt();
    if nrm > 0.0 {
        for i in 0..q.nrows() {
            q[(i, 0)] /= nrm;
        }
    } else if q.nrows() > 0 {
        q[(0, 0)] = 1.0;
    }
}

/// Largest eigenvalue of the tridiagonal `T` and the last component of its eigenvector.
fn top_ritz(alpha: &[f64], beta: &[f64]) -> Result<(f64, f64)> {
    let m = alpha.len();
    let t = Mat::from_fn(m, m, |i, j| {
        if i == j {
            alpha[i]
        } else if i == j + 1 {
            beta[j]
        } else if j == i + 1 {
            beta[i]
        } else {
            0.0
        }
    });
    let (vals, vecs) = symmetric_evd(t.as_ref(), Par::Seq)?;
    Ok((vals[m - 1], vecs[(m - 1, m - 1)]))
}
