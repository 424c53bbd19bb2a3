//! Names, parameters and the text/serde form of an [`Activation`].
//!
//! The canonical text is `name` or `name:p1,p2,...` (the parameters in the order of the
//! table below); [`Activation::parse`] reads it case-insensitively, `Display` writes it with
//! shortest round-trip floats, so `parse(&a.to_string()) == a`. In JSON/TOML network files the
//! activation is that string (`activation = "leaky_relu:0.1"`) or a table naming the
//! parameters (`activation = { name = "leaky_relu", alpha = 0.1 }`); `"relu"`, `"erf"` and
//! `"selu"` read as before.
//!
//! ```text
//! relu  erf  selu  identity  abs  gelu  erf_sigmoid  tanh  softplus  silu (swish)  sigmoid
//! leaky_relu:alpha        (default 0.01)     abrelu:a,b       (a min(u,0) + b max(u,0))
//! erf:a,b,c               (a erf(b u) + c)   elu:alpha        (default 1)
//! selu:lambda,alpha       (default SELU's)   celu:alpha       (default 1, alpha > 0)
//! ```

use super::Activation;
use crate::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The valid names, for error and help messages.
pub const NAMES: &str = "relu, erf, erf:a,b,c, erf_sigmoid, selu, selu:lambda,alpha, elu[:alpha], \
celu[:alpha], identity, leaky_relu[:alpha], abs, abrelu:a,b, gelu, tanh, softplus, silu (swish), \
sigmoid";

impl Activation {
    /// The family name (`"leaky_relu"` for every LeakyReLU); [`fmt::Display`] adds the
    /// parameters.
    ///
    /// ```
    /// assert_eq!(ntk::Activation::Selu.name(), "selu");
    /// assert_eq!(ntk::Activation::LeakyRelu { alpha: 0.2 }.name(), "leaky_relu");
    /// ```
    pub fn name(self) -> &'static str {
        use Activation::*;
        match self {
            Relu => "relu",
            Erf | ErfAffine { .. } => "erf",
            Selu | SeluWith { .. } => "selu",
            Identity => "identity",
            LeakyRelu { .. } => "leaky_relu",
            Abs => "abs",
            AbRelu { .. } => "abrelu",
            Gelu => "gelu",
            ErfSigmoid => "erf_sigmoid",
            Elu { .. } => "elu",
            Celu { .. } => "celu",
            Tanh => "tanh",
            Softplus => "softplus",
            Silu => "silu",
            Sigmoid => "sigmoid",
        }
    }

    /// The parameters in their text order (empty for parameter-free activations).
    fn params(self) -> Vec<f64> {
        use Activation::*;
        match self {
            LeakyRelu { alpha } | Elu { alpha } | Celu { alpha } => vec![alpha],
            AbRelu { a, b } => vec![a, b],
            ErfAffine { a, b, c } => vec![a, b, c],
            SeluWith { lambda, alpha } => vec![lambda, alpha],
            _ => vec![],
        }
    }

    /// Parse `name` or `name:p1,p2,...` (case-insensitive; see the module docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (a usage error) for an unknown name, listing the valid
    /// ones, or for a wrong number or range of parameters.
    ///
    /// ```
    /// use ntk::Activation;
    /// assert_eq!(Activation::parse("ReLU")?, Activation::Relu);
    /// assert_eq!(Activation::parse("leaky_relu:0.1")?, Activation::LeakyRelu { alpha: 0.1 });
    /// assert_eq!(Activation::parse("erf:2,0.5,1")?, Activation::ErfAffine { a: 2.0, b: 0.5, c: 1.0 });
    /// assert!(Activation::parse("relu6").is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim().to_ascii_lowercase();
        let (name, args) = match text.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a)),
            None => (text.as_str(), None),
        };
        let ps: Vec<f64> = match args {
            None => vec![],
            Some(a) => a
                .split(',')
                .map(|p| {
                    p.trim().parse::<f64>().map_err(|_| {
                        Error::param(
                            "activation",
                            format!("`{text}`: parameter `{}` is not a number", p.trim()),
                        )
                    })
                })
                .collect::<Result<_>>()?,
        };
        let act = from_parts(name, &ps, &text)?;
        act.validate()?;
        Ok(act)
    }

    /// Check the parameters: finite; `celu` needs `alpha > 0`, `selu` needs `lambda > 0`,
    /// `elu`/`selu` need `alpha >= 0`; `erf` needs `b != 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the activation and the fix.
    ///
    /// ```
    /// assert!(ntk::Activation::Celu { alpha: 0.0 }.validate().is_err());
    /// assert!(ntk::Activation::Elu { alpha: 0.5 }.validate().is_ok());
    /// ```
    pub fn validate(self) -> Result<()> {
        let bad = |why: &str| Err(Error::param("activation", format!("`{self}`: {why}")));
        if self.params().iter().any(|p| !p.is_finite()) {
            return bad("parameters must be finite numbers");
        }
        match self {
            Activation::Celu { alpha } if alpha <= 0.0 => bad("celu needs alpha > 0"),
            Activation::Elu { alpha } if alpha < 0.0 => bad("elu needs alpha >= 0"),
            Activation::SeluWith { lambda, alpha } if lambda <= 0.0 || alpha < 0.0 => {
                bad("selu needs lambda > 0 and alpha >= 0")
            }
            Activation::ErfAffine { b: 0.0, .. } => {
                bad("erf needs b != 0 (b = 0 is the constant c: use a bias instead)")
            }
            _ => Ok(()),
        }
    }
}

