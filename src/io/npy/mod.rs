//! A self-contained reader and writer for NumPy's `.npy` format (no `ndarray` dependency).
//!
//! Format (see `numpy.lib.format`): the magic string `\x93NUMPY`, a major and a minor version
//! byte, the header length (little-endian `u16` in version 1.0, `u32` in 2.0 and 3.0), an
//! ASCII (3.0: UTF-8) Python dict literal `{'descr': '<f8', 'fortran_order': False,
//! 'shape': (3, 4), }` padded with spaces and a newline, then the raw data.
//!
//! Reading accepts versions 1.0, 2.0 and 3.0; dtypes `f8 f4 i1 i2 i4 i8 u1 u2 u4 u8` in either
//! byte order (`<`, `>`, `|`, `=`); C and Fortran order; 1-D and 2-D arrays. Values are converted
//! to `f64` (64-bit integers beyond 2^53 are rounded to the nearest `f64`). The data size must
//! match the header exactly. Files are streamed into the matrix, never held twice in memory.
//!
//! Writing produces version 1.0, little-endian `f64`, with the header padded so that the data
//! starts at a multiple of 64 bytes. Matrices are written in Fortran order (`fortran_order:
//! True`), column by column, straight from the [`faer::MatRef`].

use crate::{Error, Result};
use faer::Mat;
use std::io::{BufReader, Read};
use std::path::Path;

/// The magic string that opens every `.npy` file.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Headers longer than this are rejected (numpy itself refuses more than 10 000 bytes).
const MAX_HEADER_LEN: usize = 1 << 20;

/// Bytes decoded per step while streaming data.
const CHUNK_BYTES: usize = 1 << 16;

/// What a `.npy` header says about the array that follows.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-hdr-{}.npy", std::process::id()));
/// ntk::io::write_npy(&path, faer::Mat::<f64>::zeros(3, 2).as_ref())?;
/// let h = ntk::io::npy::read_npy_header(&path)?;
/// assert_eq!(h.descr, "<f8");
/// assert!(h.fortran_order);
/// assert_eq!(h.shape, vec![3, 2]);
/// assert_eq!(h.version, (1, 0));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// Format version `(major, minor)`: `(1, 0)`, `(2, 0)` or `(3, 0)`.
    pub version: (u8, u8),
    /// The dtype string, e.g. `"<f8"` or `"|u1"`.
    pub descr: String,
    /// Whether the data is stored column-major.
    pub fortran_order: bool,
    /// The array shape, outermost dimension first (as in numpy).
    pub shape: Vec<usize>,
}

impl NpyHeader {
    /// The shape as a matrix: `(n, d)` for 2-D arrays, `(n, 1)` for 1-D arrays, `None` for
    /// any other rank.
    ///
    /// ```
    /// let h = ntk::io::npy::NpyHeader {
    ///     version: (1, 0), descr: "<f8".into(), fortran_order: false, shape: vec![5],
    /// };
    /// assert_eq!(h.matrix_shape(), Some((5, 1)));
    /// ```
    pub fn matrix_shape(&self) -> Option<(usize, usize)> {
        match self.shape.as_slice() {
            [n] => Some((*n, 1)),
            [n, d] => Some((*n, *d)),
            _ => None,
        }
    }
}

/// Format a shape as Python prints a tuple: `()`, `(3,)`, `(3, 4)`.
fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// A [`Error::Parse`] for `name`.
fn perr(name: &Path, msg: impl Into<String>) -> Error {
    Error::Parse {
        path: name.to_path_buf(),
        msg: msg.into(),
    }
}

mod dtype;
mod header;
mod write;

use dtype::{Dtype, decode, parse_descr};
use header::{read_exact_or, read_header};

pub(crate) use write::header_bytes_descr;
pub use write::{encode_stack, write_npy, write_npy_vec};

/// Read a whole `.npy` stream of `total_len` bytes into a matrix.
fn read_matrix_from<R: Read>(r: &mut R, total_len: u64, name: &Path) -> Result<Mat<f64>> {
    let (h, offset) = read_header(r, name)?;
    let dt = parse_descr(&h.descr, name)?;
    let (nrows, ncols) = match h.shape.as_slice() {
        [] => {
            return Err(perr(
                name,
                "expected a 2-D array (n x d) or a 1-D array (n,), got a 0-D scalar (shape ()); \
                 save it as an array, e.g. np.atleast_2d(x)",
            ));
        }
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        s => {
            return Err(perr(
                name,
                format!(
                    "expected a 2-D array (n x d) or a 1-D array (n,), got shape {}; \
                     reshape it to 2-D, e.g. x.reshape(x.shape[0], -1)",
                    shape_str(s)
                ),
            ));
        }
    };
    let expected = nrows
        .checked_mul(ncols)
        .and_then(|n| n.checked_mul(dt.size))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| {
            perr(
                name,
                format!(
                    "the shape {} is too large; the header is corrupt",
                    shape_str(&h.shape)
                ),
            )
        })?;
    let actual = total_len.saturating_sub(offset);
    if actual != expected {
        let how = if actual < expected {
            "truncated"
        } else {
            "longer than its header says"
        };
        return Err(perr(
            name,
            format!(
                "the file is {how}: the header declares shape {} of '{}' ({expected} bytes of data) \
                 but {actual} bytes follow the header; re-create the file (it may be incomplete)",
                shape_str(&h.shape),
                h.descr
            ),
        ));
    }
    // 1-D, single-column and single-row arrays are laid out the same in both orders.
    let col_major = h.fortran_order || ncols == 1 || nrows == 1;
    fill(r, dt, nrows, ncols, col_major, name)
}

