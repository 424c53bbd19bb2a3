//! Iterative solvers over [`crate::kernel_matrix::KernelMatrix`]: preconditioned conjugate
//! gradients for `(K + r I) X = B`, Lanczos matrix functions for gradient-flow predictions at
//! finite times, and spectrum estimates. They see kernels only through the trait.
//!
//! ```text
//! d(t) = exp(-s t A) d(0),   c(t) = g_t(A) d(0),  g_t(l) = (1 - exp(-s t l)) / l,   A = K + r I
//! f_t(X) = Y + d(t),         f_t(x*) = f_0(x*) - K(x*, X) c(t)
//! ```
//!
//! - [`flow()`]: the entry point (every point at once, error estimates, diagnostics).
//! - [`pcg`]: block preconditioned CG; [`Preconditioner`]: pivoted partial Cholesky in
//!   Nystrom form.
//! - [`ensemble()`]: the infinite ensemble's mean and covariance on a bounded test set.
//! - [`spectrum_summary`]: `lambda_max`, top eigenvalues and a `lambda_min` estimate.
//!
//! The methods, tolerances, what the estimates bound and measured costs are in
//! `docs/solvers.md`.
//!
//! ```
//! use ntk::dynamics::{FlowOptions, Point, Ridge};
//! use ntk::kernel_matrix::Dense;
//! let k = Dense::new(faer::Mat::from_fn(20, 20, |i, j| (-((i as f64 - j as f64) / 4.0).powi(2)).exp()))?;
//! let y = faer::Mat::from_fn(20, 2, |i, j| ((i + j) % 3) as f64 - 1.0);
//! let opts = FlowOptions { ridge: Ridge::Absolute(1e-3), ..Default::default() };
//! let f = ntk::solve::flow(&k, y.as_ref(), None, &Point::parse_times("0,1,10,inf")?, &opts,
//!     &Default::default(), None)?;
//! assert!(f.error_estimate.iter().all(|&e| e <= 1e-8));
//! assert!(f.loss_train[3] < 1e-12 * f.loss_train[0].max(1.0));
//! # Ok::<(), ntk::Error>(())
//! ```

mod batch;
pub mod cg;
pub mod cg_estimate;
mod ensemble;
pub mod flow;
pub mod funcs;
mod infinite;
mod krylov;
mod lanes;
pub mod options;
pub mod precond;
pub mod spectrum;
mod stop;
mod vecops;

pub use cg::{CgOptions, CgReport, CgSolution, Progress, Stop, pcg};
pub use ensemble::{EnsembleKernels, EnsembleMoments, ensemble};
pub use flow::{IterativeFlow, PointMethod, SolveDiagnostics, StageTime, flow, ridge_amount};
pub use funcs::LanczosReport;
pub use options::SolveOptions;
pub use precond::{Preconditioner, PreconditionerReport};
pub use spectrum::{SpectrumSummary, spectrum_summary};
