//! The entry point of the iterative path: gradient-flow / gradient-descent predictions at
//! every requested point from a kernel seen only as an operator.
//!
//! ```text
//! A = K + r I,  d(0) = f_0(X) - Y,  s = effective rate
//! t = 0:        c = 0, d = d(0)                                        (exact)
//! t = inf:      A c = d(0) by block PCG (pivoted-Cholesky preconditioner), d = d(0) - A c
//!               (the true CG residual; the pseudo-inverse via Lanczos when K is singular)
//! finite t, k:  c = gain_p(A) d(0), d = decay_p(A) d(0) by Lanczos, one basis per column
//! f_t(X) = Y + d,   f_t(x*) = f_0(x*) - K(x*, X) c                      (the caller streams K(x*, X))
//! ```
//!
//! Stages: spectrum summary (Lanczos: `lambda_max`, the stable learning rate, the cutoff),
//! preconditioner + CG (if `inf` is requested), Lanczos matrix functions (finite points).

use super::SolveOptions;
use super::cg::{CgReport, Progress};
use super::funcs::FunResult;
use super::funcs::{FunLimits, LanczosReport, matrix_functions};
use super::infinite;
use super::lanes::side_by_side;
use super::precond::PreconditionerReport;
use super::spectrum::{SpectrumSummary, spectrum_summary};
use super::vecops::fro;
use crate::dynamics::discrete::stability_warning;
use crate::dynamics::flow::check_targets;
use crate::dynamics::spectrum::check_finite;
use crate::dynamics::{FlowOptions, Point, Ridge};
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::{Mat, MatRef};
use serde::Serialize;
use std::time::Instant;

/// How a point was computed.
///
/// ```
/// assert_eq!(serde_json::to_string(&ntk::solve::PointMethod::Lanczos).unwrap(), r#""lanczos""#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PointMethod {
    /// `t = 0` or zero steps: `c = 0`, `d = d(0)` exactly.
    Exact,
    /// `t = inf` by preconditioned conjugate gradients.
    ConjugateGradients,
    /// Lanczos matrix functions (finite points; `t = inf` when `K` is singular).
    Lanczos,
    /// A large finite time from the CG solution: `c(t) = (I - exp(-s t A)) A^{-1} d(0)` with
    /// `q = exp(-s t r)` (the ridge `r <= lambda_min(A)`), `q / (1 - q) <= tol / 2`: the second term is below the
    /// tolerance (`||exp(-s t A) x||_A <= q ||x||_A`), and `d(t) = d(0) - A c` as at t = inf.
    CgIdentity,
}

/// Wall time of one stage.
///
/// ```
/// let s = ntk::solve::StageTime { stage: "cg".into(), seconds: 1.5 };
/// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"stage":"cg","seconds":1.5}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageTime {
    /// `spectrum`, `preconditioner`, `cg`, `lanczos`.
    pub stage: String,
    /// Seconds.
    pub seconds: f64,
}

/// Everything the solver measured (serialisable for the prediction job's JSON).
///
/// ```
/// use ntk::dynamics::{FlowOptions, Point};
/// let k = ntk::kernel_matrix::Dense::new(faer::mat![[2.0, 1.0], [1.0, 2.0]])?;
/// let y = faer::mat![[1.0], [0.0]];
/// let f = ntk::solve::flow(&k, y.as_ref(), None, &[Point::Time(1.0)], &FlowOptions::default(),
///     &Default::default(), None)?;
/// let d = &f.diagnostics;
/// assert!((d.spectrum.lambda_max - 3.0).abs() < 1e-12);
/// assert_eq!(d.max_learning_rate, Some(2.0 / d.spectrum.lambda_max));
/// assert!(d.cg.is_none() && d.lanczos.is_some());
/// assert!(serde_json::to_string(d).unwrap().contains("lambda_max"));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolveDiagnostics {
    /// Spectrum summary of `K + r I`.
    pub spectrum: SpectrumSummary,
    /// Largest stable learning rate (loss convention of the options; `None` = unbounded).
    pub max_learning_rate: Option<f64>,
    /// Effective rate `s`.
    pub rate: f64,
    /// Absolute ridge `r`.
    pub ridge: f64,
    /// The tolerance asked for.
    pub tol: f64,
    /// `lambda_lo` of CG's energy stop: `max(r, lambda_min_estimate / 10)`.
    pub lambda_lo: Option<f64>,
    /// The preconditioner (if CG ran with one).
    pub preconditioner: Option<PreconditionerReport>,
    /// CG (if `t = inf` was requested).
    pub cg: Option<CgReport>,
    /// The Lanczos matrix-function stage (if finite points were requested).
    pub lanczos: Option<LanczosReport>,
    /// Time per stage.
    pub stages: Vec<StageTime>,
}

