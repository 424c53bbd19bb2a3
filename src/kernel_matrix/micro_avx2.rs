//! AVX2 + FMA implementation of the tile micro-kernels, performing exactly the operations of
//! the summation order documented in `micro.rs` (one row, or one dot lane, per SIMD lane;
//! `_mm256_fmadd_pd` is four independent `f64::mul_add`s).
//!
//! ```text
//! rows half (Y_I += A X_J):  4 RB rows x M columns of Y in RB M registers, one pass over the
//!                            strip's columns: RB loads of A + M broadcasts of X_J + RB M FMAs
//!                            per column
//! columns half (Y_J += A^T X_I): CB tile columns x M columns of X: CB M lane accumulators,
//!                            CB loads of A + M loads of X_I + CB M FMAs per 4 rows
//! (M, RB, CB) = (4, 3, 3), (3, 3, 3), (2, 4, 4), (1, 6, 6): 9-12 chains in flight, enough
//! to cover the FMA latency on two pipes, accumulators and loads within the 16 registers
//! ```
//!
//! An off-diagonal tile is processed in strips of `STRIP` columns, columns half (which reads
//! the strip sequentially from memory, column by column) then rows half (which reads it again
//! across columns, from L2, where the strip of 128 KB in f64 stays); the rows
//! chains continue across strips from the stored values, which does not change their bits.
//!
//! Callers guarantee (and `micro.rs` asserts) that every index below is in bounds.

#![cfg(target_arch = "x86_64")]
// index loops over register arrays are the clearest way to write the micro-kernels
#![allow(clippy::needless_range_loop)]

use super::Precision;
use super::entry::Entry;
use super::micro::{Vecs, fold};
use std::arch::x86_64::*;

/// Tile columns per strip.
const STRIP: usize = 64;

/// How far ahead (bytes) the rows half prefetches.
const PREFETCH_AHEAD: usize = 128 * 1024;

/// Four consecutive entries widened to f64.
#[inline(always)]
unsafe fn load4<T: Entry>(p: *const T) -> __m256d {
    // SAFETY: the caller keeps p..p+4 in bounds; the cast matches T (sealed: f64 or f32).
    unsafe {
        match T::PRECISION {
            Precision::F64 => _mm256_loadu_pd(p as *const f64),
            Precision::F32 => _mm256_cvtps_pd(_mm_loadu_ps(p as *const f32)),
        }
    }
}

#[inline(always)]
unsafe fn lanes_of(v: __m256d) -> [f64; 4] {
    let mut d = [0.0; 4];
    // SAFETY: d has room for 4 doubles.
    unsafe { _mm256_storeu_pd(d.as_mut_ptr(), v) };
    d
}

/// See `micro::offdiag`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn offdiag<T: Entry>(
    a: &[T],
    lda: usize,
    r: usize,
    c: usize,
    i0: usize,
    j0: usize,
    v: &mut Vecs<'_>,
) {
    let (x, y) = (v.x.as_ptr(), v.y.as_mut_ptr());
    let mut js = 0;
    while js < c {
        let cs = (c - js).min(STRIP);
        // SAFETY: in bounds by the caller's contract (see the module comment).
        unsafe {
            let ap = a.as_ptr().add(js * lda);
            let mut l = 0;
            while l < v.k {
                let m = (v.k - l).min(4);
                let xl = x.add(l * v.ldx);
                let yl = y.add(l * v.ldy);
                let (xs, ys) = (v.ldx, v.ldy);
                // register blocks of RB x 4 rows (rows half) and CB tile columns (columns
                // half) for M right-hand sides: 6-12 accumulators in flight (module comment)
                match m {
                    4 => strip::<T, 4, 3, 3>(ap, lda, r, cs, i0, j0 + js, xl, xs, yl, ys),
                    3 => strip::<T, 3, 3, 3>(ap, lda, r, cs, i0, j0 + js, xl, xs, yl, ys),
                    2 => strip::<T, 2, 4, 4>(ap, lda, r, cs, i0, j0 + js, xl, xs, yl, ys),
                    _ => strip::<T, 1, 6, 6>(ap, lda, r, cs, i0, j0 + js, xl, xs, yl, ys),
                }
                l += m;
            }
        }
        js += cs;
    }
}

