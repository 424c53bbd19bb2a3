//! A branch-free `exp` for vectorized loops, with a proven error bound:
//!
//! ```text
//! exp(x) = 2^k exp(r),   k = round(x / ln 2),   r = (x - k LN2_HI) - k LN2_LO,   |r| <= ln(2)/2 (1 + 2^-40)
//! exp(r) ~ 1 + r (1 + r (1/2! + r (1/3! + ... + r / 13!)))        (Taylor, degree 13, Horner)
//! 2^k    = 2^k1 2^k2,   k1 = floor(k / 2),   k2 = k - k1              (two exact power-of-two scalings)
//! ```
//!
//! Only IEEE additions, multiplications and bit operations (no FMA, no table, no branch):
//! the loop vectorizes, and every instruction set gives the same bits.
//!
//! **Error bound** (u = 2^-53; for results in the normal range, `-708.39 <= x <= 709.78`):
//! 1. reduction: `k LN2_HI` is exact (LN2_HI has 32 significant bits, |k| <= 1077 < 2^11) and
//!    `x - k LN2_HI` is exact (Sterbenz); `k LN2_LO` and the last subtraction add at most
//!    `u |r| + 2^-64` to `r`, and `LN2_HI + LN2_LO` differs from ln 2 by < 2^-88, so
//!    exp(r) carries a relative error <= 0.35 u + 2^-63 from the reduction;
//! 2. truncation: `|r|^14 / 14! e^|r| / e^r <= 0.3466^14 / 14! * 2 < 8.4e-18 < 0.08 u`;
//! 3. evaluation: with `q = 1 + r/2 + ... in [0.84, 1.19]` and `|r q| <= 0.42`, the nested
//!    products contribute <= 1.2 u relative to q, `r q` <= 1.7 u relative, and the final
//!    `1 + r q` <= (0.42 * 1.7 + 1.42 / 2) u / 0.707 <= 2.0 u relative;
//! 4. scaling by 2^k1 2^k2 is exact.
//!
//! In total `|exp_fast(x) / exp(x) - 1| <= 2.5 u = 2.8e-16` (1.25 ulp of 1). Below -708.39
//! the result is subnormal (absolute error <= 2^-1074 on top), below -745.14 it is 0; above
//! 709.78 it is `inf`; NaN gives NaN. The tests check the bound against `f64::exp` on dense
//! grids over the whole range, and against 40-digit values.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split: LN2_HI (low 21 bits zero, so `k LN2_HI` is exact) + LN2_LO (fdlibm's pair).
#[allow(clippy::excessive_precision)]
const LN2_HI: f64 = 6.931_471_803_691_238_164_9e-1;
#[allow(clippy::excessive_precision)]
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// 1.5 * 2^52: adding it rounds to an integer (ties to even) held in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// 1/k! for k = 2..=13, highest first (Horner).
const INV_FACT: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// `exp(x)` within 2.8e-16 relative (module docs), branch-free and vectorizable.
///
/// ```
/// use ntk::special::exp_simd::exp_fast;
/// assert_eq!(exp_fast(0.0), 1.0);
/// assert!((exp_fast(-1.0) / 0.36787944117144233 - 1.0).abs() < 3e-16);
/// assert_eq!(exp_fast(-800.0), 0.0);
/// assert_eq!(exp_fast(710.0), f64::INFINITY);
/// assert!(exp_fast(f64::NAN).is_nan());
/// ```
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    // clamp so that k stays small (NaN passes through clamp)
    let x = x.clamp(-746.0, 710.0);
    let t = x * LOG2_E + SHIFTER;
    let kf = t - SHIFTER;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    let mut h = INV_FACT[0];
    for &c in &INV_FACT[1..] {
        h = h * r + c;
    }
    let q = h * r + 1.0;
    let p = q * r + 1.0;
    // k + 2048 from the low mantissa bits of t (|k| <= 1077)
    let ku = t
        .to_bits()
        .wrapping_sub(SHIFTER.to_bits())
        .wrapping_add(2048);
    let k1 = ku >> 1; // floor(k / 2) + 1024
    let s1 = f64::from_bits(k1.wrapping_sub(1) << 52); // 2^floor(k/2)
    let s2 = f64::from_bits(ku.wrapping_sub(k1).wrapping_sub(1) << 52); // 2^(k - floor(k/2))
    let v = (p * s1) * s2;
    if x.is_nan() { x } else { v }
}

/// `exp(-x^2 / 2)` with the rounding of `x^2` compensated (Dekker's exact square, Veltkamp's
/// split): relative error <= 2.8e-16 + 2^-53 for `|x| <= 1e150`, branch-free.
///
/// ```
/// use ntk::special::exp_simd::exp_neg_half_sq_fast;
/// let x = 30.0f64;
/// assert!((exp_neg_half_sq_fast(x) / (-450.0f64).exp() - 1.0).abs() < 4e-16);
/// ```
#[inline(always)]
pub fn exp_neg_half_sq_fast(x: f64) -> f64 {
    let p = x * x;
    let t = 134_217_729.0 * x; // 2^27 + 1
    let hi = t - (t - x);
    let lo = x - hi;
    let e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo;
    exp_fast(-0.5 * p) * (1.0 - 0.5 * e)
}

