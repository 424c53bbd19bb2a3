//! The standard normal density, distribution function and Mills ratio, accurate in relative
//! terms far into the tails:
//!
//! ```text
//! pdf(x)   = exp(-x^2/2) / sqrt(2 pi)
//! cdf(x)   = Phi(x) = erfc(-x / sqrt 2) / 2
//! mills(z) = M(z) = exp(z^2/2) Phi(-z) = erfcx(z / sqrt 2) / 2 = E[exp(-z t); t >= 0], t ~ N(0, 1)
//! mills_m_half(z) = M(z) - 1/2        (no cancellation near z = 0)
//! ```
//!
//! Two rounding effects that cost many digits in the tails are removed:
//!
//! - `exp(-x^2/2)`: `x^2 = p + e` exactly (fused multiply-add), `exp(-p/2) (1 - e/2)`.
//! - the rounded argument `w = fl(x / sqrt 2)` of `erfc`: the residual `w sqrt 2 - |x|` is
//!   formed with a double-double `sqrt 2` and the first-order correction
//!   `erfc(w*) = erfc(w) + (2/sqrt pi) exp(-w^2) (w - w*)` is added.
//!
//! With `libm::erfc` and `exp` (about 1 ulp each), `pdf`, `cdf` (lower tail) and `mills`
//! are accurate to a few ulp relative for all arguments; `M(z)` for `z >= 26` uses the
//! asymptotic series `M(z) sqrt(2 pi) = (1/z) sum_k (-1)^k (2k-1)!! / z^(2k)` (12 terms,
//! truncation below 1e-22). `M(z) - 1/2` for `|z| < 1` uses the Taylor series of `M`, whose
//! coefficients follow from `M'(z) = z M(z) - 1/sqrt(2 pi)`:
//! `c_0 = 1/2, c_1 = -1/sqrt(2 pi), c_(n+1) = c_(n-1) / (n + 1)`.

use std::f64::consts::FRAC_1_SQRT_2;

/// 1 / sqrt(2 pi).
pub const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// sqrt(2 pi).
pub const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// sqrt 2 split into a double-double `hi + lo`.
const SQRT2_HI: f64 = std::f64::consts::SQRT_2;
const SQRT2_LO: f64 = -9.667_293_313_452_913e-17;

/// `exp(-x^2 / 2)` with the rounding of `x^2` compensated (relative error ~1 ulp of exp).
#[inline]
pub(crate) fn exp_neg_half_sq(x: f64) -> f64 {
    let ax = x.abs();
    if ax > 40.0 {
        return if ax.is_nan() { f64::NAN } else { 0.0 };
    }
    let p = ax * ax;
    let e = ax.mul_add(ax, -p);
    (-0.5 * p).exp() * (1.0 - 0.5 * e)
}

/// `exp(x^2 / 2)` with the rounding of `x^2` compensated; `inf` once it overflows.
#[inline]
pub(crate) fn exp_half_sq(x: f64) -> f64 {
    let ax = x.abs();
    if ax > 38.0 {
        return if ax.is_nan() { f64::NAN } else { f64::INFINITY };
    }
    let p = ax * ax;
    let e = ax.mul_add(ax, -p);
    (0.5 * p).exp() * (1.0 + 0.5 * e)
}

/// `(w, d)` with `w = fl(|x| / sqrt 2)` and `d = w sqrt 2 - |x|` to ~1e-32 relative.
#[inline]
fn scaled_arg(ax: f64) -> (f64, f64) {
    let w = ax * FRAC_1_SQRT_2;
    let d = w.mul_add(SQRT2_HI, -ax) + w * SQRT2_LO;
    (w, d)
}

/// The standard normal density `exp(-x^2/2) / sqrt(2 pi)`.
///
/// ```
/// use ntk::special::normal::pdf;
/// assert!((pdf(0.0) - 0.3989422804014327).abs() < 1e-16);
/// assert!((pdf(30.0) / 1.4736461348785476e-196 - 1.0).abs() < 1e-15);
/// ```
#[inline]
pub fn pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * exp_neg_half_sq(x)
}