/// Build from a family name and its parameters (the text form), without range checks.
fn from_parts(name: &str, ps: &[f64], text: &str) -> Result<Activation> {
    use Activation::*;
    let want = |n: usize| -> Result<()> {
        if ps.len() == n {
            Ok(())
        } else {
            Err(Error::param(
                "activation",
                format!(
                    "`{text}`: `{name}` takes {n} parameter(s), got {}",
                    ps.len()
                ),
            ))
        }
    };
    let opt1 = |default: f64| -> Result<f64> {
        match ps.len() {
            0 => Ok(default),
            1 => Ok(ps[0]),
            n => Err(Error::param(
                "activation",
                format!("`{text}`: `{name}` takes at most 1 parameter, got {n}"),
            )),
        }
    };
    Ok(match name {
        "relu" => want(0).map(|_| Relu)?,
        "erf" if ps.is_empty() => Erf,
        "erf" => want(3).map(|_| ErfAffine {
            a: ps[0],
            b: ps[1],
            c: ps[2],
        })?,
        "erf_sigmoid" | "sigmoid_like" => want(0).map(|_| ErfSigmoid)?,
        "selu" if ps.is_empty() => Selu,
        "selu" => want(2).map(|_| SeluWith {
            lambda: ps[0],
            alpha: ps[1],
        })?,
        "elu" => Elu { alpha: opt1(1.0)? },
        "celu" => Celu { alpha: opt1(1.0)? },
        "identity" | "linear" => want(0).map(|_| Identity)?,
        "leaky_relu" | "leakyrelu" => LeakyRelu { alpha: opt1(0.01)? },
        "abs" => want(0).map(|_| Abs)?,
        "abrelu" => want(2).map(|_| AbRelu { a: ps[0], b: ps[1] })?,
        "gelu" => want(0).map(|_| Gelu)?,
        "tanh" => want(0).map(|_| Tanh)?,
        "softplus" => want(0).map(|_| Softplus)?,
        "silu" | "swish" => want(0).map(|_| Silu)?,
        "sigmoid" | "logistic" => want(0).map(|_| Sigmoid)?,
        _ => {
            return Err(Error::param(
                "activation",
                format!("unknown activation `{text}`: use one of {NAMES}"),
            ));
        }
    })
}

impl fmt::Display for Activation {
    /// The canonical text, `name` or `name:p1,p2,...`.
    ///
    /// ```
    /// assert_eq!(ntk::Activation::AbRelu { a: -0.5, b: 2.0 }.to_string(), "abrelu:-0.5,2");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        let ps = self.params();
        for (i, p) in ps.iter().enumerate() {
            write!(f, "{}{p}", if i == 0 { ':' } else { ',' })?;
        }
        Ok(())
    }
}

