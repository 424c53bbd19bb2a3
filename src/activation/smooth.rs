//! Smooth activations without closed-form duals (tanh, softplus, SiLU/Swish, logistic
//! sigmoid), by the Mehler (Hermite) series, exact up to a truncation far below 1e-16:
//!
//! ```text
//! a_k(q) = E[phi(sqrt(q) x) h_k(x)],  x ~ N(0, 1),  h_k = He_k / sqrt(k!) (orthonormal)
//! T(q1, q2, c)    = sum_k a_k(q1) a_k(q2) rho^k,          rho = c / sqrt(q1 q2)
//! Tdot(q1, q2, c) = sum_k d_k(q1) d_k(q2) rho^k,          d_k = sqrt(k + 1) a_{k+1} / sqrt(q)
//! ```
//!
//! (`d_k` are the Hermite coefficients of phi'; `Tdot = dT/dc` termwise, Price's theorem).
//! The coefficients depend on one variance only, so a kernel computes them once per point and
//! layer ([`Coeffs`]; the kernel caches them by variance) and each entry costs two dot
//! products of length `K_eff = min(K(q1), K(q2), ln(1e-17) / ln|rho|)`.
//!
//! **Coefficients**: the trapezoidal rule on [-14, 14] with step
//! `h = 2 pi / (sqrt(2K) + max(10, 42 / (0.9 w)))` (w: half-width of phi(sqrt(q) x)'s strip of
//! analyticity, pi / (2 sqrt q) for tanh, pi / sqrt q for the others) is spectrally accurate:
//! the integrand's spectrum is the Hermite band |omega| <= sqrt(2K) widened by phi's
//! e^(-w |omega|) tail and the Gaussian, so the aliasing error is ~ e^(-0.9 * 42) + e^(-100).
//! `h_k` by the stable three-term recurrence (`|h_k(x)| e^(-x^2/4) <= 1.09`, no overflow).
//! K grows from an a-priori estimate until the coefficients, and for q < 1 those of phi'
//! (`sqrt(k) a_k / sqrt q`), fall below `CUT = 1e-12` of their norms and stay there (at most [`K_MAX`]; beyond that, a variance too large for the series,
//! the coefficients are NaN and the kernel reports a non-finite variance: see docs/math.md
//! for the supported ranges). Truncating at 1e-12 costs ~1e-24 K relative in T and Tdot for
//! equal variances and at most ~1e-12 |rho|^K (one dropped factor) for unequal ones; measured
//! against 40-digit references, <= 1.5e-14 (tests/activations_mpmath_smooth.rs).
//! For softplus and sigmoid the quadrature integrates `phi(sqrt(q) x) - phi(0)` ([`phi_diff`])
//! so that tiny variances keep `a_k`, k >= 1, relatively accurate. Near-duplicates with
//! nearly equal variances (standard deviations within 1e-3) take the coefficient differences
//! `a(q2) - a(q1)` in Lagrange's identity from the quadrature of `phi(sqrt(q2) x) -
//! phi(sqrt(q1) x)` itself ([`phi_diff`], no cancellation), not from subtracting the two
//! coefficient vectors (whose rounding would cost eps / |sqrt q2 - sqrt q1| relative).
//!
//! **Sine part**: `s' = sqrt(P) sqrt(M)`, `P = sqrt(T11 T22) - T`, `M = sqrt(T11 T22) + T`.
//! Away from |C| = 1 (C = T / sqrt(T11 T22)) by `(1 - C)(1 + C)`. Near C = +1 (rho >= 0),
//! `P = F + sum_k p_k e_k(rho)` with `p_k = a_k(q1) a_k(q2)`, `e_k = 1 - rho^k` by
//! `e_{k+1} = (1 - rho) + rho e_k` and `1 - rho = s^2 / (R (R + c))`, and the Cauchy–Schwarz
//! gap `F = sqrt(AB) - a1.a2 = (|a1|^2 |a2 - a1|^2 - (a1.(a2 - a1))^2) / (sqrt(AB) + a1.a2)`
//! (Lagrange's identity, 0 for q1 = q2). Near C = -1 (rho < 0) the same with `a2` replaced by
//! `(-1)^k a2_k` and `M`, `1 + rho = s^2 / (R (R - c))`. So duplicates (and, for odd phi,
//! antipodes) keep s' = 0 exactly and near-duplicates keep it relatively accurate.

