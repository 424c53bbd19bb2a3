//! Per-tile micro-kernels of the streamed product `Y = K X` (X, Y: n x k, column-major).
//!
//! ```text
//! off-diagonal tile A = K[I, J] (J < I):   Y_I += A X_J,   Y_J += A^T X_I   (A read once)
//! diagonal tile A = K[I, I]:               Y_I += A X_I    (lower half only: a_ij, i >= j)
//! ```
//!
//! Summation order (fixed; it is what makes the product bitwise reproducible). Every step is
//! one fused multiply-add `fma(a, x, s) = a x + s` rounded once:
//! - off-diagonal, rows: per row i and column l of X, one chain over the tile's columns in
//!   order, continuing from the current value:
//!   `y_il <- fma(a_i,c-1, x_c-1,l, ... fma(a_i0, x_0l, y_il))`;
//! - off-diagonal, columns: per tile column q and column l, four lanes: lane s is the fma chain
//!   over the tile's rows ii = s, s+4, s+8, ... (in order, from 0) of `a_iq x_il`; then
//!   `y_ql <- y_ql + ((d_0 + d_1) + (d_2 + d_3))`;
//! - diagonal: first every row's chain over the lower half including the diagonal
//!   (`y_il <- fma(a_ii, x_i, ... fma(a_i0, x_0, y_il))`), then per column j the four-lane
//!   dot over rows i > j (lane `(i - j - 1) mod 4`) added as above.
//!
//! The two halves of an off-diagonal tile touch disjoint rows of Y, so their relative order
//! does not matter. The AVX2+FMA implementation (`micro_avx2.rs`) holds one row (or one dot
//! lane) per SIMD lane and performs exactly these operations; the portable one below performs
//! them with `f64::mul_add`, so the bits do not depend on the instruction set either.

use super::entry::Entry;

/// Dot-product lanes.
const L: usize = 4;

#[inline(always)]
pub(super) fn fold(d: [f64; L]) -> f64 {
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

/// Which implementation runs the micro-kernels (same bits either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// `f64::mul_add`, one entry at a time.
    Portable,
    /// AVX2 + FMA, four rows (or dot lanes) per instruction.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Isa {
    /// The fastest implementation this CPU runs.
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Portable
    }
}

