//! Writing `.npy`: version 1.0, little-endian `f64` (or the given `descr`), header padded so
//! the data starts at a multiple of 64 bytes; matrices in Fortran order straight from the
//! column-major [`faer::MatRef`], atomically.

use super::{CHUNK_BYTES, MAGIC, shape_str};
use crate::Result;
use faer::MatRef;
use std::io::Write;
use std::path::Path;

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
    crate::io::write_atomic(path.as_ref(), |w| encode_matrix(w, m))
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
    crate::io::write_atomic(path.as_ref(), |w| {
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
