//! Block preconditioned conjugate gradients for `(K + r I) X = B`, all columns at once:
//!
//! ```text
//! x_0 = 0, r_0 = b, z_0 = P^{-1} r_0, p_0 = z_0                       (per column)
//! q = A p (one batched product for all columns),  alpha = r.z / p.q
//! x += alpha p,  r -= alpha q,  z = P^{-1} r,  beta = r.z_new / r.z_old,  p = z + beta p
//! ```
//!
//! Columns have their own `alpha, beta` and stop on their own; the product is always done for
//! the whole block (a stored kernel's product costs one pass over memory whatever the width).
//! The recursive residual drifts from `b - A x` in floating point, so the true residual is
//! recomputed every `residual_every` iterations and at the end; the stop is always confirmed on
//! the true residual (a column whose true residual misses the target restarts from it).
//!
//! Stopping rules: [`Stop`] (`stop.rs`): the relative residual, or a bound on the relative
//! energy-norm error from a lower bound `lambda_lo` of `lambda_min(A)`, with the train
//! residual. The report adds the Strakos-Tichy estimate of the energy error
//! (`cg_estimate.rs`, from the steps' `alpha r.z`), which needs no `lambda_min`. For any test
//! point `|k*^T (x* - x)| <= sqrt(k(x*, x*)) ||x* - x||_A` (Cauchy-Schwarz in the `A` inner
//! product with `k*^T A^{-1} k* <= k(x*, x*)`), so the energy error controls predictions.

use super::cg_estimate::{DELAY, ErrorWindow};
use super::precond::Preconditioner;
pub use super::stop::Stop;
use super::vecops::{dot, norm, shifted_apply};
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::{Mat, MatRef, Par};
use serde::Serialize;

/// Limits of [`pcg`].
///
/// ```
/// let o = ntk::solve::CgOptions::default();
/// assert_eq!((o.max_iter, o.residual_every, o.stagnation), (10_000, 50, 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CgOptions {
    /// Most iterations (batched products) before giving up.
    pub max_iter: usize,
    /// Recompute the true residual `b - A x` every this many iterations (0 = only at the end).
    pub residual_every: usize,
    /// Give up (not converged) when the worst active column's relative residual has not
    /// halved in this many iterations (0 = never): a singular system with a right-hand side
    /// outside the range stagnates at the norm of its null-space part.
    pub stagnation: usize,
}

impl Default for CgOptions {
    fn default() -> Self {
        CgOptions {
            max_iter: 10_000,
            residual_every: 50,
            stagnation: 0,
        }
    }
}

/// What CG did.
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::{pcg, CgOptions, Stop};
/// let k = Dense::new(faer::mat![[4.0, 1.0], [1.0, 3.0]])?;
/// let b = faer::mat![[1.0], [2.0]];
/// let s = pcg(&k, 0.0, b.as_ref(), None, Stop::Residual(1e-12), &CgOptions::default(), faer::Par::Seq, None)?;
/// assert!(s.report.converged && s.report.iterations <= 2);
/// assert!(serde_json::to_string(&s.report).unwrap().contains("relative_residual"));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CgReport {
    /// Iterations (batched products with `A`, not counting true-residual refreshes).
    pub iterations: usize,
    /// Batched products with `A` in all (iterations plus true-residual refreshes).
    pub products: usize,
    /// Per column, the final **true** relative residual `||b - A x|| / ||b||`.
    pub relative_residual: Vec<f64>,
    /// Per column, the stopping measure of the rule on the true residual (equals
    /// `relative_residual` for [`Stop::Residual`]; the energy-error bound for [`Stop::Energy`]).
    pub measure: Vec<f64>,
    /// The rule.
    pub stop: Stop,
    /// Every column met the rule on its true residual.
    pub converged: bool,
    /// Restarts from the true residual (after recursive/true disagreement).
    pub restarts: usize,
    /// Per column, the Strakos-Tichy estimate of the relative energy error
    /// (`cg_estimate.rs`: the decrease over the last [`DELAY`] iterations, a lower bound on
    /// the error [`DELAY`] iterations back; `None` before [`DELAY`] iterations since the start
    /// or a restart). A diagnostic beside `measure`, which is what the stop uses: it needs no
    /// `lambda_min`, and shows how far below the bound the error is.
    pub energy_estimate: Vec<Option<f64>>,
}

