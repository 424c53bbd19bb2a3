//! A low-rank preconditioner for `A = K + mu I` from a pivoted partial Cholesky factor
//! (GPyTorch's BBMM preconditioner, Gardner et al. 2018), applied in the Nystrom form of
//! Frangella, Tropp & Udell (2023, "Randomized Nystrom preconditioning"):
//!
//! ```text
//! pivoted Cholesky:  p_i = argmax_j (K - L L^T)_jj,   l_i = (K[:, p_i] - L L^T[:, p_i]) / sqrt((K - L L^T)_{p_i p_i})
//!                    (K - L L^T is the Schur complement; L L^T = K[:, S] K[S, S]^{-1} K[S, :] is the
//!                     column Nystrom approximation on the pivots S)
//! L L^T = U diag(lambda) U^T              (U = L V S^{-1/2} from L^T L = V S V^T, lambda = S)
//! P^{-1} = (lambda_min + mu) U (diag(lambda) + mu)^{-1} U^T + (I - U U^T)
//!        = I + U diag((lambda_min + mu) / (lambda_i + mu) - 1) U^T
//! ```
//!
//! It needs only `diagonal()` and `rank` calls of `columns()`. `P^{-1} A` maps the captured
//! top of the spectrum to about `lambda_min + mu`, so CG sees a condition number of about
//! `(lambda_{k+1} + mu) / (lambda_n + mu)` instead of `(lambda_1 + mu) / (lambda_n + mu)`.
//! `P^{-1}` is well defined for `mu = 0` too (no ridge). Memory: `n * rank * 8` bytes for `U`
//! (twice that transiently while it is formed from `L`).

use super::vecops::axpy;
use crate::dynamics::spectrum::symmetric_evd;
use crate::kernel_matrix::KernelMatrix;
use crate::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use serde::Serialize;

/// Largest default rank of the preconditioner (SCALE.md: rank 500 leaves condition ~42 on a
/// 10k Fashion-MNIST NTK).
pub const MAX_DEFAULT_RANK: usize = 500;

/// How the low-rank approximation `K ~ U diag(lambda) U^T` of the preconditioner is found.
///
/// ```
/// use ntk::solve::precond::PreconditionerKind;
/// assert_eq!(PreconditionerKind::parse("nystrom"), Some(PreconditionerKind::RandomizedNystrom));
/// assert_eq!(PreconditionerKind::default(), PreconditionerKind::PivotedCholesky);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreconditionerKind {
    /// Pivoted partial Cholesky: `rank` kernel columns, no products (the default).
    #[default]
    PivotedCholesky,
    /// Randomized Nystrom (Frangella, Tropp & Udell 2023, Algorithm 2.1): `K Omega` for a
    /// seeded Gaussian `Omega` with `rank` columns (`rank / 32` passes over the kernel), a
    /// near-optimal rank-`rank` approximation of the top of the spectrum.
    RandomizedNystrom,
}

impl PreconditionerKind {
    /// `pivoted-cholesky` / `cholesky`, or `nystrom` / `randomized-nystrom`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pivoted-cholesky" | "cholesky" => Some(PreconditionerKind::PivotedCholesky),
            "nystrom" | "randomized-nystrom" => Some(PreconditionerKind::RandomizedNystrom),
            _ => None,
        }
    }
}

/// Columns of `Omega` per product while sketching `K Omega`.
const SKETCH_BLOCK: usize = 32;

/// The default preconditioner rank for `n` points: `min(500, max(1, n / 10))`.
///
/// ```
/// use ntk::solve::precond::default_rank;
/// assert_eq!(default_rank(60_000), 500);
/// assert_eq!(default_rank(400), 40);
/// assert_eq!(default_rank(3), 1);
/// ```
pub fn default_rank(n: usize) -> usize {
    (n / 10).clamp(1, MAX_DEFAULT_RANK)
}

