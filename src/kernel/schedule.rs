//! Parallel tiled evaluation of a whole kernel: the (n1 x n2) output is cut into fixed
//! `tile x tile` blocks; blocks are independent and run on a local rayon pool of the
//! requested size. For a symmetric kernel only blocks on or below the diagonal are computed
//! and each is mirrored into its transposed position while still in cache.
//!
//! Every block is computed by the same sequential code whatever thread runs it, so results
//! are bitwise identical for any thread count. Extra memory: one `tile x tile` scratch per
//! worker thread.

use super::plan::KernelPlan;
use super::{KernelOptions, Kernels};
use crate::{Error, Result};
use faer::{Mat, MatMut};
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A raw view of an output matrix that tiles write disjoint blocks of.
#[derive(Clone, Copy)]
struct Out {
    ptr: *mut f64,
    col_stride: isize,
}
// SAFETY: every tile writes a block disjoint from all other tiles' blocks (see `run`), and
// the owning `Mat` outlives the parallel region.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    fn of(m: &mut Mat<f64>) -> Self {
        Out {
            ptr: m.as_mut().as_ptr_mut(),
            col_stride: m.col_stride(),
        }
    }

    /// The block starting at (i0, j0) of shape nr x nc.
    ///
    /// # Safety
    /// The block is in bounds and no other live view overlaps it.
    #[inline]
    unsafe fn block<'b>(&self, i0: usize, j0: usize, nr: usize, nc: usize) -> MatMut<'b, f64> {
        // SAFETY: forwarded from the caller; the output has unit row stride.
        unsafe {
            let p = self.ptr.offset(i0 as isize + j0 as isize * self.col_stride);
            MatMut::from_raw_parts_mut(p, nr, nc, 1, self.col_stride)
        }
    }

    /// # Safety
    /// (i, j) in bounds and not accessed concurrently by another tile.
    #[inline]
    unsafe fn read(&self, i: usize, j: usize) -> f64 {
        unsafe { *self.ptr.offset(i as isize + j as isize * self.col_stride) }
    }

    /// # Safety
    /// (i, j) in bounds and not accessed concurrently by another tile.
    #[inline]
    unsafe fn write(&self, i: usize, j: usize, v: f64) {
        unsafe { *self.ptr.offset(i as isize + j as isize * self.col_stride) = v };
    }
}

/// Bytes of the requested outputs.
pub(crate) fn output_bytes(n1: usize, n2: usize, compute_ntk: bool) -> f64 {
    (n1 as f64) * (n2 as f64) * 8.0 * if compute_ntk { 2.0 } else { 1.0 }
}

/// Memory available for new allocations, from /proc/meminfo (None if unknown).
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

