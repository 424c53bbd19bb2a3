//! The vectorized column path for every activation with a branch-free dual: the recursion of
//! `pair.rs` reorganised layer-outer over one tile column (all rows i against one point j),
//! as `columns.rs` does for ReLU, with the activation step supplied by a [`ColumnDual`]:
//!
//! ```text
//! per layer l, for every row i:   c' = w^2 c + b^2,  s' = sqrt(w^4 s^2 + w^2 b^2 dist(q_i, q_j, c, s)),
//!                                 theta' = c' + w^2 theta   (standard: n_in c + w^2 theta + [bias])
//!                                 (c, theta, s) <- (T, Tdot theta', s'') of the dual at (c', s')
//! then, for duals with rare special cases (GELU near C = 1), a scalar pass over the flagged
//! rows re-evaluates them with the scalar path's own function.
//! ```
//!
//! ReLU ([`relu::dual_r`]), the ABReLU family ([`abrelu::dual_sq`]: LeakyReLU, Abs, ABReLU),
//! identity, erf ([`erf::dual_angles`]), erf(a, b, c) and erf-sigmoid ([`erf_affine::dual_t`],
//! whose variances come from the erf dual's own angles), and GELU ([`gelu::main`] +
//! [`gelu::near_one`], with the post-activation variances stored per point instead of
//! recomputed per entry). The scalar path (`pair.rs`) calls the
//! same `#[inline(always)]` functions, and Rust never contracts `a * b + c` into an FMA, so
//! both paths (and the AVX-512, AVX2 and baseline builds) perform the same IEEE operations
//! and agree bitwise (tested below, `column_path_equals_scalar_path_bitwise`).

use super::columns::{SlotMajor, multiversion};
use super::pair::Recursion;
use crate::Activation;
use crate::activation::relu::{self, dual_r};
use crate::activation::{ERF_SIGMOID_SCALE, abrelu, erf, erf_affine, gelu};

/// One point's variances at the current layer: pre-activation `q` and its square root `sq`,
/// post-activation `t = E[phi(u)^2]` and its square root `st`.
#[derive(Clone, Copy)]
pub(crate) struct Side {
    pub q: f64,
    pub sq: f64,
    pub t: f64,
    pub st: f64,
}

/// An activation's dual in the form the column loop needs.
pub(crate) trait ColumnDual {
    /// Whether some entries need the scalar re-evaluation [`ColumnDual::fix`].
    const FIX: bool = false;
    /// `(T, Tdot, s', flagged)` at pre-activation covariance `c` and sine part `s`
    /// (branch-free; `flagged` only if `FIX`).
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool);
    /// The flagged entry's `(T, s')` (Tdot stays), given the vectorized `T`.
    fn fix(&self, _p1: Side, _p2: Side, _c: f64, _s: f64, t: f64, s_new: f64) -> (f64, f64) {
        (t, s_new)
    }
    /// Whether the dual is split in two stages, [`ColumnDual::stage`] then
    /// [`ColumnDual::dual_staged`] (their composition must be [`ColumnDual::dual`]'s
    /// operations exactly).
    const STAGED: bool = false;
    /// The first stage at `(c, s)`, computed for a whole chunk of entries first.
    fn stage(&self, _c: f64, _s: f64) -> f64 {
        0.0
    }
    /// [`ColumnDual::dual`] given the first stage's value.
    #[inline(always)]
    fn dual_staged(
        &self,
        p1: Side,
        p2: Side,
        c: f64,
        s: f64,
        _stage: f64,
    ) -> (f64, f64, f64, bool) {
        self.dual(p1, p2, c, s)
    }
}

struct Relu;
impl ColumnDual for Relu {
    const STAGED: bool = true;
    #[inline(always)]
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        let (t, tdot, s) = dual_r(p1.sq * p2.sq, c, s);
        (t, tdot, s, false)
    }
    #[inline(always)]
    fn stage(&self, c: f64, s: f64) -> f64 {
        relu::angle(c, s)
    }
    #[inline(always)]
    fn dual_staged(&self, p1: Side, p2: Side, c: f64, s: f64, a: f64) -> (f64, f64, f64, bool) {
        let (t, tdot, s) = relu::dual_r_angle(p1.sq * p2.sq, c, s, a);
        (t, tdot, s, false)
    }
}

struct AbRelu(f64, f64);
impl ColumnDual for AbRelu {
    #[inline(always)]
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        let (t, tdot, s) = abrelu::dual_sq(self.0, self.1, p1.sq, p2.sq, c, s);
        (t, tdot, s, false)
    }
}

