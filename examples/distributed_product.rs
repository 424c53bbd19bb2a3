//! The distributed kernel product `Y = K X` (`ntk::distributed::Distributed`, f64 packed
//! storage split by chunks over the ranks) timed per product, with the all-gather of the
//! chunk partials timed alone on the same volume: run plainly for P = 1, or under
//! `mpirun -np P` (feature `mpi`). Prints, on rank 0: P, n, k, seconds per product,
//! seconds of the gather, bytes gathered and stored per rank. Each product is one
//! solver iteration's kernel work. `NTK_BENCH_N` (default 12000), `NTK_BENCH_K` (1,10),
//! `NTK_BENCH_REPS` (5); threads per rank: `RAYON_NUM_THREADS` (default all cores).
//!
//! ```text
//! cargo build --release --features mpi --example distributed_product
//! RAYON_NUM_THREADS=1 target/release/examples/distributed_product
//! mpirun -np 2 -x RAYON_NUM_THREADS=1 --bind-to none target/release/examples/distributed_product
//! ```

use faer::{Mat, Par};
use ntk::distributed::{self, Comm, Distributed};
use ntk::kernel_matrix::KernelMatrix;
use std::time::Instant;

fn var(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn entry(i: usize, j: usize) -> f64 {
    1.0 / (1.0 + (i as f64 - j as f64).abs())
}

/// Seconds per call of `f`, over `reps` calls between barriers (the slowest rank's time).
fn timed(comm: &dyn Comm, reps: usize, mut f: impl FnMut()) -> f64 {
    comm.barrier();
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    comm.barrier();
    t.elapsed().as_secs_f64() / reps as f64
}

fn main() -> Result<(), ntk::Error> {
    let _mpi = distributed::mpi::init()?;
    let comm = distributed::world();
    let n = var("NTK_BENCH_N", "12000")[0];
    let reps = var("NTK_BENCH_REPS", "5")[0].max(1);
    let threads = rayon::current_num_threads();
    let d = Distributed::<f64>::from_fn(comm, n, 256, entry)?;
    let stored = comm.all_gather(&[d.bytes() as f64]);
    let max_stored = stored.iter().map(|v| v[0]).fold(0.0, f64::max);
    for k in var("NTK_BENCH_K", "1,10") {
        let x = Mat::from_fn(n, k, |i, j| ((i * 7 + j) % 11) as f64 - 5.0);
        let mut y = Mat::zeros(n, k);
        d.apply(x.as_ref(), y.as_mut(), Par::rayon(threads)); // warm-up
        let t_apply = timed(comm, reps, || {
            d.apply(x.as_ref(), y.as_mut(), Par::rayon(threads))
        });
        // the same gather volume alone: every rank's partials
        let l = d.layout();
        let mine: usize = d.chunks().map(|c| l.chunk_row_end(c) * k).sum();
        let buf = vec![1.0; mine];
        let t_gather = timed(comm, reps, || {
            let _ = comm.all_gather(&buf);
        });
        let gathered = 8 * l.partial_entries(k);
        if comm.rank() == 0 {
            println!(
                "P {} threads/rank {threads} n {n} k {k}: {:.4} s per product, gather {:.4} s \
                 ({:.1} MB received per rank), max stored per rank {:.1} MB",
                comm.size(),
                t_apply,
                t_gather,
                gathered as f64 / 1e6,
                max_stored / 1e6
            );
        }
    }
    Ok(())
}
