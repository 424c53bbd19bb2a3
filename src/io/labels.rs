//! Integer class labels as regression targets, and test accuracy.
//!
//! One-hot encoding (the convention of neural-tangents' examples and of Lee et al. 2019):
//! `n` labels in `0..C` become an `n x C` matrix `Y` with `Y[i, c] = 1` if label `i` is `c`
//! and `0` otherwise. The number of classes `C` is `max label + 1` unless given. (Targets are
//! not centred: kernel regression on `Y - 1/C` gives the same argmax.)
//!
//! The predicted class of an output row is its argmax; ties go to the lowest index, and a row
//! holding NaN predicts no class (counted as wrong). Accuracy is the fraction of rows whose
//! predicted class equals the label.

use crate::{Error, Result};
use faer::{Mat, MatRef};

/// The largest number of classes accepted (labels must be below it).
pub const MAX_CLASSES: usize = 1 << 20;

/// Read integer class labels from an `n x 1` matrix (e.g. an IDX labels file or a 1-D `.npy`).
///
/// # Errors
/// [`Error::Shape`] if the matrix has more than one column; [`Error::Data`] if a value is
/// negative, not an integer, or not below [`MAX_CLASSES`] (naming the first such row).
///
/// ```
/// let m = faer::Mat::from_fn(3, 1, |i, _| [2.0, 0.0, 1.0][i]);
/// assert_eq!(ntk::io::labels::labels_from_matrix("y", m.as_ref())?, vec![2, 0, 1]);
/// let bad = faer::Mat::from_fn(1, 1, |_, _| 0.5);
/// assert!(ntk::io::labels::labels_from_matrix("y", bad.as_ref()).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn labels_from_matrix(name: &str, m: MatRef<'_, f64>) -> Result<Vec<usize>> {
    if m.ncols() != 1 {
        return Err(Error::Shape(format!(
            "{name} has {} columns; class labels must be one integer per row (a 1-D array or one column)",
            m.ncols()
        )));
    }
    let mut out = Vec::with_capacity(m.nrows());
    for (i, &v) in m.col(0).iter().enumerate() {
        if !(v >= 0.0 && v.fract() == 0.0 && v < MAX_CLASSES as f64) {
            return Err(Error::Data(format!(
                "{name}: row {i} holds {v}, not a class label; labels must be integers 0, 1, 2, ... \
                 below {MAX_CLASSES}"
            )));
        }
        out.push(v as usize);
    }
    Ok(out)
}

/// One-hot targets: `labels.len() x C`, row `i` has a 1 in column `labels[i]`, 0 elsewhere.
/// `C = classes` if given, else `max label + 1`.
///
/// # Errors
/// [`Error::Data`] if `labels` is empty; [`Error::InvalidParameter`] if `classes` is 0, above
/// [`MAX_CLASSES`], or not above the largest label.
///
/// ```
/// let y = ntk::io::labels::one_hot(&[2, 0], None)?;
/// assert_eq!((y.nrows(), y.ncols()), (2, 3));
/// assert_eq!((y[(0, 2)], y[(0, 0)], y[(1, 0)]), (1.0, 0.0, 1.0));
/// assert_eq!(ntk::io::labels::one_hot(&[1], Some(10))?.ncols(), 10);
/// assert!(ntk::io::labels::one_hot(&[10], Some(10)).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn one_hot(labels: &[usize], classes: Option<usize>) -> Result<Mat<f64>> {
    let Some(&max) = labels.iter().max() else {
        return Err(Error::Data(
            "no labels to encode; one-hot targets need at least one label".to_string(),
        ));
    };
    let c = match classes {
        Some(c) if c == 0 || c > MAX_CLASSES => {
            return Err(Error::param(
                "classes",
                format!("{c} classes; give between 1 and {MAX_CLASSES}"),
            ));
        }
        Some(c) if max >= c => {
            return Err(Error::param(
                "classes",
                format!(
                    "label {max} does not fit {c} classes (labels 0..{}); give at least {} classes",
                    c - 1,
                    max + 1
                ),
            ));
        }
        Some(c) => c,
        None if max >= MAX_CLASSES => {
            return Err(Error::Data(format!(
                "label {max} is not below {MAX_CLASSES}; class labels must be small integers"
            )));
        }
        None => max + 1,
    };
    let mut y = Mat::<f64>::zeros(labels.len(), c);
    for (i, &l) in labels.iter().enumerate() {
        y[(i, l)] = 1.0;
    }
    Ok(y)
}

