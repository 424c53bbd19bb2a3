//! A reader for the IDX format that the MNIST family of data sets ships in
//! (`train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, ..., plain or gzipped).
//!
//! Format (LeCun et al., <http://yann.lecun.com/exdb/mnist/>): a 4-byte magic number
//! `0x00 0x00 TYPE NDIM`, then `NDIM` dimension sizes as big-endian `u32`, then the values in
//! C (row-major) order, big-endian. `TYPE` is one of
//!
//! ```text
//! 0x08 unsigned byte   0x09 signed byte   0x0B i16   0x0C i32   0x0D f32   0x0E f64
//! ```
//!
//! (the original spec lists `0x0D` as float and `0x0E` as double). An array of shape
//! `(n, d1, d2, ...)` is read as an `n x (d1 d2 ...)` matrix, one flattened item per row
//! (28 x 28 images become rows of 784 pixels, in row-major pixel order); a 1-D array of
//! length `n` (labels) is read as an `n x 1` column. Values are converted to `f64` exactly
//! (every IDX type is exactly representable); no scaling is applied here (see
//! [`crate::data`] for the pixels / 255 convention).
//!
//! A file whose name ends in `.gz` is decompressed on the fly (`flate2`). Corrupt input (wrong
//! magic, unknown type byte, zero or absurd dimensions, truncated or trailing data, a broken
//! gzip stream) is an [`Error::Parse`] naming the file and the problem; the dimensions are
//! checked against [`MAX_ELEMENTS`] (and, for plain files, against the file size) before
//! anything is allocated.

use crate::{Error, Result};
use faer::Mat;
use std::io::{BufReader, Read};
use std::path::Path;

/// The largest number of values an IDX file may declare (2^33, 64 GiB as `f64`); larger
/// headers are treated as corrupt instead of attempting the allocation.
pub const MAX_ELEMENTS: u64 = 1 << 33;

/// The element type of an IDX file (its third magic byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdxType {
    /// `0x08`: unsigned byte.
    U8,
    /// `0x09`: signed byte.
    I8,
    /// `0x0B`: big-endian i16.
    I16,
    /// `0x0C`: big-endian i32.
    I32,
    /// `0x0D`: big-endian f32.
    F32,
    /// `0x0E`: big-endian f64.
    F64,
}

impl IdxType {
    /// The type for a magic type byte, if it is a valid one.
    ///
    /// ```
    /// use ntk::io::idx::IdxType;
    /// assert_eq!(IdxType::from_byte(0x08), Some(IdxType::U8));
    /// assert_eq!(IdxType::from_byte(0x0A), None);
    /// ```
    pub fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x08 => Some(IdxType::U8),
            0x09 => Some(IdxType::I8),
            0x0B => Some(IdxType::I16),
            0x0C => Some(IdxType::I32),
            0x0D => Some(IdxType::F32),
            0x0E => Some(IdxType::F64),
            _ => None,
        }
    }

    /// Bytes per value.
    ///
    /// ```
    /// assert_eq!(ntk::io::idx::IdxType::I16.size(), 2);
    /// ```
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    fn decode(self, b: &[u8]) -> f64 {
        match self {
            IdxType::U8 => f64::from(b[0]),
            IdxType::I8 => f64::from(b[0] as i8),
            IdxType::I16 => f64::from(i16::from_be_bytes([b[0], b[1]])),
            IdxType::I32 => f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            IdxType::F32 => f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            IdxType::F64 => f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }
}

/// A parsed IDX header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxHeader {
    /// The element type.
    pub dtype: IdxType,
    /// The dimensions, outermost first (`[60000, 28, 28]`).
    pub dims: Vec<usize>,
}

impl IdxHeader {
    /// `(rows, cols)` of the matrix the array is read as: `(dims[0], product of the rest)`.
    ///
    /// ```
    /// use ntk::io::idx::{IdxHeader, IdxType};
    /// let h = IdxHeader { dtype: IdxType::U8, dims: vec![10, 28, 28] };
    /// assert_eq!(h.matrix_shape(), (10, 784));
    /// ```
    pub fn matrix_shape(&self) -> (usize, usize) {
        let rows = self.dims.first().copied().unwrap_or(0);
        let cols = self.dims.iter().skip(1).product::<usize>();
        (rows, cols)
    }
}

