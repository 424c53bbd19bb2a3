//! Data input and output: `.npy`, IDX and numeric text matrices, validation, class labels,
//! atomic output files (alone or as a [`Transaction`] of several) and their JSON sidecars.
//!
//! - [`read_matrix`] reads `.npy`, IDX (`*-ubyte`, `*.idxN`, gzipped or not), `.csv`, `.tsv`
//!   or `.txt` (by name) and validates the result (non-empty, all finite); [`write_matrix`]
//!   writes `.npy` or `.csv`.
//! - [`npy`]: the `.npy` reader/writer ([`read_npy`], [`write_npy`], [`write_npy_vec`]).
//! - [`idx`]: the IDX reader of the MNIST family ([`read_idx`]).
//! - [`csv`]: the delimited-text reader/writer ([`read_csv`], [`write_csv`]).
//! - [`labels`]: integer class labels, one-hot targets, argmax accuracy.
//! - [`atomic`]: every output is written to a temporary file and renamed into place
//!   ([`write_atomic`]); several outputs are published together or not at all
//!   ([`Transaction`]), and temporary files are removed on SIGINT/SIGTERM
//!   ([`cleanup_on_signal`]); [`check_writable`] fails fast before long computations.
//! - [`sidecar`]: the `<output>.json` metadata file written next to every output.
//!
//! ```
//! let path = std::env::temp_dir().join(format!("ntk-doc-io-{}.npy", std::process::id()));
//! let x = faer::Mat::from_fn(4, 3, |i, j| (i + j) as f64);
//! ntk::io::check_writable(&path)?;
//! ntk::io::write_matrix(&path, x.as_ref())?;
//! assert_eq!(ntk::io::read_matrix(&path)?, x);
//! std::fs::remove_file(&path).unwrap();
//! # Ok::<(), ntk::Error>(())
//! ```

pub mod atomic;
pub mod csv;
pub mod idx;
pub mod labels;
pub mod npy;
pub mod sidecar;

pub use atomic::{Transaction, check_writable, cleanup_on_signal, write_atomic, write_json_atomic};
pub use csv::{read_csv, write_csv};
pub use idx::read_idx;
pub use labels::{accuracy, argmax, one_hot};
pub use npy::{read_npy, write_npy, write_npy_vec};
pub use sidecar::{InputInfo, OutputInfo, Sidecar, write_sidecar};

use crate::{Error, Result};
use faer::{Mat, MatRef};
use std::fs::File;
use std::path::Path;

/// The extensions [`Format::from_path`] recognises, for error messages.
const SUPPORTED: &str = ".npy (NumPy array), .csv (comma-separated), .tsv (tab-separated), \
                         .txt (comma-, tab- or whitespace-separated), IDX (*-ubyte, *.idx1, *.idx3, \
                         optionally .gz)";

/// Open an input file; failures are usage errors naming the path.
pub(crate) fn open_input(path: &Path) -> Result<File> {
    let fail = |e: std::io::Error| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => "check the path",
            std::io::ErrorKind::PermissionDenied => "check the file's permissions",
            _ => "check that it is a readable file",
        };
        Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(e.kind(), format!("cannot read input: {e}; {hint}")),
            usage: true,
        }
    };
    if path.is_dir() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory, not a file",
        )));
    }
    File::open(path).map_err(fail)
}

/// A matrix file format, chosen by file extension.
///
/// ```
/// use ntk::io::Format;
/// assert_eq!(Format::from_path("x.NPY".as_ref())?, Format::Npy);
/// assert_eq!(Format::from_path("y.tsv".as_ref())?, Format::Text);
/// assert!(Format::from_path("z.dat".as_ref()).unwrap_err().to_string().contains(".npy"));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// NumPy `.npy`.
    Npy,
    /// Numeric delimited text: `.csv`, `.tsv`, `.txt`.
    Text,
    /// IDX (MNIST family): names with `-ubyte` or `.idxN`, optionally gzipped (`.gz`).
    Idx,
}

impl Format {
    /// The format of `path`, from its (case-insensitive) name: IDX if [`idx::is_idx_name`]
    /// (`train-images-idx3-ubyte.gz`, `labels.idx1`), else by extension.
    ///
    /// # Errors
    /// [`Error::Parse`] for a missing or unknown extension, listing the supported ones.
    ///
    /// ```
    /// use ntk::io::Format;
    /// assert_eq!(Format::from_path("k.csv".as_ref())?, Format::Text);
    /// assert_eq!(Format::from_path("t10k-labels-idx1-ubyte.gz".as_ref())?, Format::Idx);
    /// assert!(Format::from_path("x.csv.gz".as_ref()).is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_path(path: &Path) -> Result<Self> {
        if idx::is_idx_name(path) {
            return Ok(Format::Idx);
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("npy") => Ok(Format::Npy),
            Some("csv" | "tsv" | "txt") => Ok(Format::Text),
            Some("gz") => Err(Error::Parse {
                path: path.to_path_buf(),
                msg: "gzip-compressed input is read only for IDX files (names with -ubyte or \
                      .idxN, e.g. train-images-idx3-ubyte.gz); decompress it first"
                    .to_string(),
            }),
            Some(other) => Err(Error::Parse {
                path: path.to_path_buf(),
                msg: format!("unsupported file extension `.{other}`; supported: {SUPPORTED}"),
            }),
            None => Err(Error::Parse {
                path: path.to_path_buf(),
                msg: format!(
                    "the file name has no extension, so its format is unknown; use one of {SUPPORTED}"
                ),
            }),
        }
    }
}

