//! Analytic NNGP/NTK matrices for Python, interruptible: the output is computed in bands of
//! `threads` tile rows (`KernelPlan::tile` on the library's 256 x 256 tile grid, in parallel
//! over a band's tiles with the GIL released); between bands the calling thread takes the GIL
//! back, reports progress and checks for signals, so Ctrl-C stops a long call. For a
//! symmetric kernel only tiles on or below the diagonal are computed and mirrored, as the
//! library's own schedule does, so the result equals `ntk::kernel::kernels` bit for bit.

use crate::arrays::{to_numpy, view, view_opt};
use crate::errors::{IntoPy, value_error};
use crate::network;
use faer::Mat;
use ntk::kernel::{self, KernelOptions, KernelPlan};
use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyMemoryError;
use pyo3::prelude::*;
use rayon::prelude::*;

/// The library's tile edge.
const TILE: usize = 256;

/// One computed tile: its block indices and values.
type Tile = (usize, usize, Mat<f64>, Option<Mat<f64>>);

/// `(nngp, ntk or None)` of the network `net` (JSON) between the rows of `x1` and `x2`.
#[pyfunction]
#[pyo3(signature = (net, x1, x2=None, compute_ntk=true, threads=0, progress=None, reference=false))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn kernels<'py>(
    py: Python<'py>,
    net: &str,
    x1: PyReadonlyArray2<'py, f64>,
    x2: Option<PyReadonlyArray2<'py, f64>>,
    compute_ntk: bool,
    threads: usize,
    progress: Option<Bound<'py, PyAny>>,
    reference: bool,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Option<Bound<'py, PyArray2<f64>>>)> {
    let net = network::parse(net)?;
    let (a, b) = (view(&x1), view_opt(&x2));
    if reference {
        // the library's own schedule in one call (for tests: the banded result must equal it)
        let opts = KernelOptions {
            compute_ntk,
            threads,
            ..Default::default()
        };
        let k = py.detach(|| kernel::kernels(&net, a, b, &opts)).py_err()?;
        return Ok((
            to_numpy(py, k.nngp.as_ref()),
            k.ntk.map(|t| to_numpy(py, t.as_ref())),
        ));
    }
    let plan = KernelPlan::new(&net, a, b).py_err()?;
    let (n1, n2) = plan.shape();
    let need = 8.0 * (n1 as f64) * (n2 as f64) * if compute_ntk { 2.0 } else { 1.0 };
    if let Some(avail) = kernel::available_memory() {
        if need > 0.9 * avail {
            return Err(PyMemoryError::new_err(format!(
                "the {n1} x {n2} kernel output needs {:.2} GB but only {:.2} GB of memory is available",
                need / 1e9,
                avail / 1e9
            )));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| value_error(format!("cannot start {threads} threads: {e}")))?;
    let mut nngp = Mat::<f64>::zeros(n1, n2);
    let mut ntk = compute_ntk.then(|| Mat::<f64>::zeros(n1, n2));
    let symmetric = plan.is_symmetric();
    let (b1, b2) = (n1.div_ceil(TILE), n2.div_ceil(TILE));
    let band = pool.current_num_threads().max(1);
    let mut bi0 = 0;
    while bi0 < b1 {
        let bi1 = (bi0 + band).min(b1);
        let blocks: Vec<(usize, usize)> = (bi0..bi1)
            .flat_map(|bi| (0..if symmetric { bi + 1 } else { b2 }).map(move |bj| (bi, bj)))
            .collect();
        let tiles: ntk::Result<Vec<Tile>> = py.detach(|| {
            pool.install(|| {
                blocks
                    .par_iter()
                    .map(|&(bi, bj)| {
                        let rows = bi * TILE..((bi + 1) * TILE).min(n1);
                        let cols = bj * TILE..((bj + 1) * TILE).min(n2);
                        let mut k = Mat::zeros(rows.len(), cols.len());
                        let mut t = compute_ntk.then(|| Mat::zeros(rows.len(), cols.len()));
                        let t_mut = t.as_mut().map(|t| t.as_mut());
                        if symmetric && bi == bj {
                            // the lower half only, as the library's schedule does
                            plan.tile_lower(rows, k.as_mut(), t_mut)?;
                        } else {
                            plan.tile(rows, cols, k.as_mut(), t_mut)?;
                        }
                        Ok((bi, bj, k, t))
                    })
                    .collect()
            })
        });
        for (bi, bj, k, t) in tiles.py_err()? {
            place(&mut nngp, &k, bi, bj, symmetric);
            if let (Some(out), Some(t)) = (ntk.as_mut(), t.as_ref()) {
                place(out, t, bi, bj, symmetric);
            }
        }
        bi0 = bi1;
        if let Some(p) = &progress {
            p.call1((bi0, b1))?;
        }
        py.check_signals()?;
    }
    check_finite(&nngp, "NNGP")?;
    if let Some(t) = &ntk {
        check_finite(t, "NTK")?;
    }
    Ok((
        to_numpy(py, nngp.as_ref()),
        ntk.map(|t| to_numpy(py, t.as_ref())),
    ))
}

/// Write tile `(bi, bj)` into `out`; a symmetric kernel takes the tile's lower part
/// (diagonal included) and mirrors it. Both passes write down the output's columns
/// (contiguous); the transposed reads stay in the tile, which is in cache.
fn place(out: &mut Mat<f64>, tile: &Mat<f64>, bi: usize, bj: usize, symmetric: bool) {
    let (r0, c0) = (bi * TILE, bj * TILE);
    let (nr, nc) = (tile.nrows(), tile.ncols());
    for jj in 0..nc {
        let lo = if symmetric && bi == bj { jj } else { 0 };
        let src = tile.col(jj);
        let mut dst = out.col_mut(c0 + jj);
        for ii in lo..nr {
            dst[r0 + ii] = src[ii];
        }
    }
    if symmetric {
        for ii in 0..nr {
            let hi = if bi == bj { ii } else { nc };
            let mut dst = out.col_mut(r0 + ii);
            for jj in 0..hi {
                dst[c0 + jj] = tile[(ii, jj)];
            }
        }
    }
}

fn check_finite(m: &Mat<f64>, what: &str) -> PyResult<()> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Err(crate::errors::to_py(ntk::Error::Numerical(format!(
                    "the {what} kernel overflowed at entry ({i}, {j}); use smaller inputs or \
                     variances, or a shallower network"
                ))));
            }
        }
    }
    Ok(())
}
