//! The distributed layer: the same kernels and solvers over the P ranks of an MPI job
//! (`mpirun -np P ntk ...` with cargo feature `mpi`), every output byte equal to the
//! single-process run's for any P.
//!
//! ```text
//! Comm (comm.rs)          ranks, all-gather in rank order, agree() on errors; no float reduction
//!   Local | ThreadComm (threads.rs) | MpiComm (mpi.rs, feature "mpi")
//! Distributed<T> (packed.rs)  a KernelMatrix: rank r stores the tile rows of its chunks
//!                             even(C, P, r); apply = own chunk partials, all-gather, the
//!                             single-process reduction in chunk order
//! test pass (cross.rs)        test row blocks split over ranks, gathered in block order
//! kernel files (file.rs)      `ntk kernel` under MPI: lower tiles split by block columns,
//!                             each rank writes its byte ranges of the one .npy
//! blocks (blocks.rs)          `ntk kernel --rows/--cols` and `ntk assemble`, no MPI needed
//! ```
//!
//! The solvers ([`crate::solve`]) see only the [`crate::kernel_matrix::KernelMatrix`]
//! trait; they run redundantly on every rank on replicated vectors, so their scalar
//! reductions (dot products, norms) are the single-process ones. This layer depends
//! downward only (kernel, kernel_matrix, io). `docs/distributed.md` has the scheme, the
//! fault handling and how to build and launch.

pub mod blocks;
mod comm;
mod cross;
pub mod file;
#[cfg(feature = "mpi")]
pub mod mpi;
mod packed;
pub mod split;
mod threads;
mod tiles;

pub use comm::{Comm, Local, agree};
pub use cross::cross_apply_distributed;
pub use packed::{Distributed, DistributedKernels, build_distributed, rank_bytes};
pub use threads::ThreadComm;

use std::sync::OnceLock;

static WORLD: OnceLock<Box<dyn Comm>> = OnceLock::new();

/// The communicator of this process: `MPI_COMM_WORLD` once [`install`]ed (the `ntk`
/// binary does so when launched by mpirun/srun with feature `mpi`), else [`Local`].
///
/// ```
/// assert!(ntk::distributed::world().size() >= 1);
/// ```
pub fn world() -> &'static dyn Comm {
    match WORLD.get() {
        Some(c) => c.as_ref(),
        None => &Local,
    }
}

/// Make `comm` this process's [`world`] (once; later calls are ignored and return false).
///
/// ```
/// // a plain process keeps the single-process world
/// assert_eq!(ntk::distributed::world().rank(), 0);
/// ```
pub fn install(comm: Box<dyn Comm>) -> bool {
    WORLD.set(comm).is_ok()
}

/// Is this rank the one that writes reports and prints (rank 0)?
///
/// ```
/// assert!(ntk::distributed::is_root(ntk::distributed::world()));
/// ```
pub fn is_root(comm: &dyn Comm) -> bool {
    comm.rank() == 0
}
