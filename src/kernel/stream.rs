//! Streamed `.npy` output of whole kernels: column blocks are computed (in parallel over the
//! row tiles of the block) and handed to a writer thread as soon as they are finished, so
//! that writing overlaps with computing and the whole run costs about max(compute, write).
//!
//! ```text
//! for each block column b (columns c0..c1, one tile wide):
//!     K[:, c0..c1] = [ tile(a, b) for every row tile a ]     (rayon over a)
//!     send K[:, c0..c1] to the writer  -> appended to the Fortran-order .npy
//! symmetric kernels: tile(a, b) for a < b is tile(b, a)^T, taken from a cache of the
//! below-diagonal tiles kept while the cache fits its memory budget, else recomputed
//! ```
//!
//! The values are those of [`KernelPlan::compute`] bit for bit, for any thread count and any
//! cache budget: every tile is computed by the same sequential code on the same tile grid
//! (`opts.tile`), and the upper triangle is the transpose of the lower one as there. Memory:
//! a few block columns (`n1 x tile` each per kernel) in flight, plus the cache (at most its
//! budget; a full cache peaks at a quarter of the kernel). Output may be `f32` (each `f64`
//! rounded to nearest) at half the bytes; the computation stays `f64`.

use super::KernelOptions;
use super::plan::KernelPlan;
use super::schedule::available_memory;
use crate::{Error, Result};
use faer::{Mat, MatMut};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

mod dtype;
mod tiles;
pub use dtype::Dtype;
use tiles::{check_finite, copy_into, mirror_within, tile_buffer, tile_bytes, upper_tile};

/// Options of [`stream_npy`].
///
/// ```
/// let o = ntk::kernel::stream::StreamOptions::default();
/// assert_eq!(o.kernel.tile, 256);
/// assert!(o.cache_bytes.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StreamOptions {
    /// Threads and tile edge (`compute_ntk` is ignored: the NTK is computed iff it has an
    /// output).
    pub kernel: KernelOptions,
    /// Element type of the outputs.
    pub dtype: Dtype,
    /// Memory for the cache of below-diagonal tiles of a symmetric kernel, in bytes
    /// (`None`: half the available memory less the working set). Tiles beyond it are
    /// recomputed (twice the work for them); results are the same either way.
    pub cache_bytes: Option<f64>,
}

/// One output of [`stream_npy`]: where to write and the name used in errors.
pub struct Output<W> {
    /// The file the writer belongs to (for error messages).
    pub path: PathBuf,
    /// The destination; it receives the whole `.npy` (header and data).
    pub writer: W,
}

/// What a streamed run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamStats {
    /// Wall-clock seconds of the whole run (compute and write overlapped).
    pub total_s: f64,
    /// Seconds the compute side waited for the writer (0 when the disk keeps up).
    pub wait_write_s: f64,
    /// Bytes written to all outputs together (headers included).
    pub bytes: u64,
    /// Tiles computed (a symmetric kernel's cached tiles count once).
    pub tiles_computed: usize,
    /// Tiles of a symmetric kernel's upper part recomputed because the cache was full.
    pub tiles_recomputed: usize,
    /// Largest cache size reached, in bytes.
    pub cache_peak_bytes: f64,
}

/// A finished block column: `n1 x width`, column-major, per kernel.
struct Block {
    nngp: Mat<f64>,
    ntk: Option<Mat<f64>>,
}

/// Bytes of memory a streamed run holds besides the cache: four block columns per kernel
/// (one computing, one queued, one writing, one written and handed back for reuse) and a tile
/// scratch per thread.
///
/// ```
/// let b = ntk::kernel::stream::working_set_bytes(1000, 256, true, 2);
/// assert_eq!(b, 4.0 * 2.0 * 1000.0 * 256.0 * 8.0 + 2.0 * 3.0 * 256.0 * 256.0 * 8.0);
/// ```
pub fn working_set_bytes(n1: usize, tile: usize, ntk: bool, threads: usize) -> f64 {
    let kernels = if ntk { 2.0 } else { 1.0 };
    4.0 * kernels * n1 as f64 * tile as f64 * 8.0
        + threads as f64 * 3.0 * (tile * tile) as f64 * 8.0
}

