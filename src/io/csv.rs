//! A reader and writer for numeric delimited text (`.csv`, `.tsv`, `.txt`). Comma- and
//! tab-separated input is split by the `csv` crate (RFC 4180 quoting, CRLF, BOM); numpy's
//! whitespace-separated `savetxt` output by runs of whitespace.
//!
//! Reading rules:
//! - The delimiter is chosen from the first non-blank, non-comment line: a comma if it has
//!   one, else a tab if it has one, else runs of whitespace (numpy's `savetxt` default). All
//!   later lines use the same delimiter.
//! - Blank lines, and lines starting with `#` (numpy's `savetxt(header=...)` comments), are
//!   skipped. A UTF-8 byte-order mark and Windows line endings are accepted.
//! - The first remaining row is a header iff any of its fields fails to parse as a number
//!   (so a header made only of numbers is read as data).
//! - Fields are trimmed; a quoted field (`"1.5"`) is unquoted (CSV quoting rules, and one
//!   remaining pair of surrounding quotes, e.g. around a field with blanks before its quote).
//! - Every row must have as many fields as the first data row; a ragged row or a non-numeric
//!   field is an error naming the line (and column).
//! - `nan` and `inf` parse; rejecting them is the job of [`crate::io::check_finite`].

use crate::{Error, Result};
use faer::{Mat, MatRef};
use std::path::Path;

/// How fields are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delim {
    Comma,
    Tab,
    Whitespace,
}

impl Delim {
    fn detect(line: &str) -> Self {
        if line.contains(',') {
            Delim::Comma
        } else if line.contains('\t') {
            Delim::Tab
        } else {
            Delim::Whitespace
        }
    }
}

/// Trim a field and strip one pair of surrounding double quotes (whitespace-separated input).
fn clean(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"')
        .and_then(|g| g.strip_suffix('"'))
        .map_or(f, str::trim)
}

/// Parse one field as a number (`nan`, `inf` included).
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok()
}

/// A [`Error::Parse`] for `name`.
fn perr(name: &Path, msg: impl Into<String>) -> Error {
    Error::Parse {
        path: name.to_path_buf(),
        msg: msg.into(),
    }
}

/// The rows seen so far: the column count, the first data line, the values.
struct Rows<'n> {
    name: &'n Path,
    ncols: usize,
    first_line: usize,
    seen_first_row: bool,
    values: Vec<f64>,
}