/// A solution `X` of `(K + r I) X = B`, its true residual `B - A X`, and the report.
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::{pcg, CgOptions, Stop};
/// let k = Dense::new(faer::mat![[2.0, 0.0], [0.0, 4.0]])?;
/// let b = faer::mat![[2.0], [4.0]];
/// let s = pcg(&k, 0.0, b.as_ref(), None, Stop::Residual(1e-14), &CgOptions::default(), faer::Par::Seq, None)?;
/// assert!((s.x[(1, 0)] - 1.0).abs() < 1e-15 && s.residual.norm_max() < 1e-14);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CgSolution {
    /// The solution `n x k`.
    pub x: Mat<f64>,
    /// The true residual `B - (K + r I) X`.
    pub residual: Mat<f64>,
    /// The report.
    pub report: CgReport,
}

/// Progress callback: `(stage, done, total)`; `stage` is `cg` or `lanczos`. CG reports
/// [`LOG_PROGRESS_UNITS`]-based progress in the logarithm of its worst stopping measure (its
/// convergence is about linear there, so a linear ETA on it is meaningful); so does Lanczos,
/// on the log of its worst estimate (updated every `check_every` steps, reported every step).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let calls = AtomicUsize::new(0);
/// let f = |_stage: &str, _done: usize, _total: usize| { calls.fetch_add(1, Ordering::Relaxed); };
/// let progress: ntk::solve::Progress = Some(&f);
/// if let Some(p) = progress { p("cg", 1, 10); }
/// assert_eq!(calls.load(Ordering::Relaxed), 1);
/// ```
pub type Progress<'a> = Option<&'a (dyn Fn(&str, usize, usize) + Sync)>;

/// The `total` of CG's progress reports: `done / total` is the fraction of the way, on a
/// log scale, from the first worst measure `m0` to the tolerance.
pub const LOG_PROGRESS_UNITS: usize = 1000;

/// `LOG_PROGRESS_UNITS * ln(m0 / m) / ln(m0 / tol)`, within `0..LOG_PROGRESS_UNITS` (the last
/// unit is only reported when the stage ends).
///
/// ```
/// use ntk::solve::cg::log_progress;
/// assert_eq!(log_progress(1.0, 1e-4, 1e-8), 500);
/// assert_eq!(log_progress(1.0, 2.0, 1e-8), 0);
/// assert_eq!(log_progress(1.0, 1e-9, 1e-8), 999);
/// assert_eq!(log_progress(1e-9, 1e-9, 1e-8), 999);
/// ```
pub fn log_progress(m0: f64, m: f64, tol: f64) -> usize {
    let last = LOG_PROGRESS_UNITS - 1;
    // m0 <= tol, m <= 0 or NaN: nothing left to show
    if m0.partial_cmp(&tol) != Some(std::cmp::Ordering::Greater)
        || m.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return last;
    }
    let f = (m0 / m).ln() / (m0 / tol).ln();
    ((f * LOG_PROGRESS_UNITS as f64).floor().max(0.0) as usize).min(last)
}

/// Solve `(K + ridge I) X = B` by block preconditioned CG (see the module docs).
///
/// # Errors
/// [`Error::Shape`] if `b` has not `n` rows, [`Error::Data`] for a non-finite `b`,
/// [`Error::Numerical`] if a product is non-finite, the operator is found not positive
/// definite (`p.Ap <= 0`), or CG does not meet the rule in `max_iter` iterations (the message
/// gives the residuals reached).
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::{pcg, CgOptions, Stop};
/// let k = Dense::new(faer::mat![[2.0, 1.0], [1.0, 2.0]])?;
/// let b = faer::mat![[4.0, 1.0], [4.0, -1.0]];
/// let s = pcg(&k, 1.0, b.as_ref(), None, Stop::Residual(1e-14), &CgOptions::default(), faer::Par::Seq, None)?;
/// // (K + I) x = b: x = (1, 1) and (1/2, -1/2)
/// assert!((s.x[(0, 0)] - 1.0).abs() < 1e-14 && (s.x[(1, 1)] + 0.5).abs() < 1e-14);
/// # Ok::<(), ntk::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn pcg(
    k: &dyn KernelMatrix,
    ridge: f64,
    b: MatRef<'_, f64>,
    precond: Option<&Preconditioner>,
    stop: Stop,
    opts: &CgOptions,
    par: Par,
    progress: Progress<'_>,
) -> Result<CgSolution> {
    let s = run(k, ridge, b, precond, stop, opts, par, progress)?;
    if !s.report.converged {
        let worst = s.report.measure.iter().copied().fold(0.0f64, f64::max);
        return Err(Error::Numerical(format!(
            "conjugate gradients did not converge in {} iterations: the worst column's stopping \
             measure is {worst:.3e} (target {:.1e}; true relative residuals {:?}). The kernel may \
             be singular or very ill-conditioned: add a ridge (--diag-reg) or raise the \
             preconditioner rank",
            s.report.iterations,
            stop.tol(),
            s.report
                .relative_residual
                .iter()
                .map(|r| format!("{r:.2e}"))
                .collect::<Vec<_>>()
        )));
    }
    Ok(s)
}

