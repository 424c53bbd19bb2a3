//! `ntk kernel` over P ranks: one Fortran-order `.npy` per kernel, each rank writing its own
//! byte ranges of the one file, published as a whole or not at all.
//!
//! ```text
//! block columns J of b columns, weights w_J = tiles computed for J (symmetric: nb - J, the
//! lower tiles; cross: all rb row tiles); rank r takes J in weighted(w, P, r)
//! for each tile (I, J) of its columns, in parallel:      (each lower tile computed once)
//!     K[I, J] -> column block J, rows I           (b pwrites of b values)
//!     symmetric, I > J: K[I, J]^T -> column block I, rows J  (the upper tile, by symmetry)
//! rank 0: creates the temporary files (.{name}.tmp-XXXXXX, header, full length) -> names to
//! every rank -> every rank writes and fsyncs -> agree -> rank 0 renames all of them; any
//! failure on any rank -> rank 0 removes them: no partial output
//! ```
//!
//! Entries are those of [`crate::kernel::stream::stream_npy`] bit for bit (`super::tiles`),
//! so the file is byte-identical to the single-process one for any P. Needs a file system
//! shared by the ranks (as every cluster's scratch is).

use super::comm::{Comm, agree, broadcast_bytes};
use super::split;
use super::tiles::{block, tile};
use crate::kernel::KernelPlan;
use crate::kernel::stream::{Dtype, npy_bytes};
use crate::{Error, Result};
use faer::Mat;
use rayon::prelude::*;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Options of [`write_kernels`].
///
/// ```
/// let o = ntk::distributed::file::FileOptions::default();
/// assert_eq!((o.tile, o.threads), (256, 0));
/// ```
#[derive(Clone, Debug)]
pub struct FileOptions {
    /// Tile edge (the grid of the single-process run it must match).
    pub tile: usize,
    /// Worker threads per rank (0: all cores).
    pub threads: usize,
    /// Element type of the files.
    pub dtype: Dtype,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            tile: 256,
            threads: 0,
            dtype: Dtype::F64,
        }
    }
}

/// What this rank did.
///
/// ```
/// let s = ntk::distributed::file::FileStats::default();
/// assert_eq!(s.tiles, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileStats {
    /// Tiles this rank computed.
    pub tiles: usize,
    /// Bytes this rank wrote (all files).
    pub bytes: u64,
    /// Bytes of all files together (headers included).
    pub total_bytes: u64,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
        usage: false,
    }
}

/// Rank 0: create the temporary files (header written, full length) and return their paths.
fn create(targets: &[&Path], n1: usize, n2: usize, dtype: Dtype) -> Result<Vec<PathBuf>> {
    let header = crate::io::npy::header_bytes_descr(&[n1, n2], true, dtype.descr());
    let total = npy_bytes(n1, n2, dtype);
    let mut made: Vec<PathBuf> = Vec::new();
    let mut one = |t: &Path| -> Result<PathBuf> {
        let dir = match t.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = t
            .file_name()
            .map_or("kernel".into(), |n| n.to_string_lossy());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-"))
            .tempfile_in(&dir)
            .map_err(|e| Error::Io {
                path: t.to_path_buf(),
                source: e,
                usage: true,
            })?;
        let (file, path) = tmp.keep().map_err(|e| io(t, e.error))?;
        made.push(path.clone());
        file.set_len(total).map_err(|e| io(t, e))?;
        file.write_all_at(&header, 0).map_err(|e| io(t, e))?;
        Ok(path)
    };
    let res: Result<Vec<PathBuf>> = targets.iter().map(|t| one(t)).collect();
    if res.is_err() {
        for p in &made {
            let _ = std::fs::remove_file(p);
        }
    }
    res
}

/// One output file as every rank sees it.
struct Out {
    file: File,
    path: PathBuf,
    header: u64,
}

