//! Building packed training kernels from a [`KernelPlan`] (x against itself):
//!
//! ```text
//! for every stored tile (I, J), J <= I, in parallel on a local pool of `threads`:
//!     plan.tile_into(rows I, cols J)  ->  NNGP tile (and the NTK tile, whose recursion
//!     needs the NNGP one anyway)  ->  rounded to T, written to the tile's own slice
//! ```
//!
//! Tiles are exactly the blocks [`crate::kernel::kernels`] computes with the same tile edge
//! (diagonal tiles as their lower half, mirrored), by the same sequential code, so stored
//! f64 entries equal the dense output bit for bit, for any thread count. Only the requested
//! kernels are stored: "the kernel that drives training is built unless the other is asked
//! for". Memory is checked before allocating.

use super::entry::Entry;
use super::layout::{DEFAULT_CHUNKS, DEFAULT_TILE, TileLayout};
use super::memory::check_fits;
use super::packed::Packed;
use crate::kernel::KernelPlan;
use crate::{Error, Result};
use faer::Mat;
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which kernel(s) to compute and keep.
///
/// ```
/// use ntk::kernel_matrix::Which;
/// assert!(Which::Ntk.ntk() && !Which::Ntk.nngp());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The NNGP only.
    Nngp,
    /// The NTK only (its NNGP tiles are computed on the way and dropped).
    Ntk,
    /// Both.
    Both,
}

impl Which {
    /// Is the NNGP kept?
    ///
    /// ```
    /// assert!(ntk::kernel_matrix::Which::Both.nngp());
    /// ```
    pub fn nngp(self) -> bool {
        matches!(self, Which::Nngp | Which::Both)
    }

    /// Is the NTK kept?
    ///
    /// ```
    /// assert!(!ntk::kernel_matrix::Which::Nngp.ntk());
    /// ```
    pub fn ntk(self) -> bool {
        matches!(self, Which::Ntk | Which::Both)
    }

    /// Number of kernels kept (1 or 2).
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::Which::Both.count(), 2);
    /// ```
    pub fn count(self) -> usize {
        usize::from(self.nngp()) + usize::from(self.ntk())
    }
}

/// Options for [`build_packed`].
///
/// ```
/// let o = ntk::kernel_matrix::BuildOptions::default();
/// assert_eq!((o.tile, o.threads), (256, 0));
/// ```
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Which kernels to store (default: the NTK, the one that drives training).
    pub which: Which,
    /// Worker threads of the local pool; 0 = all cores. Results are identical for any value.
    pub threads: usize,
    /// Tile edge (default 256, as `KernelOptions::tile`).
    pub tile: usize,
    /// Byte budget for the storage; None = 90% of the memory available now.
    pub budget: Option<f64>,
    /// Chunks of the fixed product partition (default [`DEFAULT_CHUNKS`]): products'
    /// bits depend on it (never on threads or ranks), and at most this many ranks of a
    /// distributed run store tiles.
    pub chunks: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            which: Which::Ntk,
            threads: 0,
            tile: DEFAULT_TILE,
            budget: None,
            chunks: DEFAULT_CHUNKS,
        }
    }
}

/// Packed training kernels (the ones that were asked for); see [`build_packed`].
///
/// ```
/// let k = ntk::kernel_matrix::PackedKernels::<f64> { nngp: None, ntk: None };
/// assert!(k.ntk.is_none());
/// ```
#[derive(Clone, Debug)]
pub struct PackedKernels<T: Entry> {
    /// The NNGP, if requested.
    pub nngp: Option<Packed<T>>,
    /// The NTK, if requested.
    pub ntk: Option<Packed<T>>,
}

/// Cut the storage of the tiles of `rows` (tile rows) into one mutable slice per tile, in
/// layout order.
fn tile_slices<'a, T>(
    mut data: &'a mut [T],
    l: &TileLayout,
    rows: std::ops::Range<usize>,
) -> Vec<&'a mut [T]> {
    let mut out = Vec::new();
    for i in rows {
        for j in 0..=i {
            let (t, rest) = data.split_at_mut(l.rows(i).len() * l.rows(j).len());
            out.push(t);
            data = rest;
        }
    }
    out
}

