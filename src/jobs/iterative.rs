//! The iterative prediction job: gradient-flow predictions at full data-set sizes, with the
//! training kernel in packed tile storage and the cross kernel streamed, never held whole.
//!
//! ```text
//! plan:    bytes(storage) + bytes(solver) <= budget      (f64, else f32, else refuse)
//! build:   K(X, X) packed (only the kernel that drives training)
//! solve:   d(t), c(t) for every point (solve::flow: CG at t = inf, Lanczos at finite t)
//! test:    f_t(x*) = f_0(x*) - K(x*, X) [c(t_1) ... c(t_P)]   one pass over row blocks of x*
//! report:  losses, accuracies (one-hot targets), error estimates, diagnostics, stage times
//! ```

use super::ensemble_scale::{self, EnsembleReport};
use super::iterative_plan::plan_memory;
pub use super::iterative_plan::{MIN_BASIS, fixed_solver_bytes, points_of};
use super::predict::{KernelSource, PredictJob};
use super::solver::SolverChoice;
use crate::distributed::{self as dist, Comm};
use crate::dynamics::{Point, Training};
use crate::kernel::KernelPlan;
use crate::kernel_matrix::{
    self as km, BuildOptions, CrossOptions, Dense, KernelMatrix, Precision, StoragePlan, Which,
};
use crate::solve::{self, IterativeFlow, PointMethod, SolveDiagnostics, StageTime};
use crate::{Error, Result};
use faer::{Mat, MatRef};
use serde::Serialize;
use std::time::Instant;

/// A progress callback: `(stage, done, total)`.
pub type Progress<'a> = Option<&'a (dyn Fn(&str, usize, usize) + Sync)>;

/// Largest number of values (`points x rows x outputs`) the JSON report carries inline;
/// larger predictions go to `.npy` files only.
pub const INLINE_VALUES: usize = 100_000;

/// The memory plan that was checked before allocating.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryReport {
    /// Storage precision of the training kernel.
    pub precision: Precision,
    /// Bytes of the stored training kernel.
    pub storage_bytes: f64,
    /// Bytes planned for the solver (preconditioner, Krylov vectors, outputs).
    pub solver_bytes: f64,
    /// Total planned bytes.
    pub total_bytes: f64,
    /// The budget (None: unknown).
    pub budget: Option<f64>,
}

/// The summary of an iterative prediction (the JSON of `ntk predict --solver iterative`).
#[derive(Clone, Debug, Serialize)]
pub struct IterativeReport {
    /// Always `iterative`.
    pub solver: &'static str,
    /// Why this solver was chosen.
    pub solver_reason: String,
    /// The kernel that drives training.
    pub kernel: Training,
    /// Loss convention.
    pub loss: crate::dynamics::Loss,
    /// Training points.
    pub n_train: usize,
    /// Test points.
    pub n_test: Option<usize>,
    /// Outputs per point.
    pub outputs: usize,
    /// The points (times, then steps), in the order of the outputs.
    pub points: Vec<Point>,
    /// Train loss per point.
    pub loss_train: Vec<f64>,
    /// Test loss per point (with test targets).
    pub loss_test: Option<Vec<f64>>,
    /// Train accuracy per point (one-hot targets: argmax).
    pub accuracy_train: Option<Vec<f64>>,
    /// Test accuracy per point (one-hot test targets).
    pub accuracy_test: Option<Vec<f64>>,
    /// Per point: the a posteriori relative error estimate of the test coefficients.
    pub error_estimate: Vec<f64>,
    /// Per point: the estimated error of the train residual relative to `||d(0)||`.
    pub train_error_estimate: Vec<f64>,
    /// How each point was computed.
    pub methods: Vec<PointMethod>,
    /// The requested tolerance.
    pub tol: f64,
    /// Largest stable learning rate (None: unbounded).
    pub max_learning_rate: Option<f64>,
    /// The memory plan.
    pub memory: MemoryReport,
    /// The solver's diagnostics (spectrum summary, CG and Lanczos reports).
    pub diagnostics: SolveDiagnostics,
    /// Wall time per stage: kernel build, the solver's stages, the test pass.
    pub stages: Vec<StageTime>,
    /// Train outputs per point (`points x n_train x outputs`) when small enough to inline.
    pub fx_train: Option<Vec<Vec<Vec<f64>>>>,
    /// Test outputs per point when small enough to inline.
    pub fx_test: Option<Vec<Vec<Vec<f64>>>>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// The infinite ensemble on the test points (with `ensemble`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble: Option<EnsembleReport>,
}

