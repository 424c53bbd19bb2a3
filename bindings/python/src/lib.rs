//! `ntk._ntk`: the compiled core of the Python package `ntk`. Thin: every function converts
//! numpy arrays to faer views (no copy), calls one `ntk` library function or job with the GIL
//! released, and converts the result back. The public, documented API is the pure-Python
//! package on top (`python/ntk`); this module is private.
//!
//! Errors: usage errors (`ntk::Error::is_usage`) become `ValueError`, `Error::Memory`
//! `MemoryError`, I/O failures `OSError`, numerical failures `ntk.NumericalError`.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod arrays;
mod dynamics;
mod errors;
mod finite;
mod kernels;
mod network;

use pyo3::prelude::*;

/// The module.
#[pymodule]
fn _ntk(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", ntk::VERSION)?;
    m.add(
        "NumericalError",
        m.py().get_type::<errors::NumericalError>(),
    )?;
    m.add_function(wrap_pyfunction!(network::network_json, m)?)?;
    m.add_function(wrap_pyfunction!(network::parse_activation, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::kernels, m)?)?;
    m.add_function(wrap_pyfunction!(dynamics::predict, m)?)?;
    m.add_function(wrap_pyfunction!(dynamics::flow, m)?)?;
    m.add_function(wrap_pyfunction!(dynamics::ensemble, m)?)?;
    m.add_function(wrap_pyfunction!(dynamics::largest_eigenvalue, m)?)?;
    m.add_function(wrap_pyfunction!(finite::mlp_init, m)?)?;
    m.add_function(wrap_pyfunction!(finite::mlp_apply, m)?)?;
    m.add_function(wrap_pyfunction!(finite::empirical_kernels, m)?)?;
    m.add_function(wrap_pyfunction!(finite::converge, m)?)?;
    m.add_function(wrap_pyfunction!(finite::dataset, m)?)?;
    m.add_function(wrap_pyfunction!(finite::read_matrix, m)?)?;
    Ok(())
}
