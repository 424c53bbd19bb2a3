//! Helpers shared by the integration tests: loading tests/data/reference.json, reading .npy.
#![allow(dead_code)]

use faer::Mat;
use serde_json::Value;

/// The parsed reference file (copied from the shared refs; see tests/data/README.md).
pub fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference.json")).expect("json")
}

/// A JSON array of arrays as a matrix.
pub fn mat(v: &Value) -> Mat<f64> {
    let rows = v.as_array().expect("array");
    let n = rows.len();
    let m = rows[0].as_array().expect("row").len();
    Mat::from_fn(n, m, |i, j| rows[i][j].as_f64().expect("number"))
}

/// Normwise relative error max|a - b| / max|b|.
pub fn rel_err(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            num = num.max((a[(i, j)] - b[(i, j)]).abs());
            den = den.max(b[(i, j)].abs());
        }
    }
    num / den
}

/// Read a little-endian f64 .npy file: (shape, data in file order). Independent of the
/// crate's reader, for end-to-end CLI tests.
pub fn read_npy_f64(path: &std::path::Path) -> (Vec<usize>, Vec<f64>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY");
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(&b[10..10 + hl]).unwrap();
    assert!(header.contains("'<f8'"), "{header}");
    let shape: Vec<usize> = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let data = b[10 + hl..]
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (shape, data)
}
