//! The prediction job: training dynamics without training, from kernels given as matrices or
//! computed from a network and inputs, with the infinite ensembles, the report, and optionally
//! real finite networks trained next to the prediction.
//!
//! ```text
//! kernels:   given (K_train, K_test_train, ...)  or  NNGP/NTK(X, X), (x*, X), (x*, x*) of a network
//! flow:      f_t(X) = Y + V exp(-s Lambda t) V^T (f_0(X) - Y)     at every time and GD step count
//! ensembles: test mean and covariance for NTK and NNGP training (with `ensemble`)
//! check:     finite networks of the given widths trained by full-batch GD, compared at the steps
//! ```
//!
//! [`PredictJob`] is the typed input (construct with [`PredictJob::new`], then set fields; the
//! struct is `#[non_exhaustive]` so new options, e.g. iterative solvers, can be added without
//! breaking callers), [`run`] evaluates it and [`PredictOutput`] holds the report, the flow and
//! the kernels that were used. The `ntk predict` CLI, the Python package and any other front
//! end call [`run`].

use super::iterative::{self, IterativeOutput, Progress};
use super::solver::{self, Solver, SolverChoice, SolverNeeds};
use crate::dynamics::compare::{CompareConfig, compare};
use crate::dynamics::report::{Evaluated, KernelSet, Report, Request, evaluate};
use crate::dynamics::{EnsembleTest, FlowOptions, Point, TestData, Training};
use crate::kernel::{self, KernelOptions};
use crate::kernel_matrix::Precision;
use crate::solve::SolveOptions;
use crate::{Error, Network, Result};
use faer::{Mat, MatRef};
use std::path::{Path, PathBuf};

/// Where the kernels come from.
#[derive(Clone, Copy, Debug)]
pub enum KernelSource<'a> {
    /// Precomputed kernel matrices (train = X, test = x*).
    Given(KernelSet<'a>),
    /// Computed from a network description on the inputs.
    Network {
        /// The network (its NNGP and NTK).
        net: &'a Network,
        /// Training inputs `X` (`n x d`).
        x_train: MatRef<'a, f64>,
        /// Test inputs `x*` (`m x d`), if any.
        x_test: Option<MatRef<'a, f64>>,
    },
}

/// Train real finite networks next to the prediction (`ntk predict --check-width`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOptions {
    /// Hidden widths to train.
    pub widths: Vec<usize>,
    /// Networks per width.
    pub seeds: usize,
    /// First initialisation seed.
    pub seed: u64,
}

/// A complete prediction request.
///
/// ```
/// use ntk::jobs::predict::{KernelSource, PredictJob, run};
/// use ntk::{Activation, Network};
/// let net = Network::mlp(Activation::Relu, 2, 1.5, 0.1)?;
/// let x = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let xt = faer::mat![[0.5, 0.5]];
/// let y = faer::mat![[1.0], [-1.0], [0.0]];
/// let src = KernelSource::Network { net: &net, x_train: x.as_ref(), x_test: Some(xt.as_ref()) };
/// let mut job = PredictJob::new(src, y.as_ref());
/// job.times = vec![0.0, 1.0, f64::INFINITY];
/// job.ensemble = true;
/// let out = run(&job)?;
/// assert_eq!(out.report().flow.fx_train.len(), 3);
/// assert!(out.report().ensemble.is_some());
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PredictJob<'a> {
    /// The kernels: given, or computed from a network.
    pub kernels: KernelSource<'a>,
    /// Train targets `n x k`.
    pub y_train: MatRef<'a, f64>,
    /// Test targets `m x k` (for the test loss).
    pub y_test: Option<MatRef<'a, f64>>,
    /// Initial train outputs (`None` = 0, the ensemble mean).
    pub f0_train: Option<MatRef<'a, f64>>,
    /// Initial test outputs (`None` = 0).
    pub f0_test: Option<MatRef<'a, f64>>,
    /// Gradient-flow times (`f64::INFINITY` allowed). Default `0, 1, 10, 100, 1000, inf`.
    pub times: Vec<f64>,
    /// Gradient-descent step counts (may be empty, the default).
    pub steps: Vec<u64>,
    /// Which kernel drives training (default NTK).
    pub kernel: Training,
    /// Also compute both infinite ensembles on the test points (default false).
    pub ensemble: bool,
    /// Learning rate, loss convention, ridge, threads.
    pub options: FlowOptions,
    /// Train finite networks next to the prediction (needs a network, a test set and steps).
    pub check: Option<CheckOptions>,
    /// Which solver [`execute`] uses (default [`Solver::Auto`]; [`run`] is always dense).
    pub solver: Solver,
    /// Tolerance and limits of the iterative solver.
    pub solve: SolveOptions,
    /// Memory budget in bytes (None: 90% of the memory available now).
    pub memory_limit: Option<f64>,
    /// Storage precision of the iterative path's training kernel (None: f64 if it fits,
    /// else f32).
    pub storage: Option<Precision>,
    /// Chunks of the stored kernel's fixed product partition (default 16): the iterative
    /// results depend on it, never on threads or MPI ranks; a distributed run stores the
    /// kernel on at most this many ranks (`docs/distributed.md`).
    pub chunks: usize,
}

