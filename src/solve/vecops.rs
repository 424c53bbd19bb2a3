//! Deterministic dense vector kernels used by the solvers: dot products, norms, `y += a x`,
//! and the shifted operator `Y = (K + r I) X` over the [`KernelMatrix`] trait.
//!
//! Every loop runs in a fixed order on one thread, so results are bitwise identical for any
//! thread count (the kernel's own `apply` is deterministic by the trait's contract).

use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::{Mat, MatRef, Par};

/// `x . y` in index order.
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// `||x||_2`.
pub(crate) fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// `y += a x`.
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// Frobenius norm of a matrix.
pub(crate) fn fro(m: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            s += m[(i, j)] * m[(i, j)];
        }
    }
    s.sqrt()
}

/// `(K + r I) x` for a block `x`, checked for non-finite output.
///
/// # Errors
/// [`Error::Numerical`] if the product contains a non-finite value (a kernel with NaN/Inf
/// entries or an overflowing iterate).
pub(crate) fn shifted_apply(
    k: &dyn KernelMatrix,
    ridge: f64,
    x: MatRef<'_, f64>,
    par: Par,
) -> Result<Mat<f64>> {
    let mut out = Mat::<f64>::zeros(x.nrows(), x.ncols());
    k.apply(x, out.as_mut(), par);
    for j in 0..x.ncols() {
        let col = out.col_as_slice_mut(j);
        for (i, o) in col.iter_mut().enumerate() {
            *o += ridge * x[(i, j)];
            if !o.is_finite() {
                return Err(Error::Numerical(format!(
                    "the kernel product produced a non-finite value (row {i}, column {j}): \
                     the kernel has NaN/Inf entries or an iterate overflowed"
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_direct_sums() {
        let x = [1.0, -2.0, 3.0];
        let mut y = [0.5, 0.5, 0.5];
        assert_eq!(dot(&x, &x), 14.0);
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        axpy(2.0, &x, &mut y);
        assert_eq!(y, [2.5, -3.5, 6.5]);
        let m = faer::mat![[3.0, 0.0], [0.0, 4.0]];
        assert_eq!(fro(m.as_ref()), 5.0);
    }

    #[test]
    fn shifted_apply_adds_ridge_and_rejects_nan() {
        let k = crate::kernel_matrix::Dense::new(faer::mat![[2.0, 1.0], [1.0, 2.0]]).unwrap();
        let x = faer::mat![[1.0], [0.0]];
        let y = shifted_apply(&k, 0.5, x.as_ref(), Par::Seq).unwrap();
        assert_eq!((y[(0, 0)], y[(1, 0)]), (2.5, 1.0));
        let bad =
            crate::kernel_matrix::Dense::new(faer::mat![[f64::NAN, 0.0], [0.0, 1.0]]).unwrap();
        assert!(shifted_apply(&bad, 0.0, x.as_ref(), Par::Seq).is_err());
    }
}