/// CG without the error on non-convergence (the report says whether it converged).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    k: &dyn KernelMatrix,
    ridge: f64,
    b: MatRef<'_, f64>,
    precond: Option<&Preconditioner>,
    stop: Stop,
    opts: &CgOptions,
    par: Par,
    progress: Progress<'_>,
) -> Result<CgSolution> {
    let n = k.n();
    if b.nrows() != n {
        return Err(Error::Shape(format!(
            "the right-hand side has {} rows but the kernel is {n} x {n}",
            b.nrows()
        )));
    }
    crate::dynamics::spectrum::check_finite(b, "right-hand side")?;
    let nc = b.ncols();
    let bnorm: Vec<f64> = (0..nc).map(|j| col_norm(b, j)).collect();
    let mut st = State::new(b, precond);
    let mut win = vec![ErrorWindow::default(); nc];
    let mut done = vec![false; nc];
    let mut broken = vec![false; nc];
    let (mut iterations, mut products, mut restarts) = (0, 0, 0);
    let apply = |x: MatRef<'_, f64>| shifted_apply(k, ridge, x, par);
    let (mut ref_res, mut since) = (f64::INFINITY, 0usize);
    let mut stalled = false;
    let mut m0 = None;
    loop {
        // columns meeting the rule on the recursive residual
        let mut worst_measure = 0.0f64;
        for j in 0..nc {
            if !done[j] && !broken[j] {
                let rn = norm(st.r.col_as_slice(j));
                let xa2 =
                    col_dot(st.x.as_ref(), b, j) - dot(st.x.col_as_slice(j), st.r.col_as_slice(j));
                let m = stop.measure(rn, bnorm[j], xa2);
                done[j] = m <= stop.tol();
                if !done[j] {
                    worst_measure = worst_measure.max(m);
                }
            }
        }
        // the first finite measure is the scale's origin (the energy rule's is infinite at x = 0)
        if m0.is_none() && worst_measure.is_finite() && worst_measure > 0.0 {
            m0 = Some(worst_measure);
        }
        if let Some(f) = progress {
            let done = m0.map_or(0, |m0| log_progress(m0, worst_measure, stop.tol()));
            f("cg", done, LOG_PROGRESS_UNITS);
        }
        let active = (0..nc).any(|j| !done[j] && !broken[j]);
        if !active || iterations >= opts.max_iter || stalled {
            // confirm on the true residual; restart the columns that miss
            let r_true = residual(&apply, b, st.x.as_ref())?;
            products += 1;
            let miss: Vec<usize> = (0..nc)
                .filter(|&j| {
                    !broken[j]
                        && measure_of(&stop, b, st.x.as_ref(), r_true.as_ref(), j, bnorm[j])
                            > stop.tol()
                })
                .collect();
            if miss.is_empty() || iterations >= opts.max_iter || restarts >= 3 || stalled {
                let counts = (iterations, products, restarts);
                return Ok(finish(st.x, r_true, b, &bnorm, stop, counts, &broken, &win));
            }
            restarts += 1;
            st.restart(r_true, &miss, precond);
            for &j in &miss {
                done[j] = false;
                win[j].clear();
            }
            continue;
        }
        let q = apply(st.p.as_ref())?;
        products += 1;
        iterations += 1;
        for j in 0..nc {
            if done[j] || broken[j] {
                continue;
            }
            let pq = dot(st.p.col_as_slice(j), q.col_as_slice(j));
            if !pq.is_finite() || pq <= 0.0 {
                broken[j] = true; // not positive definite along p (singular kernel)
                continue;
            }
            let alpha = st.rz[j] / pq;
            win[j].push(alpha * st.rz[j]);
            st.step(j, alpha, q.col_as_slice(j));
        }
        if opts.residual_every > 0 && iterations % opts.residual_every == 0 {
            let r_true = residual(&apply, b, st.x.as_ref())?;
            products += 1;
            st.r = r_true;
        }
        st.new_direction(precond, &done, &broken);
        let worst = (0..nc)
            .filter(|&j| !done[j] && !broken[j])
            .map(|j| norm(st.r.col_as_slice(j)) / bnorm[j].max(f64::MIN_POSITIVE))
            .fold(0.0f64, f64::max);
        if worst < 0.5 * ref_res {
            (ref_res, since) = (worst, 0);
        } else {
            since += 1;
        }
        stalled = opts.stagnation > 0 && since >= opts.stagnation;
    }
}

/// The iterates of block PCG.
struct State {
    x: Mat<f64>,
    r: Mat<f64>,
    p: Mat<f64>,
    rz: Vec<f64>,
}

