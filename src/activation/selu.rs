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

use super::Dual;
use crate::special::bvn::{GL6_PUB as GL6, GL8_PUB, GL12_PUB as GL12, tilts};
use crate::special::normal::{FRAC_1_SQRT_2PI, mills, mills_m_half, mills_mixed, mills_mixed_diag};
use std::f64::consts::FRAC_PI_2;

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
const INV_2PI: f64 = 0.5 * std::f64::consts::FRAC_1_PI;
/// Below this sqrt(q1 q2), T is integrated from Price's theorem (see the module docs).
const R_SMALL: f64 = 0.2;
/// Above this 1 - C (C = new correlation), s' is taken from the plain formula.
const NEAR_ONE: f64 = 0.005;

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
fn t_one(p: &EluParams, a: f64, b: f64) -> f64 {
    if a == b {
        t_diag(p, a, mills(a))
    } else {
        p.l2 * (0.5 * a * b + p.alpha * p.alpha * mills_mixed(a, b))
    }
}

/// The variance map q' = T at rho = 1 with a = b = sqrt(q), given M(a): every diagonal value
/// goes through here, so that var(q) and the T11, T22 used for s' agree bitwise.
#[inline]
fn t_diag(p: &EluParams, a: f64, m_a: f64) -> f64 {
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

/// Tdot alone at covariance (R sin t, R cos t) given (sin t, cos t) (for the Price integrals).
#[inline]
fn tdot_at(p: &EluParams, a: f64, b: f64, sn: f64, cs: f64) -> f64 {
    let g = tilts(a, b, sn, cs);
    let p0 = cs.atan2(-sn) * INV_2PI;
    p.l2 * (p0 + p.alpha * ((g.m_a - g.u) + (g.m_b - g.v)) + p.alpha * p.alpha * g.uv)
}

/// E[selu(u)], u ~ N(0, a^2).
#[inline]
fn mean_phi(p: &EluParams, a: f64) -> f64 {
    p.lam * (a * FRAC_1_SQRT_2PI + p.alpha * mills_m_half(a))
}

/// T = E[phi(u)] E[phi(v)] + int_0^{atan2(c, s)} Tdot(R sin t) R cos t dt (small variances).
///
/// Tdot(R sin t) varies on the scale 1/max(a, b) in pi/2 - |t| near |t| = pi/2, so for
/// |rho| > 0.7 the interval is cut into panels whose lengths double away from the end
/// nearest to +-pi/2 (8-point Gauss–Legendre each); 12-point Gauss–Legendre otherwise.
fn t_by_price(p: &EluParams, a: f64, b: f64, c: f64, s: f64) -> f64 {
    let rr = a * b;
    let th = c.atan2(s);
    let f = |t: f64| tdot_r_cos(p, a, b, t);
    let integral = if s >= 0.7 * rr {
        gl_integral(&GL12, 0.0, th, f)
    } else {
        // in d = pi/2 - |t|: from the end d_end = acos|rho| = atan2(s, |c|) (one panel up to
        // d_min, far below the scale 1/max(a, b)) then doubling panels up to pi/2
        let sign = th.signum();
        let panel = |d_lo: f64, d_hi: f64| {
            gl_integral(
                &GL8_PUB,
                sign * (FRAC_PI_2 - d_hi),
                sign * (FRAC_PI_2 - d_lo),
                f,
            )
        };
        let d_min = 1e-3 / a.max(b).max(1.0);
        let mut d = s.atan2(c.abs());
        let mut total = 0.0;
        if d < d_min {
            total += panel(d, d_min);
            d = d_min;
        }
        while 2.0 * d < FRAC_PI_2 {
            total += panel(d, 2.0 * d);
            d *= 2.0;
        }
        total + panel(d, FRAC_PI_2)
    };
    mean_phi(p, a) * mean_phi(p, b) + rr * integral
}

/// Tdot(R sin t) cos t.
#[inline]
fn tdot_r_cos(p: &EluParams, a: f64, b: f64, t: f64) -> f64 {
    let (sn, cs) = t.sin_cos();
    tdot_at(p, a, b, sn, cs) * cs
}

/// int_lo^hi f by a Gauss–Legendre rule given by its positive nodes.
#[inline]
fn gl_integral(rule: &[(f64, f64)], lo: f64, hi: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let mut sum = 0.0;
    for &(x, w) in rule {
        sum += w * (f(mid - half * x) + f(mid + half * x));
    }
    half * sum
}

/// int_0^theta Tdot(R cos t) R sin t dt, theta = atan2(s, c) (small: c > 0, s << c).
///
/// Tdot(R cos t) varies on the scale 1/max(a, b) near t = 0: one 6-point Gauss–Legendre panel
/// while theta max(a, b) <= 1/2, else panels halving towards 0 down to that size.
fn price_sine(p: &EluParams, a: f64, b: f64, c: f64, s: f64) -> f64 {
    let rr = a * b;
    let th = s.atan2(c);
    let f = |t: f64| {
        let (sn, cs) = t.sin_cos();
        tdot_at(p, a, b, cs, sn) * sn
    };
    let amax = a.max(b);
    let mut hi = th;
    let mut total = 0.0;
    for _ in 0..64 {
        if hi * amax <= 0.5 {
            break;
        }
        total += gl_integral(&GL6, 0.5 * hi, hi, f);
        hi *= 0.5;
    }
    rr * (total + gl_integral(&GL6, 0.0, hi, f))
}

/// F = sqrt(T11 T22) - T1(a, b) >= 0, T1 = T at rho = 1 (module docs); a = sqrt(q1), b = sqrt(q2).
fn bracket(p: &EluParams, q1: f64, q2: f64, a: f64, b: f64, t11: f64, t22: f64) -> f64 {
    if q1 == q2 {
        return 0.0;
    }
    let hi = a.max(b);
    let t1 = t_one(p, a, b);
    // a - b from q1 - q2 (exact when they are close): F ~ (a - b)^2 needs it to full precision
    let diff = ((q1 - q2) / (a + b)).abs();
    if diff > 0.2 * hi || hi > 30.0 {
        return t11.sqrt() * t22.sqrt() - t1;
    }
    // 2 D = int int_[lo,hi]^2 d^2 ln T1 / dx dy, symmetric integrand: i <= j only
    let half = 0.5 * diff;
    let mid = 0.5 * (a + b);
    let mut xs = [0.0; 6];
    let mut ws = [0.0; 6];
    for (i, &(x, w)) in GL6.iter().enumerate() {
        xs[2 * i] = mid - half * x;
        xs[2 * i + 1] = mid + half * x;
        ws[2 * i] = w;
        ws[2 * i + 1] = w;
    }
    let mx: [f64; 6] = xs.map(mills);
    let mut sum = 0.0;
    for i in 0..6 {
        for j in i..6 {
            let f = d12_log_t1(p, xs[i], xs[j], mx[i], mx[j]);
            let wij = ws[i] * ws[j];
            sum += if i == j { wij * f } else { 2.0 * wij * f };
        }
    }
    let d = 0.5 * half * half * sum;
    t1 * d.exp_m1()
}

/// d^2 ln T1(x, y) / dx dy with T1 / lam^2 = xy/2 + alpha^2 h(x, y), given M(x), M(y).
fn d12_log_t1(p: &EluParams, x: f64, y: f64, mx: f64, my: f64) -> f64 {
    let z = x + y;
    let mz = mills(z);
    // dh/dx = M'(z) - M'(x), M'(w) = w M(w) - 1/sqrt(2 pi); d2h/dxdy = M''(z) = M(z) + z M'(z)
    let a2 = p.alpha * p.alpha;
    let t = 0.5 * x * y + a2 * mills_mixed(x, y);
    let tx = 0.5 * y + a2 * (z * mz - x * mx);
    let ty = 0.5 * x + a2 * (z * mz - y * my);
    let txy = 0.5 + a2 * (mz + z * (z * mz - FRAC_1_SQRT_2PI));
    (t * txy - tx * ty) / (t * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t_one(a: f64, b: f64) -> f64 {
        super::t_one(&SELU, a, b)
    }
    fn mean_phi(a: f64) -> f64 {
        super::mean_phi(&SELU, a)
    }
    use crate::rng::Rng;

    /// n-point Gauss–Legendre on [-1, 1] by Newton's method on P_n (independent of the
    /// crate's tabulated rules).
    fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let k = k as f64;
                    (p0, p1) = (p1, ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k);
                }
                dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            out.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
        }
        out
    }

    /// Neumaier-compensated sum.
    #[derive(Default)]
    struct Sum(f64, f64);
    impl Sum {
        fn add(&mut self, v: f64) {
            let t = self.0 + v;
            self.1 += if self.0.abs() >= v.abs() {
                (self.0 - t) + v
            } else {
                (v - t) + self.0
            };
            self.0 = t;
        }
        fn get(&self) -> f64 {
            self.0 + self.1
        }
    }

    /// int_lo^hi f by composite Gauss–Legendre on panels of width <= w with extra breakpoints.
    fn composite(
        rule: &[(f64, f64)],
        lo: f64,
        hi: f64,
        w: f64,
        extra: &[f64],
        mut f: impl FnMut(f64) -> f64,
    ) -> f64 {
        let mut pts = vec![lo, hi];
        let n = ((hi - lo) / w).ceil() as usize;
        pts.extend((1..n).map(|i| lo + (hi - lo) * i as f64 / n as f64));
        pts.extend(extra.iter().copied().filter(|&p| p > lo && p < hi));
        pts.sort_by(f64::total_cmp);
        pts.dedup();
        let mut total = Sum::default();
        for p in pts.windows(2) {
            let (c, h) = (0.5 * (p[0] + p[1]), 0.5 * (p[1] - p[0]));
            let mut panel = 0.0;
            for &(x, wt) in rule {
                panel += wt * f(c + h * x);
            }
            total.add(h * panel);
        }
        total.get()
    }

    fn npdf(x: f64) -> f64 {
        (-0.5 * x * x).exp() * FRAC_1_SQRT_2PI
    }

    /// Brute-force E[f(u) g(v)]: u = a x, v = b (rho x + r z), x, z iid N(0,1), iterated
    /// composite 20-point Gauss–Legendre on [-12, 12]^2 split at the kinks u = 0 and v = 0.
    fn brute_expect(q1: f64, q2: f64, rho: f64, f: fn(f64) -> f64, g: fn(f64) -> f64) -> f64 {
        let gl = gauss_legendre(20);
        let (a, b) = (q1.sqrt(), q2.sqrt());
        let r = ((1.0 - rho) * (1.0 + rho)).max(0.0).sqrt();
        // the outer integrand changes over |x| ~ r around x = 0 (where P(v > 0 | x) switches);
        // e^u, e^v change over 1/a in x and 1/(b r) in z
        let extra: Vec<f64> = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
            .iter()
            .flat_map(|&k| [k * r, -k * r])
            .collect();
        let (wx, wz) = ((2.0 / a.max(b)).min(0.5), (2.0 / (b * r)).min(0.5));
        composite(&gl, -12.0, 12.0, wx, &extra, |x| {
            let inner = if r == 0.0 {
                g(b * rho * x)
            } else {
                let z0 = -rho * x / r;
                composite(&gl, -12.0, 12.0, wz, &[z0], |z| {
                    g(b * (rho * x + r * z)) * npdf(z)
                })
            };
            f(a * x) * inner * npdf(x)
        })
    }

    /// Brute-force (T, Tdot).
    fn brute(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
        (
            brute_expect(q1, q2, rho, phi, phi),
            brute_expect(q1, q2, rho, dphi, dphi),
        )
    }

    fn cov(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
        let rr = (q1 * q2).sqrt();
        (rho * rr, rr * ((1.0 - rho) * (1.0 + rho)).sqrt())
    }

    #[test]
    fn matches_brute_force_quadrature() {
        let cases = [
            (1.0, 1.0, 0.3),
            (1.0, 1.0, -0.7),
            (0.5, 2.0, 0.9),
            (2.0, 0.5, -0.95),
            (3.0, 3.0, 0.999),
            (0.2, 4.0, 0.0),
            (1.0, 1.0, 1.0),
            (1.0, 1.0, -1.0),
            (0.7, 1.3, 1.0),
            (9.0, 25.0, 0.5),
            (16.0, 20.0, -0.4),
            (0.01, 0.02, 0.4),
            (0.001, 0.5, -0.6),
        ];
        let (mut wt, mut wd) = (0.0f64, 0.0f64);
        for &(q1, q2, rho) in &cases {
            let (c, s) = cov(q1, q2, rho);
            let d = dual(q1, q2, c, s);
            let (t, td) = brute(q1, q2, rho);
            let scale = (dual(q1, q1, q1, 0.0).t * dual(q2, q2, q2, 0.0).t).sqrt();
            let (et, ed) = ((d.t - t).abs() / scale, (d.tdot - td).abs() / td);
            wt = wt.max(et);
            wd = wd.max(ed);
            if std::env::var("SELU_VERBOSE").is_ok() {
                continue;
            }
            assert!(
                et < 2e-15,
                "T({q1}, {q2}, {rho}) = {} vs brute force {t} (err {et:.1e})",
                d.t
            );
            assert!(
                ed < 2e-15,
                "Tdot({q1}, {q2}, {rho}) = {} vs brute force {td} (err {ed:.1e})",
                d.tdot
            );
        }
        println!(
            "selu dual vs brute-force 2-D quadrature: T {wt:.2e} (rel. to sqrt(T11 T22)), Tdot {wd:.2e}"
        );
    }

    /// (q1, q2, c, s, T, Tdot, s', sqrt(T11 T22)): 1-D adaptive quadrature (mpmath, 30 digits) of
    /// E[phi(u) g(u)] with g(u) = E[phi(v) | u] in closed form (a Gaussian conditional), and
    /// s' = sqrt(T11 T22 - T^2) formed in 30-digit arithmetic; s = sqrt(q1 q2 - c^2) exactly
    /// rounded. Covers rho near +-1, tiny, huge and unequal variances.
    type Reference = (f64, f64, f64, f64, f64, f64, f64, f64);
    #[rustfmt::skip]
    const REFERENCE: [Reference; 59] = [
    (1.0, 1.0, -0.99, 0.1410673597966589, -0.9566767115228872, 0.9734620504434397, 0.2911523134542366, 0.9999999999999999),
    (1.0, 1.0, -0.6, 0.8, -0.5789581645396283, 0.963386514058399, 0.8153572491324919, 0.9999999999999999),
    (1.0, 1.0, 0.0, 1.0, 7.435737241988834e-34, 0.9706803523007101, 0.9999999999999999, 0.9999999999999999),
    (1.0, 1.0, 0.3, 0.9539392014169457, 0.2928921722281284, 0.9828598343038024, 0.9561454781817922, 0.9999999999999999),
    (1.0, 1.0, 0.7, 0.7141428428542851, 0.6909519422437181, 1.0102810626364143, 0.7229006940857322, 0.9999999999999999),
    (1.0, 1.0, 0.95, 0.31224989991992, 0.9472756458575273, 1.0459077197364806, 0.32041980395288333, 0.9999999999999999),
    (0.5, 2.0, -0.9, 0.43588989435406733, -0.8665766340891466, 0.9681734853671463, 0.49673906861766953, 0.9988517232504656),
    (0.5, 2.0, 0.0, 1.0, -0.003712628633315761, 0.9612143599149808, 0.9988448234981526, 0.9988517232504656),
    (0.5, 2.0, 0.8, 0.6, 0.7785231469590473, 1.003463070901716, 0.6257846871643682, 0.9988517232504656),
    (3.0, 0.2, -0.6971370023173351, 0.33763886032268253, -0.7057263850335983, 1.0162281528893202, 0.3951591919700334, 0.8088266300827393),
    (3.0, 0.2, 0.0, 0.7745966692414834, -0.009717981291487338, 0.9911275955454487, 0.8087682476275998, 0.8088266300827393),
    (3.0, 0.2, 0.6196773353931867, 0.46475800154489005, 0.6075513114910385, 1.007149592031239, 0.5339306335438334, 0.8088266300827393),
    (0.001, 0.002, -0.0012727922061357855, 0.0006164414002968977, -0.00227802267936674, 1.8263969196500285, 0.0016935170361217836, 0.0028385537302196575),
    (0.001, 0.002, 0.0, 0.001414213562373095, 9.988609991325216e-05, 1.8996157251911088, 0.0028367957357532904, 0.0028385537302196575),
    (0.001, 0.002, 0.001131370849898476, 0.000848528137423857, 0.002279779262378568, 1.9597662525650357, 0.0016911516177364355, 0.0028385537302196575),
    (1e-06, 1e-06, -9e-07, 4.3588989435406735e-07, -1.6588032923396238e-06, 1.8816353444534395, 1.2795743376942957e-06, 2.0949794386491174e-06),
    (1e-06, 1e-06, 0.0, 1e-06, 7.939535919002653e-08, 1.9703715093031597, 2.0934744386549498e-06, 2.0949794386491174e-06),
    (1e-06, 1e-06, 8e-07, 6e-07, 1.682759103325607e-06, 2.0438283253447955, 1.2479024996117964e-06, 2.0949794386491174e-06),
    (1e-12, 3e-12, -1.5588457268119895e-12, 7.549834435270751e-13, -2.8754202695529507e-12, 1.8831558110062763, 2.2202964651181063e-12, 3.632871883176163e-12),
    (1e-12, 3e-12, 0.0, 1.7320508075688772e-12, 1.3794532933097038e-13, 1.9723371298110923, 3.6302519479627985e-12, 3.632871883176163e-12),
    (1e-12, 3e-12, 1.3856406460551019e-12, 1.0392304845413263e-12, 2.918050352767231e-12, 2.0461892644183948, 2.1639640150166456e-12, 3.632871883176163e-12),
    (1e-06, 1.0, -0.0009, 0.0004358898943540674, -0.0012641267633581752, 1.4219831839297608, 0.0007049560020389224, 0.0014474043797947818),
    (1e-06, 1.0, 0.0, 0.001, -7.522575051635061e-21, 1.3829681524943636, 0.0014474043797947818, 0.0014474043797947818),
    (1e-06, 1.0, 0.0008, 0.0006, 0.0010907885469980732, 1.3458487420331857, 0.0009513988566247855, 0.0014474043797947818),
    (100.0, 50.0, -63.63961030678928, 30.822070014844876, -11.093455006222447, 0.1965967213101822, 38.87102521100638, 40.42302988309728),
    (100.0, 50.0, 0.0, 70.71067811865476, 7.380541577206418, 0.37036583628343356, 39.743539738640585, 40.42302988309728),
    (100.0, 50.0, 56.568542494923804, 42.426406871192846, 32.402656842359036, 0.5266522914539562, 24.167936910007423, 40.42302988309728),
    (10000.0, 10000.0, -9000.0, 4358.898943540674, -86.8952279549046, 0.08684929904700855, 5520.705968955683, 5521.389786666418),
    (10000.0, 10000.0, 0.0, 10000.0, 1684.6812073261933, 0.2834109963337041, 5258.097983680619, 5521.389786666418),
    (10000.0, 10000.0, 8000.0, 6000.0, 4552.412024211657, 0.4462936776375015, 3124.3063131065373, 5521.389786666418),
    (1000000.0, 400000.0, -569209.9788303083, 275680.97504180437, 2187.5527169164557, 0.08020160484187183, 349101.63173737645, 349108.4855293381),
    (1000000.0, 400000.0, 0.0, 632455.5320336758, 110524.04910706208, 0.2769449904877317, 331151.2784779304, 349108.4855293381),
    (1000000.0, 400000.0, 505964.42562694073, 379473.3192202055, 288634.4149284441, 0.439872401959174, 196384.5950870456, 349108.4855293381),
    (1.0, 1.0, 0.9999995000000417, 0.0009999998333255103, 0.9999994642390989, 1.0714953376591212, 0.0010351432339793126, 0.9999999999999999),
    (1.0, 1.0, 0.9999999999995, 1.0000444493031753e-06, 0.999999999999464, 1.0715749128091354, 1.03521505156845e-06, 0.9999999999999999),
    (1.0, 1.0, 1.0, 0.0, 0.9999999999999999, 1.0715749924557991, 0.0, 0.9999999999999999),
    (2.0, 2.0, 1.99999999, 0.0001999999991422529, 1.722508387753429, 0.9466812630156132, 0.0001805918593894042, 1.7225083972202682),
    (1.0, 1.0001, 1.0000499937498124, 0.00010000500067050953, 1.0000391257426235, 1.0715573325055785, 0.00010437698833663166, 1.0000391311896883),
    (1.3, 1.30000001, 1.3000000049999998, 2.3501403688490627e-08, 1.2278800972449753, 1.0219657436010634, 2.3128109887666566e-08, 1.2278800972449755),
    (0.8, 1.1, 0.9380831519177818, 9.38083334407549e-06, 0.9502626067653615, 1.0827978985884996, 0.03978009783037289, 0.9510948838049199),
    (0.05, 0.05, 0.04999999999999975, 4.998001405968786e-09, 0.0828957513936947, 1.6702453812054845, 8.317018128449074e-09, 0.08289575139369512),
    (50.0, 50.0, 49.999999999975, 4.999689334752118e-05, 28.889355800942557, 0.6387496731333746, 3.0373322441200207e-05, 28.889355800958523),
    (1.0, 1.0, 0.9987502603949663, 0.04997916927067761, 0.9986641442937304, 1.067567388740804, 0.051671335400499646, 0.9999999999999999),
    (0.3, 0.31, 0.3048980238698432, 0.006098773668903668, 0.3890084145856974, 1.3165602947916213, 0.007996036867551768, 0.389090584856618),
    (1.0, 1.0, -0.999999999, 4.4721358906412234e-05, -0.9663940473033387, 0.9663976095217994, 0.2570652550164493, 0.9999999999999999),
    (0.5, 2.0, -0.999999, 0.0014142132088399936, -0.9635859801851522, 0.9636990509025776, 0.2630718985962661, 0.9988517232504656),
    (1.0, 1.0001, 1.0000499987500624, 1.3708987864941814e-08, 1.0000391311006913, 1.0715652958422286, 1.3341692280434485e-05, 1.0000391311896883),
    (0.49, 0.64, 0.56, 0.0, 0.6333206751774029, 1.1880364812712063, 0.019350897504673236, 0.6336162362514062),
    (2.25, 1.0, 1.5, 0.0, 1.3657129423910936, 0.9888291731958684, 0.16044507166294214, 1.3751052548934082),
        // around the switch to the Price integral for s' (1 - C ~ 1/200) and beyond it with
        // large variances (graded panels)
    (1.0, 1.0, 0.9959527330119943, 0.08987854919801082, 0.995682543954545, 1.0643339240276537, 0.09282387443004715, 0.9999999999999999),
    (1.0, 1.0, 0.9939560979566968, 0.10977830083717512, 0.9935591305521929, 1.0627115138237762, 0.11331484499557061, 0.9999999999999999),
    (4.0, 4.0, 3.995001041579865, 0.19991667708271044, 3.001835120349066, 0.8396156854104246, 0.15893129481307336, 3.006039461855425),
    (4.0, 4.0, 3.9800166611121033, 0.39933366658731045, 2.9892913814311153, 0.8350771202865663, 0.31687581658073427, 3.006039461855425),
    (25.0, 25.0, 24.875104131950643, 2.495835416170718, 14.908340043884861, 0.6639144705364111, 1.5789793146772737, 14.991723668086989),
    (400.0, 400.0, 399.50010415798647, 19.991667708271894, 221.95828605371474, 0.5768884101954063, 11.339857860673796, 222.247774171538),
    (10000.0, 10000.0, 9999.500004166654, 99.9983333415919, 5521.111083388237, 0.5569687361002055, 55.475951472728184, 5521.389786666418),
    (20.0, 21.0, 20.48467996787826, 0.6147248275505796, 12.46468396344224, 0.683962415708578, 0.4042164755720607, 12.471236396910214),
    (0.01, 0.01, 0.009950041652780258, 0.000998334166468276, 0.018662290581405738, 1.8709469027580494, 0.0018714298134628136, 0.018755888123241266),
    (0.02, 0.5, 0.09987502603949662, 0.004997916927067948, 0.14103638803686686, 1.4256729025052577, 0.030332720077749575, 0.14426134845411917),
    ];

    #[test]
    fn matches_high_precision_references() {
        let (mut wt, mut wd, mut ws, mut ws_rel) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for &(q1, q2, c, s, t, td, sn, sq) in &REFERENCE {
            let d = dual(q1, q2, c, s);
            let (et, ed, es) = (
                (d.t - t).abs() / sq,
                (d.tdot / td - 1.0).abs(),
                (d.s - sn).abs() / sq,
            );
            wt = wt.max(et);
            wd = wd.max(ed);
            ws = ws.max(es);
            if sn > 0.0 {
                ws_rel = ws_rel.max((d.s / sn - 1.0).abs());
            }
            // A4 = G_uv - G_u - G_v + P0 cancels up to ~8-fold as rho -> 1 (times alpha^2 = 2.8),
            // so the closed-form T carries up to ~5 ulps of sqrt(T11 T22) just before the Price
            // integral takes over (1 - C < 1/200); the plain formula for s' amplifies that error
            // dC of the new correlation C by sqrt(T11 T22)/s' = 1/sin(new angle) <= 10: hence
            // 1e-14 for s', not ~1e-15.
            assert!(
                et < 2e-15,
                "T({q1}, {q2}, {c}, {s}) = {:e} vs {t:e}: {et:.1e}",
                d.t
            );
            assert!(
                ed < 2e-15,
                "Tdot({q1}, {q2}, {c}, {s}) = {:e} vs {td:e}: {ed:.1e}",
                d.tdot
            );
            assert!(
                es < 1e-14,
                "s'({q1}, {q2}, {c}, {s}) = {:e} vs {sn:e}: {es:.1e}",
                d.s
            );
            // where s' << sqrt(T11 T22) (near-duplicates, where a plain sqrt(T11 T22 - T^2) would
            // keep only half the digits) it is also relatively accurate
            if sn > 0.0 && sn < 1e-2 * sq {
                assert!(
                    (d.s / sn - 1.0).abs() < 4e-15,
                    "s'({q1}, {q2}, {c}, {s}) = {:e} vs {sn:e}",
                    d.s
                );
            }
        }
        println!(
            "selu vs 30-digit references: T {wt:.1e}, Tdot {wd:.1e}, s' {ws:.1e} (rel. to sqrt(T11 T22)); s' relative {ws_rel:.1e}"
        );
    }

    /// Rough ns per call against the ReLU dual (run with `--ignored --nocapture` in release).
    #[test]
    #[ignore]
    fn timing_ns_per_call() {
        use std::hint::black_box;
        use std::time::Instant;
        let n = 100_000;
        let bench = |label: &str, equal: bool, rho: f64| {
            let inputs: Vec<(f64, f64, f64, f64)> = (0..n)
                .map(|i| {
                    let q1 = 0.5 + 2.5 * (i as f64 / n as f64);
                    let q2 = if equal {
                        q1
                    } else {
                        1.0 + 0.3 * (i % 7) as f64
                    };
                    let (c, s) = cov(q1, q2, rho);
                    (q1, q2, c, s)
                })
                .collect();
            let time = |f: &dyn Fn(f64, f64, f64, f64) -> Dual| {
                let t0 = Instant::now();
                let mut acc = 0.0;
                for &(q1, q2, c, s) in &inputs {
                    let d = f(black_box(q1), q2, c, s);
                    acc += d.t + d.tdot + d.s;
                }
                black_box(acc);
                t0.elapsed().as_nanos() as f64 / n as f64
            };
            let relu = time(&|q1, q2, c, s| crate::activation::relu::dual(q1, q2, c, s));
            let selu = time(&|q1, q2, c, s| dual(q1, q2, c, s));
            println!(
                "{label:>28}: selu {selu:7.1} ns, relu {relu:5.1} ns, ratio {:5.1}",
                selu / relu
            );
        };
        for &rho in &[0.0, 0.3, 0.6, 0.9, 0.95, 0.999, -0.5, -0.95] {
            bench(&format!("rho {rho}, q1 != q2"), false, rho);
        }
        for &rho in &[0.0, 0.6, 0.9] {
            bench(&format!("rho {rho}, q1 == q2"), true, rho);
        }
    }

    #[test]
    fn price_theorem_dt_dc_equals_tdot() {
        let cases: [(f64, f64, f64); 5] = [
            (1.0, 1.0, 0.3),
            (0.5, 2.0, -0.8),
            (4.0, 9.0, 0.9),
            (0.03, 0.02, 0.5),
            (30.0, 1.0, -0.2),
        ];
        for &(q1, q2, rho) in &cases {
            let rr = (q1 * q2).sqrt();
            let c = rho * rr;
            let h = 1e-5 * rr;
            let t = |c: f64| dual(q1, q2, c, (rr * rr - c * c).sqrt()).t;
            let fd = (t(c + h) - t(c - h)) / (2.0 * h);
            let td = dual(q1, q2, c, (rr * rr - c * c).sqrt()).tdot;
            assert!(
                (fd / td - 1.0).abs() < 1e-7,
                "{q1} {q2} {rho}: dT/dc = {fd}, Tdot = {td}"
            );
        }
    }

    #[test]
    fn monte_carlo_agrees_within_five_standard_errors() {
        let n = 1_000_000;
        let cases: [(f64, f64, f64); 3] = [(1.0, 1.0, 0.6), (0.5, 3.0, -0.5), (2.0, 0.3, 0.95)];
        for (case, &(q1, q2, rho)) in cases.iter().enumerate() {
            let mut rng = Rng::stream(20240611, &[case as u64]);
            let (a, b) = (q1.sqrt(), q2.sqrt());
            let r = ((1.0 - rho) * (1.0 + rho)).sqrt();
            let (mut st, mut st2, mut sd, mut sd2) = (0.0, 0.0, 0.0, 0.0);
            for _ in 0..n {
                let (x, z) = (rng.normal(), rng.normal());
                let (u, v) = (a * x, b * (rho * x + r * z));
                let (ft, fd) = (phi(u) * phi(v), dphi(u) * dphi(v));
                st += ft;
                st2 += ft * ft;
                sd += fd;
                sd2 += fd * fd;
            }
            let nf = n as f64;
            let (mt, md) = (st / nf, sd / nf);
            let (set, sed) = (
                ((st2 / nf - mt * mt) / nf).sqrt(),
                ((sd2 / nf - md * md) / nf).sqrt(),
            );
            let (c, s) = cov(q1, q2, rho);
            let d = dual(q1, q2, c, s);
            assert!(
                (d.t - mt).abs() < 5.0 * set,
                "T {} vs MC {mt} +- {set}",
                d.t
            );
            assert!(
                (d.tdot - md).abs() < 5.0 * sed,
                "Tdot {} vs MC {md} +- {sed}",
                d.tdot
            );
        }
    }

    #[test]
    fn self_normalising_fixed_point() {
        // with the standard constants q = 1 is a fixed point of the variance map and E[selu(u)] = 0
        let d = dual(1.0, 1.0, 1.0, 0.0);
        assert!((d.t - 1.0).abs() < 1e-15, "{}", d.t);
        assert!(mean_phi(1.0).abs() < 1e-15, "{}", mean_phi(1.0));
        // hence orthogonal unit-variance inputs stay uncorrelated
        assert!(dual(1.0, 1.0, 0.0, 1.0).t.abs() < 1e-15);
    }

    #[test]
    fn duplicates_are_exact() {
        for &q in &[1e-12, 1e-3, 0.4, 1.0, 2.7, 1e3, 1e6] {
            let d = dual(q, q, q, 0.0);
            assert_eq!(d.s, 0.0);
            assert_eq!(d.t, t_one(q.sqrt(), q.sqrt()));
            assert!(d.t > 0.0 && d.tdot > 0.0);
        }
    }

    #[test]
    fn zero_and_extreme_variances_are_finite() {
        let d0 = LAMBDA * ALPHA;
        let d = dual(0.0, 1.0, 0.0, 0.0);
        assert_eq!(d.t, 0.0);
        assert_eq!(d.s, 0.0);
        assert!((d.tdot / (d0 * LAMBDA * (0.5 + ALPHA * mills(1.0))) - 1.0).abs() < 1e-15);
        assert_eq!(
            dual(0.0, 0.0, 0.0, 0.0),
            Dual {
                t: 0.0,
                tdot: d0 * d0,
                s: 0.0
            }
        );
        assert_eq!(dual(2.0, 0.0, 0.0, 0.0).tdot, dual(0.0, 2.0, 0.0, 0.0).tdot);
        let qs = [1e-12, 1e-7, 1e-3, 0.1, 1.0, 7.0, 1e2, 1e4, 1e6];
        let rhos = [
            -1.0,
            -0.999_999_9,
            -0.9,
            -0.3,
            0.0,
            0.4,
            0.93,
            0.999_999_9,
            1.0,
        ];
        for &q1 in &qs {
            for &q2 in &qs {
                for &rho in &rhos {
                    let (c, s) = cov(q1, q2, rho);
                    let d = dual(q1, q2, c, s);
                    assert!(
                        d.t.is_finite() && d.tdot.is_finite() && d.s.is_finite(),
                        "{q1} {q2} {rho}: {d:?}"
                    );
                    assert!(d.tdot > 0.0 && d.s >= 0.0, "{q1} {q2} {rho}: {d:?}");
                    let (t11, t22) = (dual(q1, q1, q1, 0.0).t, dual(q2, q2, q2, 0.0).t);
                    let sq = t11.sqrt() * t22.sqrt();
                    assert!(
                        d.t.abs() <= sq * (1.0 + 1e-14),
                        "{q1} {q2} {rho}: |T| > sqrt(T11 T22)"
                    );
                    // symmetric in the two inputs
                    let e = dual(q2, q1, c, s);
                    assert!((d.t - e.t).abs() <= 1e-15 * sq, "{q1} {q2} {rho}");
                    assert!((d.tdot - e.tdot).abs() <= 1e-15 * d.tdot);
                    // s' = sqrt(T11 T22 (1 - C^2)) has sensitivity sq^2 |dC| / s' to rounding of C
                    // (C -> -1 happens for very unequal variances at rho = -1)
                    let tol_s = 1e-15 * sq * (0.5 * sq / d.s.max(f64::MIN_POSITIVE)).max(1.0);
                    assert!(
                        (d.s - e.s).abs() <= tol_s,
                        "{q1} {q2} {rho}: s {} vs {} (scale {sq})",
                        d.s,
                        e.s
                    );
                }
            }
        }
        // T grows like lam^2 q/2 for large q
        let q = 1e6;
        let t = dual(q, q, q, 0.0).t;
        assert!((t / (L2 * q / 2.0) - 1.0).abs() < 1e-2);
    }

    #[test]
    fn sine_part_near_one_matches_first_order() {
        // equal variances, small angle theta: T11 - T = int_0^theta Tdot R sin ~ Tdot(R) R theta^2/2,
        // so s' ~ theta sqrt(T11 Tdot(R) R) (1 + O(theta))
        for &q in &[0.05, 1.0, 3.0, 40.0] {
            let t11 = dual(q, q, q, 0.0).t;
            let tdot1 = dual(q, q, q, 0.0).tdot;
            for &th in &[1e-9f64, 1e-7] {
                let d = dual(q, q, q * th.cos(), q * th.sin());
                let lin = th * (t11 * tdot1 * q).sqrt();
                assert!(
                    (d.s / lin - 1.0).abs() < 1e-5 * (th / 1e-7).max(1.0),
                    "{q} {th}: {} vs {lin}",
                    d.s
                );
                // and it is far more accurate than the naive formula's sqrt(eps) ~ 1e-8 * T11
                assert!(d.s > 0.0);
            }
        }
    }
}