/// Off-diagonal tile: `A` is `r x c` column-major with leading dimension `lda`, its rows
/// are `i0..i0 + r`, its columns `j0..j0 + c`, and `j0 + c <= i0`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn offdiag<T: Entry>(
    isa: Isa,
    a: &[T],
    lda: usize,
    r: usize,
    c: usize,
    i0: usize,
    j0: usize,
    v: &mut Vecs<'_>,
) {
    assert!(j0 + c <= i0 && (c == 0 || (c - 1) * lda + r <= a.len()));
    assert!(v.k == 0 || ((v.k - 1) * v.ldx + i0 + r <= v.x.len() && v.ldx >= i0 + r));
    assert!(v.k == 0 || ((v.k - 1) * v.ldy + i0 + r <= v.y.len() && v.ldy >= i0 + r));
    match isa {
        Isa::Portable => offdiag_portable(a, lda, r, c, i0, j0, v),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2Fma` is only produced when the CPU has AVX2 and FMA, and the
        // asserts above keep every access of the tile, X and Y in bounds.
        Isa::Avx2Fma => unsafe { super::micro_avx2::offdiag(a, lda, r, c, i0, j0, v) },
    }
}

/// Diagonal tile: `A` is `r x r` column-major (`lda`), rows and columns `i0..i0 + r`; only
/// entries on or below its diagonal are read.
pub(crate) fn diag<T: Entry>(isa: Isa, a: &[T], lda: usize, r: usize, i0: usize, v: &mut Vecs) {
    assert!(r == 0 || (r - 1) * lda + r <= a.len());
    assert!(v.k == 0 || ((v.k - 1) * v.ldx + i0 + r <= v.x.len() && v.ldx >= i0 + r));
    assert!(v.k == 0 || ((v.k - 1) * v.ldy + i0 + r <= v.y.len() && v.ldy >= i0 + r));
    match isa {
        Isa::Portable => diag_portable(a, lda, r, i0, v),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `offdiag`.
        Isa::Avx2Fma => unsafe { super::micro_avx2::diag(a, lda, r, i0, v) },
    }
}

fn offdiag_portable<T: Entry>(
    a: &[T],
    lda: usize,
    r: usize,
    c: usize,
    i0: usize,
    j0: usize,
    v: &mut Vecs<'_>,
) {
    let at = |i: usize, j: usize| a[j * lda + i].to_f64();
    for l in 0..v.k {
        let x = &v.x[l * v.ldx..];
        let (left, right) = v.y[l * v.ldy..].split_at_mut(i0);
        for (i, y) in right[..r].iter_mut().enumerate() {
            *y = (0..c).fold(*y, |s, j| at(i, j).mul_add(x[j0 + j], s));
        }
        for (j, y) in left[j0..j0 + c].iter_mut().enumerate() {
            *y += fold(lanes(0..r, |i| (i, at(i, j), x[i0 + i])));
        }
    }
}

fn diag_portable<T: Entry>(a: &[T], lda: usize, r: usize, i0: usize, v: &mut Vecs<'_>) {
    let at = |i: usize, j: usize| a[j * lda + i].to_f64();
    for l in 0..v.k {
        let x = &v.x[l * v.ldx + i0..][..r];
        let y = &mut v.y[l * v.ldy + i0..][..r];
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = (0..=i).fold(*yi, |s, j| at(i, j).mul_add(x[j], s));
        }
        for (j, yj) in y.iter_mut().enumerate() {
            *yj += fold(lanes(j + 1..r, |i| (i - j - 1, at(i, j), x[i])));
        }
    }
}

/// The four-lane fma dot: item `(t, a, x)` goes into lane `t mod 4`, items in order.
#[inline(always)]
fn lanes(range: std::ops::Range<usize>, item: impl Fn(usize) -> (usize, f64, f64)) -> [f64; L] {
    let mut d = [0.0; L];
    for i in range {
        let (t, a, x) = item(i);
        d[t % L] = a.mul_add(x, d[t % L]);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run both implementations on the same tile and vectors; they must agree bitwise.
    fn both<T: Entry>(r: usize, c: usize, k: usize, seed: u64) {
        let mut g = crate::rng::Rng::new(seed);
        let lda = r + 3;
        // entries of very different magnitudes: any change of order changes the bits
        let mut val = || g.normal() * 10f64.powi((g.uniform() * 12.0) as i32 - 6);
        let a: Vec<T> = (0..lda * c.max(r)).map(|_| T::from_f64(val())).collect();
        let (i0, j0) = (c + 2, 1);
        let ld = i0 + r + 1;
        let x: Vec<f64> = (0..ld * k).map(|_| val()).collect();
        let y0: Vec<f64> = (0..ld * k).map(|_| val()).collect();
        let run = |isa: Isa, diagonal: bool| {
            let mut y = y0.clone();
            let mut v = Vecs {
                x: &x,
                ldx: ld,
                y: &mut y,
                ldy: ld,
                k,
            };
            if diagonal {
                diag(isa, &a, lda, r.min(c), i0, &mut v);
            } else {
                offdiag(isa, &a, lda, r, c, i0, j0, &mut v);
            }
            y
        };
        for diagonal in [false, true] {
            let p = run(Isa::Portable, diagonal);
            assert_ne!(p, y0, "r {r} c {c} k {k}: nothing was computed");
            let p: Vec<u64> = p.iter().map(|v| v.to_bits()).collect();
            let d: Vec<u64> = run(Isa::detect(), diagonal)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(p, d, "r {r} c {c} k {k} diagonal {diagonal}");
        }
    }

    #[test]
    fn simd_and_portable_agree_bitwise() {
        let mut seed = 1;
        for &(r, c) in &[
            (1, 1),
            (3, 2),
            (4, 4),
            (7, 5),
            (8, 8),
            (13, 9),
            (37, 70),
            (64, 130),
            (100, 67),
            (25, 200),
        ] {
            // every register-block remainder of rows and strip columns, every group size
            for k in [1, 2, 3, 4, 5, 7, 10] {
                both::<f64>(r, c, k, seed);
                both::<f32>(r, c, k, seed + 1);
                seed += 2;
            }
        }
    }
}
