//! The network description, interpreted twice: analytically (infinite-width kernels, see
//! [`crate::kernel`]) and as a finite network (see [`crate::empirical`]).
//!
//! A depth-L network is `L` hidden (Dense, activation) pairs followed by a linear readout
//! Dense with one output:
//!
//! ```text
//! f(x) = Dense_{L+1}( phi( Dense_L( ... phi( Dense_1(x) ) ... ) ) )
//! ```
//!
//! Conventions follow neural-tangents (`stax.Dense(W_std, b_std, parameterization)`):
//! - NTK parameterization: `z = (w_std / sqrt(n_in)) h W + b_std b`, `W, b ~ N(0, 1)`.
//! - standard parameterization: `z = h W + b`, `W ~ N(0, w_std^2 / n_in)`, `b ~ N(0, b_std^2)`.
//!
//! `bias = false` is neural-tangents' `b_std=None` (no bias parameters at all). It differs from
//! `b_std = 0` only in the standard parameterization, where a trainable zero-initialised bias
//! still adds 1 to the NTK.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use crate::activation::Activation;

/// The largest depth accepted. Deeper infinite-width kernels are numerically degenerate
/// (ReLU and erf correlations converge to a fixed point long before), and each layer costs a
/// full pass over the kernel.
pub const MAX_DEPTH: usize = 1000;

/// How weights and biases are scaled (neural-tangents' `parameterization`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parameterization {
    /// `z = (w_std / sqrt(n_in)) h W + b_std b` with `W, b ~ N(0, 1)` (the default).
    #[default]
    Ntk,
    /// `z = h W + b` with `W ~ N(0, w_std^2 / n_in)`, `b ~ N(0, b_std^2)`. The NTK then
    /// depends on the hidden `width`.
    Standard,
}

impl Parameterization {
    /// Lower-case name (`"ntk"` or `"standard"`).
    ///
    /// ```
    /// assert_eq!(ntk::Parameterization::Standard.name(), "standard");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Parameterization::Ntk => "ntk",
            Parameterization::Standard => "standard",
        }
    }
}

fn default_true() -> bool {
    true
}

/// A fully-connected network: `depth` hidden (Dense, activation) pairs and a linear readout.
///
/// Read it from JSON or TOML ([`Network::from_file`], [`Network::from_str_any`]) or build it
/// with [`Network::mlp`]. Fields are public for reading; every constructor validates.
///
/// ```
/// use ntk::{Activation, Network};
/// let net: Network = Network::from_str_any(
///     r#"{"activation": "relu", "depth": 3, "w_std": 1.5, "b_std": 0.1}"#)?;
/// assert_eq!(net, Network::mlp(Activation::Relu, 3, 1.5, 0.1)?);
/// let toml = "activation = \"erf\"\ndepth = 2\nw_std = 1.0\nb_std = 0.0\n";
/// assert_eq!(Network::from_str_any(toml)?.activation, Activation::Erf);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Hidden-layer nonlinearity.
    pub activation: Activation,
    /// Number of hidden (Dense, activation) pairs; 0 is a linear model.
    pub depth: usize,
    /// Weight standard deviation (`W_std`).
    pub w_std: f64,
    /// Bias standard deviation (`b_std`); ignored when `bias` is false.
    #[serde(default)]
    pub b_std: f64,
    /// Whether the Dense layers have bias parameters (false = neural-tangents' `b_std=None`).
    #[serde(default = "default_true")]
    pub bias: bool,
    /// Weight/bias scaling convention.
    #[serde(default)]
    pub parameterization: Parameterization,
    /// Hidden width. Needed by the standard-parameterization NTK; ignored by the NTK
    /// parameterization's analytic kernels (finite networks take their widths separately).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
}