/// Bytes of the `.npy` file for an `n1 x n2` kernel of `dtype` (header included).
///
/// ```
/// use ntk::kernel::stream::{npy_bytes, Dtype};
/// assert_eq!(npy_bytes(3, 2, Dtype::F64), 128 + 48);
/// ```
pub fn npy_bytes(n1: usize, n2: usize, dtype: Dtype) -> u64 {
    let header = crate::io::npy::header_bytes_descr(&[n1, n2], true, dtype.descr()).len();
    header as u64 + (n1 as u64) * (n2 as u64) * dtype.size() as u64
}

fn io_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
        usage: false,
    }
}

/// Append `m`'s columns to `w` as `dtype`.
fn write_columns(
    w: &mut dyn Write,
    m: &Mat<f64>,
    dtype: Dtype,
    buf: &mut Vec<u8>,
) -> std::io::Result<u64> {
    #[cfg(target_endian = "little")]
    if dtype == Dtype::F64 && m.row_stride() == 1 && m.col_stride() == m.nrows() as isize {
        // contiguous columns: the whole block in one write, which bypasses the writer's
        // buffer (no copy into it)
        let len = m.nrows() * m.ncols();
        // SAFETY: the columns are contiguous (column stride = rows, unit row stride), so the
        // block is `len` f64s from `m.as_ptr()`, all inside `m`'s allocation; every bit
        // pattern of an f64 is valid bytes, and the slice is read only while `m` is borrowed.
        let bytes = unsafe { std::slice::from_raw_parts(m.as_ptr().cast::<u8>(), 8 * len) };
        w.write_all(bytes)?;
        return Ok(bytes.len() as u64);
    }
    let mut n = 0u64;
    for j in 0..m.ncols() {
        let col = m.col(j);
        #[cfg(target_endian = "little")]
        if let (Dtype::F64, Some(c)) = (dtype, col.try_as_col_major()) {
            // little-endian f64 in memory is already the file's `<f8`: no conversion copy
            let c = c.as_slice();
            // SAFETY: `c` is a live slice of `f64`, every bit pattern of which is valid bytes;
            // the byte slice covers exactly its memory and is read only while `c` lives.
            let bytes = unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<u8>(), 8 * c.len()) };
            w.write_all(bytes)?;
            n += bytes.len() as u64;
            continue;
        }
        buf.resize(col.nrows() * dtype.size(), 0);
        match dtype {
            Dtype::F64 => {
                for (dst, v) in buf.chunks_exact_mut(8).zip(col.iter()) {
                    dst.copy_from_slice(&v.to_le_bytes());
                }
            }
            Dtype::F32 => {
                for (dst, v) in buf.chunks_exact_mut(4).zip(col.iter()) {
                    dst.copy_from_slice(&(*v as f32).to_le_bytes());
                }
            }
        }
        w.write_all(buf)?;
        n += buf.len() as u64;
    }
    Ok(n)
}

