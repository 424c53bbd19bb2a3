//! Fashion-MNIST (Xiao, Rasul and Vollgraf 2017; Zalando SE, MIT licence): 60,000 training
//! and 10,000 test images of 28 x 28 grey pixels in 10 clothing classes, read from the four
//! IDX files it ships as:
//!
//! ```text
//! train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
//! t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]
//! ```
//!
//! Images become rows of 784 pixels (row-major), each pixel `p / 255` in `[0, 1]` (the
//! convention of neural-tangents' examples and of SCALE.md); labels are the classes 0..9
//! (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker,
//! 8 bag, 9 ankle boot).
//!
//! The files are looked for in a directory the caller gives, else where the Debian package
//! `dataset-fashion-mnist` installs them ([`DEBIAN_DIR`], or wherever
//! `dpkg -L dataset-fashion-mnist` lists them). Plain files are preferred over `.gz` when
//! both exist.

use crate::io::idx::{read_idx_header, read_idx_rows};
use crate::{Error, Result};
use faer::Mat;
use std::path::{Path, PathBuf};

/// Where the Debian package `dataset-fashion-mnist` installs the IDX files.
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Training-set size of the full data set.
pub const TRAIN_SIZE: usize = 60_000;
/// Test-set size of the full data set.
pub const TEST_SIZE: usize = 10_000;

/// The base names of the four files: train images, train labels, test images, test labels.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Fashion-MNIST, loaded: images scaled to `[0, 1]`, one per row, and their labels.
///
/// ```no_run
/// let f = ntk::data::FashionMnist::load(None, Some(1000), Some(200))?;
/// assert_eq!((f.x_train.nrows(), f.x_train.ncols(), f.x_test.nrows()), (1000, 784, 200));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FashionMnist {
    /// Training images, `n_train x 784`, pixels / 255.
    pub x_train: Mat<f64>,
    /// Training labels, 0..9.
    pub labels_train: Vec<usize>,
    /// Test images, `n_test x 784`, pixels / 255.
    pub x_test: Mat<f64>,
    /// Test labels, 0..9.
    pub labels_test: Vec<usize>,
    /// The directory the files were read from.
    pub dir: PathBuf,
}

/// The way to get the data, for error messages.
fn how_to_get() -> String {
    format!(
        "either pass --data-dir DIR with the four files ({}, plain or .gz; download them from \
         https://github.com/zalandoresearch/fashion-mnist), or install the Debian package \
         (apt-get install dataset-fashion-mnist), which puts them in {DEBIAN_DIR}",
        FILES.join(", ")
    )
}

/// The path of `base` in `dir`: plain if present, else `.gz`, else None.
fn find_file(dir: &Path, base: &str) -> Option<PathBuf> {
    let plain = dir.join(base);
    if plain.is_file() {
        return Some(plain);
    }
    let gz = dir.join(format!("{base}.gz"));
    gz.is_file().then_some(gz)
}

/// The directories `dpkg -L dataset-fashion-mnist` lists a train-images file in.
fn dpkg_dirs() -> Vec<PathBuf> {
    let Ok(out) = std::process::Command::new("dpkg")
        .args(["-L", "dataset-fashion-mnist"])
        .stderr(std::process::Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(FILES[0]))
        .filter_map(|l| Path::new(l.trim()).parent().map(Path::to_path_buf))
        .collect()
}

/// The four files in `dir`, or the names of the missing ones.
fn files_in(dir: &Path) -> std::result::Result<[PathBuf; 4], Vec<&'static str>> {
    let found: Vec<Option<PathBuf>> = FILES.iter().map(|b| find_file(dir, b)).collect();
    let missing: Vec<&str> = FILES
        .iter()
        .zip(&found)
        .filter(|(_, f)| f.is_none())
        .map(|(b, _)| *b)
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut it = found.into_iter().flatten();
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(c), Some(d)) => Ok([a, b, c, d]),
        _ => Err(FILES.to_vec()),
    }
}

/// Find the four files: in `data_dir` if given (only there), else in [`DEBIAN_DIR`] or where
/// `dpkg -L dataset-fashion-mnist` lists them.
///
/// # Errors
/// [`Error::Data`] naming what is missing and both ways to get the data.
///
/// ```
/// let err = ntk::data::fashion::locate(Some("/nonexistent-dir".as_ref())).unwrap_err();
/// assert!(err.to_string().contains("--data-dir"));
/// assert!(err.to_string().contains("apt-get install dataset-fashion-mnist"));
/// ```
pub fn locate(data_dir: Option<&Path>) -> Result<[PathBuf; 4]> {
    if let Some(dir) = data_dir {
        return files_in(dir).map_err(|missing| {
            Error::Data(format!(
                "Fashion-MNIST not found in {}: missing {}; {}",
                dir.display(),
                missing.join(", "),
                how_to_get()
            ))
        });
    }
    let mut dirs = vec![PathBuf::from(DEBIAN_DIR)];
    dirs.extend(dpkg_dirs());
    for d in &dirs {
        if let Ok(files) = files_in(d) {
            return Ok(files);
        }
    }
    Err(Error::Data(format!(
        "Fashion-MNIST not found (looked in {DEBIAN_DIR} and in `dpkg -L dataset-fashion-mnist`); {}",
        how_to_get()
    )))
}

