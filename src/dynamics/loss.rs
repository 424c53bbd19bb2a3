//! The loss convention, and with it the unit of time.
//!
//! ```text
//! Sum  (default):         L = 1/2     ||f - Y||^2   =>  d(t) = exp(-eta K t)     d(0)
//! Mean (neural-tangents): L = 1/(2N)  ||f - Y||^2   =>  d(t) = exp(-eta K t / N) d(0)
//! ```
//!
//! with `d = f(X) - Y` the train residual and `N` the number of train outputs
//! (`n_train * k` for `k` outputs per point). Both are the same dynamics at the *effective
//! rate* `s = eta` (Sum) or `s = eta / N` (Mean): every formula in [`crate::dynamics`] only
//! sees `s`. Hence `t_sum = t_mean / N` at equal `eta`, or equal times at `eta_sum = eta_mean / N`;
//! gradient-descent steps are `d_{j+1} = (I - s K) d_j` in both, and the largest stable
//! learning rate is `2 / lambda_max` (Sum) or `2 N / lambda_max` (Mean).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The MSE loss normalisation (see the module documentation).
///
/// ```
/// use ntk::dynamics::Loss;
/// // 10 train points with 2 outputs each: N = 20
/// assert_eq!(Loss::Sum.effective_rate(0.5, 20), 0.5);
/// assert_eq!(Loss::Mean.effective_rate(0.5, 20), 0.025);
/// assert_eq!(Loss::parse("mean"), Some(Loss::Mean));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// `1/2 ||f - Y||^2` (the default; `d(t) = exp(-eta K t) d(0)`).
    #[default]
    Sum,
    /// `1/(2N) ||f - Y||^2`, `N` = number of train outputs: neural-tangents' convention.
    Mean,
}

impl Loss {
    /// Parse `sum` or `mean` (case-insensitive).
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Loss::parse("SUM"), Some(ntk::dynamics::Loss::Sum));
    /// assert_eq!(ntk::dynamics::Loss::parse("l2"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sum" => Some(Loss::Sum),
            "mean" => Some(Loss::Mean),
            _ => None,
        }
    }

    /// The loss of outputs `f` against targets `y` (same shape).
    ///
    /// ```
    /// use ntk::dynamics::Loss;
    /// let f = faer::Mat::from_fn(2, 1, |i, _| i as f64);
    /// let y = faer::Mat::zeros(2, 1);
    /// assert_eq!(Loss::Sum.between(f.as_ref(), y.as_ref()), 0.5);
    /// assert_eq!(Loss::Mean.between(f.as_ref(), y.as_ref()), 0.25);
    /// ```
    pub fn between(self, f: faer::MatRef<'_, f64>, y: faer::MatRef<'_, f64>) -> f64 {
        let mut s = 0.0;
        for j in 0..f.ncols() {
            for i in 0..f.nrows() {
                let r = f[(i, j)] - y[(i, j)];
                s += r * r;
            }
        }
        0.5 * s / self.normaliser(f.nrows() * f.ncols())
    }

    /// `dL/df = scale (f - Y)` for `n` points with `k` outputs: the scale (1, or `1/N` with
    /// `N = n k`).
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Loss::Mean.grad_scale(4, 2), 0.125);
    /// ```
    pub fn grad_scale(self, n: usize, k: usize) -> f64 {
        1.0 / self.normaliser(n * k)
    }

    /// Lower-case name (`"sum"` or `"mean"`).
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Loss::Mean.name(), "mean");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Loss::Sum => "sum",
            Loss::Mean => "mean",
        }
    }

    /// The normaliser of `1/2 ||f - Y||^2`: 1 (Sum) or `n_outputs` (Mean).
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Loss::Mean.normaliser(7), 7.0);
    /// ```
    pub fn normaliser(self, n_outputs: usize) -> f64 {
        match self {
            Loss::Sum => 1.0,
            Loss::Mean => n_outputs.max(1) as f64,
        }
    }

    /// The rate `s` multiplying `K` in `d'(t) = -s K d(t)`: `eta` (Sum) or `eta / N` (Mean),
    /// with `N = n_train_outputs`.
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Loss::Mean.effective_rate(1.0, 4), 0.25);
    /// ```
    pub fn effective_rate(self, learning_rate: f64, n_train_outputs: usize) -> f64 {
        learning_rate / self.normaliser(n_train_outputs)
    }

    /// The loss of a residual `f - Y` with `N` entries: `1/2 ||r||^2` or `1/(2N) ||r||^2`.
    ///
    /// ```
    /// use ntk::dynamics::Loss;
    /// let r = [1.0, -1.0, 2.0, 0.0];
    /// assert_eq!(Loss::Sum.value(r.iter().copied(), r.len()), 3.0);
    /// assert_eq!(Loss::Mean.value(r.iter().copied(), r.len()), 0.75);
    /// ```
    pub fn value(self, residual: impl IntoIterator<Item = f64>, n_outputs: usize) -> f64 {
        let ss: f64 = residual.into_iter().map(|r| r * r).sum();
        0.5 * ss / self.normaliser(n_outputs)
    }

    /// The largest learning rate for which gradient descent on this loss is stable,
    /// `2 N_loss / lambda_max` (`N_loss` = 1 for Sum, `n_train_outputs` for Mean).
    /// `None` when `lambda_max <= 0` (every rate is stable: nothing is learned).
    ///
    /// # Errors
    /// [`Error::Numerical`] if `lambda_max` is not finite.
    ///
    /// ```
    /// use ntk::dynamics::Loss;
    /// assert_eq!(Loss::Sum.max_learning_rate(4.0, 10)?, Some(0.5));
    /// assert_eq!(Loss::Mean.max_learning_rate(4.0, 10)?, Some(5.0));
    /// assert_eq!(Loss::Sum.max_learning_rate(0.0, 10)?, None);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn max_learning_rate(self, lambda_max: f64, n_train_outputs: usize) -> Result<Option<f64>> {
        if !lambda_max.is_finite() {
            return Err(Error::Numerical(format!(
                "largest kernel eigenvalue is {lambda_max}: the kernel has non-finite entries"
            )));
        }
        if lambda_max <= 0.0 {
            return Ok(None);
        }
        Ok(Some(2.0 * self.normaliser(n_train_outputs) / lambda_max))
    }
}
