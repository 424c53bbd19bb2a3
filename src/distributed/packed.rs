//! `Distributed<T>`: a packed training kernel (the tile layout of
//! [`crate::kernel_matrix::TileLayout`]) whose chunks are split over the ranks of a
//! [`Comm`]; each rank builds and stores only the tile rows of its chunks:
//!
//! ```text
//! rank r owns chunks C_r = even(C, P, r), i.e. tile rows bounds[C_r.start]..bounds[C_r.end]
//! apply:    P_c = chunk c's partial (stream.rs, the same code)     for c in C_r
//!           all-gather [P_c for c in C_r] over ranks  ->  every P_0 .. P_{C-1} on every rank
//!           Y = ((P_0 + P_1) + P_2) + ...                (stream.rs's reduce, chunk order)
//! diagonal, columns: each entry from the one rank storing it, gathered
//! ```
//!
//! Every rank ends a product holding the whole `Y`, with exactly the bits of the
//! single-process [`crate::kernel_matrix::Packed`] of the same layout, for any P: the
//! partials are computed by the same code and added in the same order, and nothing is
//! summed by the communication. Solvers run unchanged (and redundantly) on every rank.
//! Communication per product: `8 k sum_c chunk_row_end(c)` bytes gathered (about
//! `8 k n 2C/3` for C balanced chunks). With more ranks than chunks, the extra ranks
//! store nothing.

use super::comm::{Comm, agree};
use super::split;
use crate::kernel::KernelPlan;
use crate::kernel_matrix::{
    BuildOptions, DEFAULT_CHUNKS, Entry, KernelMatrix, Precision, TileLayout, TileSource,
    check_fits, fill_tile_rows, reduce, run_chunk_dispatch, workers,
};
use crate::{Error, Result};
use faer::{MatMut, MatRef, Par};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A kernel matrix whose tile rows are split over ranks (see the module docs).
///
/// ```
/// use ntk::distributed::{Distributed, ThreadComm};
/// use ntk::kernel_matrix::{KernelMatrix, Packed};
/// let k = faer::Mat::from_fn(9, 9, |i, j| 1.0 / (1.0 + i as f64 + j as f64));
/// let x = faer::Mat::from_fn(9, 2, |i, j| (i + 3 * j) as f64);
/// let mut want = faer::Mat::zeros(9, 2);
/// Packed::<f64>::from_dense(k.as_ref(), 2)?.apply(x.as_ref(), want.as_mut(), faer::Par::Seq);
/// let got = ThreadComm::run(3, |c| {
///     let d = Distributed::<f64>::from_fn(c, 9, 2, |i, j| k[(i, j)]).unwrap();
///     let mut y = faer::Mat::zeros(9, 2);
///     d.apply(x.as_ref(), y.as_mut(), faer::Par::Seq);
///     y
/// });
/// assert!(got.iter().all(|y| *y == want)); // the same bits on every rank
/// # Ok::<(), ntk::Error>(())
/// ```
pub struct Distributed<'c, T: Entry = f64> {
    comm: &'c dyn Comm,
    layout: TileLayout,
    /// Chunks of each rank.
    owners: Vec<Range<usize>>,
    /// Entry offset of this rank's first tile in the whole layout.
    base: usize,
    data: Vec<T>,
}

impl<T: Entry> TileSource<T> for Distributed<'_, T> {
    #[inline]
    fn tile(&self, i: usize, j: usize) -> (&[T], usize) {
        (
            &self.data[self.layout.offset(i, j) - self.base..],
            self.layout.rows(i).len(),
        )
    }
}

/// Distributed training kernels (the ones asked for), like
/// [`crate::kernel_matrix::PackedKernels`].
pub struct DistributedKernels<'c, T: Entry> {
    /// The NNGP, if requested.
    pub nngp: Option<Distributed<'c, T>>,
    /// The NTK, if requested.
    pub ntk: Option<Distributed<'c, T>>,
}

/// The chunks of every rank for a layout.
fn owners(layout: &TileLayout, size: usize) -> Vec<Range<usize>> {
    (0..size)
        .map(|r| split::even(layout.chunks(), size, r))
        .collect()
}

