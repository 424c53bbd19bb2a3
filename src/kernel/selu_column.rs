//! The exponential-linear dual over a tile column (all rows i against one point j), for the
//! vectorized kernel path (`columns_selu.rs`): the same closed forms as
//! [`crate::activation::selu::dual_with`] (module docs of [`crate::activation::selu`]),
//! organised in passes over chunks of 32 entries (fixed-size arrays) so that the compiler
//! vectorizes them; each pass is compiled for AVX-512 / AVX2 (`multiversion!`):
//!
//! ```text
//! pass 1 (per entry, branch-free):  rho, r, T = rho/(1 + r), P0 = atan2(s, -c)/(2 pi),
//!     base terms  M(a) Phi(-rho a),  M(b) Phi(-rho b),  e^(Q/2) Phi(-(a + rho b)) Phi(-(b + rho a)),
//!     M(s/a) - 1/2,  M(s/b) - 1/2                      (Cody's rational Mills ratio, exp_simd)
//! pass 2 (per entry, vectorized over its 2n Drezner–Wesolowsky nodes tau):
//!     S_u = sum w e^(-a^2 P(tau)),  S_v = sum w e^(-b^2 P),  S_uv = sum w e^(-(a^2 + b^2) P - 2ab Q(tau))
//! pass 3 (per entry, branch-free):  G = base + T/(2 pi) S,  then T, Tdot, s' as in dual_with
//! pass 4 (rare entries, scalar):   everything pass 1..3 does not cover, by dual_with itself
//! ```
//!
//! The per-point factors `M(a_i)`, `M(b)` and `sqrt(T11)`, `sqrt(T22)` (the post-activation
//! variances) come precomputed per point and layer: they repeat across a column.
//!
//! **Covered by passes 1..3** (the common case): `s > 0`, `sqrt(q1 q2) >= 0.2`, `|rho| < 0.925`,
//! `max(a, b) <= 4` (the scaled Drezner–Wesolowsky representation, with the same node counts
//! as [`crate::special::bvn::tilts`]), no cancellation fallback (rho < 0) and new correlation
//! `1 - C >= 1/200`. Everything else (small variances, |rho| near 1, large tilts, zero or
//! non-finite input, the diagonal) is handed to [`crate::activation::selu::dual_with`] unchanged.
//!
//! **Accuracy against `dual_with`**: the formulas and quadrature rules are the same, so the
//! two differ only by the rounding of `exp` (<= 2.8e-16 relative, against glibc's ~1e-16),
//! Cody's Mills ratio (<= 1e-15) and the arctangent (<= 2 ulp): T within 1e-14 sqrt(T11 T22),
//! Tdot within 1e-14 relative, s' within 1e-13 sqrt(T11 T22) (tests below and
//! `tests/selu_column.rs`). Each entry's bits depend on that entry's inputs alone.

use super::columns::multiversion;
use crate::activation::selu::{EluParams, INV_2PI, NEAR_ONE, R_SMALL, dual_with};
use crate::special::bvn::dw_rule;
use crate::special::exp_simd::{exp_fast, exp_neg_half_sq_fast};
use crate::special::fastmath::atan_ratio;
use crate::special::normal::FRAC_1_SQRT_2PI;
use crate::special::normal_simd::{cdf_fast, mills_fast, mills_m_half_fast};
use std::f64::consts::PI;

/// Above this |rho| the scalar path's tilted integrals use another representation.
const RHO_HIGH: f64 = 0.925;
/// Largest tilt of the scaled Drezner–Wesolowsky representation.
const A_DW: f64 = 4.0;

/// One point's factors at one layer: `q` (pre-activation variance), `a = sqrt(q)`,
/// `m = M(a)` (exact Mills ratio) and `sq = sqrt(T(q, q))` (sqrt of the post-activation
/// variance, bitwise the value `dual_with` computes for T11).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PointFactors {
    pub q: f64,
    pub a: f64,
    pub m: f64,
    pub sq: f64,
}

/// Lanes per chunk: the passes run over fixed-size arrays of this many entries.
const W: usize = 32;
type V = [f64; W];
/// Rules of `bvn::dw_rule`, indexed by their number of positive nodes / 2 - 3 (6..20 nodes).
const N_RULES: usize = 8;

