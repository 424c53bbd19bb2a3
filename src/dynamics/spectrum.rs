//! One symmetric eigendecomposition of the (ridge-regularised) training kernel, with the
//! diagnostics reported alongside every result.
//!
//! ```text
//! K_reg = (K + K^T)/2 + r I = V diag(lambda_raw) V^T          (faer self_adjoint_evd)
//! lambda = max(lambda_raw, 0)                                 (negative eigenvalues clipped)
//! cutoff = n * eps * lambda_max                               (LAPACK's rcond convention)
//! null modes: lambda <= cutoff (treated as never learned at t = infinity: pseudo-inverse)
//! condition number = lambda_max / lambda_min  (+infinity when lambda_min <= 0)
//! ```
//!
//! `K` must be square, finite and symmetric to `1e-8 * max|K|`; the symmetric part is used.

use crate::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Mat, MatRef, Par};
use serde::Serialize;

/// Relative asymmetry `max|K - K^T| / max|K|` above which a kernel is rejected.
pub const SYMMETRY_TOL: f64 = 1e-8;

/// Diagnostics of the training kernel's spectrum.
///
/// ```
/// use ntk::dynamics::Spectrum;
/// let k = faer::mat![[2.0, 0.0], [0.0, 0.5]];
/// let d = Spectrum::new(k.as_ref(), 0.0, faer::Par::Seq)?.diagnostics().clone();
/// assert_eq!((d.min_eigenvalue, d.max_eigenvalue, d.condition_number), (0.5, 2.0, 4.0));
/// assert_eq!(d.negative_clipped, 0);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Number of training points `n`.
    pub n: usize,
    /// Smallest eigenvalue of `K_reg` before clipping.
    pub min_eigenvalue: f64,
    /// Largest eigenvalue of `K_reg`.
    pub max_eigenvalue: f64,
    /// `lambda_max / lambda_min` after clipping; `+infinity` if `lambda_min <= 0`.
    #[serde(serialize_with = "crate::dynamics::ser::f64_or_inf")]
    pub condition_number: f64,
    /// Number of negative eigenvalues clipped to 0.
    pub negative_clipped: usize,
    /// Number of (clipped) eigenvalues `<= cutoff`: never learned, pseudo-inverted at t = inf.
    pub null_modes: usize,
    /// `n * eps * lambda_max`.
    pub cutoff: f64,
    /// The absolute ridge `r` added to the diagonal.
    pub ridge: f64,
}

/// The eigendecomposition `K_reg = V diag(lambda) V^T`, eigenvalues ascending and clipped
/// at 0.
///
/// ```
/// use ntk::dynamics::Spectrum;
/// let k = faer::mat![[2.0, 1.0], [1.0, 2.0]];
/// let s = Spectrum::new(k.as_ref(), 0.0, faer::Par::Seq)?;
/// assert!((s.eigenvalues()[0] - 1.0).abs() < 1e-15 && (s.eigenvalues()[1] - 3.0).abs() < 1e-15);
/// assert!(!s.is_singular());
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Spectrum {
    values: Vec<f64>,
    vectors: Mat<f64>,
    diagnostics: Diagnostics,
}

impl Spectrum {
    /// Check `k` ([`checked_kernel`]), add the absolute ridge `ridge`, and eigendecompose.
    ///
    /// # Errors
    /// [`Error::Shape`]/[`Error::Data`] for an unusable kernel, [`Error::Memory`] if the
    /// workspace cannot be allocated, [`Error::Numerical`] if the decomposition fails.
    ///
    /// ```
    /// let k = faer::mat![[1.0, 2.0], [0.0, 1.0]]; // not symmetric
    /// assert!(ntk::dynamics::Spectrum::new(k.as_ref(), 0.0, faer::Par::Seq).is_err());
    /// ```
    pub fn new(k: MatRef<'_, f64>, ridge: f64, par: Par) -> Result<Self> {
        let mut a = checked_kernel(k, "training kernel")?;
        if !ridge.is_finite() || ridge < 0.0 {
            return Err(Error::param(
                "diag_reg",
                format!("must be a finite number >= 0, got {ridge}"),
            ));
        }
        for i in 0..a.nrows() {
            a[(i, i)] += ridge;
        }
        Self::of_symmetric(a.as_ref(), ridge, par)
    }

    /// Eigendecompose an already checked, symmetric, regularised kernel.
    pub(crate) fn of_symmetric(a: MatRef<'_, f64>, ridge: f64, par: Par) -> Result<Self> {
        let n = a.nrows();
        let (values_raw, vectors) = symmetric_evd(a, par)?;
        let max = values_raw.last().copied().unwrap_or(0.0);
        let min = values_raw.first().copied().unwrap_or(0.0);
        let cutoff = n as f64 * f64::EPSILON * max.max(0.0);
        let negative_clipped = values_raw.iter().filter(|&&l| l < 0.0).count();
        let values: Vec<f64> = values_raw.iter().map(|&l| l.max(0.0)).collect();
        let null_modes = values.iter().filter(|&&l| l <= cutoff).count();
        let condition_number = if min > 0.0 { max / min } else { f64::INFINITY };
        Ok(Spectrum {
            values,
            vectors,
            diagnostics: Diagnostics {
                n,
                min_eigenvalue: min,
                max_eigenvalue: max,
                condition_number,
                negative_clipped,
                null_modes,
                cutoff,
                ridge,
            },
        })
    }

