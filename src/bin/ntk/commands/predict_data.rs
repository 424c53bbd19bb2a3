//! `ntk predict`'s data: files (`--x-train`, `--y-train`, ...) or a built-in train/test
//! dataset (`--dataset fashion-mnist[:N[:M]]`, `digits`), with class labels one-hot encoded
//! (`Y[i, c] = 1` for label c, 0 elsewhere; see `ntk::io::labels`).

use super::predict::Args;
use anyhow::Context;
use faer::Mat;
use ntk::io::labels::{labels_from_matrix, one_hot};
use std::path::Path;

/// The inputs and targets of a prediction.
pub struct Data {
    /// Training inputs.
    pub x_train: Option<Mat<f64>>,
    /// Training targets (`n x k`).
    pub y_train: Mat<f64>,
    /// Test inputs.
    pub x_test: Option<Mat<f64>>,
    /// Test targets.
    pub y_test: Option<Mat<f64>>,
}

fn read(path: &Path, flag: &str) -> anyhow::Result<Mat<f64>> {
    ntk::io::read_matrix(path).with_context(|| format!("reading --{flag} {}", path.display()))
}

/// Is this an IDX labels file (`*-idx1-ubyte`, `*.idx1`, optionally gzipped)?
fn is_idx_labels(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.contains("idx1")
}

fn parse_counts(rest: &str, spec: &str) -> anyhow::Result<(Option<usize>, Option<usize>)> {
    let mut it = rest.split(':').filter(|s| !s.is_empty());
    let mut next = || -> anyhow::Result<Option<usize>> {
        it.next()
            .map(|v| {
                v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                    crate::common::usage(format!(
                        "--dataset {spec}: `{v}` is not a positive count; e.g. fashion-mnist:10000:2000"
                    ))
                })
            })
            .transpose()
    };
    Ok((next()?, next()?))
}

fn dataset(args: &Args, spec: &str) -> anyhow::Result<Data> {
    let lower = spec.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("fashion-mnist") {
        let (n, m) = parse_counts(rest, spec)?;
        let f = ntk::data::FashionMnist::load(args.data_dir.as_deref(), n, m)?;
        if !args.quiet {
            eprintln!("{}", f.description());
        }
        return Ok(Data {
            y_train: one_hot(&f.labels_train, Some(10))?,
            y_test: Some(one_hot(&f.labels_test, Some(10))?),
            x_train: Some(f.x_train),
            x_test: Some(f.x_test),
        });
    }
    if lower == "digits" {
        let l = ntk::data::Dataset::Digits.load()?;
        let labels: Vec<usize> = l
            .labels
            .as_ref()
            .context("the digits have labels")?
            .iter()
            .map(|&v| v as usize)
            .collect();
        let n = 1500.min(l.x.nrows());
        let m = l.x.nrows() - n;
        let y = one_hot(&labels, Some(10))?;
        let rows = |x: &Mat<f64>, r0: usize, len: usize| {
            Mat::from_fn(len, x.ncols(), |i, j| x[(r0 + i, j)])
        };
        return Ok(Data {
            x_train: Some(rows(&l.x, 0, n)),
            y_train: rows(&y, 0, n),
            x_test: Some(rows(&l.x, n, m)),
            y_test: Some(rows(&y, n, m)),
        });
    }
    Err(crate::common::usage(format!(
        "--dataset {spec}: unknown train/test dataset; use fashion-mnist[:N[:M]] or digits"
    )))
}

/// Load the data the flags ask for.
pub fn load(args: &Args) -> anyhow::Result<Data> {
    if let Some(spec) = &args.dataset {
        return dataset(args, spec);
    }
    let y_path = args
        .y_train
        .as_ref()
        .ok_or_else(|| crate::common::usage("pass --y-train FILE (or --dataset NAME)"))?;
    let mut y_train = read(y_path, "y-train")?;
    let mut y_test = args
        .y_test
        .as_ref()
        .map(|p| read(p, "y-test"))
        .transpose()?;
    if args.labels || is_idx_labels(y_path) {
        let lt = labels_from_matrix("--y-train", y_train.as_ref())?;
        let ls = y_test
            .as_ref()
            .map(|y| labels_from_matrix("--y-test", y.as_ref()))
            .transpose()?;
        let classes = lt
            .iter()
            .chain(ls.iter().flatten())
            .max()
            .map_or(1, |m| m + 1);
        y_train = one_hot(&lt, Some(classes))?;
        y_test = ls.map(|l| one_hot(&l, Some(classes))).transpose()?;
    }
    Ok(Data {
        x_train: args
            .x_train
            .as_ref()
            .map(|p| read(p, "x-train"))
            .transpose()?,
        y_train,
        x_test: args
            .x_test
            .as_ref()
            .map(|p| read(p, "x-test"))
            .transpose()?,
        y_test,
    })
}
