//! Training dynamics without training: the closed-form MSE gradient flow (and gradient
//! descent) of a linearised / infinite-width network, from one eigendecomposition of the
//! training kernel `K = V diag(lambda) V^T` (the NTK, or the NNGP when only the readout is
//! trained).
//!
//! ```text
//! d(t)    = f_t(X) - Y = exp(-s K t) d(0)                      s = eta (loss Sum) or eta/N (Mean)
//! f_t(X)  = Y + V exp(-s Lambda t) V^T (f_0(X) - Y)
//! f_t(x*) = f_0(x*) - K(x*, X) V diag((1 - exp(-s lambda t)) / lambda) V^T (f_0(X) - Y)
//! GD:       exp(-s lambda t) -> (1 - s lambda)^k,   stable iff s lambda_max < 2
//! ```
//!
//! - [`GradientFlow`]: train/test outputs, losses, per-mode residuals at any times (incl.
//!   infinity) and gradient-descent step counts; diagnostics of the spectrum.
//! - [`Ensemble`]: infinite-ensemble mean and covariance (NTK or NNGP training).
//! - [`lanczos`]: `lambda_max` and the largest stable learning rate without a full EVD.
//! - [`spectral`], [`discrete`]: the per-mode factors, cancellation-free.
//! - [`Loss`], [`Ridge`], [`FlowOptions`]: conventions (see `docs/dynamics.md`).
//!
//! ```
//! use ntk::dynamics::{FlowOptions, GradientFlow, Loss, Point};
//! let k = faer::mat![[2.0, 1.0], [1.0, 2.0]];
//! let y = faer::mat![[1.0], [0.0]];
//! let opts = FlowOptions { learning_rate: 0.5, loss: Loss::Mean, ..Default::default() };
//! let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts)?;
//! assert_eq!(flow.max_learning_rate(), Some(2.0 * 2.0 / 3.0)); // 2 N / lambda_max
//! let p = flow.predict(None, None, &Point::parse_times("0,10,inf")?)?;
//! assert!(p.loss_train[0] > p.loss_train[1] && p.loss_train[2] < 1e-30);
//! # Ok::<(), ntk::Error>(())
//! ```

pub mod compare;
pub mod discrete;
pub mod ensemble;
pub mod flow;
pub mod lanczos;
mod linalg;
pub mod loss;
pub mod options;
pub mod point;
pub mod report;
pub mod ser;
pub mod spectral;
pub mod spectrum;

pub use ensemble::{Ensemble, EnsembleTest, Moments, Training};
pub use flow::{GradientFlow, InfMethod, Prediction, TestData};
pub use lanczos::{largest_eigenvalue, max_learning_rate};
pub use loss::Loss;
pub use options::{FlowOptions, Ridge};
pub use point::Point;
pub use spectrum::{Diagnostics, Spectrum};
