//! Parameters as JSON, in the layout of neural-tangents' `stax.serial` params (as stored in
//! `tests/data/reference.json`, field `empirical_ntk.params`):
//!
//! ```text
//! [ {"layer": "Dense", "W": [[..] x n_0] (n_0 x n_1), "b": [[..]] (1 x n_1),
//!    "W_shape": [n_0, n_1], "b_shape": [1, n_1]},
//!   null,                                   <- the activation (no parameters)
//!   {"layer": "Dense", ...}, null, ..., {"layer": "Dense", ...} ]   <- readout last
//! ```
//!
//! `W` rows are input units, columns output units; values are the raw parameters (`N(0, 1)`
//! under the NTK parameterization, already scaled under the standard one). `"b": null` (or no
//! `"b"`) means no bias (neural-tangents' `b_std=None`). Entries without parameters (`null`,
//! `[]`, `{}`) are skipped; `W_shape`/`b_shape` are optional and checked when present. A
//! top-level object with a `"params"` field (such as `empirical_ntk` itself) is accepted too.
//! Numbers are written with Rust's shortest round-trip formatting and read back correctly
//! rounded (`serde_json` with its `float_roundtrip` feature; without it, it may be off by one
//! ulp), so save-then-load is exact.

use super::Mlp;
use crate::{Error, Network, Result};
use faer::Mat;
use serde_json::{Value, json};
use std::path::Path;