/// Both halves of one strip (`cs` columns from column `j0` of the kernel) for `M` columns of
/// X and Y (`x`, `y` point at the first of them; column strides `xs`, `ys`), in register
/// blocks of `RB` x 4 rows and `CB` tile columns (the blocking does not change any entry's
/// chain of operations, so the bits do not depend on it).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn strip<T: Entry, const M: usize, const RB: usize, const CB: usize>(
    ap: *const T,
    lda: usize,
    r: usize,
    cs: usize,
    i0: usize,
    j0: usize,
    x: *const f64,
    xs: usize,
    y: *mut f64,
    ys: usize,
) {
    // SAFETY: in bounds by the caller's contract.
    unsafe {
        let xj: [*const f64; M] = std::array::from_fn(|l| x.add(l * xs + j0));
        let xi: [*const f64; M] = std::array::from_fn(|l| x.add(l * xs + i0));
        let yq = |q: usize| -> [*mut f64; M] { std::array::from_fn(|l| y.add(l * ys + j0 + q)) };
        let mut q = 0;
        while q + CB <= cs {
            cols::<T, M, CB>(ap.add(q * lda), lda, r, xi, yq(q));
            q += CB;
        }
        while q < cs {
            cols::<T, M, 1>(ap.add(q * lda), lda, r, xi, yq(q));
            q += 1;
        }
        let yi = |i: usize| -> [*mut f64; M] { std::array::from_fn(|l| y.add(l * ys + i0 + i)) };
        let mut i = 0;
        while i + 4 * RB <= r {
            rows::<T, M, RB>(ap.add(i), lda, cs, xj, yi(i));
            i += 4 * RB;
        }
        while i + 4 <= r {
            rows::<T, M, 1>(ap.add(i), lda, cs, xj, yi(i));
            i += 4;
        }
        for ii in i..r {
            for l in 0..M {
                let p = y.add(l * ys + i0 + ii);
                let mut s = *p;
                for j in 0..cs {
                    s = (*ap.add(j * lda + ii)).to_f64().mul_add(*xj[l].add(j), s);
                }
                *p = s;
            }
        }
    }
}

/// Rows half for `4 R` rows: `y[l][t] <- fma chain over j of a[j lda + t] x[l][j]`.
#[inline(always)]
unsafe fn rows<T: Entry, const M: usize, const R: usize>(
    ap: *const T,
    lda: usize,
    cs: usize,
    xj: [*const f64; M],
    yi: [*mut f64; M],
) {
    // SAFETY: in bounds by the caller's contract.
    unsafe {
        let mut acc: [[__m256d; M]; R] =
            std::array::from_fn(|v| std::array::from_fn(|l| _mm256_loadu_pd(yi[l].add(4 * v))));
        for j in 0..cs {
            let col = ap.add(j * lda);
            // a hint, no effect on the results: while this strip is read from L2, bring the
            // next bytes of the stored triangle (the next strip) towards the cache
            // (one hint per 64-byte line of the block's rows)
            for v in (0..R).step_by(2) {
                let line = col.add(4 * v) as *const i8;
                _mm_prefetch::<_MM_HINT_T1>(line.wrapping_add(PREFETCH_AHEAD));
            }
            let av: [__m256d; R] = std::array::from_fn(|v| load4(col.add(4 * v)));
            for l in 0..M {
                let b = _mm256_broadcast_sd(&*xj[l].add(j));
                for v in 0..R {
                    acc[v][l] = _mm256_fmadd_pd(av[v], b, acc[v][l]);
                }
            }
        }
        for v in 0..R {
            for l in 0..M {
                _mm256_storeu_pd(yi[l].add(4 * v), acc[v][l]);
            }
        }
    }
}

/// Columns half for `C` tile columns: lane dots over the `r` rows, folded into `y[l][q]`.
#[inline(always)]
unsafe fn cols<T: Entry, const M: usize, const C: usize>(
    ap: *const T,
    lda: usize,
    r: usize,
    xi: [*const f64; M],
    yq: [*mut f64; M],
) {
    // SAFETY: in bounds by the caller's contract.
    unsafe {
        let mut acc = [[_mm256_setzero_pd(); M]; C];
        let main = r - r % 4;
        let mut i = 0;
        while i < main {
            let av: [__m256d; C] = std::array::from_fn(|q| load4(ap.add(q * lda + i)));
            for l in 0..M {
                let xv = _mm256_loadu_pd(xi[l].add(i));
                for q in 0..C {
                    acc[q][l] = _mm256_fmadd_pd(av[q], xv, acc[q][l]);
                }
            }
            i += 4;
        }
        for q in 0..C {
            for l in 0..M {
                let mut d = lanes_of(acc[q][l]);
                for ii in main..r {
                    let a = (*ap.add(q * lda + ii)).to_f64();
                    d[ii - main] = a.mul_add(*xi[l].add(ii), d[ii - main]);
                }
                *yq[l].add(q) += fold(d);
            }
        }
    }
}

