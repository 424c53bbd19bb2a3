//! The distributed test pass `Y = K(x*, X) C`: the test row blocks (of `tile` points) are
//! split over the ranks, each rank streams its blocks exactly as
//! [`crate::kernel_matrix::cross_apply`] does, and the row pieces are gathered in block
//! order:
//!
//! ```text
//! rank r: rows of blocks even(ceil(n_test / b), P, r)  ->  Y_r = K(x*_r, X) C   (same code)
//! Y = [Y_0; Y_1; ...; Y_{P-1}]   on every rank
//! ```
//!
//! Each block's rows are computed by the same sequential code whatever the split, so `Y`
//! has the bits of the single-process product. Communication: `8 n_test m` bytes once.

use super::comm::{Comm, agree};
use super::split;
use crate::Result;
use crate::kernel::KernelPlan;
use crate::kernel_matrix::{CrossOptions, CrossProducts, cross_apply_blocks};
use faer::{Mat, MatRef};

/// [`crate::kernel_matrix::cross_apply`] with the test rows split over the ranks of `comm`
/// (collective); every rank returns the whole products. `progress` counts this rank's
/// blocks.
///
/// # Errors
/// As `cross_apply`, on every rank (the lowest failing rank's error).
///
/// ```
/// use ntk::distributed::{cross_apply_distributed, ThreadComm};
/// use ntk::kernel_matrix::{cross_apply, CrossOptions};
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let xt = faer::Mat::from_fn(9, 2, |i, j| (i + 2 * j) as f64 / 7.0 - 0.5);
/// let x = faer::Mat::from_fn(6, 2, |i, j| ((i * 2 + j) as f64).sin());
/// let plan = KernelPlan::new(&Network::mlp(Activation::Erf, 2, 1.2, 0.1)?, xt.as_ref(), Some(x.as_ref()))?;
/// let c = faer::Mat::from_fn(6, 2, |i, l| (i + l) as f64);
/// let opts = CrossOptions { tile: 2, ..Default::default() };
/// let want = cross_apply(&plan, None, Some(c.as_ref()), &opts, None)?.ntk.unwrap();
/// let got = ThreadComm::run(4, |comm| {
///     cross_apply_distributed(comm, &plan, None, Some(c.as_ref()), &opts, None).unwrap().ntk.unwrap()
/// });
/// assert!(got.iter().all(|y| *y == want));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn cross_apply_distributed(
    comm: &dyn Comm,
    plan: &KernelPlan<'_>,
    c_nngp: Option<MatRef<'_, f64>>,
    c_ntk: Option<MatRef<'_, f64>>,
    opts: &CrossOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<CrossProducts> {
    let blocks = plan.shape().0.div_ceil(opts.tile.max(1));
    let mine = split::even(blocks, comm.size(), comm.rank());
    let local = cross_apply_blocks(plan, c_nngp, c_ntk, opts, mine, progress);
    let local = agree(comm, local)?;
    if comm.size() == 1 {
        return Ok(local);
    }
    let n_test = plan.shape().0;
    Ok(CrossProducts {
        nngp: local.nngp.map(|y| gather_rows(comm, &y, n_test)),
        ntk: local.ntk.map(|y| gather_rows(comm, &y, n_test)),
    })
}

/// Stack every rank's row piece (`rows_r x m`) into `n x m`, in rank order.
fn gather_rows(comm: &dyn Comm, y: &Mat<f64>, n: usize) -> Mat<f64> {
    let m = y.ncols();
    let flat: Vec<f64> = (0..m).flat_map(|j| y.col(j).iter().copied()).collect();
    let mut out = Mat::zeros(n, m);
    let mut r0 = 0;
    for piece in comm.all_gather(&flat) {
        let rows = piece.len().checked_div(m).unwrap_or(0);
        for j in 0..m {
            for i in 0..rows {
                out[(r0 + i, j)] = piece[j * rows + i];
            }
        }
        r0 += rows;
    }
    out
}
