//! Gradient flow (and gradient descent) of a linearised network under MSE, from one
//! eigendecomposition of the training kernel `K = V diag(lambda) V^T`:
//!
//! ```text
//! d(t)       = f_t(X) - Y = V diag(decay) V^T d(0)
//! f_t(X)     = Y + V diag(decay) V^T (f_0(X) - Y)
//! f_t(x*)    = f_0(x*) - K(x*, X) V diag(gain) V^T (f_0(X) - Y)
//! r_t        = V^T d(t)                               (residual in each eigenmode)
//! loss       = 1/2 ||f - Y||^2  or  1/(2N) ||f - Y||^2
//! ```
//!
//! `decay`/`gain` are [`flow_decay`]/[`flow_gain`] at a time and [`gd_decay`]/[`gd_gain`]
//! after a number of steps. At `t = infinity`, when `K` is numerically positive definite,
//! `f(X) = Y` and `f(x*) = f_0(x*) - K(x*, X) K^{-1} d(0)` by a Cholesky solve; when `K` is
//! singular the eigenbasis gives the pseudo-inverse limit: null modes (`lambda <= cutoff`,
//! see [`Spectrum`]) keep their residual and contribute nothing to `f(x*)`. Null modes are
//! treated as `lambda = 0` exactly at every finite time too (`decay = 1`, `gain = s t`), so
//! the train loss is non-increasing all the way to infinity.
//!
//! All time points are evaluated together: `c = V^T d(0)` once, then one GEMM
//! `V [diag(decay_p) c]_p` for the train outputs and `K(x*, X) (V [diag(gain_p) c]_p)` for
//! the test outputs, so the cost beyond the eigendecomposition is `O(n^2 k P + n* n k P)`.

use super::discrete::{gd_decay, gd_gain, stability_warning};
use super::linalg::{block, cholesky, cholesky_solve, mm};
use super::spectral::{flow_decay, flow_gain};
use super::spectrum::{check_finite, checked_kernel};
use super::{Diagnostics, FlowOptions, Point, Spectrum};
use crate::{Error, Result};
use faer::{Mat, MatRef, Par};
use serde::Serialize;

/// How `t = infinity` is computed.
///
/// ```
/// assert_eq!(serde_json::to_string(&ntk::dynamics::InfMethod::Cholesky).unwrap(), r#""cholesky""#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InfMethod {
    /// `K` positive definite: Cholesky solve.
    Cholesky,
    /// `K` singular: pseudo-inverse in the eigenbasis (null modes are never learned).
    PseudoInverse,
}

/// Test-set inputs of a prediction.
///
/// ```
/// let k = faer::Mat::<f64>::zeros(3, 4);
/// let t = ntk::dynamics::TestData::new(k.as_ref());
/// assert!(t.f0_test.is_none() && t.y_test.is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TestData<'a> {
    /// `K(x*, X)`, `n_test x n_train` (same kernel as the training one: NTK or NNGP).
    pub k_test_train: MatRef<'a, f64>,
    /// Initial test outputs `f_0(x*)`, `n_test x k` (`None` = zeros).
    pub f0_test: Option<MatRef<'a, f64>>,
    /// Test targets, `n_test x k`, for the test loss.
    pub y_test: Option<MatRef<'a, f64>>,
}

impl<'a> TestData<'a> {
    /// Test data with zero initial outputs and no targets.
    pub fn new(k_test_train: MatRef<'a, f64>) -> Self {
        TestData {
            k_test_train,
            f0_test: None,
            y_test: None,
        }
    }
}

/// Predicted outputs and losses at each requested point.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The points, as requested.
    pub points: Vec<Point>,
    /// Train outputs per point, each `n_train x k`.
    pub fx_train: Vec<Mat<f64>>,
    /// Test outputs per point, each `n_test x k` (if test data was given).
    pub fx_test: Option<Vec<Mat<f64>>>,
    /// Train loss per point (in the chosen convention).
    pub loss_train: Vec<f64>,
    /// Test loss per point (if test targets were given).
    pub loss_test: Option<Vec<f64>>,
    /// Per point, the residual norm `||(V^T d)_m||` of each eigenmode `m` over the `k`
    /// outputs, modes ordered by *decreasing* eigenvalue (mode 0 is learned first).
    pub mode_residual: Vec<Vec<f64>>,
    /// How `t = infinity` was computed (if requested).
    pub inf_method: Option<InfMethod>,
    /// Spectrum diagnostics of the training kernel (eigenvalue range, condition number,
    /// clipped negative eigenvalues, null modes).
    pub diagnostics: Diagnostics,
    /// Warnings (unstable learning rate, singular kernel, clipped negative eigenvalues).
    pub warnings: Vec<String>,
}