/// The tile rows of a chunk range.
fn tile_rows(layout: &TileLayout, chunks: &Range<usize>) -> Range<usize> {
    let bd = layout.chunk_bounds();
    bd[chunks.start]..bd[chunks.end]
}

/// Entries stored for the tile rows `rows`.
fn entries(layout: &TileLayout, rows: &Range<usize>) -> usize {
    if rows.is_empty() {
        return 0;
    }
    let end = if rows.end == layout.tile_rows() {
        layout.entries()
    } else {
        layout.offset(rows.end, 0)
    };
    end - layout.offset(rows.start, 0)
}

/// Bytes rank `rank` of `size` stores for one kernel of order `n` in tiles of `tile`, cut
/// into `chunks` chunks, at `precision`: its share for memory planning.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n` or `tile` is 0.
///
/// ```
/// use ntk::distributed::rank_bytes;
/// use ntk::kernel_matrix::{bytes, Precision};
/// let all: u64 = (0..3).map(|r| rank_bytes(1000, 64, 16, Precision::F64, r, 3).unwrap()).sum();
/// assert_eq!(all, bytes(1000, 64, Precision::F64)?);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn rank_bytes(
    n: usize,
    tile: usize,
    chunks: usize,
    precision: Precision,
    rank: usize,
    size: usize,
) -> Result<u64> {
    let l = TileLayout::new(n, tile, chunks)?;
    let rows = tile_rows(&l, &split::even(l.chunks(), size, rank));
    Ok(entries(&l, &rows) as u64 * precision.bytes() as u64)
}

impl<'c, T: Entry> Distributed<'c, T> {
    /// Zero storage of this rank's share, after checking that it fits `budget`.
    fn zeroed(comm: &'c dyn Comm, layout: TileLayout, budget: Option<f64>) -> Result<Self> {
        let owners = owners(&layout, comm.size());
        let rows = tile_rows(&layout, &owners[comm.rank()]);
        let len = entries(&layout, &rows);
        let bytes = len * std::mem::size_of::<T>();
        check_fits(
            bytes as f64,
            budget,
            &format!(
                "rank {}'s share of the packed {} kernel (n = {}, tile {})",
                comm.rank(),
                T::PRECISION.name(),
                layout.n(),
                layout.tile()
            ),
        )?;
        let base = if rows.is_empty() {
            0
        } else {
            layout.offset(rows.start, 0)
        };
        Ok(Distributed {
            comm,
            layout,
            owners,
            base,
            data: vec![T::default(); len],
        })
    }

    /// The symmetric matrix with lower-triangle entries `f(i, j)`, `i >= j`, each rank
    /// storing its share (collective; for tests and examples; `f` is called only for the
    /// entries this rank stores).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n = 0` or `tile = 0`, [`Error::Memory`] if a
    /// share does not fit, [`Error::Data`] for a non-finite entry — on every rank.
    pub fn from_fn(
        comm: &'c dyn Comm,
        n: usize,
        tile: usize,
        f: impl Fn(usize, usize) -> f64,
    ) -> Result<Self> {
        let made = TileLayout::new(n, tile, DEFAULT_CHUNKS)
            .and_then(|l| Self::zeroed(comm, l, None))
            .and_then(|mut d| {
                let l = d.layout.clone();
                for ti in tile_rows(&l, &d.owners[comm.rank()]) {
                    for tj in 0..=ti {
                        let (rows, cols) = (l.rows(ti), l.rows(tj));
                        let off = l.offset(ti, tj) - d.base;
                        for (jj, j) in cols.clone().enumerate() {
                            for (ii, i) in rows.clone().enumerate() {
                                let v = if i >= j { f(i, j) } else { f(j, i) };
                                let e = T::from_f64(v);
                                if !e.to_f64().is_finite() {
                                    return Err(Error::Data(format!(
                                        "kernel entry ({i}, {j}) = {v} is not finite"
                                    )));
                                }
                                d.data[off + jj * rows.len() + ii] = e;
                            }
                        }
                    }
                }
                Ok(d)
            });
        agree(comm, made)
    }

