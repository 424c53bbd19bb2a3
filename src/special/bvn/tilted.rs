//! The tilted orthant integrals (module docs of [`super`], "Tilted orthants G"):
//!
//! ```text
//! G(a1, a2; rho) = E[exp(a1 x + a2 y); x <= 0, y <= 0]          (a1, a2 >= 0)
//!                = exp(Q/2) Phi2(-(a1 + rho a2), -(a2 + rho a1); rho),  Q = a1^2 + a2^2 + 2 rho a1 a2
//! ```
//!
//! [`tilts`] returns `G(a, 0)`, `G(0, b)`, `G(a, b)` and the half-plane totals `M(a)`, `M(b)`
//! without ever forming that product: by the scaled Drezner–Wesolowsky integral (|rho| < 0.925,
//! tilts <= 4; [`dw_rule`] picks its Gauss–Legendre rule) and otherwise, or where that integral
//! cancels against its base term, by the rotated conditional form (`Rotated`).

use super::rules::{GL6, GL8, GL10, GL12, GL14, GL16, GL20, HH12, HH16, HH24, LAG24};
use super::{A_DW, BETA_LAG, INV_2PI, RHO_HIGH};
use crate::special::normal::{FRAC_1_SQRT_2PI, cdf, mills};

/// The three tilted orthant integrals of a standard bivariate normal pair `(x, y)` with
/// correlation `rho`, for tilts `a, b >= 0` (see the module docs), and the half-plane totals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tilts {
    /// `E[exp(a x); x <= 0, y <= 0]`.
    pub u: f64,
    /// `E[exp(b y); x <= 0, y <= 0]`.
    pub v: f64,
    /// `E[exp(a x + b y); x <= 0, y <= 0]`.
    pub uv: f64,
    /// `M(a) = E[exp(a x); x <= 0]` (so `E[exp(a x); x <= 0, y > 0] = m_a - u`).
    pub m_a: f64,
    /// `M(b) = E[exp(b y); y <= 0]`.
    pub m_b: f64,
}

/// The tilted orthant integrals `G(a, 0)`, `G(0, b)`, `G(a, b)` (module docs) for correlation
/// `rho` with `r = sqrt(1 - rho^2)` supplied accurately, `a, b >= 0`.
///
/// Relative accuracy ~1e-15 for all `a, b` (no overflow for huge tilts: every value is <= 1)
/// and `rho` in [-1, 1]; `r == 0` is the degenerate `y = sign(rho) x`.
///
/// ```
/// use ntk::special::bvn::{phi2, tilts};
/// let (a, b, rho) = (0.8, 1.3, 0.4);
/// let r = (1.0f64 - rho * rho).sqrt();
/// let g = tilts(a, b, rho, r);
/// // G(a, b) = exp(Q/2) Phi2(-(a + rho b), -(b + rho a); rho)
/// let q = a * a + b * b + 2.0 * rho * a * b;
/// let want = (q / 2.0).exp() * phi2(-(a + rho * b), -(b + rho * a), rho);
/// assert!((g.uv - want).abs() < 1e-15);
/// ```
pub fn tilts(a: f64, b: f64, rho: f64, r: f64) -> Tilts {
    let rho = rho.clamp(-1.0, 1.0);
    let r = r.clamp(0.0, 1.0);
    let (m_a, m_b) = (mills(a), mills(b));
    if r == 0.0 {
        return if rho > 0.0 {
            Tilts {
                u: m_a,
                v: m_b,
                uv: mills(a + b),
                m_a,
                m_b,
            }
        } else {
            Tilts {
                u: 0.0,
                v: 0.0,
                uv: 0.0,
                m_a,
                m_b,
            }
        };
    }
    if rho.abs() < RHO_HIGH && a.max(b) <= A_DW {
        let (u, v, uv) = dw_tilts(a, b, rho, r, m_a, m_b);
        Tilts { u, v, uv, m_a, m_b }
    } else {
        let g = Rotated::for_tilts(rho, r, a.max(b));
        let (u, v, uv) = g.tilts3(a, b);
        Tilts { u, v, uv, m_a, m_b }
    }
}

/// `E[exp(a1 x + a2 y); x <= 0, y <= 0]` for one pair of tilts (see [`tilts`]).
///
/// ```
/// use ntk::special::bvn::tilted;
/// use ntk::special::normal::mills;
/// // rho = 0: the expectation factorises into M(a1) M(a2)
/// let g = tilted(0.6, 2.0, 0.0, 1.0);
/// assert!((g - mills(0.6) * mills(2.0)).abs() < 1e-16);
/// ```
pub fn tilted(a1: f64, a2: f64, rho: f64, r: f64) -> f64 {
    tilts(a1, a2, rho, r).uv
}

