//! Kernel blocks without MPI, for schedulers that run independent jobs (Slurm arrays):
//! `ntk kernel --rows A..B` / `--cols A..B` computes one block of the whole kernel as its own
//! Fortran-order `.npy`, and [`assemble`] joins blocks into the whole file:
//!
//! ```text
//! block(rows R, cols S) = K[R, S], streamed by column tiles J meeting S:
//!     K[R, J] = [ tile(I, J)[R, :] for the row tiles I meeting R ]   (super::tiles, the bits of
//!                                                                     the whole run)
//! assemble(row blocks R_0, R_1, ... covering 0..n1):  column j = [B_0[:, j]; B_1[:, j]; ...]
//! assemble(column blocks):                            the blocks' data, one after another
//! ```
//!
//! Every entry is computed on the whole run's tile grid by the same code, so assembled
//! blocks are byte-identical to `ntk kernel` of the whole kernel, for any block sizes
//! (unaligned edges cost whole tiles of recomputation).

use super::file::FileOptions;
use super::tiles::{block, tile};
use crate::io::npy::{NpyHeader, header_bytes_descr, read_npy_header};
use crate::kernel::KernelPlan;
use crate::kernel::stream::Dtype;
use crate::{Error, Result};
use faer::Mat;
use rayon::prelude::*;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Which way blocks are cut.
///
/// ```
/// assert_eq!(ntk::distributed::blocks::Axis::Rows.name(), "rows");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// Blocks of rows (`--rows A..B`), all columns.
    Rows,
    /// Blocks of columns (`--cols A..B`), all rows.
    Cols,
}

impl Axis {
    /// `"rows"` or `"cols"`.
    ///
    /// ```
    /// assert_eq!(ntk::distributed::blocks::Axis::Cols.name(), "cols");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Axis::Rows => "rows",
            Axis::Cols => "cols",
        }
    }
}

/// Parse `A..B` (half-open, `A < B`) against a dimension of `n`; `A..` means `A..n`.
///
/// # Errors
/// [`Error::InvalidParameter`] for a malformed or empty range or one beyond `n`.
///
/// ```
/// use ntk::distributed::blocks::parse_range;
/// assert_eq!(parse_range("10..20", 100)?, 10..20);
/// assert_eq!(parse_range("90..", 100)?, 90..100);
/// assert!(parse_range("20..10", 100).is_err());
/// assert!(parse_range("0..101", 100).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn parse_range(s: &str, n: usize) -> Result<Range<usize>> {
    let bad = |why: &str| {
        Error::param(
            "range",
            format!("`{s}`: {why}; write A..B (rows A to B-1, 0-based), e.g. 0..1000"),
        )
    };
    let (a, b) = s.split_once("..").ok_or_else(|| bad("no `..`"))?;
    let a: usize = a.trim().parse().map_err(|_| bad("A is not a number"))?;
    let b: usize = match b.trim() {
        "" => n,
        b => b.parse().map_err(|_| bad("B is not a number"))?,
    };
    if a >= b {
        return Err(bad("the range is empty (A >= B)"));
    }
    if b > n {
        return Err(bad(&format!("B is beyond the {n} points")));
    }
    Ok(a..b)
}

/// The intersection of two ranges (empty if none).
fn meet(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    a.start.max(b.start)..a.end.min(b.end).max(a.start.max(b.start))
}

fn encode(vals: impl Iterator<Item = f64>, dtype: Dtype, buf: &mut Vec<u8>) {
    for v in vals {
        match dtype {
            Dtype::F64 => buf.extend_from_slice(&v.to_le_bytes()),
            Dtype::F32 => buf.extend_from_slice(&(v as f32).to_le_bytes()),
        }
    }
}