    /// The tile layout (the same on every rank).
    pub fn layout(&self) -> &TileLayout {
        &self.layout
    }

    /// The chunks this rank owns.
    pub fn chunks(&self) -> Range<usize> {
        self.owners[self.comm.rank()].clone()
    }

    /// `K[i, j]` if this rank stores it (`i, j` in either order).
    fn local(&self, i: usize, j: usize) -> Option<f64> {
        let (i, j) = if i >= j { (i, j) } else { (j, i) };
        let b = self.layout.tile();
        let (ti, tj) = (i / b, j / b);
        if !tile_rows(&self.layout, &self.chunks()).contains(&ti) {
            return None;
        }
        let r = self.layout.rows(ti).len();
        let off = self.layout.offset(ti, tj) - self.base;
        Some(self.data[off + (j - tj * b) * r + (i - ti * b)].to_f64())
    }

    /// Row ranges of column `c` whose entries rank `s` stores (entry (i, c) lives in tile
    /// row max(i / b, c / b)).
    fn column_rows(&self, s: usize, c: usize) -> Vec<Range<usize>> {
        let l = &self.layout;
        let rows = tile_rows(l, &self.owners[s]);
        let tc = c / l.tile();
        let mut out = Vec::new();
        if rows.contains(&tc) {
            out.push(0..l.rows(tc).start); // tile rows above tc, by symmetry
        }
        let lo = rows.start.max(tc);
        if lo < rows.end {
            out.push(l.rows(lo).start..l.rows(rows.end - 1).end);
        }
        out
    }
}

/// Build this rank's share of the training kernel(s) of a symmetric plan (collective): the
/// tile rows of its chunks, by the same code as [`crate::kernel_matrix::build_packed`], so
/// the stored entries are the same bits. `opts.budget` bounds this rank's share (None: 90%
/// of the memory available now); it is checked before allocating.
///
/// # Errors
/// As `build_packed`, on every rank (the lowest failing rank's error).
///
/// ```
/// use ntk::distributed::{build_distributed, ThreadComm};
/// use ntk::kernel_matrix::{build_packed, BuildOptions, KernelMatrix, Which};
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(20, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)?;
/// let plan = KernelPlan::new(&net, x.as_ref(), None)?;
/// let opts = BuildOptions { which: Which::Ntk, tile: 4, ..Default::default() };
/// let whole = build_packed::<f64>(&plan, &opts, None)?.ntk.unwrap();
/// let c = faer::Mat::from_fn(20, 1, |i, _| i as f64);
/// let mut want = faer::Mat::zeros(20, 1);
/// whole.apply(c.as_ref(), want.as_mut(), faer::Par::Seq);
/// let ok = ThreadComm::run(2, |comm| {
///     let d = build_distributed::<f64>(comm, &plan, &opts, None).unwrap().ntk.unwrap();
///     let mut y = faer::Mat::zeros(20, 1);
///     d.apply(c.as_ref(), y.as_mut(), faer::Par::Seq);
///     y == want && d.diagonal() == whole.diagonal()
/// });
/// assert_eq!(ok, vec![true, true]);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn build_distributed<'c, T: Entry>(
    comm: &'c dyn Comm,
    plan: &KernelPlan<'_>,
    opts: &BuildOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<DistributedKernels<'c, T>> {
    let made = (|| {
        if !plan.is_symmetric() {
            return Err(Error::Shape(
                "distributed storage holds a symmetric training kernel".into(),
            ));
        }
        let layout = TileLayout::new(plan.shape().0, opts.tile, opts.chunks)?;
        let mine = tile_rows(
            &layout,
            &split::even(layout.chunks(), comm.size(), comm.rank()),
        );
        let share = entries(&layout, &mine) as f64 * std::mem::size_of::<T>() as f64;
        check_fits(
            share * opts.which.count() as f64,
            opts.budget,
            &format!(
                "rank {} of {}: its share of {} packed {} kernel(s) of n = {}",
                comm.rank(),
                comm.size(),
                opts.which.count(),
                T::PRECISION.name(),
                layout.n()
            ),
        )?;
        let alloc = |keep: bool| -> Result<Option<Distributed<'c, T>>> {
            keep.then(|| Distributed::zeroed(comm, layout.clone(), Some(f64::INFINITY)))
                .transpose()
        };
        Ok((
            layout.clone(),
            mine,
            alloc(opts.which.nngp())?,
            alloc(opts.which.ntk())?,
        ))
    })();
    let (layout, mine, mut nngp, mut ntk) = agree(comm, made)?;
    let filled = fill_tile_rows(
        plan,
        &layout,
        mine,
        opts.threads,
        nngp.as_mut().map(|d| d.data.as_mut_slice()),
        ntk.as_mut().map(|d| d.data.as_mut_slice()),
        progress,
    );
    agree(comm, filled)?;
    Ok(DistributedKernels { nngp, ntk })
}

