//! The vectorized path of the exponential-linear family (SELU, ELU, SELU with free
//! constants): the recursion of `pair.rs` reorganised layer-outer over one tile column, as
//! `columns.rs` does for ReLU, with the activation's dual taken over the whole column by
//! [`super::selu_column::dual_column`] (`selu_column.rs`):
//!
//! ```text
//! per layer l, for every row i:  c' = w^2 c + b^2,  s' = sqrt(w^4 s^2 + w^2 b^2 dist(q_i, q_j, c, s)),
//!                                theta' = c' + w^2 theta   (standard: n_in c + w^2 theta + [bias])
//! then over the column:          (c, s, Tdot) <- dual_column(factors_i(l), factors_j(l), c', s'),
//!                                theta <- theta' Tdot
//! ```
//!
//! The per-point factors (`q`, `sqrt q`, `M(sqrt q)` of the pre-activation variance and the
//! square root of the post-activation variance) are computed once per point and layer.
//! Compiled for AVX-512 and AVX2 and chosen at run time; only IEEE add/mul/div/sqrt, so
//! every version gives the same bits, and each entry's bits depend on its inputs alone.

use super::columns::{SlotMajor, multiversion};
use super::pair::Recursion;
use super::selu_column::{PointFactors, Scratch, dual_column};
use crate::Activation;
use crate::activation::selu::EluParams;
use crate::special::normal::mills;

/// The family's constants and the per-point factors of both input sets.
pub(crate) struct EluFactors {
    p: EluParams,
    depth: usize,
    /// x1: layer-major, `rows[l * n1 + i]`.
    n1: usize,
    rows: Vec<PointFactors>,
    /// x2 (or x1): point-major, `cols[j * depth + l]`.
    cols: Vec<PointFactors>,
}

/// The constants of an activation of the family with a vectorized path (CELU keeps the
/// scalar one).
pub(crate) fn elu_params(act: Activation) -> Option<EluParams> {
    match act {
        Activation::Selu => Some(crate::activation::selu::SELU),
        Activation::Elu { alpha } => Some(EluParams::elu(alpha)),
        Activation::SeluWith { lambda, alpha } => Some(EluParams::new(lambda, alpha)),
        _ => None,
    }
}

fn factors(vars: &[f64], len: usize, l: usize, i: usize) -> PointFactors {
    let q = vars[i * len + 1 + 2 * l];
    let a = q.sqrt();
    PointFactors {
        q,
        a,
        m: mills(a),
        sq: vars[i * len + 2 + 2 * l].sqrt(),
    }
}

impl EluFactors {
    /// From the point-major variances of `point_vars` (`len = 1 + 2 depth` per point).
    pub fn new(p: EluParams, depth: usize, vars1: &[f64], vars2: &[f64]) -> Self {
        let len = 1 + 2 * depth;
        let (n1, n2) = (vars1.len() / len, vars2.len() / len);
        let rows = (0..depth)
            .flat_map(|l| (0..n1).map(move |i| factors(vars1, len, l, i)))
            .collect();
        let cols = (0..n2)
            .flat_map(|j| (0..depth).map(move |l| factors(vars2, len, l, j)))
            .collect();
        EluFactors {
            p,
            depth,
            n1,
            rows,
            cols,
        }
    }
}

multiversion!(
    /// Run the hidden layers and the readout for rows `i0..i0 + c.len()` against point `j`
    /// with variances `v2` (point-major) and their square roots `sq2`. On entry `c`, `s` hold
    /// the input-layer covariance and sine part; on exit `c` holds the NNGP and `th` the NTK.
    /// `tdot` and `scratch` are work space.
    elu_column => elu_column_impl(
    rec: &Recursion,
    f: &EluFactors,
    x1: &SlotMajor,
    i0: usize,
    j: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
    tdot: &mut Vec<f64>,
    scratch: &mut Scratch,
));

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn elu_column_impl(
    rec: &Recursion,
    f: &EluFactors,
    x1: &SlotMajor,
    i0: usize,
    j: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
    tdot: &mut Vec<f64>,
    scratch: &mut Scratch,
) {
    let nr = c.len();
    let (s, th) = (&mut s[..nr], &mut th[..nr]);
    tdot.resize(nr, 0.0);
    let (w2, b2) = (rec.w2, rec.b2);
    let w2b2 = w2 * b2;
    th.fill(0.0);
    let mut n_in = rec.n_in_first;
    for l in 0..rec.depth {
        let a = 2 * l * x1.n + i0;
        let (q1, r1) = (&x1.q[a..a + nr], &x1.sq[a..a + nr]);
        let (q2, r2) = (v2[2 * l], sq2[2 * l]);
        for ii in 0..nr {
            let (cc, ss, tt) = (c[ii], s[ii], th[ii]);
            let c_new = w2 * cc + b2;
            let dr = r1[ii] - r2;
            let dist_pos = dr * dr + 2.0 * ss * (ss / (r1[ii] * r2 + cc));
            let dist_neg = q1[ii] + q2 - 2.0 * cc;
            let dist = (if cc > 0.0 { dist_pos } else { dist_neg }).max(0.0);
            let ws = w2 * ss;
            s[ii] = if b2 == 0.0 {
                ws
            } else {
                (ws * ws + w2b2 * dist).sqrt()
            };
            th[ii] = if rec.standard {
                n_in * cc + w2 * tt + rec.bias_term
            } else {
                c_new + w2 * tt
            };
            c[ii] = c_new;
        }
        let rows = &f.rows[l * f.n1 + i0..l * f.n1 + i0 + nr];
        let col = f.cols[j * f.depth + l];
        dual_column(&f.p, rows, col, c, s, tdot, scratch);
        for ii in 0..nr {
            th[ii] *= tdot[ii];
        }
        n_in = rec.n_in_hidden;
    }
    for ii in 0..nr {
        let cc = c[ii];
        let c_out = w2 * cc + b2;
        th[ii] = if rec.standard {
            n_in * cc + w2 * th[ii] + rec.bias_term
        } else {
            c_out + w2 * th[ii]
        };
        c[ii] = c_out;
    }
}
