//! erf dual, phi(u) = erf(u) (Williams 1997):
//!
//! ```text
//! P' = 1 + 2 (q1 + q2) + 4 s^2            (= (1 + 2 q1)(1 + 2 q2) - 4 c^2, no cancellation)
//! T    = (2/pi) atan2(2c, sqrt(P'))       (= (2/pi) arcsin(2c / sqrt((1+2q1)(1+2q2))))
//! Tdot = (4/pi) / sqrt(P')
//! q'   = (2/pi) atan2(2q, sqrt(1 + 4q))   (the same formula at c = q, s = 0)
//! ```
//!
//! New sine part: `s' = (2/pi) sqrt(a1 a2 - b^2)` with `a_i = atan2(2 q_i, sqrt(1 + 4 q_i))` and
//! `b = |atan2(2c, sqrt(P'))|`. Near |rho| = 1 this difference cancels, so there it is
//! computed as `e1 e2 + b (e1 + e2)` with `e_i = a_i - b = asin((A_i^2 - B^2)/(A_i cos b + B cos a_i))`,
//! `A_i = sin a_i = 2 q_i / (1 + 2 q_i)`, `B = sin b`, and the cancellation-free
//! `A_i^2 - B^2 = 4 [q_i (q_i - q_j) + s^2 (1 + 2 q_i)] / ((1 + 2 q_i)^2 (1 + 2 q_j))`.
//! erf is odd, so T(-c) = -T(c) and both ends rho = +-1 are handled by |c|.

use super::Dual;
use crate::special::fastmath::{atan_nonneg, atan_ratio, atan2_xpos};
use std::f64::consts::FRAC_2_PI;

const FOUR_OVER_PI: f64 = 2.0 * FRAC_2_PI;

/// sqrt(1 + 2 (q1 + q2) + 4 s^2) without overflow for huge variances (branch-free).
#[inline(always)]
fn sqrt_p(q1: f64, q2: f64, s: f64) -> f64 {
    let m = q1 + q2 + s;
    let plain = (1.0 + 2.0 * (q1 + q2) + 4.0 * s * s).sqrt();
    let (a, b, t) = (q1 / m, q2 / m, s / m);
    let scaled = m * (1.0 / (m * m) + 2.0 * (a + b) / m + 4.0 * t * t).sqrt();
    if m < 1e150 { plain } else { scaled }
}

/// erf dual on the pair covariance `(q1, q2, c)` with sine part `s`.
///
/// ```
/// // Identical inputs of variance q: T = q' = (2/pi) asin(2q/(1+2q)).
/// let q = 0.7;
/// let d = ntk::activation::erf::dual(q, q, q, 0.0);
/// let want = std::f64::consts::FRAC_2_PI * (2.0 * q / (1.0 + 2.0 * q)).asin();
/// assert!((d.t - want).abs() < 1e-15);
/// assert_eq!(d.s, 0.0);
/// ```
#[inline]
pub fn dual(q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let (t, tdot, s, _, _) = dual_angles(q1, q2, c, s);
    Dual { t, tdot, s }
}

/// `(T, Tdot, s', a1, a2)`: the dual and the variance angles `a_i = atan2(2 q_i, sqrt(1 + 4 q_i))`
/// (so that `T(q_i, q_i, q_i) = (2/pi) a_i` bitwise). Branch-free (both formulas for the sine
/// part are computed and one selected), for the kernel's column loops; commutative in the two
/// points.
#[inline(always)]
pub(crate) fn dual_angles(q1: f64, q2: f64, c: f64, s: f64) -> (f64, f64, f64, f64, f64) {
    let sp = sqrt_p(q1, q2, s);
    let beta = atan2_xpos(2.0 * c, sp);
    let t = FRAC_2_PI * beta;
    let tdot = FOUR_OVER_PI / sp;
    // the same operations as beta at (q, q, q, 0): T(q_i, q_i, q_i) = (2/pi) a_i bitwise
    let a1 = atan_nonneg(2.0 * q1 / (1.0 + 4.0 * q1).sqrt());
    let a2 = atan_nonneg(2.0 * q2 / (1.0 + 4.0 * q2).sqrt());
    let b = beta.abs();
    let rr = q1.sqrt() * q2.sqrt();
    let plain = a1 * a2 - b * b;
    let e1 = angle_gap(q1, q2, c.abs(), s, sp, a1, b);
    let e2 = angle_gap(q2, q1, c.abs(), s, sp, a2, b);
    let near = e1 * e2 + b * (e1 + e2);
    let diff = if s * s >= 0.5 * rr * rr || q1 > 1e100 || q2 > 1e100 {
        plain
    } else {
        near
    };
    (t, tdot, FRAC_2_PI * diff.max(0.0).sqrt(), a1, a2)
}

