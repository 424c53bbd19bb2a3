//! JSON sidecars: every output file `k.npy` gets a small `k.npy.json` recording how it was
//! made (tool version, command, network, options, inputs, output shape, timing), so a result
//! can be traced and reproduced without the shell history.
//!
//! ```json
//! {
//!   "tool": "ntk",
//!   "version": "0.1.0",
//!   "command": "kernel",
//!   "network": { "activation": "relu", "depth": 3, ... },
//!   "options": { "ntk": true },
//!   "inputs": [ { "name": "x", "source": "x.npy", "rows": 100, "cols": 10 } ],
//!   "output": { "kind": "ntk", "shape": [100, 100], "dtype": "float64", "order": "fortran" },
//!   "timing_s": 0.42,
//!   "created_unix": 1700000000
//! }
//! ```

use crate::{Error, Network, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One input of the computation.
///
/// ```
/// let x = faer::Mat::<f64>::zeros(5, 3);
/// let info = ntk::io::InputInfo::new("x", "x.npy", x.as_ref());
/// assert_eq!((info.rows, info.cols), (5, 3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    /// The role of the input (`"x"`, `"x2"`, `"y"`, ...).
    pub name: String,
    /// Where it came from: a file path or a built-in dataset name (`"digits"`, `"circle:8"`).
    pub source: String,
    /// Number of rows (points).
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

impl InputInfo {
    /// Describe the matrix `m`, read from `source`.
    ///
    /// ```
    /// let m = faer::Mat::<f64>::zeros(2, 4);
    /// assert_eq!(ntk::io::InputInfo::new("y", "y.csv", m.as_ref()).cols, 4);
    /// ```
    pub fn new(
        name: impl Into<String>,
        source: impl Into<String>,
        m: faer::MatRef<'_, f64>,
    ) -> Self {
        InputInfo {
            name: name.into(),
            source: source.into(),
            rows: m.nrows(),
            cols: m.ncols(),
        }
    }
}

/// What the output file holds.
///
/// ```
/// let out = ntk::io::OutputInfo::new("ntk", 10, 10);
/// assert_eq!((out.dtype.as_str(), out.order.as_str()), ("float64", "fortran"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputInfo {
    /// What was computed: `"ntk"`, `"nngp"`, `"predictions"`, ...
    pub kind: String,
    /// `[rows, cols]`.
    pub shape: [usize; 2],
    /// Element type; `"float64"` for every output `ntk` writes.
    pub dtype: String,
    /// Storage order: `"fortran"` for `.npy` outputs, `"row"` for text (`.csv`) outputs.
    pub order: String,
}

impl OutputInfo {
    /// A `rows x cols` float64 matrix in Fortran order (what [`crate::io::write_npy`] writes).
    ///
    /// ```
    /// assert_eq!(ntk::io::OutputInfo::new("nngp", 3, 4).shape, [3, 4]);
    /// ```
    pub fn new(kind: impl Into<String>, rows: usize, cols: usize) -> Self {
        OutputInfo {
            kind: kind.into(),
            shape: [rows, cols],
            dtype: "float64".to_string(),
            order: "fortran".to_string(),
        }
    }

    /// As [`OutputInfo::new`], with the order matching the file written at `path`: `"row"` for
    /// text files (`.csv`, `.tsv`, `.txt`), `"fortran"` otherwise.
    ///
    /// ```
    /// let out = ntk::io::OutputInfo::for_path("ntk", "k.csv".as_ref(), 2, 2);
    /// assert_eq!(out.order, "row");
    /// ```
    pub fn for_path(kind: impl Into<String>, path: &Path, rows: usize, cols: usize) -> Self {
        let mut out = Self::new(kind, rows, cols);
        if super::Format::from_path(path).is_ok_and(|f| f == super::Format::Text) {
            out.order = "row".to_string();
        }
        out
    }
}

/// The metadata written next to an output file. Fields are public; build one with
/// [`Sidecar::new`] and the `with_*` methods, then [`write_sidecar`].
///
/// ```
/// use ntk::io::{InputInfo, OutputInfo, Sidecar};
/// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.0, 0.0)?;
/// let x = faer::Mat::<f64>::zeros(4, 3);
/// let sc = Sidecar::new("kernel", OutputInfo::new("ntk", 4, 4))
///     .with_network(&net)?
///     .with_options(&serde_json::json!({"ntk": true}))?
///     .with_input(InputInfo::new("x", "x.npy", x.as_ref()))
///     .with_timing(0.25);
/// assert_eq!(sc.tool, "ntk");
/// assert_eq!(sc.version, ntk::VERSION);
/// assert_eq!(sc.network.as_ref().unwrap()["depth"], 2);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Always `"ntk"`.
    pub tool: String,
    /// The crate version ([`crate::VERSION`]).
    pub version: String,
    /// The subcommand or operation (`"kernel"`, `"dynamics"`, ...).
    pub command: String,
    /// The network, as its serde JSON form, if one was involved.
    pub network: Option<serde_json::Value>,
    /// The options in effect (any JSON; `{}` if none).
    pub options: serde_json::Value,
    /// The inputs, in order.
    pub inputs: Vec<InputInfo>,
    /// The output file's contents.
    pub output: OutputInfo,
    /// Wall-clock seconds the computation took.
    pub timing_s: f64,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix: u64,
}

