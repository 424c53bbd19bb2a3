//! Analytic infinite-width NNGP and NTK Gram matrices (placeholder: being implemented).
//!
//! ```text
//! Sigma^1 = w^2 x.x'/d + b^2,  Sigma^{l+1} = w^2 T(Sigma^l) + b^2,
//! Theta^1 = Sigma^1,           Theta^{l+1} = Sigma^{l+1} + w^2 Tdot(Sigma^l) Theta^l
//! ```

use crate::{Network, Result};
use faer::{Mat, MatRef};

/// Options for [`kernels`].
#[derive(Clone, Debug)]
pub struct KernelOptions {
    /// Also compute the NTK (default true); the NNGP is always computed.
    pub compute_ntk: bool,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    pub threads: usize,
    /// Tile edge (rows = columns per tile). Results do not depend on it.
    pub tile: usize,
}

impl Default for KernelOptions {
    fn default() -> Self {
        KernelOptions { compute_ntk: true, threads: 0, tile: 256 }
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

/// NNGP and NTK of `net` between the rows of `x1` and of `x2` (`x2 = None`: `x1` with itself).
pub fn kernels(net: &Network, x1: MatRef<'_, f64>, x2: Option<MatRef<'_, f64>>, opts: &KernelOptions) -> Result<Kernels> {
    let _ = (net, x2, opts);
    let n = x1.nrows();
    Ok(Kernels { nngp: Mat::zeros(n, n), ntk: None })
}