mod cache;
mod nodes;
mod series;

pub(crate) use cache::Cache;
pub use series::series_sums;

use super::Dual;
use crate::special::bvn::GL8_PUB as GL8;
use std::f64::consts::PI;

/// Largest number of Hermite coefficients per variance.
pub const K_MAX: usize = 4096;
/// Half-range of the trapezoidal rule (the integrand is below 1e-18 beyond it).
const X_MAX: f64 = 14.0;
/// Relative size below which coefficients are dropped: the truncation error of T is then
/// ~ CUT^2 * (number of dropped terms) relative, of Tdot ~ CUT^2 K.
const CUT: f64 = 1e-12;
/// Per-entry truncation: |rho|^k below this is dropped (the tail is at most |rho|^k sqrt(T11 T22)).
const TAIL: f64 = 1e-17;
/// Window over which all coefficients must be below CUT (parity zeros are not decay).
const WINDOW: usize = 24;

/// The smooth activations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// tanh(x).
    Tanh,
    /// ln(1 + e^x).
    Softplus,
    /// x sigmoid(x).
    Silu,
    /// 1 / (1 + e^-x).
    Sigmoid,
    /// x Phi(x): its dual is closed form ([`super::gelu`]), which uses these coefficients only
    /// for the Cauchy–Schwarz gap of near-duplicates with different norms ([`cs_gap`]).
    Gelu,
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// phi(x).
///
/// ```
/// use ntk::activation::smooth::{phi, Kind};
/// assert_eq!(phi(Kind::Sigmoid, 0.0), 0.5);
/// assert!((phi(Kind::Softplus, 0.0) - 2f64.ln()).abs() < 1e-16);
/// ```
#[inline]
pub fn phi(kind: Kind, x: f64) -> f64 {
    match kind {
        Kind::Tanh => x.tanh(),
        Kind::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        Kind::Silu => x * sigmoid(x),
        Kind::Sigmoid => sigmoid(x),
        Kind::Gelu => super::gelu::phi(x),
    }
}

/// phi'(x).
///
/// ```
/// use ntk::activation::smooth::{dphi, Kind};
/// assert_eq!(dphi(Kind::Softplus, 0.0), 0.5);
/// assert_eq!(dphi(Kind::Silu, 0.0), 0.5);
/// ```
#[inline]
pub fn dphi(kind: Kind, x: f64) -> f64 {
    match kind {
        Kind::Tanh => {
            let t = x.tanh();
            (1.0 - t) * (1.0 + t)
        }
        Kind::Softplus => sigmoid(x),
        Kind::Silu => {
            let s = sigmoid(x);
            s * (1.0 + x * (1.0 - s))
        }
        Kind::Sigmoid => {
            let s = sigmoid(x);
            s * (1.0 - s)
        }
        Kind::Gelu => super::gelu::dphi(x),
    }
}

/// The Hermite coefficients of phi(sqrt(q) x) and of phi'(sqrt(q) x) for one variance.
#[derive(Clone, Debug, PartialEq)]
pub struct Coeffs {
    /// `a_k`, k = 0..K.
    pub a: Vec<f64>,
    /// `d_k`, k = 0..K (same length).
    pub d: Vec<f64>,
    /// The activation.
    pub kind: Kind,
    /// The variance.
    pub q: f64,
    /// `sum_k a_k^2`, by [`series_sums`] at rho = 1 (the same operations as the dual of a
    /// duplicate pair, so that both agree bitwise).
    var: f64,
}

