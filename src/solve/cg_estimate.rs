//! The Strakos-Tichy estimate of the energy-norm error of (preconditioned) CG, per column:
//!
//! ```text
//! ||x* - x_i||_A^2 - ||x* - x_{i+1}||_A^2 = alpha_i r_i.z_i          (every PCG step)
//! nu(k, d) = sum_{i=k}^{k+d-1} alpha_i r_i.z_i  <=  ||x* - x_k||_A^2   (a lower bound)
//! ```
//!
//! (Strakos & Tichy 2002, "On error estimation in the conjugate gradient method and why it
//! works in finite precision computations": the identity survives rounding up to a small
//! term.) `sqrt(nu(k, d)) / ||x||_A` is a lower bound on the relative error `d` iterations
//! back, and close to the current error while the error falls geometrically. It needs no
//! `lambda_min`, unlike the residual bound CG stops on, so the report shows both: how far
//! below its bound the solution really is. It is not used to stop: on a plateau (an
//! eigenvalue CG has not yet found) it can under-estimate the error of the current iterate
//! (measured in `cg_tests.rs` and docs/solvers.md).

/// Iterations in one window (the delay `d`). At `d = 10` the estimate tracked the true error
/// of the iterate `d` back within 15% on the Fashion-MNIST NTK at n = 10,000 (docs/solvers.md).
pub const DELAY: usize = 10;

/// The per-step decreases `alpha_i r_i.z_i` of one column.
///
/// ```
/// use ntk::solve::cg_estimate::ErrorWindow;
/// let mut w = ErrorWindow::default();
/// assert_eq!(w.estimate(10, 1.0), None);
/// for i in 0..20 {
///     w.push(0.5f64.powi(i)); // the squared error halving every step
/// }
/// // nu(10, 10) = sum_{i=10..20} 2^-i = 2^-9 - 2^-19, relative to ||x||_A^2 = 1
/// let e = w.estimate(10, 1.0).unwrap();
/// assert!((e * e - (0.5f64.powi(9) - 0.5f64.powi(19))).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ErrorWindow {
    terms: Vec<f64>,
}

impl ErrorWindow {
    /// Record one step's decrease `alpha r.z` (non-finite or negative values, which only
    /// rounding or a breakdown produce, count as 0).
    pub fn push(&mut self, decrease: f64) {
        self.terms.push(if decrease.is_finite() {
            decrease.max(0.0)
        } else {
            0.0
        });
    }

    /// Forget the history (after a restart from the true residual the identity starts anew).
    pub fn clear(&mut self) {
        self.terms.clear();
    }

    /// `sqrt(nu(k, d) / x_a2)` over the last `d` steps (`x_a2 = ||x||_A^2` of the current
    /// iterate), or `None` before `d` steps or for `x_a2 <= 0`.
    pub fn estimate(&self, d: usize, x_a2: f64) -> Option<f64> {
        let m = self.terms.len();
        if d == 0 || m < d || x_a2.is_nan() || x_a2 <= 0.0 {
            return None;
        }
        Some((self.terms[m - d..].iter().sum::<f64>() / x_a2).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_window_and_a_positive_norm() {
        let mut w = ErrorWindow::default();
        for _ in 0..9 {
            w.push(1.0);
            assert_eq!(w.estimate(10, 1.0), None);
        }
        w.push(1.0);
        assert_eq!(w.estimate(10, 4.0), Some((10.0f64 / 4.0).sqrt()));
        assert_eq!(w.estimate(10, 0.0), None);
        assert_eq!(w.estimate(0, 1.0), None);
        w.clear();
        assert_eq!(w.estimate(10, 1.0), None);
    }

    #[test]
    fn bad_steps_count_as_zero() {
        let mut w = ErrorWindow::default();
        for i in 0..10 {
            w.push(match i {
                3 => f64::NAN,
                4 => -1.0,
                _ => 1.0,
            });
        }
        assert_eq!(w.estimate(10, 1.0), Some(8.0f64.sqrt()));
    }
}
