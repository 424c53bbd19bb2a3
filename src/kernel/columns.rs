//! The vectorized column path's common parts: the same recursion as `pair.rs`, reorganised
//! layer-outer over one tile column (all rows i against one point j), with branch-free
//! formulas (`relu::dual_r` and the others of `columns_act.rs`), so that the compiler
//! vectorizes it. This file: the multiversioning macro, the slot-major variances and the
//! input layer:
//!
//! ```text
//! c = x_i . x_j / d,   s = sqrt(q_i) sqrt(q_j) sqrt((1 - rho)(1 + rho)),   rho = c / (sqrt(q_i) sqrt(q_j))
//! ```
//!
//! Each loop is compiled for AVX-512 and AVX2 and chosen at run time; without contraction of
//! a*b + c into fused multiply-adds (Rust never contracts), every version performs the same
//! IEEE operations and results are identical.

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
    pub(crate) fn slot(&self, k: usize, i0: usize, len: usize) -> (&[f64], &[f64]) {
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