impl Mlp {
    /// Load a network's parameters from JSON text (layout in the [module docs](self)); the
    /// network description supplies activation, depth, `w_std`, `b_std`, parameterization.
    ///
    /// # Errors
    /// [`Error::Data`] for malformed JSON or entries; [`Error::Shape`] if the layers do not
    /// match `net` (depth, chaining, bias presence).
    ///
    /// ```
    /// use ntk::{empirical::Mlp, Activation, Network};
    /// let net = Network::mlp(Activation::Relu, 1, 1.0, 0.0)?;
    /// let text = r#"[{"layer": "Dense", "W": [[1.0, -1.0]], "b": [[0.0, 0.0]]}, null,
    ///                {"layer": "Dense", "W": [[1.0], [1.0]], "b": [[0.5]]}]"#;
    /// let mlp = Mlp::from_params_json(&net, text)?;
    /// assert_eq!(mlp.hidden_widths(), vec![2]);
    /// assert_eq!(Mlp::from_params_json(&net, &mlp.to_params_json().to_string())?, mlp);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_params_json(net: &Network, text: &str) -> Result<Self> {
        let v = exact::parse(text).map_err(|e| Error::Data(format!("parameters JSON: {e}")))?;
        Self::from_params_value(net, &v)
    }

    /// As [`Mlp::from_params_json`] from a parsed JSON value.
    ///
    /// # Errors
    /// As [`Mlp::from_params_json`].
    pub fn from_params_value(net: &Network, v: &Value) -> Result<Self> {
        let list = match v {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("params") {
                Some(Value::Array(a)) => a,
                _ => return Err(Error::Data("parameters JSON: expected a list of layers (or an object with a \"params\" list)".into())),
            },
            _ => return Err(Error::Data("parameters JSON: expected a list of layers".into())),
        };
        let mut layers = Vec::new();
        for (idx, entry) in list.iter().enumerate() {
            let obj = match entry {
                Value::Null => continue,
                Value::Array(a) if a.is_empty() => continue,
                Value::Object(o) if o.is_empty() => continue,
                Value::Object(o) => o,
                _ => {
                    return Err(Error::Data(format!(
                        "parameters entry {idx}: expected a Dense layer object or null, got {}",
                        kind(entry)
                    )));
                }
            };
            if let Some(name) = obj.get("layer").and_then(Value::as_str) {
                if name != "Dense" {
                    return Err(Error::Data(format!(
                        "parameters entry {idx}: layer \"{name}\" is not supported; only Dense layers have parameters"
                    )));
                }
            }
            let w = obj.get("W").ok_or_else(|| {
                Error::Data(format!("parameters entry {idx}: Dense layer without \"W\""))
            })?;
            let w = matrix(w, &format!("entry {idx} W"))?;
            let b = match obj.get("b") {
                None | Some(Value::Null) => None,
                Some(b) => Some(matrix(b, &format!("entry {idx} b"))?),
            };
            check_shape(obj.get("W_shape"), &w, idx, "W")?;
            if let Some(b) = &b {
                check_shape(obj.get("b_shape"), b, idx, "b")?;
            }
            layers.push((w, b));
        }
        Mlp::from_layers(net, layers)
    }

    /// Read parameters from a JSON file.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::Parse`] naming the file otherwise.
    ///
    /// ```no_run
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.5, 0.1)?;
    /// let mlp = ntk::empirical::Mlp::from_params_file(&net, "params.json")?;
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_params_file(net: &Network, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                source.kind(),
                format!("cannot read parameters: {source}; check the path"),
            ),
            usage: true,
        })?;
        Self::from_params_json(net, &text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })
    }

    /// The parameters as a JSON list of layers (layout in the [module docs](self)).
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init(&Network::mlp(Activation::Erf, 2, 1.0, 0.1)?, 3, &Widths::Uniform(4), 0)?;
    /// let v = mlp.to_params_json();
    /// assert_eq!(v.as_array().unwrap().len(), 5); // Dense, null, Dense, null, Dense
    /// assert_eq!(v[0]["W_shape"], serde_json::json!([3, 4]));
    /// assert!(v[1].is_null());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn to_params_json(&self) -> Value {
        let n = self.layers().len();
        let mut out = Vec::with_capacity(2 * n - 1);
        for (l, d) in self.layers().iter().enumerate() {
            let w = d.w();
            let rows: Vec<Value> = (0..w.nrows())
                .map(|i| Value::from((0..w.ncols()).map(|j| w[(i, j)]).collect::<Vec<f64>>()))
                .collect();
            let (b, b_shape) = match d.b() {
                Some(b) => (
                    json!([(0..b.ncols()).map(|j| b[(0, j)]).collect::<Vec<f64>>()]),
                    json!([1, b.ncols()]),
                ),
                None => (Value::Null, Value::Null),
            };
            out.push(json!({
                "layer": "Dense",
                "W": rows,
                "b": b,
                "W_shape": [w.nrows(), w.ncols()],
                "b_shape": b_shape,
            }));
            if l + 1 < n {
                out.push(Value::Null);
            }
        }
        Value::Array(out)
    }

    /// Write the parameters as JSON (atomically).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let net = Network::mlp(Activation::Selu, 1, 1.0, 0.2)?;
    /// let mlp = Mlp::init(&net, 2, &Widths::Uniform(3), 5)?;
    /// let path = std::env::temp_dir().join(format!("ntk-doc-params-{}.json", std::process::id()));
    /// mlp.save_params(&path)?;
    /// assert_eq!(Mlp::from_params_file(&net, &path)?, mlp);
    /// std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn save_params(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::io::write_json_atomic(path.as_ref(), &self.to_params_json())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A JSON list of equal-length lists of numbers as a matrix.
fn matrix(v: &Value, name: &str) -> Result<Mat<f64>> {
    let rows = v
        .as_array()
        .ok_or_else(|| Error::Data(format!("{name}: expected a list of rows, got {}", kind(v))))?;
    if rows.is_empty() {
        return Err(Error::Data(format!("{name}: empty matrix")));
    }
    let ncols = rows[0].as_array().map(Vec::len).unwrap_or(0);
    let mut m = Mat::zeros(rows.len(), ncols);
    for (i, r) in rows.iter().enumerate() {
        let r = r
            .as_array()
            .ok_or_else(|| Error::Data(format!("{name}: row {i} is {}, not a list", kind(r))))?;
        if r.len() != ncols {
            return Err(Error::Data(format!(
                "{name}: row {i} has {} values but row 0 has {ncols}",
                r.len()
            )));
        }
        for (j, x) in r.iter().enumerate() {
            m[(i, j)] = x.as_f64().ok_or_else(|| {
                Error::Data(format!("{name}[{i}][{j}] is {}, not a number", kind(x)))
            })?;
        }
    }
    Ok(m)
}