impl<'a> PredictJob<'a> {
    /// A job with default settings: times `0, 1, 10, 100, 1000, inf`, NTK training, no
    /// steps, no ensemble, [`FlowOptions::default`], no finite-network check.
    pub fn new(kernels: KernelSource<'a>, y_train: MatRef<'a, f64>) -> Self {
        PredictJob {
            kernels,
            y_train,
            y_test: None,
            f0_train: None,
            f0_test: None,
            times: vec![0.0, 1.0, 10.0, 100.0, 1000.0, f64::INFINITY],
            steps: Vec::new(),
            kernel: Training::Ntk,
            ensemble: false,
            options: FlowOptions::default(),
            check: None,
            solver: Solver::Auto,
            solve: SolveOptions::default(),
            memory_limit: None,
            storage: None,
            chunks: crate::kernel_matrix::DEFAULT_CHUNKS,
        }
    }

    /// Check the request before any work: options, times, test set, check settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] or [`Error::Shape`] naming the problem.
    pub fn validate(&self) -> Result<()> {
        self.options.validate()?;
        if self.times.is_empty() {
            return Err(Error::param("times", "empty: give at least one time"));
        }
        let has_test = match self.kernels {
            KernelSource::Given(ks) => ks.ntk_test_train.is_some() || ks.nngp_test_train.is_some(),
            KernelSource::Network {
                x_train, x_test, ..
            } => {
                if let Some(xt) = x_test {
                    if xt.ncols() != x_train.ncols() {
                        return Err(Error::Shape(format!(
                            "the test inputs have {} columns but the training inputs have {}",
                            xt.ncols(),
                            x_train.ncols()
                        )));
                    }
                }
                x_test.is_some()
            }
        };
        if self.f0_test.is_some() && !has_test {
            return Err(Error::param(
                "f0_test",
                "given without a test set: give test inputs (or the test-train kernels)",
            ));
        }
        if let Some(c) = &self.check {
            if !matches!(self.kernels, KernelSource::Network { .. }) {
                return Err(Error::param(
                    "check",
                    "training finite networks needs a network description, not precomputed kernels",
                ));
            }
            if self.kernel != Training::Ntk {
                return Err(Error::param(
                    "check",
                    "finite networks train all layers: use NTK training",
                ));
            }
            if self.steps.is_empty() {
                return Err(Error::param(
                    "check",
                    "the comparison is at gradient-descent steps: give steps",
                ));
            }
            if !has_test {
                return Err(Error::param("check", "the comparison needs test inputs"));
            }
            if c.seeds == 0 || c.widths.is_empty() || c.widths.contains(&0) {
                return Err(Error::param("check", "widths and seeds must be at least 1"));
            }
        }
        Ok(())
    }
}

