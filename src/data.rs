//! Built-in datasets, usable wherever a data file is expected (`--dataset NAME` in the CLI).
//!
//! - `digits`: the UCI handwritten digits (1797 8x8 images, as in scikit-learn's
//!   `load_digits`), embedded in the binary; see `data/README.md` for provenance.
//! - `circle:N`: `N` equally spaced points on the unit circle, the input set of Jacot et al.
//!   (2018), Figure 1.

use crate::{Error, Result};
use faer::Mat;
use std::f64::consts::PI;

/// The embedded digits images: `.npy`, uint8, shape (1797, 64), pixel counts 0..16.
const DIGITS_X: &[u8] = include_bytes!("../data/digits_x.npy");
/// The embedded digits labels: `.npy`, uint8, shape (1797,), values 0..9.
const DIGITS_Y: &[u8] = include_bytes!("../data/digits_y.npy");

/// The largest `N` accepted by `circle:N` (16 bytes per point; the kernel on it needs `8 N^2`).
pub const MAX_CIRCLE_POINTS: usize = 10_000_000;

/// A built-in dataset.
///
/// ```
/// use ntk::data::Dataset;
/// assert_eq!(Dataset::parse("circle:8")?, Dataset::Circle(8));
/// let d = Dataset::parse("digits")?.load()?;
/// assert_eq!((d.x.nrows(), d.x.ncols()), (1797, 64));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// The UCI handwritten digits: 1797 points in 64 dimensions, pixels scaled to [0, 1],
    /// with labels 0..9.
    Digits,
    /// `N` points `x_k = (cos(2 pi k / N), sin(2 pi k / N))`, `k = 0..N-1`, on the unit circle.
    Circle(usize),
}

/// A loaded dataset.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The points, one per row.
    pub x: Mat<f64>,
    /// Class labels, one per row, if the dataset has them.
    pub labels: Option<Vec<u8>>,
    /// One line describing the data (for logs and sidecars).
    pub description: String,
}

/// The valid dataset names, for help text and error messages.
///
/// ```
/// assert!(ntk::data::names().contains("circle:N"));
/// ```
pub fn names() -> &'static str {
    "digits (1797 UCI handwritten digits, 8x8 pixels scaled to [0,1], labels 0-9), \
     circle:N (N >= 1 equally spaced points on the unit circle)"
}

