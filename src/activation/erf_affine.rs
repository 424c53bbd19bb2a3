//! Dual of neural-tangents' `Erf(a, b, c)`, phi(u) = a erf(b u) + c (its `Sigmoid_like` is
//! a = 1/2, b = 1/2.4020563531719796, c = 1/2), from the erf dual (T_e, Tdot_e, s_e) of
//! [`super::erf`] at the scaled covariance `b^2 (q1, q2, c, s)` (E erf(b u) = 0):
//!
//! ```text
//! T = a^2 T_e + c^2,   Tdot = a^2 b^2 Tdot_e,   T11 = a^2 V_1 + c^2  (V_i = T_e(q_i, q_i, q_i))
//! T11 T22 - T^2 = a^4 s_e^2 + a^2 c^2 (V_1 + V_2 - 2 T_e)
//! V_1 + V_2 - 2 T_e = (sqrt V_1 - sqrt V_2)^2 + 2 s_e^2 / (sqrt(V_1 V_2) + T_e)   (T_e > 0)
//! ```
//!
//! so the new sine part is a sum of non-negative terms, as accurate as erf's own.

use super::Dual;
use super::erf;
use std::f64::consts::FRAC_2_PI;

/// Dual of `a erf(b u) + c0` on `(q1, q2, c)` with sine part `s`.
///
/// ```
/// use ntk::activation::{erf, erf_affine};
/// let d = erf_affine::dual(2.0, 1.0, 0.0, 1.0, 2.0, 0.5, 1.32);
/// let e = erf::dual(1.0, 2.0, 0.5, 1.32);
/// assert_eq!((d.t, d.tdot), (4.0 * e.t, 4.0 * e.tdot));
/// ```
pub fn dual(a: f64, b: f64, c0: f64, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let (t, tdot, s) = dual_t(a, b, c0, q1, q2, c, s);
    Dual { t, tdot, s }
}

/// [`dual`] as `(T, Tdot, s')`, branch-free (the kernel's column loops vectorize it; the
/// scalar path runs the same code). `V_i = (2/pi) a_i` from the erf dual's own angles.
#[inline(always)]
pub(crate) fn dual_t(a: f64, b: f64, c0: f64, q1: f64, q2: f64, c: f64, s: f64) -> (f64, f64, f64) {
    let b2 = b * b;
    let (et, etdot, es, a1, a2) = erf::dual_angles(b2 * q1, b2 * q2, b2 * c, b2 * s);
    let (v1, v2) = (FRAC_2_PI * a1, FRAC_2_PI * a2);
    let a2c = a * a;
    let d = v1.sqrt() - v2.sqrt();
    let dist_pos = d * d + 2.0 * es * (es / (v1.sqrt() * v2.sqrt() + et));
    let dist_neg = v1 + v2 - 2.0 * et;
    let dist = if et > 0.0 { dist_pos } else { dist_neg };
    (
        a2c * et + c0 * c0,
        a2c * b2 * etdot,
        a.abs() * (a2c * es * es + c0 * c0 * dist.max(0.0)).sqrt(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_part_matches_naive_and_duplicates_are_exact() {
        for &(a, b, c0) in &[(1.0, 1.0, 0.0), (0.5, 0.4, 0.5), (2.0, 3.0, -1.0)] {
            for &rho in &[-0.9, -0.3, 0.0, 0.5, 0.9] {
                let (q1, q2) = (0.8f64, 1.7f64);
                let r = q1.sqrt() * q2.sqrt();
                let (c, s) = (rho * r, r * (1.0 - rho * rho).sqrt());
                let d = dual(a, b, c0, q1, q2, c, s);
                let t11 = dual(a, b, c0, q1, q1, q1, 0.0).t;
                let t22 = dual(a, b, c0, q2, q2, q2, 0.0).t;
                let naive = (t11 * t22 - d.t * d.t).sqrt();
                assert!(
                    (d.s - naive).abs() < 1e-14,
                    "{a} {b} {c0} {rho}: {} {naive}",
                    d.s
                );
            }
            let d = dual(a, b, c0, 1.1, 1.1, 1.1, 0.0);
            assert_eq!(d.s, 0.0);
        }
    }
}
