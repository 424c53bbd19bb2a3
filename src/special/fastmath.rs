//! Fast arctangent for the kernel recursions' inner loops (glibc's `atan2` was over half of
//! the ReLU kernel's time). Cephes' method (S. Moshier, `atan.c`):
//!
//! ```text
//! x > tan(3 pi/8):       atan x = pi/2 - atan(1/x)
//! 0.66 < x <= tan(3pi/8): atan x = pi/4 + atan((x - 1)/(x + 1))
//! then, with |x| <= 0.66 and z = x^2:  atan x = x + x z P(z)/Q(z)   (P degree 4, Q degree 5)
//! ```
//!
//! The pi/2 and pi/4 offsets carry an extra low-order word (`MOREBITS`). Measured against
//! std's correctly-rounded-ish `atan` over 2e6 points spanning 1e-10..1e10 (test below), the
//! error is at most 2 ulp.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

const P: [f64; 5] = [
    -8.750_608_600_031_904e-1,
    -1.615_753_718_733_365e1,
    -7.500_855_792_314_705e1,
    -1.228_866_684_490_136e2,
    -6.485_021_904_942_025e1,
];
const Q: [f64; 5] = [
    2.485_846_490_142_306e1,
    1.650_270_098_316_988_5e2,
    4.328_810_604_912_903e2,
    4.853_903_996_359_137e2,
    1.945_506_571_482_614e2,
];
const T3P8: f64 = 2.414_213_562_373_095; // tan(3 pi / 8)
const MOREBITS: f64 = 6.123_233_995_736_766e-17; // pi/2 - fl(pi/2)

/// arctan(x) for x >= 0 (NaN in, NaN out).
///
/// ```
/// let x = 0.7;
/// assert!((ntk::special::fastmath::atan_nonneg(x) - x.atan()).abs() <= 2.0 * f64::EPSILON * x.atan());
/// ```
///
/// Written without branches (all three reductions are computed and one is selected), so that
/// loops calling it vectorize.
#[inline(always)]
pub fn atan_nonneg(x: f64) -> f64 {
    let big = x > T3P8;
    let small = x <= 0.66;
    let x_big = -1.0 / x;
    let x_mid = (x - 1.0) / (x + 1.0);
    let xr = if big {
        x_big
    } else if small {
        x
    } else {
        x_mid
    };
    reduced(xr, big, small)
}

/// atan(y / x) for y >= 0, x >= 0 (result in [0, pi/2]) without forming y / x first: the
/// range reduction picks `-x / y`, `(y - x) / (y + x)` or `y / x`, so one division replaces
/// two and no intermediate quotient is rounded. Branch-free. atan_ratio(0, 0) = 0.
///
/// ```
/// use ntk::special::fastmath::atan_ratio;
/// assert!((atan_ratio(3.0, 4.0) - 0.75f64.atan()).abs() <= 2.0 * f64::EPSILON);
/// assert_eq!(atan_ratio(0.0, 0.0), 0.0);
/// assert_eq!(atan_ratio(1.0, 0.0), std::f64::consts::FRAC_PI_2);
/// ```
#[inline(always)]
pub fn atan_ratio(y: f64, x: f64) -> f64 {
    let big = y > T3P8 * x;
    let small = y <= 0.66 * x;
    let num = if big {
        -x
    } else if small {
        y
    } else {
        y - x
    };
    let den = if big {
        y
    } else if small {
        x
    } else {
        y + x
    };
    let xr = if den > 0.0 { num / den } else { 0.0 };
    reduced(xr, big, small)
}

/// The shared tail of [`atan_nonneg`] and [`atan_ratio`]: the reduced argument `xr` (|xr| <=
/// 0.66) through the rational approximation, plus the offset of its reduction branch
/// (`pi/2` for `big`, 0 for `small`, `pi/4` otherwise, each with its low-order word).
#[inline(always)]
fn reduced(xr: f64, big: bool, small: bool) -> f64 {
    let base = if big {
        FRAC_PI_2
    } else if small {
        0.0
    } else {
        FRAC_PI_4
    };
    let extra = if big {
        MOREBITS
    } else if small {
        0.0
    } else {
        0.5 * MOREBITS
    };
    let z = xr * xr;
    let p = (((P[0] * z + P[1]) * z + P[2]) * z + P[3]) * z + P[4];
    let q = ((((z + Q[0]) * z + Q[1]) * z + Q[2]) * z + Q[3]) * z + Q[4];
    let r = xr * (z * p / q) + xr;
    base + (r + extra)
}