/// What was built: rank, pivots' quality and memory.
///
/// ```
/// use ntk::solve::precond::PreconditionerKind;
/// let r = ntk::solve::PreconditionerReport { kind: PreconditionerKind::PivotedCholesky,
///     rank: 2, requested_rank: 3, exhausted: true, trace_error: 0.0, trace: 5.0, shift: 0.0,
///     bytes: 32 };
/// assert!(serde_json::to_string(&r).unwrap().contains("\"rank\":2"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreconditionerReport {
    /// How it was built.
    pub kind: PreconditionerKind,
    /// Rank kept (`<= requested_rank`).
    pub rank: usize,
    /// Rank asked for.
    pub requested_rank: usize,
    /// The Schur complement's diagonal fell to rounding level before `requested_rank`
    /// pivots: `K` is numerically of rank `rank` (it is singular when `rank < n`).
    pub exhausted: bool,
    /// `trace(K - L L^T)` left after the last pivot.
    pub trace_error: f64,
    /// `trace(K)`.
    pub trace: f64,
    /// The shift `mu` (the ridge).
    pub shift: f64,
    /// Bytes held by `U` (`n * rank * 8`).
    pub bytes: usize,
}

/// The preconditioner `P^{-1}` of the module docs.
///
/// ```
/// use ntk::kernel_matrix::Dense;
/// use ntk::solve::Preconditioner;
/// let k = Dense::new(faer::Mat::from_fn(3, 3, |i, j| if i == j { [4.0, 2.0, 1.0][i] } else { 0.0 }))?;
/// let p = Preconditioner::pivoted_cholesky(&k, 3, 0.0)?;
/// // full rank: P = K, so P^{-1} K = I
/// let v = faer::mat![[4.0], [2.0], [1.0]];
/// let mut z = faer::Mat::zeros(3, 1);
/// p.apply(v.as_ref(), z.as_mut());
/// assert!((0..3).all(|i| (z[(i, 0)] - 1.0).abs() < 1e-14));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Preconditioner {
    u: Mat<f64>,
    weights: Vec<f64>,
    report: PreconditionerReport,
}

