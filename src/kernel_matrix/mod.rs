//! Kernel matrices as linear operators: the one interface through which the solvers
//! ([`crate::solve`]) see a symmetric positive semi-definite training kernel `K` (n x n),
//! whatever its storage.
//!
//! ```text
//! apply:     Y = K X                 X, Y: n x k  (block product, all outputs at once)
//! diagonal:  d_i = K_ii
//! columns:   C[:, j] = K[:, cols[j]]  (selected columns, e.g. for a pivoted Cholesky)
//! ```
//!
//! Contract of every implementation:
//! - `apply` is **bitwise deterministic**: the same inputs give the same output bits for any
//!   `par` (thread count). Summation order is fixed by the storage layout, never by which
//!   thread ran which part.
//! - Columns are **independent**: column `j` of `K X` has the same bits whatever the other
//!   columns of `X` are, and however many there are (so products of different solvers can be
//!   batched into one pass, `crate::solve`'s side-by-side stages).
//! - Products are accumulated in f64 even when entries are stored in f32.
//! - The operator is the kernel as stored: no ridge. Solvers add shifts `(K + r I)` themselves.
//!
//! Implementations: [`Dense`] (full n x n f64) and [`Packed`] (one triangle packed by tiles,
//! `f64` or `f32` entries; [`TileLayout`] fixes the tiles and the chunk partition that make
//! products reproducible). Built from a [`crate::kernel::KernelPlan`] by [`build_packed`];
//! test-train products streamed by [`cross_apply`] (plus [`test_diagonal`],
//! [`selected_rows`]); sizes and the f64/f32 choice by [`bytes`] and [`plan_storage`].
//! `docs/storage.md` has the layout, the determinism argument and the f32 accuracy cost.

use faer::{MatMut, MatRef, Par};

/// Precision in which kernel entries are stored (products always accumulate in f64).
///
/// ```
/// assert_eq!(ntk::kernel_matrix::Precision::F32.bytes(), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 8-byte entries: exact products (the default).
    F64,
    /// 4-byte entries, f64 accumulation: half the memory, entries rounded to ~6e-8 relative.
    F32,
}

impl Precision {
    /// Bytes per stored entry.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F64 => 8,
            Precision::F32 => 4,
        }
    }

    /// `"f64"` or `"f32"`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::Precision::F64.name(), "f64");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// A symmetric kernel matrix seen as an operator (see the module docs for the contract).
pub trait KernelMatrix: Send + Sync {
    /// The order `n`.
    fn n(&self) -> usize;

    /// The diagonal `K_ii`, length `n`.
    fn diagonal(&self) -> Vec<f64>;

    /// `out = K x` for a block `x` of `n x k` (any `k >= 1`); `out` is `n x k`.
    /// Bitwise identical for any `par`.
    fn apply(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, par: Par);

    /// `out[:, j] = K[:, cols[j]]`; `out` is `n x cols.len()`.
    fn columns(&self, cols: &[usize], out: MatMut<'_, f64>);

    /// Bytes held by the stored entries.
    fn bytes(&self) -> usize;

    /// Storage precision of the entries.
    fn precision(&self) -> Precision;

    /// Bytes of temporary memory one `apply` with `k` right-hand sides allocates (for
    /// memory planning; default 0). Added with the packed storage; see `docs/storage.md`.
    ///
    /// ```
    /// use ntk::kernel_matrix::{Dense, KernelMatrix};
    /// let d = Dense::new(faer::Mat::identity(3, 3))?;
    /// assert_eq!(d.scratch_bytes(2), 8 * (3 * 2 + 3 * 2)); // X copy + one chunk partial
    /// # Ok::<(), ntk::Error>(())
    /// ```
    fn scratch_bytes(&self, k: usize) -> usize {
        let _ = k;
        0
    }
}

/// The diagonal of `k`, checked: every entry finite and `>= 0` (what a kernel's diagonal
/// must be), for the solvers that read it before anything else. `what` names the kernel in
/// the error ("training kernel", "kernel").
///
/// ```
/// use ntk::kernel_matrix::{checked_diagonal, Dense};
/// let k = Dense::new(faer::mat![[2.0, 0.0], [0.0, f64::NAN]])?;
/// let e = checked_diagonal(&k, "kernel").unwrap_err();
/// assert!(e.to_string().contains("kernel diagonal entry 1 is NaN"), "{e}");
/// # Ok::<(), ntk::Error>(())
/// ```
///
/// # Errors
/// [`crate::Error::Data`] naming the first bad entry.
pub fn checked_diagonal(k: &dyn KernelMatrix, what: &str) -> crate::Result<Vec<f64>> {
    let diag = k.diagonal();
    if let Some((i, v)) = diag
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(crate::Error::Data(format!(
            "{what} diagonal entry {i} is {v}: a kernel's diagonal must be finite and >= 0"
        )));
    }
    Ok(diag)
}

mod build;
mod cross;
mod dense;
mod entry;
mod layout;
mod memory;
mod micro;
mod micro_avx2;
mod packed;
mod stream;

pub use build::{BoxedKernels, BuildOptions, PackedKernels, Which, build_packed, build_packed_as};
pub use cross::{CrossOptions, CrossProducts, Pair, cross_apply, selected_rows, test_diagonal};
pub use dense::Dense;
pub use entry::Entry;
pub use layout::{DEFAULT_CHUNKS, DEFAULT_TILE, TileLayout};
pub use memory::{StoragePlan, StorageRequest, bytes, default_budget, plan_storage};
pub use packed::Packed;

// for the distributed layer (`crate::distributed`): the pieces of the single-process
// product and build it reuses, so that its bits follow them
pub(crate) use build::fill_tile_rows;
pub(crate) use cross::cross_apply_blocks;
pub(crate) use memory::check_fits;
pub(crate) use stream::{TileSource, reduce, run_chunk_dispatch, workers};
