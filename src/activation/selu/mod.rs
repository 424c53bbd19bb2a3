//! SELU dual, phi(x) = lam x (x > 0), lam alpha (e^x - 1) (x <= 0), computed exactly (no
//! quadrature of the activation) by exponential tilting:
//! `E[e^(a.w) 1_A(w)] = e^(a'Sa/2) P(w + S a in A)`.
//!
//! With u = a x, v = b y, (x, y) standard normal with correlation rho = c/R, R = ab = sqrt(q1 q2),
//! r = s/R = sqrt(1 - rho^2), the tilted orthant integrals of [`crate::special::bvn::tilts`]
//! `G_u = E[e^u; u<=0, v<=0]`, `G_v = E[e^v; u<=0, v<=0]`, `G_uv = E[e^(u+v); u<=0, v<=0]`,
//! the Mills ratio `M(z) = e^(z^2/2) Phi(-z)` (`M(a) = E[e^u; u <= 0]`) and
//! `P0 = P(u>0, v>0) = P(u<=0, v<=0) = atan2(s, -c) / (2 pi)` give
//!
//! ```text
//! Tdot / lam^2 = P0 + alpha (G'_u + G'_v) + alpha^2 G_uv,    G'_u = M(a) - G_u = E[e^u; u<=0, v>0]
//! T / lam^2    = A1 + alpha (A2 + A3) + alpha^2 A4
//!   A1 = E[uv; u>0, v>0]              = c P0 + s / (2 pi)
//!   A2 = E[u (e^v - 1); u>0, v<=0]    = a (M(s/a) - 1/2) / sqrt(2 pi) + c G'_v
//!   A3 = E[(e^u - 1) v; u<=0, v>0]    = b (M(s/b) - 1/2) / sqrt(2 pi) + c G'_u
//!   A4 = E[(e^u - 1)(e^v - 1); u<=0, v<=0] = G_uv - G_u - G_v + P0
//! ```
//!
//! (A2: tilting by e^v shifts (u, v) by (c, q2), and `E[x; x > -rho b, y <= -b] e^(b^2/2) =
//! (M(b r) - rho/2) / sqrt(2 pi)` by Stein's lemma.) The three `G`s share one set of
//! quadrature nodes, so T and Tdot cost one call together.
//!
//! Special cases, all closed forms (`h(a, b) = M(a+b) - M(a) - M(b) + 1/2 = E[(e^u - 1)(e^v - 1); u <= 0]`
//! at rho = 1, see [`crate::special::normal::mills_mixed`]):
//!
//! ```text
//! rho = +1 (s = 0, c > 0): T = lam^2 (ab/2 + alpha^2 h(a, b)),    Tdot = lam^2 (1/2 + alpha^2 M(a + b))
//! rho = -1 (s = 0, c < 0): T = -lam^2 alpha ab (M(a) + M(b)),     Tdot = lam^2 alpha (M(a) + M(b))
//! q1 = 0 (u = 0 a.s.):     T = 0,  Tdot = phi'(0) E[phi'(v)] = lam alpha lam (1/2 + alpha M(b))
//! variance map:            q' = T(q, q, q, 0) = lam^2 (q/2 + alpha^2 (M(2a) - 2 M(a) + 1/2))
//! ```
//!
//! **Small variances** (`sqrt(q1 q2) < 0.2`): the O(1) terms of A4 (and of A2, A3 when one
//! variance is small) cancel to O(q), costing ~0.7 ulp / sqrt(q1 q2) of accuracy, so T is
//! integrated instead from Price's theorem dT/dc = Tdot (whose terms are all positive):
//! `T = E[phi(u)] E[phi(v)] + int_0^{atan2(c, s)} Tdot(R sin t) R cos t dt`,
//! `E[phi(u)] = lam (a / sqrt(2 pi) + alpha (M(a) - 1/2))` (12-point Gauss–Legendre; for
//! |rho| > 0.7 panels doubling away from rho = +-1, where Tdot varies on the scale 1/max(a, b)).
//!
//! **New sine part** `s' = sqrt(T11 T22 - T^2)`, T11 = q'(q1). Written as
//! `sqrt(T11 T22) sqrt((1 - C)(1 + C))`, C = T / sqrt(T11 T22), away from C = 1. Near C = 1
//! (c > 0 and 1 - C < 1/200) it is computed without cancellation as `s'^2 = S (sqrt(T11 T22) + T)`,
//!
//! ```text
//! S = sqrt(T11 T22) - T = F + int_0^theta Tdot(R cos t) R sin t dt,   theta = atan2(s, c)
//! F = sqrt(T11 T22) - T1,   T1 = T(q1, q2, R) (the rho = 1 value; F = 0 when q1 = q2)
//! ```
//!
//! by 6-point Gauss–Legendre in t (on panels halving towards t = 0 when theta max(a, b) > 1/2,
//! since Tdot varies on the scale 1/max(a, b) there); there T itself is taken as
//! `T1 - int_0^theta ...` too. F >= 0 is the Cauchy–Schwarz gap of phi(a x), phi(b x); for
//! |a - b| <= 0.2 max(a, b) it is `F = T1 expm1(D)` with
//! `2 D = int int_[b,a]^2 d^2 ln T1(x, y) / dx dy` (exact: that integral is the mixed second
//! difference of ln T1 over the square; 6x6-point Gauss–Legendre on closed-form derivatives,
//! width a - b = (q1 - q2)/(a + b) from the exact q1 - q2), else the plain difference.
//!
//! **Accuracy** (tests: 2-D brute-force quadrature, 59 references from 30-digit quadrature,
//! `tests/selu_dual.rs`): T within ~1e-15 of sqrt(T11 T22) and Tdot within ~1e-15 relative,
//! for variances from 1e-12 to 1e6 and all correlations, without overflow (every tilted value
//! is <= 1). s' has absolute error ~1e-15 sqrt(T11 T22) (up to ~6e-15 just below the switch
//! 1 - C = 1/200, where the plain formula amplifies dC by 1/sin(new angle) <= 10), and where
//! the Price form is used also relative error ~1e-15: near-duplicate pairs keep full
//! accuracy in the sine part through any number of layers. Exact duplicates (q1 = q2, s = 0)
//! give s' = 0 exactly and T = q'(q1) bitwise.
//!
//! **Cost** (one call gives T, Tdot, s'): ~10-20 ReLU duals for |rho| < 0.99 (6..20
//! Drezner–Wesolowsky nodes with 3 exponentials each, ~8 Mills ratios), ~100-150 where the
//! Price integral for s' is needed (1 - C < 1/200), more for small variances.
//! In Gram matrices the kernel evaluates the same closed forms over a whole tile column in
//! vectorized passes (`kernel/selu_column.rs`, for the common case; everything else comes
//! back here), ~2x faster per entry.

