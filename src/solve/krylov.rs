//! Lanczos bases with full reorthogonalisation, one per starting vector, advanced together
//! (one batched product with `A = K + r I` per step for all columns):
//!
//! ```text
//! q_1 = b / ||b||,   w = A q_i - alpha_i q_i - beta_{i-1} q_{i-1},   alpha_i = q_i . A q_i
//! w <- w - Q (Q^T w)  (twice: classical Gram-Schmidt with reorthogonalisation)
//! beta_i = ||w||,  q_{i+1} = w / beta_i;     A Q_m = Q_m T_m + beta_m q_{m+1} e_m^T
//! ```
//!
//! A column stops when `beta_i <= n eps ||T||` (the Krylov space is invariant: `T_m` holds the
//! exact spectrum of `A` restricted to it) or when `m = n`. Memory: `8 n` bytes per basis
//! vector per column.

use super::vecops::{axpy, dot, norm, shifted_apply};
use crate::Result;
use crate::kernel_matrix::KernelMatrix;
use faer::{Mat, MatRef, Par};

/// `k` Lanczos processes on `A = K + r I`, one per column of the starting block.
pub(crate) struct Lanczos {
    n: usize,
    /// `basis[j][i]` = `q_{i+1}` of column `j`.
    basis: Vec<Vec<Vec<f64>>>,
    alpha: Vec<Vec<f64>>,
    beta: Vec<Vec<f64>>,
    /// `||b_j||`.
    norm0: Vec<f64>,
    /// The column's Krylov space is invariant (or `b_j = 0`, or `m = n`).
    done: Vec<bool>,
    /// `max(|alpha|, beta)` seen, per column (scale of the invariance test).
    scale: Vec<f64>,
}

impl Lanczos {
    /// Start from the columns of `b`.
    pub(crate) fn new(b: MatRef<'_, f64>) -> Self {
        let (n, k) = (b.nrows(), b.ncols());
        let mut basis = Vec::with_capacity(k);
        let mut norm0 = Vec::with_capacity(k);
        let mut done = Vec::with_capacity(k);
        for j in 0..k {
            let v: Vec<f64> = (0..n).map(|i| b[(i, j)]).collect();
            let nv = norm(&v);
            norm0.push(nv);
            if nv > 0.0 {
                basis.push(vec![v.iter().map(|x| x / nv).collect()]);
                done.push(false);
            } else {
                basis.push(Vec::new());
                done.push(true);
            }
        }
        Lanczos {
            n,
            basis,
            alpha: vec![Vec::new(); k],
            beta: vec![Vec::new(); k],
            norm0,
            done,
            scale: vec![0.0; k],
        }
    }

    /// Advance every active column by one vector (one batched product).
    pub(crate) fn step(&mut self, k: &dyn KernelMatrix, ridge: f64, par: Par) -> Result<()> {
        let cols = self.norm0.len();
        let q = Mat::from_fn(self.n, cols, |i, j| {
            if self.done[j] {
                0.0
            } else {
                self.basis[j].last().map_or(0.0, |v| v[i])
            }
        });
        let w = shifted_apply(k, ridge, q.as_ref(), par)?;
        for j in 0..cols {
            if !self.done[j] {
                self.extend(j, w.col_as_slice(j));
            }
        }
        Ok(())
    }

    fn extend(&mut self, j: usize, aq: &[f64]) {
        let m = self.basis[j].len();
        let mut w = aq.to_vec();
        let a = dot(&self.basis[j][m - 1], &w);
        self.alpha[j].push(a);
        axpy(-a, &self.basis[j][m - 1], &mut w);
        if m > 1 {
            axpy(-self.beta[j][m - 2], &self.basis[j][m - 2], &mut w);
        }
        for _ in 0..2 {
            for qi in &self.basis[j] {
                let c = dot(qi, &w);
                axpy(-c, qi, &mut w);
            }
        }
        let b = norm(&w);
        self.scale[j] = self.scale[j].max(a.abs()).max(b);
        if m == self.n || b <= self.n as f64 * f64::EPSILON * self.scale[j] {
            self.done[j] = true;
            return;
        }
        self.beta[j].push(b);
        self.basis[j].push(w.iter().map(|x| x / b).collect());
    }

    /// Number of columns.
    pub(crate) fn cols(&self) -> usize {
        self.norm0.len()
    }