impl Preconditioner {
    /// Pivoted partial Cholesky of `k` to rank `rank` (fewer if the Schur complement's
    /// diagonal reaches rounding level, `n eps max_i K_ii`), then the Nystrom form with shift
    /// `shift` (the ridge, `>= 0`). Pivot ties go to the lowest index (deterministic).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `rank = 0` or a bad shift, [`Error::Data`] for a
    /// non-finite or negative diagonal, [`Error::Numerical`] if the small eigenproblem fails.
    ///
    /// ```
    /// let k = ntk::kernel_matrix::Dense::new(faer::Mat::identity(4, 4))?;
    /// assert!(ntk::solve::Preconditioner::pivoted_cholesky(&k, 0, 0.0).is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn pivoted_cholesky(k: &dyn KernelMatrix, rank: usize, shift: f64) -> Result<Self> {
        let diag = checked_diagonal(k, rank, shift)?;
        let (l, exhausted, rest) = partial_cholesky(k, diag.clone(), rank.min(k.n()));
        let trace: f64 = diag.iter().sum();
        let (u, lambda) = nystrom_basis(l)?;
        let kind = PreconditionerKind::PivotedCholesky;
        Ok(Self::from_basis(
            u,
            lambda,
            (kind, rank),
            exhausted,
            rest,
            trace,
            shift,
        ))
    }

    /// Randomized Nystrom approximation of `k` of rank `rank` (Frangella, Tropp & Udell 2023,
    /// Algorithm 2.1) in the same Nystrom form with shift `shift`:
    ///
    /// ```text
    /// Omega = orth(G),  G n x rank standard Gaussian from `seed`   (symmetric orthogonalisation)
    /// Y = K Omega + nu Omega,  nu = sqrt(n) eps ||K Omega||_F      (rank / 32 products)
    /// B = Y (Omega^T Y)^{-1/2},  B = U diag(sqrt(s)) V^T,  lambda = max(s - nu, 0)
    /// ```
    ///
    /// Deterministic for a seed (products are bitwise reproducible, the small factorizations
    /// sequential). `exhausted` is never set: singular kernels are detected by the pivoted
    /// Cholesky and the spectrum.
    ///
    /// # Errors
    /// As [`Preconditioner::pivoted_cholesky`].
    ///
    /// ```
    /// use ntk::kernel_matrix::Dense;
    /// use ntk::solve::Preconditioner;
    /// let k = Dense::new(faer::Mat::from_fn(3, 3, |i, j| if i == j { [4.0, 2.0, 1.0][i] } else { 0.0 }))?;
    /// let p = Preconditioner::randomized_nystrom(&k, 3, 0.0, 7, faer::Par::Seq)?;
    /// let v = faer::mat![[4.0], [2.0], [1.0]];
    /// let mut z = faer::Mat::zeros(3, 1);
    /// p.apply(v.as_ref(), z.as_mut());
    /// assert!((0..3).all(|i| (z[(i, 0)] - 1.0).abs() < 1e-12)); // full rank: P = K
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn randomized_nystrom(
        k: &dyn KernelMatrix,
        rank: usize,
        shift: f64,
        seed: u64,
        par: Par,
    ) -> Result<Self> {
        let diag = checked_diagonal(k, rank, shift)?;
        let n = k.n();
        let l = rank.min(n);
        let mut rng = crate::rng::Rng::new(seed);
        let omega = inverse_sqrt_times(Mat::from_fn(n, l, |_, _| rng.normal()), None)?;
        let mut y = Mat::<f64>::zeros(n, l);
        let mut c0 = 0;
        while c0 < l {
            let w = SKETCH_BLOCK.min(l - c0);
            k.apply(
                omega.as_ref().subcols(c0, w),
                y.as_mut().subcols_mut(c0, w),
                par,
            );
            c0 += w;
        }
        let nu = (n as f64).sqrt() * f64::EPSILON * y.norm_l2();
        for j in 0..l {
            for i in 0..n {
                y[(i, j)] += nu * omega[(i, j)];
            }
        }
        let b = inverse_sqrt_times(y, Some(omega.as_ref()))?;
        let (u, s) = nystrom_basis(b)?;
        let keep = s.iter().take_while(|&&si| si - nu > 0.0).count();
        let lambda: Vec<f64> = s[..keep].iter().map(|&si| si - nu).collect();
        let u = u.subcols(0, keep).to_owned();
        let trace: f64 = diag.iter().sum();
        let rest = trace - lambda.iter().sum::<f64>();
        let kind = PreconditionerKind::RandomizedNystrom;
        Ok(Self::from_basis(
            u,
            lambda,
            (kind, rank),
            false,
            rest,
            trace,
            shift,
        ))
    }

    /// The Nystrom form from `U` and `lambda` (descending).
    fn from_basis(
        u: Mat<f64>,
        lambda: Vec<f64>,
        (kind, requested_rank): (PreconditionerKind, usize),
        exhausted: bool,
        rest: f64,
        trace: f64,
        shift: f64,
    ) -> Self {
        let floor = lambda.iter().copied().fold(f64::INFINITY, f64::min);
        let weights = lambda
            .iter()
            .map(|&li| (floor + shift) / (li + shift) - 1.0)
            .collect();
        let report = PreconditionerReport {
            kind,
            rank: lambda.len(),
            requested_rank,
            exhausted,
            trace_error: rest.max(0.0),
            trace,
            shift,
            bytes: u.nrows() * lambda.len() * 8,
        };
        Preconditioner { u, weights, report }
    }

    /// `out = P^{-1} v` for a block `v` (`n x c`).
    pub fn apply(&self, v: MatRef<'_, f64>, mut out: MatMut<'_, f64>) {
        out.copy_from(v);
        if self.weights.is_empty() {
            return;
        }
        let mut c = Mat::<f64>::zeros(self.weights.len(), v.ncols());
        matmul(
            c.as_mut(),
            Accum::Replace,
            self.u.transpose(),
            v,
            1.0,
            Par::Seq,
        );
        for j in 0..c.ncols() {
            for (i, w) in self.weights.iter().enumerate() {
                c[(i, j)] *= w;
            }
        }
        matmul(out, Accum::Add, self.u.as_ref(), c.as_ref(), 1.0, Par::Seq);
    }

    /// The rank kept.
    pub fn rank(&self) -> usize {
        self.report.rank
    }

    /// The build report.
    pub fn report(&self) -> &PreconditionerReport {
        &self.report
    }
}

/// The diagonal of `k` after checking the rank, the shift and the diagonal itself.
fn checked_diagonal(k: &dyn KernelMatrix, rank: usize, shift: f64) -> Result<Vec<f64>> {
    if rank == 0 {
        return Err(Error::param("preconditioner_rank", "must be >= 1"));
    }
    if !(shift.is_finite() && shift >= 0.0) {
        return Err(Error::param(
            "diag_reg",
            format!("must be a finite number >= 0, got {shift}"),
        ));
    }
    crate::kernel_matrix::checked_diagonal(k, "kernel")
}