/// Read a data matrix (`n x d`, one row per point) from `.npy`, IDX, `.csv`, `.tsv` or
/// `.txt`, and validate it: at least one row and one column, every value finite. A 1-D array
/// of length `n` is read as an `n x 1` column; an IDX array `n x d1 x d2` as `n x (d1 d2)`
/// (raw values: IDX pixels stay 0..255).
///
/// # Errors
/// [`Error::Io`] (`usage: true`) if the file is missing or unreadable; [`Error::Parse`] for an
/// unknown extension or a malformed file; [`Error::Data`] if it is empty or holds NaN/Inf.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-rm-{}.csv", std::process::id()));
/// std::fs::write(&path, "1,2\n3,nan\n").unwrap();
/// let err = ntk::io::read_matrix(&path).unwrap_err();
/// assert!(err.to_string().contains("row 1, column 1"));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_matrix(path: impl AsRef<Path>) -> Result<Mat<f64>> {
    let path = path.as_ref();
    let format = Format::from_path(path)?;
    let m = match format {
        Format::Npy => read_npy(path)?,
        Format::Text => read_csv(path)?,
        Format::Idx => read_idx(path)?,
    };
    let name = path.display().to_string();
    check_nonempty(&name, m.as_ref())?;
    check_finite(&name, m.as_ref())?;
    Ok(m)
}

/// Write a matrix as `.npy` (Fortran order, `<f8`) or, for `.csv`/`.tsv`/`.txt`, as
/// comma-separated text without a header; chosen by extension. Written atomically.
///
/// # Errors
/// [`Error::Parse`] for an unknown extension or an IDX name (IDX is read-only),
/// [`Error::Io`] if the file cannot be written.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-wm-{}.csv", std::process::id()));
/// ntk::io::write_matrix(&path, faer::Mat::from_fn(1, 2, |_, j| j as f64).as_ref())?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "0.0,1.0\n");
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_matrix(path: impl AsRef<Path>, m: MatRef<'_, f64>) -> Result<()> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Npy => write_npy(path, m),
        Format::Text => write_csv(path, m, None),
        Format::Idx => Err(Error::Parse {
            path: path.to_path_buf(),
            msg: "IDX is an input format only; write .npy or .csv".to_string(),
        }),
    }
}

/// Reject an empty matrix (no rows or no columns). `name` says what the matrix is (a file
/// name, or e.g. `"x_test"`).
///
/// # Errors
/// [`Error::Data`], e.g. `x.csv has no rows; it needs at least one data row`.
///
/// ```
/// let err = ntk::io::check_nonempty("x.csv", faer::Mat::<f64>::zeros(0, 3).as_ref()).unwrap_err();
/// assert!(err.to_string().contains("x.csv has no rows"));
/// assert!(ntk::io::check_nonempty("x.csv", faer::Mat::<f64>::zeros(1, 3).as_ref()).is_ok());
/// ```
pub fn check_nonempty(name: &str, m: MatRef<'_, f64>) -> Result<()> {
    if m.nrows() == 0 {
        return Err(Error::Data(format!(
            "{name} has no rows; it needs at least one data row (one point per row)"
        )));
    }
    if m.ncols() == 0 {
        return Err(Error::Data(format!(
            "{name} has no columns; it needs at least one feature per row"
        )));
    }
    Ok(())
}

/// Reject NaN and infinite values, naming the first one (in row-major order, 0-based indices)
/// and how many there are. `name` says what the matrix is (a file name, or e.g. `"y_train"`).
///
/// # Errors
/// [`Error::Data`], e.g. `x.npy: 2 non-finite values (NaN or Inf), the first is NaN at row 3,
/// column 0 (0-based); remove or replace them`.
///
/// ```
/// let mut m = faer::Mat::<f64>::zeros(4, 2);
/// assert!(ntk::io::check_finite("x", m.as_ref()).is_ok());
/// m[(3, 0)] = f64::NAN;
/// m[(2, 1)] = f64::INFINITY;
/// let msg = ntk::io::check_finite("x", m.as_ref()).unwrap_err().to_string();
/// assert!(msg.contains("2 non-finite values"));
/// assert!(msg.contains("inf at row 2, column 1"));
/// ```
pub fn check_finite(name: &str, m: MatRef<'_, f64>) -> Result<()> {
    let mut count = 0usize;
    let mut first: Option<(usize, usize)> = None;
    for j in 0..m.ncols() {
        for (i, v) in m.col(j).iter().enumerate() {
            if !v.is_finite() {
                count += 1;
                if first.is_none_or(|f| i < f.0) {
                    first = Some((i, j));
                }
            }
        }
    }
    match first {
        None => Ok(()),
        Some((i, j)) => {
            let v = m[(i, j)];
            let what = if v.is_nan() {
                "NaN".to_string()
            } else {
                format!("{v}")
            };
            let values = if count == 1 { "value" } else { "values" };
            Err(Error::Data(format!(
                "{name}: {count} non-finite {values} (NaN or Inf), the first is {what} at row {i}, \
                 column {j} (0-based); remove or replace them"
            )))
        }
    }
}