/// The outputs of [`run`].
#[derive(Clone, Debug)]
pub struct IterativeOutput {
    /// The summary.
    pub report: IterativeReport,
    /// Train outputs per point (`n_train x k`).
    pub fx_train: Vec<Mat<f64>>,
    /// Test outputs per point (`n_test x k`), with a test set.
    pub fx_test: Option<Vec<Mat<f64>>>,
}

/// Labels of one-hot rows (each row one 1, the rest 0), else None.
fn one_hot_labels(y: MatRef<'_, f64>) -> Option<Vec<usize>> {
    if y.ncols() < 2 {
        return None;
    }
    (0..y.nrows())
        .map(|i| {
            let mut hot = None;
            for j in 0..y.ncols() {
                match y[(i, j)] {
                    1.0 if hot.is_none() => hot = Some(j),
                    0.0 => {}
                    _ => return None,
                }
            }
            hot
        })
        .collect()
}

fn accuracies(fx: &[Mat<f64>], y: Option<MatRef<'_, f64>>) -> Result<Option<Vec<f64>>> {
    let Some(labels) = y.and_then(one_hot_labels) else {
        return Ok(None);
    };
    fx.iter()
        .map(|f| crate::io::labels::accuracy(f.as_ref(), &labels))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn inline(fx: &[Mat<f64>]) -> Option<Vec<Vec<Vec<f64>>>> {
    let total: usize = fx.iter().map(|m| m.nrows() * m.ncols()).sum();
    (total <= INLINE_VALUES).then(|| {
        fx.iter()
            .map(|m| {
                (0..m.nrows())
                    .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
                    .collect()
            })
            .collect()
    })
}

/// The training kernel as an operator, and the memory plan.
enum Operator<'c> {
    F64(km::Packed<f64>),
    F32(km::Packed<f32>),
    Dense(Dense),
    /// This rank's share of a kernel split over the ranks (`crate::distributed`).
    DistF64(dist::Distributed<'c, f64>),
    DistF32(dist::Distributed<'c, f32>),
}

impl Operator<'_> {
    fn as_dyn(&self) -> &dyn KernelMatrix {
        match self {
            Operator::F64(p) => p,
            Operator::F32(p) => p,
            Operator::Dense(d) => d,
            Operator::DistF64(p) => p,
            Operator::DistF32(p) => p,
        }
    }
}

fn which(t: Training) -> Which {
    match t {
        Training::Ntk => Which::Ntk,
        Training::Nngp => Which::Nngp,
    }
}

/// The stored `kernel` (the training kernel, or the NNGP prior of the ensemble).
fn build_operator<'c>(
    job: &PredictJob<'_>,
    kernel: Training,
    plan: &StoragePlan,
    progress: Progress<'_>,
    comm: &'c dyn Comm,
) -> Result<Operator<'c>> {
    match job.kernels {
        KernelSource::Given(ks) => {
            let k = match kernel {
                Training::Ntk => ks.ntk_train,
                Training::Nngp => ks.nngp_train,
            }
            .ok_or_else(|| {
                Error::param(
                    "kernels",
                    format!("the {} training kernel is missing", kernel.name()),
                )
            })?;
            Ok(Operator::Dense(Dense::new(k.to_owned())?))
        }
        KernelSource::Network { net, x_train, .. } => {
            let kp = KernelPlan::new(net, x_train, None)?;
            let opts = BuildOptions {
                which: which(kernel),
                threads: job.options.threads,
                budget: Some(f64::INFINITY), // checked by the plan, with the solver's bytes
                chunks: job.chunks,
                ..Default::default()
            };
            let cb = |d: usize, t: usize| {
                if let Some(p) = progress {
                    p("kernel", d, t)
                }
            };
            let pick = |k: km::PackedKernels<f64>| match kernel {
                Training::Ntk => k.ntk,
                Training::Nngp => k.nngp,
            };
            let pick32 = |k: km::PackedKernels<f32>| match kernel {
                Training::Ntk => k.ntk,
                Training::Nngp => k.nngp,
            };
            let missing = || Error::Numerical("the kernel build returned no kernel".into());
            if comm.size() > 1 {
                let pick = |k: Option<dist::Distributed<'c, f64>>| k.ok_or_else(missing);
                let pick32 = |k: Option<dist::Distributed<'c, f32>>| k.ok_or_else(missing);
                let t = kernel == Training::Ntk;
                return Ok(match plan.precision {
                    Precision::F64 => {
                        let k = dist::build_distributed::<f64>(comm, &kp, &opts, Some(&cb))?;
                        Operator::DistF64(pick(if t { k.ntk } else { k.nngp })?)
                    }
                    Precision::F32 => {
                        let k = dist::build_distributed::<f32>(comm, &kp, &opts, Some(&cb))?;
                        Operator::DistF32(pick32(if t { k.ntk } else { k.nngp })?)
                    }
                });
            }
            Ok(match plan.precision {
                Precision::F64 => Operator::F64(
                    pick(km::build_packed(&kp, &opts, Some(&cb))?).ok_or_else(missing)?,
                ),
                Precision::F32 => Operator::F32(
                    pick32(km::build_packed(&kp, &opts, Some(&cb))?).ok_or_else(missing)?,
                ),
            })
        }
    }
}

