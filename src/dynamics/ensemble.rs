//! The infinite ensemble: the mean and covariance of the trained outputs over random
//! initialisations `f_0 ~ GP(0, K_nngp)` (Lee et al. 2019, eqs. 14-16), at every time.
//!
//! With `Theta` the training kernel (NTK, or the NNGP when only the readout is trained),
//! `Theta = V diag(lambda) V^T`, `A(t) = V diag(gain_t) V^T = Theta^{-1} (I - exp(-s Theta t))`,
//! `M(t) = Theta(x*, X) A(t)` and `P = K_nngp(X, X)` the prior covariance of `f_0(X)`:
//!
//! ```text
//! mean(x*) = M Y
//! cov(x*)  = K_nngp(x*, x*) + M P M^T - M K_nngp(X, x*) - K_nngp(x*, X) M^T
//!          = [I, -M] [[K_nngp(x*,x*), K_nngp(x*,X)], [K_nngp(X,x*), P]] [I, -M]^T   (PSD)
//! ```
//!
//! NNGP training (`Theta = P + r I`, `r` the ridge) collapses in the eigenbasis to
//!
//! ```text
//! cov(x*) = K_nngp(x*,x*) - U diag(gain (1 + decay) + r gain^2) U^T,  U = K_nngp(x*, X) V
//! ```
//!
//! which for `r = 0` is `K(x*,x*) - K(x*,X) K^{-1} (I - exp(-2 s K t)) K(X,x*)`. On the train
//! set: `mean = (I - E) Y`, `cov = E P E`, `E = V diag(decay) V^T`. At `t = infinity` a
//! positive-definite `Theta` is inverted by Cholesky, a singular one pseudo-inverted.
//! Gradient-descent steps use the same formulas with the discrete `decay`/`gain`.
//! Covariances are symmetrised, `(C + C^T) / 2`.

use super::linalg::{block, cholesky_solve, mm};
use super::spectrum::{check_finite, checked_kernel};
use super::{FlowOptions, GradientFlow, Point};
use crate::{Error, Result};
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

/// Which parameters are trained, i.e. which kernel drives the flow.
///
/// ```
/// assert_eq!(ntk::dynamics::Training::parse("nngp"), Some(ntk::dynamics::Training::Nngp));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Training {
    /// All layers: the NTK.
    #[default]
    Ntk,
    /// The readout only: the NNGP.
    Nngp,
}

impl Training {
    /// Parse `ntk` or `nngp`.
    ///
    /// ```
    /// assert!(ntk::dynamics::Training::parse("rbf").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "ntk" => Some(Training::Ntk),
            "nngp" => Some(Training::Nngp),
            _ => None,
        }
    }

    /// Lower-case name.
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Training::Ntk.name(), "ntk");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Training::Ntk => "ntk",
            Training::Nngp => "nngp",
        }
    }
}

/// Mean and covariance of the ensemble's outputs at one point.
#[derive(Clone, Debug)]
pub struct Moments {
    /// Mean, `n_points x k`.
    pub mean: Mat<f64>,
    /// Covariance between points, `n_points x n_points` (the same for every output column).
    pub cov: Mat<f64>,
}

/// Test kernels of an ensemble prediction.
#[derive(Clone, Copy, Debug)]
pub struct EnsembleTest<'a> {
    /// `NTK(x*, X)`, required for NTK training.
    pub ntk_test_train: Option<MatRef<'a, f64>>,
    /// `NNGP(x*, X)`.
    pub nngp_test_train: MatRef<'a, f64>,
    /// `NNGP(x*, x*)`.
    pub nngp_test_test: MatRef<'a, f64>,
}

/// The infinite ensemble of networks trained by MSE gradient flow from `f_0 ~ GP(0, NNGP)`.
///
/// ```
/// use ntk::dynamics::{Ensemble, EnsembleTest, FlowOptions, Point};
/// use faer::mat;
/// let nngp = mat![[1.0, 0.3], [0.3, 1.0]];
/// let ntk = mat![[2.0, 0.8], [0.8, 2.0]];
/// let y = mat![[1.0], [-1.0]];
/// let ens = Ensemble::ntk(ntk.as_ref(), nngp.as_ref(), y.as_ref(), &FlowOptions::default())?;
/// let (kt, kg, ktt) = (mat![[0.9, 0.1]], mat![[0.5, 0.2]], mat![[1.0]]);
/// let test = EnsembleTest { ntk_test_train: Some(kt.as_ref()), nngp_test_train: kg.as_ref(),
///                           nngp_test_test: ktt.as_ref() };
/// let m = ens.test(&test, &[Point::Time(0.0), Point::Time(f64::INFINITY)])?;
/// assert_eq!(m[0].mean[(0, 0)], 0.0);
/// assert_eq!(m[0].cov[(0, 0)], 1.0);    // the prior at t = 0
/// assert!(m[1].cov[(0, 0)] >= 0.0);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Ensemble {
    flow: GradientFlow,
    training: Training,
    prior: Mat<f64>,
}

