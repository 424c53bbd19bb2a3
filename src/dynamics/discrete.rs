//! Full-batch gradient descent with step `s` in the eigenbasis of the training kernel, and
//! its stability limit.
//!
//! ```text
//! d_k       = (I - s K)^k d_0                    => decay_k(lambda) = (1 - s lambda)^k
//! f_k(x*)   = f_0(x*) - K(x*, X) V diag(gain_k) V^T d_0,
//! gain_k(lambda) = s sum_{j<k} (1 - s lambda)^j = (1 - (1 - s lambda)^k) / lambda
//!                -> k s                           as lambda -> 0
//! ```
//!
//! For `0 <= s lambda < 1`, `(1 - s lambda)^k = exp(k ln1p(-s lambda))` and
//! `1 - (1 - s lambda)^k = -expm1(k ln1p(-s lambda))`, so neither loses digits for small
//! `s lambda`. Gradient descent is stable iff `s lambda_max < 2`, i.e. `eta < 2 / lambda_max`
//! (loss Sum) or `eta < 2 N / lambda_max` (loss Mean); at `s lambda = 2` the top mode
//! oscillates without decaying, beyond it diverges.

/// `(1 - s lambda)^k`, the factor by which a mode's train residual changes after `k` steps.
/// `lambda >= 0` (clipped). May be negative (oscillation) or overflow for `s lambda > 2`.
///
/// ```
/// use ntk::dynamics::discrete::gd_decay;
/// assert_eq!(gd_decay(1.0, 0.5, 0), 1.0);
/// assert!((gd_decay(1.0, 0.5, 3) - 0.125).abs() < 1e-16);
/// assert_eq!(gd_decay(3.0, 1.0, 3), -8.0); // s lambda = 3 > 2: diverges
/// ```
pub fn gd_decay(lambda: f64, s: f64, k: u64) -> f64 {
    if k == 0 || lambda <= 0.0 {
        return 1.0;
    }
    let x = s * lambda;
    if x < 1.0 {
        ((k as f64) * (-x).ln_1p()).exp()
    } else {
        signed_pow(1.0 - x, k)
    }
}

/// `(1 - (1 - s lambda)^k) / lambda`, with the exact limit `k s` at `lambda = 0`.
///
/// ```
/// use ntk::dynamics::discrete::gd_gain;
/// assert_eq!(gd_gain(0.0, 0.1, 30), 30.0 * 0.1); // the exact limit k s
/// assert!((gd_gain(1e-19, 0.1, 30) - 3.0).abs() < 1e-14);
/// assert!((gd_gain(2.0, 0.25, 2) - (1.0 - 0.25) / 2.0).abs() < 1e-16);
/// ```
pub fn gd_gain(lambda: f64, s: f64, k: u64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if lambda <= 0.0 {
        return k as f64 * s;
    }
    let x = s * lambda;
    if x == 0.0 {
        return k as f64 * s;
    }
    if x < 1.0 {
        -((k as f64) * (-x).ln_1p()).exp_m1() / lambda
    } else {
        (1.0 - signed_pow(1.0 - x, k)) / lambda
    }
}

/// `q^k` for `q <= 0` and integer `k`, with the sign of `(-1)^k`.
fn signed_pow(q: f64, k: u64) -> f64 {
    let m = q.abs().powf(k as f64);
    if q < 0.0 && k % 2 == 1 { -m } else { m }
}

/// A warning when the effective step `s` makes gradient descent unstable (`s lambda_max >= 2`),
/// naming the largest stable learning rate; `None` when stable.
///
/// ```
/// use ntk::dynamics::discrete::stability_warning;
/// assert!(stability_warning(0.5, 3.0, 0.5, Some(0.6667)).is_none());
/// let w = stability_warning(1.0, 3.0, 1.0, Some(0.6667)).unwrap();
/// assert!(w.contains("0.6667"));
/// ```
pub fn stability_warning(
    s: f64,
    lambda_max: f64,
    learning_rate: f64,
    max_learning_rate: Option<f64>,
) -> Option<String> {
    let x = s * lambda_max;
    if x < 2.0 {
        return None;
    }
    let max = max_learning_rate.map_or_else(|| "unbounded".to_string(), |m| format!("{m:.6}"));
    let what = if x == 2.0 {
        "oscillates without converging"
    } else {
        "diverges"
    };
    Some(format!(
        "learning rate {learning_rate} is at or above the largest stable learning rate {max} \
         (2 / lambda_max for the chosen loss): gradient descent {what} along the top \
         eigenmode(s) (s * lambda_max = {x:.4} >= 2); use --lr below {max}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_powers() {
        for &(l, s) in &[(0.3, 0.5), (1.7, 1.0), (0.9, 2.0), (2.5, 0.7)] {
            for k in 0..12u64 {
                let q: f64 = 1.0 - s * l;
                let direct = q.powi(k as i32);
                assert!((gd_decay(l, s, k) - direct).abs() < 1e-14 * direct.abs().max(1.0));
                let g = (1.0 - direct) / l;
                assert!(
                    (gd_gain(l, s, k) - g).abs() < 1e-13 * g.abs().max(1.0),
                    "{l} {s} {k}"
                );
            }
        }
    }

    #[test]
    fn tends_to_the_flow() {
        // k steps of size s/k approach the flow at time 1 with rate s
        let (l, s) = (1.3, 0.8);
        let k = 1_000_000u64;
        let flow = super::super::spectral::flow_gain(l, s, 1.0);
        let gd = gd_gain(l, s / k as f64, k);
        assert!((gd - flow).abs() < 1e-6, "{gd} {flow}");
    }
}