fn perr(name: &Path, msg: impl Into<String>) -> Error {
    Error::Parse {
        path: name.to_path_buf(),
        msg: msg.into(),
    }
}

/// Whether `path` names an IDX file: its name (less a `.gz` suffix) contains `-ubyte` or
/// `.idx`, or ends in `idxN` for a number `N`.
///
/// ```
/// use ntk::io::idx::is_idx_name;
/// assert!(is_idx_name("train-images-idx3-ubyte.gz".as_ref()));
/// assert!(is_idx_name("labels.idx1".as_ref()));
/// assert!(!is_idx_name("x.npy".as_ref()));
/// ```
pub fn is_idx_name(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return false;
    };
    let lower = name.to_string_lossy().to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    base.contains("-ubyte")
        || base.contains(".idx")
        || base
            .rsplit_once("idx")
            .is_some_and(|(_, tail)| !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()))
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8], name: &Path, what: &str) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => {
                return Err(perr(
                    name,
                    format!(
                        "truncated IDX file: it ends inside the {what} ({got} of {} bytes); \
                         the download or copy is incomplete",
                        buf.len()
                    ),
                ));
            }
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_err(name, e)),
        }
    }
    Ok(())
}

/// A read failure: a broken gzip stream shows up as `UnexpectedEof` (truncated) or
/// `InvalidInput` / `InvalidData` (corrupt).
fn stream_err(name: &Path, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => perr(
            name,
            format!("truncated gzip data ({e}); the download or copy is incomplete"),
        ),
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => perr(
            name,
            format!("corrupt gzip data ({e}); the file is damaged or not gzip-compressed"),
        ),
        _ => Error::Io {
            path: name.to_path_buf(),
            source: e,
            usage: true,
        },
    }
}

/// Parse the magic and the dimensions; `limit` is an upper bound on the data bytes if known.
fn read_header<R: Read>(r: &mut R, name: &Path, limit: Option<u64>) -> Result<IdxHeader> {
    let mut magic = [0u8; 4];
    read_full(r, &mut magic, name, "4-byte magic number")?;
    if magic[0] != 0 || magic[1] != 0 {
        let hint = if magic[0] == 0x1f && magic[1] == 0x8b {
            "it is gzip-compressed; name it with a .gz suffix"
        } else {
            "an IDX file starts with two zero bytes, a type byte and the number of dimensions"
        };
        return Err(perr(
            name,
            format!(
                "not an IDX file: magic bytes {:02x} {:02x} {:02x} {:02x}; {hint}",
                magic[0], magic[1], magic[2], magic[3]
            ),
        ));
    }
    let dtype = IdxType::from_byte(magic[2]).ok_or_else(|| {
        perr(
            name,
            format!(
                "unknown IDX type byte 0x{:02x}; valid: 0x08 (u8), 0x09 (i8), 0x0B (i16), \
                 0x0C (i32), 0x0D (f32), 0x0E (f64)",
                magic[2]
            ),
        )
    })?;
    let ndim = usize::from(magic[3]);
    if ndim == 0 {
        return Err(perr(
            name,
            "IDX file with 0 dimensions (a scalar); expected 1-D labels or an n x ... array",
        ));
    }
    let mut raw = vec![0u8; 4 * ndim];
    read_full(r, &mut raw, name, "dimension sizes")?;
    let dims: Vec<u64> = raw
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    let shape = || {
        dims.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" x ")
    };
    if dims.contains(&0) {
        return Err(perr(
            name,
            format!(
                "IDX dimensions {} contain a zero; the file holds no data",
                shape()
            ),
        ));
    }
    let count = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|&c| c <= MAX_ELEMENTS)
        .ok_or_else(|| {
            perr(
                name,
                format!(
                    "IDX dimensions {} declare more than {MAX_ELEMENTS} values; the header is corrupt",
                    shape()
                ),
            )
        })?;
    let bytes = count * dtype.size() as u64;
    if let Some(limit) = limit.map(|l| l.saturating_sub(4 + 4 * ndim as u64)) {
        if bytes > limit {
            return Err(perr(
                name,
                format!(
                    "truncated IDX file: dimensions {} need {bytes} data bytes but the file has only {limit}",
                    shape()
                ),
            ));
        }
    }
    Ok(IdxHeader {
        dtype,
        dims: dims.iter().map(|&d| d as usize).collect(),
    })
}