/// atan2(y, x) for y >= 0 (result in [0, pi]); atan2(0, 0) = 0 as in std.
///
/// ```
/// use ntk::special::fastmath::atan2_nonneg;
/// assert_eq!(atan2_nonneg(0.0, 0.0), 0.0);
/// assert!((atan2_nonneg(1.0, -1.0) - 0.75 * std::f64::consts::PI).abs() < 1e-15);
/// ```
#[inline]
pub fn atan2_nonneg(y: f64, x: f64) -> f64 {
    if x > 0.0 {
        atan_nonneg(y / x)
    } else if x < 0.0 {
        PI - atan_nonneg(y / -x)
    } else if y > 0.0 {
        FRAC_PI_2
    } else {
        0.0
    }
}

/// atan2(y, x) for x > 0 and any sign of y (result in (-pi/2, pi/2)).
///
/// ```
/// use ntk::special::fastmath::atan2_xpos;
/// assert!((atan2_xpos(-1.0, 2.0) - (-0.5f64).atan()).abs() < 1e-16);
/// ```
#[inline]
pub fn atan2_xpos(y: f64, x: f64) -> f64 {
    let a = atan_nonneg(y.abs() / x);
    if y < 0.0 { -a } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        (a - b).abs() / (b.abs() * f64::EPSILON).max(f64::MIN_POSITIVE)
    }

    #[test]
    fn atan_within_two_ulp_of_std() {
        let mut worst = 0.0f64;
        let n = 2_000_000;
        for k in 0..=n {
            // log-uniform over 1e-10 .. 1e10, plus the reduction boundaries
            let x = 10f64.powf(-10.0 + 20.0 * k as f64 / n as f64);
            worst = worst.max(ulps(atan_nonneg(x), x.atan()));
        }
        for x in [
            0.0,
            0.66,
            0.66 + 1e-16,
            T3P8,
            T3P8 * (1.0 + 1e-16),
            1.0,
            f64::MAX,
            f64::INFINITY,
        ] {
            assert!(
                ulps(atan_nonneg(x), x.atan()) <= 2.0 || atan_nonneg(x) == x.atan(),
                "{x}"
            );
        }
        println!("worst atan error: {worst:.3} ulp");
        assert!(worst <= 2.0, "worst {worst} ulp");
    }

    #[test]
    fn atan_ratio_within_two_ulp_of_std() {
        let mut worst = 0.0f64;
        let n = 1_000_000;
        for k in 0..=n {
            let t = std::f64::consts::FRAC_PI_2 * k as f64 / n as f64;
            let (y, x) = (t.sin(), t.cos());
            let want = y.atan2(x);
            worst = worst.max(ulps(atan_ratio(y, x), want));
            let (y, x) = (y * 1e-200, x * 1e-200);
            worst = worst.max(ulps(atan_ratio(y, x), y.atan2(x)));
        }
        println!("worst atan_ratio error: {worst:.3} ulp");
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(atan_ratio(0.0, 5.0), 0.0);
    }

    #[test]
    fn atan2_matches_std_on_all_quadrants() {
        let mut worst = 0.0f64;
        for i in 0..2000 {
            let t = PI * i as f64 / 1999.0;
            let (y, x) = (t.sin().abs(), t.cos());
            let (a, b) = (atan2_nonneg(y, x), y.atan2(x));
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300) + 1e-300,
                "{t}: {a} {b}"
            );
            worst = worst.max((a - b).abs());
            let (a, b) = (atan2_xpos(-y, x.abs() + 1e-3), (-y).atan2(x.abs() + 1e-3));
            assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300) + 1e-300);
        }
        assert_eq!(atan2_nonneg(0.0, -1.0), PI);
        assert_eq!(atan2_nonneg(0.0, 1.0), 0.0);
        assert!(atan2_nonneg(f64::NAN, 1.0).is_nan());
    }
}
