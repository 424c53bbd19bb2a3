//! GELU dual, phi(u) = u Phi(u) (exact GELU; Tsuchida, Pearce, van der Heide, Roosta,
//! Gallagher 2021 "Avoiding kernel fixed points", and neural-tangents' `stax.Gelu`), derived by
//! writing Phi(u) = P(g <= u) with independent g and Gaussian integration by parts
//! (`E[X Y F(W)] = Cov(X, Y) E F + sum_ij Cov(X, W_i) Cov(Y, W_j) E d_i d_j F`, W_i = u_i - g_i):
//!
//! ```text
//! D  = (1 + q1)(1 + q2) - c^2 = 1 + q1 + q2 + s^2                 (no cancellation)
//! P0 = 1/4 + atan2(c, sqrt D) / (2 pi)
//! N  = q1 q2 + c^2 kappa,   kappa = (1 - q1 q2) / ((1 + q1)(1 + q2))
//! T    = c P0 + N / (2 pi sqrt D)
//! Tdot = P0 + c (1 + 2 kappa + N / D) / (2 pi sqrt D)             (= dT/dc)
//! q'   = q/4 + q asin(q / (1 + q)) / (2 pi) + q^2 / (pi (1 + q) sqrt(1 + 2q))
//! ```
//!
//! New sine part: `s' = sqrt(T11 T22) sqrt((1 - C)(1 + C))`, C = T / sqrt(T11 T22), except
//! near C = 1 (c > 0, 1 - C < 1/200), where `sqrt(T11 T22) - T = F + int_0^theta Tdot(R cos t)
//! R sin t dt` (Price's theorem; theta = atan2(s, c), F = sqrt(T11 T22) - T(rho = 1), 0 for
//! q1 = q2) by the graded Gauss–Legendre panels of [`super::price`]. For |q1 - q2| <
//! 0.05 max(q1, q2), where F cancels, F is Lagrange's form of the Cauchy–Schwarz gap of GELU's
//! Hermite coefficients at the two variances ([`super::smooth::cs_gap`], with the coefficient
//! differences from the quadrature of `gelu(sqrt(q2) x) - gelu(sqrt(q1) x)` itself, so no
//! cancellation as q2 -> q1). Exact duplicates give
//! s' = 0 and T = q' bitwise. Zero variance (u = 0 a.s.): T = 0, Tdot = phi'(0) E phi'(v) = 1/4
//! falls out of the formulas.

use super::Dual;
use super::price;
use super::smooth::{self, Coeffs, Kind};
use crate::special::fastmath::atan2_xpos;
use crate::special::normal::{cdf, pdf};
use std::f64::consts::PI;

const INV_2PI: f64 = 0.5 / PI;

/// gelu(x) = x Phi(x).
///
/// ```
/// assert!((ntk::activation::gelu::phi(1.0) - 0.8413447460685429).abs() < 1e-15);
/// ```
#[inline]
pub fn phi(x: f64) -> f64 {
    x * cdf(x)
}

/// gelu'(x) = Phi(x) + x phi(x).
///
/// ```
/// assert_eq!(ntk::activation::gelu::dphi(0.0), 0.5);
/// ```
#[inline]
pub fn dphi(x: f64) -> f64 {
    cdf(x) + x * pdf(x)
}

/// (T, Tdot) at covariance c with sine part s (every operation commutative in (q1, q2), so
/// the order of the variances does not change a bit).
#[inline(always)]
fn t_tdot(q1: f64, q2: f64, c: f64, s: f64) -> (f64, f64) {
    let d = 1.0 + (q1 + q2) + s * s;
    let sd = d.sqrt();
    let p0 = 0.25 + atan2_xpos(c, sd) * INV_2PI;
    let kappa = (1.0 - q1 * q2) / ((1.0 + q1) * (1.0 + q2));
    let n = q1 * q2 + c * c * kappa;
    let t = c * p0 + n * INV_2PI / sd;
    let tdot = p0 + c * (1.0 + 2.0 * kappa + n / d) * INV_2PI / sd;
    (t, tdot)
}

