//! Dense helpers with explicit parallelism: GEMM `C = A B` (and `A^T B`), Cholesky
//! `K = L L^T` and the solve `K^{-1} B = L^{-T} L^{-1} B`.

use crate::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Accum, Conj, Mat, MatRef, Par};

/// `a * b`.
pub(crate) fn mm(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut c = Mat::<f64>::zeros(a.nrows(), b.ncols());
    if a.ncols() > 0 {
        faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a, b, 1.0, par);
    }
    c
}

/// The lower Cholesky factor of the symmetric matrix `a`, or `None` if `a` is not
/// numerically positive definite.
pub(crate) fn cholesky(a: MatRef<'_, f64>, par: Par) -> Result<Option<Mat<f64>>> {
    use faer::linalg::cholesky::llt::factor;
    let n = a.nrows();
    let mut l = a.to_owned();
    let req = factor::cholesky_in_place_scratch::<f64>(n, par, Default::default());
    let mut buf = MemBuffer::try_new(req).map_err(|_| {
        Error::Memory(format!(
            "cannot allocate the Cholesky workspace for n = {n}"
        ))
    })?;
    match factor::cholesky_in_place(
        l.as_mut(),
        factor::LltRegularization::default(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    ) {
        Ok(_) => {
            // keep only the lower triangle
            for j in 0..n {
                for i in 0..j {
                    l[(i, j)] = 0.0;
                }
            }
            let ok = (0..n).all(|i| l[(i, i)].is_finite() && l[(i, i)] > 0.0);
            Ok(ok.then_some(l))
        }
        Err(_) => Ok(None),
    }
}

/// `K^{-1} b` from the lower Cholesky factor `l` of `K`.
pub(crate) fn cholesky_solve(l: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut x = b.to_owned();
    let mut buf = MemBuffer::new(faer::dyn_stack::StackReq::EMPTY);
    faer::linalg::cholesky::llt::solve::solve_in_place_with_conj(
        l,
        Conj::No,
        x.as_mut(),
        par,
        MemStack::new(&mut buf),
    );
    x
}

/// Copy column block `p` (columns `p*k .. (p+1)*k`) of `m`.
pub(crate) fn block(m: MatRef<'_, f64>, p: usize, k: usize) -> Mat<f64> {
    m.subcols(p * k, k).to_owned()
}