impl Out {
    /// Write `vals` at rows `r0..` of column `c` (column length `n1`).
    fn put(&self, vals: &[f64], c: usize, r0: usize, n1: usize, dtype: Dtype) -> Result<u64> {
        let size = dtype.size();
        let mut buf = Vec::with_capacity(vals.len() * size);
        for v in vals {
            match dtype {
                Dtype::F64 => buf.extend_from_slice(&v.to_le_bytes()),
                Dtype::F32 => buf.extend_from_slice(&(*v as f32).to_le_bytes()),
            }
        }
        let at = self.header + ((c as u64) * (n1 as u64) + r0 as u64) * size as u64;
        self.file
            .write_all_at(&buf, at)
            .map_err(|e| io(&self.path, e))?;
        Ok(buf.len() as u64)
    }

    /// Write tile `m` (rows `r0..`, columns `c0..`), and for `transposed` its transpose at
    /// rows `c0..` of columns `r0..`.
    fn tile(&self, m: &Mat<f64>, r0: usize, c0: usize, n1: usize, dtype: Dtype) -> Result<u64> {
        let mut bytes = 0;
        let mut col = Vec::with_capacity(m.nrows());
        for j in 0..m.ncols() {
            col.clear();
            col.extend(m.col(j).iter().copied());
            bytes += self.put(&col, c0 + j, r0, n1, dtype)?;
        }
        Ok(bytes)
    }
}

/// The tiles `(I, J)` rank `r` computes.
fn my_tiles(plan: &KernelPlan<'_>, t: usize, comm: &dyn Comm) -> Vec<(usize, usize)> {
    let (n1, n2) = plan.shape();
    let (rb, cb) = (n1.div_ceil(t), n2.div_ceil(t));
    let sym = plan.is_symmetric();
    let w: Vec<usize> = (0..cb).map(|j| if sym { rb - j } else { rb }).collect();
    split::weighted(&w, comm.size(), comm.rank())
        .flat_map(|j| (if sym { j } else { 0 }..rb).map(move |i| (i, j)))
        .collect()
}

/// Compute the NNGP (if `nngp`) and/or the NTK (if `ntk`) of `plan` over the ranks of
/// `comm` (collective) and write each to its `.npy` target, published together at the end
/// on rank 0, or nothing on any failure (see the module docs). `progress(done, total)`
/// counts this rank's tiles.
///
/// # Errors
/// [`Error::InvalidParameter`] for no output or `tile = 0`, [`Error::Numerical`] for an
/// overflowing entry, [`Error::Io`] if a file cannot be created, written or renamed — on
/// every rank (the lowest failing rank's error).
///
/// ```
/// use ntk::distributed::{file::{write_kernels, FileOptions}, ThreadComm};
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(7, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 2, 1.4, 0.1)?, x.as_ref(), None)?;
/// let p = std::env::temp_dir().join(format!("ntk-doc-dist-{}.npy", std::process::id()));
/// let opts = FileOptions { tile: 3, ..Default::default() };
/// ThreadComm::run(3, |c| write_kernels(c, &plan, &opts, None, Some(&p), None).unwrap());
/// let k = ntk::io::npy::read_npy(&p)?;
/// assert_eq!(k, plan.compute(&Default::default(), None)?.ntk.unwrap());
/// std::fs::remove_file(&p).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_kernels(
    comm: &dyn Comm,
    plan: &KernelPlan<'_>,
    opts: &FileOptions,
    nngp: Option<&Path>,
    ntk: Option<&Path>,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<FileStats> {
    let t = opts.tile;
    let (n1, n2) = plan.shape();
    let targets: Vec<&Path> = [nngp, ntk].into_iter().flatten().collect();
    let checked = if t == 0 {
        Err(Error::param("tile", "tile size must be at least 1"))
    } else if targets.is_empty() {
        Err(Error::param("outputs", "nothing to write"))
    } else {
        Ok(())
    };
    agree(comm, checked)?;
    let created = if comm.rank() == 0 {
        create(&targets, n1, n2, opts.dtype)
    } else {
        Ok(Vec::new())
    };
    let temps = agree(comm, created)?;
    let names = broadcast_bytes(comm, temps_bytes(&temps).as_bytes());
    let temps: Vec<PathBuf> = String::from_utf8_lossy(&names)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect();
    // every rank can remove them on SIGINT/SIGTERM (mpirun sends SIGTERM to the survivors
    // when a rank dies, whichever it is)
    crate::io::atomic::register_temporaries(&temps);
    let written = write_share(
        comm,
        plan,
        opts,
        &temps,
        nngp.is_some(),
        ntk.is_some(),
        progress,
    );
    let done = agree(comm, written);
    let published = match &done {
        Ok(_) if comm.rank() == 0 => publish(&temps, &targets),
        Ok(_) => Ok(()),
        Err(_) => {
            if comm.rank() == 0 {
                for p in &temps {
                    let _ = std::fs::remove_file(p);
                }
            }
            Ok(())
        }
    };
    crate::io::atomic::unregister_temporaries(&temps);
    let stats = done?;
    agree(comm, published)?;
    Ok(FileStats {
        total_bytes: npy_bytes(n1, n2, opts.dtype) * targets.len() as u64,
        ..stats
    })
}