pub(crate) fn run(
    plan: &KernelPlan<'_>,
    opts: &KernelOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Kernels> {
    let (n1, n2) = plan.shape();
    let need = output_bytes(n1, n2, opts.compute_ntk);
    if let Some(avail) = available_memory() {
        if need > 0.9 * avail {
            return Err(Error::Memory(format!(
                "the {n1} x {n2} output{} need {:.2} GB but only {:.2} GB of memory is available; \
                 use fewer points, skip the NTK, or compute tiles on their own with KernelPlan::tile",
                if opts.compute_ntk {
                    "s (NNGP and NTK)"
                } else {
                    " (NNGP)"
                },
                need / 1e9,
                avail / 1e9
            )));
        }
    }
    if opts.tile == 0 {
        return Err(Error::param("tile", "tile size must be at least 1"));
    }
    let t = opts.tile;
    let mut nngp = super::pages::zeros(n1, n2);
    let mut ntk = if opts.compute_ntk {
        Some(super::pages::zeros(n1, n2))
    } else {
        None
    };
    let out_k = Out::of(&mut nngp);
    let out_t = ntk.as_mut().map(Out::of);
    let (b1, b2) = (n1.div_ceil(t), n2.div_ceil(t));
    let symmetric = plan.is_symmetric();
    let blocks: Vec<(usize, usize)> = if symmetric {
        (0..b1)
            .flat_map(|bi| (0..=bi).map(move |bj| (bi, bj)))
            .collect()
    } else {
        (0..b1)
            .flat_map(|bi| (0..b2).map(move |bj| (bi, bj)))
            .collect()
    };
    let total = blocks.len();
    let done = AtomicUsize::new(0);
    // the first non-finite entry in column-major order, (column, row), over all tiles
    let bad = Mutex::new(None::<(usize, usize, bool)>);
    let work = || {
        blocks.par_iter().for_each_init(
            || (Vec::new(), Mat::<f64>::zeros(t, t)),
            |(scratch, gram), &(bi, bj)| {
                let rows = bi * t..((bi + 1) * t).min(n1);
                let cols = bj * t..((bj + 1) * t).min(n2);
                let (nr, nc) = (rows.len(), cols.len());
                let diag = symmetric && bi == bj;
                let (r0, c0) = (rows.start, cols.start);
                // SAFETY: block (bi, bj) (and its mirror (bj, bi), written below) belong to
                // this tile only; the outputs outlive the parallel region.
                let (kb, tb) = unsafe {
                    (
                        out_k.block(r0, c0, nr, nc),
                        out_t.map(|o| o.block(r0, c0, nr, nc)),
                    )
                };
                plan.tile_into(
                    rows.clone(),
                    cols.clone(),
                    scratch,
                    gram.as_mut().submatrix_mut(0, 0, nr, nc),
                    kb,
                    tb,
                    diag,
                );
                // finiteness, while the block is in cache
                for (o, is_ntk) in [(Some(out_k), false), (out_t, true)] {
                    let Some(o) = o else { continue };
                    for jj in 0..nc {
                        let i_first = if diag { jj } else { 0 };
                        for ii in i_first..nr {
                            // SAFETY: as above.
                            if !unsafe { o.read(r0 + ii, c0 + jj) }.is_finite() {
                                let (i, j) = (r0 + ii, c0 + jj);
                                // in a symmetric kernel the mirror (j, i) comes first
                                let key = if symmetric {
                                    (i.min(j), i.max(j))
                                } else {
                                    (j, i)
                                };
                                let mut b = bad.lock().unwrap_or_else(|e| e.into_inner());
                                let cand = (key.0, key.1, is_ntk);
                                if b.is_none_or(|cur| {
                                    (cand.2, cand.0, cand.1) < (cur.2, cur.0, cur.1)
                                }) {
                                    *b = Some(cand);
                                }
                            }
                        }
                    }
                }
                // the mirror (j, i), column by column of the output (the transposed reads
                // are of the block just written, still in cache)
                if symmetric {
                    for ii in 0..nr {
                        for jj in 0..nc {
                            let (i, j) = (r0 + ii, c0 + jj);
                            if j >= i {
                                continue;
                            }
                            // SAFETY: as above.
                            unsafe {
                                out_k.write(j, i, out_k.read(i, j));
                                if let Some(o) = out_t {
                                    o.write(j, i, o.read(i, j));
                                }
                            }
                        }
                    }
                }
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = progress {
                    p(k, total);
                }
            },
        )
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?
        .install(work);
    if let Some((j, i, is_ntk)) = bad.into_inner().unwrap_or_else(|e| e.into_inner()) {
        let (what, m) = if is_ntk {
            ("NTK", ntk.as_ref().unwrap_or(&nngp))
        } else {
            ("NNGP", &nngp)
        };
        return Err(non_finite(what, i, j, m[(i, j)]));
    }
    Ok(Kernels { nngp, ntk })
}

fn non_finite(what: &str, i: usize, j: usize, v: f64) -> Error {
    Error::Numerical(format!(
        "the {what} entry ({i}, {j}) is {v}: the network's scale overflows f64 \
         (w_std^(2 depth) too large); use a smaller w_std or depth"
    ))
}

impl KernelPlan<'_> {
    /// Only the Gram part of [`KernelPlan::compute`]: the same tiles on the same pool, each
    /// tile's `X1 X2^T` block computed into a per-thread scratch and dropped. For measuring
    /// the Gram kernel's rate against a plain GEMM (`examples/limits.rs`); not a stable API.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for tile 0, [`Error::Numerical`] if no pool starts.
    ///
    /// ```
    /// # use ntk::{kernel::{KernelOptions, KernelPlan}, Activation, Network};
    /// let x = faer::Mat::from_fn(9, 3, |i, j| (i + j) as f64);
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 1, 1.0, 0.0)?, x.as_ref(), None)?;
    /// plan.gram_only(&KernelOptions { tile: 4, ..Default::default() })?;
    /// # Ok::<(), ntk::Error>(())
    /// ```
    #[doc(hidden)]
    pub fn gram_only(&self, opts: &KernelOptions) -> Result<()> {
        if opts.tile == 0 {
            return Err(Error::param("tile", "tile size must be at least 1"));
        }
        let t = opts.tile;
        let (n1, n2) = self.shape();
        let symmetric = self.is_symmetric();
        let blocks: Vec<(usize, usize)> = (0..n1.div_ceil(t))
            .flat_map(|bi| {
                let last = if symmetric { bi + 1 } else { n2.div_ceil(t) };
                (0..last).map(move |bj| (bi, bj))
            })
            .collect();
        let work = || {
            blocks.par_iter().for_each_init(
                || (Vec::new(), Mat::<f64>::zeros(t, t)),
                |(scratch, gram), &(bi, bj)| {
                    let rows = bi * t..((bi + 1) * t).min(n1);
                    let cols = bj * t..((bj + 1) * t).min(n2);
                    let (nr, nc) = (rows.len(), cols.len());
                    let g = gram.as_mut().submatrix_mut(0, 0, nr, nc);
                    self.gram_tile(rows, cols, symmetric && bi == bj, scratch, g);
                },
            )
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?
            .install(work);
        Ok(())
    }
}
