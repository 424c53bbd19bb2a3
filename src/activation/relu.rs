//! ReLU dual (arc-cosine kernel of degree 1), phi(u) = max(0, u):
//!
//! ```text
//! R = sqrt(q1 q2),  s = sqrt(q1 q2 - c^2),  theta = atan2(s, c) in [0, pi]
//! Tdot = (pi - theta) / (2 pi)                       = P(u > 0, v > 0)
//! T    = (s + (pi - theta) c) / (2 pi)               = R (sin t + (pi - t) cos t) / (2 pi)
//! ```
//!
//! The new sine part is `s' = sqrt(q1' q2' - T^2) = R sqrt((pi - g)(pi + g)) / (2 pi)` with
//! `g = (s + (pi - theta) c) / R`. `pi - g` is computed without cancellation:
//! for c >= 0, `pi - g = pi (1 - cos theta) - (sin theta - theta cos theta)` with
//! `1 - cos theta = s^2 / (R (R + c))`; for c < 0, `g <= 1` so `pi - g` is benign, and
//! `pi - theta = atan2(s, -c)` is taken directly. This keeps correlations of exactly +-1
//! exact (s = 0 stays 0) and near +-1 accurate to O(eps) absolute in s.
//!
//! A variance of exactly 0 (a zero input with no bias) means u = 0 almost surely:
//! T = phi(0) E[phi(v)] = 0 and Tdot = phi'(0) E[phi'(v)] = 0 (JAX's phi'(0) = 0).

use super::Dual;
use crate::special::fastmath::atan_ratio;
use std::f64::consts::{FRAC_1_PI, PI};

const INV_2PI: f64 = 0.5 * FRAC_1_PI;

/// ReLU dual on the pair covariance `(q1, q2, c)` with sine part `s`.
///
/// ```
/// // Orthogonal unit inputs: T = 1/(2 pi), Tdot = 1/4.
/// let d = ntk::activation::relu::dual(1.0, 1.0, 0.0, 1.0);
/// assert!((d.t - 1.0 / (2.0 * std::f64::consts::PI)).abs() < 1e-16);
/// assert_eq!(d.tdot, 0.25);
/// ```
#[inline]
pub fn dual(q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let (t, tdot, s) = dual_r(q1.sqrt() * q2.sqrt(), c, s);
    Dual { t, tdot, s }
}

/// [`dual`] given `r = sqrt(q1) sqrt(q2)`, returning `(T, Tdot, s')`. Branch-free (both
/// sides of every case are computed and selected), so that loops over entries vectorize;
/// the kernel's vectorized path and the scalar path run this same code and agree bitwise.
#[inline(always)]
pub(crate) fn dual_r(r: f64, c: f64, s: f64) -> (f64, f64, f64) {
    dual_r_angle(r, c, s, angle(c, s))
}

/// The first stage of [`dual_r`]: `a = atan(s / |c|)` in `[0, pi/2]`. The kernel's column
/// loop computes it for a whole column before [`dual_r_angle`] (two short dependency chains
/// overlap across entries where one long one did not); same operations, same bits.
#[inline(always)]
pub(crate) fn angle(c: f64, s: f64) -> f64 {
    atan_ratio(s, c.abs())
}

