//! The layer recursion for one kernel entry (x, x'), carried as the pair state
//! `(c, s, theta)` with `c = Sigma(x, x')`, `s = sqrt(Sigma(x,x) Sigma(x',x') - c^2)` and
//! `theta = Theta(x, x')`; the diagonal variances come precomputed per point and layer.
//!
//! ```text
//! Dense (ntk):      c' = w^2 c + b^2,        theta' = c' + w^2 theta
//! Dense (standard): c' = w^2 c + b^2,        theta' = n_in c + w^2 theta + [bias]
//!                   s'^2 = w^4 s^2 + w^2 b^2 (q1 + q2 - 2c)
//!                   with q1 + q2 - 2c = (sqrt q1 - sqrt q2)^2 + 2 s^2 / (sqrt(q1 q2) + c), c > 0
//! Activation:       c' = T(q1, q2, c),       theta' = Tdot(q1, q2, c) theta,  s' from the dual
//! ```
//!
//! Carrying `s` instead of recomputing `sqrt(q1 q2 - c^2)` at every layer is what keeps
//! correlations of exactly +-1 exact and near +-1 accurate (see [`crate::activation`]).

use crate::activation::Activation;
use crate::activation::{gelu, smooth};
use crate::network::{Network, Parameterization};
use std::sync::Arc;

/// Per-network constants of the recursion, precomputed once.
#[derive(Clone, Debug)]
pub(crate) struct Recursion {
    pub act: Activation,
    pub depth: usize,
    pub w2: f64,
    pub b2: f64,
    pub standard: bool,
    /// n_in of the first Dense (the data dimension d) and of the later ones (the width).
    pub n_in_first: f64,
    pub n_in_hidden: f64,
    /// 1 if the standard-parameterization NTK gets the trainable-bias term.
    pub bias_term: f64,
    /// For the series activations (tanh, softplus, SiLU, sigmoid): their Hermite coefficients
    /// by variance, filled by `point_vars` and read by `entry`.
    pub series: Option<Arc<smooth::Cache>>,
}

impl Recursion {
    pub fn new(net: &Network, d: usize) -> Self {
        let b = net.b();
        Recursion {
            act: net.activation,
            depth: net.depth,
            w2: net.w_std * net.w_std,
            b2: b * b,
            standard: net.parameterization == Parameterization::Standard,
            n_in_first: d as f64,
            n_in_hidden: net.width.unwrap_or(0) as f64,
            bias_term: if net.bias { 1.0 } else { 0.0 },
            series: net
                .activation
                .is_series()
                .then(|| Arc::new(smooth::Cache::default())),
        }
    }

    /// Number of per-point variances stored: `[q_in, pre_1, post_1, ..., pre_L, post_L]`.
    pub fn vars_len(&self) -> usize {
        1 + 2 * self.depth
    }

    /// The diagonal variances of one point, from its input variance `q_in = |x|^2 / d`,
    /// computed with the same operations as the pair recursion at (q, q, q, 0).
    pub fn point_vars(&self, q_in: f64, out: &mut [f64]) {
        out[0] = q_in;
        let mut q = q_in;
        for l in 0..self.depth {
            let pre = self.w2 * q + self.b2;
            let post = match &self.series {
                // the same value as act.dual(pre, pre, pre, 0).t, from cached coefficients
                Some(cache) => cache.get(self.act.smooth_kind(), pre).var(),
                None => self.act.dual(pre, pre, pre, 0.0).t,
            };
            out[1 + 2 * l] = pre;
            out[2 + 2 * l] = post;
            q = post;
        }
    }

    /// The Sine part after a Dense layer.
    #[inline]
    fn dense_s(&self, q1: f64, q2: f64, c: f64, s: f64) -> f64 {
        let ws = self.w2 * s;
        if self.b2 == 0.0 {
            return ws;
        }
        let dist = if c > 0.0 {
            let (r1, r2) = (q1.sqrt(), q2.sqrt());
            let dr = r1 - r2;
            dr * dr + 2.0 * s * (s / (r1 * r2 + c))
        } else {
            q1 + q2 - 2.0 * c
        };
        let sq = ws * ws + self.w2 * self.b2 * dist.max(0.0);
        if sq.is_finite() && sq > 1e-280 {
            sq.sqrt()
        } else {
            // extreme scales: avoid over/underflow of the squares
            ws.hypot((self.w2 * self.b2 * dist.max(0.0)).sqrt())
        }
    }