/// `Phi(x)` for `x <= 0`, relative accuracy a few ulp down to the underflow threshold.
#[inline]
fn lower_cdf(x: f64) -> f64 {
    let ax = -x;
    let (w, d) = scaled_arg(ax);
    let base = 0.5 * libm::erfc(w);
    if ax < 1.0 {
        base
    } else {
        // erfc(w*) = erfc(w) + (2/sqrt pi) e^{-w^2} (w - w*), w - w* = d / sqrt 2
        base + d * pdf(ax)
    }
}

/// The standard normal distribution function `Phi(x) = P(N(0,1) <= x)`.
///
/// Relative accuracy of a few ulp for `x <= 0` (deep lower tail included), absolute
/// accuracy ~1e-16 for `x > 0`.
///
/// ```
/// use ntk::special::normal::cdf;
/// assert_eq!(cdf(0.0), 0.5);
/// assert!((cdf(-1.0) - 0.15865525393145705).abs() < 1e-16);
/// // deep tail, relative accuracy: Phi(-30) = 4.906713927148187e-198
/// assert!((cdf(-30.0) / 4.906713927148187e-198 - 1.0).abs() < 1e-14);
/// ```
#[inline]
pub fn cdf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else if x <= 0.0 {
        lower_cdf(x)
    } else {
        1.0 - lower_cdf(-x)
    }
}

/// The Mills ratio `M(z) = exp(z^2/2) Phi(-z) = E[exp(-z t); t >= 0]` (t standard normal),
/// i.e. `erfcx(z / sqrt 2) / 2`.
///
/// Relative accuracy of a few ulp for `z >= 0`; `M(z) ~ 1 / (z sqrt(2 pi))` for large `z`.
/// For `z < 0`, `M(z) = exp(z^2/2) - M(-z)`, which overflows to `inf` below `z ~ -37.7`.
///
/// ```
/// use ntk::special::normal::mills;
/// assert_eq!(mills(0.0), 0.5);
/// assert!((mills(1.0) - 0.2615782918651234).abs() < 1e-16);
/// let z = 1e4; // asymptotic regime
/// assert!((mills(z) * z * (2.0 * std::f64::consts::PI).sqrt() - (1.0 - 1e-8)).abs() < 1e-15);
/// ```
#[inline]
pub fn mills(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z < 0.0 {
        return exp_half_sq(z) - mills(-z);
    }
    if z < 26.0 {
        let (w, d) = scaled_arg(z);
        0.5 * exp_half_sq(z) * libm::erfc(w) + d * FRAC_1_SQRT_2PI
    } else {
        // asymptotic series, nested: 1 - y (1 - 3 y (1 - 5 y (...))), y = 1/z^2
        let y = 1.0 / (z * z);
        let mut acc = 1.0;
        let mut k = 23.0;
        while k > 0.0 {
            acc = 1.0 - k * y * acc;
            k -= 2.0;
        }
        acc * FRAC_1_SQRT_2PI / z
    }
}

/// Taylor coefficients of `M` at 0 (see the module docs).
const fn mills_taylor() -> [f64; 34] {
    let mut c = [0.0; 34];
    c[0] = 0.5;
    c[1] = -FRAC_1_SQRT_2PI;
    let mut n = 1;
    while n + 1 < 34 {
        c[n + 1] = c[n - 1] / (n + 1) as f64;
        n += 1;
    }
    c
}
const MILLS_TAYLOR: [f64; 34] = mills_taylor();