/// `f_0(x*) - K(x*, X) c(t)` for every point, streamed (network) or from the given matrix.
fn test_outputs(
    job: &PredictJob<'_>,
    flow: &IterativeFlow,
    progress: Progress<'_>,
    comm: &dyn Comm,
) -> Result<Option<Vec<Mat<f64>>>> {
    let coeffs = &flow.coefficients;
    match job.kernels {
        KernelSource::Given(ks) => {
            let kt = match job.kernel {
                Training::Ntk => ks.ntk_test_train,
                Training::Nngp => ks.nngp_test_train,
            };
            kt.map(|kt| flow.test_outputs(kt, job.f0_test)).transpose()
        }
        KernelSource::Network {
            net,
            x_train,
            x_test,
        } => {
            let Some(xt) = x_test else { return Ok(None) };
            let Some(first) = coeffs.first() else {
                return Ok(Some(Vec::new()));
            };
            let (n, k) = (first.nrows(), first.ncols());
            let c = Mat::from_fn(n, k * coeffs.len(), |i, j| coeffs[j / k][(i, j % k)]);
            let plan = KernelPlan::new(net, xt, Some(x_train))?;
            let opts = CrossOptions {
                threads: job.options.threads,
                ..Default::default()
            };
            let cb = |d: usize, t: usize| {
                if let Some(p) = progress {
                    p("test", d, t)
                }
            };
            let (cn, ct) = match job.kernel {
                Training::Ntk => (None, Some(c.as_ref())),
                Training::Nngp => (Some(c.as_ref()), None),
            };
            // test rows split over the ranks (the whole pass on one process)
            let prod = dist::cross_apply_distributed(comm, &plan, cn, ct, &opts, Some(&cb))?;
            let kc = match job.kernel {
                Training::Ntk => prod.ntk,
                Training::Nngp => prod.nngp,
            }
            .ok_or_else(|| Error::Numerical("the cross pass returned no product".into()))?;
            let m = xt.nrows();
            let f0 = |i: usize, j: usize| job.f0_test.map_or(0.0, |f| f[(i, j)]);
            Ok(Some(
                (0..coeffs.len())
                    .map(|p| Mat::from_fn(m, k, |i, j| f0(i, j) - kc[(i, p * k + j)]))
                    .collect(),
            ))
        }
    }
}

fn n_test_of(job: &PredictJob<'_>) -> usize {
    match job.kernels {
        KernelSource::Given(ks) => match job.kernel {
            Training::Ntk => ks.ntk_test_train,
            Training::Nngp => ks.nngp_test_train,
        }
        .map_or(0, |k| k.nrows()),
        KernelSource::Network { x_test, .. } => x_test.map_or(0, |x| x.nrows()),
    }
}

fn n_train_of(job: &PredictJob<'_>) -> usize {
    match job.kernels {
        KernelSource::Given(_) => job.y_train.nrows(),
        KernelSource::Network { x_train, .. } => x_train.nrows(),
    }
}