/// Predictions at every point, with error estimates.
///
/// ```
/// use ntk::dynamics::{FlowOptions, Point};
/// use ntk::solve::PointMethod;
/// let k = ntk::kernel_matrix::Dense::new(faer::mat![[2.0, 1.0], [1.0, 2.0]])?;
/// let y = faer::mat![[1.0], [0.0]];
/// let f = ntk::solve::flow(&k, y.as_ref(), None, &Point::parse_times("0,1")?,
///     &FlowOptions::default(), &Default::default(), None)?;
/// assert_eq!(f.methods, vec![PointMethod::Exact, PointMethod::Lanczos]);
/// assert_eq!(f.fx_train[0][(0, 0)], 0.0); // f_0 = 0
/// assert!(f.loss_train[1] < f.loss_train[0]);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct IterativeFlow {
    /// The points, as requested.
    pub points: Vec<Point>,
    /// Train outputs `f_t(X) = Y + d(t)` per point (`n x k`).
    pub fx_train: Vec<Mat<f64>>,
    /// Train residuals `d(t) = f_t(X) - Y` per point.
    pub residual_train: Vec<Mat<f64>>,
    /// Test coefficients `c(t)` per point (`n x k`): `f_t(x*) = f_0(x*) - K(x*, X) c(t)`.
    pub coefficients: Vec<Mat<f64>>,
    /// Train loss per point.
    pub loss_train: Vec<f64>,
    /// Per point, the estimated relative error of `c(t)` in the energy norm of `K + r I`
    /// (normwise over the outputs).
    pub error_estimate: Vec<f64>,
    /// Per point, the estimated error of `d(t)` relative to `||d(0)||`.
    pub train_error_estimate: Vec<f64>,
    /// How each point was computed.
    pub methods: Vec<PointMethod>,
    /// Diagnostics.
    pub diagnostics: SolveDiagnostics,
    /// Warnings (unstable learning rate, singular kernel).
    pub warnings: Vec<String>,
}

impl IterativeFlow {
    /// Test outputs `f_0(x*) - K(x*, X) c(t)` per point for a cross kernel held in memory
    /// (small test sets; at scale the caller streams `K(x*, X)` by row blocks).
    ///
    /// # Errors
    /// [`Error::Shape`] for inconsistent shapes.
    ///
    /// ```
    /// use ntk::dynamics::{FlowOptions, Point};
    /// use ntk::kernel_matrix::Dense;
    /// let k = Dense::new(faer::mat![[2.0, 1.0], [1.0, 2.0]])?;
    /// let y = faer::mat![[1.0], [-1.0]];
    /// let f = ntk::solve::flow(&k, y.as_ref(), None, &[Point::Time(f64::INFINITY)],
    ///     &FlowOptions::default(), &Default::default(), None)?;
    /// let kt = faer::mat![[2.0, 1.0]]; // a test point equal to train point 0
    /// let ft = f.test_outputs(kt.as_ref(), None)?;
    /// assert!((ft[0][(0, 0)] - 1.0).abs() < 1e-10);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn test_outputs(
        &self,
        k_test_train: MatRef<'_, f64>,
        f0_test: Option<MatRef<'_, f64>>,
    ) -> Result<Vec<Mat<f64>>> {
        let (n, k) = self
            .coefficients
            .first()
            .map_or((0, 0), |c| (c.nrows(), c.ncols()));
        let nt = k_test_train.nrows();
        if k_test_train.ncols() != n {
            return Err(Error::Shape(format!(
                "K(x*, X) has {} columns but there are {n} training points",
                k_test_train.ncols()
            )));
        }
        if let Some(f) = f0_test {
            if f.nrows() != nt || f.ncols() != k {
                return Err(Error::Shape(format!(
                    "f0_test is {} x {} but should be {nt} x {k}",
                    f.nrows(),
                    f.ncols()
                )));
            }
        }
        Ok(self
            .coefficients
            .iter()
            .map(|c| {
                let moved = k_test_train * c;
                match f0_test {
                    Some(f) => f - &moved,
                    None => -moved,
                }
            })
            .collect())
    }
}

