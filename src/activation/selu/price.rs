//! Price's-theorem integrals of the exponential-linear dual (see the module docs of
//! [`super`]): T for small variances, `int_0^theta Tdot(R cos t) R sin t dt` for the sine part
//! near C = 1, and the Cauchy–Schwarz gap F = sqrt(T11 T22) - T1 by the mixed second
//! difference of ln T1:
//!
//! ```text
//! T = E[phi(u)] E[phi(v)] + int_0^{atan2(c, s)} Tdot(R sin t) R cos t dt
//! S = sqrt(T11 T22) - T = F + int_0^theta Tdot(R cos t) R sin t dt,   theta = atan2(s, c)
//! F = T1 expm1(D),   2 D = int int_[b,a]^2 d^2 ln T1(x, y) / dx dy
//! ```

use super::{EluParams, INV_2PI, mean_phi, t_one};
use crate::special::bvn::{GL6_PUB as GL6, GL8_PUB, GL12_PUB as GL12, tilts};
use crate::special::normal::{FRAC_1_SQRT_2PI, mills, mills_mixed};
use std::f64::consts::FRAC_PI_2;

/// Tdot alone at covariance (R sin t, R cos t) given (sin t, cos t) (for the Price integrals).
#[inline]
fn tdot_at(p: &EluParams, a: f64, b: f64, sn: f64, cs: f64) -> f64 {
    let g = tilts(a, b, sn, cs);
    let p0 = cs.atan2(-sn) * INV_2PI;
    p.l2 * (p0 + p.alpha * ((g.m_a - g.u) + (g.m_b - g.v)) + p.alpha * p.alpha * g.uv)
}

/// T = E[phi(u)] E[phi(v)] + int_0^{atan2(c, s)} Tdot(R sin t) R cos t dt (small variances).
///
/// Tdot(R sin t) varies on the scale 1/max(a, b) in pi/2 - |t| near |t| = pi/2, so for
/// |rho| > 0.7 the interval is cut into panels whose lengths double away from the end
/// nearest to +-pi/2 (8-point Gauss–Legendre each); 12-point Gauss–Legendre otherwise.
pub(super) fn t_by_price(p: &EluParams, a: f64, b: f64, c: f64, s: f64) -> f64 {
    let rr = a * b;
    let th = c.atan2(s);
    let f = |t: f64| tdot_r_cos(p, a, b, t);
    let integral = if s >= 0.7 * rr {
        gl_integral(&GL12, 0.0, th, f)
    } else {
        // in d = pi/2 - |t|: from the end d_end = acos|rho| = atan2(s, |c|) (one panel up to
        // d_min, far below the scale 1/max(a, b)) then doubling panels up to pi/2
        let sign = th.signum();
        let panel = |d_lo: f64, d_hi: f64| {
            gl_integral(
                &GL8_PUB,
                sign * (FRAC_PI_2 - d_hi),
                sign * (FRAC_PI_2 - d_lo),
                f,
            )
        };
        let d_min = 1e-3 / a.max(b).max(1.0);
        let mut d = s.atan2(c.abs());
        let mut total = 0.0;
        if d < d_min {
            total += panel(d, d_min);
            d = d_min;
        }
        while 2.0 * d < FRAC_PI_2 {
            total += panel(d, 2.0 * d);
            d *= 2.0;
        }
        total + panel(d, FRAC_PI_2)
    };
    mean_phi(p, a) * mean_phi(p, b) + rr * integral
}

/// Tdot(R sin t) cos t.
#[inline]
fn tdot_r_cos(p: &EluParams, a: f64, b: f64, t: f64) -> f64 {
    let (sn, cs) = t.sin_cos();
    tdot_at(p, a, b, sn, cs) * cs
}

/// int_lo^hi f by a Gauss–Legendre rule given by its positive nodes.
#[inline]
fn gl_integral(rule: &[(f64, f64)], lo: f64, hi: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let mut sum = 0.0;
    for &(x, w) in rule {
        sum += w * (f(mid - half * x) + f(mid + half * x));
    }
    half * sum
}

/// int_0^theta Tdot(R cos t) R sin t dt, theta = atan2(s, c) (small: c > 0, s << c).
///
/// Tdot(R cos t) varies on the scale 1/max(a, b) near t = 0: one 6-point Gauss–Legendre panel
/// while theta max(a, b) <= 1/2, else panels halving towards 0 down to that size.
pub(super) fn price_sine(p: &EluParams, a: f64, b: f64, c: f64, s: f64) -> f64 {
    let rr = a * b;
    let th = s.atan2(c);
    let f = |t: f64| {
        let (sn, cs) = t.sin_cos();
        tdot_at(p, a, b, cs, sn) * sn
    };
    let amax = a.max(b);
    let mut hi = th;
    let mut total = 0.0;
    for _ in 0..64 {
        if hi * amax <= 0.5 {
            break;
        }
        total += gl_integral(&GL6, 0.5 * hi, hi, f);
        hi *= 0.5;
    }
    rr * (total + gl_integral(&GL6, 0.0, hi, f))
}

/// F = sqrt(T11 T22) - T1(a, b) >= 0, T1 = T at rho = 1 (module docs); a = sqrt(q1), b = sqrt(q2).
pub(super) fn bracket(p: &EluParams, q1: f64, q2: f64, a: f64, b: f64, t11: f64, t22: f64) -> f64 {
    if q1 == q2 {
        return 0.0;
    }
    let hi = a.max(b);
    let t1 = t_one(p, a, b);
    // a - b from q1 - q2 (exact when they are close): F ~ (a - b)^2 needs it to full precision
    let diff = ((q1 - q2) / (a + b)).abs();
    if diff > 0.2 * hi || hi > 30.0 {
        return t11.sqrt() * t22.sqrt() - t1;
    }
    // 2 D = int int_[lo,hi]^2 d^2 ln T1 / dx dy, symmetric integrand: i <= j only
    let half = 0.5 * diff;
    let mid = 0.5 * (a + b);
    let mut xs = [0.0; 6];
    let mut ws = [0.0; 6];
    for (i, &(x, w)) in GL6.iter().enumerate() {
        xs[2 * i] = mid - half * x;
        xs[2 * i + 1] = mid + half * x;
        ws[2 * i] = w;
        ws[2 * i + 1] = w;
    }
    let mx: [f64; 6] = xs.map(mills);
    let mut sum = 0.0;
    for i in 0..6 {
        for j in i..6 {
            let f = d12_log_t1(p, xs[i], xs[j], mx[i], mx[j]);
            let wij = ws[i] * ws[j];
            sum += if i == j { wij * f } else { 2.0 * wij * f };
        }
    }
    let d = 0.5 * half * half * sum;
    t1 * d.exp_m1()
}

/// d^2 ln T1(x, y) / dx dy with T1 / lam^2 = xy/2 + alpha^2 h(x, y), given M(x), M(y).
fn d12_log_t1(p: &EluParams, x: f64, y: f64, mx: f64, my: f64) -> f64 {
    let z = x + y;
    let mz = mills(z);
    // dh/dx = M'(z) - M'(x), M'(w) = w M(w) - 1/sqrt(2 pi); d2h/dxdy = M''(z) = M(z) + z M'(z)
    let a2 = p.alpha * p.alpha;
    let t = 0.5 * x * y + a2 * mills_mixed(x, y);
    let tx = 0.5 * y + a2 * (z * mz - x * mx);
    let ty = 0.5 * x + a2 * (z * mz - y * my);
    let txy = 0.5 + a2 * (mz + z * (z * mz - FRAC_1_SQRT_2PI));
    (t * txy - tx * ty) / (t * t)
}