impl Coeffs {
    /// Coefficients for variance `q >= 0` (NaN if `q` is too large for [`K_MAX`] terms or not
    /// finite).
    ///
    /// ```
    /// use ntk::activation::smooth::{Coeffs, Kind};
    /// let c = Coeffs::new(Kind::Tanh, 1.0);
    /// // a_1 = E[tanh'(Z)] = E[sech^2 Z] = 0.60570550960215... (200-point Gauss-Hermite)
    /// assert!(c.a[0].abs() < 1e-17 && (c.a[1] - 0.6057055096021592).abs() < 1e-14, "{:e}", c.a[1]);
    /// ```
    pub fn new(kind: Kind, q: f64) -> Self {
        if !(q.is_finite() && q >= 0.0) {
            return Self::from_parts(vec![f64::NAN], vec![f64::NAN], kind, q);
        }
        if q == 0.0 {
            return Self::from_parts(vec![phi(kind, 0.0)], vec![dphi(kind, 0.0)], kind, q);
        }
        let sd = q.sqrt();
        let w = match kind {
            Kind::Tanh => 0.5 * PI / sd,
            // entire: no strip limit (a width that keeps the step moderate)
            Kind::Gelu => 4.0 / sd,
            _ => PI / sd,
        };
        // a-priori: |a_k| ~ exp(-w sqrt(2k)) reaches CUT at k ~ (27.6 / w)^2 / 2; take twice that
        let est = (27.6 / w).powi(2).min(K_MAX as f64) as usize;
        let mut k = (est + 64).min(K_MAX);
        loop {
            let a = hermite_coeffs_centred(kind, sd, w, k + 1);
            let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
            // phi' too when sd < 1: d_{k-1} = sqrt(k) a_k / sd must fall below CUT of its norm
            // (for tiny variances 1/sd amplifies what a_k's own cut would drop)
            let ad: Vec<f64> = (0..a.len())
                .map(|k| (k as f64).sqrt() * a[k] / sd)
                .collect();
            let norm_d = ad.iter().map(|v| v * v).sum::<f64>().sqrt();
            let ld = if sd < 1.0 {
                cut_index(&ad, norm_d)
            } else {
                Some(0)
            };
            if let (Some(la), Some(ld)) = (cut_index(&a, norm), ld) {
                return Self::trimmed(a, la.max(ld), kind, q);
            }
            if k >= K_MAX {
                return Self::from_parts(vec![f64::NAN], vec![f64::NAN], kind, q);
            }
            k = (2 * k).min(K_MAX);
        }
    }

    /// `a` (length > len) cut to `len` terms; `d` from `a` (module docs).
    fn trimmed(mut a: Vec<f64>, len: usize, kind: Kind, q: f64) -> Self {
        let sd = q.sqrt();
        let d: Vec<f64> = (0..len)
            .map(|k| ((k + 1) as f64).sqrt() * a[k + 1] / sd)
            .collect();
        a.truncate(len);
        Self::from_parts(a, d, kind, q)
    }

    /// The set from its two vectors (of equal length), with its variance.
    fn from_parts(a: Vec<f64>, d: Vec<f64>, kind: Kind, q: f64) -> Self {
        let len = a.len();
        let var = series_sums(&a, &a, &d, &d, 1.0, len, len).0;
        Coeffs { a, d, kind, q, var }
    }

    /// `E[phi(u)^2]` = `sum a_k^2` (the same operations as the dual at rho = 1).
    ///
    /// ```
    /// use ntk::activation::smooth::{Coeffs, Kind};
    /// let c = Coeffs::new(Kind::Sigmoid, 0.0);
    /// assert_eq!(c.var(), 0.25);
    /// ```
    pub fn var(&self) -> f64 {
        self.var
    }
}

/// The first index from which a full window of coefficients is below `CUT * norm` (and the
/// values then stay below it up to the end of `a`, minus one for `d`), if any.
fn cut_index(a: &[f64], norm: f64) -> Option<usize> {
    let lim = CUT * norm;
    let n = a.len();
    let mut run = 0;
    for k in 0..n - 1 {
        if a[k].abs() < lim {
            run += 1;
            if run >= WINDOW {
                let start = k + 1 - run;
                if a[start..n].iter().all(|v| v.abs() < lim) {
                    return Some(start.max(1));
                }
            }
        } else {
            run = 0;
        }
    }
    None
}

