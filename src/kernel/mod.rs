//! Analytic infinite-width NNGP and NTK Gram matrices of a deep fully-connected network:
//!
//! ```text
//! Sigma^0 = x.x'/d,   Sigma^1 = w^2 Sigma^0 + b^2,    Theta^1 = Sigma^1
//! Sigma^{l+1} = w^2 T(Sigma^l) + b^2,   Theta^{l+1} = Sigma^{l+1} + w^2 Tdot(Sigma^l) Theta^l
//! ```
//!
//! (NTK parameterization; the standard one replaces the Theta update by
//! `Theta <- n_in Sigma_in + w^2 Theta + [bias]`.) The output is the kernel of the readout
//! (layer L + 1). Work is organised as tiles: one GEMM for the Gram block `X1 X2^T`, then the
//! elementwise recursion per entry (`pair.rs`, `columns.rs`), in parallel over tiles ([`KernelPlan`]).
//! [`stream`] writes whole kernels to `.npy` block column by block column while computing.

mod columns;
mod columns_act;
mod columns_selu;
mod gram;
pub mod pages;
mod pair;
mod plan;
mod schedule;
mod selu_column;
pub mod stream;

pub use plan::KernelPlan;
pub use schedule::available_memory;

use crate::{Network, Result};
use faer::{Mat, MatRef};

/// Options for [`kernels`] and [`KernelPlan::compute`].
///
/// ```
/// let opts = ntk::kernel::KernelOptions { threads: 1, ..Default::default() };
/// assert!(opts.compute_ntk);
/// ```
#[derive(Clone, Debug)]
pub struct KernelOptions {
    /// Also compute the NTK (default true); the NNGP is always computed.
    pub compute_ntk: bool,
    /// Worker threads; 0 = all cores. Results are bitwise identical for any value.
    pub threads: usize,
    /// Tile edge (rows = columns per tile, default 256).
    pub tile: usize,
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions {
            compute_ntk: true,
            threads: 0,
            tile: 256,
        }
    }
}

/// NNGP and (optionally) NTK Gram matrices, `n1 x n2`.
#[derive(Clone, Debug)]
pub struct Kernels {
    /// NNGP kernel of the network output.
    pub nngp: Mat<f64>,
    /// NTK of the network output, if requested.
    pub ntk: Option<Mat<f64>>,
}

impl KernelPlan<'_> {
    /// Compute the whole kernel(s), in parallel over tiles. `progress(done, total)` is
    /// called after each tile from worker threads.
    ///
    /// # Errors
    /// [`crate::Error::Memory`] if the outputs would not fit in available memory (checked
    /// before allocating), [`crate::Error::Numerical`] on overflow.
    ///
    /// ```
    /// use ntk::{kernel::{KernelOptions, KernelPlan}, Activation, Network};
    /// let x = faer::Mat::from_fn(10, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Erf, 2, 1.0, 0.0)?, x.as_ref(), None)?;
    /// let k = plan.compute(&KernelOptions { tile: 4, ..Default::default() }, None)?;
    /// assert_eq!(k.nngp[(3, 8)], k.nngp[(8, 3)]);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn compute(
        &self,
        opts: &KernelOptions,
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<Kernels> {
        schedule::run(self, opts, progress)
    }
}

/// NNGP and NTK of `net` between the rows of `x1` and of `x2` (`x2 = None`: `x1` with itself).
///
/// # Errors
/// See [`KernelPlan::new`] and [`KernelPlan::compute`].
///
/// ```
/// use ntk::{kernel, Activation, Network};
/// let x = faer::Mat::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
/// let net = Network::mlp(Activation::Relu, 1, 2f64.sqrt(), 0.0)?;
/// let k = kernel::kernels(&net, x.as_ref(), None, &Default::default())?;
/// // ReLU with w_std^2 = 2 keeps every hidden variance at |x|^2 / d = 1/2,
/// // and the readout sees w_std^2 * 1/2 = 1
/// assert!((k.nngp[(0, 0)] - 1.0).abs() < 1e-15);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn kernels(
    net: &Network,
    x1: MatRef<'_, f64>,
    x2: Option<MatRef<'_, f64>>,
    opts: &KernelOptions,
) -> Result<Kernels> {
    KernelPlan::new(net, x1, x2)?.compute(opts, None)
}