/// Gauss–Legendre rule (positive half) for the scaled Drezner–Wesolowsky integral: the
/// smallest of 6..20 nodes that reaches the rounding floor (~4 ulps) for all three tilts, by
/// |rho| band and largest tilt (found by comparing with the rotated form, test `tune_dw_rules`).
pub(crate) fn dw_rule(abs_rho: f64, amax: f64) -> &'static [(f64, f64)] {
    // (|rho| upper bound, nodes) per tilt class
    #[rustfmt::skip]
    const TABLE: [(f64, [(f64, usize); 7]); 5] = [
        (1.0, [(0.3, 6), (0.6, 8), (0.8, 10), (0.9, 12), (1.0, 14), (1.0, 14), (1.0, 14)]),
        (1.5, [(0.2, 6), (0.5, 8), (0.7, 10), (0.9, 12), (1.0, 16), (1.0, 16), (1.0, 16)]),
        (2.0, [(0.2, 6), (0.4, 8), (0.6, 10), (0.85, 12), (1.0, 16), (1.0, 16), (1.0, 16)]),
        (3.0, [(0.1, 6), (0.3, 8), (0.5, 10), (0.7, 12), (0.8, 14), (1.0, 16), (1.0, 16)]),
        (f64::INFINITY, [(0.1, 6), (0.2, 8), (0.4, 10), (0.5, 12), (0.7, 14), (0.85, 16), (1.0, 20)]),
    ];
    let row = TABLE
        .iter()
        .find(|(a, _)| amax <= *a)
        .map_or(&TABLE[4].1, |(_, r)| r);
    let n = row
        .iter()
        .find(|(rho, _)| abs_rho < *rho)
        .map_or(20, |&(_, n)| n);
    match n {
        6 => &GL6,
        8 => &GL8,
        10 => &GL10,
        12 => &GL12,
        14 => &GL14,
        16 => &GL16,
        _ => &GL20,
    }
}

/// Scaled Drezner–Wesolowsky evaluation of G(a,0), G(0,b), G(a,b) (|rho| < 0.925, a, b <= 4).
fn dw_tilts(a: f64, b: f64, rho: f64, r: f64, m_a: f64, m_b: f64) -> (f64, f64, f64) {
    dw_tilts_rule(a, b, rho, r, m_a, m_b, dw_rule(rho.abs(), a.max(b)))
}

pub(super) fn dw_tilts_rule(
    a: f64,
    b: f64,
    rho: f64,
    r: f64,
    m_a: f64,
    m_b: f64,
    rule: &[(f64, f64)],
) -> (f64, f64, f64) {
    let (a2, b2, ab) = (a * a, b * b, a * b);
    let ss = a2 + b2;
    // base terms exp(Q/2) Phi(h) Phi(k)
    // equal tilts (equal variances, e.g. normalised inputs): G_v = G_u, two exponentials per node
    let same = a == b;
    let base_u = m_a * cdf(-rho * a);
    let base_v = if same { base_u } else { m_b * cdf(-rho * b) };
    let hp = a + rho * b;
    let kp = b + rho * a;
    let base_uv = if hp >= 0.0 && kp >= 0.0 {
        mills(hp) * mills(kp) * (-0.5 * rho * (rho * ss + 2.0 * ab)).exp()
    } else if hp < 0.0 {
        cdf(-hp) * mills(kp) * (0.5 * (a * r) * (a * r)).exp()
    } else {
        cdf(-kp) * mills(hp) * (0.5 * (b * r) * (b * r)).exp()
    };
    let tt = rho / (1.0 + r);
    let opt2 = 1.0 + tt * tt;
    let (mut su, mut sv, mut suv) = (0.0, 0.0, 0.0);
    for &(x, w) in rule {
        // tau = T (1 +- x) / 2, T - tau = T (1 -+ x) / 2
        for (tau, tm) in [
            (0.5 * tt * (1.0 + x), 0.5 * tt * (1.0 - x)),
            (0.5 * tt * (1.0 - x), 0.5 * tt * (1.0 + x)),
        ] {
            let omtt = 1.0 - tt * tau;
            let d = opt2 * (1.0 - tau * tau);
            let wq = tm * omtt / d;
            let p = 2.0 * wq * wq;
            let q = wq * (omtt * omtt + tm * tm) / d;
            let wt = w / (1.0 + tau * tau);
            su += wt * (-a2 * p).exp();
            if !same {
                sv += wt * (-b2 * p).exp();
            }
            suv += wt * (-ss * p - 2.0 * ab * q).exp();
        }
    }
    if same {
        sv = su;
    }
    let f = tt * INV_2PI;
    let (mut u, mut v) = (base_u + f * su, base_v + f * sv);
    let mut uv = if a == 0.0 {
        v
    } else if b == 0.0 {
        u
    } else {
        base_uv + f * suv
    };
    if rho < 0.0 {
        // the integral is negative: fall back where it cancels against the base
        let g = || Rotated::new(rho, r);
        if 8.0 * u < base_u {
            u = g().tilt(a, 0.0);
        }
        if 8.0 * v < base_v {
            v = g().tilt(0.0, b);
        }
        if a > 0.0 && b > 0.0 && 8.0 * uv < base_uv {
            uv = g().tilt(a, b);
        }
    }
    (u, v, uv)
}