/// Compute the whole NNGP and/or NTK of `plan` and write each as a Fortran-order `.npy` to
/// its output while computing (see the [module docs](self)). The NTK is computed only if it
/// has an output; the NNGP is always computed. Writers are flushed but not synced; the
/// caller makes the files durable (e.g. [`crate::io::Transaction::commit`]).
///
/// `progress(done, total)` is called on the calling thread after each block column, in
/// columns.
///
/// # Errors
/// [`Error::InvalidParameter`] if there is no output or `tile` is 0; [`Error::Memory`] if the
/// working set does not fit in the available memory (checked before allocating);
/// [`Error::Numerical`] if an entry overflows (the run stops at that block); [`Error::Io`]
/// if a write fails. On error, the outputs hold a partial file: discard them.
///
/// ```
/// use ntk::kernel::{stream::{stream_npy, Output, StreamOptions}, KernelPlan};
/// use ntk::{Activation, Network};
/// let x = faer::Mat::from_fn(7, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 2, 1.4, 0.1)?, x.as_ref(), None)?;
/// let mut opts = StreamOptions::default();
/// opts.kernel.tile = 3;
/// let out = Output { path: "ntk.npy".into(), writer: Vec::new() };
/// let (stats, _, ntk) = stream_npy(&plan, &opts, None, Some(out), None)?;
/// let bytes = ntk.unwrap().writer;
/// assert_eq!(bytes.len() as u64, stats.bytes);
/// let k = ntk::io::npy::parse_npy(&bytes, "ntk.npy")?;
/// assert_eq!(k, plan.compute(&Default::default(), None)?.ntk.unwrap());
/// # Ok::<(), ntk::Error>(())
/// ```
#[allow(clippy::type_complexity)]
pub fn stream_npy<W: Write + Send>(
    plan: &KernelPlan<'_>,
    opts: &StreamOptions,
    nngp: Option<Output<W>>,
    ntk: Option<Output<W>>,
    progress: Option<&dyn Fn(usize, usize)>,
) -> Result<(StreamStats, Option<Output<W>>, Option<Output<W>>)> {
    let start = Instant::now();
    let t = opts.kernel.tile;
    if t == 0 {
        return Err(Error::param("tile", "tile size must be at least 1"));
    }
    if nngp.is_none() && ntk.is_none() {
        return Err(Error::param(
            "outputs",
            "nothing to write: give an NNGP and/or an NTK output",
        ));
    }
    let (n1, n2) = plan.shape();
    let with_ntk = ntk.is_some();
    let threads = match opts.kernel.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let working = working_set_bytes(n1, t, with_ntk, threads);
    let avail = available_memory();
    if let Some(a) = avail {
        if working > 0.9 * a {
            return Err(Error::Memory(format!(
                "streaming the {n1} x {n2} kernel{} needs a working set of {:.2} GB (block columns of \
                 {n1} x {t}) but only {:.2} GB of memory is available; use a smaller --tile or fewer points",
                if with_ntk { "s" } else { "" },
                working / 1e9,
                a / 1e9
            )));
        }
    }
    let cache_budget = opts
        .cache_bytes
        .unwrap_or_else(|| avail.map_or(1e9, |a| (0.5 * a - working).max(0.0)));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.kernel.threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?;
    let dtype = opts.dtype;
    let mut stats = StreamStats::default();
    let (tx, rx) = sync_channel::<Block>(1);
    // written blocks go back to the computation, which overwrites every entry of a block
    // column: no allocation, page faults or zeroing of fresh buffers per block
    let (back_tx, back_rx) = sync_channel::<Block>(1);
    let (mut nngp, mut ntk) = (nngp, ntk);
    let result = std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(|| -> Result<u64> {
            let mut bytes = 0u64;
            let header = crate::io::npy::header_bytes_descr(&[n1, n2], true, dtype.descr());
            let mut buf = Vec::with_capacity(n1 * 8);
            for o in [nngp.as_mut(), ntk.as_mut()].into_iter().flatten() {
                o.writer
                    .write_all(&header)
                    .map_err(|e| io_error(&o.path, e))?;
                bytes += header.len() as u64;
            }
            for block in rx {
                if let Some(o) = nngp.as_mut() {
                    bytes += write_columns(&mut o.writer, &block.nngp, dtype, &mut buf)
                        .map_err(|e| io_error(&o.path, e))?;
                }
                if let (Some(o), Some(m)) = (ntk.as_mut(), block.ntk.as_ref()) {
                    bytes += write_columns(&mut o.writer, m, dtype, &mut buf)
                        .map_err(|e| io_error(&o.path, e))?;
                }
                // full: the computation has one to reuse already; drop this one
                let _ = back_tx.try_send(block);
            }
            for o in [nngp.as_mut(), ntk.as_mut()].into_iter().flatten() {
                o.writer.flush().map_err(|e| io_error(&o.path, e))?;
            }
            Ok(bytes)
        });
        let send = |b: Block| tx.send(b).is_ok();
        let reuse = || back_rx.try_recv().ok();
        let computed = compute_blocks(
            plan,
            t,
            with_ntk,
            cache_budget,
            &pool,
            &mut stats,
            (send, reuse),
            progress,
        );
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| Error::Numerical("the output writer thread panicked".to_string()))?;
        // a write error explains a failed send; report it first
        stats.bytes = written?;
        computed
    });
    result?;
    stats.total_s = start.elapsed().as_secs_f64();
    Ok((stats, nngp, ntk))
}

