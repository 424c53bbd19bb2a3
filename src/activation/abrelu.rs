//! ABReLU dual (neural-tangents' `ABRelu`), phi(u) = a min(u, 0) + b max(u, 0)
//! = a u + (b - a) relu(u); LeakyReLU(alpha) = (alpha, 1), Abs = (-1, 1), ReLU = (0, 1).
//!
//! With the ReLU dual (T_r, Tdot_r) of [`super::relu`] and `E[u relu(v)] = c / 2`:
//!
//! ```text
//! T    = a b c + (b - a)^2 T_r(c),       Tdot = a b + (b - a)^2 Tdot_r(c)
//! T11  = m q1,  m = (a^2 + b^2) / 2,     so sqrt(T11 T22) = m R,  R = sqrt(q1 q2)
//! ```
//!
//! New sine part `s' = sqrt(P M)`, `P = m R - T`, `M = m R + T`, each computed without
//! cancellation from the ReLU sine part `s_r` (`R/2 - T_r = s_r^2 / (R/2 + T_r)`) and
//! `R -+ c = s^2 / (R +- c)`:
//!
//! ```text
//! c >= 0:          P = a b s^2 / (R + c) + (b - a)^2 s_r^2 / (R/2 + T_r),   M = m R + T
//! c <  0:          M = a b s^2 / (R - c) + (b - a)^2 (R/2 + T_r)
//!   a b >= 0:      P = a b (R - c) + (b - a)^2 (R/2 - T_r)
//!   a b <  0:      P = (|a| - |b|)^2 R/2 + |ab| s^2 / (R - c) - (|a| + |b|)^2 T_r
//! ```
//!
//! (the last because an even phi such as |u| has T -> +m R at rho = -1); there T_r =
//! |c| (x - atan x) / (2 pi), x = s / |c|, by its series for x < 0.01. A zero variance
//! (u = 0 a.s.) gives T = 0 and Tdot = phi'(0) E[phi'(v)] = a (a + b) / 2 (phi'(0) = a, the
//! left slope, as ReLU's 0).

use super::Dual;
use super::relu::dual_r;
use crate::special::fastmath::atan_ratio;
use std::f64::consts::PI;

/// phi(x) = a min(x, 0) + b max(x, 0).
///
/// ```
/// assert_eq!(ntk::activation::abrelu::phi(-1.0, 1.0, -3.0), 3.0);
/// ```
#[inline]
pub fn phi(a: f64, b: f64, x: f64) -> f64 {
    if x > 0.0 { b * x } else { a * x }
}

/// phi'(x): `b` for x > 0, `a` otherwise.
///
/// ```
/// assert_eq!(ntk::activation::abrelu::dphi(0.1, 1.0, 0.0), 0.1);
/// ```
#[inline]
pub fn dphi(a: f64, b: f64, x: f64) -> f64 {
    if x > 0.0 { b } else { a }
}

/// ABReLU dual on `(q1, q2, c)` with sine part `s`.
///
/// ```
/// use ntk::activation::abrelu::dual;
/// // Abs on antipodal inputs: |u| |-u| = u^2, T = q, s' = 0
/// let d = dual(-1.0, 1.0, 2.0, 2.0, -2.0, 0.0);
/// assert!((d.t - 2.0).abs() < 1e-15 && d.s == 0.0);
/// ```
#[inline]
pub fn dual(a: f64, b: f64, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let (t, tdot, s) = dual_sq(a, b, q1.sqrt(), q2.sqrt(), c, s);
    Dual { t, tdot, s }
}

/// [`dual`] from the standard deviations `sq1 = sqrt(q1)`, `sq2 = sqrt(q2)`, returning
/// `(T, Tdot, s')`. Branch-free (every case is computed and one selected), so that the
/// kernel's column loops vectorize; the scalar path runs this same code, so both agree
/// bitwise.
#[inline(always)]
pub(crate) fn dual_sq(a: f64, b: f64, sq1: f64, sq2: f64, c: f64, s: f64) -> (f64, f64, f64) {
    let (ab, k) = (a * b, (b - a) * (b - a));
    let r = sq1 * sq2;
    let (tr, tdr, sr) = dual_r(r, c, s);
    let t = ab * c + k * tr;
    let tdot = ab + k * tdr;
    let m = 0.5 * (a * a + b * b);
    let mr = m * r;
    // c >= 0
    let p_pos = ab * (s * (s / (r + c))) + k * (sr * (sr / (0.5 * r + tr)));
    let m_pos = mr + t;
    // c < 0
    let m_neg = ab * (s * (s / (r - c))) + k * (0.5 * r + tr);
    let p_same = ab * (r - c) + k * (0.5 * r - tr);
    let (d, sum) = (a.abs() - b.abs(), a.abs() + b.abs());
    let p_opp = d * d * (0.5 * r) + ab.abs() * (s * (s / (r - c))) - sum * sum * relu_t_neg(c, s);
    let pos = c >= 0.0;
    let p = if pos {
        p_pos
    } else if ab >= 0.0 {
        p_same
    } else {
        p_opp
    };
    let mm = if pos { m_pos } else { m_neg };
    let s_new = p.max(0.0).sqrt() * mm.max(0.0).sqrt();
    // a zero variance: u = 0 a.s., T = 0, Tdot = phi'(0) E[phi'(v)] (phi'(0) = a)
    let live = sq1 > 0.0 && sq2 > 0.0;
    let mean_dphi_other = if sq1.max(sq2) > 0.0 { 0.5 * (a + b) } else { a };
    if live {
        (t, tdot, s_new)
    } else {
        (0.0, a * mean_dphi_other, 0.0)
    }
}