/// Compute and pack the training kernel(s) of a symmetric plan (`x` against itself).
/// `progress(done, total)` is called after each tile, from worker threads.
///
/// # Errors
/// [`Error::Shape`] for a cross plan, [`Error::InvalidParameter`] for `tile = 0`,
/// [`Error::Memory`] (before allocating) if the storage exceeds the budget,
/// [`Error::Numerical`] for a non-finite entry, or if the pool cannot start.
///
/// ```
/// use ntk::kernel_matrix::{build_packed, BuildOptions, KernelMatrix, Which};
/// use ntk::{kernel, Activation, Network};
/// let x = faer::Mat::from_fn(6, 3, |i, j| ((i * 3 + j) as f64).cos());
/// let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)?;
/// let plan = kernel::KernelPlan::new(&net, x.as_ref(), None)?;
/// let opts = BuildOptions { which: Which::Both, tile: 4, threads: 2, ..Default::default() };
/// let k = build_packed::<f64>(&plan, &opts, None)?;
/// let dense = kernel::kernels(&net, x.as_ref(), None,
///     &kernel::KernelOptions { tile: 4, ..Default::default() })?;
/// let ntk = k.ntk.as_ref().unwrap();
/// assert_eq!(ntk.to_dense(), dense.ntk.unwrap()); // bit for bit
/// assert_eq!(ntk.n(), 6);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn build_packed<T: Entry>(
    plan: &KernelPlan<'_>,
    opts: &BuildOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<PackedKernels<T>> {
    if !plan.is_symmetric() {
        return Err(Error::Shape(
            "packed storage holds a symmetric training kernel: build it from a plan of x \
             against itself (cross kernels are streamed, see kernel_matrix::cross_apply)"
                .into(),
        ));
    }
    let (n, _) = plan.shape();
    let layout = TileLayout::new(n, opts.tile, opts.chunks)?;
    let bytes = layout.entries() as f64 * std::mem::size_of::<T>() as f64;
    check_fits(
        bytes * opts.which.count() as f64,
        opts.budget,
        &format!(
            "storing {} packed {} kernel{} of n = {n}",
            opts.which.count(),
            T::PRECISION.name(),
            if opts.which.count() == 1 { "" } else { "s" }
        ),
    )?;
    let alloc = |keep: bool| -> Result<Option<Packed<T>>> {
        keep.then(|| Packed::zeroed(layout.clone(), Some(f64::INFINITY)))
            .transpose()
    };
    let mut nngp = alloc(opts.which.nngp())?;
    let mut ntk = alloc(opts.which.ntk())?;
    fill_tile_rows(
        plan,
        &layout,
        0..layout.tile_rows(),
        opts.threads,
        nngp.as_mut().map(|p| p.data_mut()),
        ntk.as_mut().map(|p| p.data_mut()),
        progress,
    )?;
    Ok(PackedKernels { nngp, ntk })
}