/// Closed-form MSE gradient flow / gradient descent of a kernel machine, from one
/// eigendecomposition of the (NTK or NNGP) training kernel.
///
/// ```
/// use ntk::dynamics::{FlowOptions, GradientFlow, Point, TestData};
/// use faer::mat;
/// let k = mat![[2.0, 0.5, 0.1], [0.5, 1.5, 0.3], [0.1, 0.3, 1.0]];
/// let y = mat![[1.0], [-1.0], [0.5]];
/// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
/// let kt = mat![[0.4, 0.2, 0.1]];
/// let pts = Point::parse_times("0,1,inf")?;
/// let p = flow.predict(None, Some(TestData::new(kt.as_ref())), &pts)?;
/// assert_eq!(p.fx_train[0][(0, 0)], 0.0);                   // f_0 = 0
/// assert!((p.fx_train[2][(1, 0)] + 1.0).abs() < 1e-14);     // t = inf fits Y
/// assert!(p.loss_train[1] < p.loss_train[0]);
/// assert!(p.fx_test.as_ref().unwrap()[2][(0, 0)].is_finite());
/// assert_eq!(p.diagnostics.negative_clipped, 0);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GradientFlow {
    spectrum: Spectrum,
    /// `K_reg`, kept for the Cholesky factorisation at t = inf (only when not singular).
    k_reg: Option<Mat<f64>>,
    /// The lower Cholesky factor, computed on first use (`None` inside: not PD).
    chol: std::sync::OnceLock<Option<Mat<f64>>>,
    y: Mat<f64>,
    opts: FlowOptions,
    rate: f64,
    max_lr: Option<f64>,
    warnings: Vec<String>,
}

impl GradientFlow {
    /// Eigendecompose the training kernel `k_train` (`n x n`, with the ridge of `opts`) for
    /// targets `y_train` (`n x k`). When it is positive definite it is Cholesky-factored the
    /// first time `t = inf` is requested.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for bad options, [`Error::Shape`]/[`Error::Data`] for
    /// inconsistent or non-finite inputs, [`Error::Numerical`] if the eigendecomposition fails.
    ///
    /// ```
    /// use ntk::dynamics::{FlowOptions, GradientFlow};
    /// let k = faer::Mat::<f64>::identity(2, 2);
    /// let y = faer::Mat::<f64>::zeros(3, 1);
    /// assert!(GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default()).is_err());
    /// ```
    pub fn new(
        k_train: MatRef<'_, f64>,
        y_train: MatRef<'_, f64>,
        opts: &FlowOptions,
    ) -> Result<Self> {
        opts.validate()?;
        let mut a = checked_kernel(k_train, "training kernel")?;
        let n = a.nrows();
        check_targets(y_train, n, "y_train", "training points")?;
        let ridge = opts.ridge.amount(a.as_ref())?;
        for i in 0..n {
            a[(i, i)] += ridge;
        }
        let par = opts.par();
        let spectrum = Spectrum::of_symmetric(a.as_ref(), ridge, par)?;
        let k_reg = if spectrum.is_singular() {
            None
        } else {
            Some(a)
        };
        let n_out = n * y_train.ncols();
        let rate = opts.loss.effective_rate(opts.learning_rate, n_out);
        let d = spectrum.diagnostics();
        let max_lr = opts.loss.max_learning_rate(d.max_eigenvalue, n_out)?;
        let mut warnings = Vec::new();
        if d.negative_clipped > 0 && -d.min_eigenvalue > d.cutoff {
            warnings.push(format!(
                "the training kernel is not positive semi-definite: {} negative eigenvalue(s), \
                 the most negative {:.3e} (lambda_max {:.3e}); clipped to 0. Check the kernel, \
                 or add a ridge (--diag-reg)",
                d.negative_clipped, d.min_eigenvalue, d.max_eigenvalue
            ));
        }
        Ok(GradientFlow {
            spectrum,
            k_reg,
            chol: std::sync::OnceLock::new(),
            y: y_train.to_owned(),
            opts: *opts,
            rate,
            max_lr,
            warnings,
        })
    }

