//! The infinite ensemble (mean and covariance over initialisations `f_0 ~ GP(0, P)`) on a
//! bounded set of test points, through the iterative solvers: no dense eigendecomposition,
//! the training kernel and the prior seen only through [`KernelMatrix`].
//!
//! With `A = Theta + r I` the training kernel (NTK, or the NNGP `P` when only the readout is
//! trained), `A_t = A^{-1} (I - exp(-s t A))` (or its gradient-descent analogue) and
//! `M_t = Theta(x*, X) A_t` (`m x n` for `m` test points), as in `dynamics::ensemble`:
//!
//! ```text
//! mean_t = M_t Y
//! cov_t  = P(x*, x*) + M_t P M_t^T - M_t P(X, x*) - P(x*, X) M_t^T      (symmetrised)
//! ```
//!
//! `M_t^T` is `g_t(A)` applied to the `m` columns of `Theta(X, x*)`: one call of
//! [`flow()`] with the targets `[Y, Theta(X, x*)]` (`k + m` columns; the learning rate is
//! rescaled so that the flow's rate is that of the `k` real outputs). Then per point one
//! product `P M_t^T` (`m` columns). Cost: the flow's products with `k + m` columns, one prior
//! product per point, memory `8 n (k + m)` per point for the coefficients plus the Lanczos
//! bases (`8 n (k + m)` per step). The error of `M_t` is the flow's estimate for the
//! coefficient columns (energy norm of `A`, normwise), reported per point.

use super::flow::{SolveDiagnostics, flow};
use super::{Progress, SolveOptions};
use crate::dynamics::{FlowOptions, Point};
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef};

/// The test-side kernels of an ensemble prediction (`m` test points, `n` training points).
#[derive(Clone, Copy)]
pub struct EnsembleKernels<'a> {
    /// The prior covariance of `f_0(X)`: the NNGP on the training points (`n x n`).
    pub prior: &'a dyn KernelMatrix,
    /// `Theta(x*, X)`, the training kernel between test and training points (`m x n`).
    pub train_test: MatRef<'a, f64>,
    /// `P(x*, X)`, the NNGP between test and training points (`m x n`).
    pub prior_test_train: MatRef<'a, f64>,
    /// `P(x*, x*)` (`m x m`).
    pub prior_test: MatRef<'a, f64>,
}

/// Mean and covariance of the ensemble on the test points, per requested point.
#[derive(Clone, Debug)]
pub struct EnsembleMoments {
    /// The points, as requested.
    pub points: Vec<Point>,
    /// Mean `m x k` per point.
    pub mean: Vec<Mat<f64>>,
    /// Covariance between test points `m x m` per point (the same for every output).
    pub cov: Vec<Mat<f64>>,
    /// Per point, the flow's estimated relative error of `M_t` and `c(t)` (energy norm).
    pub error_estimate: Vec<f64>,
    /// The flow's diagnostics (spectrum, CG, Lanczos, stage times).
    pub diagnostics: SolveDiagnostics,
}