/// Compute the tiles of `tile_rows` (every `(I, J)`, `J <= I`, `I` in the range) into
/// `nngp` / `ntk` (each `Some` if kept), slices holding exactly those tiles in layout order
/// (they start at `layout.offset(tile_rows.start, 0)`). The NTK is computed iff `ntk` is
/// given. Used by [`build_packed`] (all tile rows) and by `crate::distributed` (the tile
/// rows of a rank's chunks): the same tiles by the same code, so the same bits.
pub(crate) fn fill_tile_rows<T: Entry>(
    plan: &KernelPlan<'_>,
    layout: &TileLayout,
    tile_rows: std::ops::Range<usize>,
    threads: usize,
    nngp: Option<&mut [T]>,
    ntk: Option<&mut [T]>,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<()> {
    let want_ntk = ntk.is_some();
    let mut ks = nngp.map(|d| tile_slices(d, layout, tile_rows.clone()).into_iter());
    let mut ts = ntk.map(|d| tile_slices(d, layout, tile_rows.clone()).into_iter());
    let items: Vec<_> = tile_rows
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .map(|c| {
            let k = ks.as_mut().and_then(|it| it.next());
            let t = ts.as_mut().and_then(|it| it.next());
            (c, k, t)
        })
        .collect();
    let total = items.len();
    let done = AtomicUsize::new(0);
    let bad: Mutex<Option<(usize, usize, f64, &str)>> = Mutex::new(None);
    let b = layout.tile();
    let work = || {
        items.into_par_iter().for_each_init(
            || {
                (
                    Mat::<f64>::zeros(b, b),
                    Mat::<f64>::zeros(b, b),
                    Mat::<f64>::zeros(b, b),
                    Vec::new(),
                )
            },
            |(gram, kb, tb, scratch), ((ti, tj), kd, td)| {
                let (rows, cols) = (layout.rows(ti), layout.rows(tj));
                let (nr, nc) = (rows.len(), cols.len());
                let diag = ti == tj;
                plan.tile_into(
                    rows.clone(),
                    cols.clone(),
                    scratch,
                    gram.as_mut().submatrix_mut(0, 0, nr, nc),
                    kb.as_mut().submatrix_mut(0, 0, nr, nc),
                    want_ntk.then(|| tb.as_mut().submatrix_mut(0, 0, nr, nc)),
                    diag,
                );
                for (dst, src, name) in [(kd, &*kb, "NNGP"), (td, &*tb, "NTK")] {
                    let Some(dst) = dst else { continue };
                    if let Some((ii, jj, v)) = store(dst, src, nr, nc, diag) {
                        let mut g = bad.lock().unwrap_or_else(|e| e.into_inner());
                        g.get_or_insert((rows.start + ii, cols.start + jj, v, name));
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
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?
        .install(work);
    if let Some((i, j, v, name)) = bad.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(Error::Numerical(format!(
            "the {name} entry ({i}, {j}) is {v}, which {} storage cannot hold: the network's \
             scale is too large (w_std^(2 depth)); use a smaller w_std or depth{}",
            T::PRECISION.name(),
            if T::PRECISION == super::Precision::F32 {
                ", or f64 storage"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// Write an `nr x nc` tile (column-major) from `src`, mirroring the lower half of a
/// diagonal tile; returns the first non-finite entry, if any.
fn store<T: Entry>(
    dst: &mut [T],
    src: &Mat<f64>,
    nr: usize,
    nc: usize,
    diag: bool,
) -> Option<(usize, usize, f64)> {
    let mut bad = None;
    for jj in 0..nc {
        for ii in 0..nr {
            let v = if diag && jj > ii {
                src[(jj, ii)]
            } else {
                src[(ii, jj)]
            };
            let t = T::from_f64(v);
            // f32 storage overflows for |v| > 3.4e38 even where f64 does not
            if !t.to_f64().is_finite() && bad.is_none() {
                bad = Some((ii, jj, v));
            }
            dst[jj * nr + ii] = t;
        }
    }
    bad
}

/// Boxed kernel operators, `(NNGP, NTK)`, each present if it was asked for.
pub type BoxedKernels = super::Pair<Box<dyn super::KernelMatrix>>;

/// [`build_packed`] at a precision chosen at run time (e.g. by [`super::plan_storage`]),
/// as trait objects for the solvers.
///
/// # Errors
/// As [`build_packed`].
///
/// ```
/// use ntk::kernel_matrix::{build_packed_as, BuildOptions, KernelMatrix, Precision};
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(5, 2, |i, j| (i + j) as f64 - 2.0);
/// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 1, 1.4, 0.1)?, x.as_ref(), None)?;
/// let (nngp, ntk) = build_packed_as(&plan, &BuildOptions::default(), Precision::F32, None)?;
/// assert!(nngp.is_none());
/// assert_eq!(ntk.unwrap().precision(), Precision::F32);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn build_packed_as(
    plan: &KernelPlan<'_>,
    opts: &BuildOptions,
    precision: super::Precision,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<BoxedKernels> {
    fn boxed<T: Entry>(p: Option<Packed<T>>) -> Option<Box<dyn super::KernelMatrix>> {
        p.map(|p| Box::new(p) as Box<dyn super::KernelMatrix>)
    }
    Ok(match precision {
        super::Precision::F64 => {
            let k = build_packed::<f64>(plan, opts, progress)?;
            (boxed(k.nngp), boxed(k.ntk))
        }
        super::Precision::F32 => {
            let k = build_packed::<f32>(plan, opts, progress)?;
            (boxed(k.nngp), boxed(k.ntk))
        }
    })
}