impl Sidecar {
    /// A sidecar for `command` producing `output`, stamped with the current time; no network,
    /// empty options, no inputs, zero timing.
    ///
    /// ```
    /// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("ntk", 2, 2));
    /// assert!(sc.created_unix > 0);
    /// assert_eq!(sc.options, serde_json::json!({}));
    /// ```
    pub fn new(command: impl Into<String>, output: OutputInfo) -> Self {
        let created_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Sidecar {
            tool: "ntk".to_string(),
            version: crate::VERSION.to_string(),
            command: command.into(),
            network: None,
            options: serde_json::Value::Object(serde_json::Map::new()),
            inputs: Vec::new(),
            output,
            timing_s: 0.0,
            created_unix,
        }
    }

    /// Record the network.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if it cannot be serialized (not expected in practice).
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Erf, 1, 1.0, 0.5)?;
    /// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("nngp", 1, 1))
    ///     .with_network(&net)?;
    /// assert_eq!(sc.network.unwrap()["activation"], "erf");
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn with_network(mut self, net: &Network) -> Result<Self> {
        self.network = Some(to_value("network", net)?);
        Ok(self)
    }

    /// Record the options (any serializable value, typically a struct or `json!({...})`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if it cannot be serialized as JSON.
    ///
    /// ```
    /// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("ntk", 1, 1))
    ///     .with_options(&serde_json::json!({"tile": 256}))?;
    /// assert_eq!(sc.options["tile"], 256);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn with_options(mut self, options: &impl Serialize) -> Result<Self> {
        self.options = to_value("options", options)?;
        Ok(self)
    }

    /// Append an input.
    ///
    /// ```
    /// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("ntk", 8, 8))
    ///     .with_input(ntk::io::InputInfo { name: "x".into(), source: "circle:8".into(), rows: 8, cols: 2 });
    /// assert_eq!(sc.inputs.len(), 1);
    /// ```
    pub fn with_input(mut self, input: InputInfo) -> Self {
        self.inputs.push(input);
        self
    }

    /// Set the wall-clock time in seconds (non-finite or negative values are stored as 0, so
    /// the JSON stays valid).
    ///
    /// ```
    /// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("ntk", 1, 1))
    ///     .with_timing(1.5);
    /// assert_eq!(sc.timing_s, 1.5);
    /// ```
    pub fn with_timing(mut self, seconds: f64) -> Self {
        self.timing_s = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        self
    }
}

fn to_value(what: &str, v: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(v)
        .map_err(|e| Error::param(what, format!("cannot be recorded as JSON: {e}")))
}

/// The sidecar path for an output: the output path with `.json` appended (`k.npy` ->
/// `k.npy.json`).
///
/// ```
/// use std::path::Path;
/// assert_eq!(ntk::io::sidecar::sidecar_path(Path::new("out/k.npy")), Path::new("out/k.npy.json"));
/// ```
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_os_string();
    s.push(".json");
    PathBuf::from(s)
}

/// Write `sc` as pretty JSON to `<output>.json`, atomically.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written.
///
/// ```
/// let out = std::env::temp_dir().join(format!("ntk-doc-sc-{}.npy", std::process::id()));
/// let sc = ntk::io::Sidecar::new("kernel", ntk::io::OutputInfo::new("ntk", 2, 2));
/// ntk::io::write_sidecar(&out, &sc)?;
/// let path = ntk::io::sidecar::sidecar_path(&out);
/// assert_eq!(ntk::io::sidecar::read_sidecar(&out)?, sc);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn write_sidecar(output: &Path, sc: &Sidecar) -> Result<()> {
    super::write_json_atomic(&sidecar_path(output), sc)
}

/// Read the sidecar of `output` (i.e. the file `<output>.json`).
///
/// # Errors
/// [`Error::Io`] if it cannot be read, [`Error::Parse`] if it is not a valid sidecar.
///
/// ```no_run
/// let sc = ntk::io::sidecar::read_sidecar("k.npy".as_ref())?;
/// println!("{} x {}", sc.output.shape[0], sc.output.shape[1]);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn read_sidecar(output: &Path) -> Result<Sidecar> {
    let path = sidecar_path(output);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut super::open_input(&path)?, &mut text).map_err(|source| {
        Error::Io {
            path: path.clone(),
            source,
            usage: true,
        }
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        path,
        msg: format!("not a valid ntk sidecar: {e}"),
    })
}
