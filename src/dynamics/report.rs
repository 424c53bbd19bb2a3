//! A complete prediction request (times, gradient-descent steps, ensembles) evaluated from
//! a set of kernel matrices, and its serialisable report: the content of `ntk predict`'s
//! JSON output.
//!
//! ```text
//! flow on K_train (NTK or NNGP):  f_t(X), f_t(x*), losses, per-mode residuals  at every time
//! gradient descent (steps k):     the same with (1 - s lambda)^k
//! ensembles (NTK and NNGP):       test mean (times x n* x k), covariance (times x n* x n*)
//! max learning rate:              2 N_loss / lambda_max, lambda_max by Lanczos
//! ```
//!
//! Matrices are written as nested arrays (`rows x cols`), times as numbers with infinity as
//! `"inf"`. Every number in a report is finite: a value that cannot be computed is an error.

use super::compare::{Comparison, rows};
use super::ensemble::EnsembleTest;
use super::lanczos::{LANCZOS_TOL, largest_eigenvalue};
use super::{
    Diagnostics, Ensemble, FlowOptions, GradientFlow, InfMethod, Loss, Point, Prediction, Ridge,
    TestData, Training,
};
use crate::{Error, Result};
use faer::{Mat, MatRef};
use serde::Serialize;

/// The kernel matrices available (train = X, test = x*).
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelSet<'a> {
    /// `NTK(X, X)`.
    pub ntk_train: Option<MatRef<'a, f64>>,
    /// `NTK(x*, X)`.
    pub ntk_test_train: Option<MatRef<'a, f64>>,
    /// `NNGP(X, X)`.
    pub nngp_train: Option<MatRef<'a, f64>>,
    /// `NNGP(x*, X)`.
    pub nngp_test_train: Option<MatRef<'a, f64>>,
    /// `NNGP(x*, x*)`.
    pub nngp_test: Option<MatRef<'a, f64>>,
}

/// What to predict.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// Train targets `n x k`.
    pub y_train: MatRef<'a, f64>,
    /// Test targets `n* x k` (for the test loss).
    pub y_test: Option<MatRef<'a, f64>>,
    /// Initial train outputs (`None` = 0, the ensemble mean).
    pub f0_train: Option<MatRef<'a, f64>>,
    /// Initial test outputs (`None` = 0).
    pub f0_test: Option<MatRef<'a, f64>>,
    /// Gradient-flow times.
    pub times: Vec<f64>,
    /// Gradient-descent step counts (may be empty).
    pub steps: Vec<u64>,
    /// Which kernel drives the flow.
    pub kernel: Training,
    /// Also compute both infinite ensembles (NTK and NNGP training) on the test points.
    pub ensemble: bool,
    /// Learning rate, loss, ridge, threads.
    pub options: FlowOptions,
}

/// Outputs at a list of points.
#[derive(Clone, Debug, Serialize)]
pub struct Trajectory {
    /// Train outputs, `points x n x k`.
    pub fx_train: Vec<Vec<Vec<f64>>>,
    /// Test outputs, `points x n* x k`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx_test: Option<Vec<Vec<Vec<f64>>>>,
    /// Train loss per point.
    pub loss_train: Vec<f64>,
    /// Test loss per point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_test: Option<Vec<f64>>,
    /// Residual norm per eigenmode (decreasing eigenvalue), `points x n`.
    pub mode_residual: Vec<Vec<f64>>,
}

impl Trajectory {
    fn from(p: &Prediction) -> Self {
        Trajectory {
            fx_train: p.fx_train.iter().map(|m| rows(m.as_ref())).collect(),
            fx_test: p
                .fx_test
                .as_ref()
                .map(|v| v.iter().map(|m| rows(m.as_ref())).collect()),
            loss_train: p.loss_train.clone(),
            loss_test: p.loss_test.clone(),
            mode_residual: p.mode_residual.clone(),
        }
    }
}

/// Gradient-descent part of a report.
#[derive(Clone, Debug, Serialize)]
pub struct StepsReport {
    /// Step counts.
    pub steps: Vec<u64>,
    /// Outputs and losses at each step count.
    #[serde(flatten)]
    pub trajectory: Trajectory,
}

/// An ensemble's test moments at each time.
#[derive(Clone, Debug, Serialize)]
pub struct MomentsReport {
    /// Mean, `times x n* x k`.
    pub test_mean: Vec<Vec<Vec<f64>>>,
    /// Covariance, `times x n* x n*`.
    pub test_cov: Vec<Vec<Vec<f64>>>,
    /// Diagnostics of the kernel this ensemble is trained with.
    pub diagnostics: Diagnostics,
}

/// Both ensembles.
#[derive(Clone, Debug, Serialize)]
pub struct EnsembleReport {
    /// NTK training (all layers).
    pub ntk: MomentsReport,
    /// NNGP training (readout only).
    pub nngp: MomentsReport,
}