impl Network {
    /// A validated NTK-parameterized MLP with biases.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for negative or non-finite `w_std`/`b_std`, or
    /// `depth > MAX_DEPTH`.
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Selu, 3, 1.0, 0.0)?;
    /// assert_eq!(net.depth, 3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn mlp(activation: Activation, depth: usize, w_std: f64, b_std: f64) -> Result<Self> {
        let net = Network {
            activation,
            depth,
            w_std,
            b_std,
            bias: true,
            parameterization: Parameterization::Ntk,
            width: None,
        };
        net.validate()?;
        Ok(net)
    }

    /// The same network in the standard parameterization with hidden width `width`.
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 1, 1.0, 0.0)?.standard(512)?;
    /// assert_eq!(net.width, Some(512));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn standard(mut self, width: usize) -> Result<Self> {
        self.parameterization = Parameterization::Standard;
        self.width = Some(width);
        self.validate()?;
        Ok(self)
    }

    /// The same network without bias parameters (neural-tangents' `b_std=None`).
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 1, 1.0, 0.0)?.without_bias();
    /// assert!(!net.bias);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn without_bias(mut self) -> Self {
        self.bias = false;
        self.b_std = 0.0;
        self
    }

    /// The effective bias standard deviation (0 without bias).
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 1, 1.0, 0.3)?;
    /// assert_eq!(net.b(), 0.3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn b(&self) -> f64 {
        if self.bias { self.b_std } else { 0.0 }
    }

    /// Check every field; called by all constructors and readers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field and the fix.
    ///
    /// ```
    /// let mut net = ntk::Network::mlp(ntk::Activation::Relu, 1, 1.0, 0.0)?;
    /// net.b_std = f64::NAN;
    /// assert!(net.validate().is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        self.activation.validate()?;
        check_std("w_std", self.w_std)?;
        if self.bias {
            check_std("b_std", self.b_std)?;
        }
        if self.depth > MAX_DEPTH {
            return Err(Error::param(
                "depth",
                format!(
                    "{} hidden layers is more than the supported maximum of {MAX_DEPTH}; \
                     infinite-width kernels are degenerate long before that: use a smaller depth",
                    self.depth
                ),
            ));
        }
        if self.parameterization == Parameterization::Standard {
            match self.width {
                Some(0) => return Err(Error::param("width", "hidden width must be at least 1")),
                None if self.depth > 0 => {
                    return Err(Error::param(
                        "width",
                        "the standard parameterization needs the hidden width (e.g. --width 512): \
                         its NTK depends on it",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Parse JSON or TOML text (JSON if it starts with `{`), then validate.
    ///
    /// # Errors
    /// [`Error::Data`] with the parser's message, or a validation error.
    ///
    /// ```
    /// let net = ntk::Network::from_str_any(r#"{"activation":"erf","depth":1,"w_std":1.0}"#)?;
    /// assert_eq!(net.b_std, 0.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_str_any(text: &str) -> Result<Self> {
        let net: Network = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| Error::Data(format!("network JSON: {e}")))?
        } else {
            toml::from_str(text).map_err(|e| Error::Data(format!("network TOML: {e}")))?
        };
        net.validate()?;
        Ok(net)
    }

    /// Read a network description from a `.json` or `.toml` file.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable, [`Error::Parse`] if malformed or invalid.
    ///
    /// ```no_run
    /// let net = ntk::Network::from_file("net.toml")?;
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
            usage: true,
        })?;
        Self::from_str_any(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            msg: e.to_string(),
        })
    }

    /// The input dimension seen by the Dense layer at index `layer` (0 = first Dense, whose
    /// fan-in is the data dimension `d`; later ones see the hidden width, if set).
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.0, 0.0)?.standard(64)?;
    /// assert_eq!(net.fan_in(0, 5), 5);
    /// assert_eq!(net.fan_in(2, 5), 64);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn fan_in(&self, layer: usize, d: usize) -> usize {
        if layer == 0 {
            d
        } else {
            self.width.unwrap_or(0)
        }
    }

    /// One-line summary, e.g. `relu depth=3 w_std=1.5 b_std=0.1 ntk`.
    ///
    /// ```
    /// let net = ntk::Network::mlp(ntk::Activation::Relu, 3, 1.5, 0.1)?;
    /// assert_eq!(net.summary(), "relu depth=3 w_std=1.5 b_std=0.1 ntk");
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn summary(&self) -> String {
        let b = if self.bias {
            format!("b_std={}", self.b_std)
        } else {
            "no-bias".to_string()
        };
        let mut s = format!(
            "{} depth={} w_std={} {} {}",
            self.activation,
            self.depth,
            self.w_std,
            b,
            self.parameterization.name()
        );
        if let (Parameterization::Standard, Some(w)) = (self.parameterization, self.width) {
            s.push_str(&format!(" width={w}"));
        }
        s
    }
}

fn check_std(name: &str, v: f64) -> Result<()> {
    if !v.is_finite() {
        return Err(Error::param(
            name,
            format!("must be a finite number, got {v}"),
        ));
    }
    if v < 0.0 {
        return Err(Error::param(
            name,
            format!("must be >= 0 (it is a standard deviation), got {v}; pass its absolute value"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_toml_agree_and_roundtrip() {
        let net = Network::mlp(Activation::Erf, 2, 1.3, 0.2)
            .unwrap()
            .standard(128)
            .unwrap();
        let j = serde_json::to_string(&net).unwrap();
        let t = toml::to_string(&net).unwrap();
        assert_eq!(Network::from_str_any(&j).unwrap(), net);
        assert_eq!(Network::from_str_any(&t).unwrap(), net);
    }

    #[test]
    fn rejects_bad_fields() {
        assert!(Network::mlp(Activation::Relu, 1, f64::INFINITY, 0.0).is_err());
        assert!(Network::mlp(Activation::Relu, 1, 1.0, -0.1).is_err());
        assert!(Network::mlp(Activation::Relu, MAX_DEPTH + 1, 1.0, 0.0).is_err());
        assert!(Network::from_str_any(r#"{"activation":"relu6","depth":1,"w_std":1}"#).is_err());
        assert!(
            Network::from_str_any(r#"{"activation":"relu","depth":1,"w_std":1,"foo":2}"#).is_err()
        );
        let e = Network::from_str_any(
            r#"{"activation":"relu","depth":1,"w_std":1,"parameterization":"standard"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("width"), "{e}");
        // zero is allowed
        assert!(Network::mlp(Activation::Relu, 0, 0.0, 0.0).is_ok());
    }
}
