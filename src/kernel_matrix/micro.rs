//! Per-tile micro-kernels of the streamed product `Y = K X` (X, Y: n x k, column-major).
//!
//! ```text
//! off-diagonal tile A = K[I, J] (J < I):   Y_I += A X_J,   Y_J += A^T X_I   (A read once)
//! diagonal tile A = K[I, I]:               Y_I += A X_I    (lower half only: a_ij, i >= j)
//! ```
//!
//! Summation order (fixed; it is what makes the product bitwise reproducible):
//! - off-diagonal, columns taken in groups of 4 (then single columns for the rest): per
//!   row i, `y_i <- y_i + (((a_i0 x_0 + a_i1 x_1) + a_i2 x_2) + a_i3 x_3)`; per column q,
//!   the dot `sum_i a_iq x_i` accumulates row i into lane `i mod 4` (rows in increasing
//!   order), then `y_q <- y_q + ((l_0 + l_1) + (l_2 + l_3))`.
//! - diagonal, column by column j: rows i > j update `y_i <- y_i + a_ij x_j` and lane
//!   `(i - j - 1) mod 4` of the dot; then `y_j <- y_j + (a_jj x_j + ((l_0 + l_1) + (l_2 + l_3)))`.
//!
//! Plain multiplies and adds (no FMA contraction, which Rust never does implicitly), so the
//! bits do not depend on the instruction set the code was compiled for either.

use super::entry::Entry;

/// Dot-product lanes.
const L: usize = 4;

#[inline(always)]
fn fold(d: [f64; L]) -> f64 {
    (d[0] + d[1]) + (d[2] + d[3])
}

/// Where a tile reads X and accumulates Y: column `l` of X is `x[l * ldx..][..n]`, of Y
/// `y[l * ldy..]`.
pub(crate) struct Vecs<'a> {
    pub x: &'a [f64],
    pub ldx: usize,
    pub y: &'a mut [f64],
    pub ldy: usize,
    pub k: usize,
}

/// Off-diagonal tile: `A` is `r x c` column-major with leading dimension `lda`, its rows
/// are `i0..i0 + r`, its columns `j0..j0 + c`, and `j0 + c <= i0`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn offdiag<T: Entry>(
    a: &[T],
    lda: usize,
    r: usize,
    c: usize,
    i0: usize,
    j0: usize,
    v: &mut Vecs<'_>,
) {
    debug_assert!(j0 + c <= i0);
    let groups = c / 4;
    for g in 0..groups {
        let j = 4 * g;
        let col = |q: usize| &a[(j + q) * lda..(j + q) * lda + r];
        let (a0, a1, a2, a3) = (col(0), col(1), col(2), col(3));
        for l in 0..v.k {
            let xc = &v.x[l * v.ldx..];
            let xi = &xc[i0..i0 + r];
            let xj = [xc[j0 + j], xc[j0 + j + 1], xc[j0 + j + 2], xc[j0 + j + 3]];
            let (left, right) = v.y[l * v.ldy..].split_at_mut(i0);
            let yi = &mut right[..r];
            let mut d = [[0.0f64; L]; 4];
            let main = r - r % L;
            let it = a0[..main]
                .chunks_exact(L)
                .zip(a1[..main].chunks_exact(L))
                .zip(a2[..main].chunks_exact(L))
                .zip(a3[..main].chunks_exact(L))
                .zip(xi[..main].chunks_exact(L))
                .zip(yi[..main].chunks_exact_mut(L));
            for (((((c0, c1), c2), c3), xs), ys) in it {
                for t in 0..L {
                    let (v0, v1, v2, v3) = (
                        c0[t].to_f64(),
                        c1[t].to_f64(),
                        c2[t].to_f64(),
                        c3[t].to_f64(),
                    );
                    ys[t] += ((v0 * xj[0] + v1 * xj[1]) + v2 * xj[2]) + v3 * xj[3];
                    d[0][t] += v0 * xs[t];
                    d[1][t] += v1 * xs[t];
                    d[2][t] += v2 * xs[t];
                    d[3][t] += v3 * xs[t];
                }
            }
            for i in main..r {
                let t = i - main;
                let (v0, v1, v2, v3) = (
                    a0[i].to_f64(),
                    a1[i].to_f64(),
                    a2[i].to_f64(),
                    a3[i].to_f64(),
                );
                yi[i] += ((v0 * xj[0] + v1 * xj[1]) + v2 * xj[2]) + v3 * xj[3];
                d[0][t] += v0 * xi[i];
                d[1][t] += v1 * xi[i];
                d[2][t] += v2 * xi[i];
                d[3][t] += v3 * xi[i];
            }
            for q in 0..4 {
                left[j0 + j + q] += fold(d[q]);
            }
        }
    }
    for j in 4 * groups..c {
        let a0 = &a[j * lda..j * lda + r];
        for l in 0..v.k {
            let xc = &v.x[l * v.ldx..];
            let xi = &xc[i0..i0 + r];
            let xj = xc[j0 + j];
            let (left, right) = v.y[l * v.ldy..].split_at_mut(i0);
            let yi = &mut right[..r];
            left[j0 + j] += axpy_dot(a0, xj, xi, yi);
        }
    }
}

/// `y += a xj` and the lane-ordered dot `a . x` (returned), over equal-length slices.
#[inline(always)]
fn axpy_dot<T: Entry>(a: &[T], xj: f64, x: &[f64], y: &mut [f64]) -> f64 {
    let n = a.len();
    let main = n - n % L;
    let mut d = [0.0f64; L];
    let it = a[..main]
        .chunks_exact(L)
        .zip(x[..main].chunks_exact(L))
        .zip(y[..main].chunks_exact_mut(L));
    for ((cs, xs), ys) in it {
        for t in 0..L {
            let v = cs[t].to_f64();
            ys[t] += v * xj;
            d[t] += v * xs[t];
        }
    }
    for i in main..n {
        let v = a[i].to_f64();
        y[i] += v * xj;
        d[i - main] += v * x[i];
    }
    fold(d)
}

/// Diagonal tile: `A` is `r x r` column-major (`lda`), rows and columns `i0..i0 + r`; only
/// entries on or below its diagonal are read.
#[inline(always)]
pub(crate) fn diag<T: Entry>(a: &[T], lda: usize, r: usize, i0: usize, v: &mut Vecs<'_>) {
    for l in 0..v.k {
        let xi = &v.x[l * v.ldx + i0..l * v.ldx + i0 + r];
        let yi = &mut v.y[l * v.ldy + i0..l * v.ldy + i0 + r];
        for j in 0..r {
            let col = &a[j * lda..j * lda + r];
            let xj = xi[j];
            let (head, tail) = yi.split_at_mut(j + 1);
            let dot = axpy_dot(&col[j + 1..], xj, &xi[j + 1..], tail);
            head[j] += col[j].to_f64() * xj + dot;
        }
    }
}
