//! Per-eigenmode factors of the gradient flow, computed without cancellation.
//!
//! For a mode with eigenvalue `lambda >= 0` of the training kernel and effective rate `s`
//! (see [`Loss`](super::Loss)):
//!
//! ```text
//! decay(lambda, t) = exp(-s lambda t)                          train residual multiplier
//! gain(lambda, t)  = s * integral_0^t exp(-s lambda u) du
//!                  = (1 - exp(-s lambda t)) / lambda = -expm1(-s lambda t) / lambda
//!                  -> s t                  as lambda -> 0 (exact limit, used at lambda = 0)
//!                  -> 1 / lambda           as t -> infinity (lambda > 0)
//! ```
//!
//! Test outputs move by `-K(x*, X) V diag(gain) V^T d(0)`. `expm1` keeps `gain` accurate to
//! a few ulps for every `lambda t`, including subnormal `lambda` (neural-tangents computes
//! `(exp(-lambda t) - 1) / lambda`, which is NaN at `lambda = 0` and loses digits for small
//! `lambda t`). The gradient-descent analogues are in [`discrete`](super::discrete).

/// `exp(-s lambda t)`: the factor by which a mode's train residual shrinks by time `t`.
/// `lambda` must be `>= 0` (clipped); `t = infinity` gives 0 for `lambda > 0` and 1 for
/// `lambda = 0` (a null mode is never learned).
///
/// ```
/// use ntk::dynamics::spectral::flow_decay;
/// assert_eq!(flow_decay(2.0, 0.5, 0.0), 1.0);
/// assert!((flow_decay(2.0, 0.5, 3.0) - (-3.0f64).exp()).abs() < 1e-16);
/// assert_eq!(flow_decay(0.0, 1.0, f64::INFINITY), 1.0);
/// assert_eq!(flow_decay(1e-300, 1.0, f64::INFINITY), 0.0);
/// ```
pub fn flow_decay(lambda: f64, s: f64, t: f64) -> f64 {
    if lambda <= 0.0 || t == 0.0 {
        return 1.0;
    }
    if t.is_infinite() {
        return 0.0;
    }
    (-(s * lambda) * t).exp()
}

/// `(1 - exp(-s lambda t)) / lambda`, with the exact limit `s t` at `lambda = 0`; at
/// `t = infinity` it is `1 / lambda` (and `+infinity` for `lambda = 0`: callers treat null
/// modes by the pseudo-inverse).
///
/// ```
/// use ntk::dynamics::spectral::flow_gain;
/// assert_eq!(flow_gain(0.0, 0.5, 4.0), 2.0);              // exact limit s t
/// let g = flow_gain(1e-20, 0.5, 4.0);                    // tiny eigenvalue: no cancellation
/// assert!((g - 2.0).abs() < 1e-15);
/// assert!((flow_gain(3.0, 1.0, 2.0) - (1.0 - (-6.0f64).exp()) / 3.0).abs() < 1e-16);
/// assert_eq!(flow_gain(4.0, 1.0, f64::INFINITY), 0.25);
/// ```
pub fn flow_gain(lambda: f64, s: f64, t: f64) -> f64 {
    if t == 0.0 {
        return 0.0;
    }
    if lambda <= 0.0 {
        return s * t;
    }
    if t.is_infinite() {
        return 1.0 / lambda;
    }
    let x = s * lambda * t;
    if x == 0.0 {
        // s * lambda * t underflowed: the linear regime, exactly.
        return s * t;
    }
    -(-x).exp_m1() / lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_is_continuous_in_lambda_and_monotone_in_t() {
        let s = 0.3;
        for &t in &[1e-3, 1.0, 7.0, 1e4] {
            let g0 = flow_gain(0.0, s, t);
            for &l in &[1e-300, 1e-200, 1e-30, 1e-17, 1e-12] {
                let g = flow_gain(l, s, t);
                // exact: g = s t (1 - x/2 + x^2/6 - ...), x = s l t (continuous at l = 0)
                let x = s * l * t;
                let want = g0 * (1.0 - x / 2.0 + x * x / 6.0);
                assert!(
                    ((g - want) / want).abs() < 1e-13,
                    "l={l} t={t} g={g} want={want}"
                );
            }
        }
        let mut prev = 0.0;
        for i in 0..50 {
            let g = flow_gain(2.5, s, i as f64 * 0.37);
            assert!(g >= prev);
            prev = g;
        }
        assert!(prev <= 1.0 / 2.5);
    }

    #[test]
    fn decay_and_gain_are_consistent() {
        // decay = 1 - lambda * gain / 1 (since s cancels): 1 - exp(-x) = lambda * gain
        for &(l, s, t) in &[(0.5, 1.0, 2.0), (3.0, 0.01, 5.0), (1e-8, 2.0, 3.0)] {
            let lhs = 1.0 - flow_decay(l, s, t);
            let rhs = l * flow_gain(l, s, t);
            assert!((lhs - rhs).abs() < 1e-15, "{lhs} {rhs}");
        }
    }
}