/// `M(z) - 1/2` without cancellation near `z = 0` (relative accuracy ~1e-16).
///
/// ```
/// use ntk::special::normal::{mills, mills_m_half};
/// let z = 1e-9;
/// assert!((mills_m_half(z) / (-z * 0.3989422804014327) - 1.0).abs() < 1e-8);
/// assert!((mills_m_half(3.0) - (mills(3.0) - 0.5)).abs() < 1e-16);
/// ```
#[inline]
pub fn mills_m_half(z: f64) -> f64 {
    if z.abs() < 1.0 {
        let mut acc = 0.0;
        let mut i = MILLS_TAYLOR.len() - 1;
        while i >= 1 {
            acc = acc * z + MILLS_TAYLOR[i];
            i -= 1;
        }
        acc * z
    } else {
        mills(z) - 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phi(x) for x <= 0 by its continued fraction / series in plain arithmetic is not
    /// independent enough; instead compare with reference values from mpmath (50 digits).
    #[test]
    fn cdf_matches_high_precision_values() {
        // (x, Phi(x)) from mpmath.ncdf at 50 digits
        let cases = [
            (-0.5, 0.308_537_538_725_986_9),
            (-1.5, 0.066_807_201_268_858_07),
            (-3.7, 1.077_997_334_773_882_6e-4),
            (-8.0, 6.220_960_574_271_784e-16),
            (-12.5, 3.732_564_298_877_713e-36),
            (-37.0, 5.725_571_222_524_577e-300),
        ];
        for &(x, p) in &cases {
            let got = cdf(x);
            assert!((got / p - 1.0).abs() < 4e-16, "Phi({x}) = {got:e}, want {p:e}");
        }
        assert!((cdf(1.5) - (1.0 - 0.066_807_201_268_858_07)).abs() < 2e-16);
    }

    #[test]
    fn mills_matches_high_precision_values() {
        // (z, M(z)) from mpmath exp(z^2/2) ncdf(-z) at 50 digits
        let cases = [
            (0.3, 0.399_675_297_343_255_13),
            (1.7, 0.189_040_103_698_110_08),
            (5.0, 0.076_919_304_975_006_29),
            (12.0, 0.033_018_971_077_214_535),
            (25.9, 0.015_380_316_726_864_58),
            (26.1, 0.015_262_804_714_032_083),
            (300.0, 0.001_329_792_826_190_588),
        ];
        for &(z, m) in &cases {
            let got = mills(z);
            assert!((got / m - 1.0).abs() < 4e-16, "M({z}) = {got:e}, want {m:e}");
        }
        assert_eq!(mills(f64::INFINITY), 0.0);
        assert!(mills(f64::NAN).is_nan());
        // negative arguments: M(-z) = e^{z^2/2} - M(z)
        assert!((mills(-1.0) - (0.5f64.exp() - mills(1.0))).abs() < 1e-15);
    }

    #[test]
    fn mills_m_half_is_continuous_and_accurate() {
        for &z in &[1e-12, 1e-5, 0.1, 0.5, 0.999_999, 1.0, 1.5] {
            let direct = mills(z) - 0.5;
            let series = mills_m_half(z);
            // away from 0 the direct difference is accurate to a few ulp of 1/2
            if z > 0.3 {
                assert!((direct - series).abs() < 3e-16, "{z}: {direct} {series}");
            }
        }
        // M(z) - 1/2 = -z/sqrt(2 pi) + z^2/4 - ... for tiny z
        let z = 1e-6;
        let want = -z * FRAC_1_SQRT_2PI + z * z / 4.0 - z * z * z * FRAC_1_SQRT_2PI / 3.0;
        assert!((mills_m_half(z) / want - 1.0).abs() < 1e-15);
    }

    #[test]
    fn pdf_tail_is_relatively_accurate() {
        // pdf(x) = 1/sqrt(2 pi) exp(-x^2/2); x = 37.5: value from mpmath
        let got = pdf(37.5);
        assert!((got / 1.728_233_732_284_105_4e-306 - 1.0).abs() < 4e-16, "{got:e}");
        assert_eq!(pdf(50.0), 0.0);
    }
}