/// The full report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Crate version.
    pub version: &'static str,
    /// The kernel driving the flow.
    pub kernel: Training,
    /// Loss convention.
    pub loss: Loss,
    /// Learning rate `eta`.
    pub learning_rate: f64,
    /// `s = eta` (Sum) or `eta / N` (Mean): `d(t) = exp(-s K t) d(0)`.
    pub effective_rate: f64,
    /// Requested ridge and how it scales.
    pub diag_reg: Ridge,
    /// Training points, test points, outputs per point.
    pub n_train: usize,
    /// Test points (0 if none).
    pub n_test: usize,
    /// Outputs per point `k`.
    pub n_outputs: usize,
    /// Flow times (infinity as `"inf"`).
    pub times: Vec<Point>,
    /// Outputs and losses at each time.
    #[serde(flatten)]
    pub flow: Trajectory,
    /// Training-kernel eigenvalues (ridge included, clipped), decreasing: the modes of
    /// `mode_residual`.
    pub eigenvalues: Vec<f64>,
    /// Gradient descent at the requested steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gradient_descent: Option<StepsReport>,
    /// Infinite ensembles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<EnsembleReport>,
    /// Largest stable learning rate for the chosen loss (`"inf"` for a zero kernel).
    #[serde(serialize_with = "super::ser::opt_f64_or_inf")]
    pub max_learning_rate: Option<f64>,
    /// `lambda_max` by Lanczos (iterations, residual) behind `max_learning_rate`.
    pub lambda_max_lanczos: LanczosInfo,
    /// Spectrum diagnostics of the training kernel.
    pub diagnostics: Diagnostics,
    /// How `t = inf` was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inf_method: Option<InfMethod>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Trained finite networks next to the prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Comparison>,
}

/// Lanczos result, as reported.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct LanczosInfo {
    /// Ritz value.
    pub value: f64,
    /// Residual norm.
    pub residual: f64,
    /// Mat-vecs.
    pub iterations: usize,
}

/// The flow and ensembles built for a request (kept for plots and comparisons).
pub struct Evaluated {
    /// The report.
    pub report: Report,
    /// The flow on the training kernel.
    pub flow: GradientFlow,
    /// The NTK-training ensemble (if requested).
    pub ensemble_ntk: Option<Ensemble>,
}

fn need<'a>(m: Option<MatRef<'a, f64>>, what: &str, fix: &str) -> Result<MatRef<'a, f64>> {
    m.ok_or_else(|| Error::param(what, format!("missing: {fix}")))
}

