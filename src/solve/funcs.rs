//! Lanczos matrix functions for every requested point from one basis per starting vector:
//!
//! ```text
//! A = K + r I,  b = d(0)[:, j],  A Q_m = Q_m T_m + beta_m q_{m+1} e_m^T,  T_m = S diag(theta) S^T
//! f(A) b  ~  ||b|| Q_m f(T_m) e_1 = ||b|| Q_m S diag(f(theta)) S^T e_1
//! decay_p(l) = exp(-s t l) | (1 - s l)^k          train residual   d_p = decay_p(A) d(0)
//! gain_p(l)  = (1 - decay_p(l)) / l               test coefficient c_p = gain_p(A) d(0)
//! ```
//!
//! Each extra point costs `O(m)` on top of the `O(m^3)` eigendecomposition of `T_m` and one
//! combination `Q_m y` (`O(n m)`) at the end. Ritz values `theta <= cutoff` (`n eps lambda_max`)
//! are treated as exactly 0, as the dense path treats null modes (`gain = s t`, and `0` at
//! `t = infinity`: the pseudo-inverse).
//!
//! **A posteriori estimate** (every `check_every` steps, iterate `m` against iterate `m - d`):
//!
//! ```text
//! est_coef_p  = sqrt(sum_j ||c_p,m - c_p,m-d||_A^2) / sqrt(sum_j ||c_p,m||_A^2)   (||y||_A^2 = y^T T_m y)
//! est_train_p = sqrt(sum_j ||d_p,m - d_p,m-d||^2) / ||d(0)||_F
//! ```
//!
//! It estimates the error of the older iterate, so it overestimates the error of the
//! returned one once convergence is geometric (Lanczos for the exponential converges
//! superlinearly once `m > sqrt(s t lambda_max)`). A column whose Krylov space is invariant is
//! exact (up to rounding) and contributes 0. This is a heuristic estimate, not a bound: the
//! rigorous Lanczos-FA bounds of Chen, Greenbaum, Musco & Musco (2022) are not implemented.

use super::cg::{LOG_PROGRESS_UNITS, Progress, log_progress};
use super::krylov::{Lanczos, tridiag_dense};
use crate::dynamics::Point;
use crate::dynamics::discrete::{gd_decay, gd_gain};
use crate::dynamics::spectral::{flow_decay, flow_gain};
use crate::dynamics::spectrum::symmetric_evd;
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::{Mat, MatRef, Par};
use serde::Serialize;

/// What the Lanczos matrix-function stage did.
///
/// ```
/// let r = ntk::solve::LanczosReport { steps: 12, basis_vectors: vec![12], bytes: 960,
///     check_every: 4, converged: true };
/// assert!(serde_json::to_string(&r).unwrap().contains("basis_vectors"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LanczosReport {
    /// Batched products with `A` (Lanczos steps).
    pub steps: usize,
    /// Basis size `m` per output column.
    pub basis_vectors: Vec<usize>,
    /// Bytes held by the bases at the end (`8 n sum_j m_j`).
    pub bytes: usize,
    /// Steps between error checks (`d` of the estimate).
    pub check_every: usize,
    /// Every point's estimates are within the tolerance.
    pub converged: bool,
}

/// Per-point `(decay, gain)` of an eigenvalue `l` (clipped at 0; `<= cutoff` is exactly 0).
pub(crate) fn factors(p: Point, l: f64, s: f64, cutoff: f64) -> (f64, f64) {
    let null = l <= cutoff;
    let l = if null { 0.0 } else { l };
    match p {
        Point::Time(t) if t.is_infinite() => {
            if null {
                (1.0, 0.0)
            } else {
                (0.0, 1.0 / l)
            }
        }
        Point::Time(t) => (flow_decay(l, s, t), flow_gain(l, s, t)),
        Point::Steps(k) => (gd_decay(l, s, k), gd_gain(l, s, k)),
    }
}

/// Coordinates of every point's coefficients and residuals in each column's basis.
struct Coords {
    /// `[p][j]`: `y` with `c_p[:, j] = Q_j y`.
    gain: Vec<Vec<Vec<f64>>>,
    /// `[p][j]`: `y` with `d_p[:, j] = Q_j y`.
    decay: Vec<Vec<Vec<f64>>>,
    /// `T_m` per column.
    t: Vec<Mat<f64>>,
}

fn coords(l: &Lanczos, points: &[Point], s: f64, cutoff: f64) -> Result<Coords> {
    let cols = l.cols();
    let mut gain = vec![Vec::with_capacity(cols); points.len()];
    let mut decay = vec![Vec::with_capacity(cols); points.len()];
    let mut ts = Vec::with_capacity(cols);
    for j in 0..cols {
        let (al, be) = l.tridiagonal(j);
        let t = tridiag_dense(al, be);
        let m = al.len();
        let (theta, sv) = if m > 0 {
            symmetric_evd(t.as_ref(), Par::Seq)?
        } else {
            (Vec::new(), Mat::zeros(0, 0))
        };
        let nb = l.norm0(j);
        for (pi, &p) in points.iter().enumerate() {
            let mut yg = vec![0.0; m];
            let mut yd = vec![0.0; m];
            for (e, &th) in theta.iter().enumerate() {
                let (dk, g) = factors(p, th.max(0.0), s, cutoff);
                let w = nb * sv[(0, e)];
                for i in 0..m {
                    yg[i] += sv[(i, e)] * g * w;
                    yd[i] += sv[(i, e)] * dk * w;
                }
            }
            gain[pi].push(yg);
            decay[pi].push(yd);
        }
        ts.push(t);
    }
    Ok(Coords { gain, decay, t: ts })
}

