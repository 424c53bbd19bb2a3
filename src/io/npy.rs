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
use faer::{Mat, MatRef};
use std::io::{BufReader, Read, Write};
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

// ---------------------------------------------------------------------------------------------
// Header

/// A value in the header dict.
enum Val {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A minimal parser for the Python dict literal in a `.npy` header.
struct DictParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl DictParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{}` at offset {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        self.ws();
        let q = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted string at offset {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err("unterminated string".to_string());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }

    fn int(&mut self) -> std::result::Result<usize, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!(
                "expected a non-negative integer in the shape at offset {start}"
            ));
        }
        let digits = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        // Python 2 wrote long integers as `3L`.
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.i += 1;
        }
        digits
            .parse::<usize>()
            .map_err(|_| format!("shape entry {digits} is too large"))
    }

    fn value(&mut self) -> std::result::Result<Val, String> {
        self.ws();
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Val::Str),
            Some(b'(') => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    if self.eat(b')') {
                        break;
                    }
                    dims.push(self.int()?);
                    if self.eat(b',') {
                        continue;
                    }
                    self.expect(b')')?;
                    break;
                }
                Ok(Val::Tuple(dims))
            }
            Some(b'[') => Err(
                "the dtype is a structured (record) dtype, which is not supported; \
                 save a plain numeric array instead"
                    .to_string(),
            ),
            _ => {
                let rest = &self.s[self.i..];
                if rest.starts_with(b"True") {
                    self.i += 4;
                    Ok(Val::Bool(true))
                } else if rest.starts_with(b"False") {
                    self.i += 5;
                    Ok(Val::Bool(false))
                } else {
                    Err(format!("unexpected value at offset {}", self.i))
                }
            }
        }
    }

    /// Parse the whole dict into (descr, fortran_order, shape).
    fn dict(&mut self) -> std::result::Result<(String, bool, Vec<usize>), String> {
        let (mut descr, mut order, mut shape) = (None, None, None);
        self.expect(b'{')?;
        loop {
            if self.eat(b'}') {
                break;
            }
            let key = self.string()?;
            self.expect(b':')?;
            let val = self.value()?;
            match (key.as_str(), val) {
                ("descr", Val::Str(s)) => descr = Some(s),
                ("fortran_order", Val::Bool(b)) => order = Some(b),
                ("shape", Val::Tuple(t)) => shape = Some(t),
                ("descr" | "fortran_order" | "shape", _) => {
                    return Err(format!("the value of `{key}` has the wrong type"));
                }
                _ => return Err(format!("unexpected key `{key}`")),
            }
            if self.eat(b',') {
                continue;
            }
            self.expect(b'}')?;
            break;
        }
        self.ws();
        if self.i != self.s.len() {
            return Err(format!(
                "unexpected text after the dict at offset {}",
                self.i
            ));
        }
        match (descr, order, shape) {
            (Some(d), Some(o), Some(s)) => Ok((d, o, s)),
            (None, _, _) => Err("missing key `descr`".to_string()),
            (_, None, _) => Err("missing key `fortran_order`".to_string()),
            (_, _, None) => Err("missing key `shape`".to_string()),
        }
    }
}

/// Read exactly `buf.len()` bytes; a short read means the file is not a complete `.npy` file.
fn read_exact_or<R: Read>(r: &mut R, buf: &mut [u8], name: &Path, what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            perr(
                name,
                format!(
                    "not a valid .npy file: it ends inside the {what}; re-save it with numpy.save"
                ),
            )
        } else {
            Error::Io {
                path: name.to_path_buf(),
                source: e,
                usage: false,
            }
        }
    })
}

/// Read the preamble and header; returns the header and the offset where the data starts.
fn read_header<R: Read>(r: &mut R, name: &Path) -> Result<(NpyHeader, u64)> {
    let mut pre = [0u8; 8];
    read_exact_or(r, &mut pre, name, "magic string")?;
    if &pre[..6] != MAGIC {
        return Err(perr(
            name,
            "not a .npy file (it does not start with the magic string \\x93NUMPY); \
             save the array with numpy.save, or use a .csv file",
        ));
    }
    let version = (pre[6], pre[7]);
    let (hlen, offset) = match version.0 {
        1 => {
            let mut b = [0u8; 2];
            read_exact_or(r, &mut b, name, "header length")?;
            (u16::from_le_bytes(b) as usize, 10usize)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            read_exact_or(r, &mut b, name, "header length")?;
            let n = u32::from_le_bytes(b);
            (usize::try_from(n).unwrap_or(usize::MAX), 12usize)
        }
        _ => {
            return Err(perr(
                name,
                format!(
                    "unsupported .npy format version {}.{}; supported are 1.0, 2.0 and 3.0 \
                     (re-save it with numpy.save)",
                    version.0, version.1
                ),
            ));
        }
    };
    if hlen > MAX_HEADER_LEN {
        return Err(perr(
            name,
            format!(
                "the .npy header claims {hlen} bytes, more than the {MAX_HEADER_LEN} allowed; the file is corrupt"
            ),
        ));
    }
    let mut hbytes = vec![0u8; hlen];
    read_exact_or(r, &mut hbytes, name, "header")?;
    let text: String = if version.0 == 3 {
        String::from_utf8(hbytes).map_err(|_| {
            perr(
                name,
                "the version 3.0 .npy header is not valid UTF-8; the file is corrupt",
            )
        })?
    } else {
        hbytes.iter().map(|&b| b as char).collect() // latin-1
    };
    let (descr, fortran_order, shape) = DictParser {
        s: text.as_bytes(),
        i: 0,
    }
    .dict()
    .map_err(|e| {
        perr(
            name,
            format!(
                "malformed .npy header {:?}: {e}; re-save the file with numpy.save",
                text.trim_end()
            ),
        )
    })?;
    Ok((
        NpyHeader {
            version,
            descr,
            fortran_order,
            shape,
        },
        (offset + hlen) as u64,
    ))
}

// ---------------------------------------------------------------------------------------------
// Dtypes

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    UInt,
}

/// A supported element type.
#[derive(Clone, Copy, Debug)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

/// The suggestion appended to every dtype error.
const DTYPE_FIX: &str = "convert it first, e.g. np.save(path, x.astype(np.float64))";

fn parse_descr(descr: &str, name: &Path) -> Result<Dtype> {
    let bytes = descr.as_bytes();
    let (order, rest) = match bytes.first() {
        Some(c @ (b'<' | b'>' | b'|' | b'=')) => (*c, &descr[1..]),
        _ => (b'=', descr),
    };
    let supported = "supported: float64, float32, int8/16/32/64, uint8/16/32/64";
    let unsupported = |what: &str| {
        perr(
            name,
            format!("unsupported dtype '{descr}' ({what}); {supported}; {DTYPE_FIX}"),
        )
    };
    let mut chars = rest.chars();
    let code = chars.next();
    let size: Option<usize> = chars.as_str().parse().ok();
    let kind = match (code, size) {
        (Some('f'), Some(8 | 4)) => Kind::Float,
        (Some('f'), Some(2)) => return Err(unsupported("float16")),
        (Some('i'), Some(1 | 2 | 4 | 8)) => Kind::Int,
        (Some('u'), Some(1 | 2 | 4 | 8)) => Kind::UInt,
        (Some('b'), _) | (Some('?'), _) => {
            return Err(perr(
                name,
                format!(
                    "boolean arrays (dtype '{descr}') are not supported as numeric data; {DTYPE_FIX}"
                ),
            ));
        }
        (Some('c'), _) => return Err(unsupported("complex")),
        (Some('U' | 'S' | 'a'), _) => return Err(unsupported("strings")),
        (Some('O'), _) => return Err(unsupported("Python objects")),
        (Some('M' | 'm'), _) => return Err(unsupported("dates/times")),
        _ => return Err(unsupported("unknown type")),
    };
    let size = size.unwrap_or(8);
    let big_endian = match order {
        b'>' => true,
        b'<' => false,
        b'=' => cfg!(target_endian = "big"),
        _ if size == 1 => false,
        _ => return Err(unsupported("multi-byte type without a byte order")),
    };
    Ok(Dtype {
        kind,
        size,
        big_endian,
    })
}

/// Decode `bytes` (a whole number of elements) into `out`, replacing its contents.
fn decode(bytes: &[u8], dt: Dtype, out: &mut Vec<f64>) {
    out.clear();
    macro_rules! conv {
        ($t:ty, $n:literal) => {
            out.extend(bytes.chunks_exact($n).map(|c| {
                let a = <[u8; $n]>::try_from(c).unwrap_or_default();
                let v = if dt.big_endian {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                };
                v as f64
            }))
        };
    }
    match (dt.kind, dt.size) {
        (Kind::Float, 8) => conv!(f64, 8),
        (Kind::Float, _) => conv!(f32, 4),
        (Kind::Int, 1) => conv!(i8, 1),
        (Kind::Int, 2) => conv!(i16, 2),
        (Kind::Int, 4) => conv!(i32, 4),
        (Kind::Int, _) => conv!(i64, 8),
        (Kind::UInt, 1) => conv!(u8, 1),
        (Kind::UInt, 2) => conv!(u16, 2),
        (Kind::UInt, 4) => conv!(u32, 4),
        (Kind::UInt, _) => conv!(u64, 8),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

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

// ---------------------------------------------------------------------------------------------
// Writing

/// The preamble and padded version-1.0 header for a little-endian `f64` array.
fn header_bytes(shape: &[usize], fortran_order: bool) -> Vec<u8> {
    header_bytes_descr(shape, fortran_order, "<f8")
}

/// The preamble and padded version-1.0 header for an array of type `descr` (`<f8`, `<f4`),
/// padded so that the data starts at a multiple of 64 bytes.
pub(crate) fn header_bytes_descr(shape: &[usize], fortran_order: bool, descr: &str) -> Vec<u8> {
    let order = if fortran_order { "True" } else { "False" };
    let dict = format!(
        "{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {}, }}",
        shape_str(shape)
    );
    let unpadded = MAGIC.len() + 4 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    let mut header = dict.into_bytes();
    header.resize(header.len() + pad, b' ');
    header.push(b'\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // A shape of at most two dimensions keeps the header far below u16::MAX.
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    out
}

/// Write `values` as little-endian `f64` bytes.
fn write_f64s(w: &mut dyn Write, values: &[f64]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK_BYTES);
    for chunk in values.chunks(CHUNK_BYTES / 8) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Write `m` to `w` in `.npy` format, Fortran order, one column at a time.
fn encode_matrix(w: &mut dyn Write, m: MatRef<'_, f64>) -> std::io::Result<()> {
    w.write_all(&header_bytes(&[m.nrows(), m.ncols()], true))?;
    let mut tmp = Vec::new();
    for j in 0..m.ncols() {
        let col = m.col(j);
        match col.try_as_col_major() {
            Some(c) => write_f64s(w, c.as_slice())?,
            None => {
                tmp.clear();
                tmp.extend(col.iter().copied());
                write_f64s(w, &tmp)?;
            }
        }
    }
    Ok(())
}

/// Write a matrix as a `.npy` file (version 1.0, `<f8`, `fortran_order: True`), atomically.
/// `numpy.load` returns it with the same shape and values.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written (see [`crate::io::write_atomic`]).
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-write-{}.npy", std::process::id()));
/// let k = faer::Mat::from_fn(3, 2, |i, j| (i * 10 + j) as f64);
/// ntk::io::write_npy(&path, k.as_ref())?;
/// let back = ntk::io::read_npy(&path)?;
/// assert_eq!(back, k);
/// let bytes = std::fs::read(&path).unwrap();
/// assert_eq!(bytes.len(), 128 + 6 * 8); // 64-byte aligned header, then the data
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_npy(path: impl AsRef<Path>, m: MatRef<'_, f64>) -> Result<()> {
    super::write_atomic(path.as_ref(), |w| encode_matrix(w, m))
}

/// Write a vector as a 1-D `.npy` file (version 1.0, `<f8`, shape `(n,)`), atomically.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-vec-{}.npy", std::process::id()));
/// ntk::io::write_npy_vec(&path, &[1.5, -2.0])?;
/// assert_eq!(ntk::io::npy::read_npy_header(&path)?.shape, vec![2]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_npy_vec(path: impl AsRef<Path>, v: &[f64]) -> Result<()> {
    super::write_atomic(path.as_ref(), |w| {
        w.write_all(&header_bytes(&[v.len()], false))?;
        write_f64s(w, v)
    })
}

/// Write equally shaped matrices as one 3-D `.npy` array of shape `(p, rows, cols)` in C order
/// (`a[p, i, j] = mats[p][(i, j)]`), e.g. predictions `(times, n_test, outputs)`.
///
/// # Errors
/// [`std::io::ErrorKind::InvalidInput`] if the matrices differ in shape; write errors.
///
/// ```
/// let a = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// let mut buf = Vec::new();
/// ntk::io::npy::encode_stack(&mut buf, &[a.as_ref(), a.as_ref()]).unwrap();
/// assert_eq!(buf.len() % 64, (2 * 4 * 8) % 64);
/// assert!(String::from_utf8_lossy(&buf[..128]).contains("'shape': (2, 2, 2)"));
/// ```
pub fn encode_stack(w: &mut dyn Write, mats: &[MatRef<'_, f64>]) -> std::io::Result<()> {
    let (r, c) = mats.first().map_or((0, 0), |m| (m.nrows(), m.ncols()));
    if mats.iter().any(|m| (m.nrows(), m.ncols()) != (r, c)) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "stacked matrices must all have the same shape",
        ));
    }
    w.write_all(&header_bytes(&[mats.len(), r, c], false))?;
    let mut row = Vec::with_capacity(c);
    for m in mats {
        for i in 0..r {
            row.clear();
            row.extend((0..c).map(|j| m[(i, j)]));
            write_f64s(w, &row)?;
        }
    }
    Ok(())
}
