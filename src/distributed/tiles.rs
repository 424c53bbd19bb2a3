//! One tile of a whole kernel, with exactly the bits [`crate::kernel::stream::stream_npy`]
//! (and so [`KernelPlan::compute`]) writes for it, on the tile grid of edge `t`:
//!
//! ```text
//! cross plan:           K[I, J] = tile_into(rows I, cols J)
//! symmetric, I > J:     K[I, J] = tile_into(rows I, cols J)              (lower tile)
//! symmetric, I = J:     K[I, I] = tile_into(rows I, cols I, diagonal), lower half mirrored
//! symmetric, I < J:     K[I, J] = tile_into(rows J, cols I)^T            (the lower tile's transpose)
//! ```
//!
//! Used by the distributed kernel file writer and by `--rows` / `--cols` blocks.

use crate::kernel::KernelPlan;
use crate::{Error, Result};
use faer::Mat;
use std::ops::Range;

/// Rows of grid block `i` for a dimension of `n` in blocks of `t`.
pub(crate) fn block(i: usize, t: usize, n: usize) -> Range<usize> {
    i * t..((i + 1) * t).min(n)
}

/// The `(NNGP, NTK)` tile `(bi, bj)` of the whole kernel (NTK if `with_ntk`), checked
/// finite.
///
/// # Errors
/// [`Error::Numerical`] for a non-finite entry (the network's scale overflows f64).
pub(crate) fn tile(
    plan: &KernelPlan<'_>,
    t: usize,
    bi: usize,
    bj: usize,
    with_ntk: bool,
) -> Result<(Mat<f64>, Option<Mat<f64>>)> {
    let (n1, n2) = plan.shape();
    let sym = plan.is_symmetric();
    let (rows, cols) = (block(bi, t, n1), block(bj, t, n2));
    let flip = sym && bi < bj;
    let (r, c) = if flip { (cols, rows) } else { (rows, cols) };
    let mut gram = Mat::<f64>::zeros(r.len(), c.len());
    let mut k = Mat::<f64>::zeros(r.len(), c.len());
    let mut nt = with_ntk.then(|| Mat::<f64>::zeros(r.len(), c.len()));
    let diag = sym && bi == bj;
    plan.tile_into(
        r.clone(),
        c.clone(),
        &mut Vec::new(),
        gram.as_mut(),
        k.as_mut(),
        nt.as_mut().map(|m| m.as_mut()),
        diag,
    );
    let fix = |mut m: Mat<f64>, what: &str| -> Result<Mat<f64>> {
        if diag {
            for j in 0..m.ncols() {
                for i in 0..j.min(m.nrows()) {
                    m[(i, j)] = m[(j, i)];
                }
            }
        }
        let m = if flip { m.transpose().to_owned() } else { m };
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                if !m[(i, j)].is_finite() {
                    let (gi, gj) = (bi * t + i, bj * t + j);
                    return Err(Error::Numerical(format!(
                        "the {what} entry ({gi}, {gj}) is {}: the network's scale overflows f64 \
                         (w_std^(2 depth) too large); use a smaller w_std or depth",
                        m[(i, j)]
                    )));
                }
            }
        }
        Ok(m)
    };
    let k = fix(k, "NNGP")?;
    let nt = nt.map(|m| fix(m, "NTK")).transpose()?;
    Ok((k, nt))
}