/// ReLU's T for c < 0, accurate near rho = -1: |c| (x - atan x) / (2 pi), x = s / |c|
/// (branch-free; meaningless for c >= 0, where it is not selected).
#[inline(always)]
fn relu_t_neg(c: f64, s: f64) -> f64 {
    let ac = c.abs();
    let x = s / ac;
    let x2 = x * x;
    let series = ac * (x * x2 * (1.0 / 3.0 - x2 * (1.0 / 5.0 - x2 * (1.0 / 7.0 - x2 / 9.0))));
    let direct = s - ac * atan_ratio(s, ac);
    (if x < 0.01 { series } else { direct }) / (2.0 * PI)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cov(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
        let r = q1.sqrt() * q2.sqrt();
        (rho * r, r * ((1.0 - rho) * (1.0 + rho)).max(0.0).sqrt())
    }

    #[test]
    fn relu_and_identity_are_special_cases() {
        for &(q1, q2, rho) in &[(1.0, 2.0, 0.3), (0.5, 0.5, -0.9), (3.0, 1.0, 0.999)] {
            let (c, s) = cov(q1, q2, rho);
            let d = dual(0.0, 1.0, q1, q2, c, s);
            let e = super::super::relu::dual(q1, q2, c, s);
            assert!((d.t - e.t).abs() < 1e-16 && (d.tdot - e.tdot).abs() < 1e-16);
            assert!((d.s - e.s).abs() < 1e-15, "{} {}", d.s, e.s);
            let d = dual(1.0, 1.0, q1, q2, c, s);
            assert!((d.t - c).abs() < 1e-15 && d.tdot == 1.0);
            assert!((d.s - s).abs() < 1e-15 * q1.max(q2), "{} {}", d.s, s);
        }
    }

    #[test]
    fn sine_part_matches_naive_away_from_ends_and_is_exact_at_them() {
        for &(a, b) in &[(-1.0, 1.0), (0.1, 1.0), (-0.5, 2.0), (2.0, 0.5)] {
            let m: f64 = 0.5 * (a * a + b * b);
            for &rho in &[-0.7, -0.2, 0.0, 0.4, 0.8] {
                let (q1, q2) = (1.3, 0.7);
                let (c, s) = cov(q1, q2, rho);
                let d = dual(a, b, q1, q2, c, s);
                let naive = (m * m * q1 * q2 - d.t * d.t).sqrt();
                assert!(
                    (d.s - naive).abs() < 1e-14,
                    "{a} {b} {rho}: {} {naive}",
                    d.s
                );
            }
            // duplicates and (for Abs) antipodes
            let d = dual(a, b, 2.0, 2.0, 2.0, 0.0);
            assert_eq!(d.s, 0.0);
            assert!((d.t - 2.0 * m).abs() < 1e-15);
        }
        let d = dual(-1.0, 1.0, 2.0, 2.0, -2.0, 0.0);
        assert_eq!((d.t, d.s), (2.0, 0.0));
        // near antipodal for Abs: s' ~ first order, relatively accurate
        let th = 1e-7f64;
        let d = dual(-1.0, 1.0, 1.0, 1.0, -th.cos(), th.sin());
        // P = |ab| s^2/(R - c) - 4 T_r ~ th^2/2 - 4 th^3/(6 pi); M ~ 2
        let p = th * th / 2.0 - 4.0 * th.powi(3) / (6.0 * PI);
        let want = (p * (2.0 - th * th / 2.0)).sqrt();
        assert!((d.s / want - 1.0).abs() < 1e-8, "{} {want}", d.s);
    }

    #[test]
    fn zero_variance() {
        let d = dual(0.1, 1.0, 0.0, 2.0, 0.0, 0.0);
        assert_eq!((d.t, d.tdot, d.s), (0.0, 0.1 * 0.55, 0.0));
    }
}