/// Read the values after the header into an `n x (d1 d2 ...)` matrix; with `max_rows`, only
/// the first `max_rows` items (the rest of the file is not read).
fn read_data<R: Read>(
    r: &mut R,
    h: &IdxHeader,
    name: &Path,
    max_rows: Option<usize>,
) -> Result<Mat<f64>> {
    let (all, cols) = h.matrix_shape();
    let rows = max_rows.map_or(all, |m| m.min(all));
    let size = h.dtype.size();
    let mut row_buf = vec![0u8; cols * size];
    let mut m = Mat::<f64>::zeros(rows, cols);
    for i in 0..rows {
        read_full(r, &mut row_buf, name, &format!("data (item {i} of {all})"))?;
        for (j, b) in row_buf.chunks_exact(size).enumerate() {
            m[(i, j)] = h.dtype.decode(b);
        }
    }
    if rows < all {
        return Ok(m);
    }
    let mut extra = [0u8; 1];
    loop {
        match r.read(&mut extra) {
            Ok(0) => break,
            Ok(_) => {
                return Err(perr(
                    name,
                    format!(
                        "the IDX file has data after the {rows} x {cols} values its header declares; \
                         the header or the file is corrupt"
                    ),
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_err(name, e)),
        }
    }
    Ok(m)
}

fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Parse an IDX array held in memory (uncompressed). `name` is used in error messages.
///
/// # Errors
/// [`Error::Parse`] for a wrong magic, unknown type, bad dimensions, or truncated or trailing
/// data.
///
/// ```
/// // a 2 x 2 x 1 u8 array
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 1, 2, 3, 4];
/// let m = ntk::io::idx::parse_idx(&bytes, "a.idx3")?;
/// assert_eq!((m.nrows(), m.ncols(), m[(1, 0)]), (2, 2, 3.0));
/// assert!(ntk::io::idx::parse_idx(&bytes[..19], "a.idx3").is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn parse_idx(bytes: &[u8], name: impl AsRef<Path>) -> Result<Mat<f64>> {
    let name = name.as_ref();
    let mut r = bytes;
    let h = read_header(&mut r, name, Some(bytes.len() as u64))?;
    read_data(&mut r, &h, name, None)
}

/// Read an IDX file (gzipped if its name ends in `.gz`) as an `n x (d1 d2 ...)` matrix of the
/// raw values (labels: `n x 1`); see the [module docs](self).
///
/// # Errors
/// [`Error::Io`] (`usage: true`) if the file cannot be opened; [`Error::Parse`] if it is not
/// a valid IDX file (the message names the problem).
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-idx-{}-idx1-ubyte", std::process::id()));
/// std::fs::write(&path, [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]).unwrap();
/// let labels = ntk::io::idx::read_idx(&path)?;
/// assert_eq!((labels.nrows(), labels.ncols(), labels[(2, 0)]), (3, 1, 9.0));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_idx(path: impl AsRef<Path>) -> Result<Mat<f64>> {
    read_idx_rows(path, None)
}

/// As [`read_idx`], reading only the first `max_rows` items if given (all if the file has
/// fewer); the rest of the file is neither read nor checked.
///
/// # Errors
/// As [`read_idx`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-idxr-{}.idx1", std::process::id()));
/// std::fs::write(&path, [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]).unwrap();
/// let first = ntk::io::idx::read_idx_rows(&path, Some(2))?;
/// assert_eq!((first.nrows(), first[(0, 0)]), (2, 7.0));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_idx_rows(path: impl AsRef<Path>, max_rows: Option<usize>) -> Result<Mat<f64>> {
    let path = path.as_ref();
    let file = super::open_input(path)?;
    if is_gz(path) {
        let mut r = BufReader::new(flate2::read::GzDecoder::new(BufReader::new(file)));
        let h = read_header(&mut r, path, None)?;
        read_data(&mut r, &h, path, max_rows)
    } else {
        let len = file.metadata().map(|m| m.len()).ok();
        let mut r = BufReader::new(file);
        let h = read_header(&mut r, path, len)?;
        read_data(&mut r, &h, path, max_rows)
    }
}

