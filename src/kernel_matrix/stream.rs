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
    let chunks = layout.chunks();
    let partials: Vec<Mutex<Vec<f64>>> = (0..chunks)
        .map(|c| Mutex::new(vec![0.0; layout.chunk_row_end(c) * k]))
        .collect();
    let run = |c: usize| {
        let mut p = partials[c].lock().unwrap_or_else(|e| e.into_inner());
        run_chunk_dispatch(layout, src, c, &xb, &mut p, k);
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

/// `out[i, l] = sum_c P_c[i, l]` in chunk order.
fn reduce(layout: &TileLayout, parts: &[Vec<f64>], k: usize, mut out: MatMut<'_, f64>) {
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

fn run_chunk_dispatch<T: Entry, S: TileSource<T>>(
    layout: &TileLayout,
    src: &S,
    c: usize,
    x: &[f64],
    p: &mut [f64],
    k: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Entry, S: TileSource<T>>(
            layout: &TileLayout,
            src: &S,
            c: usize,
            x: &[f64],
            p: &mut [f64],
            k: usize,
        ) {
            run_chunk(layout, src, c, x, p, k)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { avx2(layout, src, c, x, p, k) };
        }
    }
    run_chunk(layout, src, c, x, p, k)
}

/// Chunk `c` into its partial `p` (rows 0..chunk_row_end(c), k columns), tiles in order.
#[inline(always)]
fn run_chunk<T: Entry, S: TileSource<T>>(
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
                micro::diag(a, lda, rows.len(), rows.start, &mut v);
            } else {
                let cols = layout.rows(j);
                micro::offdiag(
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