    /// The eigendecomposition.
    pub fn spectrum(&self) -> &Spectrum {
        &self.spectrum
    }

    /// Spectrum diagnostics.
    pub fn diagnostics(&self) -> &Diagnostics {
        self.spectrum.diagnostics()
    }

    /// The options.
    pub fn options(&self) -> &FlowOptions {
        &self.opts
    }

    /// The effective rate `s` (`eta` or `eta / N`).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Train targets `Y`.
    pub fn targets(&self) -> MatRef<'_, f64> {
        self.y.as_ref()
    }

    /// The largest stable gradient-descent learning rate for the chosen loss
    /// (`None` = unbounded: the kernel is zero).
    pub fn max_learning_rate(&self) -> Option<f64> {
        self.max_lr
    }

    /// How `t = infinity` is computed (factors `K` by Cholesky on first call if needed).
    pub fn inf_method(&self) -> InfMethod {
        if self.cholesky_factor().is_some() {
            InfMethod::Cholesky
        } else {
            InfMethod::PseudoInverse
        }
    }

    /// Warnings found at construction (e.g. clipped negative eigenvalues).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub(crate) fn par(&self) -> Par {
        self.opts.par()
    }

    /// The lower Cholesky factor of `K_reg` when positive definite (computed once, lazily).
    pub(crate) fn cholesky_factor(&self) -> Option<MatRef<'_, f64>> {
        let l = self.chol.get_or_init(|| {
            let a = self.k_reg.as_ref()?;
            cholesky(a.as_ref(), self.par()).ok().flatten()
        });
        l.as_ref().map(|l| l.as_ref())
    }

    /// Per-mode `(decay, gain)` at `p` (modes in the spectrum's ascending order).
    pub(crate) fn factors(&self, p: Point) -> (Vec<f64>, Vec<f64>) {
        let s = self.rate;
        let lam = self.spectrum.eigenvalues();
        let mut decay = Vec::with_capacity(lam.len());
        let mut gain = Vec::with_capacity(lam.len());
        for (i, &l) in lam.iter().enumerate() {
            // eigenvalues <= cutoff are indistinguishable from 0: treated as exactly 0 at
            // every time, so that finite times agree with the pseudo-inverse at infinity
            let l = if self.spectrum.is_null(i) { 0.0 } else { l };
            let (dk, g) = match p {
                Point::Time(t) if t.is_infinite() => {
                    if self.spectrum.is_null(i) {
                        (1.0, 0.0)
                    } else {
                        (0.0, 1.0 / l)
                    }
                }
                Point::Time(t) => (flow_decay(l, s, t), flow_gain(l, s, t)),
                Point::Steps(k) => (gd_decay(l, s, k), gd_gain(l, s, k)),
            };
            decay.push(dk);
            gain.push(g);
        }
        (decay, gain)
    }

    /// `[diag(f_p) c]_p` stacked horizontally (`n x (k P)`).
    pub(crate) fn scaled_blocks(c: MatRef<'_, f64>, fs: &[Vec<f64>]) -> Mat<f64> {
        let (n, k) = (c.nrows(), c.ncols());
        Mat::from_fn(n, k * fs.len(), |i, j| {
            fs[j / k.max(1)][i] * c[(i, j % k.max(1))]
        })
    }

    /// Warnings that apply to a request for `points`.
    pub(crate) fn point_warnings(&self, points: &[Point]) -> Vec<String> {
        let mut w = self.warnings.clone();
        if points.iter().any(|p| matches!(p, Point::Steps(_))) {
            if let Some(msg) = stability_warning(
                self.rate,
                self.diagnostics().max_eigenvalue,
                self.opts.learning_rate,
                self.max_lr,
            ) {
                w.push(msg);
            }
        }
        if points.iter().any(Point::is_infinite) && self.cholesky_factor().is_none() {
            let d = self.diagnostics();
            w.push(format!(
                "the training kernel is singular ({} of {} eigenvalues <= {:.3e} = n eps lambda_max): \
                 t = inf uses the pseudo-inverse; the residual in those modes is never learned. \
                 A ridge (--diag-reg) makes K positive definite",
                d.null_modes, d.n, d.cutoff
            ));
        }
        w
    }

    /// Train (and test) outputs, losses and per-mode residuals at each point, from the
    /// initial train outputs `f0_train` (`n x k`, `None` = zeros).
    ///
    /// # Errors
    /// [`Error::Shape`]/[`Error::Data`] for inconsistent or non-finite inputs,
    /// [`Error::InvalidParameter`] for a negative or NaN time, [`Error::Numerical`] if an
    /// output overflows (gradient descent above the stable learning rate).
    ///
    /// ```
    /// use ntk::dynamics::{FlowOptions, GradientFlow, Point};
    /// let k = faer::mat![[1.0, 0.0], [0.0, 4.0]];
    /// let y = faer::mat![[1.0], [1.0]];
    /// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
    /// let p = flow.predict(None, None, &[Point::Time(1.0), Point::Steps(1)])?;
    /// // mode lambda = 4 is learned faster: f_1 = 1 - exp(-4)
    /// assert!((p.fx_train[0][(1, 0)] - (1.0 - (-4.0f64).exp())).abs() < 1e-15);
    /// // one GD step with eta = 1 on lambda = 4: d = (1 - 4) d0 = 3, f = 1 + 3 = 4 (unstable)
    /// assert!((p.fx_train[1][(1, 0)] - 4.0).abs() < 1e-14);
    /// assert!(!p.warnings.is_empty());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn predict(
        &self,
        f0_train: Option<MatRef<'_, f64>>,
        test: Option<TestData<'_>>,
        points: &[Point],
    ) -> Result<Prediction> {
        for p in points {
            p.validate()?;
        }
        let n = self.y.nrows();
        let k = self.y.ncols();
        let par = self.par();
        let d0 = self.initial_residual(f0_train)?;
        let chol = if points.iter().any(Point::is_infinite) {
            self.cholesky_factor()
        } else {
            None
        };
        if let Some(t) = &test {
            self.check_test(t)?;
        }
        let v = self.spectrum.eigenvectors();
        let c0 = mm(v.transpose(), d0.as_ref(), par);
        let (decays, gains): (Vec<_>, Vec<_>) = points.iter().map(|&p| self.factors(p)).unzip();

        // train outputs
        let cd = Self::scaled_blocks(c0.as_ref(), &decays);
        let fd = mm(v, cd.as_ref(), par);
        let mut fx_train = Vec::with_capacity(points.len());
        for (pi, p) in points.iter().enumerate() {
            let f = if p.as_time() == 0.0 {
                f0_train.map_or_else(|| Mat::zeros(n, k), |f| f.to_owned()) // f_0 exactly
            } else if p.is_infinite() && chol.is_some() {
                self.y.clone() // exactly Y when K is positive definite
            } else {
                &self.y + block(fd.as_ref(), pi, k)
            };
            fx_train.push(f);
        }
        let mode_residual = points
            .iter()
            .enumerate()
            .map(|(pi, _)| {
                (0..n)
                    .rev()
                    .map(|m| {
                        (0..k)
                            .map(|j| cd[(m, pi * k + j)].powi(2))
                            .sum::<f64>()
                            .sqrt()
                    })
                    .collect()
            })
            .collect();

        // test outputs
        let fx_test = match &test {
            None => None,
            Some(t) => {
                let cg = Self::scaled_blocks(c0.as_ref(), &gains);
                let z = mm(v, cg.as_ref(), par);
                let moved = mm(t.k_test_train, z.as_ref(), par);
                let alpha_inf = chol.map(|l| {
                    mm(
                        t.k_test_train,
                        cholesky_solve(l, d0.as_ref(), par).as_ref(),
                        par,
                    )
                });
                let nt = t.k_test_train.nrows();
                let f0t = t
                    .f0_test
                    .map_or_else(|| Mat::zeros(nt, k), |f| f.to_owned());
                let mut out = Vec::with_capacity(points.len());
                for (pi, p) in points.iter().enumerate() {
                    let shift = match (&alpha_inf, p.is_infinite()) {
                        (Some(a), true) => a.clone(),
                        _ => block(moved.as_ref(), pi, k),
                    };
                    out.push(&f0t - shift);
                }
                Some(out)
            }
        };

        let loss = self.opts.loss;
        let loss_train = fx_train
            .iter()
            .map(|f| loss.value(residual_iter(f.as_ref(), self.y.as_ref()), n * k))
            .collect();
        let loss_test = match (&test, &fx_test) {
            (
                Some(TestData {
                    y_test: Some(yt), ..
                }),
                Some(fs),
            ) => Some(
                fs.iter()
                    .map(|f| loss.value(residual_iter(f.as_ref(), *yt), yt.nrows() * k))
                    .collect(),
            ),
            _ => None,
        };
        let pred = Prediction {
            points: points.to_vec(),
            fx_train,
            fx_test,
            loss_train,
            loss_test,
            mode_residual,
            inf_method: points
                .iter()
                .any(Point::is_infinite)
                .then(|| self.inf_method()),
            diagnostics: self.diagnostics().clone(),
            warnings: self.point_warnings(points),
        };
        self.check_prediction(&pred)?;
        Ok(pred)
    }

    /// `f_0(X) - Y`, checking the shape.
    pub(crate) fn initial_residual(&self, f0_train: Option<MatRef<'_, f64>>) -> Result<Mat<f64>> {
        match f0_train {
            None => Ok(-&self.y),
            Some(f0) => {
                if f0.nrows() != self.y.nrows() || f0.ncols() != self.y.ncols() {
                    return Err(Error::Shape(format!(
                        "f0_train is {} x {} but y_train is {} x {}: initial outputs need one row \
                         per training point and one column per output",
                        f0.nrows(),
                        f0.ncols(),
                        self.y.nrows(),
                        self.y.ncols()
                    )));
                }
                check_finite(f0, "f0_train")?;
                Ok(f0 - &self.y)
            }
        }
    }

    fn check_test(&self, t: &TestData<'_>) -> Result<()> {
        let (n, k) = (self.y.nrows(), self.y.ncols());
        let nt = t.k_test_train.nrows();
        if t.k_test_train.ncols() != n {
            return Err(Error::Shape(format!(
                "K(x*, X) is {} x {} but there are {n} training points: pass the test-train \
                 kernel (n_test x n_train)",
                nt,
                t.k_test_train.ncols()
            )));
        }
        check_finite(t.k_test_train, "K(x*, X)")?;
        for (m, name) in [(t.f0_test, "f0_test"), (t.y_test, "y_test")] {
            if let Some(m) = m {
                if m.nrows() != nt || m.ncols() != k {
                    return Err(Error::Shape(format!(
                        "{name} is {} x {} but should be {nt} x {k} (test points x outputs)",
                        m.nrows(),
                        m.ncols()
                    )));
                }
                check_finite(m, name)?;
            }
        }
        Ok(())
    }

    fn check_prediction(&self, p: &Prediction) -> Result<()> {
        let bad = p
            .fx_train
            .iter()
            .chain(p.fx_test.iter().flatten())
            .any(|m| (0..m.ncols()).any(|j| (0..m.nrows()).any(|i| !m[(i, j)].is_finite())))
            || p.loss_train
                .iter()
                .chain(p.loss_test.iter().flatten())
                .any(|l| !l.is_finite());
        if bad {
            let hint = match self.max_lr {
                Some(m) if self.opts.learning_rate >= m => format!(
                    ": gradient descent diverged (learning rate {} >= largest stable {m:.6}); \
                     use a smaller --lr or fewer steps",
                    self.opts.learning_rate
                ),
                _ => String::new(),
            };
            return Err(Error::Numerical(format!(
                "predicted outputs overflowed to infinity{hint}"
            )));
        }
        Ok(())
    }
}

/// Check targets: `n x k`, `k >= 1`, finite.
pub(crate) fn check_targets(y: MatRef<'_, f64>, n: usize, name: &str, what: &str) -> Result<()> {
    if y.nrows() != n {
        return Err(Error::Shape(format!(
            "{name} has {} rows but there are {n} {what} (kernel size)",
            y.nrows()
        )));
    }
    if y.ncols() == 0 {
        return Err(Error::Data(format!(
            "{name} has no columns: give at least one output per point"
        )));
    }
    check_finite(y, name)
}

fn residual_iter<'a>(f: MatRef<'a, f64>, y: MatRef<'a, f64>) -> impl Iterator<Item = f64> + 'a {
    (0..f.ncols()).flat_map(move |j| (0..f.nrows()).map(move |i| f[(i, j)] - y[(i, j)]))
}