fn check_shape(shape: Option<&Value>, m: &Mat<f64>, idx: usize, what: &str) -> Result<()> {
    let Some(shape) = shape else { return Ok(()) };
    if shape.is_null() {
        return Ok(());
    }
    let dims: Option<Vec<u64>> = shape
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect());
    match dims {
        Some(d) if d == [m.nrows() as u64, m.ncols() as u64] => Ok(()),
        _ => Err(Error::Data(format!(
            "parameters entry {idx}: {what}_shape {shape} does not match the {} x {} values given",
            m.nrows(),
            m.ncols()
        ))),
    }
}

/// JSON reading with exact numbers: `serde_json` with its `float_roundtrip` feature (enabled
/// in Cargo.toml) parses every number correctly rounded, as `str::parse::<f64>` does; nesting
/// is limited to [`MAX_DEPTH`](exact) levels (parameters files nest 3).
mod exact {
    use serde_json::Value;

    /// Nesting deeper than this is rejected (parameters files nest 3 levels).
    const MAX_DEPTH: usize = 64;

    pub(super) fn parse(text: &str) -> Result<Value, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if depth(&v) > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        Ok(v)
    }

    /// Nesting depth of arrays and objects (a scalar is 0).
    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn parses_json_and_numbers_exactly() {
            let v = super::parse(
                r#" {"a": [1, -2.5e-3, 0.1, 3], "b": null, "c": "x\"y\u0041", "d": true} "#,
            )
            .unwrap();
            assert_eq!(v["a"][2].as_f64(), Some(0.1));
            assert_eq!(v["a"][3].as_u64(), Some(3));
            assert_eq!(v["c"], "x\"yA");
            assert!(v["b"].is_null());
            // a value serde_json's fast parser rounds differently: exact here
            let x = 0.18755063853931983f64;
            assert_eq!(
                super::parse(&format!("[{x}]")).unwrap()[0].as_f64(),
                Some(x)
            );
            for bad in [
                "[1,",
                "{\"a\" 1}",
                "[1 2]",
                "[1e999]",
                "[NaN]",
                "[Infinity]",
                "\"abc",
                "[1] x",
                "[-]",
            ] {
                assert!(super::parse(bad).is_err(), "{bad}");
            }
            let deep = "[".repeat(100) + &"]".repeat(100);
            assert!(super::parse(&deep).is_err());
        }

        /// Every value comes back with the same bits, written the way `to_params_json`
        /// writes it (serde_json's shortest round-trip form) and with 17 significant digits.
        #[test]
        fn hard_f64_values_round_trip_bit_for_bit() {
            let mut xs: Vec<f64> = vec![
                5e-324,                  // smallest subnormal
                2.225073858507201e-308,  // largest subnormal
                2.2250738585072014e-308, // smallest normal
                1.7976931348623157e308,  // largest finite
                0.1 + 0.2,               // 0.30000000000000004
                -0.0,
                0.0,
                1.0 / 3.0,
                2f64.sqrt(),
                0.18755063853931983, // the default parser is one ulp off here
                9007199254740993.0,  // 2^53 + 1 (rounds to even)
                123456789012345680000.0,
                -5e-324,
            ];
            // plus 20 000 random finite bit patterns, all exponents
            let mut state = 0x9E37_79B9_7F4A_7C15u64;
            while xs.len() < 20_013 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let x = f64::from_bits(state);
                if x.is_finite() {
                    xs.push(x);
                }
            }
            let text = serde_json::to_string(&xs).unwrap();
            let back = super::parse(&text).unwrap();
            let seventeen = format!(
                "[{}]",
                xs.iter()
                    .map(|x| format!("{x:.16e}"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let back17 = super::parse(&seventeen).unwrap();
            for (i, x) in xs.iter().enumerate() {
                for (form, v) in [("shortest", &back[i]), ("17 digits", &back17[i])] {
                    let y = v.as_f64().unwrap();
                    assert_eq!(y.to_bits(), x.to_bits(), "{form}: {x:e} read back as {y:e}");
                }
            }
        }
    }
}
