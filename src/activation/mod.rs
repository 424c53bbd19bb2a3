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
//!
//! Families: closed forms ([`relu`], [`abrelu`]: identity / LeakyReLU / Abs / ABReLU,
//! [`gelu`], [`erf`] and [`erf_affine`]: `a erf(b u) + c` and erf-sigmoid), the exact
//! exponential-linear family ([`selu`]: SELU, ELU, CELU with free parameters), and smooth
//! activations without closed forms ([`smooth`]: tanh, softplus, SiLU, logistic sigmoid, by
//! their Hermite (Mehler) series). Names and parameters: [`spec`].

pub mod abrelu;
pub mod erf;
pub mod erf_affine;
pub mod gelu;
pub mod price;
pub mod relu;
pub mod selu;
pub mod smooth;
pub mod spec;

/// A hidden-layer nonlinearity. Parameterised variants carry their constants; see
/// [`Activation::parse`] for the names and [`Activation::validate`] for the valid ranges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `max(0, u)` (no factor 2: `w_std = sqrt(2)` preserves the variance).
    Relu,
    /// The error function `erf(u)`.
    Erf,
    /// `lambda u` for `u > 0`, `lambda alpha (e^u - 1)` for `u <= 0`
    /// (alpha = 1.6732632423543772, lambda = 1.0507009873554805).
    Selu,
    /// `u`.
    Identity,
    /// `u` for `u > 0`, `alpha u` otherwise (= `AbRelu { a: alpha, b: 1 }`).
    LeakyRelu {
        /// Slope for negative inputs.
        alpha: f64,
    },
    /// `|u|` (= `AbRelu { a: -1, b: 1 }`).
    Abs,
    /// neural-tangents' `ABRelu(a, b)`: `a min(u, 0) + b max(u, 0)`.
    AbRelu {
        /// Slope for negative inputs.
        a: f64,
        /// Slope for positive inputs.
        b: f64,
    },
    /// GELU, `u Phi(u)` (the exact one, not the tanh approximation).
    Gelu,
    /// neural-tangents' `Erf(a, b, c)`: `a erf(b u) + c`.
    ErfAffine {
        /// Scale.
        a: f64,
        /// Input scale.
        b: f64,
        /// Offset.
        c: f64,
    },
    /// neural-tangents' `Sigmoid_like`: `erf(u / 2.4020563531719796) / 2 + 1/2`.
    ErfSigmoid,
    /// ELU: `u` for `u > 0`, `alpha (e^u - 1)` otherwise.
    Elu {
        /// Saturation value for negative inputs.
        alpha: f64,
    },
    /// SELU with free constants: `lambda u` for `u > 0`, `lambda alpha (e^u - 1)` otherwise.
    SeluWith {
        /// Scale.
        lambda: f64,
        /// Saturation value for negative inputs (before scaling).
        alpha: f64,
    },
    /// CELU: `u` for `u > 0`, `alpha (e^(u / alpha) - 1)` otherwise (= `alpha elu_1(u / alpha)`).
    Celu {
        /// Saturation value and scale (> 0).
        alpha: f64,
    },
    /// `tanh(u)`.
    Tanh,
    /// `ln(1 + e^u)`.
    Softplus,
    /// SiLU / Swish, `u sigmoid(u)`.
    Silu,
    /// The logistic sigmoid `1 / (1 + e^-u)`.
    Sigmoid,
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

/// neural-tangents' `Sigmoid_like` input scale.
pub const ERF_SIGMOID_SCALE: f64 = 2.402_056_353_171_979_6;

