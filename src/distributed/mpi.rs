//! `MPI_COMM_WORLD` as a [`Comm`] (cargo feature `mpi`, the rsmpi crate): the all-gathers
//! are `MPI_Allgather` of the counts then `MPI_Allgatherv` of the values — pure data
//! movement, no floating-point reduction, so results keep the bits of one process.
//!
//! ```text
//! launched by mpirun / srun  <=>  OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK is set
//! init:   MPI_Init_thread(MPI_THREAD_SERIALIZED)   (rayon threads compute; MPI calls are
//!         serialized by a lock in MpiComm)
//! finish: MPI_Finalize when the returned session is dropped
//! ```

use super::comm::Comm;
use crate::{Error, Result};
use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Equivalence};
use std::sync::Mutex;

/// Was this process started by an MPI launcher (`mpirun`, `mpiexec`, `srun`)? Run plainly,
/// the binary does not initialize MPI at all and is one process.
///
/// ```
/// // in a plain test run no launcher variables are set
/// let _ = ntk::distributed::mpi::launched_by_mpi();
/// ```
pub fn launched_by_mpi() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

/// The world communicator; every collective holds `lock` (MPI_THREAD_SERIALIZED).
pub struct MpiComm {
    world: SimpleCommunicator,
    rank: usize,
    size: usize,
    lock: Mutex<()>,
}

// SAFETY: MPI is initialized with MPI_THREAD_SERIALIZED (checked in `init`), which allows
// calls from any thread as long as no two are concurrent; every call through this handle
// holds `lock`, and the communicator handle itself is never mutated.
unsafe impl Send for MpiComm {}
// SAFETY: as above.
unsafe impl Sync for MpiComm {}

impl MpiComm {
    fn gather<T: Equivalence + Default + Clone>(&self, mine: &[T]) -> Vec<Vec<T>> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let len = Count::try_from(mine.len()).unwrap_or_else(|_| {
            panic!(
                "one rank sends {} values in one collective, more than MPI's 2^31 - 1",
                mine.len()
            )
        });
        let mut counts = vec![0 as Count; self.size];
        self.world.all_gather_into(&len, &mut counts[..]);
        let mut displs = Vec::with_capacity(self.size);
        let mut total: Count = 0;
        for &c in &counts {
            displs.push(total);
            total = total
                .checked_add(c)
                .unwrap_or_else(|| panic!("a collective gathers more than 2^31 - 1 values"));
        }
        let mut buf = vec![T::default(); total as usize];
        {
            let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(mine, &mut part);
        }
        let mut out = Vec::with_capacity(self.size);
        let mut rest = buf.as_slice();
        for &c in &counts {
            let (a, b) = rest.split_at(c as usize);
            out.push(a.to_vec());
            rest = b;
        }
        out
    }
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn all_gather(&self, mine: &[f64]) -> Vec<Vec<f64>> {
        self.gather(mine)
    }

    fn all_gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        self.gather(mine)
    }

    fn barrier(&self) {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.world.barrier();
    }
}

/// An initialized MPI environment; `MPI_Finalize` runs when it is dropped (keep it alive
/// until the command has finished, on every rank).
pub struct MpiSession {
    _universe: Universe,
}

/// If launched by an MPI launcher, initialize MPI and install `MPI_COMM_WORLD` as
/// [`super::world`]; otherwise do nothing (None: one process).
///
/// # Errors
/// [`Error::Numerical`] if MPI was already initialized, cannot be, or does not provide
/// `MPI_THREAD_SERIALIZED`.
pub fn init() -> Result<Option<MpiSession>> {
    if !launched_by_mpi() {
        return Ok(None);
    }
    let (universe, provided) = mpi::initialize_with_threading(mpi::Threading::Serialized)
        .ok_or_else(|| Error::Numerical("MPI could not be initialized".into()))?;
    if !matches!(
        provided,
        mpi::Threading::Serialized | mpi::Threading::Multiple
    ) {
        return Err(Error::Numerical(format!(
            "the MPI library provides thread level {provided:?}; ntk needs MPI_THREAD_SERIALIZED"
        )));
    }
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    super::install(Box::new(MpiComm {
        world,
        rank,
        size,
        lock: Mutex::new(()),
    }));
    Ok(Some(MpiSession {
        _universe: universe,
    }))
}