impl Ensemble {
    /// NTK training: eigendecompose `ntk_train` (with the ridge); `nngp_train` is the prior
    /// covariance of `f_0(X)`.
    ///
    /// # Errors
    /// As [`GradientFlow::new`]; [`Error::Shape`] if the kernels differ in size.
    ///
    /// ```
    /// use ntk::dynamics::{Ensemble, FlowOptions};
    /// let k = faer::Mat::<f64>::identity(2, 2);
    /// let k3 = faer::Mat::<f64>::identity(3, 3);
    /// let y = faer::Mat::<f64>::zeros(2, 1);
    /// assert!(Ensemble::ntk(k.as_ref(), k3.as_ref(), y.as_ref(), &FlowOptions::default()).is_err());
    /// ```
    pub fn ntk(
        ntk_train: MatRef<'_, f64>,
        nngp_train: MatRef<'_, f64>,
        y_train: MatRef<'_, f64>,
        opts: &FlowOptions,
    ) -> Result<Self> {
        let prior = checked_kernel(nngp_train, "NNGP train kernel")?;
        if prior.nrows() != ntk_train.nrows() {
            return Err(Error::Shape(format!(
                "the NNGP train kernel is {} x {} but the NTK train kernel has {} rows",
                prior.nrows(),
                prior.ncols(),
                ntk_train.nrows()
            )));
        }
        let flow = GradientFlow::new(ntk_train, y_train, opts)?;
        Ok(Ensemble {
            flow,
            training: Training::Ntk,
            prior,
        })
    }