    /// Eigenvalues, ascending, clipped at 0.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.values
    }

    /// Orthonormal eigenvectors (columns, same order as [`Spectrum::eigenvalues`]).
    pub fn eigenvectors(&self) -> MatRef<'_, f64> {
        self.vectors.as_ref()
    }

    /// The diagnostics.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Is mode `i` a null mode (`lambda_i <= cutoff`)?
    pub fn is_null(&self, i: usize) -> bool {
        self.values[i] <= self.diagnostics.cutoff
    }

    /// Does the kernel have null modes (numerically singular)?
    pub fn is_singular(&self) -> bool {
        self.diagnostics.null_modes > 0
    }

    /// Number of modes `n`.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Is the kernel empty (never true for a constructed spectrum)?
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Eigenvalues (ascending) and eigenvectors of the symmetric matrix `a` (lower triangle read),
/// with explicit parallelism.
pub(crate) fn symmetric_evd(a: MatRef<'_, f64>, par: Par) -> Result<(Vec<f64>, Mat<f64>)> {
    use faer::linalg::evd;
    let n = a.nrows();
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let req = evd::self_adjoint_evd_scratch::<f64>(
        n,
        evd::ComputeEigenvectors::Yes,
        par,
        Default::default(),
    );
    let mut buf = MemBuffer::try_new(req).map_err(|_| {
        Error::Memory(format!(
            "cannot allocate the eigendecomposition workspace for n = {n}"
        ))
    })?;
    evd::self_adjoint_evd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|e| {
        Error::Numerical(format!(
            "eigendecomposition of the {n} x {n} kernel failed: {e:?}"
        ))
    })?;
    let values: Vec<f64> = (0..n).map(|i| s[i]).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numerical(
            "the kernel's eigendecomposition produced non-finite values".into(),
        ));
    }
    Ok((values, u))
}

/// Validate a kernel matrix (square, non-empty, finite, symmetric to [`SYMMETRY_TOL`]) and
/// return its symmetric part `(K + K^T) / 2`. `what` names it in error messages.
///
/// # Errors
/// [`Error::Shape`] if not square, [`Error::Data`] if empty, non-finite or not symmetric.
///
/// ```
/// let k = faer::mat![[1.0, 0.5], [0.5, f64::NAN]];
/// let e = ntk::dynamics::spectrum::checked_kernel(k.as_ref(), "K").unwrap_err();
/// assert!(e.to_string().contains("not finite"));
/// ```
pub fn checked_kernel(k: MatRef<'_, f64>, what: &str) -> Result<Mat<f64>> {
    check_symmetric(k, what)?;
    let n = k.nrows();
    Ok(Mat::from_fn(n, n, |i, j| 0.5 * (k[(i, j)] + k[(j, i)])))
}

/// Check that `k` is square, non-empty, finite and symmetric to [`SYMMETRY_TOL`], without
/// copying it.
///
/// # Errors
/// As [`checked_kernel`].
///
/// ```
/// let k = faer::mat![[1.0, 0.5], [0.4, 1.0]];
/// assert!(ntk::dynamics::spectrum::check_symmetric(k.as_ref(), "K").is_err());
/// ```
pub fn check_symmetric(k: MatRef<'_, f64>, what: &str) -> Result<()> {
    let n = k.nrows();
    if k.ncols() != n {
        return Err(Error::Shape(format!(
            "{what} must be square (n x n, the kernel of the training points with themselves), got {} x {}",
            n,
            k.ncols()
        )));
    }
    if n == 0 {
        return Err(Error::Data(format!(
            "{what} is empty: at least one training point is needed"
        )));
    }
    check_finite(k, what)?;
    let mut scale = 0.0f64;
    let mut asym = 0.0f64;
    for j in 0..n {
        for i in 0..n {
            scale = scale.max(k[(i, j)].abs());
            asym = asym.max((k[(i, j)] - k[(j, i)]).abs());
        }
    }
    if asym > SYMMETRY_TOL * scale {
        return Err(Error::Data(format!(
            "{what} is not symmetric (max |K - K^T| = {asym:.3e}, max |K| = {scale:.3e}): \
             pass the train-train kernel K(X, X), not a cross kernel"
        )));
    }
    Ok(())
}

/// Error unless every entry of `m` is finite. `what` names the matrix.
///
/// # Errors
/// [`Error::Data`] naming the first offending entry.
///
/// ```
/// let m = faer::mat![[1.0, f64::INFINITY]];
/// assert!(ntk::dynamics::spectrum::check_finite(m.as_ref(), "y").is_err());
/// ```
pub fn check_finite(m: MatRef<'_, f64>, what: &str) -> Result<()> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let v = m[(i, j)];
            if !v.is_finite() {
                return Err(Error::Data(format!(
                    "{what} entry ({i}, {j}) is not finite ({v})"
                )));
            }
        }
    }
    Ok(())
}