impl Serialize for Activation {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        ser.serialize_str(&self.to_string())
    }
}

/// The table form of an activation in a network file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    name: String,
    alpha: Option<f64>,
    lambda: Option<f64>,
    a: Option<f64>,
    b: Option<f64>,
    c: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Table(Table),
}

impl Table {
    fn to_activation(&self) -> Result<Activation> {
        let name = self.name.trim().to_ascii_lowercase();
        let ps: Vec<f64> = match name.as_str() {
            "selu" => [self.lambda, self.alpha].into_iter().flatten().collect(),
            "erf" => [self.a, self.b, self.c].into_iter().flatten().collect(),
            "abrelu" => [self.a, self.b].into_iter().flatten().collect(),
            _ => self.alpha.into_iter().collect(),
        };
        let n_given = [self.alpha, self.lambda, self.a, self.b, self.c]
            .iter()
            .flatten()
            .count();
        if n_given != ps.len() {
            return Err(Error::param(
                "activation",
                format!("`{name}`: unexpected parameter names (see `ntk kernel --help`)"),
            ));
        }
        let act = from_parts(&name, &ps, &name)?;
        act.validate()?;
        Ok(act)
    }
}

impl<'de> Deserialize<'de> for Activation {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        let r = match Repr::deserialize(de)? {
            Repr::Text(t) => Activation::parse(&t),
            Repr::Table(t) => t.to_activation(),
        };
        r.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_roundtrips_for_every_example() {
        for a in Activation::examples() {
            let t = a.to_string();
            assert_eq!(Activation::parse(&t).unwrap(), a, "{t}");
            let j = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Activation>(&j).unwrap(), a, "{j}");
        }
        // awkward floats survive
        let a = Activation::LeakyRelu { alpha: 0.1 + 0.2 };
        assert_eq!(Activation::parse(&a.to_string()).unwrap(), a);
    }

    #[test]
    fn names_defaults_and_errors() {
        assert_eq!(
            Activation::parse("elu").unwrap(),
            Activation::Elu { alpha: 1.0 }
        );
        assert_eq!(
            Activation::parse(" Selu:1.05, 1.67 ").unwrap(),
            Activation::SeluWith {
                lambda: 1.05,
                alpha: 1.67
            }
        );
        assert_eq!(Activation::parse("swish").unwrap(), Activation::Silu);
        let e = Activation::parse("relu6").unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("leaky_relu"), "{e}");
        for bad in [
            "relu:1",
            "abrelu:1",
            "erf:1,2",
            "leaky_relu:x",
            "celu:0",
            "celu:-1",
            "elu:nan",
            "selu:-1,1",
            "erf:1,0,0",
            "leaky_relu:1,2",
        ] {
            let e = Activation::parse(bad).unwrap_err();
            assert!(e.is_usage(), "{bad}: {e}");
        }
    }

    #[test]
    fn table_form() {
        let t: Activation = toml::from_str::<toml::Table>(
            "a = { name = \"leaky_relu\", alpha = 0.1 }",
        )
        .unwrap()["a"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(t, Activation::LeakyRelu { alpha: 0.1 });
        let j: Activation =
            serde_json::from_str(r#"{"name": "erf", "a": 2, "b": 0.5, "c": 1}"#).unwrap();
        assert_eq!(
            j,
            Activation::ErfAffine {
                a: 2.0,
                b: 0.5,
                c: 1.0
            }
        );
        let j: Activation =
            serde_json::from_str(r#"{"name": "selu", "lambda": 1.1, "alpha": 1.5}"#).unwrap();
        assert_eq!(
            j,
            Activation::SeluWith {
                lambda: 1.1,
                alpha: 1.5
            }
        );
        assert!(serde_json::from_str::<Activation>(r#"{"name": "relu", "alpha": 1}"#).is_err());
        assert!(serde_json::from_str::<Activation>(r#"{"name": "tanh", "beta": 1}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Activation>("\"relu\"").unwrap(),
            Activation::Relu
        );
    }
}