/// Kernels computed by the job (from a network).
#[derive(Clone, Debug, Default)]
pub struct ComputedKernels {
    /// `NTK(X, X)` (when NTK training or ensembles were requested).
    pub ntk_train: Option<Mat<f64>>,
    /// `NTK(x*, X)`.
    pub ntk_test_train: Option<Mat<f64>>,
    /// `NNGP(X, X)`.
    pub nngp_train: Option<Mat<f64>>,
    /// `NNGP(x*, X)`.
    pub nngp_test_train: Option<Mat<f64>>,
    /// `NNGP(x*, x*)` (with ensembles).
    pub nngp_test: Option<Mat<f64>>,
}

impl ComputedKernels {
    /// Views of the matrices.
    pub fn as_set(&self) -> KernelSet<'_> {
        fn r(m: &Option<Mat<f64>>) -> Option<MatRef<'_, f64>> {
            m.as_ref().map(|m| m.as_ref())
        }
        KernelSet {
            ntk_train: r(&self.ntk_train),
            ntk_test_train: r(&self.ntk_test_train),
            nngp_train: r(&self.nngp_train),
            nngp_test_train: r(&self.nngp_test_train),
            nngp_test: r(&self.nngp_test),
        }
    }
}

/// What [`run`] returns.
pub struct PredictOutput {
    /// The report, the flow and the NTK ensemble.
    pub evaluated: Evaluated,
    /// The kernels computed from the network (`None` when they were given).
    pub computed: Option<ComputedKernels>,
}

impl std::fmt::Debug for PredictOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredictOutput")
            .field("report", &self.evaluated.report)
            .field("computed", &self.computed)
            .finish_non_exhaustive()
    }
}

impl PredictOutput {
    /// The serialisable report (the content of `ntk predict`'s JSON).
    pub fn report(&self) -> &Report {
        &self.evaluated.report
    }

    /// The kernels the prediction used: the computed ones, or the job's given ones.
    pub fn kernels<'s>(&'s self, job: &'s PredictJob<'_>) -> KernelSet<'s> {
        match (&self.computed, job.kernels) {
            (Some(c), _) => c.as_set(),
            (None, KernelSource::Given(ks)) => ks,
            (None, KernelSource::Network { .. }) => KernelSet::default(),
        }
    }

    /// Write the plots of this prediction into `dir` (`loss`, `modes`, `test_predictions`
    /// with ensembles and a test set, `width` with a check of several widths), PNG and SVG.
    /// Returns the files written.
    ///
    /// # Errors
    /// Plotting and I/O errors.
    pub fn save_plots(&self, job: &PredictJob<'_>, dir: &Path) -> Result<Vec<PathBuf>> {
        use crate::plot::dynamics as pd;
        let ks = self.kernels(job);
        let ev = &self.evaluated;
        let kt = match job.kernel {
            Training::Ntk => ks.ntk_test_train,
            Training::Nngp => ks.nngp_test_train,
        };
        let test = kt.map(|k| TestData {
            k_test_train: k,
            f0_test: job.f0_test,
            y_test: job.y_test,
        });
        let check = ev.report.check.as_ref();
        let mut plots = Vec::new();
        plots.extend(
            pd::loss_figure(&ev.flow, job.f0_train, test, &job.steps, check)?
                .save(&dir.join("loss"))?,
        );
        plots.extend(pd::modes_figure(&ev.flow, job.f0_train)?.save(&dir.join("modes"))?);
        if let (Some(e), Some(_)) = (&ev.ensemble_ntk, ks.ntk_test_train) {
            let missing = |what: &str| Error::param(what, "missing for the ensemble plot");
            let et = EnsembleTest {
                ntk_test_train: ks.ntk_test_train,
                nngp_test_train: ks
                    .nngp_test_train
                    .ok_or_else(|| missing("nngp-test-train"))?,
                nngp_test_test: ks.nngp_test.ok_or_else(|| missing("nngp-test"))?,
            };
            // the ensemble where the trained networks stop (steps), else the last time
            let (point, step_idx, when) = match check.and_then(|c| c.steps.last().copied()) {
                Some(last) => (
                    Point::Steps(last),
                    check.map(|c| c.steps.len().saturating_sub(1)),
                    format!("step {last}"),
                ),
                None => {
                    let p = Point::Time(job.times.last().copied().unwrap_or(0.0));
                    (p, None, format!("t = {p}"))
                }
            };
            let m = e.test(&et, &[point])?;
            if let Some(m0) = m.first() {
                plots.extend(
                    pd::band_figure(m0, 0, job.y_test, check, step_idx, &when)
                        .save(&dir.join("test_predictions"))?,
                );
            }
        }
        if let Some(c) = check {
            if c.summary.len() > 1 {
                plots.extend(pd::width_figure(c).save(&dir.join("width"))?);
            }
        }
        Ok(plots)
    }
}