/// Predict at every point (see the module docs): the one call of the prediction job.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad options or points, [`Error::Shape`]/[`Error::Data`]
/// for inconsistent or non-finite inputs, [`Error::Numerical`] when a stage does not reach the
/// tolerance (with the numbers reached) or outputs overflow (unstable gradient descent).
///
/// ```
/// use ntk::dynamics::{FlowOptions, GradientFlow, Point};
/// use ntk::kernel_matrix::Dense;
/// let km = faer::mat![[2.0, 0.5, 0.1], [0.5, 1.5, 0.3], [0.1, 0.3, 1.0]];
/// let y = faer::mat![[1.0], [-1.0], [0.5]];
/// let pts = Point::parse_times("0,1,inf")?;
/// let it = ntk::solve::flow(&Dense::new(km.clone())?, y.as_ref(), None, &pts,
///     &FlowOptions::default(), &Default::default(), None)?;
/// let dense = GradientFlow::new(km.as_ref(), y.as_ref(), &FlowOptions::default())?
///     .predict(None, None, &pts)?;
/// for p in 0..3 {
///     assert!((&it.fx_train[p] - &dense.fx_train[p]).norm_max() < 1e-10);
/// }
/// assert!(it.error_estimate.iter().all(|&e| e <= 1e-8));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn flow(
    k: &dyn KernelMatrix,
    y: MatRef<'_, f64>,
    f0: Option<MatRef<'_, f64>>,
    points: &[Point],
    opts: &FlowOptions,
    solve: &SolveOptions,
    progress: Progress<'_>,
) -> Result<IterativeFlow> {
    opts.validate()?;
    solve.validate()?;
    for p in points {
        p.validate()?;
    }
    let n = k.n();
    if n == 0 {
        return Err(Error::Data("the training kernel is empty".into()));
    }
    check_targets(y, n, "y_train", "training points")?;
    let d0 = initial_residual(y, f0)?;
    let ridge = ridge_amount(k, opts.ridge)?;
    let par = opts.par();
    let nk = n * y.ncols();
    let rate = opts.loss.effective_rate(opts.learning_rate, nk);
    let mut stages = Vec::new();
    let mut warnings = Vec::new();

    let t0 = Instant::now();
    // stages without progress of their own announce themselves (a display then times them)
    let announce = |stage: &str| {
        if let Some(f) = progress {
            f(stage, 0, 1)
        }
    };
    announce("spectrum");
    let spectrum = spectrum_summary(k, ridge, solve.spectrum_iter, par)?;
    stages.push(stage("spectrum", t0));
    let max_lr = opts.loss.max_learning_rate(spectrum.lambda_max, nk)?;
    if points.iter().any(|p| matches!(p, Point::Steps(_))) {
        if let Some(w) = stability_warning(rate, spectrum.lambda_max, opts.learning_rate, max_lr) {
            warnings.push(w);
        }
    }
    let np = points.len();
    let mut out = Slots::new(np);
    let d0_norm = fro(d0.as_ref());

    // t = infinity and large finite times from one CG solve; the other finite points by
    // Lanczos, side by side with CG and sharing its products (batch.rs)
    let lo = ridge.max(spectrum.lambda_min_estimate / 10.0);
    // the identity for large t needs a rigorous lower bound on lambda_min: the ridge
    let negligible = |t: f64| {
        let q = (-(rate * ridge) * t).exp();
        (t > 0.0 && t.is_finite() && q / (1.0 - q) <= 0.5 * solve.tol).then_some(q)
    };
    let wants_inf = points.iter().any(Point::is_infinite);
    let by_cg =
        |p: &Point| p.is_infinite() || matches!(*p, Point::Time(t) if negligible(t).is_some());
    let prep = if points.iter().any(by_cg) {
        announce("preconditioner");
        Some(infinite::prepare(k, ridge, &spectrum, lo, solve, par)?)
    } else {
        None
    };
    let (prep, early) = match prep {
        Some(Ok(p)) => (Some(p), None),
        Some(Err(st)) => (None, Some(st)),
        None => (None, None),
    };
    for (pi, &p) in points.iter().enumerate() {
        if p.as_time() == 0.0 {
            let zero = Mat::zeros(n, y.ncols());
            out.set(pi, zero, d0.clone(), 0.0, 0.0, PointMethod::Exact);
        }
    }
    let lz_first: Vec<usize> = (0..np)
        .filter(|&pi| points[pi].as_time() != 0.0)
        .filter(|&pi| {
            if prep.is_some() {
                !by_cg(&points[pi])
            } else {
                !points[pi].is_infinite() || early.is_some()
            }
        })
        .collect();
    let lim = FunLimits {
        tol: solve.tol,
        max_basis: solve.max_basis,
        check_every: solve.check_every,
    };
    let lz_run = |op: &dyn KernelMatrix, idx: &[usize], progress: Progress<'_>| {
        let pts: Vec<Point> = idx.iter().map(|&pi| points[pi]).collect();
        matrix_functions(
            op,
            ridge,
            d0.as_ref(),
            &pts,
            rate,
            spectrum.cutoff,
            lim,
            par,
            progress,
        )
    };
    let (inf, lz, side_stages) = side_by_side(
        k,
        par,
        prep.map(|p| {
            let (d0r, spec) = (d0.as_ref(), &spectrum);
            move |op: &dyn KernelMatrix, pr: Progress<'_>| {
                infinite::run_cg(op, ridge, d0r, p, spec, par, pr)
            }
        }),
        (!lz_first.is_empty())
            .then_some(|op: &dyn KernelMatrix, pr: Progress<'_>| lz_run(op, &lz_first, pr)),
        progress,
    );
    stages.extend(
        early
            .iter()
            .chain(inf.as_ref().and_then(|r| r.as_ref().ok()))
            .flat_map(|st| st.stages.iter().cloned()),
    );
    stages.extend(side_stages);
    let inf = inf.transpose()?.or(early);
    let mut lz_reports = Vec::new();
    if let Some(r) = lz.transpose()? {
        set_lanczos(&mut out, &lz_first, &r);
        lz_reports.push(r.report);
    }
    if let Some(st) = &inf {
        warnings.extend(st.warnings.iter().cloned());
        if let Some(sol) = &st.sol {
            let est = energy_estimate(&sol.x, &sol.residual, d0.as_ref(), lo);
            let est_t = fro(sol.residual.as_ref()) / d0_norm.max(f64::MIN_POSITIVE);
            for (pi, p) in points.iter().enumerate() {
                let (e, et, m) = if p.is_infinite() {
                    (est, est_t, PointMethod::ConjugateGradients)
                } else if let Some(q) =
                    negligible(p.as_time()).filter(|_| matches!(p, Point::Time(_)))
                {
                    (est + q / (1.0 - q), est_t + q, PointMethod::CgIdentity)
                } else {
                    continue;
                };
                out.set(pi, sol.x.clone(), sol.residual.clone(), e, et, m);
            }
        }
    }
    // CG found the kernel singular: t = inf (the pseudo-inverse) and the large times by Lanczos
    let rest: Vec<usize> = (0..np)
        .filter(|&pi| out.coef[pi].is_none() && (!points[pi].is_infinite() || wants_inf))
        .collect();
    if !rest.is_empty() {
        let t3 = Instant::now();
        let r = lz_run(k, &rest, progress)?;
        stages.push(stage("lanczos", t3));
        set_lanczos(&mut out, &rest, &r);
        lz_reports.push(r.report);
    }
    let lambda_lo = inf.as_ref().map(|_| lo);
    let (cg_report, pre_report) = inf.map_or((None, None), |s| (s.report, s.pre));
    let lz_report = lz_reports.pop();

    let diagnostics = SolveDiagnostics {
        spectrum,
        max_learning_rate: max_lr,
        rate,
        ridge,
        tol: solve.tol,
        lambda_lo,
        preconditioner: pre_report,
        cg: cg_report,
        lanczos: lz_report,
        stages,
    };
    out.finish(points, y, opts, diagnostics, warnings)
}