/// The rest of [`dual_r`], given `a = angle(c, s)`.
#[inline(always)]
pub(crate) fn dual_r_angle(r: f64, c: f64, s: f64, a: f64) -> (f64, f64, f64) {
    let pos = c >= 0.0;
    // theta = a (c >= 0) or pi - a (c < 0)
    let theta = if pos { a } else { PI - a };
    let tdot = if pos {
        0.5 - theta * INV_2PI
    } else {
        a * INV_2PI
    };
    // pi - g, g = (s + (pi - theta) c) / r:
    // c >= 0: pi (1 - cos theta) - (sin theta - theta cos theta), the latter by its series
    //         for small theta (where sin theta and theta cos theta agree to many digits)
    // c < 0:  g = (s + a c) / r <= 1, no cancellation
    let inv_r = 1.0 / r;
    let sr = s * inv_r;
    let t2 = theta * theta;
    let h_series = theta * t2 / 3.0 * (1.0 - t2 / 10.0 * (1.0 - t2 / 28.0 * (1.0 - t2 / 54.0)));
    let h_direct = sr - theta * (c * inv_r);
    let h = if theta < 0.02 { h_series } else { h_direct };
    let pmg_pos = PI * sr * (s / (r + c)) - h;
    let pmg_neg = PI - (s + a * c) * inv_r;
    let pmg = (if pos { pmg_pos } else { pmg_neg }).clamp(0.0, PI);
    let t = s * INV_2PI + tdot * c;
    let s_new = r * INV_2PI * (pmg * (2.0 * PI - pmg)).sqrt();
    // a zero variance (a zero input without bias): u = 0 a.s., T = 0, Tdot = phi'(0) E[..] = 0
    let live = r > 0.0;
    (
        if live { t } else { 0.0 },
        if live { tdot } else { 0.0 },
        if live { s_new } else { 0.0 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Straight textbook formulas, for comparison away from rho = +-1.
    fn textbook(q1: f64, q2: f64, c: f64) -> (f64, f64) {
        let r = (q1 * q2).sqrt();
        let th = (c / r).clamp(-1.0, 1.0).acos();
        (
            (r * th.sin() + (PI - th) * c) / (2.0 * PI),
            (PI - th) / (2.0 * PI),
        )
    }

    #[test]
    fn matches_textbook_and_s_is_consistent() {
        for &(q1, q2, rho) in &[
            (1.0f64, 1.0f64, 0.3f64),
            (2.0, 0.5, -0.7),
            (0.1, 3.0, 0.95),
            (1.0, 4.0, -0.2),
        ] {
            let r: f64 = (q1 * q2).sqrt();
            let c = rho * r;
            let s = (q1 * q2 - c * c).sqrt();
            let d = dual(q1, q2, c, s);
            let (t, td) = textbook(q1, q2, c);
            assert!((d.t - t).abs() < 1e-15 * r, "{q1} {q2} {rho}");
            assert!((d.tdot - td).abs() < 1e-15);
            let s_naive = (q1 * q2 / 4.0 - d.t * d.t).sqrt();
            assert!((d.s - s_naive).abs() < 1e-14 * r, "{} vs {}", d.s, s_naive);
        }
    }

    #[test]
    fn exact_at_plus_minus_one() {
        let d = dual(2.0, 2.0, 2.0, 0.0);
        assert_eq!((d.t, d.tdot, d.s), (1.0, 0.5, 0.0));
        let d = dual(2.0, 2.0, -2.0, 0.0);
        assert_eq!((d.t, d.tdot), (0.0, 0.0));
        assert!((d.s - 1.0).abs() < 1e-15); // T = 0, q' = 1: s' = 1
        // zero variance
        assert_eq!(
            dual(0.0, 1.0, 0.0, 0.0),
            Dual {
                t: 0.0,
                tdot: 0.0,
                s: 0.0
            }
        );
    }

    #[test]
    fn near_one_sine_part_is_accurate() {
        // compare s' with the series pi - g = pi theta^2/2 - theta^3/3 - pi theta^4/24 + theta^5/30 + ...
        for &th in &[1e-9f64, 1e-6, 1e-4] {
            let d = dual(1.0, 1.0, th.cos(), th.sin());
            let pmg = PI * th * th / 2.0 - th.powi(3) / 3.0 - PI * th.powi(4) / 24.0
                + th.powi(5) / 30.0
                + PI * th.powi(6) / 720.0;
            let s_ref = (pmg * (2.0 * PI - pmg)).sqrt() / (2.0 * PI);
            assert!(
                (d.s - s_ref).abs() < 1e-14 * s_ref,
                "{th}: {} {}",
                d.s,
                s_ref
            );
        }
    }
}