impl State {
    fn new(b: MatRef<'_, f64>, precond: Option<&Preconditioner>) -> Self {
        let r = b.to_owned();
        let z = precondition(precond, r.as_ref());
        let rz = (0..b.ncols())
            .map(|j| dot(r.col_as_slice(j), z.col_as_slice(j)))
            .collect();
        State {
            x: Mat::zeros(b.nrows(), b.ncols()),
            r,
            p: z,
            rz,
        }
    }

    fn step(&mut self, j: usize, alpha: f64, q: &[f64]) {
        let p = self.p.col_as_slice(j).to_vec();
        for (xi, pi) in self.x.col_as_slice_mut(j).iter_mut().zip(&p) {
            *xi += alpha * pi;
        }
        for (ri, qi) in self.r.col_as_slice_mut(j).iter_mut().zip(q) {
            *ri -= alpha * qi;
        }
    }

    fn new_direction(&mut self, precond: Option<&Preconditioner>, done: &[bool], broken: &[bool]) {
        let z = precondition(precond, self.r.as_ref());
        for j in 0..z.ncols() {
            if done[j] || broken[j] {
                continue;
            }
            let rz_new = dot(self.r.col_as_slice(j), z.col_as_slice(j));
            let beta = if self.rz[j] > 0.0 {
                rz_new / self.rz[j]
            } else {
                0.0
            };
            self.rz[j] = rz_new;
            let zj = z.col_as_slice(j);
            for (pi, zi) in self.p.col_as_slice_mut(j).iter_mut().zip(zj) {
                *pi = zi + beta * *pi;
            }
        }
    }

    fn restart(&mut self, r_true: Mat<f64>, cols: &[usize], precond: Option<&Preconditioner>) {
        self.r = r_true;
        let z = precondition(precond, self.r.as_ref());
        for &j in cols {
            self.rz[j] = dot(self.r.col_as_slice(j), z.col_as_slice(j));
            self.p
                .col_as_slice_mut(j)
                .copy_from_slice(z.col_as_slice(j));
        }
    }
}

fn precondition(precond: Option<&Preconditioner>, r: MatRef<'_, f64>) -> Mat<f64> {
    match precond {
        None => r.to_owned(),
        Some(m) => {
            let mut z = Mat::zeros(r.nrows(), r.ncols());
            m.apply(r, z.as_mut());
            z
        }
    }
}

fn col_norm(m: MatRef<'_, f64>, j: usize) -> f64 {
    (0..m.nrows())
        .map(|i| m[(i, j)] * m[(i, j)])
        .sum::<f64>()
        .sqrt()
}

fn col_dot(a: MatRef<'_, f64>, b: MatRef<'_, f64>, j: usize) -> f64 {
    (0..a.nrows()).map(|i| a[(i, j)] * b[(i, j)]).sum()
}

fn residual(
    apply: &dyn Fn(MatRef<'_, f64>) -> Result<Mat<f64>>,
    b: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
) -> Result<Mat<f64>> {
    let ax = apply(x)?;
    Ok(b - &ax)
}

fn measure_of(
    stop: &Stop,
    b: MatRef<'_, f64>,
    x: MatRef<'_, f64>,
    r: MatRef<'_, f64>,
    j: usize,
    bn: f64,
) -> f64 {
    let xa2 = col_dot(x, b, j) - col_dot(x, r, j);
    stop.measure(col_norm(r, j), bn, xa2)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    x: Mat<f64>,
    r: Mat<f64>,
    b: MatRef<'_, f64>,
    bnorm: &[f64],
    stop: Stop,
    (iterations, products, restarts): (usize, usize, usize),
    broken: &[bool],
    win: &[ErrorWindow],
) -> CgSolution {
    let nc = b.ncols();
    let relative_residual: Vec<f64> = (0..nc)
        .map(|j| {
            let rn = col_norm(r.as_ref(), j);
            if bnorm[j] > 0.0 { rn / bnorm[j] } else { rn }
        })
        .collect();
    let measure: Vec<f64> = (0..nc)
        .map(|j| measure_of(&stop, b, x.as_ref(), r.as_ref(), j, bnorm[j]))
        .collect();
    let xa2 = |j: usize| col_dot(x.as_ref(), b, j) - col_dot(x.as_ref(), r.as_ref(), j);
    let energy_estimate: Vec<Option<f64>> =
        (0..nc).map(|j| win[j].estimate(DELAY, xa2(j))).collect();
    let converged = !broken.iter().any(|&x| x) && measure.iter().all(|&m| m <= stop.tol());
    CgSolution {
        x,
        residual: r,
        report: CgReport {
            iterations,
            products,
            relative_residual,
            measure,
            stop,
            converged,
            restarts,
            energy_estimate,
        },
    }
}

#[cfg(test)]
#[path = "cg_tests.rs"]
mod tests;
