//! Training dynamics for Python: the prediction job (`ntk::jobs::predict`), and the two pieces
//! `ntk.nt.predict` is built from: the gradient flow (`ntk::dynamics::GradientFlow`) and the
//! infinite ensembles (`ntk::dynamics::Ensemble`); `lambda_max` by Lanczos.

use crate::arrays::{stack, view, view_opt};
use crate::errors::{IntoPy, value_error};
use crate::network;
use faer::Par;
use ntk::dynamics::lanczos::LANCZOS_TOL;
use ntk::dynamics::report::KernelSet;
use ntk::dynamics::{
    Ensemble, EnsembleTest, FlowOptions, GradientFlow, Loss, Point, Ridge, TestData, Training,
};
use ntk::jobs::predict::{CheckOptions, KernelSource, PredictJob};
use numpy::{PyArray3, PyReadonlyArray2};
use pyo3::prelude::*;

fn options(
    learning_rate: f64,
    loss: &str,
    diag_reg: f64,
    relative: bool,
    threads: usize,
) -> PyResult<FlowOptions> {
    let loss = Loss::parse(loss)
        .ok_or_else(|| value_error(format!("unknown loss `{loss}`: use 'sum' or 'mean'")))?;
    let o = FlowOptions {
        learning_rate,
        loss,
        ridge: if relative {
            Ridge::Relative(diag_reg)
        } else {
            Ridge::Absolute(diag_reg)
        },
        threads,
    };
    o.validate().py_err()?;
    Ok(o)
}

fn training(name: &str) -> PyResult<Training> {
    Training::parse(name)
        .ok_or_else(|| value_error(format!("unknown kernel `{name}`: use 'ntk' or 'nngp'")))
}

fn points(ts: &[f64], discrete: bool) -> PyResult<Vec<Point>> {
    ts.iter()
        .map(|&t| {
            if discrete {
                if !(t >= 0.0 && t.fract() == 0.0 && t < 1.8e19) {
                    return Err(value_error(format!(
                        "gradient-descent step counts are integers >= 0, got {t}"
                    )));
                }
                Ok(Point::Steps(t as u64))
            } else {
                let p = Point::Time(t);
                p.validate().py_err()?;
                Ok(p)
            }
        })
        .collect()
}

/// The prediction job; returns the report as JSON text.
#[pyfunction]
#[pyo3(signature = (y_train, times, steps, kernel="ntk", ensemble=false, learning_rate=1.0,
    loss="sum", diag_reg=0.0, diag_reg_relative=false, threads=0, network=None, x_train=None,
    x_test=None, ntk_train=None, ntk_test_train=None, nngp_train=None, nngp_test_train=None,
    nngp_test=None, y_test=None, f0_train=None, f0_test=None, check_widths=None, seeds=3, seed=0))]
#[allow(clippy::too_many_arguments)]
pub fn predict<'py>(
    py: Python<'py>,
    y_train: PyReadonlyArray2<'py, f64>,
    times: Vec<f64>,
    steps: Vec<u64>,
    kernel: &str,
    ensemble: bool,
    learning_rate: f64,
    loss: &str,
    diag_reg: f64,
    diag_reg_relative: bool,
    threads: usize,
    network: Option<&str>,
    x_train: Option<PyReadonlyArray2<'py, f64>>,
    x_test: Option<PyReadonlyArray2<'py, f64>>,
    ntk_train: Option<PyReadonlyArray2<'py, f64>>,
    ntk_test_train: Option<PyReadonlyArray2<'py, f64>>,
    nngp_train: Option<PyReadonlyArray2<'py, f64>>,
    nngp_test_train: Option<PyReadonlyArray2<'py, f64>>,
    nngp_test: Option<PyReadonlyArray2<'py, f64>>,
    y_test: Option<PyReadonlyArray2<'py, f64>>,
    f0_train: Option<PyReadonlyArray2<'py, f64>>,
    f0_test: Option<PyReadonlyArray2<'py, f64>>,
    check_widths: Option<Vec<usize>>,
    seeds: usize,
    seed: u64,
) -> PyResult<String> {
    let net = network.map(network::parse).transpose()?;
    let source = match (&net, &x_train) {
        (Some(n), Some(x)) => KernelSource::Network {
            net: n,
            x_train: view(x),
            x_test: view_opt(&x_test),
        },
        (Some(_), None) => {
            return Err(value_error("a network needs the training inputs x_train"));
        }
        (None, _) => KernelSource::Given(KernelSet {
            ntk_train: view_opt(&ntk_train),
            ntk_test_train: view_opt(&ntk_test_train),
            nngp_train: view_opt(&nngp_train),
            nngp_test_train: view_opt(&nngp_test_train),
            nngp_test: view_opt(&nngp_test),
        }),
    };
    let mut job = PredictJob::new(source, view(&y_train));
    job.y_test = view_opt(&y_test);
    job.f0_train = view_opt(&f0_train);
    job.f0_test = view_opt(&f0_test);
    job.times = times;
    job.steps = steps;
    job.kernel = training(kernel)?;
    job.ensemble = ensemble;
    job.options = options(learning_rate, loss, diag_reg, diag_reg_relative, threads)?;
    job.check = check_widths.map(|widths| CheckOptions {
        widths,
        seeds,
        seed,
    });
    let report = py.detach(|| {
        let out = ntk::jobs::predict::run(&job)?;
        ntk::dynamics::report::to_json(out.report())
    });
    let v = report.py_err()?;
    serde_json::to_string(&v).map_err(|e| value_error(e.to_string()))
}