#[cfg(test)]
#[allow(clippy::excessive_precision, clippy::approx_constant)]
mod tests {
    use super::*;

    /// The proven bound of the module docs.
    const BOUND: f64 = 2.5 * f64::EPSILON / 2.0;

    /// (x, exp(x)) at exact f64 arguments, 40-digit mpmath rounded to 20 digits.
    #[rustfmt::skip]
    const REFS: [(f64, f64); 18] = [
        (-745.1, 2.5537685477520739272e-324),
        (-708.3, 2.4502955309659883375e-308),
        (-708.39, 2.2394014988804678445e-308),
        (-700.5, 5.9801961186397912064e-305),
        (-30.25, 7.2877240958196924193e-14),
        (-12.345678901234567, 4.348503038219842439e-6),
        (-1.0, 3.678794411714423216e-1),
        (-0.34657359027997264, 7.071067811865475326e-1),
        (-1e-300, 1.0),
        (0.0, 1.0),
        (1e-10, 1.0000000001),
        (0.34657359027997264, 1.4142135623730950324),
        (0.5, 1.6487212707001281468),
        (2.75, 1.564263188418817161e+1),
        (88.7, 3.3259869802505790386e+38),
        (700.0, 1.0142320547350045095e+304),
        (709.7, 1.6549840276802644031e+308),
        (709.78, 1.7928227943945156209e+308),
    ];

    #[test]
    fn within_the_proven_bound_of_40_digit_values() {
        for &(x, want) in &REFS {
            let got = exp_fast(x);
            if want < f64::MIN_POSITIVE {
                // subnormal result: absolute error of the final rounding only
                assert!(
                    (got - want).abs() <= 2.0 * 4.9e-324,
                    "{x}: {got:e} vs {want:e}"
                );
            } else {
                // + half an ulp for the reference's own rounding to f64
                let err = (got / want - 1.0).abs();
                assert!(err <= BOUND + f64::EPSILON / 2.0, "{x}: {err:e}");
            }
        }
    }

    /// Dense grids over the whole normal range, and the reduction boundaries k ln 2 +- ln(2)/2,
    /// against std's exp (glibc: correctly rounded in almost all cases, < 1 ulp): the
    /// difference stays within the bound plus std's own half ulp.
    #[test]
    fn within_the_bound_of_std_exp_over_the_range() {
        let mut worst = 0.0f64;
        let mut check = |x: f64| {
            let want = x.exp();
            let err = (exp_fast(x) / want - 1.0).abs();
            worst = worst.max(err);
            assert!(err <= BOUND + f64::EPSILON / 2.0, "{x}: {err:e}");
        };
        let n = 1_000_000;
        for i in 0..=n {
            check(-708.39 + (709.78 + 708.39) * i as f64 / n as f64);
            check(-1.0 + 2.0 * i as f64 / n as f64);
        }
        for k in -1021..=1023 {
            let m = k as f64 * std::f64::consts::LN_2;
            for d in [-0.5, -0.499_999_999, 0.499_999_999, 0.5] {
                let x = m + d * std::f64::consts::LN_2;
                if (-708.39..=709.78).contains(&x) {
                    check(x);
                }
            }
        }
        println!("exp_fast: worst relative difference to std {worst:.3e} (bound {BOUND:.3e})");
    }

    #[test]
    fn edges_underflow_overflow_and_nan() {
        assert_eq!(exp_fast(0.0), 1.0);
        assert_eq!(exp_fast(-746.0), 0.0);
        assert_eq!(exp_fast(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_fast(709.79), f64::INFINITY);
        assert_eq!(exp_fast(f64::INFINITY), f64::INFINITY);
        assert!(exp_fast(f64::NAN).is_nan());
        // subnormal results are within an ulp of the subnormal grid
        for x in [-710.0, -720.5, -740.0, -745.0] {
            let (got, want) = (exp_fast(x), x.exp());
            assert!((got - want).abs() <= want * 1e-15 + 4.95e-324, "{x}");
        }
    }

    #[test]
    fn compensated_gaussian_tail() {
        for &x in &[0.0, 0.3, 1.0, 7.5, 12.345, 30.0, 37.0] {
            let want = crate::special::normal::pdf(x) / crate::special::normal::FRAC_1_SQRT_2PI;
            let got = exp_neg_half_sq_fast(x);
            assert!(
                (got / want - 1.0).abs() <= BOUND + 3.0 * f64::EPSILON,
                "{x}: {got:e} vs {want:e}"
            );
        }
    }
}