/// `(est_coef, est_train)` per point, comparing `now` with `prev` (`None`: infinite).
fn estimates(
    l: &Lanczos,
    now: &Coords,
    prev: Option<&Coords>,
    d0_norm: f64,
) -> (Vec<f64>, Vec<f64>) {
    let np = now.gain.len();
    let Some(prev) = prev else {
        return (vec![f64::INFINITY; np], vec![f64::INFINITY; np]);
    };
    let mut ec = Vec::with_capacity(np);
    let mut et = Vec::with_capacity(np);
    for p in 0..np {
        let (mut num, mut den, mut numt) = (0.0, 0.0, 0.0);
        for j in 0..l.cols() {
            let t = &now.t[j];
            let y = &now.gain[p][j];
            den += quad(t, y, y);
            if l.is_done(j) {
                continue; // invariant: exact
            }
            let dy = diff(y, &prev.gain[p][j]);
            num += quad(t, &dy, &dy).max(0.0);
            let dd = diff(&now.decay[p][j], &prev.decay[p][j]);
            numt += dd.iter().map(|v| v * v).sum::<f64>();
        }
        ec.push(if num == 0.0 {
            0.0
        } else if den > 0.0 {
            (num / den).sqrt()
        } else {
            f64::INFINITY
        });
        et.push(if numt == 0.0 {
            0.0
        } else if d0_norm > 0.0 {
            numt.sqrt() / d0_norm
        } else {
            f64::INFINITY
        });
    }
    (ec, et)
}

fn diff(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter()
        .enumerate()
        .map(|(i, &x)| x - b.get(i).copied().unwrap_or(0.0))
        .collect()
}

fn quad(t: &Mat<f64>, x: &[f64], y: &[f64]) -> f64 {
    let m = x.len();
    let mut s = 0.0;
    for i in 0..m {
        let mut r = t[(i, i)] * y[i];
        if i > 0 {
            r += t[(i, i - 1)] * y[i - 1];
        }
        if i + 1 < m {
            r += t[(i, i + 1)] * y[i + 1];
        }
        s += x[i] * r;
    }
    s
}

/// The result of [`matrix_functions`].
pub(crate) struct FunResult {
    /// `c_p`, `n x k` per point.
    pub coef: Vec<Mat<f64>>,
    /// `d_p`, `n x k` per point.
    pub resid: Vec<Mat<f64>>,
    /// Per point, the relative energy-norm estimate of `c_p`.
    pub est_coef: Vec<f64>,
    /// Per point, `||d_p error|| / ||d(0)||` estimate.
    pub est_train: Vec<f64>,
    /// The report.
    pub report: LanczosReport,
}

/// Limits of the Lanczos stage.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FunLimits {
    pub tol: f64,
    pub max_basis: usize,
    pub check_every: usize,
}

/// `decay_p(A) d0` and `gain_p(A) d0` for every point, to the tolerance (see module docs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn matrix_functions(
    k: &dyn KernelMatrix,
    ridge: f64,
    d0: MatRef<'_, f64>,
    points: &[Point],
    s: f64,
    cutoff: f64,
    lim: FunLimits,
    par: Par,
    progress: Progress<'_>,
) -> Result<FunResult> {
    let d0_norm = super::vecops::fro(d0);
    let mut l = Lanczos::new(d0);
    let mut prev: Option<Coords> = None;
    let mut steps = 0;
    let check = lim.check_every.max(1);
    let max_steps = lim.max_basis.min(k.n()).max(1);
    // progress on the log of the worst estimate, as CG's (cg::log_progress): 0 until the
    // first estimate, then the fraction of the way from it to the tolerance
    let (mut m0, mut shown) = (None, 0);
    loop {
        if !l.all_done() && steps < max_steps {
            l.step(k, ridge, par)?;
            steps += 1;
            if let Some(f) = progress {
                f("lanczos", shown, LOG_PROGRESS_UNITS);
            }
            if steps % check != 0 && !l.all_done() && steps < max_steps {
                continue;
            }
        }
        let now = coords(&l, points, s, cutoff)?;
        let (ec, et) = if l.all_done() {
            (vec![0.0; points.len()], vec![0.0; points.len()])
        } else {
            estimates(&l, &now, prev.as_ref(), d0_norm)
        };
        let ok = ec.iter().chain(&et).all(|&e| e <= lim.tol);
        let worst = ec.iter().chain(&et).copied().fold(0.0f64, f64::max);
        if m0.is_none() && worst.is_finite() && worst > lim.tol {
            m0 = Some(worst);
        }
        if let Some(m0) = m0 {
            shown = log_progress(m0, worst, lim.tol);
        }
        if ok || l.all_done() || steps >= max_steps {
            let report = LanczosReport {
                steps,
                basis_vectors: (0..l.cols()).map(|j| l.m(j)).collect(),
                bytes: l.bytes(),
                check_every: check,
                converged: ok,
            };
            if !ok {
                let worst = ec.iter().chain(&et).copied().fold(0.0f64, f64::max);
                return Err(Error::Numerical(format!(
                    "Lanczos matrix functions did not reach the tolerance {:.1e} within {} basis \
                     vectors per output (worst estimate {worst:.3e}; per point: coefficients {:?}, \
                     train residuals {:?}). Large s t lambda_max needs about sqrt(s t lambda_max \
                     ln(1/tol)) vectors: raise max_basis, or add a ridge",
                    lim.tol,
                    steps,
                    ec.iter().map(|e| format!("{e:.1e}")).collect::<Vec<_>>(),
                    et.iter().map(|e| format!("{e:.1e}")).collect::<Vec<_>>(),
                )));
            }
            return Ok(assemble(&l, &now, ec, et, report));
        }
        prev = Some(now);
    }
}