/// `Y M^{-1/2}` for `M = W^T Y` (`W = Y` if `None`; `M` symmetrised), dropping the directions
/// with eigenvalues `<= r eps max`: symmetric orthogonalisation when `W = Y`, and the
/// Nystrom factor `B` of `randomized_nystrom` when `W = Omega`.
fn inverse_sqrt_times(y: Mat<f64>, w: Option<MatRef<'_, f64>>) -> Result<Mat<f64>> {
    let r = y.ncols();
    let mut m = Mat::<f64>::zeros(r, r);
    let wt = w.unwrap_or(y.as_ref()).transpose();
    matmul(m.as_mut(), Accum::Replace, wt, y.as_ref(), 1.0, Par::Seq);
    let m = Mat::from_fn(r, r, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let (d, q) = symmetric_evd(m.as_ref(), Par::Seq)?;
    let dmax = d.last().copied().unwrap_or(0.0);
    let keep: Vec<usize> = (0..r)
        .filter(|&i| d[i] > r as f64 * f64::EPSILON * dmax)
        .collect();
    let qk = Mat::from_fn(r, keep.len(), |a, b| q[(a, keep[b])] / d[keep[b]].sqrt());
    let mut out = Mat::<f64>::zeros(y.nrows(), keep.len());
    matmul(
        out.as_mut(),
        Accum::Replace,
        y.as_ref(),
        qk.as_ref(),
        1.0,
        Par::Seq,
    );
    Ok(out)
}

/// Pivoted partial Cholesky: `L` (`n x r`), whether the diagonal was exhausted, and the
/// remaining trace.
fn partial_cholesky(k: &dyn KernelMatrix, mut d: Vec<f64>, rank: usize) -> (Mat<f64>, bool, f64) {
    let n = d.len();
    let max_diag = d.iter().copied().fold(0.0f64, f64::max);
    let stop = n as f64 * f64::EPSILON * max_diag;
    let mut l = Mat::<f64>::zeros(n, rank);
    let mut col = Mat::<f64>::zeros(n, 1);
    let mut used = 0;
    let mut exhausted = false;
    for i in 0..rank {
        let (p, dp) =
            d.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |b, (j, &v)| if v > b.1 { (j, v) } else { b },
            );
        if dp <= stop {
            exhausted = true;
            break;
        }
        k.columns(&[p], col.as_mut());
        let mut li = col.col_as_slice(0).to_vec();
        for j in 0..i {
            let lpj = l[(p, j)];
            axpy(-lpj, l.col_as_slice(j), &mut li);
        }
        let s = dp.sqrt();
        for v in li.iter_mut() {
            *v /= s;
        }
        for (dj, lj) in d.iter_mut().zip(&li) {
            *dj -= lj * lj;
        }
        d[p] = 0.0;
        l.col_as_slice_mut(i).copy_from_slice(&li);
        used = i + 1;
    }
    let rest = d.iter().map(|v| v.max(0.0)).sum();
    let l = l.subcols(0, used).to_owned();
    (l, exhausted || used == n, rest)
}