    /// Are all columns invariant?
    pub(crate) fn all_done(&self) -> bool {
        self.done.iter().all(|&d| d)
    }

    /// Is column `j` invariant?
    pub(crate) fn is_done(&self, j: usize) -> bool {
        self.done[j]
    }

    /// `||b_j||`.
    pub(crate) fn norm0(&self, j: usize) -> f64 {
        self.norm0[j]
    }

    /// Size `m` of the tridiagonal `T_m` of column `j` (number of `alpha`s).
    pub(crate) fn m(&self, j: usize) -> usize {
        self.alpha[j].len()
    }

    /// `(alpha, beta)` of `T_m` of column `j` (`beta` of length `m - 1`).
    pub(crate) fn tridiagonal(&self, j: usize) -> (&[f64], &[f64]) {
        let m = self.m(j);
        (&self.alpha[j][..m], &self.beta[j][..m.saturating_sub(1)])
    }

    /// The coupling `beta_m` to the next vector (0 when invariant).
    pub(crate) fn next_beta(&self, j: usize) -> f64 {
        let m = self.m(j);
        if self.done[j] || m == 0 {
            0.0
        } else {
            self.beta[j][m - 1]
        }
    }

    /// `Q_m y` for column `j` (`y` of length `<= m`).
    pub(crate) fn combine(&self, j: usize, y: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        for (qi, &c) in self.basis[j].iter().zip(y) {
            axpy(c, qi, &mut out);
        }
        out
    }

    /// Bytes held by the bases.
    pub(crate) fn bytes(&self) -> usize {
        self.basis.iter().map(|b| b.len() * self.n * 8).sum()
    }
}

/// The tridiagonal `T` as a dense `m x m` matrix.
pub(crate) fn tridiag_dense(alpha: &[f64], beta: &[f64]) -> Mat<f64> {
    let m = alpha.len();
    Mat::from_fn(m, m, |i, j| {
        if i == j {
            alpha[i]
        } else if i == j + 1 {
            beta[j]
        } else if j == i + 1 {
            beta[i]
        } else {
            0.0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel_matrix::Dense;

    #[test]
    fn basis_is_orthonormal_and_tridiagonalises() {
        let n = 40;
        let a = Mat::from_fn(n, n, |i, j| {
            1.0 / (1.0 + (i as f64 - j as f64).abs()) + if i == j { 1.0 } else { 0.0 }
        });
        let k = Dense::new(a.clone()).unwrap();
        let b = Mat::from_fn(n, 2, |i, j| ((i * (j + 3)) % 7) as f64 - 3.0);
        let mut l = Lanczos::new(b.as_ref());
        for _ in 0..15 {
            l.step(&k, 0.5, Par::Seq).unwrap();
        }
        for j in 0..2 {
            let m = l.m(j);
            let q = &l.basis[j];
            for x in 0..m {
                for y in 0..m {
                    let d = dot(&q[x], &q[y]);
                    assert!((d - if x == y { 1.0 } else { 0.0 }).abs() < 1e-13);
                }
            }
            // q_x . A q_y = T_xy
            let (al, be) = l.tridiagonal(j);
            let t = tridiag_dense(al, be);
            for x in 0..m {
                let qx = Mat::from_fn(n, 1, |i, _| q[x][i]);
                let aq = shifted_apply(&k, 0.5, qx.as_ref(), Par::Seq).unwrap();
                for y in 0..m {
                    let v = dot(aq.col_as_slice(0), &q[y]);
                    assert!((v - t[(x, y)]).abs() < 1e-12, "{x} {y} {v} {}", t[(x, y)]);
                }
            }
        }
    }

    #[test]
    fn small_space_becomes_invariant() {
        // diagonal with 3 distinct values: Krylov space of dimension 3
        let a = Mat::from_fn(
            9,
            9,
            |i, j| if i == j { [1.0, 2.0, 3.0][i % 3] } else { 0.0 },
        );
        let k = Dense::new(a).unwrap();
        let b = Mat::from_fn(9, 1, |_, _| 1.0);
        let mut l = Lanczos::new(b.as_ref());
        for _ in 0..5 {
            l.step(&k, 0.0, Par::Seq).unwrap();
        }
        assert!(l.all_done());
        assert_eq!(l.m(0), 3);
    }
}
