//! The streamed product `Y = K X` over a tile-packed lower triangle (see `layout.rs`):
//!
//! ```text
//! for each chunk c (in parallel):        P_c = 0  (rows 0..chunk_row_end(c), k columns)
//!     for I in chunk c, J = 0..=I:       tile (I, J) into P_c      (micro.rs, fixed order)
//! Y[i, :] = (((P_0[i, :] + P_1[i, :]) + P_2[i, :]) + ...)   over chunks whose rows reach i
//! ```
//!
//! Each tile is read exactly once. A chunk is computed sequentially by one worker, whichever
//! it is, and the partials are added in chunk order, so the output bits depend only on the
//! layout (n, tile, chunks) and never on the thread count. Extra memory: the partials,
//! `TileLayout::partial_entries(k)` f64, plus a contiguous copy of X.

use super::entry::Entry;
use super::layout::TileLayout;
use super::micro::{self, Vecs};
use faer::{MatMut, MatRef, Par};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where the tiles of a stored triangle are: `tile(i, j)` is the slice starting at the
/// tile's first entry (column-major) and its leading dimension.
pub(crate) trait TileSource<T>: Sync {
    fn tile(&self, i: usize, j: usize) -> (&[T], usize);
}

/// Temporary bytes of one `apply` with `k` right-hand sides: the chunk partials and the
/// contiguous copy of X.
pub(crate) fn scratch_bytes(layout: &TileLayout, k: usize) -> usize {
    8 * (layout.partial_entries(k) + layout.n() * k)
}

/// Number of workers a `Par` asks for.
pub(crate) fn workers(par: Par) -> usize {
    match par {
        Par::Seq => 1,
        Par::Rayon(n) => n.get(),
    }
}

/// `out = K x` for the triangle `src` laid out as `layout`.
pub(crate) fn apply<T: Entry, S: TileSource<T>>(
    layout: &TileLayout,
    src: &S,
    x: MatRef<'_, f64>,
    mut out: MatMut<'_, f64>,
    par: Par,
) {
    let (n, k) = (layout.n(), x.ncols());
    assert!(
        x.nrows() == n && out.nrows() == n && out.ncols() == k,
        "apply: x is {} x {}, out {} x {}, the kernel is {n} x {n}",
        x.nrows(),
        x.ncols(),
        out.nrows(),
        out.ncols()
    );
    if k == 0 {
        return;
    }
    let mut xb = vec![0.0; n * k];
    for l in 0..k {
        for i in 0..n {
            xb[l * n + i] = x[(i, l)];
        }
    }
    let isa = micro::Isa::detect();
    let chunks = layout.chunks();
    let partials: Vec<Mutex<Vec<f64>>> = (0..chunks)
        .map(|c| Mutex::new(vec![0.0; layout.chunk_row_end(c) * k]))
        .collect();
    let run = |c: usize| {
        let mut p = partials[c].lock().unwrap_or_else(|e| e.into_inner());
        run_chunk(isa, layout, src, c, &xb, &mut p, k);
    };
    let w = workers(par).min(chunks);
    if w <= 1 {
        (0..chunks).for_each(run);
    } else {
        let next = AtomicUsize::new(0);
        rayon::scope(|s| {
            for _ in 0..w {
                s.spawn(|_| {
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= chunks {
                            break;
                        }
                        run(c);
                    }
                });
            }
        });
    }
    let parts: Vec<Vec<f64>> = partials
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    reduce(layout, &parts, k, out.as_mut());
}

/// `out[i, l] = sum_c P_c[i, l]` in chunk order (also the distributed layer's reduction:
/// `crate::distributed` gathers the partials of every rank's chunks and calls this).
pub(crate) fn reduce(layout: &TileLayout, parts: &[Vec<f64>], k: usize, mut out: MatMut<'_, f64>) {
    let n = layout.n();
    let mut col = vec![0.0; n];
    for l in 0..k {
        col.fill(0.0);
        for (c, p) in parts.iter().enumerate() {
            let end = layout.chunk_row_end(c);
            let src = &p[l * end..(l + 1) * end];
            if c == 0 {
                col[..end].copy_from_slice(src);
            } else {
                for (y, v) in col[..end].iter_mut().zip(src) {
                    *y += v;
                }
            }
        }
        match out.as_mut().col_mut(l).try_as_col_major_mut() {
            Some(dst) => dst.as_slice_mut().copy_from_slice(&col),
            None => (0..n).for_each(|i| out[(i, l)] = col[i]),
        }
    }
}

/// Chunk `c` into its zeroed partial `p` (`chunk_row_end(c) x k`, column-major) from the
/// contiguous `x` (`n x k`), with the best micro-kernels the CPU has (also used by
/// `crate::distributed` for the chunks a rank owns; the same bits as `apply`'s chunks).
pub(crate) fn run_chunk_dispatch<T: Entry, S: TileSource<T>>(
    layout: &TileLayout,
    src: &S,
    c: usize,
    x: &[f64],
    p: &mut [f64],
    k: usize,
) {
    run_chunk(micro::Isa::detect(), layout, src, c, x, p, k)
}

