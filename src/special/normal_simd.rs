//! Branch-free Mills ratio and normal distribution function for vectorized loops, from
//! W. J. Cody's rational Chebyshev approximations of the normal distribution (Cody 1969;
//! ACM TOMS Algorithm 715, SPECFUN `ANORM`, 1993; public domain):
//!
//! ```text
//! z <= 0.67448975:  M(z) = e^(z^2/2) (1/2 - z A(z^2) / B(z^2))          (A, B degree 4)
//! z <= sqrt(32):    M(z) = C(z) / D(z)                                    (degree 8 / 8)
//! z >  sqrt(32):    M(z) = (1/sqrt(2 pi) - w P(w) / Q(w)) / z,  w = 1/z^2   (degree 5 / 5)
//! Phi(x) = e^(-x^2/2) M(-x) (x <= 0),  1 - e^(-x^2/2) M(x) (x > 0)
//! M(z) - 1/2 = (e^(z^2/2) - 1)/2 - e^(z^2/2) z A / B   (small z; the leading -z/sqrt(2 pi) is kept)
//! ```
//!
//! All three branches are computed and one is selected (no table, no branch, no FMA), with
//! [`crate::special::exp_simd`]'s `exp`, so loops over them vectorize with the same bits on
//! every instruction set. Accuracy (tests: dense grids against the table-driven
//! [`crate::special::normal::mills`], itself checked against 50-digit values, and 40-digit
//! values here): `M` within 1e-15 relative on [0, 40]; `Phi` within 1e-15 relative for
//! x <= 0 (down to the normal range, x >= -37.5) and 2.5e-16 absolute for x > 0 (1 - tail: 2 ulp of 1); `M - 1/2`
//! within 2.5e-16 absolute (for z > 0.674 that is M's own error, M < 0.32).

// Cody's coefficients as published (more digits than f64 holds)
#![allow(clippy::excessive_precision)]

use super::exp_simd::{exp_fast, exp_neg_half_sq_fast};

const A: [f64; 5] = [
    2.235_252_035_460_683_928_7,
    161.028_231_068_555_878_81,
    1_067.689_485_460_370_958_2,
    18_154.981_253_343_561_249,
    0.065_682_337_918_207_449_113,
];
const B: [f64; 4] = [
    47.202_581_904_688_241_87,
    976.098_551_737_776_693_22,
    10_260.932_208_618_978_205,
    45_507.789_335_026_729_956,
];
const C: [f64; 9] = [
    0.398_941_512_088_134_667_64,
    8.883_149_794_388_375_941_2,
    93.506_656_132_177_855_979,
    597.270_276_394_800_262_26,
    2_494.537_585_290_372_671_1,
    6_848.190_450_536_282_332_6,
    11_602.651_437_647_350_124,
    9_842.714_838_383_978_021_8,
    1.076_557_677_372_019_231_7e-8,
];
const D: [f64; 8] = [
    22.266_688_044_328_115_691,
    235.387_901_782_624_998_61,
    1_519.377_599_407_554_805,
    6_485.558_298_266_760_755,
    18_615.571_640_885_098_091,
    34_900.952_721_145_977_266,
    38_912.003_286_093_271_411,
    19_685.429_676_859_990_727,
];
const P: [f64; 6] = [
    0.215_898_534_057_956_99,
    0.127_401_161_160_247_363_9,
    0.022_235_277_870_649_807,
    0.001_421_619_193_227_893_466,
    2.911_287_495_116_879_2e-5,
    0.023_073_441_764_940_173_03,
];
const Q: [f64; 5] = [
    1.284_260_096_144_911_21,
    0.468_238_212_480_865_118,
    0.065_988_137_868_928_551_5,
    0.003_782_396_332_027_582_44,
    7.297_515_550_839_662_05e-5,
];
const Z_SMALL: f64 = 0.674_489_75;
const SQRT_32: f64 = 5.656_854_249_492_380_195_2;
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_677_94;

/// `z A(z^2) / B(z^2)` of the small branch (Phi(z) = 1/2 + this), `|z| <= 0.675`.
#[inline(always)]
fn small_ratio(z: f64) -> f64 {
    let zs = z * z;
    let (mut num, mut den) = (A[4] * zs, zs);
    for i in 0..3 {
        num = (num + A[i]) * zs;
        den = (den + B[i]) * zs;
    }
    z * (num + A[3]) / (den + B[3])
}

/// C(z) / D(z) of the middle branch.
#[inline(always)]
fn middle(z: f64) -> f64 {
    let (mut num, mut den) = (C[8] * z, z);
    for i in 0..7 {
        num = (num + C[i]) * z;
        den = (den + D[i]) * z;
    }
    (num + C[7]) / (den + D[7])
}

/// `(1/sqrt(2 pi) - w P(w)/Q(w)) / z` of the upper branch, `z >= sqrt(32)`.
#[inline(always)]
fn upper(z: f64) -> f64 {
    let w = 1.0 / (z * z);
    let (mut num, mut den) = (P[5] * w, w);
    for i in 0..4 {
        num = (num + P[i]) * w;
        den = (den + Q[i]) * w;
    }
    (FRAC_1_SQRT_2PI - w * (num + P[4]) / (den + Q[4])) / z
}