/// `sum_j w_j phi(sd x_j) h_k(x_j)` for k < n on the trapezoidal grid (module docs).
fn hermite_coeffs(kind: Kind, sd: f64, w: f64, n: usize) -> Vec<f64> {
    hermite_coeffs_of(|x| phi(kind, sd * x), w, n)
}

/// As [`hermite_coeffs`], but integrating `phi(sd x) - phi(0)` (by [`phi_diff`], without
/// cancellation) and adding `phi(0)` to `a_0`: the quadrature's rounding error then scales
/// with `phi(sd x) - phi(0)` (~ sd) instead of `phi(0)`, so for tiny variances `a_k`, k >= 1,
/// and with them `d_k = sqrt(k + 1) a_{k+1} / sd`, stay relatively accurate (softplus and
/// sigmoid; the others have phi(0) = 0).
fn hermite_coeffs_centred(kind: Kind, sd: f64, w: f64, n: usize) -> Vec<f64> {
    let p0 = phi(kind, 0.0);
    if p0 == 0.0 {
        return hermite_coeffs(kind, sd, w, n);
    }
    let mut a = hermite_coeffs_of(|x| phi_diff(kind, 0.0, sd * x, sd * x), w, n);
    a[0] += p0;
    a
}

/// `sum_j w_j f(x_j) h_k(x_j)` for k < n, f analytic in the strip `|Im x| < w`.
fn hermite_coeffs_of(f: impl Fn(f64) -> f64, w: f64, n: usize) -> Vec<f64> {
    // the integrand's spectrum is Hermite-band-limited to sqrt(2n) convolved with phi's
    // e^(-w |omega|) tail: alias at 2 pi / h beyond both
    let h = 2.0 * PI / ((2.0 * n as f64).sqrt() + (42.0 / (0.9 * w)).max(10.0));
    let m = (X_MAX / h).ceil() as i64;
    let norm = h / (2.0 * PI).sqrt();
    // symmetric nodes: h_k(-x) = (-1)^k h_k(x), so pair x and -x: (x, even part, odd part)
    let mut nodes = Vec::with_capacity(m as usize + 1);
    for j in 0..=m {
        let x = j as f64 * h;
        let wgt = if j == 0 { 0.5 } else { 1.0 } * norm * (-0.5 * x * x).exp();
        if wgt == 0.0 {
            break;
        }
        let (fp, fm) = (f(x) * wgt, f(-x) * wgt);
        nodes.push((x, fp + fm, fp - fm));
    }
    nodes::hermite_sums(&nodes, n)
}

/// `phi(y2) - phi(y1)` given `dy = y2 - y1` (accurate), without cancellation: tanh by
/// `sinh(dy) / (cosh y1 cosh y2)`, sigmoid by `-expm1(-dy) sigmoid(y2) sigmoid(-y1)`,
/// softplus by `log1p(sigmoid(y1) expm1(dy))`, SiLU by `dy sigmoid(y2) + y1 (sigmoid(y2) -
/// sigmoid(y1))`, GELU by `dy Phi(y2) + y1 (Phi(y2) - Phi(y1))` (the last difference by
/// Gauss–Legendre of the density when `|dy| < 1`).
///
/// ```
/// use ntk::activation::smooth::{phi, phi_diff, Kind};
/// for kind in [Kind::Tanh, Kind::Softplus, Kind::Silu, Kind::Sigmoid, Kind::Gelu] {
///     let d = phi_diff(kind, 0.3, 0.7, 0.4);
///     assert!((d - (phi(kind, 0.7) - phi(kind, 0.3))).abs() < 1e-15, "{kind:?}");
/// }
/// ```
#[inline]
pub fn phi_diff(kind: Kind, y1: f64, y2: f64, dy: f64) -> f64 {
    let sig_diff = || -(-dy).exp_m1() * sigmoid(y2) * sigmoid(-y1);
    match kind {
        Kind::Tanh => dy.sinh() / (y1.cosh() * y2.cosh()),
        Kind::Sigmoid => sig_diff(),
        Kind::Softplus => (sigmoid(y1) * dy.exp_m1()).ln_1p(),
        Kind::Silu => dy * sigmoid(y2) + y1 * sig_diff(),
        // y2 Phi(y2) - y1 Phi(y1) = dy Phi(y2) + y1 (Phi(y2) - Phi(y1)), the last by
        // 8-point Gauss–Legendre of the density over [y1, y2] when short
        Kind::Gelu => {
            let dphi = if dy.abs() < 1.0 {
                let (mid, half) = (y1 + 0.5 * dy, 0.5 * dy);
                let f = |t: f64| crate::special::normal::pdf(t);
                half * GL8
                    .iter()
                    .map(|&(x, w)| w * (f(mid - half * x) + f(mid + half * x)))
                    .sum::<f64>()
            } else {
                crate::special::normal::cdf(y2) - crate::special::normal::cdf(y1)
            };
            dy * crate::special::normal::cdf(y2) + y1 * dphi
        }
    }
}

