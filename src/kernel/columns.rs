//! The vectorized ReLU path: the same recursion as `pair.rs`, reorganised layer-outer over
//! one tile column (all rows i against one point j), with branch-free formulas
//! (`relu::dual_r`), so that the compiler vectorizes it. It is compiled for AVX-512 and AVX2
//! and chosen at run time; without contraction of a*b + c into fused multiply-adds (Rust never
//! contracts), every version performs the same IEEE operations and results are identical.
//!
//! ```text
//! per layer l, for every row i:   c' = w^2 c + b^2,  s' = sqrt(w^4 s^2 + w^2 b^2 dist(q_i, q_j, c, s)),
//!                                 theta' = c' + w^2 theta   (standard: n_in c + w^2 theta + [bias])
//!                                 (c, theta, s) <- (T, Tdot theta', s'') of relu::dual_r(sqrt(p_i p_j), c', s')
//! ```

use super::pair::Recursion;
use crate::activation::relu::dual_r;

/// Define `pub(crate) fn $name($args)` that runs `$imp` compiled for AVX-512F or AVX2 when
/// the CPU has them (checked at run time), else the baseline build of the same code.
macro_rules! multiversion {
    ($(#[$meta:meta])* $name:ident => $imp:ident ($($arg:ident: $ty:ty),* $(,)?)) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512($($arg: $ty),*) {
                    $imp($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2($($arg: $ty),*) {
                    $imp($($arg),*)
                }
                if std::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    return unsafe { avx512($($arg),*) };
                }
                if std::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}
pub(crate) use multiversion;

/// Per-point variances of one input set in slot-major order: for slot k (`q_in, pre_1,
/// post_1, ...`), `q[k * n + i]` and `sq[k * n + i] = sqrt(q)`.
pub(crate) struct SlotMajor {
    pub n: usize,
    pub q: Vec<f64>,
    pub sq: Vec<f64>,
}

impl SlotMajor {
    /// From the point-major variances (`len` per point).
    pub fn new(vars: &[f64], len: usize) -> Self {
        let n = vars.len() / len;
        let mut q = vec![0.0; vars.len()];
        for i in 0..n {
            for k in 0..len {
                q[k * n + i] = vars[i * len + k];
            }
        }
        let sq = q.iter().map(|v| v.sqrt()).collect();
        SlotMajor { n, q, sq }
    }

    #[inline(always)]
    fn slot(&self, k: usize, i0: usize, len: usize) -> (&[f64], &[f64]) {
        let a = k * self.n + i0;
        (&self.q[a..a + len], &self.sq[a..a + len])
    }
}

multiversion!(
    /// Input layer for rows `i0..i0 + c.len()` against a point with `sqrt(q_in) = sq2`: on entry
    /// `s` holds the GEMM values `x_i . x_j`; on exit `c = x_i . x_j / d` and
    /// `s = r sqrt((1 - rho)(1 + rho))` (both 0 for a zero row). Pairs near rho = +-1 and the
    /// diagonal are fixed up by the caller.
    input_column => input_column_impl(
    x1: &SlotMajor,
    i0: usize,
    sq2: f64,
    inv_d: f64,
    c: &mut [f64],
    s: &mut [f64],
));

#[inline(always)]
fn input_column_impl(
    x1: &SlotMajor,
    i0: usize,
    sq2: f64,
    inv_d: f64,
    c: &mut [f64],
    s: &mut [f64],
) {
    let n = c.len();
    let (_, sq1) = x1.slot(0, i0, n);
    let s = &mut s[..n];
    for k in 0..n {
        let cc = s[k] * inv_d;
        let r = sq1[k] * sq2;
        let rho = (cc / r).clamp(-1.0, 1.0);
        let live = r > 0.0;
        c[k] = if live { cc } else { 0.0 };
        s[k] = if live {
            r * ((1.0 - rho) * (1.0 + rho)).sqrt()
        } else {
            0.0
        };
    }
}

multiversion!(
    /// Run the hidden layers and the readout for rows `i0..i0 + c.len()` against one point with
    /// variances `v2` (point-major) and their square roots `sq2`. On entry `c`, `s` hold the
    /// input-layer covariance and sine part; on exit `c` holds the NNGP and `th` the NTK.
    relu_column => relu_column_impl(
    rec: &Recursion,
    x1: &SlotMajor,
    i0: usize,
    v2: &[f64],
    sq2: &[f64],
    c: &mut [f64],
    s: &mut [f64],
    th: &mut [f64],
));

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn relu_column_impl(
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
    let (w2, b2) = (rec.w2, rec.b2);
    let w2b2 = w2 * b2;
    th.fill(0.0);
    let mut n_in = rec.n_in_first;
    for l in 0..rec.depth {
        let (q1, r1) = x1.slot(2 * l, i0, nr);
        let (_, p1) = x1.slot(2 * l + 1, i0, nr);
        let (q2, r2, p2) = (v2[2 * l], sq2[2 * l], sq2[2 * l + 1]);
        let standard = rec.standard;
        let bias_term = rec.bias_term;
        for ii in 0..nr {
            let (cc, ss, tt) = (c[ii], s[ii], th[ii]);
            // Dense
            let c_new = w2 * cc + b2;
            let dr = r1[ii] - r2;
            let dist_pos = dr * dr + 2.0 * ss * (ss / (r1[ii] * r2 + cc));
            let dist_neg = q1[ii] + q2 - 2.0 * cc;
            let dist = (if cc > 0.0 { dist_pos } else { dist_neg }).max(0.0);
            let ws = w2 * ss;
            let s_new = if b2 == 0.0 {
                ws
            } else {
                (ws * ws + w2b2 * dist).sqrt()
            };
            let t_new = if standard {
                n_in * cc + w2 * tt + bias_term
            } else {
                c_new + w2 * tt
            };
            // ReLU
            let (t, tdot, s_out) = dual_r(p1[ii] * p2, c_new, s_new);
            c[ii] = t;
            s[ii] = s_out;
            th[ii] = t_new * tdot;
        }
        n_in = rec.n_in_hidden;
    }
    // readout Dense
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
