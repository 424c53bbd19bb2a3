//! The Hermite sums of one coefficient set from its quadrature nodes,
//!
//! ```text
//! a_k = sum_j e_j h_k(x_j)   (k even),     a_k = sum_j o_j h_k(x_j)   (k odd),
//! h_0 = 1,  h_1 = x,  h_{k+1} = (x h_k - sqrt(k) h_{k-1}) / sqrt(k + 1)
//! ```
//!
//! (`e_j`, `o_j`: the even and odd parts of the weighted integrand at the symmetric pair
//! `+-x_j`; see `smooth.rs`). The recurrence is a chain of dependent operations per node, so
//! `LANES` nodes run side by side (one vector lane each) and each `a_k` is the fixed-order
//! sum of its lanes' partial sums; a node per lane beyond the last is padded with `x = 0`
//! and zero weights. Deterministic: the same operations, in the same order, whatever the
//! CPU (the AVX2 build chosen at run time performs the baseline's IEEE operations, without
//! fused multiply-adds).

/// Nodes per group (vector lanes).
const LANES: usize = 8;

/// `a_k`, k < n, from the nodes `(x_j, e_j, o_j)` (module docs; tested below against the
/// node-by-node recurrence).
pub(super) fn hermite_sums(nodes: &[(f64, f64, f64)], n: usize) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(nodes: &[(f64, f64, f64)], n: usize) -> Vec<f64> {
            sums(nodes, n)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { avx2(nodes, n) };
        }
    }
    sums(nodes, n)
}

#[inline(always)]
fn sums(nodes: &[(f64, f64, f64)], n: usize) -> Vec<f64> {
    let sqrt_k: Vec<f64> = (0..n + 1).map(|k| (k as f64).sqrt()).collect();
    let inv_sqrt_k: Vec<f64> = (0..n + 1)
        .map(|k| if k == 0 { 0.0 } else { 1.0 / (k as f64).sqrt() })
        .collect();
    let mut acc = vec![[0.0; LANES]; n];
    for group in nodes.chunks(LANES) {
        let (mut x, mut even, mut odd) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
        for (l, &(xl, el, ol)) in group.iter().enumerate() {
            (x[l], even[l], odd[l]) = (xl, el, ol);
        }
        let (mut h0, mut h1) = ([1.0; LANES], x);
        for l in 0..LANES {
            acc[0][l] += even[l] * h0[l];
        }
        if n > 1 {
            for l in 0..LANES {
                acc[1][l] += odd[l] * h1[l];
            }
        }
        for k in 1..n.saturating_sub(1) {
            let (s, inv) = (sqrt_k[k], inv_sqrt_k[k + 1]);
            let wk = if k % 2 == 1 { &even } else { &odd };
            let out = &mut acc[k + 1];
            for l in 0..LANES {
                let h2 = (x[l] * h1[l] - s * h0[l]) * inv;
                out[l] += wk[l] * h2;
                h0[l] = h1[l];
                h1[l] = h2;
            }
        }
    }
    acc.iter()
        .map(|v| ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The node-by-node recurrence (the previous implementation's order of operations).
    fn direct(nodes: &[(f64, f64, f64)], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n];
        for &(x, e, o) in nodes {
            let (mut h0, mut h1) = (1.0, x);
            out[0] += e * h0;
            if n > 1 {
                out[1] += o * h1;
            }
            for k in 1..n.saturating_sub(1) {
                let h2 = (x * h1 - (k as f64).sqrt() * h0) / ((k + 1) as f64).sqrt();
                out[k + 1] += if k % 2 == 1 { e } else { o } * h2;
                h0 = h1;
                h1 = h2;
            }
        }
        out
    }

    #[test]
    fn lanes_agree_with_the_direct_recurrence() {
        for count in [1, 7, 8, 9, 23] {
            let nodes: Vec<(f64, f64, f64)> = (0..count)
                .map(|j| {
                    let x = 0.37 * j as f64;
                    let g = (-0.5 * x * x).exp();
                    (x, g * (1.0 + x).cos(), g * x.sin())
                })
                .collect();
            for n in [1, 2, 3, 50] {
                let (a, b) = (hermite_sums(&nodes, n), direct(&nodes, n));
                assert_eq!(a.len(), n);
                for k in 0..n {
                    assert!(
                        (a[k] - b[k]).abs() <= 1e-14,
                        "{count} {n} {k}: {} {}",
                        a[k],
                        b[k]
                    );
                }
            }
        }
    }
}