    /// The activation's dual at pre-activation variances `q1`, `q2` with post-activation
    /// variances `t1`, `t2` (stored per point): from cached coefficients for the series
    /// activations (`T`, `Tdot` bitwise those of `act.dual`; `s'` by the plain formula,
    /// which is all the next layer needs: [`smooth::dual_coeffs_kernel`]), from the stored
    /// variances for GELU (bitwise equal to `act.dual`, which orders the variances the same
    /// way).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn dual(
        &self,
        q1: f64,
        q2: f64,
        t1: f64,
        t2: f64,
        c: f64,
        s: f64,
        accurate_s: bool,
    ) -> crate::activation::Dual {
        let (q1, q2, t1, t2) = if q2 < q1 {
            (q2, q1, t2, t1)
        } else {
            (q1, q2, t1, t2)
        };
        match &self.series {
            None if self.act == Activation::Gelu => gelu::dual_vars(q1, q2, t1, t2, c, s),
            None => self.act.dual(q1, q2, c, s),
            Some(cache) => {
                let kind = self.act.smooth_kind();
                cache.with(kind, q1, |c1| {
                    cache.with(kind, q2, |c2| {
                        if accurate_s {
                            smooth::dual_coeffs(c1, c2, q1, q2, c, s)
                        } else {
                            smooth::dual_coeffs_kernel(c1, c2, q1, q2, c, s)
                        }
                    })
                })
            }
        }
    }

    /// Push one entry through the whole network. `v1`, `v2`: the two points' variances
    /// (`point_vars` layout); `c`, `s`: input-layer covariance and sine part.
    /// Returns `(nngp, ntk)` of the scalar output.
    #[inline]
    pub fn entry(&self, v1: &[f64], v2: &[f64], c: f64, s: f64) -> (f64, f64) {
        self.entry_with(v1, v2, c, s, false)
    }

    /// [`Recursion::entry`], with the series activations' accurate `s'` if `accurate_s`
    /// (the tests' reference: the kernel's `T` and `Tdot` must not depend on it).
    #[inline(always)]
    fn entry_with(
        &self,
        v1: &[f64],
        v2: &[f64],
        mut c: f64,
        mut s: f64,
        accurate_s: bool,
    ) -> (f64, f64) {
        let mut theta = 0.0;
        let (mut q1, mut q2) = (v1[0], v2[0]);
        let mut n_in = self.n_in_first;
        for l in 0..self.depth {
            // Dense
            let c_new = self.w2 * c + self.b2;
            s = self.dense_s(q1, q2, c, s);
            theta = if self.standard {
                n_in * c + self.w2 * theta + self.bias_term
            } else {
                c_new + self.w2 * theta
            };
            c = c_new;
            n_in = self.n_in_hidden;
            // activation
            let d = self.dual(
                v1[1 + 2 * l],
                v2[1 + 2 * l],
                v1[2 + 2 * l],
                v2[2 + 2 * l],
                c,
                s,
                accurate_s,
            );
            theta *= d.tdot;
            c = d.t;
            s = d.s;
            q1 = v1[2 + 2 * l];
            q2 = v2[2 + 2 * l];
        }
        // readout Dense
        let c_out = self.w2 * c + self.b2;
        let theta_out = if self.standard {
            n_in * c + self.w2 * theta + self.bias_term
        } else {
            c_out + self.w2 * theta
        };
        (c_out, theta_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The series activations' kernels use the plain `s'` (`smooth::dual_coeffs_kernel`):
    /// against the accurate one through a depth-4 network, duplicates agree bitwise and the
    /// hard corners (near-duplicates with nearly equal and with different norms, collinear,
    /// antipodal, nearly antipodal) to rounding.
    #[test]
    fn series_kernels_do_not_depend_on_the_accurate_sine_part() {
        for act in [
            Activation::Tanh,
            Activation::Softplus,
            Activation::Silu,
            Activation::Sigmoid,
        ] {
            let net = Network::mlp(act, 4, 1.3, 0.1).unwrap();
            let rec = Recursion::new(&net, 10);
            let vars = |q: f64| {
                let mut v = vec![0.0; rec.vars_len()];
                rec.point_vars(q, &mut v);
                v
            };
            // (q1, q2, angle): c = sqrt(q1 q2) cos, s = sqrt(q1 q2) sin
            let cases = [
                (1.0, 1.0, 0.0),
                (1.0, 1.0, std::f64::consts::PI),
                (1.0, 1.0 + 1e-9, 1e-8),
                (1.0, 1.0 + 1e-12, 1e-6),
                (0.7, 0.7, 1e-7),
                (1.0, 4.0, 0.0),
                (1.0, 4.0, 1e-9),
                (2.0, 2.0 + 1e-10, std::f64::consts::PI - 1e-7),
                (0.3, 1.7, 0.6),
            ];
            for (q1, q2, ang) in cases {
                let (v1, v2) = (vars(q1), vars(q2));
                let r = f64::sqrt(q1) * f64::sqrt(q2);
                let (c, s) = (r * f64::cos(ang), r * f64::sin(ang));
                let (k, t) = rec.entry_with(&v1, &v2, c, s, false);
                let (k_ref, t_ref) = rec.entry_with(&v1, &v2, c, s, true);
                if q1 == q2 && s == 0.0 {
                    assert_eq!((k, t), (k_ref, t_ref), "{act} {q1} {q2} {ang}");
                }
                let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
                assert!(
                    rel(k, k_ref) <= 4.0 * f64::EPSILON && rel(t, t_ref) <= 4.0 * f64::EPSILON,
                    "{act} {q1} {q2} {ang}: {k:e} {k_ref:e} {t:e} {t_ref:e}"
                );
            }
        }
    }
}
