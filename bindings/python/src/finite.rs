//! Finite networks for Python (initialisation, forward pass, empirical kernels), the
//! width-convergence job, datasets and matrix files.
//!
//! Parameters travel as neural-tangents lays them out: one `(W, b)` pair per Dense layer,
//! `W` `fan_in x fan_out`, `b` `1 x fan_out` (`None` without bias), readout last.

use crate::arrays::{to_numpy, view};
use crate::errors::{IntoPy, value_error};
use crate::network;
use faer::Mat;
use ntk::converge::{ProfileConfig, SweepConfig};
use ntk::empirical::{self, Mlp, Widths};
use ntk::jobs::converge::{ConvergeJob, run};
use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

/// Owned layer parameters.
type Layers = Vec<(Mat<f64>, Option<Mat<f64>>)>;
/// Parameters as numpy arrays.
type PyLayers<'py> = Vec<(Bound<'py, PyArray2<f64>>, Option<Bound<'py, PyArray2<f64>>>)>;

fn owned(layers: &[(PyReadonlyArray2<'_, f64>, Option<PyReadonlyArray2<'_, f64>>)]) -> Layers {
    layers
        .iter()
        .map(|(w, b)| (view(w).to_owned(), b.as_ref().map(|b| view(b).to_owned())))
        .collect()
}

fn mlp(
    net: &str,
    layers: &[(PyReadonlyArray2<'_, f64>, Option<PyReadonlyArray2<'_, f64>>)],
) -> PyResult<Mlp> {
    let net = network::parse(net)?;
    Mlp::from_layers(&net, owned(layers)).py_err()
}

/// Draw a network's parameters (`widths`: one per hidden layer, or one for all), seeded.
#[pyfunction]
#[pyo3(signature = (net, d_in, widths, outputs=1, seed=0))]
pub fn mlp_init<'py>(
    py: Python<'py>,
    net: &str,
    d_in: usize,
    widths: Vec<usize>,
    outputs: usize,
    seed: u64,
) -> PyResult<PyLayers<'py>> {
    let net = network::parse(net)?;
    let w = match widths.as_slice() {
        [w] if net.depth != 1 => Widths::Uniform(*w),
        _ => Widths::PerLayer(widths),
    };
    let m = py
        .detach(|| Mlp::init_with_outputs(&net, d_in, &w, outputs, seed))
        .py_err()?;
    Ok(m.layers()
        .iter()
        .map(|l| (to_numpy(py, l.w()), l.b().map(|b| to_numpy(py, b))))
        .collect())
}

/// The network's outputs `f(x)` (`n x k`).
#[pyfunction]
#[pyo3(signature = (net, layers, x, threads=0))]
pub fn mlp_apply<'py>(
    py: Python<'py>,
    net: &str,
    layers: Vec<(
        PyReadonlyArray2<'py, f64>,
        Option<PyReadonlyArray2<'py, f64>>,
    )>,
    x: PyReadonlyArray2<'py, f64>,
    threads: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let m = mlp(net, &layers)?;
    let xv = view(&x);
    let f = py.detach(|| m.forward_threads(xv, threads)).py_err()?;
    Ok(to_numpy(py, f.as_ref()))
}

/// `(ntk, nngp)`: the empirical kernels of the network between the rows of `x1` and `x2`,
/// averaged over logits.
#[pyfunction]
#[pyo3(signature = (net, layers, x1, x2=None, threads=0))]
#[allow(clippy::type_complexity)]
pub fn empirical_kernels<'py>(
    py: Python<'py>,
    net: &str,
    layers: Vec<(
        PyReadonlyArray2<'py, f64>,
        Option<PyReadonlyArray2<'py, f64>>,
    )>,
    x1: PyReadonlyArray2<'py, f64>,
    x2: Option<PyReadonlyArray2<'py, f64>>,
    threads: usize,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<f64>>)> {
    let m = mlp(net, &layers)?;
    let (a, b) = (view(&x1), x2.as_ref().map(view));
    let k = py.detach(|| empirical::ntk(&m, a, b, threads)).py_err()?;
    Ok((to_numpy(py, k.ntk.as_ref()), to_numpy(py, k.nngp.as_ref())))
}

/// The width-convergence job; returns its report as JSON text. `profile`: also the kernel
/// profile on the unit circle (widths `profile_widths`, default the smallest and largest
/// width up to 1024).
#[pyfunction]
#[pyo3(signature = (net, x, widths, seeds=10, seed=0, threads=0, data="array", profile=false,
    profile_widths=None, train_steps=200, angles=101))]
#[allow(clippy::too_many_arguments)]
pub fn converge(
    py: Python<'_>,
    net: &str,
    x: PyReadonlyArray2<'_, f64>,
    widths: Vec<usize>,
    seeds: usize,
    seed: u64,
    threads: usize,
    data: &str,
    profile: bool,
    profile_widths: Option<Vec<usize>>,
    train_steps: usize,
    angles: usize,
) -> PyResult<String> {
    let net = network::parse(net)?;
    let xv = view(&x);
    let sweep = SweepConfig {
        widths: widths.clone(),
        seeds,
        seed,
        threads,
    };
    let pc = profile.then(|| {
        let pw = profile_widths.unwrap_or_else(|| {
            let lo = widths.iter().copied().min().unwrap_or(1);
            let hi = widths
                .iter()
                .copied()
                .filter(|&w| w <= 1024)
                .max()
                .unwrap_or(lo)
                .max(lo);
            if hi > lo { vec![lo, hi] } else { vec![lo] }
        });
        let mut pc = ProfileConfig::scaled(pw, seeds);
        pc.seed = seed;
        pc.threads = threads;
        pc.steps = train_steps;
        if train_steps == 0 {
            pc.n_train = 0;
        }
        pc.n_angles = angles;
        pc
    });
    let report = py
        .detach(|| {
            let mut job = ConvergeJob::new(&net, xv, data, sweep);
            job.profile = pc;
            run(&job)
        })
        .py_err()?;
    serde_json::to_string(&report).map_err(|e| value_error(e.to_string()))
}

/// A built-in dataset: `(x, labels or None, description)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub fn dataset<'py>(
    py: Python<'py>,
    name: &str,
) -> PyResult<(
    Bound<'py, PyArray2<f64>>,
    Option<Bound<'py, PyArray1<i64>>>,
    String,
)> {
    let ds = ntk::data::Dataset::parse(name).py_err()?;
    let l = py.detach(|| ds.load()).py_err()?;
    let labels = l
        .labels
        .map(|v| PyArray1::from_vec(py, v.into_iter().map(i64::from).collect()));
    Ok((to_numpy(py, l.x.as_ref()), labels, l.description))
}

/// A matrix from a `.npy` or `.csv` file (float64).
#[pyfunction]
pub fn read_matrix<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let m = py.detach(|| ntk::io::read_matrix(&path)).py_err()?;
    Ok(to_numpy(py, m.as_ref()))
}