struct Identity;
impl ColumnDual for Identity {
    #[inline(always)]
    fn dual(&self, _: Side, _: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        (c, 1.0, s, false)
    }
}

struct Erf;
impl ColumnDual for Erf {
    #[inline(always)]
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        let (t, tdot, s, _, _) = erf::dual_angles(p1.q, p2.q, c, s);
        (t, tdot, s, false)
    }
}

struct ErfAffine(f64, f64, f64);
impl ColumnDual for ErfAffine {
    #[inline(always)]
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        let (t, tdot, s) = erf_affine::dual_t(self.0, self.1, self.2, p1.q, p2.q, c, s);
        (t, tdot, s, false)
    }
}

struct Gelu;
impl ColumnDual for Gelu {
    const FIX: bool = true;
    #[inline(always)]
    fn dual(&self, p1: Side, p2: Side, c: f64, s: f64) -> (f64, f64, f64, bool) {
        gelu::main(p1.q, p2.q, p1.t, p2.t, p1.st, p2.st, c, s)
    }
    fn fix(&self, p1: Side, p2: Side, c: f64, s: f64, t: f64, _: f64) -> (f64, f64) {
        gelu::near_one(p1.q, p2.q, p1.t, p2.t, c, s, t)
    }
}

/// Whether `act` has a column path (the kernel plan then uses it for in-range variances).
pub(crate) fn has_column(act: Activation) -> bool {
    use Activation::*;
    matches!(
        act,
        Relu | LeakyRelu { .. }
            | Abs
            | AbRelu { .. }
            | Identity
            | Gelu
            | Erf
            | ErfAffine { .. }
            | ErfSigmoid
    )
}

/// Run the hidden layers and the readout for rows `i0..i0 + c.len()` against one point with
/// variances `v2` (point-major) and their square roots `sq2`. On entry `c`, `s` hold the
/// input-layer covariance and sine part; on exit `c` holds the NNGP and `th` the NTK.
/// Only for activations with [`has_column`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn act_column(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    use Activation as A;
    match rec.act {
        A::Relu => relu_column(rec, x1, i0, v2, sq2, c, s, th),
        A::LeakyRelu { alpha } => abrelu_column(alpha, 1.0, rec, x1, i0, v2, sq2, c, s, th),
        A::Abs => abrelu_column(-1.0, 1.0, rec, x1, i0, v2, sq2, c, s, th),
        A::AbRelu { a, b } => abrelu_column(a, b, rec, x1, i0, v2, sq2, c, s, th),
        A::Identity => identity_column(rec, x1, i0, v2, sq2, c, s, th),
        A::Gelu => gelu_column(rec, x1, i0, v2, sq2, c, s, th),
        A::Erf => erf_column(rec, x1, i0, v2, sq2, c, s, th),
        A::ErfAffine { a, b, c: c0 } => erf_affine_column(a, b, c0, rec, x1, i0, v2, sq2, c, s, th),
        A::ErfSigmoid => {
            let b = 1.0 / ERF_SIGMOID_SCALE;
            erf_affine_column(0.5, b, 0.5, rec, x1, i0, v2, sq2, c, s, th)
        }
        other => unreachable_activation(other),
    }
}

#[cold]
fn unreachable_activation(act: Activation) -> ! {
    panic!("internal error: no column path for {act}")
}

multiversion!(relu_column => relu_impl(
    rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64], sq2: &[f64],
    c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn relu_impl(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&Relu, rec, x1, i0, v2, sq2, c, s, th)
}

multiversion!(abrelu_column => abrelu_impl(
    a: f64, b: f64, rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64], sq2: &[f64],
    c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn abrelu_impl(
    a: f64,
    b: f64,
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&AbRelu(a, b), rec, x1, i0, v2, sq2, c, s, th)
}

multiversion!(identity_column => identity_impl(
    rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64], sq2: &[f64],
    c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn identity_impl(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&Identity, rec, x1, i0, v2, sq2, c, s, th)
}

multiversion!(gelu_column => gelu_impl(
    rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64], sq2: &[f64],
    c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gelu_impl(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&Gelu, rec, x1, i0, v2, sq2, c, s, th)
}

multiversion!(erf_column => erf_impl(
    rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64], sq2: &[f64],
    c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn erf_impl(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&Erf, rec, x1, i0, v2, sq2, c, s, th)
}