/// The Mills ratio `M(z) = e^(z^2/2) Phi(-z)` for `z >= 0` (NaN in, NaN out), branch-free.
///
/// ```
/// use ntk::special::normal_simd::mills_fast;
/// assert_eq!(mills_fast(0.0), 0.5);
/// assert!((mills_fast(1.0) / 0.26157829186512337168 - 1.0).abs() < 1e-15);
/// ```
#[inline(always)]
pub fn mills_fast(z: f64) -> f64 {
    let zs = z.min(Z_SMALL);
    let small = exp_fast(0.5 * (zs * zs)) * (0.5 - small_ratio(zs));
    let mid = middle(z.clamp(Z_SMALL, SQRT_32));
    let up = upper(z.max(SQRT_32));
    let v = if z <= Z_SMALL {
        small
    } else if z <= SQRT_32 {
        mid
    } else {
        up
    };
    if z.is_nan() { z } else { v }
}

/// `M(z) - 1/2` for `z >= 0`, without cancellation for small z, branch-free.
///
/// ```
/// use ntk::special::normal_simd::mills_m_half_fast;
/// let z = 1e-9;
/// assert!((mills_m_half_fast(z) / (-z * 0.3989422804014327) - 1.0).abs() < 1e-8);
/// ```
#[inline(always)]
pub fn mills_m_half_fast(z: f64) -> f64 {
    let zs = z.min(Z_SMALL);
    let h = 0.5 * (zs * zs);
    let e = exp_fast(h);
    // e^h - 1 for h <= 0.23 by its Taylor series (no cancellation), degree 12: < 1e-17 off
    let mut em1 = 1.0 / 479_001_600.0;
    for d in [
        39_916_800.0,
        3_628_800.0,
        362_880.0,
        40_320.0,
        5_040.0,
        720.0,
        120.0,
        24.0,
        6.0,
        2.0,
        1.0,
    ] {
        em1 = em1 * h + 1.0 / d;
    }
    em1 *= h;
    let small = 0.5 * em1 - e * small_ratio(zs);
    let big = mills_fast(z.max(Z_SMALL)) - 0.5;
    let v = if z <= Z_SMALL { small } else { big };
    if z.is_nan() { z } else { v }
}

/// `Phi(x)`, relative accuracy ~1e-15 for x <= 0 (into the deep tail), absolute ~1e-16
/// for x > 0; branch-free.
///
/// ```
/// use ntk::special::normal_simd::cdf_fast;
/// assert_eq!(cdf_fast(0.0), 0.5);
/// assert!((cdf_fast(-1.0) / 0.15865525393145705 - 1.0).abs() < 1e-15);
/// ```
#[inline(always)]
pub fn cdf_fast(x: f64) -> f64 {
    let tail = exp_neg_half_sq_fast(x) * mills_fast(x.abs());
    if x <= 0.0 { tail } else { 1.0 - tail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::normal::{cdf, mills, mills_m_half};

    /// (z, M(z)) at exact f64 arguments, 40-digit mpmath (erfc), rounded to 20 digits;
    /// around both branch switches.
    #[rustfmt::skip]
    const REFS: [(f64, f64); 13] = [
        (0.0, 5.0e-1),
        (1e-08, 4.9999999601057722099e-1),
        (0.3, 3.9967529734325514672e-1),
        (0.6744897, 3.1385439223792258391e-1),
        (0.67449, 3.1385433606271335074e-1),
        (1.0, 2.6157829186512337168e-1),
        (2.5, 1.413313313805753097e-1),
        (5.656854249492, 6.8499728812535042858e-2),
        (5.6568543, 6.8499728234253890114e-2),
        (7.9, 4.9725958869367826741e-2),
        (12.0, 3.3018971077214534728e-2),
        (30.0, 1.3283349353983794274e-2),
        (200.0, 1.9946615379617296607e-3),
    ];

    #[test]
    fn mills_matches_40_digit_values() {
        for &(z, want) in &REFS {
            let err = (mills_fast(z) / want - 1.0).abs();
            assert!(err < 1e-15, "M({z}): {err:e}");
        }
    }

    #[test]
    fn agrees_with_the_table_driven_functions_on_dense_grids() {
        let (mut wm, mut wh, mut wc, mut wc_pos) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let n = 400_000;
        for i in 0..=n {
            let z = 40.0 * i as f64 / n as f64;
            wm = wm.max((mills_fast(z) / mills(z) - 1.0).abs());
            wh = wh.max((mills_m_half_fast(z) - mills_m_half(z)).abs());
            let x = -z;
            if cdf(x) >= f64::MIN_POSITIVE {
                // relative accuracy down to the normal range (subnormal results lose it)
                wc = wc.max((cdf_fast(x) / cdf(x) - 1.0).abs());
            }
            wc_pos = wc_pos.max((cdf_fast(z) - cdf(z)).abs());
        }
        for i in 0..=10_000 {
            // small arguments: M - 1/2 ~ -z / sqrt(2 pi), relative accuracy too
            let z = 1e-12 * 1e11f64.powf(i as f64 / 10_000.0);
            let rel = (mills_m_half_fast(z) / mills_m_half(z) - 1.0).abs();
            assert!(rel < 1e-14, "{z}: {rel:e}");
        }
        println!(
            "normal_simd: M {wm:.2e} rel, M - 1/2 {wh:.2e} abs, Phi(-z) {wc:.2e} rel, Phi(z) {wc_pos:.2e} abs"
        );
        assert!(wm < 1e-15, "M {wm:e}");
        assert!(wh < 2.5e-16, "M - 1/2 {wh:e}");
        assert!(wc < 1e-15, "Phi {wc:e}");
        assert!(wc_pos <= 2.5e-16, "Phi {wc_pos:e}");
    }

    #[test]
    fn nan_propagates() {
        assert!(mills_fast(f64::NAN).is_nan());
        assert!(cdf_fast(f64::NAN).is_nan());
        assert!(mills_m_half_fast(f64::NAN).is_nan());
    }
}
