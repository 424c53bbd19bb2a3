//! The tile-level steps of a streamed run: buffers for cached tiles, copies and transposes
//! of tiles (`dst = src`, `dst = src^T` in 8 x 8 blocks), the mirror of a diagonal tile's
//! lower triangle, the upper tiles of a symmetric kernel (tile (a, b) = tile (b, a)^T, cached
//! or recomputed with the same bits) and the finiteness check of a finished tile.

use super::Tile;
use crate::kernel::plan::KernelPlan;
use crate::{Error, Result};
use faer::{Mat, MatMut, MatRef};

/// An `nr x w` buffer for a cached tile: one of `spare`'s if one has that shape (its values
/// are overwritten by the caller), else a new one.
pub(super) fn tile_buffer(spare: &mut Vec<Mat<f64>>, nr: usize, w: usize) -> Mat<f64> {
    match spare
        .iter()
        .rposition(|m| m.nrows() == nr && m.ncols() == w)
    {
        Some(i) => spare.swap_remove(i),
        None => Mat::zeros(nr, w),
    }
}

pub(super) fn tile_bytes(k: &Mat<f64>, t: Option<&Mat<f64>>) -> f64 {
    let one = (k.nrows() * k.ncols() * 8) as f64;
    if t.is_some() { 2.0 * one } else { one }
}

/// `dst = src` (same shape), column by column (`memcpy` where both columns are contiguous).
pub(super) fn copy_into(mut dst: MatMut<'_, f64>, src: MatRef<'_, f64>) {
    for j in 0..src.ncols() {
        match (
            dst.as_mut().col_mut(j).try_as_col_major_mut(),
            src.col(j).try_as_col_major(),
        ) {
            (Some(d), Some(s)) => d.as_slice_mut().copy_from_slice(s.as_slice()),
            _ => dst.as_mut().col_mut(j).copy_from(src.col(j)),
        }
    }
}

/// `dst = src^T`, in 8 x 8 blocks: each block is read as 8 pieces of source columns and
/// written as 8 pieces of destination columns.
pub(super) fn transpose_into(mut dst: MatMut<'_, f64>, src: MatRef<'_, f64>) {
    const B: usize = 8;
    let (m, n) = (src.nrows(), src.ncols());
    let src_cols: Option<Vec<&[f64]>> = (0..n)
        .map(|j| src.col(j).try_as_col_major().map(|c| c.as_slice()))
        .collect();
    let dst_cols: Option<Vec<&mut [f64]>> = dst
        .as_mut()
        .col_iter_mut()
        .map(|c| c.try_as_col_major_mut().map(|c| c.as_slice_mut()))
        .collect();
    let (Some(sc), Some(mut dc)) = (src_cols, dst_cols) else {
        for j in 0..n {
            for i in 0..m {
                dst[(j, i)] = src[(i, j)];
            }
        }
        return;
    };
    for i0 in (0..m).step_by(B) {
        for j0 in (0..n).step_by(B) {
            if i0 + B <= m && j0 + B <= n {
                let mut blk = [[0.0; B]; B];
                for (jj, b) in blk.iter_mut().enumerate() {
                    b.copy_from_slice(&sc[j0 + jj][i0..i0 + B]);
                }
                for ii in 0..B {
                    let d = &mut dc[i0 + ii][j0..j0 + B];
                    for jj in 0..B {
                        d[jj] = blk[jj][ii];
                    }
                }
            } else {
                for i in i0..(i0 + B).min(m) {
                    for j in j0..(j0 + B).min(n) {
                        dc[i][j] = sc[j][i];
                    }
                }
            }
        }
    }
}

/// Fill the strict upper triangle of a diagonal tile from its lower triangle.
pub(super) fn mirror_within(mut m: MatMut<'_, f64>) {
    for j in 0..m.ncols() {
        for i in 0..j.min(m.nrows()) {
            m[(i, j)] = m[(j, i)];
        }
    }
}