/// The rotated conditional representation (module docs, item 2).
pub(super) struct Rotated {
    pub(super) r: f64,
    pub(super) cp: f64,
    pub(super) mu: f64,
    pub(super) herm: &'static [(f64, f64)],
}

impl Rotated {
    /// With the Hermite rule that reaches the rounding floor for tilts up to `amax`
    /// (test `tune_rotated_rules`): 12 nodes for rho >= 0.925 and moderate tilts, 16 for
    /// |rho| >= 0.925 otherwise, 24 elsewhere (large tilts at moderate rho).
    fn for_tilts(rho: f64, r: f64, amax: f64) -> Self {
        let herm: &'static [(f64, f64)] = if rho.abs() < RHO_HIGH {
            &HH24
        } else if rho > 0.0 && (amax <= 4.0 || (rho >= 0.99 && amax <= 8.0)) {
            &HH12
        } else {
            &HH16
        };
        Rotated {
            herm,
            ..Rotated::new(rho, r)
        }
    }

    pub(super) fn new(rho: f64, r: f64) -> Self {
        let (opr, omr) = if rho >= 0.0 {
            let opr = 1.0 + rho;
            (opr, r * r / opr)
        } else {
            let omr = 1.0 - rho;
            (r * r / omr, omr)
        };
        Rotated {
            r,
            cp: (0.5 * opr).sqrt(),
            mu: (0.5 * omr).sqrt(),
            herm: &HH24,
        }
    }

    /// (G(a, 0), G(0, b), G(a, b)), sharing the exponentials when one rule serves all.
    fn tilts3(&self, a: f64, b: f64) -> (f64, f64, f64) {
        let (ba, bb) = (a * self.r, b * self.r);
        if ba >= BETA_LAG || bb >= BETA_LAG || a == 0.0 || b == 0.0 {
            let (u, v) = (self.tilt(a, 0.0), self.tilt(0.0, b));
            let uv = if a == 0.0 {
                v
            } else if b == 0.0 {
                u
            } else {
                self.tilt(a, b)
            };
            return (u, v, uv);
        }
        let (al_u, al_v, al_uv) = (a * self.cp, b * self.cp, (a + b) * self.cp);
        let (mut su, mut sv, mut suv) = (0.0, 0.0, 0.0);
        for &(y, w) in self.herm {
            let (ea, eb) = ((-ba * y).exp(), (-bb * y).exp());
            let my = self.mu * y;
            su += w * (1.0 + ea) * mills(al_u + my);
            sv += w * (1.0 + eb) * mills(al_v + my);
            suv += w * (ea + eb) * mills(al_uv + my);
        }
        let k = self.cp * FRAC_1_SQRT_2PI;
        (k * su, k * sv, k * suv)
    }

    /// G(a1, a2).
    pub(super) fn tilt(&self, a1: f64, a2: f64) -> f64 {
        let alpha = (a1 + a2) * self.cp;
        let (b1, b2) = (a1 * self.r, a2 * self.r);
        let (h1, h2) = (b1 < BETA_LAG, b2 < BETA_LAG);
        let mut s = 0.0;
        if h1 || h2 {
            for &(y, w) in self.herm {
                let e1 = if !h1 {
                    0.0
                } else if b1 == 0.0 {
                    1.0
                } else {
                    (-b1 * y).exp()
                };
                let e2 = if !h2 {
                    0.0
                } else if b2 == 0.0 {
                    1.0
                } else {
                    (-b2 * y).exp()
                };
                s += w * (e1 + e2) * mills(alpha + self.mu * y);
            }
        }
        if !h1 {
            s += self.laguerre(b1, alpha);
        }
        if !h2 {
            s += self.laguerre(b2, alpha);
        }
        self.cp * FRAC_1_SQRT_2PI * s
    }

    /// int_0^inf exp(-beta y - y^2/2) M(alpha + mu y) dy by Gauss–Laguerre in w = (beta + 1) y.
    fn laguerre(&self, beta: f64, alpha: f64) -> f64 {
        let kappa = beta + 1.0;
        let ik = 1.0 / kappa;
        let mut s = 0.0;
        for &(w, wt) in &LAG24 {
            let y = w * ik;
            s += wt * (y * (1.0 - 0.5 * y)).exp() * mills(alpha + self.mu * y);
        }
        s * ik
    }
}