/// Split `m` into row pieces at the tile grid.
fn split_rows(mut m: MatMut<'_, f64>, t: usize) -> Vec<MatMut<'_, f64>> {
    let mut out = Vec::with_capacity(m.nrows().div_ceil(t));
    while m.nrows() > 0 {
        let k = t.min(m.nrows());
        let (top, rest) = m.split_at_row_mut(k);
        out.push(top);
        m = rest;
    }
    out
}

/// A cached below-diagonal tile (NNGP, NTK), untransposed.
type Tile = (Mat<f64>, Option<Mat<f64>>);

/// The block column buffers (`n1 x w`, with an NTK if `with_ntk`): `reused` if it has that
/// shape (its old values are all overwritten by the caller), else new ones.
fn block_buffers(reused: Option<Block>, n1: usize, w: usize, with_ntk: bool) -> Block {
    match reused {
        Some(b) if b.nngp.ncols() == w && b.ntk.is_some() == with_ntk => b,
        _ => Block {
            nngp: super::pages::zeros(n1, w),
            ntk: with_ntk.then(|| super::pages::zeros(n1, w)),
        },
    }
}

/// Compute every block column in order and hand each to `send` (false: stop, the writer
/// failed); `reuse` gives back a written block, if one is ready.
#[allow(clippy::too_many_arguments)]
fn compute_blocks(
    plan: &KernelPlan<'_>,
    t: usize,
    with_ntk: bool,
    cache_budget: f64,
    pool: &rayon::ThreadPool,
    stats: &mut StreamStats,
    (mut send, mut reuse): (impl FnMut(Block) -> bool, impl FnMut() -> Option<Block>),
    progress: Option<&dyn Fn(usize, usize)>,
) -> Result<()> {
    let (n1, n2) = plan.shape();
    let symmetric = plan.is_symmetric();
    let rb = n1.div_ceil(t);
    let mut cache: HashMap<(usize, usize), Tile> = HashMap::new();
    let mut cache_bytes = 0.0f64;
    // buffers of used cached tiles, for the next ones: every buffer was once in the cache,
    // so cache and spares together stay within the cache's peak (plus an edge tile or two
    // of another shape)
    let mut spare: Vec<Mat<f64>> = Vec::new();
    for b in 0..n2.div_ceil(t) {
        let cols = b * t..((b + 1) * t).min(n2);
        let w = cols.len();
        let Block {
            nngp: mut kb,
            ntk: mut tb,
        } = block_buffers(reuse(), n1, w, with_ntk);
        // the cached transposes this block needs (symmetric only)
        let mut cached: Vec<Option<Tile>> = (0..rb)
            .map(|a| {
                if symmetric && a < b {
                    cache.remove(&(b, a))
                } else {
                    None
                }
            })
            .collect();
        for (k, tt) in cached.iter().flatten() {
            cache_bytes -= tile_bytes(k, tt.as_ref());
        }
        stats.tiles_recomputed += (0..b.min(rb))
            .filter(|&a| symmetric && cached[a].is_none())
            .count();
        stats.tiles_computed += if symmetric { rb - b.min(rb) } else { rb };
        let kp = split_rows(kb.as_mut(), t);
        let tp: Vec<Option<MatMut<'_, f64>>> = match tb.as_mut() {
            Some(m) => split_rows(m.as_mut(), t).into_iter().map(Some).collect(),
            None => (0..kp.len()).map(|_| None).collect(),
        };
        let mut jobs: Vec<_> = kp
            .into_iter()
            .zip(tp)
            .zip(cached.iter_mut().map(Option::take))
            .enumerate()
            .map(|(a, ((k, tt), c))| (a, k, tt, c))
            .collect();
        // each tile is checked for finiteness while it is in cache; the first failure in
        // row-block order is reported (the same for any thread count)
        let checked: Vec<Result<()>> = pool.install(|| {
            jobs.par_iter_mut()
                .map_init(
                    || (Mat::<f64>::new(), Vec::new()),
                    |(gram, scratch), (a, k, tt, c)| {
                        let a = *a;
                        let rows = a * t..((a + 1) * t).min(n1);
                        if symmetric && a < b {
                            upper_tile(
                                plan,
                                rows.clone(),
                                cols.clone(),
                                k.as_mut(),
                                tt.as_mut().map(|m| m.as_mut()),
                                c.as_ref(),
                            );
                        } else {
                            let diag = symmetric && a == b;
                            // a scratch per thread, reused: the tile overwrites what it reads
                            if gram.nrows() < rows.len() || gram.ncols() < w {
                                *gram = Mat::zeros(t, t);
                            }
                            plan.tile_into(
                                rows.clone(),
                                cols.clone(),
                                scratch,
                                gram.as_mut().submatrix_mut(0, 0, rows.len(), w),
                                k.as_mut(),
                                tt.as_mut().map(|m| m.as_mut()),
                                diag,
                            );
                            if diag {
                                mirror_within(k.as_mut());
                                if let Some(m) = tt.as_mut() {
                                    mirror_within(m.as_mut());
                                }
                            }
                        }
                        if symmetric && a < b {
                            // the transpose of a checked tile (cached or recomputed, same bits)
                            return Ok(());
                        }
                        check_finite(k.as_ref(), "NNGP", rows.start, cols.start)?;
                        match tt {
                            Some(m) => check_finite(m.as_ref(), "NTK", rows.start, cols.start),
                            None => Ok(()),
                        }
                    },
                )
                .collect()
        });
        // the used cached tiles' buffers hold the next cached tiles (no fresh memory to fault in)
        for (_, _, _, c) in jobs {
            if let Some((k, tt)) = c {
                spare.extend(std::iter::once(k).chain(tt));
            }
        }
        checked.into_iter().collect::<Result<()>>()?;
        // keep the tiles below the diagonal for the block columns that need their transposes
        // (as many as the budget holds, in row order; copied in parallel)
        if symmetric {
            let per_row = if tb.is_some() { 16.0 } else { 8.0 } * w as f64;
            let mut keep = Vec::new();
            for a in b + 1..rb {
                let bytes = per_row * t.min(n1 - a * t) as f64;
                if cache_bytes + bytes > cache_budget {
                    break;
                }
                cache_bytes += bytes;
                keep.push(a);
            }
            stats.cache_peak_bytes = stats.cache_peak_bytes.max(cache_bytes);
            let mut copies: Vec<(usize, Tile)> = keep
                .iter()
                .map(|&a| {
                    let nr = t.min(n1 - a * t);
                    let k = tile_buffer(&mut spare, nr, w);
                    let tt = tb.as_ref().map(|_| tile_buffer(&mut spare, nr, w));
                    (a, (k, tt))
                })
                .collect();
            pool.install(|| {
                copies.par_iter_mut().for_each(|(a, (k, tt))| {
                    let (r0, nr) = (*a * t, k.nrows());
                    copy_into(k.as_mut(), kb.as_ref().submatrix(r0, 0, nr, w));
                    if let (Some(dst), Some(src)) = (tt.as_mut(), tb.as_ref()) {
                        copy_into(dst.as_mut(), src.as_ref().submatrix(r0, 0, nr, w));
                    }
                })
            });
            for (a, tile) in copies {
                cache.insert((a, b), tile);
            }
        }
        let waited = Instant::now();
        let sent = send(Block { nngp: kb, ntk: tb });
        stats.wait_write_s += waited.elapsed().as_secs_f64();
        if !sent {
            return Ok(()); // the writer failed; its error is reported
        }
        if let Some(p) = progress {
            p(cols.end, n2);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