impl Activation {
    /// The three original parameter-free activations (ReLU, erf, SELU), for tests and help.
    /// [`Activation::examples`] lists one instance of every family.
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Erf, Activation::Selu];

    /// One instance of every family (default or typical parameters), for tests and help.
    ///
    /// ```
    /// assert!(ntk::Activation::examples().len() >= 16);
    /// ```
    pub fn examples() -> Vec<Activation> {
        use Activation::*;
        vec![
            Relu,
            Erf,
            Selu,
            Identity,
            LeakyRelu { alpha: 0.1 },
            Abs,
            AbRelu { a: -0.5, b: 2.0 },
            Gelu,
            ErfAffine {
                a: 1.5,
                b: 0.7,
                c: 0.2,
            },
            ErfSigmoid,
            Elu { alpha: 1.0 },
            SeluWith {
                lambda: 1.05,
                alpha: 1.67,
            },
            Celu { alpha: 0.5 },
            Tanh,
            Softplus,
            Silu,
            Sigmoid,
        ]
    }

    /// phi(x), the finite-width forward map.
    ///
    /// ```
    /// use ntk::Activation;
    /// assert_eq!(Activation::Relu.phi(-1.0), 0.0);
    /// assert!((Activation::Erf.phi(0.5) - 0.5204998778130465).abs() < 1e-15);
    /// assert_eq!(Activation::LeakyRelu { alpha: 0.1 }.phi(-2.0), -0.2);
    /// ```
    #[inline]
    pub fn phi(self, x: f64) -> f64 {
        use Activation::*;
        match self {
            Relu => x.max(0.0),
            Erf => libm::erf(x),
            Selu => selu::phi(x),
            Identity => x,
            LeakyRelu { alpha } => abrelu::phi(alpha, 1.0, x),
            Abs => x.abs(),
            AbRelu { a, b } => abrelu::phi(a, b, x),
            Gelu => gelu::phi(x),
            ErfAffine { a, b, c } => a * libm::erf(b * x) + c,
            ErfSigmoid => 0.5 * libm::erf(x / ERF_SIGMOID_SCALE) + 0.5,
            Elu { alpha } => selu::phi_with(&selu::EluParams::elu(alpha), x),
            SeluWith { lambda, alpha } => selu::phi_with(&selu::EluParams::new(lambda, alpha), x),
            Celu { alpha } => alpha * selu::phi_with(&selu::EluParams::elu(1.0), x / alpha),
            Tanh | Softplus | Silu | Sigmoid => smooth::phi(self.smooth_kind(), x),
        }
    }

    /// phi'(x), with the derivative at a kink taken as JAX does (ReLU: 0 at 0; SELU, ELU:
    /// the left branch at 0; ABReLU/LeakyReLU/Abs: the left slope `a` at 0).
    ///
    /// ```
    /// use ntk::Activation;
    /// assert_eq!(Activation::Relu.dphi(0.0), 0.0);
    /// assert_eq!(Activation::Relu.dphi(2.0), 1.0);
    /// assert_eq!(Activation::Tanh.dphi(0.0), 1.0);
    /// ```
    #[inline]
    pub fn dphi(self, x: f64) -> f64 {
        use Activation::*;
        match self {
            Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Selu => selu::dphi(x),
            Identity => 1.0,
            LeakyRelu { alpha } => abrelu::dphi(alpha, 1.0, x),
            Abs => abrelu::dphi(-1.0, 1.0, x),
            AbRelu { a, b } => abrelu::dphi(a, b, x),
            Gelu => gelu::dphi(x),
            ErfAffine { a, b, .. } => {
                a * b * std::f64::consts::FRAC_2_SQRT_PI * (-(b * x) * (b * x)).exp()
            }
            ErfSigmoid => {
                let z = x / ERF_SIGMOID_SCALE;
                0.5 / ERF_SIGMOID_SCALE * std::f64::consts::FRAC_2_SQRT_PI * (-z * z).exp()
            }
            Elu { alpha } => selu::dphi_with(&selu::EluParams::elu(alpha), x),
            SeluWith { lambda, alpha } => selu::dphi_with(&selu::EluParams::new(lambda, alpha), x),
            Celu { alpha } => selu::dphi_with(&selu::EluParams::elu(1.0), x / alpha),
            Tanh | Softplus | Silu | Sigmoid => smooth::dphi(self.smooth_kind(), x),
        }
    }

    /// The smooth-family kind (only meaningful for tanh, softplus, SiLU, sigmoid).
    #[inline]
    pub(crate) fn smooth_kind(self) -> smooth::Kind {
        match self {
            Activation::Softplus => smooth::Kind::Softplus,
            Activation::Silu => smooth::Kind::Silu,
            Activation::Sigmoid => smooth::Kind::Sigmoid,
            _ => smooth::Kind::Tanh,
        }
    }

    /// Whether the dual is evaluated by the Hermite series of [`smooth`] (tanh, softplus,
    /// SiLU, sigmoid), whose per-variance coefficients the kernel caches per point.
    ///
    /// ```
    /// assert!(ntk::Activation::Tanh.is_series());
    /// assert!(!ntk::Activation::Gelu.is_series());
    /// ```
    pub fn is_series(self) -> bool {
        matches!(
            self,
            Activation::Tanh | Activation::Softplus | Activation::Silu | Activation::Sigmoid
        )
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
        use Activation::*;
        match self {
            Relu => relu::dual(q1, q2, c, s),
            Erf => erf::dual(q1, q2, c, s),
            Selu => selu::dual(q1, q2, c, s),
            Identity => Dual { t: c, tdot: 1.0, s },
            LeakyRelu { alpha } => abrelu::dual(alpha, 1.0, q1, q2, c, s),
            Abs => abrelu::dual(-1.0, 1.0, q1, q2, c, s),
            AbRelu { a, b } => abrelu::dual(a, b, q1, q2, c, s),
            Gelu => gelu::dual(q1, q2, c, s),
            ErfAffine { a, b, c: c0 } => erf_affine::dual(a, b, c0, q1, q2, c, s),
            ErfSigmoid => erf_affine::dual(0.5, 1.0 / ERF_SIGMOID_SCALE, 0.5, q1, q2, c, s),
            Elu { alpha } => selu::dual_with(&selu::EluParams::elu(alpha), q1, q2, c, s),
            SeluWith { lambda, alpha } => {
                selu::dual_with(&selu::EluParams::new(lambda, alpha), q1, q2, c, s)
            }
            Celu { alpha } => {
                // celu_alpha(u) = alpha elu_1(u / alpha): scale the covariance by 1/alpha^2
                let k = 1.0 / (alpha * alpha);
                let d = selu::dual_with(&selu::EluParams::elu(1.0), k * q1, k * q2, k * c, k * s);
                let a2 = alpha * alpha;
                Dual {
                    t: a2 * d.t,
                    tdot: d.tdot,
                    s: a2 * d.s,
                }
            }
            Tanh | Softplus | Silu | Sigmoid => smooth::dual(self.smooth_kind(), q1, q2, c, s),
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