/// The Hermite coefficients of `phi(sqrt(q2) x) - phi(sqrt(q1) x)`, `q1 <= q2`, `n` of them,
/// computed from [`phi_diff`] (so that nearly equal variances keep their difference to
/// relative accuracy instead of eps / |sqrt q2 - sqrt q1|).
fn diff_coeffs(kind: Kind, q1: f64, q2: f64, n: usize) -> Vec<f64> {
    let (s1, s2) = (q1.sqrt(), q2.sqrt());
    let ds = (q2 - q1) / (s1 + s2);
    let w = match kind {
        Kind::Tanh => 0.5 * PI / s2,
        Kind::Gelu => 4.0 / s2,
        _ => PI / s2,
    };
    hermite_coeffs_of(|x| phi_diff(kind, s1 * x, s2 * x, ds * x), w, n.max(2))
}

/// Variances closer than this (relative difference of the standard deviations) get their
/// coefficient differences from [`diff_coeffs`] near C = +-1.
const CLOSE: f64 = 1e-3;

/// The dual from the coefficients `c1`, `c2` of the two variances `q1`, `q2`, covariance `c`
/// and sine part `s`.
///
/// ```
/// use ntk::activation::smooth::{dual, dual_coeffs, Coeffs, Kind};
/// let (a, b) = (Coeffs::new(Kind::Silu, 0.5), Coeffs::new(Kind::Silu, 2.0));
/// assert_eq!(dual_coeffs(&a, &b, 0.5, 2.0, 0.3, 0.95), dual(Kind::Silu, 0.5, 2.0, 0.3, 0.95));
/// ```
pub fn dual_coeffs(c1: &Coeffs, c2: &Coeffs, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    dual_with(c1, c2, q1, q2, c, s, true)
}

/// As [`dual_coeffs`] with the same `T` and `Tdot` bit for bit, but `s'` always by
/// `sqrt(T11 T22) sqrt((1 - C)(1 + C))`, which near |C| = 1 is accurate only to
/// `eps / (1 - |C|)` relative, and without the per-entry quadrature that the accurate `s'` of
/// near-duplicates with nearly equal variances needs. For a kernel of a network whose
/// activations are all series activations this changes nothing that matters: the next
/// layer's `T` and `Tdot` are power series in `rho = c / sqrt(q1 q2)`, analytic at `rho =
/// +-1`, and depend on `s` only through the exact-duplicate flag `s == 0` (which sets `rho =
/// +-1` exactly instead of `c / sqrt(q1 q2)`, itself within rounding of +-1 there); `s'` is
/// not an output of the kernel.
///
/// ```
/// use ntk::activation::smooth::{dual_coeffs, dual_coeffs_kernel, Coeffs, Kind};
/// let (a, b) = (Coeffs::new(Kind::Sigmoid, 0.5), Coeffs::new(Kind::Sigmoid, 0.5000001));
/// let (x, y) = (dual_coeffs(&a, &b, 0.5, 0.5000001, 0.49, 0.1), dual_coeffs_kernel(&a, &b, 0.5, 0.5000001, 0.49, 0.1));
/// assert_eq!((x.t, x.tdot), (y.t, y.tdot));
/// ```
pub fn dual_coeffs_kernel(c1: &Coeffs, c2: &Coeffs, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    dual_with(c1, c2, q1, q2, c, s, false)
}

