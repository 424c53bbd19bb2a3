//! Library jobs: what a front end (the `ntk` CLI, the Python package, a distributed runner)
//! asks for, as one call each, with typed inputs and typed outputs.
//!
//! - [`predict`]: training dynamics from kernels (given or computed from a network), with
//!   ensembles, the report and the finite-network check (`ntk predict`).
//! - [`iterative`]: the same prediction at full data-set sizes (packed kernel storage,
//!   CG and Lanczos, streamed cross kernels); [`solver`] picks between the two.
//! - [`converge`]: width convergence of empirical kernels and the kernel-profile view
//!   (`ntk converge`).
//!
//! A front end parses its arguments, reads its files, builds the job's input, calls the job
//! and writes the job's output. The jobs validate their input at entry ([`crate::Error`]).

pub mod converge;
pub mod ensemble_scale;
pub mod iterative;
mod iterative_plan;
pub mod predict;
pub mod solver;

pub use solver::Solver;