/// Compute the kernels of a network on train and test inputs: what the job needs for the
/// requested training kernel and ensembles.
fn network_kernels(
    net: &Network,
    x: MatRef<'_, f64>,
    x_test: Option<MatRef<'_, f64>>,
    job: &PredictJob<'_>,
) -> Result<ComputedKernels> {
    let want_ntk = job.kernel == Training::Ntk || job.ensemble;
    let ko = KernelOptions {
        compute_ntk: want_ntk,
        threads: job.options.threads,
        ..Default::default()
    };
    let ktt = kernel::kernels(net, x, None, &ko)?;
    let mut out = ComputedKernels {
        ntk_train: ktt.ntk,
        nngp_train: Some(ktt.nngp),
        ..Default::default()
    };
    if let Some(xt) = x_test {
        let kst = kernel::kernels(net, xt, Some(x), &ko)?;
        out.nngp_test_train = Some(kst.nngp);
        out.ntk_test_train = kst.ntk;
        if job.ensemble {
            let o = KernelOptions {
                compute_ntk: false,
                ..ko.clone()
            };
            out.nngp_test = Some(kernel::kernels(net, xt, None, &o)?.nngp);
        }
    }
    Ok(out)
}

/// Run a prediction job: kernels (computed if needed), flow, gradient descent, ensembles,
/// report, and the finite-network check.
///
/// # Errors
/// Validation errors ([`PredictJob::validate`]), shape errors of the targets and initial
/// outputs, kernel and dynamics errors, and training errors of the check.
pub fn run(job: &PredictJob<'_>) -> Result<PredictOutput> {
    job.validate()?;
    let computed = match job.kernels {
        KernelSource::Given(_) => None,
        KernelSource::Network {
            net,
            x_train,
            x_test,
        } => Some(network_kernels(net, x_train, x_test, job)?),
    };
    let ks = match (&computed, job.kernels) {
        (Some(c), _) => c.as_set(),
        (None, KernelSource::Given(ks)) => ks,
        (None, KernelSource::Network { .. }) => KernelSet::default(),
    };
    let k_test = match job.kernel {
        Training::Ntk => ks.ntk_test_train,
        Training::Nngp => ks.nngp_test_train,
    };
    if let (Some(y), Some(kt)) = (job.y_test, k_test) {
        if y.nrows() != kt.nrows() {
            return Err(Error::Shape(format!(
                "the test targets have {} rows but there are {} test points",
                y.nrows(),
                kt.nrows()
            )));
        }
    }
    let req = Request {
        y_train: job.y_train,
        y_test: job.y_test,
        f0_train: job.f0_train,
        f0_test: job.f0_test,
        times: job.times.clone(),
        steps: job.steps.clone(),
        kernel: job.kernel,
        ensemble: job.ensemble,
        options: job.options,
    };
    let mut evaluated = evaluate(&ks, &req)?;
    if let (
        Some(c),
        KernelSource::Network {
            net,
            x_train,
            x_test,
        },
    ) = (&job.check, job.kernels)
    {
        let (Some(xt), Some(kt)) = (x_test, ks.ntk_test_train) else {
            return Err(Error::param("check", "the comparison needs test inputs"));
        };
        let cfg = CompareConfig {
            net,
            x_train,
            x_test: xt,
            k_test_train: kt,
            y_test: job.y_test,
            steps: job.steps.clone(),
            widths: c.widths.clone(),
            seeds: c.seeds,
            seed: c.seed,
            threads: job.options.threads,
        };
        evaluated.report.check = Some(
            compare(&evaluated.flow, &cfg)
                .map_err(|e| e.in_stage("training the finite networks"))?,
        );
    }
    Ok(PredictOutput {
        evaluated,
        computed,
    })
}