/// Store Lanczos results for the points `idx` (in the order they were computed).
fn set_lanczos(out: &mut Slots, idx: &[usize], r: &FunResult) {
    for (q, &pi) in idx.iter().enumerate() {
        out.set(
            pi,
            r.coef[q].clone(),
            r.resid[q].clone(),
            r.est_coef[q],
            r.est_train[q],
            PointMethod::Lanczos,
        );
    }
}

fn stage(name: &str, t: Instant) -> StageTime {
    StageTime {
        stage: name.into(),
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// `sqrt(sum_j ||r_j||^2 / lambda_lo) / sqrt(sum_j x_j.(b_j - r_j))`.
fn energy_estimate(x: &Mat<f64>, r: &Mat<f64>, b: MatRef<'_, f64>, lo: f64) -> f64 {
    let rr = fro(r.as_ref());
    if rr == 0.0 {
        return 0.0;
    }
    let mut xa = 0.0;
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            xa += x[(i, j)] * (b[(i, j)] - r[(i, j)]);
        }
    }
    if xa > 0.0 && lo > 0.0 {
        rr / lo.sqrt() / xa.sqrt()
    } else {
        f64::INFINITY
    }
}

/// `f0 - y` (or `-y`), checked.
fn initial_residual(y: MatRef<'_, f64>, f0: Option<MatRef<'_, f64>>) -> Result<Mat<f64>> {
    match f0 {
        None => Ok(-y.to_owned()),
        Some(f) => {
            if f.nrows() != y.nrows() || f.ncols() != y.ncols() {
                return Err(Error::Shape(format!(
                    "f0_train is {} x {} but y_train is {} x {}",
                    f.nrows(),
                    f.ncols(),
                    y.nrows(),
                    y.ncols()
                )));
            }
            check_finite(f, "f0_train")?;
            Ok(f - y)
        }
    }
}