/// Run the iterative prediction (validated job; `choice` says why this solver runs).
///
/// # Errors
/// Validation errors, [`Error::Memory`] before allocating when the plan does not fit,
/// kernel, solver ([`Error::Numerical`] if a tolerance cannot be reached) and shape errors.
///
/// ```
/// use ntk::jobs::{predict::{KernelSource, PredictJob}, iterative, Solver};
/// use ntk::{Activation, Network};
/// let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)?;
/// let x = faer::Mat::from_fn(40, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let xt = faer::Mat::from_fn(5, 3, |i, j| ((i * 7 + j) as f64).cos());
/// let y = faer::Mat::from_fn(40, 2, |i, j| ((i + j) % 2) as f64);
/// let src = KernelSource::Network { net: &net, x_train: x.as_ref(), x_test: Some(xt.as_ref()) };
/// let mut job = PredictJob::new(src, y.as_ref());
/// job.times = vec![0.0, 10.0, f64::INFINITY];
/// job.options.ridge = ntk::dynamics::Ridge::Relative(1e-4);
/// job.solver = Solver::Iterative;
/// let choice = ntk::jobs::solver::SolverChoice { solver: Solver::Iterative, reason: "doc".into(), dense_bytes: 0.0 };
/// let out = iterative::run(&job, &choice, None)?;
/// assert_eq!(out.fx_test.as_ref().unwrap().len(), 3);
/// assert!(out.report.error_estimate.iter().all(|&e| e <= 1e-8));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn run(
    job: &PredictJob<'_>,
    choice: &SolverChoice,
    progress: Progress<'_>,
) -> Result<IterativeOutput> {
    run_on(job, choice, progress, dist::world())
}

