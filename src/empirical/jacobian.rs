//! The slow, obvious empirical NTK, as a test oracle for [`crate::empirical::ntk()`]:
//!
//! ```text
//! J[(i, j), p] = d f_j(x_i) / d p          (one backward pass per point and logit)
//! Theta(x_a, x_b) = (1/k) sum_j J[(a, j), :] . J'[(b, j), :]
//! ```
//!
//! and central finite differences `(f(p + eps e_p) - f(p - eps e_p)) / (2 eps)` to check the
//! backward pass itself. Cost `O(n k P)` memory: small networks only.

use super::{Dense, Mlp, check_input};
use crate::{Error, Result};
use faer::{Mat, MatRef};

/// The largest Jacobian (entries) these oracles build.
const MAX_ENTRIES: usize = 50_000_000;

fn flatten(grads: &[Dense], out: &mut Vec<f64>) {
    for d in grads {
        for i in 0..d.w.nrows() {
            for j in 0..d.w.ncols() {
                out.push(d.w[(i, j)]);
            }
        }
        if let Some(b) = &d.b {
            for j in 0..b.ncols() {
                out.push(b[(0, j)]);
            }
        }
    }
}

fn check_size(mlp: &Mlp, n: usize) -> Result<()> {
    if n.saturating_mul(mlp.output_dim())
        .saturating_mul(mlp.n_params())
        > MAX_ENTRIES
    {
        return Err(Error::Memory(format!(
            "an explicit Jacobian of {n} points x {} outputs x {} parameters is too large for this \
             test oracle; use ntk::empirical::ntk",
            mlp.output_dim(),
            mlp.n_params()
        )));
    }
    Ok(())
}

/// The explicit Jacobian, `(n k) x P`: row `i k + j` is `d f_j(x_i) / dp` with parameters in
/// the order of [`Mlp::flat_params`].
///
/// # Errors
/// As [`Mlp::forward`]; [`Error::Memory`] above 5e7 entries.
///
/// ```
/// use ntk::{empirical::{jacobian, Mlp, Widths}, Activation, Network};
/// let mlp = Mlp::init(&Network::mlp(Activation::Erf, 1, 1.0, 0.5)?, 2, &Widths::Uniform(3), 0)?;
/// let x = faer::Mat::from_fn(2, 2, |i, j| (i + j) as f64);
/// let j = jacobian::jacobian(&mlp, x.as_ref())?;
/// assert_eq!((j.nrows(), j.ncols()), (2, mlp.n_params()));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn jacobian(mlp: &Mlp, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
    check_input("x", x, mlp.input_dim())?;
    check_size(mlp, x.nrows())?;
    let (n, k, p) = (x.nrows(), mlp.output_dim(), mlp.n_params());
    let mut jac = Mat::zeros(n * k, p);
    let mut row = Vec::with_capacity(p);
    for i in 0..n {
        for j in 0..k {
            let up = Mat::from_fn(1, k, |_, c| if c == j { 1.0 } else { 0.0 });
            let g = mlp.gradients(x.subrows(i, 1), up.as_ref())?;
            row.clear();
            flatten(&g, &mut row);
            for (c, v) in row.iter().enumerate() {
                jac[(i * k + j, c)] = *v;
            }
        }
    }
    Ok(jac)
}

/// The empirical NTK from explicit Jacobians: `(1/k) sum_j J1_j J2_j^T`.
///
/// # Errors
/// As [`jacobian`].
///
/// ```
/// use ntk::{empirical::{self, jacobian, Mlp, Widths}, Activation, Network};
/// let mlp = Mlp::init(&Network::mlp(Activation::Relu, 2, 1.4, 0.1)?, 3, &Widths::Uniform(5), 1)?;
/// let x = faer::Mat::from_fn(3, 3, |i, j| (i as f64 - j as f64) / 2.0);
/// let slow = jacobian::ntk_oracle(&mlp, x.as_ref(), None)?;
/// let fast = empirical::ntk(&mlp, x.as_ref(), None, 1)?.ntk;
/// assert!((&slow - &fast).norm_max() <= 1e-12 * slow.norm_max());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn ntk_oracle(mlp: &Mlp, x1: MatRef<'_, f64>, x2: Option<MatRef<'_, f64>>) -> Result<Mat<f64>> {
    let j1 = jacobian(mlp, x1)?;
    let j2 = match x2 {
        Some(x2) => jacobian(mlp, x2)?,
        None => j1.clone(),
    };
    let k = mlp.output_dim();
    let (n1, n2) = (j1.nrows() / k, j2.nrows() / k);
    Ok(Mat::from_fn(n1, n2, |a, b| {
        let mut s = 0.0;
        for j in 0..k {
            for p in 0..j1.ncols() {
                s += j1[(a * k + j, p)] * j2[(b * k + j, p)];
            }
        }
        s / k as f64
    }))
}

/// The Jacobian by central finite differences with step `eps` (same layout as [`jacobian`]).
///
/// # Errors
/// As [`jacobian`]; [`Error::InvalidParameter`] unless `eps` is positive and finite.
///
/// ```
/// use ntk::{empirical::{jacobian, Mlp, Widths}, Activation, Network};
/// let mlp = Mlp::init(&Network::mlp(Activation::Selu, 1, 1.0, 0.3)?, 2, &Widths::Uniform(4), 2)?;
/// let x = faer::Mat::from_fn(2, 2, |i, j| 0.3 + i as f64 - j as f64);
/// let exact = jacobian::jacobian(&mlp, x.as_ref())?;
/// let fd = jacobian::finite_difference_jacobian(&mlp, x.as_ref(), 1e-6)?;
/// assert!((&exact - &fd).norm_max() < 1e-7);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn finite_difference_jacobian(mlp: &Mlp, x: MatRef<'_, f64>, eps: f64) -> Result<Mat<f64>> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::param(
            "eps",
            format!("must be positive and finite, got {eps}"),
        ));
    }
    check_input("x", x, mlp.input_dim())?;
    check_size(mlp, x.nrows())?;
    let (n, k) = (x.nrows(), mlp.output_dim());
    let p0 = mlp.flat_params();
    let mut m = mlp.clone();
    let mut jac = Mat::zeros(n * k, p0.len());
    let mut p = p0.clone();
    for c in 0..p0.len() {
        p[c] = p0[c] + eps;
        m.set_flat_params(&p)?;
        let fp = m.forward(x)?;
        p[c] = p0[c] - eps;
        m.set_flat_params(&p)?;
        let fm = m.forward(x)?;
        p[c] = p0[c];
        for i in 0..n {
            for j in 0..k {
                jac[(i * k + j, c)] = (fp[(i, j)] - fm[(i, j)]) / (2.0 * eps);
            }
        }
    }
    Ok(jac)
}