/// The predicted class of every row: the index of its largest value, the lowest index on
/// ties; `None` for a row with a NaN (or no columns).
///
/// ```
/// let f = faer::Mat::from_fn(3, 3, |i, j| [[0.1, 0.7, 0.2], [0.5, 0.5, 0.0], [f64::NAN, 1.0, 0.0]][i][j]);
/// assert_eq!(ntk::io::labels::argmax(f.as_ref()), vec![Some(1), Some(0), None]);
/// ```
pub fn argmax(outputs: MatRef<'_, f64>) -> Vec<Option<usize>> {
    (0..outputs.nrows())
        .map(|i| {
            let mut best: Option<(usize, f64)> = None;
            for j in 0..outputs.ncols() {
                let v = outputs[(i, j)];
                if v.is_nan() {
                    return None;
                }
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((j, v));
                }
            }
            best.map(|(j, _)| j)
        })
        .collect()
}

/// The fraction of rows of `outputs` whose [`argmax`] equals the label.
///
/// # Errors
/// [`Error::Shape`] if there is not one label per row, or no rows.
///
/// ```
/// let f = faer::Mat::from_fn(4, 2, |i, j| if (i + j) % 2 == 0 { 1.0 } else { 0.0 });
/// // predicted classes 0, 1, 0, 1
/// assert_eq!(ntk::io::labels::accuracy(f.as_ref(), &[0, 1, 1, 1])?, 0.75);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn accuracy(outputs: MatRef<'_, f64>, labels: &[usize]) -> Result<f64> {
    if outputs.nrows() != labels.len() || labels.is_empty() {
        return Err(Error::Shape(format!(
            "accuracy of {} predictions against {} labels; they need one label per prediction row (at least one)",
            outputs.nrows(),
            labels.len()
        )));
    }
    let right = argmax(outputs)
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == Some(**l))
        .count();
    Ok(right as f64 / labels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_then_argmax_is_identity() {
        let labels = [3usize, 0, 9, 9, 4, 1];
        let y = one_hot(&labels, Some(10)).unwrap();
        let back: Vec<usize> = argmax(y.as_ref()).into_iter().map(|p| p.unwrap()).collect();
        assert_eq!(back, labels);
        assert_eq!(accuracy(y.as_ref(), &labels).unwrap(), 1.0);
        // every row sums to one
        for i in 0..y.nrows() {
            assert_eq!((0..10).map(|j| y[(i, j)]).sum::<f64>(), 1.0);
        }
    }

    #[test]
    fn ties_go_to_the_lowest_index_and_nan_is_wrong() {
        let f = Mat::from_fn(2, 3, |i, j| {
            if i == 0 {
                2.0
            } else if j == 2 {
                f64::NAN
            } else {
                5.0
            }
        });
        assert_eq!(argmax(f.as_ref()), vec![Some(0), None]);
        assert_eq!(accuracy(f.as_ref(), &[0, 0]).unwrap(), 0.5);
        // -inf everywhere still predicts the first class
        let g = Mat::from_fn(1, 2, |_, _| f64::NEG_INFINITY);
        assert_eq!(argmax(g.as_ref()), vec![Some(0)]);
    }

    #[test]
    fn bad_labels() {
        assert!(one_hot(&[], None).is_err());
        assert!(one_hot(&[0], Some(0)).is_err());
        let m = Mat::from_fn(2, 1, |i, _| if i == 0 { 1.0 } else { -1.0 });
        let e = labels_from_matrix("y", m.as_ref()).unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        assert!(labels_from_matrix("y", Mat::<f64>::zeros(2, 2).as_ref()).is_err());
        assert!(accuracy(Mat::<f64>::zeros(2, 2).as_ref(), &[0]).is_err());
    }
}
