//! Activation functions phi and their Gaussian duals.
//!
//! For (u, v) ~ N(0, [[q1, c], [c, q2]]) the dual of phi is the pair
//!
//! ```text
//! T(q1, q2, c)    = E[phi(u) phi(v)]        (NNGP map)
//! Tdot(q1, q2, c) = E[phi'(u) phi'(v)]      (NTK derivative map; Price: dT/dc = Tdot)
//! ```
//!
//! Each activation also propagates the "sine part" `s = sqrt(q1 q2 - c^2) >= 0` of the
//! covariance without cancellation, so that correlations at or near +-1 (diagonal, duplicate
//! and antipodal points) stay accurate through any number of layers: see [`Dual`].

pub mod erf;
pub mod relu;
pub mod selu;

use serde::{Deserialize, Serialize};

/// A hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, u)` (no factor 2: `w_std = sqrt(2)` preserves the variance).
    Relu,
    /// The error function `erf(u)`.
    Erf,
    /// `lambda u` for `u > 0`, `lambda alpha (e^u - 1)` for `u <= 0`
    /// (alpha = 1.6732632423543772, lambda = 1.0507009873554805).
    Selu,
}

/// The result of pushing one pair covariance through an activation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    /// `T = E[phi(u) phi(v)]`, the new covariance.
    pub t: f64,
    /// `Tdot = E[phi'(u) phi'(v)]`.
    pub tdot: f64,
    /// `sqrt(T11 T22 - T^2)` of the new covariance, computed without cancellation.
    pub s: f64,
}

impl Activation {
    /// All activations, for tests and help texts.
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Erf, Activation::Selu];

    /// Lower-case name.
    ///
    /// ```
    /// assert_eq!(ntk::Activation::Selu.name(), "selu");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Erf => "erf",
            Activation::Selu => "selu",
        }
    }

    /// Parse a name (case-insensitive).
    ///
    /// ```
    /// assert_eq!(ntk::Activation::parse("ReLU"), Some(ntk::Activation::Relu));
    /// assert_eq!(ntk::Activation::parse("tanh"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "relu" => Some(Activation::Relu),
            "erf" => Some(Activation::Erf),
            "selu" => Some(Activation::Selu),
            _ => None,
        }
    }

    /// phi(x), the finite-width forward map.
    ///
    /// ```
    /// use ntk::Activation;
    /// assert_eq!(Activation::Relu.phi(-1.0), 0.0);
    /// assert!((Activation::Erf.phi(0.5) - 0.5204998778130465).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn phi(self, x: f64) -> f64 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Erf => libm::erf(x),
            Activation::Selu => selu::phi(x),
        }
    }

    /// phi'(x), with the derivative at a kink taken as JAX does (ReLU: 0 at 0; SELU: the
    /// left branch `lambda alpha` at 0).
    ///
    /// ```
    /// use ntk::Activation;
    /// assert_eq!(Activation::Relu.dphi(0.0), 0.0);
    /// assert_eq!(Activation::Relu.dphi(2.0), 1.0);
    /// ```
    #[inline]
    pub fn dphi(self, x: f64) -> f64 {
        match self {
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Selu => selu::dphi(x),
        }
    }

    /// The dual map on a pair covariance `(q1, q2, c)` with sine part
    /// `s = sqrt(q1 q2 - c^2)` (pass it accurately; it decides behaviour near rho = +-1).
    ///
    /// ```
    /// use ntk::Activation;
    /// // ReLU on identical unit-variance inputs: T = 1/2, Tdot = 1/2, s stays 0.
    /// let d = Activation::Relu.dual(1.0, 1.0, 1.0, 0.0);
    /// assert_eq!((d.t, d.tdot, d.s), (0.5, 0.5, 0.0));
    /// ```
    #[inline]
    pub fn dual(self, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
        // T and Tdot are symmetric in (q1, q2); evaluating them in one canonical order makes
        // K(x, x') and K(x', x) (and duplicates of x) agree bit for bit.
        let (q1, q2) = if q2 < q1 { (q2, q1) } else { (q1, q2) };
        match self {
            Activation::Relu => relu::dual(q1, q2, c, s),
            Activation::Erf => erf::dual(q1, q2, c, s),
            Activation::Selu => selu::dual(q1, q2, c, s),
        }
    }

    /// The variance map `q -> E[phi(u)^2]`, u ~ N(0, q); equal (bitwise) to
    /// `dual(q, q, q, 0).t`, so that diagonal and off-diagonal entries stay consistent.
    ///
    /// ```
    /// assert_eq!(ntk::Activation::Relu.var(2.0), 1.0);
    /// ```
    #[inline]
    pub fn var(self, q: f64) -> f64 {
        self.dual(q, q, q, 0.0).t
    }
}
