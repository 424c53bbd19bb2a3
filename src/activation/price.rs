//! Price's theorem near correlation +1: `T(rho = 1) - T(theta) = int_0^theta Tdot(R cos t)
//! R sin t dt` (`dT/dc = Tdot`, c = R cos t), the cancellation-free form of
//! `sqrt(T11 T22) - T` for smooth duals whose Tdot is regular at rho = 1.

use crate::special::bvn::GL8_PUB as GL8;

/// `R int_0^theta tdot(sin t, cos t) sin t dt` (tdot takes the sine and cosine of the angle).
/// Tdot(R cos t) varies on the angular scale `1 / scale` near t = 0 (scale = max std, >= 1):
/// one 8-point Gauss–Legendre panel while `theta scale <= 1/2`, else panels halving towards 0.
///
/// ```
/// // Tdot = 1 (identity): R (1 - cos theta) = 2 R sin^2(theta / 2) (no cancellation)
/// let v = ntk::activation::price::sine_integral(2.0, 0.1, 1.0, |_, _| 1.0);
/// let exact = 4.0 * 0.05f64.sin().powi(2);
/// assert!((v / exact - 1.0).abs() < 1e-15, "{v:e} vs {exact:e}");
/// ```
pub fn sine_integral(r: f64, theta: f64, scale: f64, tdot: impl Fn(f64, f64) -> f64) -> f64 {
    let f = |t: f64| {
        let (sn, cs) = t.sin_cos();
        tdot(sn, cs) * sn
    };
    let mut hi = theta;
    let mut total = 0.0;
    for _ in 0..64 {
        if hi * scale <= 0.5 {
            break;
        }
        total += gl(0.5 * hi, hi, f);
        hi *= 0.5;
    }
    r * (total + gl(0.0, hi, f))
}

/// int_lo^hi f, 8-point Gauss–Legendre.
fn gl(lo: f64, hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let mut sum = 0.0;
    for &(x, w) in &GL8 {
        sum += w * (f(mid - half * x) + f(mid + half * x));
    }
    half * sum
}