impl<T: Entry> KernelMatrix for Distributed<'_, T> {
    fn n(&self) -> usize {
        self.layout.n()
    }

    fn diagonal(&self) -> Vec<f64> {
        let l = &self.layout;
        let mine: Vec<f64> = tile_rows(l, &self.chunks())
            .flat_map(|t| l.rows(t))
            .map(|i| self.local(i, i).unwrap_or(f64::NAN))
            .collect();
        self.comm.all_gather(&mine).concat()
    }

    fn apply(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, par: Par) {
        let (n, k) = (self.layout.n(), x.ncols());
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
        let mine = self.chunks();
        let parts: Vec<Mutex<Vec<f64>>> = mine
            .clone()
            .map(|c| Mutex::new(vec![0.0; self.layout.chunk_row_end(c) * k]))
            .collect();
        let run = |q: usize| {
            let mut p = parts[q].lock().unwrap_or_else(|e| e.into_inner());
            run_chunk_dispatch(&self.layout, self, mine.start + q, &xb, &mut p, k);
        };
        let w = workers(par).min(parts.len());
        if w <= 1 {
            (0..parts.len()).for_each(run);
        } else {
            let next = AtomicUsize::new(0);
            rayon::scope(|s| {
                for _ in 0..w {
                    s.spawn(|_| {
                        loop {
                            let q = next.fetch_add(1, Ordering::Relaxed);
                            if q >= parts.len() {
                                break;
                            }
                            run(q);
                        }
                    });
                }
            });
        }
        let flat: Vec<f64> = parts
            .into_iter()
            .flat_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect();
        let gathered = self.comm.all_gather(&flat);
        let mut all: Vec<Vec<f64>> = Vec::with_capacity(self.layout.chunks());
        for (s, got) in gathered.iter().enumerate() {
            let mut at = 0;
            for c in self.owners[s].clone() {
                let len = self.layout.chunk_row_end(c) * k;
                all.push(got.get(at..at + len).map_or_else(Vec::new, <[f64]>::to_vec));
                at += len;
            }
        }
        reduce(&self.layout, &all, k, out);
    }

    fn columns(&self, cols: &[usize], mut out: MatMut<'_, f64>) {
        let me = self.comm.rank();
        let mut mine = Vec::new();
        for &c in cols {
            for r in self.column_rows(me, c) {
                mine.extend(r.map(|i| self.local(i, c).unwrap_or(f64::NAN)));
            }
        }
        let gathered = self.comm.all_gather(&mine);
        for (s, got) in gathered.iter().enumerate() {
            let mut vals = got.iter();
            for (jj, &c) in cols.iter().enumerate() {
                for r in self.column_rows(s, c) {
                    for i in r {
                        out[(i, jj)] = vals.next().copied().unwrap_or(f64::NAN);
                    }
                }
            }
        }
    }

    fn bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<T>()
    }

    fn precision(&self) -> Precision {
        T::PRECISION
    }

    fn scratch_bytes(&self, k: usize) -> usize {
        // own partials, the gathered partials (all chunks) and the contiguous copy of x
        let own: usize = self
            .chunks()
            .map(|c| self.layout.chunk_row_end(c) * k)
            .sum();
        8 * (own + 2 * self.layout.partial_entries(k) + self.layout.n() * k)
    }
}
