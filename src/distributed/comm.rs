//! The communicator the distributed layer runs on: ranks `0..size`, an all-gather of
//! `f64`s and of bytes, and a barrier — nothing else, and in particular no floating-point
//! reduction (`MPI_Allreduce` sums in an order that depends on P and the library):
//!
//! ```text
//! all_gather(mine_r)  ->  [mine_0, mine_1, ..., mine_{P-1}]   on every rank, in rank order
//! agree(result_r)     ->  Ok on every rank iff every rank is Ok; else, on every rank, the
//!                         error of the lowest failing rank (kind and message)
//! ```
//!
//! Every sum over ranks is done by the receiver in a fixed (chunk) order from gathered
//! pieces, so results do not depend on P. [`Local`] is the single process; `ThreadComm`
//! ([`super::threads`]) simulates P ranks with threads (tests, benchmarks); with the `mpi`
//! feature `MpiComm` ([`super::mpi`]) is `MPI_COMM_WORLD`.

use crate::{Error, Result};

/// A group of ranks that can all-gather (see the module docs). Collective calls must be
/// made by every rank, in the same order.
///
/// ```
/// use ntk::distributed::{Comm, Local};
/// let c = Local;
/// assert_eq!((c.rank(), c.size()), (0, 1));
/// assert_eq!(c.all_gather(&[1.0, 2.0]), vec![vec![1.0, 2.0]]);
/// ```
pub trait Comm: Send + Sync {
    /// This rank, `0..size()`.
    fn rank(&self) -> usize;

    /// Number of ranks.
    fn size(&self) -> usize;

    /// Every rank's `mine` (lengths may differ), in rank order, on every rank.
    fn all_gather(&self, mine: &[f64]) -> Vec<Vec<f64>>;

    /// Every rank's bytes, in rank order, on every rank.
    fn all_gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>>;

    /// Wait until every rank has arrived.
    fn barrier(&self) {
        let _ = self.all_gather_bytes(&[]);
    }
}

/// The single process: rank 0 of 1.
///
/// ```
/// use ntk::distributed::{Comm, Local};
/// assert_eq!(Local.all_gather_bytes(b"ab"), vec![b"ab".to_vec()]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Local;

impl Comm for Local {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn all_gather(&self, mine: &[f64]) -> Vec<Vec<f64>> {
        vec![mine.to_vec()]
    }

    fn all_gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        vec![mine.to_vec()]
    }

    fn barrier(&self) {}
}

/// Tags of the error kinds carried between ranks (the kind decides the exit code).
const OK: u8 = 0;
const MEMORY: u8 = 1;
const USAGE: u8 = 2;
const RUNTIME: u8 = 3;

/// Make every rank see the same outcome (a collective): `Ok` everywhere iff every rank's
/// `result` is Ok; otherwise every rank returns an error — its own if it failed first,
/// else `rank r of P: <message>` for the lowest failing rank r, of the same kind (memory,
/// usage or runtime). Call it after any step that can fail on some ranks only, before the
/// next collective, so that no rank waits forever for one that gave up.
///
/// ```
/// use ntk::distributed::{agree, Local};
/// assert_eq!(agree(&Local, Ok(3))?, 3);
/// assert!(agree::<()>(&Local, Err(ntk::Error::Memory("x".into()))).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
///
/// # Errors
/// As described: the lowest failing rank's error.
pub fn agree<T>(comm: &dyn Comm, result: Result<T>) -> Result<T> {
    if comm.size() == 1 {
        return result;
    }
    let mine = match &result {
        Ok(_) => vec![OK],
        Err(e) => {
            let tag = match e {
                Error::Memory(_) => MEMORY,
                e if e.is_usage() => USAGE,
                _ => RUNTIME,
            };
            let msg = match e {
                Error::Memory(m) => m.clone(),
                e => e.to_string(),
            };
            let mut v = vec![tag];
            v.extend_from_slice(msg.as_bytes());
            v
        }
    };
    let all = comm.all_gather_bytes(&mine);
    let Some((r, first)) = all.iter().enumerate().find(|(_, v)| v.first() != Some(&OK)) else {
        return result;
    };
    if r == comm.rank() {
        return result; // our own error, as it was
    }
    let msg = String::from_utf8_lossy(&first[1.min(first.len())..]).into_owned();
    let source = match first.first() {
        Some(&MEMORY) => Error::Memory(msg),
        Some(&USAGE) => Error::Data(msg),
        _ => Error::Numerical(msg),
    };
    Err(Error::Stage {
        stage: format!("rank {r} of {}", comm.size()),
        source: Box::new(source),
    })
}

/// Rank 0's bytes on every rank (a broadcast built on the all-gather).
pub(crate) fn broadcast_bytes(comm: &dyn Comm, mine: &[u8]) -> Vec<u8> {
    if comm.size() == 1 {
        return mine.to_vec();
    }
    let empty: &[u8] = &[];
    let send = if comm.rank() == 0 { mine } else { empty };
    comm.all_gather_bytes(send).swap_remove(0)
}