/// The absolute ridge for a kernel seen through the trait (`Relative`: times `trace / n`).
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or non-finite ridge, [`Error::Data`] for a
/// non-finite or negative kernel diagonal.
///
/// ```
/// use ntk::dynamics::Ridge;
/// let k = ntk::kernel_matrix::Dense::new(faer::mat![[2.0, 1.0], [1.0, 4.0]])?;
/// assert_eq!(ntk::solve::ridge_amount(&k, Ridge::Relative(0.5))?, 1.5);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn ridge_amount(k: &dyn KernelMatrix, ridge: Ridge) -> Result<f64> {
    let diag = crate::kernel_matrix::checked_diagonal(k, "training kernel")?;
    let (v, rel) = match ridge {
        Ridge::Absolute(v) => (v, false),
        Ridge::Relative(v) => (v, true),
    };
    if !(v.is_finite() && v >= 0.0) {
        return Err(Error::param(
            "diag_reg",
            format!("must be a finite number >= 0, got {v}"),
        ));
    }
    if !rel || v == 0.0 || diag.is_empty() {
        return Ok(v);
    }
    Ok(v * diag.iter().sum::<f64>() / diag.len() as f64)
}

/// Per-point results as they are filled in.
struct Slots {
    coef: Vec<Option<Mat<f64>>>,
    resid: Vec<Option<Mat<f64>>>,
    est: Vec<f64>,
    est_t: Vec<f64>,
    method: Vec<PointMethod>,
}

impl Slots {
    fn new(np: usize) -> Self {
        Slots {
            coef: vec![None; np],
            resid: vec![None; np],
            est: vec![f64::NAN; np],
            est_t: vec![f64::NAN; np],
            method: vec![PointMethod::Exact; np],
        }
    }

    fn set(&mut self, pi: usize, c: Mat<f64>, d: Mat<f64>, e: f64, et: f64, m: PointMethod) {
        self.coef[pi] = Some(c);
        self.resid[pi] = Some(d);
        self.est[pi] = e;
        self.est_t[pi] = et;
        self.method[pi] = m;
    }

    fn finish(
        self,
        points: &[Point],
        y: MatRef<'_, f64>,
        opts: &FlowOptions,
        diagnostics: SolveDiagnostics,
        warnings: Vec<String>,
    ) -> Result<IterativeFlow> {
        let coefficients: Vec<Mat<f64>> = self
            .coef
            .into_iter()
            .map(|m| m.unwrap_or_else(|| Mat::zeros(0, 0)))
            .collect();
        let residual_train: Vec<Mat<f64>> = self
            .resid
            .into_iter()
            .map(|m| m.unwrap_or_else(|| Mat::zeros(0, 0)))
            .collect();
        let fx_train: Vec<Mat<f64>> = residual_train.iter().map(|d| y + d).collect();
        let nk = y.nrows() * y.ncols();
        let loss_train: Vec<f64> = residual_train
            .iter()
            .map(|d| {
                opts.loss
                    .value((0..d.ncols()).flat_map(|j| d.col_as_slice(j).to_vec()), nk)
            })
            .collect();
        let bad = coefficients
            .iter()
            .chain(&fx_train)
            .any(|m| fro(m.as_ref()).is_nan() || !fro(m.as_ref()).is_finite())
            || loss_train.iter().any(|l| !l.is_finite());
        if bad {
            let hint = match diagnostics.max_learning_rate {
                Some(m) if opts.learning_rate >= m => format!(
                    ": gradient descent diverged (learning rate {} >= largest stable {m:.6}); use a \
                     smaller --lr or fewer steps",
                    opts.learning_rate
                ),
                _ => String::new(),
            };
            return Err(Error::Numerical(format!(
                "predicted outputs overflowed to infinity{hint}"
            )));
        }
        Ok(IterativeFlow {
            points: points.to_vec(),
            fx_train,
            residual_train,
            coefficients,
            loss_train,
            error_estimate: self.est,
            train_error_estimate: self.est_t,
            methods: self.method,
            diagnostics,
            warnings,
        })
    }
}