/// See `micro::diag`.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn diag<T: Entry>(a: &[T], lda: usize, r: usize, i0: usize, v: &mut Vecs<'_>) {
    let (x, y) = (v.x.as_ptr(), v.y.as_mut_ptr());
    let mut l = 0;
    while l < v.k {
        let m = (v.k - l).min(4);
        // SAFETY: in bounds by the caller's contract (see the module comment).
        unsafe {
            let xl = x.add(l * v.ldx + i0);
            let yl = y.add(l * v.ldy + i0);
            let (xs, ys) = (v.ldx, v.ldy);
            match m {
                4 => diag_block::<T, 4>(a.as_ptr(), lda, r, xl, xs, yl, ys),
                3 => diag_block::<T, 3>(a.as_ptr(), lda, r, xl, xs, yl, ys),
                2 => diag_block::<T, 2>(a.as_ptr(), lda, r, xl, xs, yl, ys),
                _ => diag_block::<T, 1>(a.as_ptr(), lda, r, xl, xs, yl, ys),
            }
        }
        l += m;
    }
}

/// The diagonal tile for `M` columns (`x`, `y` point at row `i0` of the first of them).
/// Rows half: per block of 8 (then 4) rows, the columns left of the block by the register
/// kernel, then the block's own lower triangle row by row, continuing each chain in order;
/// columns half: per column j, the four-lane dot over rows i > j for the `M` columns at once.
#[inline(always)]
unsafe fn diag_block<T: Entry, const M: usize>(
    ap: *const T,
    lda: usize,
    r: usize,
    x: *const f64,
    xs: usize,
    y: *mut f64,
    ys: usize,
) {
    // SAFETY: in bounds by the caller's contract.
    unsafe {
        let xc: [*const f64; M] = std::array::from_fn(|l| x.add(l * xs));
        let mut i = 0;
        while i < r {
            let h = if i + 8 <= r {
                8
            } else if i + 4 <= r {
                4
            } else {
                r - i
            };
            let yi: [*mut f64; M] = std::array::from_fn(|l| y.add(l * ys + i));
            match h {
                8 => rows::<T, M, 2>(ap.add(i), lda, i, xc, yi),
                4 => rows::<T, M, 1>(ap.add(i), lda, i, xc, yi),
                _ => {
                    for ii in i..r {
                        for l in 0..M {
                            let mut s = *y.add(l * ys + ii);
                            for j in 0..i {
                                s = (*ap.add(j * lda + ii)).to_f64().mul_add(*xc[l].add(j), s);
                            }
                            *y.add(l * ys + ii) = s;
                        }
                    }
                }
            }
            for ii in i..i + h {
                for l in 0..M {
                    let mut s = *y.add(l * ys + ii);
                    for j in i..=ii {
                        s = (*ap.add(j * lda + ii)).to_f64().mul_add(*xc[l].add(j), s);
                    }
                    *y.add(l * ys + ii) = s;
                }
            }
            i += h;
        }
        for j in 0..r {
            let col = ap.add(j * lda);
            let mut acc = [_mm256_setzero_pd(); M];
            let mut i = j + 1;
            while i + 4 <= r {
                let av = load4(col.add(i));
                for l in 0..M {
                    acc[l] = _mm256_fmadd_pd(av, _mm256_loadu_pd(xc[l].add(i)), acc[l]);
                }
                i += 4;
            }
            for l in 0..M {
                let mut d = lanes_of(acc[l]);
                for ii in i..r {
                    d[ii - i] = (*col.add(ii)).to_f64().mul_add(*xc[l].add(ii), d[ii - i]);
                }
                *y.add(l * ys + j) += fold(d);
            }
        }
    }
}