impl Dataset {
    /// Parse a dataset name: `digits` or `circle:N` with `N >= 1` (case-insensitive).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name or a bad `N`, listing the valid names.
    ///
    /// ```
    /// use ntk::data::Dataset;
    /// assert_eq!(Dataset::parse("digits")?, Dataset::Digits);
    /// assert!(Dataset::parse("circle:0").is_err());
    /// assert!(Dataset::parse("mnist").unwrap_err().to_string().contains("circle:N"));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn parse(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase();
        if lower == "digits" {
            return Ok(Dataset::Digits);
        }
        if let Some(n) = lower.strip_prefix("circle:") {
            return match n.trim().parse::<usize>() {
                Ok(0) => Err(Error::param(
                    "dataset",
                    "circle:0 has no points; use circle:N with N >= 1, e.g. circle:64",
                )),
                Ok(n) if n > MAX_CIRCLE_POINTS => Err(Error::param(
                    "dataset",
                    format!(
                        "circle:{n} has more than the {MAX_CIRCLE_POINTS} points allowed; use circle:N with a smaller N"
                    ),
                )),
                Ok(n) => Ok(Dataset::Circle(n)),
                Err(_) => Err(Error::param(
                    "dataset",
                    format!(
                        "in `{name}`, the number of points `{n}` is not a positive integer; use circle:N, e.g. circle:64"
                    ),
                )),
            };
        }
        if lower == "circle" {
            return Err(Error::param(
                "dataset",
                "`circle` needs a number of points: use circle:N, e.g. circle:64",
            ));
        }
        Err(Error::param(
            "dataset",
            format!("unknown dataset `{name}`; valid names: {}", names()),
        ))
    }

    /// The canonical name (`digits`, `circle:8`), which [`Dataset::parse`] accepts.
    ///
    /// ```
    /// assert_eq!(ntk::data::Dataset::Circle(8).name(), "circle:8");
    /// ```
    pub fn name(&self) -> String {
        match self {
            Dataset::Digits => "digits".to_string(),
            Dataset::Circle(n) => format!("circle:{n}"),
        }
    }

    /// Build the dataset.
    ///
    /// - `digits`: `x` is 1797 x 64, each pixel count (0..16) divided by 16 so that every
    ///   value lies in [0, 1] (the scale of the inputs matters to the kernels, whose first layer
    ///   is `x . x' / d`; dividing by the maximum keeps the data's geometry and sparsity);
    ///   `labels` are the digits 0..9.
    /// - `circle:N`: `x` is N x 2 with row `k` equal to `(cos g, sin g)`, `g = 2 pi k / N`;
    ///   no labels.
    ///
    /// # Errors
    /// [`Error::Data`] only if the embedded digits data is corrupt (not expected).
    ///
    /// ```
    /// let c = ntk::data::Dataset::Circle(4).load()?;
    /// assert_eq!(c.x[(0, 0)], 1.0);
    /// assert!((c.x[(1, 1)] - 1.0).abs() < 1e-15);
    /// assert!(c.labels.is_none());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn load(&self) -> Result<Loaded> {
        match *self {
            Dataset::Digits => load_digits(),
            Dataset::Circle(n) => {
                if n == 0 || n > MAX_CIRCLE_POINTS {
                    return Err(Error::param(
                        "dataset",
                        format!("circle:{n}: N must be between 1 and {MAX_CIRCLE_POINTS}"),
                    ));
                }
                let angle = |k: usize| 2.0 * PI * k as f64 / n as f64;
                let x = Mat::from_fn(n, 2, |k, j| {
                    if j == 0 {
                        angle(k).cos()
                    } else {
                        angle(k).sin()
                    }
                });
                Ok(Loaded {
                    x,
                    labels: None,
                    description: format!(
                        "circle:{n}: {n} points (cos g, sin g) on the unit circle, g = 2 pi k / {n}, k = 0..{}",
                        n - 1
                    ),
                })
            }
        }
    }
}

impl std::str::FromStr for Dataset {
    type Err = Error;

    /// Same as [`Dataset::parse`].
    fn from_str(s: &str) -> Result<Self> {
        Dataset::parse(s)
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// Decode the embedded digits.
fn load_digits() -> Result<Loaded> {
    let corrupt = |e: Error| {
        Error::Data(format!(
            "the embedded digits data is corrupt ({e}); rebuild ntk"
        ))
    };
    let raw = crate::io::npy::parse_npy(DIGITS_X, "digits_x.npy (built-in)").map_err(corrupt)?;
    let y = crate::io::npy::parse_npy(DIGITS_Y, "digits_y.npy (built-in)").map_err(corrupt)?;
    if raw.nrows() != y.nrows() || y.ncols() != 1 || raw.ncols() != 64 {
        return Err(Error::Data(format!(
            "the embedded digits data is corrupt (x is {} x {}, y is {} x {}); rebuild ntk",
            raw.nrows(),
            raw.ncols(),
            y.nrows(),
            y.ncols()
        )));
    }
    let mut labels = Vec::with_capacity(y.nrows());
    for v in y.col(0).iter() {
        if !(0.0..=9.0).contains(v) || v.fract() != 0.0 {
            return Err(Error::Data(format!(
                "the embedded digits labels are corrupt (label {v}); rebuild ntk"
            )));
        }
        labels.push(*v as u8);
    }
    let x = Mat::from_fn(raw.nrows(), raw.ncols(), |i, j| raw[(i, j)] / 16.0);
    Ok(Loaded {
        description: format!(
            "digits: {} UCI handwritten digits, 8x8 = 64 pixels each, pixel counts 0..16 divided by 16 to [0, 1], labels 0-9",
            x.nrows()
        ),
        x,
        labels: Some(labels),
    })
}