multiversion!(erf_affine_column => erf_affine_impl(
    a: f64, b: f64, c0: f64, rec: &Recursion, x1: &SlotMajor, i0: usize, v2: &[f64],
    sq2: &[f64], c: &mut [f64], s: &mut [f64], th: &mut [f64],
));
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn erf_affine_impl(
    a: f64,
    b: f64,
    c0: f64,
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    column(&ErfAffine(a, b, c0), rec, x1, i0, v2, sq2, c, s, th)
}

/// Entries per chunk of the column loop: each layer runs in short passes over a chunk
/// (Dense, the dual's first stage, the rest), so that the out-of-order core overlaps the
/// divisions and square roots of many entries; one long pass per entry left them in one
/// dependency chain longer than its window. The order of operations per entry is unchanged.
const CHUNK: usize = 64;

/// The column loop (module docs), generic over the activation.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn column<D: ColumnDual>(
    act: &D,
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
) {
    let nr = c.len();
    let (s, th) = (&mut s[..nr], &mut th[..nr]);
    th.fill(0.0);
    // per chunk and layer: the Dense outputs (c', s'), the dual's first stage, the flags
    let mut scratch = Scratch {
        cn: [0.0; CHUNK],
        sn: [0.0; CHUNK],
        st: [0.0; CHUNK],
        flag: [false; CHUNK],
    };
    for k0 in (0..nr).step_by(CHUNK) {
        let k1 = (k0 + CHUNK).min(nr);
        chunk(
            act,
            rec,
            x1,
            i0 + k0,
            v2,
            sq2,
            &mut c[k0..k1],
            &mut s[k0..k1],
            &mut th[k0..k1],
            &mut scratch,
        );
    }
}

/// [`chunk`]'s per-layer values, allocated once per column.
struct Scratch {
    cn: [f64; CHUNK],
    sn: [f64; CHUNK],
    st: [f64; CHUNK],
    flag: [bool; CHUNK],
}

/// [`column`] on at most [`CHUNK`] rows starting at row `i0`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chunk<D: ColumnDual>(
    act: &D,
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
    scratch: &mut Scratch,
) {
    let nr = c.len();
    let (s, th) = (&mut s[..nr], &mut th[..nr]);
    let (w2, b2) = (rec.w2, rec.b2);
    let w2b2 = w2 * b2;
    let (standard, bias_term) = (rec.standard, rec.bias_term);
    let Scratch { cn, sn, st, flag } = scratch;
    let (cn, sn, st, flag) = (&mut cn[..nr], &mut sn[..nr], &mut st[..nr], &mut flag[..nr]);
    let mut n_in = rec.n_in_first;
    for l in 0..rec.depth {
        let (q1, r1) = x1.slot(2 * l, i0, nr);
        let (pq1, p1) = x1.slot(2 * l + 1, i0, nr);
        let (tq1, t1) = x1.slot(2 * l + 2, i0, nr);
        let (q2, r2) = (v2[2 * l], sq2[2 * l]);
        let side2 = Side {
            q: v2[2 * l + 1],
            sq: sq2[2 * l + 1],
            t: v2[2 * l + 2],
            st: sq2[2 * l + 2],
        };
        // Dense
        for ii in 0..nr {
            let (cc, ss, tt) = (c[ii], s[ii], th[ii]);
            cn[ii] = w2 * cc + b2;
            let dr = r1[ii] - r2;
            let dist_pos = dr * dr + 2.0 * ss * (ss / (r1[ii] * r2 + cc));
            let dist_neg = q1[ii] + q2 - 2.0 * cc;
            let dist = (if cc > 0.0 { dist_pos } else { dist_neg }).max(0.0);
            let ws = w2 * ss;
            sn[ii] = if b2 == 0.0 {
                ws
            } else {
                (ws * ws + w2b2 * dist).sqrt()
            };
            th[ii] = if standard {
                n_in * cc + w2 * tt + bias_term
            } else {
                cn[ii] + w2 * tt
            };
        }
        if D::STAGED {
            for ii in 0..nr {
                st[ii] = act.stage(cn[ii], sn[ii]);
            }
        }
        // activation
        for ii in 0..nr {
            let side1 = Side {
                q: pq1[ii],
                sq: p1[ii],
                t: tq1[ii],
                st: t1[ii],
            };
            let (t, tdot, s_out, flagged) = act.dual_staged(side1, side2, cn[ii], sn[ii], st[ii]);
            c[ii] = t;
            s[ii] = s_out;
            th[ii] *= tdot;
            if D::FIX {
                flag[ii] = flagged;
            }
        }
        if D::FIX {
            for ii in 0..nr {
                if flag[ii] {
                    let side1 = Side {
                        q: pq1[ii],
                        sq: p1[ii],
                        t: tq1[ii],
                        st: t1[ii],
                    };
                    (c[ii], s[ii]) = act.fix(side1, side2, cn[ii], sn[ii], c[ii], s[ii]);
                }
            }
        }
        n_in = rec.n_in_hidden;
    }
    // readout Dense
    for ii in 0..nr {
        let cc = c[ii];
        let c_out = w2 * cc + b2;
        th[ii] = if standard {
            n_in * cc + w2 * th[ii] + bias_term
        } else {
            c_out + w2 * th[ii]
        };
        c[ii] = c_out;
    }
}