/// Compute the block `K[rows, cols]` of the NNGP (if `nngp`) and/or NTK (if `ntk`) and
/// write each as a whole Fortran-order `.npy` (`rows.len() x cols.len()`) to its writer,
/// while computing (memory: one column tile of the block per kernel). Returns the bytes
/// written per output. Writers are not flushed.
///
/// # Errors
/// [`Error::InvalidParameter`] for no output, `tile = 0` or ranges outside the kernel;
/// [`Error::Numerical`] for an overflowing entry; [`Error::Io`] if a write fails.
///
/// ```
/// use ntk::distributed::blocks::write_block;
/// use ntk::distributed::file::FileOptions;
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(9, 2, |i, j| ((i * 2 + j) as f64).cos());
/// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 2, 1.4, 0.1)?, x.as_ref(), None)?;
/// let opts = FileOptions { tile: 4, ..Default::default() };
/// let mut out = Vec::new();
/// write_block(&plan, &opts, 3..7, 0..9, None, Some(&mut out))?;
/// let b = ntk::io::npy::parse_npy(&out, "b.npy")?;
/// let k = plan.compute(&ntk::kernel::KernelOptions { tile: 4, ..Default::default() }, None)?;
/// assert_eq!(b, k.ntk.unwrap().subrows(3, 4).to_owned());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_block<W: Write>(
    plan: &KernelPlan<'_>,
    opts: &FileOptions,
    rows: Range<usize>,
    cols: Range<usize>,
    mut nngp: Option<&mut W>,
    mut ntk: Option<&mut W>,
) -> Result<u64> {
    let t = opts.tile;
    let (n1, n2) = plan.shape();
    if t == 0 {
        return Err(Error::param("tile", "tile size must be at least 1"));
    }
    if nngp.is_none() && ntk.is_none() {
        return Err(Error::param("outputs", "nothing to write"));
    }
    if rows.is_empty() || cols.is_empty() || rows.end > n1 || cols.end > n2 {
        return Err(Error::param(
            "range",
            format!("the block {rows:?} x {cols:?} is empty or outside the {n1} x {n2} kernel"),
        ));
    }
    let with_ntk = ntk.is_some();
    let header = header_bytes_descr(&[rows.len(), cols.len()], true, opts.dtype.descr());
    let wio = |e: std::io::Error| Error::Io {
        path: PathBuf::from("<kernel block>"),
        source: e,
        usage: false,
    };
    let mut bytes = 0u64;
    for w in [nngp.as_deref_mut(), ntk.as_deref_mut()]
        .into_iter()
        .flatten()
    {
        w.write_all(&header).map_err(wio)?;
        bytes += header.len() as u64;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?;
    let row_tiles: Vec<usize> = (rows.start / t..rows.end.div_ceil(t)).collect();
    let mut buf = Vec::new();
    for bj in cols.start / t..cols.end.div_ceil(t) {
        let cj = meet(&block(bj, t, n2), &cols);
        let parts: Vec<(Mat<f64>, Option<Mat<f64>>)> = pool.install(|| {
            row_tiles
                .par_iter()
                .map(|&bi| tile(plan, t, bi, bj, with_ntk))
                .collect::<Result<_>>()
        })?;
        let c0 = block(bj, t, n2).start;
        for (which, w) in [(false, nngp.as_deref_mut()), (true, ntk.as_deref_mut())] {
            let Some(w) = w else { continue };
            for j in cj.clone() {
                buf.clear();
                for (q, &bi) in row_tiles.iter().enumerate() {
                    let ri = meet(&block(bi, t, n1), &rows);
                    let m = if which {
                        parts[q].1.as_ref()
                    } else {
                        Some(&parts[q].0)
                    };
                    let Some(m) = m else { continue };
                    let i0 = block(bi, t, n1).start;
                    encode(ri.map(|i| m[(i - i0, j - c0)]), opts.dtype, &mut buf);
                }
                w.write_all(&buf).map_err(wio)?;
                bytes += buf.len() as u64;
            }
        }
    }
    Ok(bytes)
}

/// One block to assemble: its file and where it sits along the cut axis.
///
/// ```
/// let p = ntk::distributed::blocks::Part { path: "b0.npy".into(), range: 0..10 };
/// assert_eq!(p.range.len(), 10);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The block's `.npy` (Fortran order, as `ntk kernel --rows/--cols` writes).
    pub path: PathBuf,
    /// Its rows (`Axis::Rows`) or columns (`Axis::Cols`) in the whole kernel.
    pub range: Range<usize>,
}

/// Check that `parts` (sorted by start) cover `0..n` exactly once.
fn check_cover(parts: &[Part], n: usize, axis: Axis) -> Result<()> {
    let mut next = 0;
    for p in parts {
        if p.range.start != next {
            return Err(Error::Data(format!(
                "the blocks do not cover the {} 0..{n} exactly once: {} starts at {} where {next} \
                 was expected (a block is missing or two overlap)",
                axis.name(),
                p.path.display(),
                p.range.start
            )));
        }
        next = p.range.end;
    }
    if next != n {
        return Err(Error::Data(format!(
            "the blocks end at {} {next} but the kernel has {n}; a block is missing",
            axis.name()
        )));
    }
    Ok(())
}

fn header_of(p: &Part, axis: Axis, other: usize) -> Result<(NpyHeader, u64)> {
    let h = read_npy_header(&p.path)?;
    let want = match axis {
        Axis::Rows => [p.range.len(), other],
        Axis::Cols => [other, p.range.len()],
    };
    if h.shape != want || !h.fortran_order {
        return Err(Error::Data(format!(
            "{}: a Fortran-order {want:?} block was expected, the file is {:?}{}",
            p.path.display(),
            h.shape,
            if h.fortran_order { "" } else { " in C order" }
        )));
    }
    let size = match h.descr.as_str() {
        "<f8" => 8,
        "<f4" => 4,
        d => {
            return Err(Error::Data(format!(
                "{}: dtype {d}; blocks are <f8 or <f4",
                p.path.display()
            )));
        }
    };
    let len = std::fs::metadata(&p.path)
        .map_err(|e| Error::Io {
            path: p.path.clone(),
            source: e,
            usage: true,
        })?
        .len();
    let data = (want[0] * want[1] * size) as u64;
    Ok((h, len.saturating_sub(data)))
}