/// The dual, with `s'` near |C| = 1 by [`near_ends`] if `accurate_s`.
fn dual_with(c1: &Coeffs, c2: &Coeffs, q1: f64, q2: f64, c: f64, s: f64, accurate_s: bool) -> Dual {
    let rr = q1.sqrt() * q2.sqrt();
    let n_all = c1.a.len().min(c2.a.len());
    if rr.is_nan() || rr <= 0.0 {
        // a zero variance: u = 0 a.s., T = phi(0) E phi(v), Tdot = phi'(0) E phi'(v)
        return Dual {
            t: c1.a[0] * c2.a[0],
            tdot: c1.d[0] * c2.d[0],
            s: 0.0,
        };
    }
    let rho = if s == 0.0 {
        if c >= 0.0 { 1.0 } else { -1.0 }
    } else {
        (c / rr).clamp(-1.0, 1.0)
    };
    let ar = rho.abs();
    let n = if ar < 1.0 {
        let k = (TAIL.ln() / ar.ln()).ceil();
        if k.is_finite() && k >= 1.0 {
            (k as usize).min(n_all)
        } else {
            n_all.min(1)
        }
    } else {
        n_all
    };
    let m = n.min(c1.d.len()).min(c2.d.len());
    let (t, tdot) = series_sums(&c1.a, &c2.a, &c1.d, &c2.d, rho, n, m);
    let (t11, t22) = (c1.var(), c2.var());
    let same = q1 == q2;
    let sq = if same { t11 } else { t11.sqrt() * t22.sqrt() };
    if sq.is_nan() || sq <= 0.0 {
        return Dual { t, tdot, s: 0.0 };
    }
    let cn = (t / sq).clamp(-1.0, 1.0);
    let s_new = if !accurate_s || 1.0 - cn.abs() >= 0.005 {
        sq * ((1.0 - cn) * (1.0 + cn)).sqrt()
    } else {
        near_ends(c1, c2, same, sq, rr, c, s, rho, t, n_all)
    };
    Dual { t, tdot, s: s_new }
}