/// The ensemble's moments on the test points at every point (see the module docs).
///
/// # Errors
/// [`Error::Shape`] for inconsistent kernel shapes, [`Error::Data`] for non-finite test
/// kernels, and everything [`flow()`] returns.
///
/// ```
/// use ntk::dynamics::{Ensemble, EnsembleTest, FlowOptions, Point};
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::{EnsembleKernels, ensemble};
/// use faer::mat;
/// let (nngp, ntk) = (mat![[1.0, 0.3], [0.3, 1.0]], mat![[2.0, 0.8], [0.8, 2.0]]);
/// let y = mat![[1.0], [-1.0]];
/// let (kt, kg, ktt) = (mat![[0.9, 0.1]], mat![[0.5, 0.2]], mat![[1.0]]);
/// let pts = Point::parse_times("0,1,inf")?;
/// let prior = Dense::new(nngp.clone())?;
/// let test = EnsembleKernels { prior: &prior, train_test: kt.as_ref(),
///     prior_test_train: kg.as_ref(), prior_test: ktt.as_ref() };
/// let it = ensemble(&Dense::new(ntk.clone())?, y.as_ref(), &test, &pts,
///     &FlowOptions::default(), &Default::default(), None)?;
/// let dense = Ensemble::ntk(ntk.as_ref(), nngp.as_ref(), y.as_ref(), &FlowOptions::default())?
///     .test(&EnsembleTest { ntk_test_train: Some(kt.as_ref()), nngp_test_train: kg.as_ref(),
///         nngp_test_test: ktt.as_ref() }, &pts)?;
/// for p in 0..3 {
///     assert!((it.cov[p][(0, 0)] - dense[p].cov[(0, 0)]).abs() < 1e-9);
///     assert!((it.mean[p][(0, 0)] - dense[p].mean[(0, 0)]).abs() < 1e-9);
/// }
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn ensemble(
    theta: &dyn KernelMatrix,
    y: MatRef<'_, f64>,
    test: &EnsembleKernels<'_>,
    points: &[Point],
    opts: &FlowOptions,
    solve: &SolveOptions,
    progress: Progress<'_>,
) -> Result<EnsembleMoments> {
    let (n, k, m) = (theta.n(), y.ncols(), test.prior_test.nrows());
    check_shapes(test, n, m)?;
    // targets [Y, Theta(X, x*)]; the rate of k outputs kept for the k + m columns
    let rhs = Mat::from_fn(n, k + m, |i, j| {
        if j < k {
            y[(i, j)]
        } else {
            test.train_test[(j - k, i)]
        }
    });
    let scale = opts.loss.normaliser(n * (k + m)) / opts.loss.normaliser(n * k);
    let fopts = FlowOptions {
        learning_rate: opts.learning_rate * scale,
        ..*opts
    };
    let f = flow(theta, rhs.as_ref(), None, points, &fopts, solve, progress)?;
    let par = opts.par();
    let mut mean = Vec::with_capacity(points.len());
    let mut cov = Vec::with_capacity(points.len());
    for c in &f.coefficients {
        // c = g_t(A) (0 - rhs): M_t^T = -c[:, k..], mean = Theta(x*, X) g_t(A) Y = -Theta* c[:, ..k]
        let mt = Mat::from_fn(n, m, |i, j| -c[(i, k + j)]);
        let mut mu = Mat::zeros(m, k);
        matmul(
            mu.as_mut(),
            Accum::Replace,
            test.train_test,
            c.as_ref().subcols(0, k),
            -1.0,
            par,
        );
        mean.push(mu);
        cov.push(covariance(test, mt.as_ref(), par));
    }
    Ok(EnsembleMoments {
        points: points.to_vec(),
        mean,
        cov,
        error_estimate: f.error_estimate,
        diagnostics: f.diagnostics,
    })
}

/// `P** + M P M^T - M P*^T - P* M^T`, symmetrised, from `M^T` (`n x m`).
fn covariance(t: &EnsembleKernels<'_>, mt: MatRef<'_, f64>, par: faer::Par) -> Mat<f64> {
    let (n, m) = mt.shape();
    let mut pm = Mat::zeros(n, m);
    t.prior.apply(mt, pm.as_mut(), par);
    // B = M P*^T = (P* M^T)^T; S = M (P M^T)
    let mut cross = Mat::zeros(m, m);
    matmul(
        cross.as_mut(),
        Accum::Replace,
        t.prior_test_train,
        mt,
        1.0,
        par,
    );
    let mut quad = Mat::zeros(m, m);
    matmul(
        quad.as_mut(),
        Accum::Replace,
        mt.transpose(),
        pm.as_ref(),
        1.0,
        par,
    );
    Mat::from_fn(m, m, |i, j| {
        let a = t.prior_test[(i, j)] + quad[(i, j)] - cross[(i, j)] - cross[(j, i)];
        let b = t.prior_test[(j, i)] + quad[(j, i)] - cross[(j, i)] - cross[(i, j)];
        0.5 * (a + b)
    })
}

fn check_shapes(t: &EnsembleKernels<'_>, n: usize, m: usize) -> Result<()> {
    if t.prior.n() != n {
        return Err(Error::Shape(format!(
            "the prior NNGP(X, X) is {0} x {0}, the training kernel {n} x {n}",
            t.prior.n()
        )));
    }
    for (what, a, rows, cols) in [
        ("Theta(x*, X)", t.train_test, m, n),
        ("NNGP(x*, X)", t.prior_test_train, m, n),
        ("NNGP(x*, x*)", t.prior_test, m, m),
    ] {
        if a.shape() != (rows, cols) {
            return Err(Error::Shape(format!(
                "{what} must be {rows} x {cols}, got {} x {}",
                a.nrows(),
                a.ncols()
            )));
        }
        if let Some((i, j)) = (0..cols)
            .flat_map(|j| (0..rows).map(move |i| (i, j)))
            .find(|&(i, j)| !a[(i, j)].is_finite())
        {
            return Err(Error::Data(format!(
                "{what} entry ({i}, {j}) is {}: kernels must be finite",
                a[(i, j)]
            )));
        }
    }
    Ok(())
}
