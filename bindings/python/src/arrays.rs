//! numpy <-> faer. Inputs are float64 arrays of any layout (C, Fortran, sliced, negative
//! strides) viewed in place as `MatRef` (no copy); the Python side converts other dtypes with
//! `np.asarray(x, dtype=np.float64)`. Outputs are copied once into new C-order numpy arrays.

use faer::{Mat, MatRef};
use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2};
use pyo3::prelude::*;

/// A faer view of a 2-D float64 numpy array, valid while `a` is borrowed.
pub fn view<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> MatRef<'a, f64> {
    let v = a.as_array();
    let (r, c) = v.dim();
    let s = v.strides();
    // SAFETY: the pointer, shape and element strides describe the live numpy buffer
    // borrowed (read-only) for 'a.
    unsafe { MatRef::from_raw_parts(v.as_ptr(), r, c, s[0], s[1]) }
}

/// Optional view.
pub fn view_opt<'a>(a: &'a Option<PyReadonlyArray2<'_, f64>>) -> Option<MatRef<'a, f64>> {
    a.as_ref().map(view)
}

/// A new C-order numpy array with the entries of `m`.
pub fn to_numpy<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)]).into_pyarray(py)
}

/// Stack equally shaped matrices into a `len x rows x cols` array.
pub fn stack<'py>(
    py: Python<'py>,
    ms: &[Mat<f64>],
    rows: usize,
    cols: usize,
) -> Bound<'py, PyArray3<f64>> {
    Array3::from_shape_fn((ms.len(), rows, cols), |(t, i, j)| ms[t][(i, j)]).into_pyarray(py)
}