/// Reused buffers of one column (one thread).
#[derive(Default)]
pub(crate) struct Scratch {
    chunks: Vec<Chunk>,
    /// Per rule (by its number of positive nodes - 3), the rule and the (chunk, lane) of the
    /// entries that use it.
    buckets: [Vec<(u32, u8)>; N_RULES],
    rules: [&'static [(f64, f64)]; N_RULES],
}

/// Pass 1's inputs and results for W entries (canonical order: `a` belongs to the smaller
/// variance); `fast` is false for padding lanes and entries the scalar path takes.
#[derive(Clone, Copy, Default)]
pub(crate) struct Chunk {
    c: V,
    s: V,
    a: V,
    b: V,
    ma: V,
    mb: V,
    sq: V,
    rho: V,
    tt: V,
    base_u: V,
    base_v: V,
    base_uv: V,
    p0: V,
    mh_a: V,
    mh_b: V,
    su: V,
    sv: V,
    suv: V,
    /// Outputs: T, Tdot, s'.
    t: V,
    tdot: V,
    s_new: V,
    fast: [bool; W],
}

/// The dual for rows `rows[k]` against the column point `col`, given the covariance `c[k]`
/// and sine part `s[k]` (as for [`crate::activation::selu::dual_with`]); on exit `c[k] = T`, `s[k] = s'`,
/// `tdot[k] = Tdot`.
///
/// `rows[k].sq` and `col.sq` must be `sqrt(T(q, q))` of
/// [`crate::activation::selu::t_diag`].
pub(crate) fn dual_column(
    p: &EluParams,
    rows: &[PointFactors],
    col: PointFactors,
    c: &mut [f64],
    s: &mut [f64],
    tdot: &mut [f64],
    scratch: &mut Scratch,
) {
    let n = c.len();
    let (rows, s, tdot) = (&rows[..n], &mut s[..n], &mut tdot[..n]);
    let n_chunks = n.div_ceil(W);
    scratch.chunks.resize(n_chunks, Chunk::default());
    for b in scratch.buckets.iter_mut() {
        b.clear();
    }
    for (ci, ch) in scratch.chunks[..n_chunks].iter_mut().enumerate() {
        let k0 = ci * W;
        for l in 0..W {
            // padding lanes: a harmless entry, never used
            let (row, cc, ss) = if k0 + l < n {
                (rows[k0 + l], c[k0 + l], s[k0 + l])
            } else {
                (col, 0.0, col.q)
            };
            let swap = col.q < row.q;
            let (x, y) = if swap { (col, row) } else { (row, col) };
            (ch.c[l], ch.s[l], ch.a[l], ch.b[l]) = (cc, ss, x.a, y.a);
            (ch.ma[l], ch.mb[l], ch.sq[l]) = (x.m, y.m, row.sq * col.sq);
        }
        pass_one_mv(ch);
        for l in 0..W {
            ch.fast[l] &= k0 + l < n;
            if ch.fast[l] {
                let rule = dw_rule(ch.rho[l].abs(), ch.a[l].max(ch.b[l]));
                scratch.rules[rule.len() - 3] = rule;
                scratch.buckets[rule.len() - 3].push((ci as u32, l as u8));
            }
        }
    }
    for (bucket, rule) in scratch.buckets.iter().zip(scratch.rules) {
        for group in bucket.chunks(W) {
            dw_group_mv(rule, group, &mut scratch.chunks);
        }
    }
    let mut need_scalar = false;
    for (ci, ch) in scratch.chunks[..n_chunks].iter_mut().enumerate() {
        pass_three_mv(p, ch);
        let k0 = ci * W;
        for l in 0..W.min(n - k0) {
            (c[k0 + l], tdot[k0 + l], s[k0 + l]) = (ch.t[l], ch.tdot[l], ch.s_new[l]);
            need_scalar |= !ch.fast[l];
        }
    }
    if need_scalar {
        for k in 0..n {
            let ch = &scratch.chunks[k / W];
            if !ch.fast[k % W] {
                let (q1, q2) = (rows[k].q, col.q);
                let (q1, q2) = if q2 < q1 { (q2, q1) } else { (q1, q2) };
                let d = dual_with(p, q1, q2, ch.c[k % W], ch.s[k % W]);
                (c[k], s[k], tdot[k]) = (d.t, d.s, d.tdot);
            }
        }
    }
}

multiversion!(
    /// Pass 1: correlation, node parameter, base terms and half-plane Mills differences.
    pass_one_mv => pass_one(ch: &mut Chunk)
);

#[inline(always)]
fn pass_one(ch: &mut Chunk) {
    for l in 0..W {
        let (a, b, c, s) = (ch.a[l], ch.b[l], ch.c[l], ch.s[l]);
        let rr = a * b;
        let rho = (c / rr).clamp(-1.0, 1.0);
        let r = (s / rr).min(1.0);
        // non-short-circuit `&`: no branches in the vectorized loop
        ch.fast[l] = (s > 0.0)
            & s.is_finite()
            & c.is_finite()
            & (rr >= R_SMALL)
            & (rho.abs() < RHO_HIGH)
            & (a.max(b) <= A_DW);
        ch.rho[l] = rho;
        ch.tt[l] = rho / (1.0 + r);
        ch.base_u[l] = ch.ma[l] * cdf_fast(-rho * a);
        ch.base_v[l] = ch.mb[l] * cdf_fast(-rho * b);
        // e^(Q/2) Phi(-hp) Phi(-kp) with the exponents combined (at most one of hp, kp < 0)
        let (hp, kp) = (a + rho * b, b + rho * a);
        let (mh, mk) = (mills_fast(hp.abs()), mills_fast(kp.abs()));
        let fh = if hp < 0.0 {
            1.0 - exp_neg_half_sq_fast(hp) * mh
        } else {
            mh
        };
        let fk = if kp < 0.0 {
            1.0 - exp_neg_half_sq_fast(kp) * mk
        } else {
            mk
        };
        let (ar, br) = (a * r, b * r);
        let e_arg = if hp < 0.0 {
            0.5 * ar * ar
        } else if kp < 0.0 {
            0.5 * br * br
        } else {
            -0.5 * rho * (rho * (a * a + b * b) + 2.0 * rr)
        };
        ch.base_uv[l] = fh * fk * exp_fast(e_arg);
        // atan2(s, -c) for s >= 0
        let t = atan_ratio(s, c.abs());
        ch.p0[l] = (if c > 0.0 { PI - t } else { t }) * INV_2PI;
        ch.mh_a[l] = mills_m_half_fast(s / a);
        ch.mh_b[l] = mills_m_half_fast(s / b);
    }
}

multiversion!(
    /// Pass 2 for up to W entries sharing one rule: the Drezner–Wesolowsky sums
    /// `(S_u, S_v, S_uv)`, over the rule `bvn::tilts` uses for them.
    dw_group_mv => dw_group(rule: &[(f64, f64)], group: &[(u32, u8)], chunks: &mut [Chunk])
);

#[inline(always)]
fn dw_group(rule: &[(f64, f64)], group: &[(u32, u8)], chunks: &mut [Chunk]) {
    let (mut tt, mut a, mut b) = ([0.0; W], [1.0; W], [1.0; W]);
    for (l, &(ci, li)) in group.iter().enumerate() {
        let ch = &chunks[ci as usize];
        (tt[l], a[l], b[l]) = (ch.tt[li as usize], ch.a[li as usize], ch.b[li as usize]);
    }
    // equal tilts (equal variances, e.g. normalised inputs): S_v = S_u bit for bit, so two
    // exponentials per node instead of three
    let (su, sv, suv) = if a == b {
        dw_sums::<true>(rule, &tt, &a, &b)
    } else {
        dw_sums::<false>(rule, &tt, &a, &b)
    };
    for (l, &(ci, li)) in group.iter().enumerate() {
        let ch = &mut chunks[ci as usize];
        let li = li as usize;
        (ch.su[li], ch.sv[li], ch.suv[li]) = (su[l], sv[l], suv[l]);
    }
}

/// The sums over the rule's nodes for W lanes (`SAME`: every lane has a = b).
#[inline(always)]
fn dw_sums<const SAME: bool>(rule: &[(f64, f64)], tt: &V, a: &V, b: &V) -> (V, V, V) {
    let (mut su, mut sv, mut suv) = ([0.0; W], [0.0; W], [0.0; W]);
    for &(x, w) in rule {
        // the two nodes tau = T (1 -+ x) / 2 (written out: an inner loop would keep the lane
        // loop from vectorizing)
        for l in 0..W {
            let (e1, e2, e3) = dw_node::<SAME>(tt[l], a[l], b[l], 1.0 + x, 1.0 - x, w);
            let (f1, f2, f3) = dw_node::<SAME>(tt[l], a[l], b[l], 1.0 - x, 1.0 + x, w);
            su[l] = (su[l] + e1) + f1;
            sv[l] = (sv[l] + e2) + f2;
            suv[l] = (suv[l] + e3) + f3;
        }
    }
    (su, sv, suv)
}

/// One node's weighted terms `w' e^(-a^2 P)`, `w' e^(-b^2 P)`, `w' e^(-(a^2 + b^2) P - 2ab Q)` at
/// `tau = T h1 / 2`, `T - tau = T h2 / 2` (`special/bvn/tilted.rs`, scaled Drezner–Wesolowsky form).
#[inline(always)]
fn dw_node<const SAME: bool>(t: f64, a: f64, b: f64, h1: f64, h2: f64, w: f64) -> (f64, f64, f64) {
    let (a2, b2, ab) = (a * a, b * b, a * b);
    let half_t = 0.5 * t;
    let tau = half_t * h1;
    let tm = half_t * h2;
    let omtt = 1.0 - t * tau;
    let inv_d = 1.0 / ((1.0 + t * t) * (1.0 - tau * tau));
    let wq = tm * omtt * inv_d;
    let pp = 2.0 * wq * wq;
    let qq = wq * (omtt * omtt + tm * tm) * inv_d;
    let wt = w / (1.0 + tau * tau);
    let eu = wt * exp_fast(-a2 * pp);
    let ev = if SAME { eu } else { wt * exp_fast(-b2 * pp) };
    (eu, ev, wt * exp_fast(-(a2 + b2) * pp - 2.0 * ab * qq))
}

multiversion!(
    /// Pass 3: T, Tdot, s' from the sums; clears `fast` where the scalar path must take over.
    pass_three_mv => pass_three(p: &EluParams, ch: &mut Chunk)
);

#[inline(always)]
fn pass_three(p: &EluParams, ch: &mut Chunk) {
    let (al, l2) = (p.alpha, p.l2);
    for l in 0..W {
        let (c, s) = (ch.c[l], ch.s[l]);
        let f = ch.tt[l] * INV_2PI;
        let u = ch.base_u[l] + f * ch.su[l];
        let v = ch.base_v[l] + f * ch.sv[l];
        let uv = ch.base_uv[l] + f * ch.suv[l];
        // negative rho: the integral cancels against the base where the scalar path switches
        // to the rotated representation
        let cancels = (ch.rho[l] < 0.0)
            & ((8.0 * u < ch.base_u[l]) | (8.0 * v < ch.base_v[l]) | (8.0 * uv < ch.base_uv[l]));
        let p0 = ch.p0[l];
        let gu_c = ch.ma[l] - u;
        let gv_c = ch.mb[l] - v;
        ch.tdot[l] = l2 * (p0 + al * (gu_c + gv_c) + al * al * uv);
        let a1 = c * p0 + s * INV_2PI;
        let a2 = ch.a[l] * ch.mh_a[l] * FRAC_1_SQRT_2PI + c * gv_c;
        let a3 = ch.b[l] * ch.mh_b[l] * FRAC_1_SQRT_2PI + c * gu_c;
        let a4 = (uv - u) - (v - p0);
        let t = l2 * (a1 + al * (a2 + a3) + al * al * a4);
        let sq = ch.sq[l];
        let cn = (t / sq).clamp(-1.0, 1.0);
        let near_one = (c > 0.0) & (1.0 - cn < NEAR_ONE);
        ch.t[l] = t;
        ch.s_new[l] = sq * ((1.0 - cn) * (1.0 + cn)).sqrt();
        ch.fast[l] = ch.fast[l] & !cancels & !near_one;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::selu::{SELU, t_diag};
    use crate::rng::Rng;
    use crate::special::normal::mills;

    fn point(p: &EluParams, q: f64) -> PointFactors {
        let a = q.sqrt();
        let m = mills(a);
        PointFactors {
            q,
            a,
            m,
            sq: t_diag(p, a, m).sqrt(),
        }
    }

    /// A column of random entries: variances log-uniform in [lo, hi], correlations uniform in
    /// [-1, 1] (with a share exactly at +-1 and 0).
    fn column(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut qs = Vec::new();
        let (mut cs, mut ss) = (Vec::new(), Vec::new());
        for k in 0..n {
            let q = lo * (hi / lo).powf(rng.uniform());
            let rho = match k % 50 {
                0 => 1.0,
                1 => -1.0,
                2 => 0.0,
                _ => 2.0 * rng.uniform() - 1.0,
            };
            qs.push(q);
            cs.push(rho * q);
            ss.push(q * ((1.0 - rho) * (1.0 + rho)).sqrt());
        }
        (qs, cs, ss)
    }

    /// Every entry of a column against `dual_with` on the same inputs (canonical order).
    fn check(p: &EluParams, qb: f64, lo: f64, hi: f64, seed: u64) -> (f64, f64, f64, f64) {
        let mut rng = Rng::new(seed);
        let n = 3000;
        let (qa, rho_c, rho_s) = column(&mut rng, n, lo, hi);
        let rows: Vec<PointFactors> = qa.iter().map(|&q| point(p, q)).collect();
        let col = point(p, qb);
        // covariance of the pair: c = rho sqrt(qa qb), s = sqrt(qa qb) sqrt(1 - rho^2)
        let scale: Vec<f64> = qa.iter().map(|&q| (qb / q).sqrt()).collect();
        let mut c: Vec<f64> = rho_c.iter().zip(&scale).map(|(c, k)| c * k).collect();
        let mut s: Vec<f64> = rho_s.iter().zip(&scale).map(|(s, k)| s * k).collect();
        let (c0, s0) = (c.clone(), s.clone());
        let mut tdot = vec![0.0; n];
        dual_column(
            p,
            &rows,
            col,
            &mut c,
            &mut s,
            &mut tdot,
            &mut Scratch::default(),
        );
        let (mut wt, mut wd, mut ws, mut fast) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        for k in 0..n {
            let (q1, q2) = if qb < qa[k] { (qb, qa[k]) } else { (qa[k], qb) };
            let d = dual_with(p, q1, q2, c0[k], s0[k]);
            let sq = rows[k].sq * col.sq;
            let (et, ed, es) = (
                (c[k] - d.t).abs() / sq,
                (tdot[k] / d.tdot - 1.0).abs(),
                (s[k] - d.s).abs() / sq,
            );
            if et + ed + es > 0.0 {
                fast += 1;
            }
            assert!(
                et <= 1e-14,
                "T {} vs {} at {q1} {q2} {} {}: {et:e}",
                c[k],
                d.t,
                c0[k],
                s0[k]
            );
            assert!(
                ed <= 1e-14,
                "Tdot {} vs {} at {q1} {q2} {} {}",
                tdot[k],
                d.tdot,
                c0[k],
                s0[k]
            );
            assert!(
                es <= 1e-13,
                "s' {} vs {} at {q1} {q2} {} {}",
                s[k],
                d.s,
                c0[k],
                s0[k]
            );
            (wt, wd, ws) = (wt.max(et), wd.max(ed), ws.max(es));
        }
        (wt, wd, ws, fast as f64 / n as f64)
    }

    #[test]
    fn column_matches_the_scalar_dual_within_the_stated_bound() {
        let elu = EluParams::elu(0.7);
        for (i, &(p, qb, lo, hi)) in [
            (SELU, 1.0, 0.3, 3.0),
            (SELU, 1.7, 0.05, 16.0),
            (SELU, 0.25, 1e-3, 30.0),
            (elu, 2.0, 0.2, 10.0),
            (SELU, 9.0, 1e-6, 1e3),
        ]
        .iter()
        .enumerate()
        {
            let (wt, wd, ws, share) = check(&p, qb, lo, hi, 7 + i as u64);
            println!(
                "column vs scalar (q_col {qb}, rows {lo}..{hi}): T {wt:.1e}, Tdot {wd:.1e}, s' {ws:.1e}; entries differing {share:.2}"
            );
        }
    }

    /// Run the column on single entries (row q1 against column q2), as the kernel does.
    fn column_dual(p: &EluParams, q1: f64, q2: f64, c: f64, s: f64) -> (f64, f64, f64) {
        let (mut cv, mut sv, mut td) = (vec![c], vec![s], vec![0.0]);
        let rows = [point(p, q1)];
        dual_column(
            p,
            &rows,
            point(p, q2),
            &mut cv,
            &mut sv,
            &mut td,
            &mut Scratch::default(),
        );
        (cv[0], td[0], sv[0])
    }

    /// The 30-digit SELU references of the scalar path's tests (selu/tests.rs) and the
    /// 40-digit ELU / SELU(1.2, 0.8) references of tests/data/activations_mpmath.json,
    /// through the column: the scalar path's tolerances plus the column's stated bound
    /// (1e-14 sqrt(T11 T22) for T, 1e-14 relative for Tdot, 1e-13 sqrt(T11 T22) for s').
    #[test]
    fn column_matches_high_precision_references() {
        use crate::activation::selu::tests::REFERENCE;
        let mut cases: Vec<(EluParams, [f64; 8])> = REFERENCE
            .iter()
            .map(|&(q1, q2, c, s, t, td, sn, sq)| (SELU, [q1, q2, c, s, t, td, sn, sq]))
            .collect();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/activations_mpmath.json");
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let num = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.parse::<f64>().unwrap(),
            v => v.as_f64().unwrap(),
        };
        for case in r["cases"].as_array().unwrap() {
            let act = crate::Activation::parse(case["activation"].as_str().unwrap()).unwrap();
            if let Some(p) = crate::kernel::columns_selu::elu_params(act) {
                let f = |k: &str| num(&case[k]);
                let sq = f("t11").sqrt() * f("t22").sqrt();
                let v = [
                    f("q1"),
                    f("q2"),
                    f("c"),
                    f("s"),
                    f("t"),
                    f("tdot"),
                    f("s_new"),
                    sq,
                ];
                cases.push((p, v));
            }
        }
        assert!(cases.len() > 80, "{}", cases.len());
        let (mut wt, mut wd, mut ws) = (0.0f64, 0.0f64, 0.0f64);
        for (p, [q1, q2, c, s, t, td, sn, sq]) in cases {
            let (gt, gd, gs) = column_dual(&p, q1, q2, c, s);
            let (et, ed, es) = (
                (gt - t).abs() / sq,
                (gd / td - 1.0).abs(),
                (gs - sn).abs() / sq,
            );
            assert!(
                et <= 4e-15 + 1e-14,
                "T({q1}, {q2}, {c}, {s}) = {gt:e} vs {t:e}: {et:.1e}"
            );
            assert!(
                ed <= 4e-15 + 1e-14,
                "Tdot({q1}, {q2}, {c}, {s}) = {gd:e} vs {td:e}"
            );
            assert!(
                es <= 1e-14 + 1e-13,
                "s'({q1}, {q2}, {c}, {s}) = {gs:e} vs {sn:e}"
            );
            (wt, wd, ws) = (wt.max(et), wd.max(ed), ws.max(es));
        }
        println!("column vs high-precision references: T {wt:.1e}, Tdot {wd:.1e}, s' {ws:.1e}");
    }

    /// Hard corners go to the scalar path and come back bit for bit: rho = +-1 exactly,
    /// near +-1, zero, tiny and huge variances, non-finite input; a fast entry beside them
    /// is unaffected by its neighbours.
    #[test]
    fn corners_are_the_scalar_dual_bit_for_bit() {
        let p = SELU;
        let corners: Vec<(f64, f64, f64, f64)> = vec![
            (1.0, 1.0, 1.0, 0.0),
            (2.0, 0.5, 1.0, 0.0),
            (2.0, 0.5, -1.0, 0.0),
            (1.0, 1.0, 0.999_999_999, 4.472e-5),
            (1.0, 1.0, -0.999_999, 1.414e-3),
            (0.0, 1.0, 0.0, 0.0),
            (1e-12, 3e-12, 0.0, 1.732e-12),
            (1e-3, 1e-2, 1e-3, 2.8e-3),
            (1e6, 4e5, 0.0, 632_455.532),
            (30.0, 40.0, 10.0, 33.2),
            (1.0, 1.0, f64::NAN, 1.0),
            (1.0, 1.0, 0.3, f64::INFINITY),
        ];
        let fast = (1.3, 1.7, 0.4, (1.3f64 * 1.7 - 0.16).sqrt());
        for &(q1, q2, c, s) in &corners {
            // the corner as row 0, a fast entry as row 1 (same column point q2)
            let (mut cv, mut sv, mut td) = (vec![c, fast.2], vec![s, fast.3], vec![0.0; 2]);
            let rows = [point(&p, q1), point(&p, fast.0)];
            let col = point(&p, q2);
            dual_column(
                &p,
                &rows,
                col,
                &mut cv,
                &mut sv,
                &mut td,
                &mut Scratch::default(),
            );
            let (a, b) = if q2 < q1 { (q2, q1) } else { (q1, q2) };
            let d = dual_with(&p, a, b, c, s);
            for (got, want) in [(cv[0], d.t), (td[0], d.tdot), (sv[0], d.s)] {
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "({q1}, {q2}, {c}, {s}): {got:e} vs {want:e}"
                );
            }
            let alone = column_dual(&p, fast.0, q2, fast.2, fast.3);
            assert_eq!(
                (cv[1], td[1], sv[1]),
                alone,
                "neighbour of ({q1}, {q2}, {c}, {s})"
            );
        }
    }
}