fn assemble(
    l: &Lanczos,
    c: &Coords,
    ec: Vec<f64>,
    et: Vec<f64>,
    report: LanczosReport,
) -> FunResult {
    let cols = l.cols();
    let build = |ys: &Vec<Vec<f64>>| -> Mat<f64> {
        let vs: Vec<Vec<f64>> = (0..cols).map(|j| l.combine(j, &ys[j])).collect();
        let n = vs.first().map_or(0, Vec::len);
        Mat::from_fn(n, cols, |i, j| vs[j][i])
    };
    FunResult {
        coef: c.gain.iter().map(build).collect(),
        resid: c.decay.iter().map(build).collect(),
        est_coef: ec,
        est_train: et,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_matrix::Dense;

    /// `A = diag(lambda)`: every function is known in closed form.
    fn diag_case() -> (Dense, Vec<f64>, Mat<f64>) {
        let lam: Vec<f64> = (0..60).map(|i| 1e-3 * 1.2f64.powi(i)).collect();
        let k = Dense::new(Mat::from_fn(
            60,
            60,
            |i, j| if i == j { lam[i] } else { 0.0 },
        ))
        .unwrap();
        let b = Mat::from_fn(60, 2, |i, j| 1.0 + ((i + 3 * j) % 5) as f64);
        (k, lam, b)
    }

    #[test]
    fn matches_closed_form_functions_of_a_diagonal_matrix() {
        let (k, lam, b) = diag_case();
        let points = [
            Point::Time(0.5),
            Point::Time(30.0),
            Point::Steps(7),
            Point::Time(f64::INFINITY),
        ];
        let s = 0.1;
        let lim = FunLimits {
            tol: 1e-10,
            max_basis: 60,
            check_every: 4,
        };
        let r =
            matrix_functions(&k, 0.0, b.as_ref(), &points, s, 0.0, lim, Par::Seq, None).unwrap();
        for (pi, &p) in points.iter().enumerate() {
            for j in 0..2 {
                for i in 0..60 {
                    let (dk, g) = factors(p, lam[i], s, 0.0);
                    let (c, d) = (g * b[(i, j)], dk * b[(i, j)]);
                    let sc = (1.0 / lam[0]) * 5.0;
                    assert!((r.coef[pi][(i, j)] - c).abs() <= 1e-9 * sc, "{p} c {i} {j}");
                    assert!(
                        (r.resid[pi][(i, j)] - d).abs() <= 1e-9 * 5.0,
                        "{p} d {i} {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn factors_are_the_dense_paths() {
        assert_eq!(
            factors(Point::Time(2.0), 0.5, 1.0, 0.0),
            (flow_decay(0.5, 1.0, 2.0), flow_gain(0.5, 1.0, 2.0))
        );
        // below the cutoff: exactly a null mode
        assert_eq!(factors(Point::Time(2.0), 1e-20, 1.0, 1e-15), (1.0, 2.0));
        assert_eq!(
            factors(Point::Time(f64::INFINITY), 1e-20, 1.0, 1e-15),
            (1.0, 0.0)
        );
        assert_eq!(
            factors(Point::Time(f64::INFINITY), 4.0, 1.0, 1e-15),
            (0.0, 0.25)
        );
        let (d, g) = factors(Point::Steps(2), 1.0, 0.5, 0.0); // (1 - 1/2)^2, (1 - 1/4) / 1
        assert!(
            (d - 0.25).abs() < 1e-16 && (g - 0.75).abs() < 1e-16,
            "{d} {g}"
        );
    }

    #[test]
    fn too_small_a_basis_is_a_numerical_error() {
        let (k, _, b) = diag_case();
        let lim = FunLimits {
            tol: 1e-12,
            max_basis: 3,
            check_every: 1,
        };
        let e = matrix_functions(
            &k,
            0.0,
            b.as_ref(),
            &[Point::Time(1e3)],
            1.0,
            0.0,
            lim,
            Par::Seq,
            None,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("did not reach"), "{e}");
    }
}
