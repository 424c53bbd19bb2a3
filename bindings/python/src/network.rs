//! Network descriptions: built and validated by the library (`Activation::parse`, serde,
//! `Network::validate`), handed between Python and Rust as JSON text.

use crate::errors::{IntoPy, value_error};
use ntk::{Activation, Network};
use pyo3::prelude::*;
use serde_json::{Value, json};

/// The library's canonical name of an activation (case-insensitive), or a `ValueError`.
#[pyfunction]
pub fn parse_activation(name: &str) -> PyResult<String> {
    let a = Activation::parse(name).map_err(|e| {
        value_error(format!(
            "{e} (the ntk engine {} knows: {})",
            ntk::VERSION,
            known()
        ))
    })?;
    match serde_json::to_value(a) {
        Ok(Value::String(s)) => Ok(s),
        _ => Ok(a.name().to_string()),
    }
}

/// Names the parser accepts, probed from a list of common ones (so new activations of the
/// library appear without a change here).
fn known() -> String {
    const CANDIDATES: &[&str] = &[
        "relu",
        "erf",
        "selu",
        "leaky_relu",
        "gelu",
        "elu",
        "tanh",
        "sigmoid",
        "softplus",
        "identity",
        "abs",
        "sign",
        "sin",
        "cos",
        "rbf",
        "swish",
        "silu",
        "hermite",
    ];
    CANDIDATES
        .iter()
        .filter(|c| Activation::parse(c).is_ok())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// A validated network description as JSON (the library's serde layout).
#[pyfunction]
#[pyo3(signature = (activation, depth, w_std, b_std=None, parameterization="ntk", width=None))]
pub fn network_json(
    activation: &str,
    depth: usize,
    w_std: f64,
    b_std: Option<f64>,
    parameterization: &str,
    width: Option<usize>,
) -> PyResult<String> {
    let a = Activation::parse(activation)
        .map_err(|e| value_error(format!("{e}; known: {}", known())))?;
    let mut v = json!({
        "activation": serde_json::to_value(a).map_err(|e| value_error(e.to_string()))?,
        "depth": depth,
        "w_std": w_std,
        "b_std": b_std.unwrap_or(0.0),
        "bias": b_std.is_some(),
        "parameterization": parameterization.to_ascii_lowercase(),
    });
    if let (Some(w), Some(o)) = (width, v.as_object_mut()) {
        o.insert("width".into(), json!(w));
    }
    let net = parse(&v.to_string())?;
    serde_json::to_string(&net).map_err(|e| value_error(e.to_string()))
}

/// Parse (and validate) a network description.
pub fn parse(text: &str) -> PyResult<Network> {
    let net = Network::from_str_any(text).py_err()?;
    net.validate().py_err()?;
    Ok(net)
}