/// The tile (rows of block a, columns of block b), a < b, of a symmetric kernel: the
/// transpose of tile (b, a), from the cache or recomputed.
pub(super) fn upper_tile(
    plan: &KernelPlan<'_>,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    mut k: MatMut<'_, f64>,
    mut tt: Option<MatMut<'_, f64>>,
    cached: Option<&Tile>,
) {
    let recomputed;
    let (lk, lt) = match cached {
        Some((k, t)) => (k, t.as_ref()),
        None => {
            // tile (b, a): rows = this block's columns, columns = these rows
            let mut gram = Mat::<f64>::zeros(cols.len(), rows.len());
            let mut lk = Mat::<f64>::zeros(cols.len(), rows.len());
            let mut lt = tt
                .as_ref()
                .map(|_| Mat::<f64>::zeros(cols.len(), rows.len()));
            plan.tile_into(
                cols.clone(),
                rows.clone(),
                &mut Vec::new(),
                gram.as_mut(),
                lk.as_mut(),
                lt.as_mut().map(|m| m.as_mut()),
                false,
            );
            recomputed = (lk, lt);
            (&recomputed.0, recomputed.1.as_ref())
        }
    };
    transpose_into(k.as_mut(), lk.as_ref());
    if let (Some(dst), Some(src)) = (tt.as_mut(), lt) {
        transpose_into(dst.as_mut(), src.as_ref());
    }
}

/// The first non-finite entry of a tile whose first row and column are `r0`, `c0`. Each
/// column is first scanned without branches (an OR of the exponent bits' all-ones test,
/// which vectorizes); only a column that has a non-finite entry is searched for it.
pub(super) fn check_finite(m: MatRef<'_, f64>, what: &str, r0: usize, c0: usize) -> Result<()> {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    for j in 0..m.ncols() {
        let col = m.col(j);
        let clean = match col.try_as_col_major() {
            Some(c) => !c
                .as_slice()
                .iter()
                .fold(false, |bad, v| bad | (v.to_bits() & EXP == EXP)),
            None => col.iter().all(|v| v.is_finite()),
        };
        if clean {
            continue;
        }
        if let Some((i, v)) = col.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::Numerical(format!(
                "the {what} entry ({}, {}) is {v}: the network's scale overflows f64 \
                 (w_std^(2 depth) too large); use a smaller w_std or depth",
                r0 + i,
                c0 + j
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(m: usize, n: usize) -> Mat<f64> {
        Mat::from_fn(m, n, |i, j| (i * 31 + j * 7) as f64 + 0.25)
    }

    #[test]
    fn copies_and_transposes_equal_faers() {
        // odd sizes (not multiples of the 8 x 8 blocks) and strided views
        for (m, n) in [(1, 1), (7, 9), (8, 8), (17, 5), (23, 16)] {
            let big = sample(m + 3, n + 2);
            let src = big.as_ref().submatrix(2, 1, m, n);
            let mut want = Mat::<f64>::zeros(m, n);
            want.copy_from(src);
            let mut got = Mat::from_fn(m, n, |_, _| f64::NAN);
            copy_into(got.as_mut(), src);
            assert_eq!(got, want, "{m} x {n}");
            let mut want_t = Mat::<f64>::zeros(n, m);
            want_t.copy_from(src.transpose());
            let mut got_t = Mat::from_fn(n + 4, m + 1, |_, _| f64::NAN);
            transpose_into(got_t.as_mut().submatrix_mut(1, 1, n, m), src);
            assert_eq!(
                got_t.as_ref().submatrix(1, 1, n, m),
                want_t.as_ref(),
                "{m} x {n}"
            );
            assert!(got_t[(0, 0)].is_nan() && got_t[(n + 3, m)].is_nan());
        }
    }

    #[test]
    fn tile_buffers_are_reused_by_shape() {
        let mut spare = vec![sample(4, 4), sample(3, 4)];
        let b = tile_buffer(&mut spare, 3, 4);
        assert_eq!((b.nrows(), b.ncols(), spare.len()), (3, 4, 1));
        let c = tile_buffer(&mut spare, 5, 4);
        assert_eq!((c.nrows(), c.ncols(), spare.len()), (5, 4, 1));
    }
}
