//! Options of the dynamics solver: learning rate, loss convention, ridge, threads.
//!
//! The ridge (`diag_reg`) is added to the *training* kernel before its eigendecomposition:
//!
//! ```text
//! K_reg = K + r I,   r = diag_reg                      (Ridge::Absolute)
//!                    r = diag_reg * trace(K) / n       (Ridge::Relative, neural-tangents' default scaling)
//! ```
//!
//! so every eigenvalue moves up by `r`. Cross kernels `K(x*, X)` and the prior covariances of
//! the ensemble are not regularised.

use super::Loss;
use crate::{Error, Result};
use faer::{MatRef, Par};
use serde::{Deserialize, Serialize};

/// A ridge added to the diagonal of the training kernel.
///
/// ```
/// use ntk::dynamics::Ridge;
/// let k = faer::mat![[2.0, 1.0], [1.0, 4.0]];
/// assert_eq!(Ridge::Absolute(0.5).amount(k.as_ref())?, 0.5);
/// assert_eq!(Ridge::Relative(0.5).amount(k.as_ref())?, 1.5); // 0.5 * (2 + 4) / 2
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ridge {
    /// Add `r` to the diagonal.
    Absolute(f64),
    /// Add `r * trace(K) / n` to the diagonal.
    Relative(f64),
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge::Absolute(0.0)
    }
}

impl Ridge {
    /// The absolute amount added to the diagonal of `k`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`diag_reg`) if the value is negative or not finite.
    ///
    /// ```
    /// let k = faer::Mat::<f64>::identity(3, 3);
    /// assert!(ntk::dynamics::Ridge::Absolute(-1.0).amount(k.as_ref()).is_err());
    /// ```
    pub fn amount(self, k: MatRef<'_, f64>) -> Result<f64> {
        let (v, rel) = match self {
            Ridge::Absolute(v) => (v, false),
            Ridge::Relative(v) => (v, true),
        };
        if !v.is_finite() || v < 0.0 {
            return Err(Error::param(
                "diag_reg",
                format!("must be a finite number >= 0, got {v}"),
            ));
        }
        if !rel || v == 0.0 {
            return Ok(v);
        }
        let n = k.nrows().min(k.ncols());
        if n == 0 {
            return Ok(0.0);
        }
        let trace: f64 = (0..n).map(|i| k[(i, i)]).sum();
        Ok(v * trace / n as f64)
    }
}

/// Options for [`GradientFlow::new`](super::GradientFlow::new) and the ensembles.
///
/// ```
/// use ntk::dynamics::{FlowOptions, Loss, Ridge};
/// let opts = FlowOptions { learning_rate: 0.5, loss: Loss::Mean, ridge: Ridge::Relative(1e-6), threads: 1 };
/// assert_eq!(opts.par(), faer::Par::Seq);
/// assert_eq!(FlowOptions::default().learning_rate, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowOptions {
    /// Learning rate `eta` (> 0).
    pub learning_rate: f64,
    /// Loss convention (sets the time unit).
    pub loss: Loss,
    /// Ridge added to the training kernel.
    pub ridge: Ridge,
    /// Threads for faer (0 = all of rayon's threads, 1 = sequential). Results do not depend
    /// on it beyond GEMM rounding.
    pub threads: usize,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            learning_rate: 1.0,
            loss: Loss::Sum,
            ridge: Ridge::default(),
            threads: 0,
        }
    }
}

impl FlowOptions {
    /// faer's parallelism for `threads`.
    ///
    /// ```
    /// let o = ntk::dynamics::FlowOptions { threads: 2, ..Default::default() };
    /// assert_eq!(o.par(), faer::Par::rayon(2));
    /// ```
    pub fn par(&self) -> Par {
        if self.threads == 1 {
            Par::Seq
        } else {
            Par::rayon(self.threads)
        }
    }

    /// Check the learning rate and ridge.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the option.
    ///
    /// ```
    /// let o = ntk::dynamics::FlowOptions { learning_rate: 0.0, ..Default::default() };
    /// assert!(o.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let lr = self.learning_rate;
        if !lr.is_finite() || lr <= 0.0 {
            return Err(Error::param(
                "learning_rate",
                format!("must be a finite number > 0, got {lr}"),
            ));
        }
        match self.ridge {
            Ridge::Absolute(v) | Ridge::Relative(v) if !v.is_finite() || v < 0.0 => Err(
                Error::param("diag_reg", format!("must be a finite number >= 0, got {v}")),
            ),
            _ => Ok(()),
        }
    }
}
