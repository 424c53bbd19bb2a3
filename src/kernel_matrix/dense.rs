//! A kernel held as a full dense `n x n` matrix (small n, and the dense eigen path):
//! `apply` is `Y = K X`, the diagonal and columns are read directly.

use super::{KernelMatrix, Precision};
use crate::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

/// A dense symmetric kernel matrix.
///
/// ```
/// use ntk::kernel_matrix::{Dense, KernelMatrix};
/// let k = Dense::new(faer::mat![[2.0, 1.0], [1.0, 3.0]])?;
/// let x = faer::mat![[1.0], [1.0]];
/// let mut y = faer::Mat::zeros(2, 1);
/// k.apply(x.as_ref(), y.as_mut(), faer::Par::Seq);
/// assert_eq!((y[(0, 0)], y[(1, 0)]), (3.0, 4.0));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dense {
    k: Mat<f64>,
}

impl Dense {
    /// Wrap a square matrix (its symmetry is the caller's promise; it is not checked).
    ///
    /// # Errors
    /// [`Error::Shape`] if `k` is not square.
    pub fn new(k: Mat<f64>) -> Result<Self> {
        if k.nrows() != k.ncols() {
            return Err(Error::Shape(format!(
                "a kernel matrix must be square, got {} x {}",
                k.nrows(),
                k.ncols()
            )));
        }
        Ok(Dense { k })
    }

    /// The matrix.
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.k.as_ref()
    }
}

impl KernelMatrix for Dense {
    fn n(&self) -> usize {
        self.k.nrows()
    }

    fn diagonal(&self) -> Vec<f64> {
        (0..self.n()).map(|i| self.k[(i, i)]).collect()
    }

    fn apply(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, _par: Par) {
        // sequential GEMM: the same bits for any thread count
        matmul(out, Accum::Replace, self.k.as_ref(), x, 1.0, Par::Seq);
    }

    fn columns(&self, cols: &[usize], mut out: MatMut<'_, f64>) {
        for (j, &c) in cols.iter().enumerate() {
            for i in 0..self.n() {
                out[(i, j)] = self.k[(i, c)];
            }
        }
    }

    fn bytes(&self) -> usize {
        self.n() * self.n() * 8
    }

    fn precision(&self) -> Precision {
        Precision::F64
    }
}