use super::Dual;
use crate::special::bvn::tilts;
use crate::special::normal::{FRAC_1_SQRT_2PI, mills, mills_m_half, mills_mixed, mills_mixed_diag};
use price::{bracket, price_sine, t_by_price};

mod price;
#[cfg(test)]
pub(crate) mod tests;

/// SELU alpha, 1.6732632423543772848... correctly rounded (the value JAX and neural-tangents use).
pub const ALPHA: f64 = 1.673_263_242_354_377_2;
/// SELU lambda (scale).
pub const LAMBDA: f64 = 1.050_700_987_355_480_5;

#[cfg(test)]
const L2: f64 = LAMBDA * LAMBDA;

/// The constants of the exponential-linear family
/// `phi(x) = lam x (x > 0), lam alpha (e^x - 1) (x <= 0)`: SELU ([`SELU`]), ELU (`lam = 1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EluParams {
    /// Scale lambda (> 0).
    pub lam: f64,
    /// Saturation alpha (>= 0; 0 is ReLU scaled by lambda).
    pub alpha: f64,
    /// lambda^2.
    pub l2: f64,
}

impl EluParams {
    /// Constants `(lambda, alpha)`.
    ///
    /// ```
    /// let p = ntk::activation::selu::EluParams::new(1.0, 1.0);
    /// assert_eq!(p, ntk::activation::selu::EluParams::elu(1.0));
    /// ```
    pub const fn new(lam: f64, alpha: f64) -> Self {
        EluParams {
            lam,
            alpha,
            l2: lam * lam,
        }
    }

    /// ELU with saturation `alpha` (lambda = 1).
    ///
    /// ```
    /// assert_eq!(ntk::activation::selu::EluParams::elu(0.5).lam, 1.0);
    /// ```
    pub const fn elu(alpha: f64) -> Self {
        Self::new(1.0, alpha)
    }
}

/// The standard SELU constants.
pub const SELU: EluParams = EluParams::new(LAMBDA, ALPHA);

/// phi(x) of the family with constants `p`.
///
/// ```
/// use ntk::activation::selu::{phi_with, EluParams};
/// assert_eq!(phi_with(&EluParams::elu(2.0), 3.0), 3.0);
/// assert!((phi_with(&EluParams::elu(2.0), -1.0) - 2.0 * (-1.0f64).exp_m1()).abs() < 1e-16);
/// ```
#[inline]
pub fn phi_with(p: &EluParams, x: f64) -> f64 {
    if x > 0.0 {
        p.lam * x
    } else {
        p.lam * p.alpha * x.exp_m1()
    }
}

