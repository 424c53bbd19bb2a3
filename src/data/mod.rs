//! Built-in datasets, usable wherever a data file is expected (`--dataset NAME` in the CLI).
//!
//! - `digits`: the UCI handwritten digits (1797 8x8 images, as in scikit-learn's
//!   `load_digits`), embedded in the binary; see `data/README.md` for provenance.
//! - `circle:N`: `N` equally spaced points on the unit circle, the input set of Jacot et al.
//!   (2018), Figure 1.
//! - `fashion-mnist[:N[:M]]`: Fashion-MNIST's training images (the first `N` of 60,000) and
//!   test images (the first `M` of 10,000), pixels / 255, labels 0..9, read from a directory
//!   or the Debian package `dataset-fashion-mnist` ([`fashion`], [`FashionMnist`]).

pub mod fashion;

pub use fashion::FashionMnist;

use crate::{Error, Result};
use faer::Mat;
use std::f64::consts::PI;
use std::path::Path;

/// The embedded digits images: `.npy`, uint8, shape (1797, 64), pixel counts 0..16.
const DIGITS_X: &[u8] = include_bytes!("../../data/digits_x.npy");
/// The embedded digits labels: `.npy`, uint8, shape (1797,), values 0..9.
const DIGITS_Y: &[u8] = include_bytes!("../../data/digits_y.npy");

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
    /// Fashion-MNIST: the first `train` training and `test` test images (all if `None`).
    FashionMnist {
        /// Training images to keep (the first ones), all 60,000 if `None`.
        train: Option<usize>,
        /// Test images to keep (the first ones), all 10,000 if `None`.
        test: Option<usize>,
    },
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
    /// The test split's points, for datasets that have one (Fashion-MNIST).
    pub x_test: Option<Mat<f64>>,
    /// The test split's labels.
    pub labels_test: Option<Vec<u8>>,
}

/// The valid dataset names, for help text and error messages.
///
/// ```
/// assert!(ntk::data::names().contains("circle:N"));
/// ```
pub fn names() -> &'static str {
    "digits (1797 UCI handwritten digits, 8x8 pixels scaled to [0,1], labels 0-9), \
     circle:N (N >= 1 equally spaced points on the unit circle), \
     fashion-mnist[:N[:M]] (Fashion-MNIST, the first N of 60000 train and M of 10000 test \
     images, pixels / 255, labels 0-9; from --data-dir or the Debian package dataset-fashion-mnist)"
}

impl Dataset {
    /// Parse a dataset name: `digits`, `circle:N` with `N >= 1`, or `fashion-mnist`,
    /// `fashion-mnist:N` (first `N` training images, all test images), `fashion-mnist:N:M`
    /// (and the first `M` test images) (case-insensitive; `fashion_mnist` also works).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name or a bad `N`, listing the valid names.
    ///
    /// ```
    /// use ntk::data::Dataset;
    /// assert_eq!(Dataset::parse("digits")?, Dataset::Digits);
    /// assert!(Dataset::parse("circle:0").is_err());
    /// assert!(Dataset::parse("mnist").unwrap_err().to_string().contains("circle:N"));
    /// assert_eq!(
    ///     Dataset::parse("fashion-mnist:5000:1000")?,
    ///     Dataset::FashionMnist { train: Some(5000), test: Some(1000) }
    /// );
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn parse(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase().replace('_', "-");
        if lower == "digits" {
            return Ok(Dataset::Digits);
        }
        if let Some(rest) = lower.strip_prefix("fashion-mnist") {
            return parse_fashion(name, rest);
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
            Dataset::FashionMnist { train, test } => match (train, test) {
                (None, None) => "fashion-mnist".to_string(),
                (Some(n), None) => format!("fashion-mnist:{n}"),
                (n, Some(m)) => format!("fashion-mnist:{}:{m}", n.unwrap_or(fashion::TRAIN_SIZE)),
            },
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
    /// - `fashion-mnist`: see [`Dataset::load_from`]; `load()` looks in the Debian package's
    ///   directory only.
    ///
    /// # Errors
    /// [`Error::Data`] if the embedded digits data is corrupt (not expected) or Fashion-MNIST
    /// is not found; see [`FashionMnist::load`].
    ///
    /// ```
    /// let c = ntk::data::Dataset::Circle(4).load()?;
    /// assert_eq!(c.x[(0, 0)], 1.0);
    /// assert!((c.x[(1, 1)] - 1.0).abs() < 1e-15);
    /// assert!(c.labels.is_none());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn load(&self) -> Result<Loaded> {
        self.load_from(None)
    }

    /// Build the dataset, reading files from `data_dir` where the dataset needs files
    /// (Fashion-MNIST; `None`: the Debian package's directory). For Fashion-MNIST, `x` and
    /// `labels` are the training split, `x_test` and `labels_test` the test split.
    ///
    /// # Errors
    /// As [`Dataset::load`].
    ///
    /// ```
    /// use ntk::data::Dataset;
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/io/fashion");
    /// let d = Dataset::parse("fashion-mnist:20:10")?.load_from(Some(dir.as_ref()))?;
    /// assert_eq!((d.x.nrows(), d.x_test.unwrap().nrows()), (20, 10));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn load_from(&self, data_dir: Option<&Path>) -> Result<Loaded> {
        match *self {
            Dataset::FashionMnist { train, test } => {
                let f = FashionMnist::load(data_dir, train, test)?;
                let to_u8 = |v: &[usize]| v.iter().map(|&c| c as u8).collect::<Vec<u8>>();
                Ok(Loaded {
                    description: f.description(),
                    labels: Some(to_u8(&f.labels_train)),
                    labels_test: Some(to_u8(&f.labels_test)),
                    x: f.x_train,
                    x_test: Some(f.x_test),
                })
            }
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
                    x_test: None,
                    labels_test: None,
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
        x_test: None,
        labels_test: None,
    })
}

/// Parse the part of a Fashion-MNIST name after `fashion-mnist`: empty, `:N` or `:N:M`.
fn parse_fashion(name: &str, rest: &str) -> Result<Dataset> {
    let bad = || {
        Error::param(
            "dataset",
            format!(
                "`{name}`: use fashion-mnist, fashion-mnist:N (the first N training images) or \
                 fashion-mnist:N:M (and the first M test images), with 1 <= N <= 60000, 1 <= M <= 10000"
            ),
        )
    };
    if rest.is_empty() {
        return Ok(Dataset::FashionMnist {
            train: None,
            test: None,
        });
    }
    let rest = rest.strip_prefix(':').ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split(':').collect();
    let num = |s: &str, max: usize| -> Result<usize> {
        match s.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad()),
        }
    };
    match parts.as_slice() {
        [n] => Ok(Dataset::FashionMnist {
            train: Some(num(n, fashion::TRAIN_SIZE)?),
            test: None,
        }),
        [n, m] => Ok(Dataset::FashionMnist {
            train: Some(num(n, fashion::TRAIN_SIZE)?),
            test: Some(num(m, fashion::TEST_SIZE)?),
        }),
        _ => Err(bad()),
    }
}