/// `L = U diag(sqrt(lambda)) V^T` (thin SVD through `L^T L`), dropping directions with
/// `lambda <= r eps lambda_max`; `lambda` descending.
fn nystrom_basis(l: Mat<f64>) -> Result<(Mat<f64>, Vec<f64>)> {
    let r = l.ncols();
    if r == 0 {
        return Ok((l, Vec::new()));
    }
    let mut w = Mat::<f64>::zeros(r, r);
    matmul(
        w.as_mut(),
        Accum::Replace,
        l.transpose(),
        l.as_ref(),
        1.0,
        Par::Seq,
    );
    let (s, v) = symmetric_evd(w.as_ref(), Par::Seq)?;
    let smax = s.last().copied().unwrap_or(0.0);
    let keep: Vec<usize> = (0..r)
        .rev()
        .filter(|&i| s[i] > r as f64 * f64::EPSILON * smax)
        .collect();
    let vk = Mat::from_fn(r, keep.len(), |a, b| v[(a, keep[b])] / s[keep[b]].sqrt());
    let mut u = Mat::<f64>::zeros(l.nrows(), keep.len());
    matmul(
        u.as_mut(),
        Accum::Replace,
        l.as_ref(),
        vk.as_ref(),
        1.0,
        Par::Seq,
    );
    Ok((u, keep.iter().map(|&i| s[i]).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_matrix::Dense;

    fn gram(n: usize, f: usize, seed: u64) -> Mat<f64> {
        let mut rng = crate::rng::Rng::new(seed);
        let x = Mat::from_fn(n, f, |_, _| rng.normal());
        let mut k = Mat::zeros(n, n);
        matmul(
            k.as_mut(),
            Accum::Replace,
            x.as_ref(),
            x.transpose(),
            1.0,
            Par::Seq,
        );
        k
    }

    #[test]
    fn full_rank_inverts_a_low_rank_kernel_plus_shift() {
        // rank-5 kernel: the pivoted Cholesky stops at 5 and P = K + mu I exactly
        let k = gram(30, 5, 1);
        let dk = Dense::new(k.clone()).unwrap();
        let p = Preconditioner::pivoted_cholesky(&dk, 20, 0.3).unwrap();
        assert_eq!(p.rank(), 5);
        assert!(p.report().exhausted);
        let mut a = k.clone();
        for i in 0..30 {
            a[(i, i)] += 0.3;
        }
        // K = U diag(lambda) U^T exactly, so P^{-1} (K + mu I) u_i = (floor + mu) u_i for
        // every captured direction, and = (K + mu I) on the complement (here: mu I)
        let uu = &p.u;
        let mut au = Mat::zeros(30, uu.ncols());
        matmul(
            au.as_mut(),
            Accum::Replace,
            a.as_ref(),
            uu.as_ref(),
            1.0,
            Par::Seq,
        );
        let mut pau = Mat::zeros(30, uu.ncols());
        p.apply(au.as_ref(), pau.as_mut());
        let last = uu.ncols() - 1;
        let lam: f64 = (0..30)
            .map(|i| uu[(i, last)] * (0..30).map(|j| k[(i, j)] * uu[(j, last)]).sum::<f64>())
            .sum();
        let want = lam + 0.3;
        for j in 0..uu.ncols() {
            for i in 0..30 {
                assert!(
                    (pau[(i, j)] - want * uu[(i, j)]).abs() < 1e-10 * want,
                    "{i} {j}"
                );
            }
        }
    }

    #[test]
    fn pivots_follow_the_largest_diagonal() {
        let k = Dense::new(Mat::from_fn(4, 4, |i, j| {
            if i == j { [1.0, 5.0, 3.0, 2.0][i] } else { 0.0 }
        }))
        .unwrap();
        let p = Preconditioner::pivoted_cholesky(&k, 2, 0.0).unwrap();
        assert_eq!(p.rank(), 2);
        assert!((p.report().trace_error - 3.0).abs() < 1e-15); // 1 + 2 left
        assert!(!p.report().exhausted);
    }

    #[test]
    fn randomized_nystrom_recovers_a_low_rank_kernel_and_is_reproducible() {
        let n = 120;
        let k = gram(n, 6, 4); // rank 6
        let dk = Dense::new(k.clone()).unwrap();
        let p = Preconditioner::randomized_nystrom(&dk, 10, 0.0, 5, Par::Seq).unwrap();
        assert!(p.rank() <= 10 && p.rank() >= 6, "rank {}", p.rank());
        // trace(K) - sum(lambda) at rounding level: the sketch captures the whole range
        let rel = p.report().trace_error / p.report().trace;
        assert!(rel < 1e-10, "trace error {rel}");
        // the same bits for any thread count (the products are reproducible)
        let q = Preconditioner::randomized_nystrom(&dk, 10, 0.0, 5, Par::rayon(3)).unwrap();
        assert_eq!(p.u, q.u);
        assert_eq!(p.weights, q.weights);
        assert!(Preconditioner::randomized_nystrom(&dk, 0, 0.0, 5, Par::Seq).is_err());
        assert!(Preconditioner::randomized_nystrom(&dk, 3, -1.0, 5, Par::Seq).is_err());
    }

    #[test]
    fn bad_diagonal_is_an_error() {
        let k = Dense::new(faer::mat![[-1.0, 0.0], [0.0, 1.0]]).unwrap();
        assert!(Preconditioner::pivoted_cholesky(&k, 1, 0.0).is_err());
    }
}