/// Gradient flow (or descent, `discrete`) on `k_train`: `(fx_train [T, n, k], fx_test
/// [T, m, k] or None)` at the points `ts`.
#[pyfunction]
#[pyo3(signature = (k_train, y_train, ts, discrete=false, learning_rate=1.0, loss="sum",
    diag_reg=0.0, diag_reg_relative=false, f0_train=None, k_test_train=None, f0_test=None, threads=0))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn flow<'py>(
    py: Python<'py>,
    k_train: PyReadonlyArray2<'py, f64>,
    y_train: PyReadonlyArray2<'py, f64>,
    ts: Vec<f64>,
    discrete: bool,
    learning_rate: f64,
    loss: &str,
    diag_reg: f64,
    diag_reg_relative: bool,
    f0_train: Option<PyReadonlyArray2<'py, f64>>,
    k_test_train: Option<PyReadonlyArray2<'py, f64>>,
    f0_test: Option<PyReadonlyArray2<'py, f64>>,
    threads: usize,
) -> PyResult<(Bound<'py, PyArray3<f64>>, Option<Bound<'py, PyArray3<f64>>>)> {
    let opts = options(learning_rate, loss, diag_reg, diag_reg_relative, threads)?;
    let pts = points(&ts, discrete)?;
    let (k, y) = (view(&k_train), view(&y_train));
    let f0 = view_opt(&f0_train);
    let test = view_opt(&k_test_train).map(|kt| TestData {
        k_test_train: kt,
        f0_test: view_opt(&f0_test),
        y_test: None,
    });
    if test.is_none() && f0_test.is_some() {
        return Err(value_error("fx_test_0 given without k_test_train"));
    }
    let p = py
        .detach(|| {
            let flow = GradientFlow::new(k, y, &opts)?;
            flow.predict(f0, test, &pts)
        })
        .py_err()?;
    let (n, kk) = (y.nrows(), y.ncols());
    let train = stack(py, &p.fx_train, n, kk);
    let test = match (&p.fx_test, test) {
        (Some(ft), Some(t)) => Some(stack(py, ft, t.k_test_train.nrows(), kk)),
        _ => None,
    };
    Ok((train, test))
}

/// The infinite ensemble trained with `training` ("ntk": all layers, "nngp": the readout):
/// `(mean [T, m, k], cov [T, m, m])` on the test points, or on the training points when no
/// test kernels are given.
#[pyfunction]
#[pyo3(signature = (training, nngp_train, y_train, ts, ntk_train=None, ntk_test_train=None,
    nngp_test_train=None, nngp_test=None, learning_rate=1.0, loss="sum", diag_reg=0.0,
    diag_reg_relative=false, threads=0))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn ensemble<'py>(
    py: Python<'py>,
    training: &str,
    nngp_train: PyReadonlyArray2<'py, f64>,
    y_train: PyReadonlyArray2<'py, f64>,
    ts: Vec<f64>,
    ntk_train: Option<PyReadonlyArray2<'py, f64>>,
    ntk_test_train: Option<PyReadonlyArray2<'py, f64>>,
    nngp_test_train: Option<PyReadonlyArray2<'py, f64>>,
    nngp_test: Option<PyReadonlyArray2<'py, f64>>,
    learning_rate: f64,
    loss: &str,
    diag_reg: f64,
    diag_reg_relative: bool,
    threads: usize,
) -> PyResult<(Bound<'py, PyArray3<f64>>, Bound<'py, PyArray3<f64>>)> {
    let opts = options(learning_rate, loss, diag_reg, diag_reg_relative, threads)?;
    let tr = self::training(training)?;
    let pts = points(&ts, false)?;
    let (kp, y) = (view(&nngp_train), view(&y_train));
    let ntk_train = view_opt(&ntk_train);
    if tr == Training::Ntk && ntk_train.is_none() {
        return Err(value_error("the NTK-trained ensemble needs ntk_train"));
    }
    let test = match (view_opt(&nngp_test_train), view_opt(&nngp_test)) {
        (Some(kst), Some(kss)) => Some(EnsembleTest {
            ntk_test_train: view_opt(&ntk_test_train),
            nngp_test_train: kst,
            nngp_test_test: kss,
        }),
        (None, None) => None,
        _ => {
            return Err(value_error(
                "test moments need both nngp_test_train and nngp_test",
            ));
        }
    };
    let moments = py
        .detach(|| {
            let ens = match (tr, ntk_train) {
                (Training::Ntk, Some(kt)) => Ensemble::ntk(kt, kp, y, &opts)?,
                _ => Ensemble::nngp(kp, y, &opts)?,
            };
            match &test {
                Some(t) => ens.test(t, &pts),
                None => ens.train(&pts),
            }
        })
        .py_err()?;
    let m = test.map_or(y.nrows(), |t| t.nngp_test_train.nrows());
    let means: Vec<_> = moments.iter().map(|x| x.mean.clone()).collect();
    let covs: Vec<_> = moments.into_iter().map(|x| x.cov).collect();
    Ok((stack(py, &means, m, y.ncols()), stack(py, &covs, m, m)))
}

/// `(lambda_max, residual, iterations)` of a symmetric matrix by Lanczos (tolerance 1e-11).
#[pyfunction]
#[pyo3(signature = (k, threads=0))]
pub fn largest_eigenvalue(
    py: Python<'_>,
    k: PyReadonlyArray2<'_, f64>,
    threads: usize,
) -> PyResult<(f64, f64, usize)> {
    let kv = view(&k);
    let par = if threads == 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    };
    let l = py
        .detach(|| ntk::dynamics::largest_eigenvalue(kv, LANCZOS_TOL, par))
        .py_err()?;
    Ok((l.value, l.residual, l.iterations))
}