/// What [`execute`] produced: a dense or an iterative prediction.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// The dense eigendecomposition path (every feature).
    Dense(PredictOutput, SolverChoice),
    /// The iterative path (packed storage, CG, Lanczos).
    Iterative(IterativeOutput),
}

/// The dense-only features a job asks for, by their CLI names.
fn dense_only(job: &PredictJob<'_>, plots: bool) -> Vec<String> {
    let mut v = Vec::new();
    if job.check.is_some() {
        v.push("--check-width".to_string());
    }
    if plots {
        v.push("--plot".to_string());
    }
    v
}

/// Choose the solver for a job (see [`solver::choose`]); `plots` says whether the caller will
/// draw the dense path's plots.
///
/// # Errors
/// As [`solver::choose`].
pub fn choose_solver(job: &PredictJob<'_>, plots: bool) -> Result<SolverChoice> {
    let (n_train, n_test) = match job.kernels {
        KernelSource::Given(ks) => (
            job.y_train.nrows(),
            ks.ntk_test_train
                .or(ks.nngp_test_train)
                .map_or(0, |k| k.nrows()),
        ),
        KernelSource::Network {
            x_train, x_test, ..
        } => (x_train.nrows(), x_test.map_or(0, |x| x.nrows())),
    };
    let needs = SolverNeeds {
        n_train,
        n_test,
        kernels: if job.ensemble { 2 } else { 1 },
        dense_only: dense_only(job, plots),
        budget: job
            .memory_limit
            .or_else(crate::kernel_matrix::default_budget),
    };
    solver::choose(job.solver, &needs)
}

/// Run a prediction job with the solver it asks for ([`PredictJob::solver`], `auto` by
/// default): the one entry point of `ntk predict`. `plots` says whether the caller will draw
/// the dense path's plots (they need the dense solver).
///
/// # Errors
/// As [`choose_solver`], [`run`] and [`iterative::run`].
///
/// ```
/// use ntk::jobs::predict::{execute, KernelSource, Outcome, PredictJob};
/// let k = faer::mat![[2.0, 0.5], [0.5, 1.0]];
/// let y = faer::mat![[1.0], [-1.0]];
/// let ks = ntk::dynamics::report::KernelSet { ntk_train: Some(k.as_ref()), ..Default::default() };
/// let job = PredictJob::new(KernelSource::Given(ks), y.as_ref());
/// assert!(matches!(execute(&job, false, None)?, Outcome::Dense(..))); // auto: small n
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn execute(job: &PredictJob<'_>, plots: bool, progress: Progress<'_>) -> Result<Outcome> {
    job.validate()?;
    let choice = choose_solver(job, plots)?;
    match choice.solver {
        Solver::Iterative => Ok(Outcome::Iterative(iterative::run(job, &choice, progress)?)),
        _ => Ok(Outcome::Dense(run(job)?, choice)),
    }
}

#[cfg(test)]
mod tests;