fn temps_bytes(temps: &[PathBuf]) -> String {
    temps
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("\0")
}

/// Rank 0: rename every temporary over its target (after all ranks synced).
fn publish(temps: &[PathBuf], targets: &[&Path]) -> Result<()> {
    for (tmp, target) in temps.iter().zip(targets) {
        if let Err(e) = std::fs::rename(tmp, target) {
            for p in temps {
                let _ = std::fs::remove_file(p);
            }
            return Err(io(target, e));
        }
    }
    Ok(())
}

/// This rank's tiles into the temporary files, then fsync.
fn write_share(
    comm: &dyn Comm,
    plan: &KernelPlan<'_>,
    opts: &FileOptions,
    temps: &[PathBuf],
    with_nngp: bool,
    with_ntk: bool,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<FileStats> {
    let t = opts.tile;
    let (n1, n2) = plan.shape();
    let header = crate::io::npy::header_bytes_descr(&[n1, n2], true, opts.dtype.descr()).len();
    let outs: Vec<Out> = temps
        .iter()
        .map(|p| {
            let file = OpenOptions::new()
                .write(true)
                .open(p)
                .map_err(|e| io(p, e))?;
            Ok(Out {
                file,
                path: p.clone(),
                header: header as u64,
            })
        })
        .collect::<Result<_>>()?;
    let (out_k, out_t) = match (with_nngp, with_ntk) {
        (true, true) => (outs.first(), outs.get(1)),
        (true, false) => (outs.first(), None),
        _ => (None, outs.first()),
    };
    let tiles = my_tiles(plan, t, comm);
    let total = tiles.len();
    let done = AtomicUsize::new(0);
    let sym = plan.is_symmetric();
    let dtype = opts.dtype;
    let one = |&(i, j): &(usize, usize)| -> Result<u64> {
        let (k, nt) = tile(plan, t, i, j, with_ntk)?;
        let (r0, c0) = (block(i, t, n1).start, block(j, t, n2).start);
        let mut bytes = 0;
        for (o, m) in [(out_k, Some(&k)), (out_t, nt.as_ref())] {
            let (Some(o), Some(m)) = (o, m) else { continue };
            bytes += o.tile(m, r0, c0, n1, dtype)?;
            if sym && i > j {
                bytes += o.tile(&m.transpose().to_owned(), c0, r0, n1, dtype)?;
            }
        }
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(d, total);
        }
        Ok(bytes)
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))?;
    let bytes: Vec<u64> = pool.install(|| tiles.par_iter().map(one).collect::<Result<_>>())?;
    for o in &outs {
        o.file.sync_all().map_err(|e| io(&o.path, e))?;
    }
    Ok(FileStats {
        tiles: total,
        bytes: bytes.iter().sum(),
        total_bytes: 0,
    })
}
