//! The two Mehler sums of one kernel entry,
//!
//! ```text
//! T    = sum_{k < n} a1_k a2_k rho^k,      Tdot = sum_{k < m} d1_k d2_k rho^k,   m <= n,
//! ```
//!
//! as `LANES` interleaved partial sums: lane `j` holds the terms `k = j + LANES b`, with the
//! powers `rho^k = rho^j (rho^LANES)^b` carried as running products, and the lanes are added
//! in a fixed tree at the end. Horner's rule (`acc = acc rho + p_k`) is one chain of dependent
//! operations, so it runs at one term per floating-point latency; the lanes are independent
//! and vectorize, so an entry of 300 terms costs ~40 vector steps instead of ~600 dependent
//! ones. The rounding error is of the same order as Horner's: each power carries at most
//! `(LANES + b) eps` relative error and each partial sum `(b + 3) eps` of its absolute terms,
//! i.e. `<= (k_max / LANES + LANES + 4) eps sum_k |a1_k a2_k rho^k|` in all.
//!
//! Every entry's result depends on its inputs only (fixed order, no fused multiply-adds, the
//! same operations in the AVX2 build chosen at run time and the baseline build), so kernels
//! stay bitwise identical for any thread count, tile size and CPU.

/// Number of interleaved partial sums.
const LANES: usize = 8;

/// `(T, Tdot)` as in the module docs; `n` and `m` must not exceed the slices' lengths.
///
/// ```
/// use ntk::activation::smooth::series_sums;
/// let (a, d) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// assert_eq!(series_sums(&a, &a, &d, &d, 0.5, 3, 2), (1.0 + 4.0 * 0.5 + 9.0 * 0.25, 16.0 + 25.0 * 0.5));
/// ```
#[inline]
pub fn series_sums(
    a1: &[f64],
    a2: &[f64],
    d1: &[f64],
    d2: &[f64],
    rho: f64,
    n: usize,
    m: usize,
) -> (f64, f64) {
    let m = m.min(n);
    let (a1, a2, d1, d2) = (&a1[..n], &a2[..n], &d1[..m], &d2[..m]);
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(a1: &[f64], a2: &[f64], d1: &[f64], d2: &[f64], rho: f64) -> (f64, f64) {
            sums(a1, a2, d1, d2, rho)
        }
        if n >= 2 * LANES && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { avx2(a1, a2, d1, d2, rho) };
        }
    }
    sums(a1, a2, d1, d2, rho)
}

/// The lane sums over `a1.len()` terms of T and `d1.len()` (<= that) of Tdot.
#[inline(always)]
fn sums(a1: &[f64], a2: &[f64], d1: &[f64], d2: &[f64], rho: f64) -> (f64, f64) {
    let mut pw = [0.0; LANES];
    let mut p = 1.0;
    for w in pw.iter_mut() {
        *w = p;
        p *= rho;
    }
    // p = rho^LANES
    let (mut t, mut td) = ([0.0; LANES], [0.0; LANES]);
    let m = d1.len();
    let both = m / LANES * LANES;
    let blocks = a1[..both]
        .chunks_exact(LANES)
        .zip(a2[..both].chunks_exact(LANES))
        .zip(d1.chunks_exact(LANES).zip(d2.chunks_exact(LANES)));
    for ((x1, x2), (y1, y2)) in blocks {
        for j in 0..LANES {
            t[j] += x1[j] * x2[j] * pw[j];
            td[j] += y1[j] * y2[j] * pw[j];
            pw[j] *= p;
        }
    }
    // Tdot's last partial block
    for j in 0..m - both {
        td[j] += d1[both + j] * d2[both + j] * pw[j];
    }
    // T's remaining terms, in lanes continuing the same powers
    let rest = a1.len() - both;
    let mut k = 0;
    while k < rest {
        for j in 0..LANES.min(rest - k) {
            t[j] += a1[both + k + j] * a2[both + k + j] * pw[j];
            pw[j] *= p;
        }
        k += LANES;
    }
    (reduce(&t), reduce(&td))
}

/// The lanes added in a fixed tree.
#[inline(always)]
fn reduce(v: &[f64; LANES]) -> f64 {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small integers and rho in {0, +-1/2, +-1}: every term and partial sum is exact.
    #[test]
    fn exact_on_dyadic_inputs() {
        for n in 0..40usize {
            let a: Vec<f64> = (0..n).map(|k| (k % 7) as f64 - 3.0).collect();
            let d: Vec<f64> = (0..n).map(|k| (k % 5) as f64 - 2.0).collect();
            for &rho in &[0.0, 0.5, -0.5, 1.0, -1.0] {
                for m in [n, n.saturating_sub(3)] {
                    let (t, td) = series_sums(&a, &d, &d, &a, rho, n, m);
                    let horner = |x: &[f64], y: &[f64], len: usize| {
                        (0..len).rev().fold(0.0, |acc, k| acc * rho + x[k] * y[k])
                    };
                    assert_eq!(t, horner(&a, &d, n), "n {n} rho {rho}");
                    assert_eq!(td, horner(&d, &a, m), "n {n} m {m} rho {rho}");
                }
            }
        }
    }

    #[test]
    fn close_to_horner_on_decaying_series() {
        // coefficients like tanh's (decaying, alternating parity) at rho near 1 and -1
        let a: Vec<f64> = (0..400)
            .map(|k| (-(k as f64).sqrt()).exp() * if k % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        for &rho in &[0.999, -0.999, 0.6, -0.3] {
            let (t, _) = series_sums(&a, &a, &a, &a, rho, 400, 400);
            let exact: f64 = (0..400).rev().fold(0.0, |acc, k| acc * rho + a[k] * a[k]);
            let abs: f64 = (0..400)
                .map(|k| (a[k] * a[k] * rho.powi(k as i32)).abs())
                .sum();
            assert!((t - exact).abs() <= 100.0 * f64::EPSILON * abs, "rho {rho}");
        }
    }
}