impl Rows<'_> {
    /// Take one row (line `lineno`, 1-based) of fields.
    fn push(&mut self, lineno: usize, fields: &[&str]) -> Result<()> {
        if !self.seen_first_row {
            self.seen_first_row = true;
            self.ncols = fields.len();
            self.first_line = lineno;
            if fields.iter().any(|f| number(f).is_none()) {
                return Ok(()); // header row
            }
        } else if fields.len() != self.ncols {
            return Err(perr(
                self.name,
                format!(
                    "line {lineno}: expected {} fields (as in line {}), found {}; \
                     every row needs the same number of columns",
                    self.ncols,
                    self.first_line,
                    fields.len()
                ),
            ));
        }
        for (c, f) in fields.iter().enumerate() {
            match number(f) {
                Some(v) => self.values.push(v),
                None => {
                    let what = if f.is_empty() {
                        "empty field".to_string()
                    } else {
                        format!("cannot parse {f:?} as a number")
                    };
                    return Err(perr(
                        self.name,
                        format!(
                            "line {lineno}, column {}: {what}; only the first row may be a header, \
                             and all other fields must be numbers",
                            c + 1
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Parse numeric delimited text into a matrix, one row per data line. `name` is used in error
/// messages only. An input with no data rows gives a `0 x d` matrix (`d = 0` without a header).
///
/// # Errors
/// [`Error::Parse`] for a ragged row (`line 4: expected 3 fields (as in line 2), found 2; ...`),
/// a non-numeric field after the header (`line 5, column 2: cannot parse "abc" as a number; ...`)
/// or broken quoting.
///
/// ```
/// let m = ntk::io::csv::parse_csv("a,b\n1,2\n\n3,4.5\n", "x.csv")?;
/// assert_eq!((m.nrows(), m.ncols()), (2, 2));
/// assert_eq!(m[(1, 1)], 4.5);
/// let err = ntk::io::csv::parse_csv("1,2\n3\n", "x.csv").unwrap_err();
/// assert!(err.to_string().contains("line 2"));
/// // quoted fields, CRLF line ends and a byte-order mark
/// let q = ntk::io::csv::parse_csv("\u{feff}\"x\",\"y, z\"\r\n\"1\",2\r\n", "q.csv")?;
/// assert_eq!((q.nrows(), q[(0, 0)]), (1, 1.0));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn parse_csv(text: &str, name: impl AsRef<Path>) -> Result<Mat<f64>> {
    let name = name.as_ref();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Rows {
        name,
        ncols: 0,
        first_line: 0,
        seen_first_row: false,
        values: Vec::new(),
    };
    let data_line = |l: &&str| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    };
    let Some(first) = text.lines().find(data_line) else {
        return Ok(Mat::zeros(0, 0));
    };
    match Delim::detect(first) {
        Delim::Whitespace => {
            for (idx, line) in text.lines().enumerate() {
                if data_line(&line) {
                    let fields: Vec<&str> = line.split_whitespace().map(clean).collect();
                    rows.push(idx + 1, &fields)?;
                }
            }
        }
        d => {
            let mut reader = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(if d == Delim::Comma { b',' } else { b'\t' })
                .comment(Some(b'#'))
                .trim(::csv::Trim::All)
                .from_reader(text.as_bytes());
            // line numbers from byte offsets (the reader's own line count skips comments)
            let starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            let mut record = ::csv::StringRecord::new();
            loop {
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => return Err(perr(name, format!("malformed CSV: {e}"))),
                }
                let byte = record.position().map_or(0, |p| p.byte() as usize);
                let lineno = starts.partition_point(|&s| s <= byte);
                if record.iter().all(str::is_empty) {
                    continue; // a line of blanks
                }
                // `clean` also unquotes a field with blanks around its quotes (` "1.5" `)
                let fields: Vec<&str> = record.iter().map(clean).collect();
                rows.push(lineno, &fields)?;
            }
        }
    }
    let ncols = rows.ncols;
    let values = rows.values;
    let nrows = values.len().checked_div(ncols).unwrap_or(0);
    Ok(Mat::from_fn(nrows, ncols, |i, j| values[i * ncols + j]))
}

/// Read a numeric `.csv`/`.tsv`/`.txt` file into a matrix (rules in the [module docs](self)).
///
/// # Errors
/// [`Error::Io`] (`usage: true`) if the file cannot be read or is not UTF-8 text; otherwise
/// as [`parse_csv`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-csv-{}.csv", std::process::id()));
/// std::fs::write(&path, "x0,x1\n0.5,1\n2,3\n").unwrap();
/// let m = ntk::io::read_csv(&path)?;
/// assert_eq!((m.nrows(), m.ncols(), m[(0, 0)]), (2, 2, 0.5));
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>) -> Result<Mat<f64>> {
    let path = path.as_ref();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut super::open_input(path)?, &mut bytes).map_err(|source| {
        Error::Io {
            path: path.to_path_buf(),
            source,
            usage: true,
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        perr(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {}); a .csv/.tsv/.txt input must be numeric \
                 text, save binary arrays as .npy",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    parse_csv(&text, path)
}

/// Write a matrix as comma-separated text, atomically, one row per line, with an optional
/// header row. Values use Rust's shortest round-trip formatting (`1.0`, `0.1`, `1e300`), so
/// [`read_csv`] gives back exactly the same numbers.
///
/// # Errors
/// [`Error::Shape`] if the header does not have one name per column; [`Error::InvalidParameter`]
/// if a name is empty, contains a comma, quote or line break, or parses as a number (it would
/// then be read back as data); [`Error::Io`] if the file cannot be written.
///
/// ```
/// let path = std::env::temp_dir().join(format!("ntk-doc-wcsv-{}.csv", std::process::id()));
/// let m = faer::Mat::from_fn(2, 2, |i, j| i as f64 + 0.1 * j as f64);
/// ntk::io::write_csv(&path, m.as_ref(), Some(&["a", "b"]))?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n0.0,0.1\n1.0,1.1\n");
/// assert_eq!(ntk::io::read_csv(&path)?, m);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_csv(
    path: impl AsRef<Path>,
    m: MatRef<'_, f64>,
    header: Option<&[&str]>,
) -> Result<()> {
    if let Some(h) = header {
        if h.len() != m.ncols() {
            return Err(Error::Shape(format!(
                "the CSV header has {} names but the matrix has {} columns; give one name per column",
                h.len(),
                m.ncols()
            )));
        }
        for n in h {
            if n.trim().is_empty()
                || n.contains([',', '"', '\n', '\r'])
                || number(n.trim()).is_some()
            {
                return Err(Error::param(
                    "header",
                    format!(
                        "column name {n:?} is empty, numeric, or contains a comma, quote or line break; use plain names such as x0, x1"
                    ),
                ));
            }
        }
    }
    super::write_atomic(path.as_ref(), |w| {
        if let Some(h) = header {
            writeln!(w, "{}", h.join(","))?;
        }
        let mut line = String::new();
        for i in 0..m.nrows() {
            line.clear();
            for j in 0..m.ncols() {
                if j > 0 {
                    line.push(',');
                }
                line.push_str(&format!("{:?}", m[(i, j)]));
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    })
}