/// phi'(x) of the family with constants `p` (left branch at 0).
///
/// ```
/// use ntk::activation::selu::{dphi_with, EluParams};
/// assert_eq!(dphi_with(&EluParams::elu(2.0), 0.0), 2.0);
/// ```
#[inline]
pub fn dphi_with(p: &EluParams, x: f64) -> f64 {
    if x > 0.0 {
        p.lam
    } else {
        p.lam * p.alpha * x.exp()
    }
}
pub(crate) const INV_2PI: f64 = 0.5 * std::f64::consts::FRAC_1_PI;
/// Below this sqrt(q1 q2), T is integrated from Price's theorem (see the module docs).
pub(crate) const R_SMALL: f64 = 0.2;
/// Above this 1 - C (C = new correlation), s' is taken from the plain formula.
pub(crate) const NEAR_ONE: f64 = 0.005;

/// selu(x).
///
/// ```
/// use ntk::activation::selu::{phi, ALPHA, LAMBDA};
/// assert_eq!(phi(2.0), 2.0 * LAMBDA);
/// assert!((phi(-1.0) - LAMBDA * ALPHA * ((-1.0f64).exp() - 1.0)).abs() < 1e-16);
/// ```
#[inline]
pub fn phi(x: f64) -> f64 {
    if x > 0.0 {
        LAMBDA * x
    } else {
        LAMBDA * ALPHA * x.exp_m1()
    }
}

/// selu'(x) (left branch at 0, as JAX).
///
/// ```
/// use ntk::activation::selu::{dphi, ALPHA, LAMBDA};
/// assert_eq!(dphi(0.0), LAMBDA * ALPHA);
/// assert_eq!(dphi(0.5), LAMBDA);
/// ```
#[inline]
pub fn dphi(x: f64) -> f64 {
    if x > 0.0 {
        LAMBDA
    } else {
        LAMBDA * ALPHA * x.exp()
    }
}

/// SELU dual on the pair covariance `(q1, q2, c)` with sine part `s = sqrt(q1 q2 - c^2) >= 0`
/// (pass it accurately): `T = E[selu(u) selu(v)]`, `Tdot = E[selu'(u) selu'(v)]` and the new
/// sine part (see the module docs for the formulas and their accuracy).
///
/// A variance that is not positive is a deterministic zero input (u = 0 almost surely);
/// non-finite arguments give NaN.
///
/// ```
/// use ntk::activation::selu::dual;
/// // self-normalising fixed point: unit variance maps to unit variance
/// let d = dual(1.0, 1.0, 1.0, 0.0);
/// assert!((d.t - 1.0).abs() < 1e-15);
/// assert_eq!(d.s, 0.0);
/// // orthogonal unit inputs: T = E[selu(u)]^2 = 0 at the fixed point
/// let d = dual(1.0, 1.0, 0.0, 1.0);
/// assert!(d.t.abs() < 1e-15);
/// ```
pub fn dual(q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    dual_with(&SELU, q1, q2, c, s)
}

/// The exponential-linear dual with constants `p` (see [`dual`] and the module docs): ELU is
/// `EluParams::elu(alpha)`, SELU `SELU`.
///
/// ```
/// use ntk::activation::selu::{dual, dual_with, SELU};
/// assert_eq!(dual_with(&SELU, 1.0, 2.0, 0.3, 1.38), dual(1.0, 2.0, 0.3, 1.38));
/// ```
pub fn dual_with(p: &EluParams, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    if !(q1.is_finite() && q2.is_finite() && c.is_finite() && s.is_finite()) {
        return Dual {
            t: f64::NAN,
            tdot: f64::NAN,
            s: f64::NAN,
        };
    }
    if !(q1 > 0.0 && q2 > 0.0) {
        return zero_variance(p, q1, q2);
    }
    let (a, b) = (q1.sqrt(), q2.sqrt());
    let rr = a * b;
    let s = if s > 0.0 { s } else { 0.0 };
    if s == 0.0 {
        return if c >= 0.0 {
            rho_one(p, q1, q2, a, b)
        } else {
            rho_minus_one(p, a, b)
        };
    }
    let rho = (c / rr).clamp(-1.0, 1.0);
    let r = (s / rr).min(1.0);
    let (mut t, tdot, m_a, m_b) = t_and_tdot(p, a, b, c, s, rho, r);
    // small variances: integrate T from Price's theorem instead
    if rr < R_SMALL {
        t = t_by_price(p, a, b, c, s);
    }
    let t11 = t_diag(p, a, m_a);
    let t22 = t_diag(p, b, m_b);
    let sq = t11.sqrt() * t22.sqrt();
    let cn = (t / sq).clamp(-1.0, 1.0);
    let s_new = if c > 0.0 && 1.0 - cn < NEAR_ONE {
        // T = T(rho = 1) - int_0^theta Tdot R sin (more accurate here than the closed form,
        // whose A4 cancels ~8-fold as rho -> 1), and S = sqrt(T11 T22) - T without cancellation
        let s_ang = price_sine(p, a, b, c, s);
        t = t_one(p, a, b) - s_ang;
        let big_s = bracket(p, q1, q2, a, b, t11, t22) + s_ang;
        (big_s.max(0.0) * (sq + t)).sqrt()
    } else {
        sq * ((1.0 - cn) * (1.0 + cn)).sqrt()
    };
    Dual { t, tdot, s: s_new }
}