/// a_i - b for the erf angles, without cancellation (see the module docs); branch-free.
#[inline(always)]
fn angle_gap(qi: f64, qj: f64, c: f64, s: f64, sp: f64, ai: f64, b: f64) -> f64 {
    let (ui, uj) = (1.0 + 2.0 * qi, 1.0 + 2.0 * qj);
    let a = 2.0 * qi / ui;
    let cos_a = (1.0 + 4.0 * qi).sqrt() / ui;
    let sqrt_pp = ui.sqrt() * uj.sqrt();
    let bsin = 2.0 * c / sqrt_pp;
    let bcos = sp / sqrt_pp;
    let num = 4.0 * (qi * (qi - qj) + s * s * ui) / (ui * ui * uj);
    let den = a * bcos + bsin * cos_a;
    let g = asin((num / den).clamp(-1.0, 1.0));
    if den > 0.0 { g } else { ai - b }
}

/// asin(x) for |x| <= 1 as atan(|x| / sqrt((1 - |x|)(1 + |x|))) with x's sign (branch-free,
/// within a few ulp: [`atan_ratio`] is within 2).
#[inline(always)]
fn asin(x: f64) -> f64 {
    let ax = x.abs();
    let a = atan_ratio(ax, ((1.0 - ax) * (1.0 + ax)).sqrt());
    if x < 0.0 { -a } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_textbook_arcsin() {
        for &(q1, q2, rho) in &[
            (1.0f64, 1.0f64, 0.3f64),
            (2.0, 0.5, -0.7),
            (0.1, 3.0, 0.95),
            (1.0, 4.0, -0.99),
        ] {
            let r: f64 = (q1 * q2).sqrt();
            let c = rho * r;
            let s = (q1 * q2 - c * c).sqrt();
            let d = dual(q1, q2, c, s);
            let p = (1.0 + 2.0 * q1) * (1.0 + 2.0 * q2);
            let t = FRAC_2_PI * (2.0 * c / p.sqrt()).asin();
            let td = FOUR_OVER_PI / (p - 4.0 * c * c).sqrt();
            assert!((d.t - t).abs() < 1e-15, "{q1} {q2} {rho}");
            assert!((d.tdot - td).abs() < 1e-14);
            let v1 = FRAC_2_PI * (2.0 * q1 / (1.0 + 2.0 * q1)).asin();
            let v2 = FRAC_2_PI * (2.0 * q2 / (1.0 + 2.0 * q2)).asin();
            let s_naive = (v1 * v2 - d.t * d.t).sqrt();
            assert!((d.s - s_naive).abs() < 1e-13, "{} vs {}", d.s, s_naive);
        }
    }

    #[test]
    fn odd_and_exact_at_ends() {
        let q = 1.3;
        let plus = dual(q, q, q, 0.0);
        let minus = dual(q, q, -q, 0.0);
        assert_eq!(plus.t, -minus.t);
        assert_eq!(plus.s, 0.0);
        assert_eq!(minus.s, 0.0);
        let z = dual(0.0, 0.0, 0.0, 0.0);
        assert_eq!((z.t, z.tdot, z.s), (0.0, FOUR_OVER_PI, 0.0));
    }

    #[test]
    fn near_one_sine_part_matches_first_order() {
        // Equal variances, small angle: q'^2 - c'^2 = (q' - c')(q' + c') ~ 2 q' Tdot (q - c) and
        // q - c ~ s^2 / (2q), so s' ~ s sqrt(Tdot q' / q) (dT/dc = Tdot), up to O(theta).
        let q: f64 = 0.8;
        for &th in &[1e-9f64, 1e-7] {
            let d = dual(q, q, q * th.cos(), q * th.sin());
            let qn = FRAC_2_PI * (2.0 * q / (1.0 + 2.0 * q)).asin();
            let lin = q * th * (d.tdot * qn / q).sqrt();
            assert!((d.s - lin).abs() < 1e-6 * lin, "{} vs {}", d.s, lin);
        }
    }
}