#[cfg(test)]
mod tests {
    use crate::kernel::{KernelOptions, KernelPlan};
    use crate::rng::Rng;
    use crate::{Activation, Network};
    use faer::Mat;

    /// Rows that exercise every branch: generic, duplicate, antipodal, collinear (scaled),
    /// near-duplicate (1e-9 and 1e-5 apart), tiny (1e-30) and huge (1e30) scale, and zero.
    fn adversarial(d: usize) -> Mat<f64> {
        let mut r = Rng::new(11);
        let mut x = Mat::from_fn(14, d, |_, _| r.normal());
        for k in 0..d {
            x[(6, k)] = x[(0, k)];
            x[(7, k)] = -x[(1, k)];
            x[(8, k)] = 3.0 * x[(2, k)];
            x[(9, k)] = x[(3, k)] * (1.0 + 1e-9 * ((k % 3) as f64 - 1.0));
            x[(10, k)] = x[(4, k)] + 1e-5 * r.normal();
            x[(11, k)] *= 1e-30;
            x[(12, k)] *= 1e30;
            x[(13, k)] = 0.0;
        }
        x
    }

    /// The column path and the scalar path (`pair.rs`) give the same bits for every
    /// activation with a column path, for both parameterizations, with and without bias,
    /// depth 1 to 4, self and cross kernels, any thread count.
    #[test]
    fn column_path_equals_scalar_path_bitwise() {
        let x = adversarial(9);
        let y = Mat::from_fn(5, 9, |i, j| {
            x[(2 * i + 1, j)] * if i == 2 { -1.0 } else { 1.0 }
        });
        let acts = [
            Activation::Relu,
            Activation::Identity,
            Activation::LeakyRelu { alpha: 0.1 },
            Activation::Abs,
            Activation::AbRelu { a: -0.5, b: 2.0 },
            Activation::AbRelu { a: 0.7, b: 0.3 },
            Activation::Gelu,
            Activation::Erf,
            Activation::ErfAffine {
                a: 1.5,
                b: 0.7,
                c: 0.2,
            },
            Activation::ErfSigmoid,
        ];
        let mut checked = 0;
        for act in acts {
            assert!(super::has_column(act));
            for (depth, w, b) in [(1, 1.4, 0.0), (2, 1.3, 0.2), (4, 0.9, 1.1)] {
                let nets = [
                    Network::mlp(act, depth, w, b).unwrap(),
                    Network::mlp(act, depth, w, b)
                        .unwrap()
                        .standard(64)
                        .unwrap(),
                ];
                for net in nets {
                    for x2 in [None, Some(y.as_ref())] {
                        let fast = KernelPlan::new(&net, x.as_ref(), x2).unwrap();
                        assert!(fast.uses_columns(), "{act}");
                        let slow = KernelPlan::new(&net, x.as_ref(), x2).unwrap().scalar_only();
                        let base = slow.compute(&KernelOptions::default(), None).unwrap();
                        for (tile, threads) in [(256, 1), (5, 2)] {
                            let opts = KernelOptions {
                                tile,
                                threads,
                                ..Default::default()
                            };
                            let k = fast.compute(&opts, None).unwrap();
                            let same = |a: &Mat<f64>, b: &Mat<f64>| {
                                (0..a.nrows()).all(|i| {
                                    (0..a.ncols())
                                        .all(|j| a[(i, j)].to_bits() == b[(i, j)].to_bits())
                                })
                            };
                            assert!(same(&k.nngp, &base.nngp), "{act} {depth} nngp");
                            assert!(
                                same(k.ntk.as_ref().unwrap(), base.ntk.as_ref().unwrap()),
                                "{act} {depth} ntk"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 10 * 3 * 2 * 2 * 2);
    }
}