/// `q1` or `q2` not positive: u = 0 (or v = 0) almost surely.
fn zero_variance(p: &EluParams, q1: f64, q2: f64) -> Dual {
    let d0 = p.lam * p.alpha; // phi'(0), left branch
    let mean_dphi = |q: f64| {
        if q > 0.0 {
            p.lam * (0.5 + p.alpha * mills(q.sqrt()))
        } else {
            d0
        }
    };
    let tdot = if q1 > 0.0 {
        mean_dphi(q1) * d0
    } else {
        d0 * mean_dphi(q2)
    };
    Dual {
        t: 0.0,
        tdot,
        s: 0.0,
    }
}

/// T at rho = +1 (v = (b/a) u): lam^2 (ab/2 + alpha^2 h(a, b)).
#[inline]
pub(crate) fn t_one(p: &EluParams, a: f64, b: f64) -> f64 {
    if a == b {
        t_diag(p, a, mills(a))
    } else {
        p.l2 * (0.5 * a * b + p.alpha * p.alpha * mills_mixed(a, b))
    }
}

/// The variance map q' = T at rho = 1 with a = b = sqrt(q), given M(a): every diagonal value
/// goes through here, so that var(q) and the T11, T22 used for s' agree bitwise.
#[inline]
pub(crate) fn t_diag(p: &EluParams, a: f64, m_a: f64) -> f64 {
    p.l2 * (0.5 * a * a + p.alpha * p.alpha * mills_mixed_diag(a, m_a))
}

fn rho_one(p: &EluParams, q1: f64, q2: f64, a: f64, b: f64) -> Dual {
    let t = t_one(p, a, b);
    let tdot = p.l2 * (0.5 + p.alpha * p.alpha * mills(a + b));
    let s = if q1 == q2 {
        0.0
    } else {
        let (t11, t22) = (t_one(p, a, a), t_one(p, b, b));
        let f = bracket(p, q1, q2, a, b, t11, t22);
        (f.max(0.0) * (t11.sqrt() * t22.sqrt() + t)).sqrt()
    };
    Dual { t, tdot, s }
}

fn rho_minus_one(p: &EluParams, a: f64, b: f64) -> Dual {
    let m = mills(a) + mills(b);
    let t = -p.l2 * p.alpha * a * b * m;
    let tdot = p.l2 * p.alpha * m;
    let (t11, t22) = (t_one(p, a, a), t_one(p, b, b));
    let sq = t11.sqrt() * t22.sqrt();
    let cn = (t / sq).clamp(-1.0, 1.0);
    Dual {
        t,
        tdot,
        s: sq * ((1.0 - cn) * (1.0 + cn)).sqrt(),
    }
}

/// (T, Tdot, M(a), M(b)) by the closed forms of the module docs, 0 < r.
#[inline]
fn t_and_tdot(
    p: &EluParams,
    a: f64,
    b: f64,
    c: f64,
    s: f64,
    rho: f64,
    r: f64,
) -> (f64, f64, f64, f64) {
    let g = tilts(a, b, rho, r);
    let p0 = s.atan2(-c) * INV_2PI;
    let gu_c = g.m_a - g.u;
    let gv_c = g.m_b - g.v;
    let tdot = p.l2 * (p0 + p.alpha * (gu_c + gv_c) + p.alpha * p.alpha * g.uv);
    let a1 = c * p0 + s * INV_2PI;
    let a2 = a * mills_m_half(s / a) * FRAC_1_SQRT_2PI + c * gv_c;
    let a3 = b * mills_m_half(s / b) * FRAC_1_SQRT_2PI + c * gu_c;
    let a4 = (g.uv - g.u) - (g.v - p0);
    let t = p.l2 * (a1 + p.alpha * (a2 + a3) + p.alpha * p.alpha * a4);
    (t, tdot, g.m_a, g.m_b)
}

/// E[selu(u)], u ~ N(0, a^2).
#[inline]
pub(crate) fn mean_phi(p: &EluParams, a: f64) -> f64 {
    p.lam * (a * FRAC_1_SQRT_2PI + p.alpha * mills_m_half(a))
}