/// s' near |C| = 1 (module docs): the small factor (P near C = +1, M near C = -1) by
/// the cancellation-free sums, the other one plainly.
#[allow(clippy::too_many_arguments)]
fn near_ends(
    c1: &Coeffs,
    c2: &Coeffs,
    same: bool,
    sq: f64,
    rr: f64,
    c: f64,
    s: f64,
    rho: f64,
    t: f64,
    n: usize,
) -> f64 {
    let (a1, a2) = (&c1.a[..n], &c2.a[..n]);
    let plus = t > 0.0;
    // expand around r0 = +1 (plus) or -1: T = sum p'_k - sum p'_k e_k(sigma),
    // p'_k = (+-1)^k p_k, sigma = +-rho, e_k(sigma) = 1 - sigma^k, 1 - sigma without cancellation
    let sign = |k: usize| if !plus && k % 2 == 1 { -1.0 } else { 1.0 };
    let sigma = if plus { rho } else { -rho };
    let one_m = if sigma >= 0.0 {
        let r_pm = if plus { rr + c } else { rr - c };
        s * (s / (rr * r_pm))
    } else {
        1.0 - sigma
    };
    let (mut e, mut sum_e, mut cs) = (0.0, 0.0, 0.0);
    let (mut n1, mut nd, mut dot) = (0.0, 0.0, 0.0);
    // nearly equal variances: d = y -+ a1 from the coefficients of the difference of the
    // activations (y - a1 near C = +1; near C = -1, for odd tanh, y + a1 = -(a2 - a1))
    let (sd1, sd2) = (c1.q.sqrt(), c2.q.sqrt());
    let direct = !same
        && (sd2 - sd1).abs() < CLOSE * sd1.max(sd2)
        && (plus || c1.kind == Kind::Tanh)
        && c1.kind == c2.kind;
    let dc = if direct {
        let (lo, hi) = if c1.q <= c2.q {
            (c1.q, c2.q)
        } else {
            (c2.q, c1.q)
        };
        let flip = if c1.q <= c2.q { 1.0 } else { -1.0 };
        let v = diff_coeffs(c1.kind, lo, hi, n);
        v.into_iter().map(|x| flip * x).collect()
    } else {
        Vec::new()
    };
    for k in 0..n {
        let y = sign(k) * a2[k];
        let p = a1[k] * y;
        sum_e += p * e;
        cs += p;
        e = one_m + sigma * e;
        // Lagrange: |a1|^2 |y|^2 - (a1.y)^2 = |a1|^2 |d|^2 - (a1.d)^2, d = y -+ a1
        let d = if direct {
            if plus { dc[k] } else { -dc[k] }
        } else if plus {
            y - a1[k]
        } else {
            y + a1[k]
        };
        n1 += a1[k] * a1[k];
        nd += d * d;
        dot += a1[k] * d;
    }
    // gap = sq - cs (plus) or sq + cs (minus), >= 0 by Cauchy–Schwarz
    let lag = (n1 * nd - dot * dot).max(0.0);
    let gap = if plus {
        if same { 0.0 } else { lag / (sq + cs) }
    } else {
        lag / (sq - cs)
    };
    let (p, m) = if plus {
        (gap + sum_e, sq + t)
    } else {
        (sq - t, gap - sum_e)
    };
    p.max(0.0).sqrt() * m.max(0.0).sqrt()
}

/// The Cauchy–Schwarz gap `sqrt(|a1|^2 |a2|^2) - a1.a2 >= 0` of two coefficient vectors by
/// Lagrange's identity (no cancellation as a2 -> a1), with `sq = sqrt(T11 T22)`.
pub(crate) fn cs_gap(c1: &Coeffs, c2: &Coeffs, sq: f64) -> f64 {
    let n = c1.a.len().min(c2.a.len());
    // the differences a(q2) - a(q1) from the quadrature of phi(sqrt(q2) x) - phi(sqrt(q1) x)
    let dc = if c1.kind == c2.kind && c1.q < c2.q {
        diff_coeffs(c1.kind, c1.q, c2.q, n)
    } else {
        Vec::new()
    };
    let (mut n1, mut nd, mut dot, mut cs) = (0.0, 0.0, 0.0, 0.0);
    for k in 0..n {
        let (x, y) = (c1.a[k], c2.a[k]);
        let d = if dc.is_empty() { y - x } else { dc[k] };
        n1 += x * x;
        nd += d * d;
        dot += x * d;
        cs += x * y;
    }
    (n1 * nd - dot * dot).max(0.0) / (sq + cs)
}

/// The dual on `(q1, q2, c)` with sine part `s`, computing both variances' coefficients
/// (a kernel caches them instead).
///
/// ```
/// use ntk::activation::smooth::{dual, Kind};
/// // tanh is odd: T(-c) = -T(c); antipodal duplicates keep s' = 0
/// let (p, m) = (dual(Kind::Tanh, 1.0, 1.0, 0.5, 0.75f64.sqrt()), dual(Kind::Tanh, 1.0, 1.0, -0.5, 0.75f64.sqrt()));
/// assert!((p.t + m.t).abs() < 1e-16);
/// assert_eq!(dual(Kind::Tanh, 2.0, 2.0, -2.0, 0.0).s, 0.0);
/// ```
pub fn dual(kind: Kind, q1: f64, q2: f64, c: f64, s: f64) -> Dual {
    let c1 = Coeffs::new(kind, q1);
    let c2 = if q2 == q1 {
        c1.clone()
    } else {
        Coeffs::new(kind, q2)
    };
    dual_coeffs(&c1, &c2, q1, q2, c, s)
}

#[cfg(test)]
mod tests;
