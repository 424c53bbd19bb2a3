//! `ntk kernel`'s two other ways to write: one block of rows or columns (`--rows A..B`,
//! `--cols A..B`, for scheduler array jobs; joined by `ntk assemble`), and the whole kernel
//! over the ranks of `mpirun -np P` (feature `mpi`). Both call one library function.

use super::kernel::Args;
use crate::common::{self, Progress};
use anyhow::Context;
use ntk::distributed::Comm;
use ntk::distributed::blocks::{self, Axis};
use ntk::distributed::file::{FileOptions, write_kernels};
use ntk::kernel::KernelPlan;
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::sync::Mutex;

/// The block a `--rows`/`--cols` run computed (recorded in its sidecar's options).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// Which way the kernel is cut.
    pub axis: Axis,
    /// First row (column) of the block.
    pub start: usize,
    /// One past the last.
    pub end: usize,
    /// Rows of the whole kernel.
    pub n1: usize,
    /// Columns of the whole kernel.
    pub n2: usize,
}

impl BlockInfo {
    /// The block's shape.
    pub fn shape(&self) -> (usize, usize) {
        match self.axis {
            Axis::Rows => (self.end - self.start, self.n2),
            Axis::Cols => (self.n1, self.end - self.start),
        }
    }
}

/// The block asked for by --rows/--cols, if any.
pub fn block_of(
    args: &Args,
    n1: usize,
    n2: usize,
    ranks: usize,
) -> anyhow::Result<Option<BlockInfo>> {
    let (axis, spec, n) = match (&args.rows, &args.cols) {
        (Some(r), _) => (Axis::Rows, r, n1),
        (None, Some(c)) => (Axis::Cols, c, n2),
        (None, None) => return Ok(None),
    };
    if ranks > 1 {
        return Err(common::usage(
            "--rows/--cols compute one block in one process; run them without mpirun (or run \
             the whole kernel under mpirun without --rows/--cols)",
        ));
    }
    let r = blocks::parse_range(spec, n)
        .map_err(|e| common::usage(format!("--{} {spec}: {e}", axis.name())))?;
    Ok(Some(BlockInfo {
        axis,
        start: r.start,
        end: r.end,
        n1,
        n2,
    }))
}

fn file_options(args: &Args) -> FileOptions {
    FileOptions {
        tile: args.tile,
        threads: args.threads,
        dtype: args.dtype,
    }
}

/// Compute the block into staged files of `tx`; returns the bytes written.
pub fn write_block(
    tx: &mut ntk::io::Transaction,
    args: &Args,
    plan: &KernelPlan<'_>,
    b: &BlockInfo,
) -> anyhow::Result<u64> {
    let (n1, n2) = plan.shape();
    let (rows, cols) = match b.axis {
        Axis::Rows => (b.start..b.end, 0..n2),
        Axis::Cols => (0..n1, b.start..b.end),
    };
    let mut stage = |p: &Option<std::path::PathBuf>| -> anyhow::Result<_> {
        Ok(match p {
            Some(p) => Some(BufWriter::with_capacity(1 << 20, tx.stage(p)?)),
            None => None,
        })
    };
    let (mut k, mut t) = (stage(&args.nngp_out)?, stage(&args.ntk_out)?);
    let bytes = blocks::write_block(
        plan,
        &file_options(args),
        rows,
        cols,
        k.as_mut(),
        t.as_mut(),
    )
    .context("computing and writing the kernel block")?;
    for w in [k.as_mut(), t.as_mut()].into_iter().flatten() {
        w.flush().context("writing the kernel block")?;
    }
    Ok(bytes)
}

/// The whole kernel(s) over the ranks of `comm`, each rank writing its part of the files;
/// returns the bytes of all files.
pub fn write_distributed(
    comm: &dyn Comm,
    args: &Args,
    plan: &KernelPlan<'_>,
) -> anyhow::Result<u64> {
    let progress = Mutex::new(None::<Progress>);
    let report = |done: usize, total: usize| {
        let mut g = progress.lock().unwrap_or_else(|e| e.into_inner());
        let bar = g.get_or_insert_with(|| {
            Progress::new(
                total as u64,
                &format!("kernel tiles on {} ranks", comm.size()),
                args.quiet,
            )
        });
        bar.set(done as u64);
    };
    let stats = write_kernels(
        comm,
        plan,
        &file_options(args),
        args.nngp_out.as_deref(),
        args.ntk_out.as_deref(),
        Some(&report),
    )
    .context("computing and writing the kernels")?;
    if let Some(p) = progress.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        p.finish();
    }
    Ok(stats.total_bytes)
}
