//! P ranks simulated by P threads of one process, exchanging through shared memory: the
//! same [`Comm`] contract as MPI (all-gather in rank order), for tests and benchmarks of the
//! distributed layer in the default build (no MPI library needed).
//!
//! ```text
//! all_gather_bytes:  slot[rank] = mine;  barrier;  copy every slot;  barrier
//! ```

use super::comm::Comm;
use std::sync::{Arc, Barrier, Mutex};

struct Shared {
    size: usize,
    slots: Mutex<Vec<Vec<u8>>>,
    barrier: Barrier,
}

/// One rank of a group of threads; see [`ThreadComm::run`].
///
/// ```
/// use ntk::distributed::{Comm, ThreadComm};
/// let sums = ThreadComm::run(3, |c| {
///     let all = c.all_gather(&[c.rank() as f64]);
///     all.iter().map(|v| v[0]).sum::<f64>()
/// });
/// assert_eq!(sums, vec![3.0, 3.0, 3.0]);
/// ```
#[derive(Clone)]
pub struct ThreadComm {
    rank: usize,
    shared: Arc<Shared>,
}

impl ThreadComm {
    /// The `size` ranks of a new group (hand one to each thread).
    ///
    /// ```
    /// let g = ntk::distributed::ThreadComm::group(2);
    /// assert_eq!(g.len(), 2);
    /// ```
    pub fn group(size: usize) -> Vec<ThreadComm> {
        let size = size.max(1);
        let shared = Arc::new(Shared {
            size,
            slots: Mutex::new(vec![Vec::new(); size]),
            barrier: Barrier::new(size),
        });
        (0..size)
            .map(|rank| ThreadComm {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    /// Run `f` on `size` ranks (one thread each) and return their results in rank order.
    /// A rank that panics makes this panic (after the others finish or block: use it only
    /// where every rank makes the same collective calls).
    ///
    /// ```
    /// let r = ntk::distributed::ThreadComm::run(2, |c| c.size());
    /// assert_eq!(r, vec![2, 2]);
    /// ```
    pub fn run<T: Send>(size: usize, f: impl Fn(&dyn Comm) -> T + Sync) -> Vec<T> {
        let group = Self::group(size);
        std::thread::scope(|s| {
            let handles: Vec<_> = group
                .iter()
                .map(|c| s.spawn(|| f(c as &dyn Comm)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }
}

impl Comm for ThreadComm {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.size
    }

    fn all_gather(&self, mine: &[f64]) -> Vec<Vec<f64>> {
        let bytes: Vec<u8> = mine.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.all_gather_bytes(&bytes)
            .into_iter()
            .map(|b| {
                b.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect()
            })
            .collect()
    }

    fn all_gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        let sh = &self.shared;
        sh.slots.lock().unwrap_or_else(|e| e.into_inner())[self.rank] = mine.to_vec();
        sh.barrier.wait();
        let all = sh.slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        sh.barrier.wait();
        all
    }

    fn barrier(&self) {
        self.shared.barrier.wait();
    }
}
