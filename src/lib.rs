//! # ntk: exact infinite-width kernels and the training dynamics they predict
//!
//! `ntk` computes the NNGP and Neural Tangent Kernel of deep fully-connected networks
//! (ReLU, erf, SELU) in the infinite-width limit, predicts gradient-descent training from
//! them without training, and checks both against real finite networks.
//!
//! ## Quick start
//!
//! ```
//! use ntk::{kernel, Activation, Network};
//! // 4 points in 3 dimensions
//! let x = faer::Mat::from_fn(4, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 1.0));
//! let net = Network::mlp(Activation::Relu, 3, 1.5, 0.1)?;
//! let k = kernel::kernels(&net, x.as_ref(), None, &kernel::KernelOptions::default())?;
//! assert_eq!(k.nngp.nrows(), 4);
//! let theta = k.ntk.as_ref().expect("NTK requested by default");
//! assert_eq!(theta[(1, 2)], theta[(2, 1)]); // symmetric
//! # Ok::<(), ntk::Error>(())
//! ```
//!
//! ## Conventions (those of neural-tangents)
//!
//! - Input layer: `Sigma^0(x, x') = x . x' / d`, `Theta^0 = 0`.
//! - Dense (NTK parameterization): `Sigma <- w^2 Sigma + b^2`, `Theta <- Sigma_new + w^2 Theta`.
//! - Activation: `Sigma <- T(Sigma)`, `Theta <- Tdot(Sigma) * Theta` (see [`activation`]).
//! - A depth-L network is L (Dense, activation) pairs and a linear readout Dense.
//! - Loss for the dynamics: `1/2 ||f - Y||^2` by default (`d(t) = e^{-eta K t} d(0)`),
//!   or neural-tangents' `1/(2N) ||f - Y||^2`.
//!
//! The full derivations, with every formula, are in `docs/math.md`.
//!
//! ## Modules
//! - [`network`]: the network description (serde, JSON/TOML).
//! - [`activation`]: phi, phi' and the Gaussian duals T, Tdot.
//! - [`kernel`]: tiled, parallel analytic NNGP/NTK Gram matrices.
//! - [`kernel_matrix`]: kernel storage seen as an operator (dense, packed triangle, f32).
//! - [`solve`]: iterative solvers (CG, Lanczos matrix functions) over kernel operators.
//! - [`distributed`]: the same kernels and solvers over MPI ranks (feature `mpi`), bitwise
//!   equal to one process; kernel blocks (`--rows`) and their assembly without MPI.
//! - [`io`], [`data`]: .npy/.csv I/O, atomic writes, sidecars, built-in datasets.
//! - [`empirical`]: finite MLPs, their empirical NTK, training.
//! - [`converge`]: width convergence of empirical kernels to the analytic ones.
//! - [`dynamics`]: kernel gradient flow, ensembles, discrete gradient descent.
//! - [`plot`]: PNG/SVG plots.
//! - [`demo`]: the main job on built-in data (`ntk demo`).
//! - [`jobs`]: one call per front-end command (predict, converge), typed inputs and outputs.
//! - [`special`]: normal and bivariate-normal functions, double-double sums, fast atan.
//! - [`rng`]: the seeded generator used everywhere randomness appears.

#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod activation;
pub mod converge;
pub mod data;
pub mod demo;
pub mod distributed;
pub mod dynamics;
pub mod empirical;
pub mod error;
pub mod io;
pub mod jobs;
pub mod kernel;
pub mod kernel_matrix;
pub mod network;
pub mod plot;
pub mod rng;
pub mod solve;
pub mod special;

pub use activation::Activation;
pub use error::{Error, Result};
pub use network::{Network, Parameterization};

/// The crate version, recorded in every output's metadata.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