/// Chunk `c` into its partial `p` (rows 0..chunk_row_end(c), k columns), tiles in order.
fn run_chunk<T: Entry, S: TileSource<T>>(
    isa: micro::Isa,
    layout: &TileLayout,
    src: &S,
    c: usize,
    x: &[f64],
    p: &mut [f64],
    k: usize,
) {
    let n = layout.n();
    let ldy = layout.chunk_row_end(c);
    let bd = layout.chunk_bounds();
    let mut v = Vecs {
        x,
        ldx: n,
        y: p,
        ldy,
        k,
    };
    for i in bd[c]..bd[c + 1] {
        let rows = layout.rows(i);
        for j in 0..=i {
            let (a, lda) = src.tile(i, j);
            if i == j {
                micro::diag(isa, a, lda, rows.len(), rows.start, &mut v);
            } else {
                let cols = layout.rows(j);
                micro::offdiag(
                    isa,
                    a,
                    lda,
                    rows.len(),
                    cols.len(),
                    rows.start,
                    cols.start,
                    &mut v,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{KernelMatrix, Packed};
    use super::*;
    use faer::Mat;

    /// The documented order (micro.rs), written out in scalar code: per chunk a zero
    /// partial, tiles in order; off-diagonal rows one fma chain over the tile's columns and
    /// columns four fma lanes over the tile's rows; diagonal tiles rows first (chain over the
    /// lower half), then the lane dots over the rows below the diagonal; partials added in
    /// chunk order.
    #[allow(clippy::needless_range_loop)]
    fn reference(k: &Mat<f64>, b: usize, x: &Mat<f64>) -> Mat<f64> {
        let n = k.nrows();
        let l = TileLayout::new(n, b, super::super::DEFAULT_CHUNKS).unwrap();
        let fold = |d: [f64; 4]| (d[0] + d[1]) + (d[2] + d[3]);
        let mut y = Mat::<f64>::zeros(n, x.ncols());
        for c in 0..l.chunks() {
            let mut p = Mat::<f64>::zeros(l.chunk_row_end(c), x.ncols());
            for ti in l.chunk_bounds()[c]..l.chunk_bounds()[c + 1] {
                let rows = l.rows(ti);
                for tj in 0..=ti {
                    let cols = l.rows(tj);
                    for q in 0..x.ncols() {
                        if ti == tj {
                            for i in rows.clone() {
                                for j in rows.start..=i {
                                    p[(i, q)] = k[(i, j)].mul_add(x[(j, q)], p[(i, q)]);
                                }
                            }
                            for j in rows.clone() {
                                let mut d = [0.0; 4];
                                for i in j + 1..rows.end {
                                    let t = (i - j - 1) % 4;
                                    d[t] = k[(i, j)].mul_add(x[(i, q)], d[t]);
                                }
                                p[(j, q)] += fold(d);
                            }
                            continue;
                        }
                        for i in rows.clone() {
                            for j in cols.clone() {
                                p[(i, q)] = k[(i, j)].mul_add(x[(j, q)], p[(i, q)]);
                            }
                        }
                        for j in cols.clone() {
                            let mut d = [0.0; 4];
                            for i in rows.clone() {
                                let t = (i - rows.start) % 4;
                                d[t] = k[(i, j)].mul_add(x[(i, q)], d[t]);
                            }
                            p[(j, q)] += fold(d);
                        }
                    }
                }
            }
            for q in 0..x.ncols() {
                for i in 0..p.nrows() {
                    y[(i, q)] = if c == 0 {
                        p[(i, q)]
                    } else {
                        y[(i, q)] + p[(i, q)]
                    };
                }
            }
        }
        y
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn the_documented_summation_order_is_the_implemented_one() {
        let mut r = crate::rng::Rng::new(3);
        for &(n, b, m) in &[
            (1, 4, 3),
            (6, 4, 3),
            (23, 5, 3),
            (64, 9, 5),
            (200, 13, 7),
            (300, 131, 10),
        ] {
            // entries of very different magnitudes: any change of order changes the bits
            let mut k = Mat::from_fn(n, n, |_, _| {
                r.normal() * 10f64.powi((r.uniform() * 12.0) as i32 - 6)
            });
            for j in 0..n {
                for i in 0..j {
                    k[(i, j)] = k[(j, i)];
                }
            }
            let x = Mat::from_fn(n, m, |_, _| r.normal());
            let p = Packed::<f64>::from_dense(k.as_ref(), b).unwrap();
            let mut y = Mat::zeros(n, m);
            p.apply(x.as_ref(), y.as_mut(), Par::rayon(2));
            assert_eq!(y, reference(&k, b, &x), "n {n} b {b}");
        }
    }

    #[test]
    fn zero_columns_and_strided_inputs() {
        let k = Mat::from_fn(5, 5, |i, j| (i + j) as f64);
        let p = Packed::<f64>::from_dense(k.as_ref(), 2).unwrap();
        let x = Mat::<f64>::zeros(5, 0);
        let mut y = Mat::<f64>::zeros(5, 0);
        p.apply(x.as_ref(), y.as_mut(), Par::Seq);
        // a transposed (row-major) X and Y give the same values
        let xt = Mat::from_fn(2, 5, |l, i| (i * 2 + l) as f64);
        let mut yt = Mat::<f64>::zeros(2, 5);
        p.apply(xt.transpose(), yt.as_mut().transpose_mut(), Par::Seq);
        let mut y2 = Mat::<f64>::zeros(5, 2);
        p.apply(xt.transpose().to_owned().as_ref(), y2.as_mut(), Par::Seq);
        assert_eq!(yt.transpose().to_owned(), y2);
    }
}