/// Evaluate a request.
///
/// # Errors
/// [`Error::InvalidParameter`] for a missing kernel (naming it), and the errors of
/// [`GradientFlow`] and [`Ensemble`].
///
/// ```
/// use ntk::dynamics::report::{evaluate, KernelSet, Request};
/// use ntk::dynamics::{FlowOptions, Training};
/// let k = faer::mat![[2.0, 0.5], [0.5, 1.0]];
/// let y = faer::mat![[1.0], [-1.0]];
/// let ks = KernelSet { ntk_train: Some(k.as_ref()), ..Default::default() };
/// let req = Request { y_train: y.as_ref(), y_test: None, f0_train: None, f0_test: None,
///     times: vec![0.0, 1.0, f64::INFINITY], steps: vec![10], kernel: Training::Ntk,
///     ensemble: false, options: FlowOptions::default() };
/// let r = evaluate(&ks, &req)?.report;
/// assert_eq!(serde_json::to_value(&r).unwrap()["times"][2], "inf");
/// assert!(r.gradient_descent.is_some());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn evaluate(ks: &KernelSet<'_>, req: &Request<'_>) -> Result<Evaluated> {
    let times: Vec<Point> = req.times.iter().map(|&t| Point::Time(t)).collect();
    for p in &times {
        p.validate()?;
    }
    let steps: Vec<Point> = req.steps.iter().map(|&k| Point::Steps(k)).collect();
    let (k_train, k_test_train) = match req.kernel {
        Training::Ntk => (
            need(
                ks.ntk_train,
                "ntk-train",
                "the NTK train kernel (--ntk-train FILE or a network)",
            )?,
            ks.ntk_test_train,
        ),
        Training::Nngp => (
            need(
                ks.nngp_train,
                "nngp-train",
                "the NNGP train kernel (--nngp-train FILE or a network)",
            )?,
            ks.nngp_test_train,
        ),
    };
    if (req.f0_test.is_some() || req.y_test.is_some()) && k_test_train.is_none() {
        return Err(Error::param(
            "x-test",
            "test outputs or targets were given without a test set: pass --x-test (or the test-train kernel)",
        ));
    }
    let par = req.options.par();
    let n_out = k_train.nrows() * req.y_train.ncols();
    super::spectrum::check_symmetric(k_train, "training kernel K(X, X)")?;
    let lanczos = largest_eigenvalue(k_train, LANCZOS_TOL, par)?;
    let ridge = req.options.ridge.amount(k_train)?;
    let max_lr = req
        .options
        .loss
        .max_learning_rate(lanczos.value + ridge, n_out)?;
    let flow = GradientFlow::new(k_train, req.y_train, &req.options)?;
    let test = k_test_train.map(|k| TestData {
        k_test_train: k,
        f0_test: req.f0_test,
        y_test: req.y_test,
    });
    let pf = flow.predict(req.f0_train, test, &times)?;
    let mut warnings = pf.warnings.clone();
    let gradient_descent = if steps.is_empty() {
        None
    } else {
        let ps = flow.predict(req.f0_train, test, &steps)?;
        for w in &ps.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        Some(StepsReport {
            steps: req.steps.clone(),
            trajectory: Trajectory::from(&ps),
        })
    };
    let (ensemble, ensemble_ntk) = if req.ensemble {
        let fix = "--ensemble needs the NTK and NNGP kernels on train and test (a network, or --ntk-train, \
                   --ntk-test-train, --nngp-train, --nngp-test-train and --nngp-test)";
        let nngp_train = need(ks.nngp_train, "nngp-train", fix)?;
        let ntk_train = need(ks.ntk_train, "ntk-train", fix)?;
        let et = EnsembleTest {
            ntk_test_train: Some(need(ks.ntk_test_train, "ntk-test-train", fix)?),
            nngp_test_train: need(ks.nngp_test_train, "nngp-test-train", fix)?,
            nngp_test_test: need(ks.nngp_test, "nngp-test", fix)?,
        };
        // reuse the flow's eigendecomposition for the ensemble of the same kernel
        let (ntk_flow, nngp_flow) = match req.kernel {
            Training::Ntk => (
                flow.clone(),
                GradientFlow::new(nngp_train, req.y_train, &req.options)?,
            ),
            Training::Nngp => (
                GradientFlow::new(ntk_train, req.y_train, &req.options)?,
                flow.clone(),
            ),
        };
        let e_ntk = Ensemble::from_flow(ntk_flow, Training::Ntk, nngp_train)?;
        let e_nngp = Ensemble::from_flow(nngp_flow, Training::Nngp, nngp_train)?;
        let moments = |e: &Ensemble| -> Result<MomentsReport> {
            let ms = e.test(&et, &times)?;
            Ok(MomentsReport {
                test_mean: ms.iter().map(|m| rows(m.mean.as_ref())).collect(),
                test_cov: ms.iter().map(|m| rows(m.cov.as_ref())).collect(),
                diagnostics: e.flow().diagnostics().clone(),
            })
        };
        let rep = EnsembleReport {
            ntk: moments(&e_ntk)?,
            nngp: moments(&e_nngp)?,
        };
        (Some(rep), Some(e_ntk))
    } else {
        (None, None)
    };
    let mut eigenvalues = flow.spectrum().eigenvalues().to_vec();
    eigenvalues.reverse();
    let report = Report {
        version: crate::VERSION,
        kernel: req.kernel,
        loss: req.options.loss,
        learning_rate: req.options.learning_rate,
        effective_rate: flow.rate(),
        diag_reg: req.options.ridge,
        n_train: k_train.nrows(),
        n_test: k_test_train.map_or(0, |k| k.nrows()),
        n_outputs: req.y_train.ncols(),
        times,
        flow: Trajectory::from(&pf),
        eigenvalues,
        gradient_descent,
        ensemble,
        max_learning_rate: max_lr,
        lambda_max_lanczos: LanczosInfo {
            value: lanczos.value,
            residual: lanczos.residual,
            iterations: lanczos.iterations,
        },
        diagnostics: flow.diagnostics().clone(),
        inf_method: pf.inf_method,
        warnings,
        check: None,
    };
    Ok(Evaluated {
        report,
        flow,
        ensemble_ntk,
    })
}

/// Serialise a report to JSON, refusing NaN (serde_json would write `null`).
///
/// # Errors
/// [`Error::Numerical`] naming the first field holding a non-finite value.
///
/// ```
/// let v = ntk::dynamics::report::to_json(&serde_json::json!({"a": [1.0, 2.0]}))?;
/// assert_eq!(v["a"][1], 2.0);
/// assert!(ntk::dynamics::report::to_json(&vec![f64::NAN]).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    let v = serde_json::to_value(value)
        .map_err(|e| Error::Numerical(format!("cannot serialise the result: {e}")))?;
    if let Some(path) = find_null(&v, String::new()) {
        return Err(Error::Numerical(format!(
            "the result holds a value that could not be computed (NaN) at {path}"
        )));
    }
    Ok(v)
}

fn find_null(v: &serde_json::Value, path: String) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(if path.is_empty() {
            "the top level".into()
        } else {
            path
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| find_null(x, format!("{path}[{i}]"))),
        serde_json::Value::Object(o) => o
            .iter()
            .find_map(|(k, x)| find_null(x, format!("{path}.{k}"))),
        _ => None,
    }
}

/// Initial outputs as a matrix, for callers that hold them as optional references.
///
/// ```
/// let m = ntk::dynamics::report::zeros_or(None, 2, 1);
/// assert_eq!(m[(1, 0)], 0.0);
/// ```
pub fn zeros_or(m: Option<MatRef<'_, f64>>, rows: usize, cols: usize) -> Mat<f64> {
    m.map_or_else(|| Mat::zeros(rows, cols), |m| m.to_owned())
}