/// Join blocks cut along `axis` into the whole `n1 x n2` kernel, written to `out` as one
/// Fortran-order `.npy` (reading one column of every block at a time). `parts` may come
/// in any order; they must cover the axis exactly once, with the same dtype. Returns the
/// bytes written.
///
/// # Errors
/// [`Error::Data`] for gaps, overlaps, wrong shapes or mixed dtypes; [`Error::Io`] /
/// [`Error::Parse`] for unreadable blocks or a failed write.
///
/// ```
/// use ntk::distributed::blocks::{assemble, write_block, Axis, Part};
/// use ntk::distributed::file::FileOptions;
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(7, 2, |i, j| ((i * 2 + j) as f64).sin());
/// let plan = KernelPlan::new(&Network::mlp(Activation::Erf, 1, 1.0, 0.1)?, x.as_ref(), None)?;
/// let opts = FileOptions { tile: 3, ..Default::default() };
/// let dir = std::env::temp_dir().join(format!("ntk-doc-asm-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let mut parts = Vec::new();
/// for (i, r) in [0..2, 2..7].into_iter().enumerate() {
///     let path = dir.join(format!("b{i}.npy"));
///     let mut f = std::fs::File::create(&path).unwrap();
///     write_block(&plan, &opts, r.clone(), 0..7, Some(&mut f), None)?;
///     parts.push(Part { path, range: r });
/// }
/// let mut whole = Vec::new();
/// assemble(&parts, Axis::Rows, 7, 7, &mut whole)?;
/// let k = plan.compute(&ntk::kernel::KernelOptions { tile: 3, ..Default::default() }, None)?;
/// assert_eq!(ntk::io::npy::parse_npy(&whole, "k.npy")?, k.nngp);
/// std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn assemble(
    parts: &[Part],
    axis: Axis,
    n1: usize,
    n2: usize,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut parts = parts.to_vec();
    parts.sort_by_key(|p| p.range.start);
    let (n, other) = match axis {
        Axis::Rows => (n1, n2),
        Axis::Cols => (n2, n1),
    };
    check_cover(&parts, n, axis)?;
    let heads: Vec<(NpyHeader, u64)> = parts
        .iter()
        .map(|p| header_of(p, axis, other))
        .collect::<Result<_>>()?;
    let descr = heads[0].0.descr.clone();
    if let Some((h, _)) = heads.iter().find(|(h, _)| h.descr != descr) {
        return Err(Error::Data(format!(
            "the blocks mix dtypes ({descr} and {}); write them all with the same --dtype",
            h.descr
        )));
    }
    let size = if descr == "<f8" { 8 } else { 4 };
    let rio = |p: &Path, e: std::io::Error| Error::Io {
        path: p.to_path_buf(),
        source: e,
        usage: false,
    };
    let wio = |e: std::io::Error| Error::Io {
        path: PathBuf::from("<assembled kernel>"),
        source: e,
        usage: false,
    };
    let header = header_bytes_descr(&[n1, n2], true, &descr);
    out.write_all(&header).map_err(wio)?;
    let mut bytes = header.len() as u64;
    let mut files: Vec<File> = parts
        .iter()
        .zip(&heads)
        .map(|(p, (_, off))| {
            let mut f = File::open(&p.path).map_err(|e| rio(&p.path, e))?;
            f.seek(SeekFrom::Start(*off)).map_err(|e| rio(&p.path, e))?;
            Ok(f)
        })
        .collect::<Result<_>>()?;
    let mut buf = Vec::new();
    match axis {
        Axis::Cols => {
            // column blocks are whole runs of columns: copy each block's data in order
            for (f, p) in files.iter_mut().zip(&parts) {
                let copied = std::io::copy(f, out).map_err(|e| rio(&p.path, e))?;
                bytes += copied;
            }
        }
        Axis::Rows => {
            for _ in 0..n2 {
                for (f, p) in files.iter_mut().zip(&parts) {
                    buf.resize(p.range.len() * size, 0);
                    f.read_exact(&mut buf).map_err(|e| rio(&p.path, e))?;
                    out.write_all(&buf).map_err(wio)?;
                    bytes += buf.len() as u64;
                }
            }
        }
    }
    Ok(bytes)
}