/// Stream `nrows * ncols` elements into a new matrix.
fn fill<R: Read>(
    r: &mut R,
    dt: Dtype,
    nrows: usize,
    ncols: usize,
    col_major: bool,
    name: &Path,
) -> Result<Mat<f64>> {
    let mut m = Mat::<f64>::zeros(nrows, ncols);
    let total = nrows * ncols;
    let per = CHUNK_BYTES / dt.size;
    let mut bytes = vec![0u8; per * dt.size];
    let mut vals = Vec::with_capacity(per);
    let mut k = 0usize;
    while k < total {
        let n = per.min(total - k);
        let buf = &mut bytes[..n * dt.size];
        read_exact_or(r, buf, name, "data")?;
        decode(buf, dt, &mut vals);
        if col_major {
            let mut off = 0;
            while off < n {
                let (j, i) = ((k + off) / nrows, (k + off) % nrows);
                let len = (nrows - i).min(n - off);
                m.col_as_slice_mut(j)[i..i + len].copy_from_slice(&vals[off..off + len]);
                off += len;
            }
        } else {
            for (t, &v) in vals.iter().enumerate() {
                let idx = k + t;
                m[(idx / ncols, idx % ncols)] = v;
            }
        }
        k += n;
    }
    Ok(m)
}

/// Parse an in-memory `.npy` file into a matrix (1-D arrays become one column). `name` is used
/// in error messages only.
///
/// # Errors
/// [`Error::Parse`] naming the problem: bad magic, unsupported version or dtype (bool,
/// complex, ...), rank other than 1 or 2, data size not matching the header.
///
/// ```
/// // numpy.save(np.array([[1, 2], [3, 4]], dtype=np.uint8)) ...
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let mut hdr = b"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }".to_vec();
/// while (10 + hdr.len() + 1) % 64 != 0 { hdr.push(b' '); }
/// hdr.push(b'\n');
/// bytes.extend((hdr.len() as u16).to_le_bytes());
/// bytes.extend(hdr);
/// bytes.extend([1u8, 2, 3, 4]);
/// let m = ntk::io::npy::parse_npy(&bytes, "m.npy")?;
/// assert_eq!((m[(0, 1)], m[(1, 0)]), (2.0, 3.0));
/// // ... and a truncated copy is rejected.
/// let err = ntk::io::npy::parse_npy(&bytes[..bytes.len() - 1], "m.npy").unwrap_err();
/// assert!(err.to_string().contains("truncated"));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn parse_npy(bytes: &[u8], name: impl AsRef<Path>) -> Result<Mat<f64>> {
    let mut r = bytes;
    read_matrix_from(&mut r, bytes.len() as u64, name.as_ref())
}

/// Read a `.npy` file as a matrix: 2-D arrays as they are, 1-D arrays of length `n` as an
/// `n x 1` column (targets `y` are often saved 1-D). Values are converted to `f64`.
///
/// # Errors
/// [`Error::Io`] (`usage: true`) if the file cannot be opened; otherwise as [`parse_npy`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-read-{}.npy", std::process::id()));
/// ntk::io::write_npy_vec(&path, &[1.0, 2.0, 3.0])?;
/// let y = ntk::io::read_npy(&path)?;
/// assert_eq!((y.nrows(), y.ncols()), (3, 1));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<Mat<f64>> {
    let path = path.as_ref();
    let file = super::open_input(path)?;
    let len = file
        .metadata()
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
            usage: true,
        })?
        .len();
    let mut r = BufReader::with_capacity(CHUNK_BYTES, file);
    read_matrix_from(&mut r, len, path)
}

/// Read only the header of a `.npy` file (to learn its shape and dtype cheaply).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened, [`Error::Parse`] if the header is malformed.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-hdr2-{}.npy", std::process::id()));
/// ntk::io::write_npy_vec(&path, &[0.5; 7])?;
/// assert_eq!(ntk::io::npy::read_npy_header(&path)?.shape, vec![7]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_npy_header(path: impl AsRef<Path>) -> Result<NpyHeader> {
    let path = path.as_ref();
    let mut r = BufReader::new(super::open_input(path)?);
    Ok(read_header(&mut r, path)?.0)
}
