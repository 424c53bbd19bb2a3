//! The infinite ensemble in the iterative prediction job: mean and covariance over the test
//! points through [`solve::ensemble`](crate::solve::ensemble()), with the NNGP prior stored
//! beside the training kernel and the test-side kernels held dense (`m x n`, so the test set
//! is bounded by memory: see [`ensemble_bytes`]).
//!
//! ```text
//! storage: Theta(X, X) and NNGP(X, X) packed (one kernel when NNGP training)
//! dense:   Theta(x*, X), NNGP(x*, X) (m x n each), NNGP(x*, x*) (m x m)
//! solve:   one flow with k + m columns, one NNGP product per point
//! report:  per point, mean (m x k) and covariance (m x m), the error estimate
//! ```

use super::predict::{KernelSource, PredictJob};
use crate::dynamics::{Point, Training};
use crate::kernel::{self, KernelOptions};
use crate::kernel_matrix::KernelMatrix;
use crate::solve::{self, EnsembleKernels, Progress, SolveOptions};
use crate::{Error, Result};
use faer::{Mat, MatRef};
use serde::Serialize;

/// The ensemble's moments on the test set, per point (inline in the JSON report).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnsembleReport {
    /// Which kernel drove training.
    pub training: Training,
    /// Test points covered.
    pub n_test: usize,
    /// Per point, the mean `n_test x outputs` (rows are test points).
    pub mean: Vec<Vec<Vec<f64>>>,
    /// Per point, the covariance between test points `n_test x n_test`.
    pub cov: Vec<Vec<Vec<f64>>>,
    /// Per point, the solver's error estimate of `M_t` (relative, energy norm).
    pub error_estimate: Vec<f64>,
}

/// Bytes the ensemble adds to a prediction besides the second stored kernel, for `n` train
/// points, `m` test points, `k` outputs and `p` points: the dense test kernels and the `m`
/// extra coefficient columns and covariances per point. (The Lanczos bases of the `m` extra
/// columns are counted by the job's basis plan, `8 n (k + m)` per step.)
///
/// ```
/// assert_eq!(ntk::jobs::ensemble_scale::ensemble_bytes(100, 10, 1, 2), 8.0 * (2000.0 + 100.0 + 2.0 * (1100.0 + 200.0)));
/// ```
pub fn ensemble_bytes(n: usize, m: usize, k: usize, p: usize) -> f64 {
    let (n, m, k, p) = (n as f64, m as f64, k as f64, p as f64);
    8.0 * (2.0 * m * n + m * m + p * (n * (m + k) + 2.0 * m * m))
}

fn rows(a: MatRef<'_, f64>) -> Vec<Vec<f64>> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)]).collect())
        .collect()
}

/// The test-side kernels: given, or computed from the network (dense, `m x n`).
fn test_kernels(job: &PredictJob<'_>) -> Result<(Mat<f64>, Mat<f64>, Mat<f64>)> {
    let missing = |what: &str| Error::param("ensemble", format!("needs {what}"));
    match job.kernels {
        KernelSource::Given(ks) => {
            let tx = match job.kernel {
                Training::Ntk => ks.ntk_test_train.ok_or_else(|| missing("NTK(x*, X)"))?,
                Training::Nngp => ks.nngp_test_train.ok_or_else(|| missing("NNGP(x*, X)"))?,
            };
            let px = ks.nngp_test_train.ok_or_else(|| missing("NNGP(x*, X)"))?;
            let pxx = ks.nngp_test.ok_or_else(|| missing("NNGP(x*, x*)"))?;
            Ok((tx.to_owned(), px.to_owned(), pxx.to_owned()))
        }
        KernelSource::Network {
            net,
            x_train,
            x_test,
        } => {
            let xt = x_test.ok_or_else(|| missing("test points"))?;
            let opts = KernelOptions {
                threads: job.options.threads,
                ..Default::default()
            };
            let cross = kernel::kernels(net, xt, Some(x_train), &opts)?;
            let own = kernel::kernels(net, xt, None, &opts)?;
            let tx = match job.kernel {
                Training::Ntk => cross
                    .ntk
                    .ok_or_else(|| Error::Numerical("no cross NTK was computed".into()))?,
                Training::Nngp => cross.nngp.clone(),
            };
            Ok((tx, cross.nngp, own.nngp))
        }
    }
}

/// Mean and covariance of the ensemble on the job's test points (`theta` the training
/// kernel, `prior` the NNGP on the training points; the same operator for NNGP training).
///
/// # Errors
/// Missing test kernels or points ([`Error::InvalidParameter`]), and what
/// [`solve::ensemble`](crate::solve::ensemble()) returns.
pub(crate) fn run(
    job: &PredictJob<'_>,
    theta: &dyn KernelMatrix,
    prior: &dyn KernelMatrix,
    points: &[Point],
    solve_opts: &SolveOptions,
    progress: Progress<'_>,
) -> Result<EnsembleReport> {
    let (tx, px, pxx) = test_kernels(job)?;
    let ek = EnsembleKernels {
        prior,
        train_test: tx.as_ref(),
        prior_test_train: px.as_ref(),
        prior_test: pxx.as_ref(),
    };
    let m = solve::ensemble(
        theta,
        job.y_train,
        &ek,
        points,
        &job.options,
        solve_opts,
        progress,
    )?;
    Ok(EnsembleReport {
        training: job.kernel,
        n_test: pxx.nrows(),
        mean: m.mean.iter().map(|a| rows(a.as_ref())).collect(),
        cov: m.cov.iter().map(|a| rows(a.as_ref())).collect(),
        error_estimate: m.error_estimate,
    })
}