/// GELU dual on `(q1, q2, c)` with sine part `s`.
///
/// ```
/// use ntk::activation::gelu::dual;
/// let d = dual(1.0, 1.0, 1.0, 0.0);
/// let q = 1.0f64;
/// let want = q / 4.0 + q * (q / (1.0 + q)).asin() / (2.0 * std::f64::consts::PI)
///     + q * q / (std::f64::consts::PI * (1.0 + q) * (1.0 + 2.0 * q).sqrt());
/// assert!((d.t - want).abs() < 1e-15);
/// assert_eq!(d.s, 0.0);
/// ```
pub fn dual(q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let t11 = t_tdot(q1, q1, q1, 0.0).0;
    let t22 = t_tdot(q2, q2, q2, 0.0).0;
    dual_vars(q1, q2, t11, t22, c, s)
}

/// [`dual`] given the post-activation variances `t11 = T(q1, q1, q1)`, `t22 = T(q2, q2, q2)`
/// (a kernel stores them per point: no per-entry recomputation). Bitwise equal to [`dual`].
///
/// ```
/// use ntk::activation::gelu::{dual, dual_vars};
/// let (v1, v2) = (dual(0.5, 0.5, 0.5, 0.0).t, dual(2.0, 2.0, 2.0, 0.0).t);
/// assert_eq!(dual_vars(0.5, 2.0, v1, v2, 0.3, 0.95), dual(0.5, 2.0, 0.3, 0.95));
/// ```
#[inline]
pub fn dual_vars(q1: f64, q2: f64, t11: f64, t22: f64, c: f64, s: f64) -> Dual {
    let (t, tdot, s_new, near) = main(q1, q2, t11, t22, t11.sqrt(), t22.sqrt(), c, s);
    if near {
        let (t, s_new) = near_one(q1, q2, t11, t22, c, s, t);
        Dual { t, tdot, s: s_new }
    } else {
        Dual { t, tdot, s: s_new }
    }
}

/// The closed form away from C = 1, branch-free (the kernel's column loops vectorize it):
/// `(T, Tdot, s', near)`; where `near` (c > 0, 1 - C < 1/200) the caller replaces T and s' by
/// [`near_one`]. `st_i = sqrt(t_ii)`. Commutative in the two points.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn main(
    q1: f64,
    q2: f64,
    t11: f64,
    t22: f64,
    st1: f64,
    st2: f64,
    c: f64,
    s: f64,
) -> (f64, f64, f64, bool) {
    let (t, tdot) = t_tdot(q1, q2, c, s);
    let sq = if q1 == q2 { t11.min(t22) } else { st1 * st2 };
    let cn = (t / sq).clamp(-1.0, 1.0);
    let s_new = sq * ((1.0 - cn) * (1.0 + cn)).sqrt();
    let live = sq > 0.0;
    let near = c > 0.0 && 1.0 - cn < 0.005;
    (t, tdot, if live { s_new } else { 0.0 }, live && near)
}

/// `(T, s')` near C = 1 (module docs): Price's theorem and the Cauchy–Schwarz gap. Symmetric
/// in the two points (they are put in ascending order of variance first).
#[cold]
pub(crate) fn near_one(q1: f64, q2: f64, t11: f64, t22: f64, c: f64, s: f64, t: f64) -> (f64, f64) {
    let (q1, q2, t11, t22) = if q2 < q1 {
        (q2, q1, t22, t11)
    } else {
        (q1, q2, t11, t22)
    };
    let sq = if q1 == q2 {
        t11
    } else {
        t11.sqrt() * t22.sqrt()
    };
    let (a, b) = (q1.sqrt(), q2.sqrt());
    let rr = a * b;
    let t1 = t_tdot(q1, q2, rr, 0.0).0;
    // the Cauchy–Schwarz gap F = sqrt(T11 T22) - T1 cancels as q2 -> q1: from the Hermite
    // coefficients by Lagrange's identity when the variances are close
    let f = if q1 == q2 {
        0.0
    } else if (q1 - q2).abs() < 0.05 * q1.max(q2) {
        let (c1, c2) = (Coeffs::new(Kind::Gelu, q1), Coeffs::new(Kind::Gelu, q2));
        smooth::cs_gap(&c1, &c2, sq)
    } else {
        sq - t1
    };
    let ang = price::sine_integral(rr, s.atan2(c), a.max(b).max(1.0), |sn, cs| {
        t_tdot(q1, q2, rr * cs, rr * sn).1
    });
    let t = if s > 0.0 { t1 - ang } else { t };
    let big_s = (f + ang).max(0.0);
    (t, big_s.sqrt() * (sq + t).max(0.0).sqrt())
}