    /// NNGP (readout-only) training: eigendecompose `nngp_train` (with the ridge), which is
    /// also the prior.
    ///
    /// # Errors
    /// As [`GradientFlow::new`].
    ///
    /// ```
    /// use ntk::dynamics::{Ensemble, FlowOptions, Point};
    /// let k = faer::mat![[1.0, 0.5], [0.5, 1.0]];
    /// let y = faer::mat![[1.0], [2.0]];
    /// let ens = Ensemble::nngp(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
    /// let m = ens.train(&[Point::Time(f64::INFINITY)])?;
    /// assert!((m[0].mean[(1, 0)] - 2.0).abs() < 1e-14 && m[0].cov[(0, 0)].abs() < 1e-14);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn nngp(
        nngp_train: MatRef<'_, f64>,
        y_train: MatRef<'_, f64>,
        opts: &FlowOptions,
    ) -> Result<Self> {
        let prior = checked_kernel(nngp_train, "NNGP train kernel")?;
        let flow = GradientFlow::new(nngp_train, y_train, opts)?;
        Ok(Ensemble {
            flow,
            training: Training::Nngp,
            prior,
        })
    }

    /// Build from an existing flow on the training kernel (avoids a second
    /// eigendecomposition). For NTK training `nngp_train` is the prior; for NNGP training it
    /// must be the flow's kernel without ridge (pass it again).
    ///
    /// # Errors
    /// [`Error::Shape`]/[`Error::Data`] for an unusable prior.
    ///
    /// ```
    /// use ntk::dynamics::{Ensemble, FlowOptions, GradientFlow, Training};
    /// let k = faer::mat![[1.0, 0.5], [0.5, 1.0]];
    /// let y = faer::mat![[1.0], [2.0]];
    /// let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
    /// let ens = Ensemble::from_flow(flow, Training::Nngp, k.as_ref())?;
    /// assert_eq!(ens.training(), Training::Nngp);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_flow(
        flow: GradientFlow,
        training: Training,
        nngp_train: MatRef<'_, f64>,
    ) -> Result<Self> {
        let prior = checked_kernel(nngp_train, "NNGP train kernel")?;
        if prior.nrows() != flow.targets().nrows() {
            return Err(Error::Shape(format!(
                "the NNGP train kernel is {} x {} but there are {} training points",
                prior.nrows(),
                prior.ncols(),
                flow.targets().nrows()
            )));
        }
        Ok(Ensemble {
            flow,
            training,
            prior,
        })
    }

    /// The underlying flow (spectrum, diagnostics, max learning rate).
    pub fn flow(&self) -> &GradientFlow {
        &self.flow
    }

    /// Which kernel is trained.
    pub fn training(&self) -> Training {
        self.training
    }

    /// Mean and covariance on test points at each point along training.
    ///
    /// # Errors
    /// [`Error::Shape`]/[`Error::Data`] for inconsistent kernels (or a missing NTK for NTK
    /// training), [`Error::Numerical`] if a value overflows.
    ///
    /// ```
    /// use ntk::dynamics::{Ensemble, EnsembleTest, FlowOptions, Point};
    /// use faer::mat;
    /// let k = mat![[1.0, 0.2], [0.2, 1.0]];
    /// let y = mat![[1.0], [0.0]];
    /// let ens = Ensemble::nngp(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
    /// let (kx, kxx) = (mat![[1.0, 0.2]], mat![[1.0]]); // x* = the first train point
    /// let t = EnsembleTest { ntk_test_train: None, nngp_test_train: kx.as_ref(), nngp_test_test: kxx.as_ref() };
    /// let m = ens.test(&t, &[Point::Time(f64::INFINITY)])?;
    /// assert!((m[0].mean[(0, 0)] - 1.0).abs() < 1e-14);  // interpolates
    /// assert!(m[0].cov[(0, 0)].abs() < 1e-14);          // no posterior variance there
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn test(&self, t: &EnsembleTest<'_>, points: &[Point]) -> Result<Vec<Moments>> {
        for p in points {
            p.validate()?;
        }
        let n = self.prior.nrows();
        let k = self.flow.targets().ncols();
        let nt = t.nngp_test_test.nrows();
        let par = self.flow.par();
        check_cross(t.nngp_test_train, nt, n, "NNGP(x*, X)")?;
        if t.nngp_test_test.ncols() != nt {
            return Err(Error::Shape(format!(
                "NNGP(x*, x*) must be square, got {} x {}",
                nt,
                t.nngp_test_test.ncols()
            )));
        }
        check_finite(t.nngp_test_test, "NNGP(x*, x*)")?;
        let theta_tx = match self.training {
            Training::Nngp => t.nngp_test_train,
            Training::Ntk => {
                let m = t.ntk_test_train.ok_or_else(|| {
                    Error::Shape("NTK training needs the test-train NTK K_ntk(x*, X)".into())
                })?;
                check_cross(m, nt, n, "NTK(x*, X)")?;
                m
            }
        };
        let v = self.flow.spectrum().eigenvectors();
        let y = self.flow.targets();
        let kss = sym(t.nngp_test_test);
        let factors: Vec<(Vec<f64>, Vec<f64>)> =
            points.iter().map(|&p| self.flow.factors(p)).collect();
        let gains: Vec<Vec<f64>> = factors.iter().map(|(_, g)| g.clone()).collect();
        // means, batched over points
        let cy = mm(v.transpose(), y, par);
        let w = mm(theta_tx, v, par); // Theta(x*, X) V
        let means = mm(
            w.as_ref(),
            GradientFlow::scaled_blocks(cy.as_ref(), &gains).as_ref(),
            par,
        );
        // M at t = inf by Cholesky, when positive definite
        let m_inf = match (
            self.flow.cholesky_factor(),
            points.iter().any(Point::is_infinite),
        ) {
            (Some(l), true) => Some(
                cholesky_solve(l, theta_tx.transpose(), par)
                    .transpose()
                    .to_owned(),
            ),
            _ => None,
        };
        let ridge = self.flow.diagnostics().ridge;
        let h = match self.training {
            Training::Ntk => Some(mm(v.transpose(), t.nngp_test_train.transpose(), par)), // V^T K(X, x*)
            Training::Nngp => None,
        };
        let mut out = Vec::with_capacity(points.len());
        for (pi, p) in points.iter().enumerate() {
            let (decay, gain) = &factors[pi];
            let inf_chol = p.is_infinite() && m_inf.is_some();
            let mean = match (&m_inf, inf_chol) {
                (Some(m), true) => mm(m.as_ref(), y, par),
                _ => block(means.as_ref(), pi, k),
            };
            let cov = match (self.training, &m_inf, inf_chol) {
                (Training::Ntk, Some(m), true) => {
                    let mp = mm(m.as_ref(), self.prior.as_ref(), par);
                    let a = mm(mp.as_ref(), m.transpose(), par);
                    let c = mm(m.as_ref(), t.nngp_test_train.transpose(), par);
                    Mat::from_fn(nt, nt, |i, j| {
                        kss[(i, j)] + a[(i, j)] - c[(i, j)] - c[(j, i)]
                    })
                }
                (Training::Ntk, _, _) => {
                    // M = W diag(gain) V^T
                    let wg = Mat::from_fn(nt, n, |i, j| w[(i, j)] * gain[j]);
                    let m = mm(wg.as_ref(), v.transpose(), par);
                    let mp = mm(m.as_ref(), self.prior.as_ref(), par);
                    let a = mm(mp.as_ref(), m.transpose(), par);
                    let c = match &h {
                        Some(h) => mm(wg.as_ref(), h.as_ref(), par),
                        None => Mat::zeros(nt, nt),
                    };
                    Mat::from_fn(nt, nt, |i, j| {
                        kss[(i, j)] + a[(i, j)] - c[(i, j)] - c[(j, i)]
                    })
                }
                (Training::Nngp, Some(_), true) => {
                    // K** - K*X (K + r)^{-1} (K + 2r) (K + r)^{-1} KX*
                    let l = self
                        .flow
                        .cholesky_factor()
                        .ok_or_else(|| Error::Numerical("missing Cholesky factor".into()))?;
                    let z = cholesky_solve(l, t.nngp_test_train.transpose(), par); // (K+r)^{-1} KX*
                    let a = mm(t.nngp_test_train, z.as_ref(), par);
                    let b = mm(z.transpose(), z.as_ref(), par);
                    Mat::from_fn(nt, nt, |i, j| kss[(i, j)] - a[(i, j)] - ridge * b[(i, j)])
                }
                (Training::Nngp, _, _) => {
                    let coef: Vec<f64> = gain
                        .iter()
                        .zip(decay)
                        .map(|(&g, &e)| g * (1.0 + e) + ridge * g * g)
                        .collect();
                    let uc = Mat::from_fn(nt, n, |i, j| w[(i, j)] * coef[j]);
                    let a = mm(uc.as_ref(), w.transpose(), par);
                    Mat::from_fn(nt, nt, |i, j| kss[(i, j)] - a[(i, j)])
                }
            };
            out.push(Moments {
                mean,
                cov: sym(cov.as_ref()),
            });
        }
        check_moments(&out)?;
        Ok(out)
    }

    /// Mean and covariance on the training points: `mean = (I - E) Y`, `cov = E P E`.
    ///
    /// # Errors
    /// [`Error::Numerical`] if a value overflows.
    ///
    /// ```
    /// use ntk::dynamics::{Ensemble, FlowOptions, Point};
    /// let k = faer::mat![[1.0, 0.0], [0.0, 2.0]];
    /// let y = faer::mat![[1.0], [1.0]];
    /// let ens = Ensemble::nngp(k.as_ref(), y.as_ref(), &FlowOptions::default())?;
    /// let m = ens.train(&[Point::Time(0.0)])?;
    /// assert_eq!(m[0].cov[(1, 1)], 2.0); // the prior
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn train(&self, points: &[Point]) -> Result<Vec<Moments>> {
        for p in points {
            p.validate()?;
        }
        let n = self.prior.nrows();
        let par = self.flow.par();
        let v = self.flow.spectrum().eigenvectors();
        let y = self.flow.targets();
        let g = mm(mm(v.transpose(), self.prior.as_ref(), par).as_ref(), v, par); // V^T P V
        let cy = mm(v.transpose(), y, par);
        let mut out = Vec::with_capacity(points.len());
        for &p in points {
            let (decay, _) = self.flow.factors(p);
            let chol_inf = p.is_infinite() && self.flow.cholesky_factor().is_some();
            let mean = if chol_inf {
                y.to_owned()
            } else {
                let c = Mat::from_fn(n, y.ncols(), |i, j| (1.0 - decay[i]) * cy[(i, j)]);
                mm(v, c.as_ref(), par)
            };
            let cov = if chol_inf {
                Mat::zeros(n, n)
            } else {
                let ge = Mat::from_fn(n, n, |i, j| decay[i] * g[(i, j)] * decay[j]);
                mm(mm(v, ge.as_ref(), par).as_ref(), v.transpose(), par)
            };
            out.push(Moments {
                mean,
                cov: sym(cov.as_ref()),
            });
        }
        check_moments(&out)?;
        Ok(out)
    }
}

fn check_cross(m: MatRef<'_, f64>, nt: usize, n: usize, name: &str) -> Result<()> {
    if m.nrows() != nt || m.ncols() != n {
        return Err(Error::Shape(format!(
            "{name} is {} x {} but should be {nt} x {n} (test points x training points)",
            m.nrows(),
            m.ncols()
        )));
    }
    check_finite(m, name)
}

fn sym(m: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| 0.5 * (m[(i, j)] + m[(j, i)]))
}

fn check_moments(ms: &[Moments]) -> Result<()> {
    let finite =
        |m: &Mat<f64>| (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()));
    if ms.iter().all(|m| finite(&m.mean) && finite(&m.cov)) {
        Ok(())
    } else {
        Err(Error::Numerical(
            "ensemble moments overflowed: gradient descent above the stable learning rate diverges"
                .into(),
        ))
    }
}