/// Read one images/labels pair, the first `limit` items if given.
fn read_split(
    images: &Path,
    labels: &Path,
    limit: Option<usize>,
) -> Result<(Mat<f64>, Vec<usize>)> {
    let hi = read_idx_header(images)?;
    let hl = read_idx_header(labels)?;
    if hi.dims.len() != 3 || hi.dims[1..] != [28, 28] {
        return Err(Error::Parse {
            path: images.to_path_buf(),
            msg: format!(
                "expected 28 x 28 images (dimensions n x 28 x 28), found {:?}; is this Fashion-MNIST?",
                hi.dims
            ),
        });
    }
    if hl.dims.len() != 1 || hl.dims[0] != hi.dims[0] {
        return Err(Error::Parse {
            path: labels.to_path_buf(),
            msg: format!(
                "expected {} labels (one per image in {}), found dimensions {:?}",
                hi.dims[0],
                images.display(),
                hl.dims
            ),
        });
    }
    let raw = read_idx_rows(images, limit)?;
    let y = read_idx_rows(labels, limit)?;
    let mut classes = Vec::with_capacity(y.nrows());
    for (i, &v) in y.col(0).iter().enumerate() {
        if !(0.0..=9.0).contains(&v) {
            return Err(Error::Parse {
                path: labels.to_path_buf(),
                msg: format!("label {v} at item {i} is not a class 0..9"),
            });
        }
        classes.push(v as usize);
    }
    let x = Mat::from_fn(raw.nrows(), raw.ncols(), |i, j| raw[(i, j)] / 255.0);
    Ok((x, classes))
}

/// Check a requested subset size against what the files hold.
fn check_subset(what: &str, want: Option<usize>, have: usize) -> Result<()> {
    match want {
        Some(0) => Err(Error::param(
            "dataset",
            format!("a Fashion-MNIST {what} subset of 0 images; ask for at least 1"),
        )),
        Some(n) if n > have => Err(Error::param(
            "dataset",
            format!("{n} {what} images asked for, but the {what} set has only {have}"),
        )),
        _ => Ok(()),
    }
}

impl FashionMnist {
    /// Load the train and test splits (the first `n_train` / `n_test` images of each if
    /// given), pixels / 255, from `data_dir` or the Debian package's directory
    /// (see [`locate`]).
    ///
    /// # Errors
    /// [`Error::Data`] if the files are not found (naming both ways to get them);
    /// [`Error::Parse`] if a file is corrupt or not Fashion-MNIST's shape;
    /// [`Error::InvalidParameter`] for a subset of 0 or more images than the split holds.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/io/fashion");
    /// let f = ntk::data::FashionMnist::load(Some(dir.as_ref()), Some(10), None)?;
    /// assert_eq!((f.x_train.nrows(), f.x_test.nrows()), (10, 50)); // the sample has 50 test images
    /// assert_eq!(f.labels_train[0], 9); // an ankle boot
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn load(
        data_dir: Option<&Path>,
        n_train: Option<usize>,
        n_test: Option<usize>,
    ) -> Result<Self> {
        let [tri, trl, tei, tel] = locate(data_dir)?;
        check_subset("training", n_train, read_idx_header(&tri)?.dims[0])?;
        check_subset("test", n_test, read_idx_header(&tei)?.dims[0])?;
        let (x_train, labels_train) = read_split(&tri, &trl, n_train)?;
        let (x_test, labels_test) = read_split(&tei, &tel, n_test)?;
        Ok(FashionMnist {
            x_train,
            labels_train,
            x_test,
            labels_test,
            dir: parent(&tri),
        })
    }

    /// One line describing what was loaded.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/io/fashion");
    /// let f = ntk::data::FashionMnist::load(Some(dir.as_ref()), None, Some(5))?;
    /// assert!(f.description().starts_with("fashion-mnist: 100 train / 5 test"));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn description(&self) -> String {
        format!(
            "fashion-mnist: {} train / {} test images (28x28 = 784 pixels, pixel / 255 in [0, 1], labels 0-9) from {}",
            self.x_train.nrows(),
            self.x_test.nrows(),
            self.dir.display()
        )
    }
}

fn parent(p: &Path) -> PathBuf {
    p.parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/io/fashion")
    }

    #[test]
    fn sample_loads_scaled_with_labels() {
        let f = FashionMnist::load(Some(&sample()), None, None).unwrap();
        assert_eq!((f.x_train.nrows(), f.x_train.ncols()), (100, 784));
        assert_eq!((f.x_test.nrows(), f.x_test.ncols()), (50, 784));
        assert_eq!(&f.labels_train[..6], &[9, 0, 0, 3, 0, 2]);
        assert_eq!(&f.labels_test[..5], &[9, 2, 1, 1, 6]);
        let max = (0..784).fold(0.0f64, |m, j| m.max(f.x_train[(0, j)]));
        assert!(max <= 1.0 && max > 0.5);
        // the first image's pixel sum is 76247 / 255 (checked with Python on the raw bytes)
        let s: f64 = (0..784).map(|j| f.x_train[(0, j)] * 255.0).sum();
        assert!((s - 76247.0).abs() < 1e-9, "{s}");
    }

    #[test]
    fn subsets_and_their_limits() {
        let f = FashionMnist::load(Some(&sample()), Some(7), Some(3)).unwrap();
        assert_eq!((f.x_train.nrows(), f.labels_test.len()), (7, 3));
        let full = FashionMnist::load(Some(&sample()), None, None).unwrap();
        assert_eq!(f.x_train, full.x_train.subrows(0, 7).to_owned());
        let e = FashionMnist::load(Some(&sample()), Some(101), None).unwrap_err();
        assert!(e.to_string().contains("only 100"), "{e}");
        assert!(FashionMnist::load(Some(&sample()), None, Some(0)).is_err());
    }
}