/// Read only the header of an IDX file (gzipped if its name ends in `.gz`).
///
/// # Errors
/// As [`read_idx`], for the header part.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-idxh-{}.idx1", std::process::id()));
/// std::fs::write(&path, [0u8, 0, 8, 1, 0, 0, 0, 2, 1, 2]).unwrap();
/// assert_eq!(ntk::io::idx::read_idx_header(&path)?.dims, vec![2]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_idx_header(path: impl AsRef<Path>) -> Result<IdxHeader> {
    let path = path.as_ref();
    let file = super::open_input(path)?;
    if is_gz(path) {
        let mut r = flate2::read::GzDecoder::new(BufReader::new(file));
        read_header(&mut r, path, None)
    } else {
        let len = file.metadata().map(|m| m.len()).ok();
        read_header(&mut BufReader::new(file), path, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(ty: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, ty, dims.len() as u8];
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn every_dtype_decodes() {
        let i16s: Vec<u8> = [-2i16, 300].iter().flat_map(|v| v.to_be_bytes()).collect();
        let m = parse_idx(&idx(0x0B, &[2], &i16s), "a").unwrap();
        assert_eq!((m[(0, 0)], m[(1, 0)]), (-2.0, 300.0));
        let m = parse_idx(&idx(0x09, &[1], &[0xff]), "a").unwrap();
        assert_eq!(m[(0, 0)], -1.0);
        let i32s: Vec<u8> = (-70000i32).to_be_bytes().to_vec();
        assert_eq!(
            parse_idx(&idx(0x0C, &[1], &i32s), "a").unwrap()[(0, 0)],
            -70000.0
        );
        let f32s: Vec<u8> = 0.1f32.to_be_bytes().to_vec();
        assert_eq!(
            parse_idx(&idx(0x0D, &[1], &f32s), "a").unwrap()[(0, 0)],
            f64::from(0.1f32)
        );
        let f64s: Vec<u8> = 0.1f64.to_be_bytes().to_vec();
        assert_eq!(
            parse_idx(&idx(0x0E, &[1, 1], &f64s), "a").unwrap()[(0, 0)],
            0.1
        );
    }

    #[test]
    fn images_flatten_row_major() {
        // 1 image of 2 x 3 pixels: row-major pixel order
        let m = parse_idx(&idx(0x08, &[1, 2, 3], &[1, 2, 3, 4, 5, 6]), "a").unwrap();
        assert_eq!((m.nrows(), m.ncols()), (1, 6));
        assert_eq!(m[(0, 3)], 4.0);
    }

    #[test]
    fn corrupt_headers_are_parse_errors() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 0, 8, 1, 0, 0, 0, 1, 5], "not an IDX file"),
            (vec![0, 0, 0x0A, 1, 0, 0, 0, 1, 5], "unknown IDX type"),
            (vec![0, 0, 8, 0], "0 dimensions"),
            (idx(8, &[0, 3], &[]), "zero"),
            (idx(8, &[u32::MAX, u32::MAX, u32::MAX], &[]), "more than"),
            (idx(8, &[4], &[1, 2]), "truncated"),
            (idx(8, &[2], &[1, 2, 3]), "after the"),
            (vec![0, 0, 8], "truncated"),
            (vec![0x1f, 0x8b, 8, 0], "gzip"),
        ];
        for (bytes, want) in cases {
            let e = parse_idx(&bytes, "bad.idx").unwrap_err();
            assert!(matches!(e, Error::Parse { .. }), "{e}");
            assert!(e.to_string().contains(want), "{e} lacks {want}");
            assert!(e.is_usage());
        }
    }

    #[test]
    fn names() {
        for n in [
            "t10k-labels-idx1-ubyte",
            "a.idx3",
            "A.IDX3-UBYTE.GZ",
            "x.idx",
        ] {
            assert!(is_idx_name(n.as_ref()), "{n}");
        }
        for n in ["x.npy", "x.csv.gz", "index.csv", "idx"] {
            assert!(!is_idx_name(n.as_ref()), "{n}");
        }
    }
}