/// [`run`] over the ranks of `comm` (collective): the training kernel split by chunks over
/// the ranks ([`dist::Distributed`]), the solvers replicated, the test pass split by rows;
/// every rank returns the same output, with the bits of the single-process run whenever
/// both pick the same storage precision and the Lanczos basis is not capped by memory
/// (`docs/distributed.md`).
///
/// # Errors
/// As [`run`], on every rank.
///
/// ```
/// use ntk::distributed::ThreadComm;
/// use ntk::jobs::{predict::{KernelSource, PredictJob}, iterative, Solver};
/// use ntk::{Activation, Network};
/// let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)?;
/// let x = faer::Mat::from_fn(30, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let y = faer::Mat::from_fn(30, 1, |i, _| (i % 2) as f64);
/// let src = KernelSource::Network { net: &net, x_train: x.as_ref(), x_test: None };
/// let mut job = PredictJob::new(src, y.as_ref());
/// job.times = vec![1.0, f64::INFINITY];
/// job.options.ridge = ntk::dynamics::Ridge::Relative(1e-4);
/// let choice = ntk::jobs::solver::SolverChoice { solver: Solver::Iterative, reason: "doc".into(), dense_bytes: 0.0 };
/// let one = iterative::run(&job, &choice, None)?;
/// let two = ThreadComm::run(2, |c| iterative::run_on(&job, &choice, None, c).unwrap());
/// assert_eq!(two[1].fx_train, one.fx_train);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn run_on(
    job: &PredictJob<'_>,
    choice: &SolverChoice,
    progress: Progress<'_>,
    comm: &dyn Comm,
) -> Result<IterativeOutput> {
    job.validate()?;
    if job.check.is_some() {
        return Err(Error::param(
            "solver",
            "the finite-network check needs the dense solver",
        ));
    }
    if job.ensemble && comm.size() > 1 {
        return Err(Error::param(
            "ensemble",
            "the ensemble is not distributed yet: run it in one process",
        ));
    }
    let (n, n_test) = (n_train_of(job), n_test_of(job));
    if let Some(y) = job.y_test {
        if y.nrows() != n_test {
            return Err(Error::Shape(format!(
                "the test targets have {} rows but there are {n_test} test points",
                y.nrows()
            )));
        }
    }
    let (plan, basis) = dist::agree(comm, plan_memory(job, n, n_test, comm))?;
    let mut solve_opts = job.solve;
    if basis > 0 {
        solve_opts.max_basis = basis;
    }
    let mut stages = Vec::new();
    let t0 = Instant::now();
    let op = build_operator(job, job.kernel, &plan, progress, comm)?;
    let prior = if job.ensemble && job.kernel == Training::Ntk {
        Some(build_operator(job, Training::Nngp, &plan, progress, comm)?)
    } else {
        None
    };
    stages.push(StageTime {
        stage: "kernel".into(),
        seconds: t0.elapsed().as_secs_f64(),
    });
    let points = points_of(job);
    let flow = solve::flow(
        op.as_dyn(),
        job.y_train,
        job.f0_train,
        &points,
        &job.options,
        &solve_opts,
        progress,
    )?;
    stages.extend(flow.diagnostics.stages.iter().cloned());
    let ensemble = if job.ensemble {
        let t = Instant::now();
        let p = prior.as_ref().unwrap_or(&op);
        let e = ensemble_scale::run(job, op.as_dyn(), p.as_dyn(), &points, &solve_opts, progress)?;
        stages.push(StageTime {
            stage: "ensemble".into(),
            seconds: t.elapsed().as_secs_f64(),
        });
        Some(e)
    } else {
        None
    };
    drop((op, prior));
    let t1 = Instant::now();
    let fx_test = test_outputs(job, &flow, progress, comm)?;
    if fx_test.is_some() {
        stages.push(StageTime {
            stage: "test".into(),
            seconds: t1.elapsed().as_secs_f64(),
        });
    }
    let loss_test = match (&fx_test, job.y_test) {
        (Some(f), Some(y)) => Some(
            f.iter()
                .map(|f| job.options.loss.between(f.as_ref(), y))
                .collect(),
        ),
        _ => None,
    };
    let report = IterativeReport {
        solver: "iterative",
        solver_reason: choice.reason.clone(),
        kernel: job.kernel,
        loss: job.options.loss,
        n_train: n,
        n_test: fx_test.as_ref().map(|_| n_test),
        outputs: job.y_train.ncols(),
        points: points.clone(),
        loss_train: flow.loss_train.clone(),
        loss_test,
        accuracy_train: accuracies(&flow.fx_train, Some(job.y_train))?,
        accuracy_test: match &fx_test {
            Some(f) => accuracies(f, job.y_test)?,
            None => None,
        },
        error_estimate: flow.error_estimate.clone(),
        train_error_estimate: flow.train_error_estimate.clone(),
        methods: flow.methods.clone(),
        tol: job.solve.tol,
        max_learning_rate: flow.diagnostics.max_learning_rate,
        memory: MemoryReport {
            precision: plan.precision,
            storage_bytes: plan.storage_bytes,
            solver_bytes: plan.total_bytes - plan.storage_bytes,
            total_bytes: plan.total_bytes,
            budget: plan.budget,
        },
        diagnostics: flow.diagnostics.clone(),
        stages,
        fx_train: inline(&flow.fx_train),
        fx_test: fx_test.as_deref().and_then(inline),
        warnings: storage_warning(plan.precision, &flow.diagnostics)
            .into_iter()
            .chain(flow.warnings.iter().cloned())
            .collect(),
        ensemble,
    };
    Ok(IterativeOutput {
        report,
        fx_train: flow.fx_train,
        fx_test,
    })
}

/// The warning an f32-stored kernel owes its user (docs/storage.md): the solve is exact to the
/// tolerance for the f32-rounded kernel, and only `kappa x 2^-24` close to the f64 one.
fn storage_warning(precision: Precision, d: &solve::SolveDiagnostics) -> Option<String> {
    if precision != Precision::F32 {
        return None;
    }
    let lo = d.lambda_lo.unwrap_or(d.ridge);
    let bound = if lo > 0.0 {
        let kappa = d.spectrum.lambda_max / lo;
        format!(
            " about kappa x 6.0e-8 = {:.1e} (kappa <= lambda_max / lambda_lo = {kappa:.2e})",
            kappa * 2f64.powi(-24)
        )
    } else {
        " kappa x 6.0e-8, and kappa is unbounded without a ridge".to_string()
    };
    Some(format!(
        "the training kernel is stored in f32 (entries rounded to 6.0e-8 relative; f64 did not \
         fit the memory budget, or --storage f32): the predictions meet the tolerance for the \
         f32-rounded kernel, but their distance to the f64 kernel's is bounded only by{bound} \
         (docs/storage.md). Raise --memory-limit for f64 storage"
    ))
}
