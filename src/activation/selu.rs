//! SELU dual (placeholder: being implemented).

use super::Dual;

/// SELU alpha.
pub const ALPHA: f64 = 1.673_263_242_354_377_3;
/// SELU lambda (scale).
pub const LAMBDA: f64 = 1.050_700_987_355_480_5;

/// selu(x).
#[inline]
pub fn phi(x: f64) -> f64 {
    if x > 0.0 {
        LAMBDA * x
    } else {
        LAMBDA * ALPHA * x.exp_m1()
    }
}

/// selu'(x) (left branch at 0, as JAX).
#[inline]
pub fn dphi(x: f64) -> f64 {
    if x > 0.0 {
        LAMBDA
    } else {
        LAMBDA * ALPHA * x.exp()
    }
}

/// SELU dual (not yet implemented).
pub fn dual(_q1: f64, _q2: f64, _c: f64, _s: f64) -> Dual {
    Dual { t: f64::NAN, tdot: f64::NAN, s: f64::NAN }
}
