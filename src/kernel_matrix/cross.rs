//! Streamed cross kernels: `Y = K(x*, X) C` for NNGP and/or NTK in one pass over the test
//! points, never holding more than one `b x b` tile of the cross kernel per worker:
//!
//! ```text
//! for each row block R of b test points (in parallel; each block by one worker):
//!     for each column tile J of b training points, in order:
//!         K_RJ = plan.tile_into(R, J)                       (the same tiles as kernels())
//!         Y_R[i, l] <- Y_R[i, l] + K_RJ[i, j] C[j, l]       for j in J, in increasing order
//! ```
//!
//! so `Y[i, l] = (((K_i0 C_0l) + K_i1 C_1l) + ...)`, the plain left-to-right sum over the
//! training points: the same bits as a naive loop over the dense `kernels(x*, X)`, for any
//! thread count. Also the diagonal `K(x*, x*)_ii` and a few selected rows `K(x*_S, X)`.

use super::build::Which;
use super::layout::DEFAULT_TILE;
use crate::kernel::KernelPlan;
use crate::{Error, Result};
use faer::{Mat, MatMut, MatRef};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `(NNGP, NTK)`, each `Some` if it was asked for.
///
/// ```
/// let p: ntk::kernel_matrix::Pair<f64> = (None, Some(1.0));
/// assert!(p.0.is_none());
/// ```
pub type Pair<T> = (Option<T>, Option<T>);

/// Options for [`cross_apply`], [`test_diagonal`] and [`selected_rows`].
///
/// ```
/// assert_eq!(ntk::kernel_matrix::CrossOptions::default().tile, 256);
/// ```
#[derive(Clone, Debug)]
pub struct CrossOptions {
    /// Worker threads of the local pool; 0 = all cores. Results are identical for any value.
    pub threads: usize,
    /// Tile edge (rows of a test block and columns of a training tile; default 256).
    pub tile: usize,
}

impl Default for CrossOptions {
    fn default() -> Self {
        CrossOptions {
            threads: 0,
            tile: DEFAULT_TILE,
        }
    }
}

/// Products of the cross kernels with their coefficient blocks (`n_test x m` each); see
/// [`cross_apply`] for a full example.
///
/// ```
/// let p = ntk::kernel_matrix::CrossProducts { nngp: None, ntk: Some(faer::Mat::zeros(3, 2)) };
/// assert_eq!(p.ntk.unwrap().nrows(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct CrossProducts {
    /// `K_nngp(x*, X) C_nngp`, if coefficients were given.
    pub nngp: Option<Mat<f64>>,
    /// `K_ntk(x*, X) C_ntk`, if coefficients were given.
    pub ntk: Option<Mat<f64>>,
}

fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start a thread pool: {e}")))
}

fn check_tile(tile: usize) -> Result<()> {
    if tile == 0 {
        return Err(Error::param("tile", "the tile edge must be at least 1"));
    }
    Ok(())
}

/// `K(x*, X) C` for the plan's `x1 = x*` (test) against `x2 = X` (training), for the NNGP
/// with `c_nngp` and/or the NTK with `c_ntk` (each `n_train x m`, any m), in one pass.
/// `progress(done, total)` counts row blocks.
///
/// # Errors
/// [`Error::InvalidParameter`] if neither block is given or `tile = 0`, [`Error::Shape`]
/// if a block does not have `n_train` rows, [`Error::Numerical`] if a product is not finite.
///
/// ```
/// use ntk::kernel_matrix::{cross_apply, CrossOptions};
/// use ntk::{kernel, Activation, Network};
/// let xt = faer::Mat::from_fn(3, 2, |i, j| (i + 2 * j) as f64 - 1.5);
/// let x = faer::Mat::from_fn(5, 2, |i, j| ((i * 2 + j) as f64).sin());
/// let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)?;
/// let plan = kernel::KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref()))?;
/// let c = faer::Mat::from_fn(5, 2, |i, l| (i + l) as f64);
/// let y = cross_apply(&plan, None, Some(c.as_ref()), &CrossOptions::default(), None)?;
/// let k = kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &Default::default())?;
/// let t = k.ntk.unwrap();
/// let want = (0..5).fold(0.0, |s, j| s + t[(2, j)] * c[(j, 1)]); // left to right
/// assert_eq!(y.ntk.unwrap()[(2, 1)], want);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn cross_apply(
    plan: &KernelPlan<'_>,
    c_nngp: Option<MatRef<'_, f64>>,
    c_ntk: Option<MatRef<'_, f64>>,
    opts: &CrossOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<CrossProducts> {
    check_tile(opts.tile)?;
    let blocks = plan.shape().0.div_ceil(opts.tile);
    cross_apply_blocks(plan, c_nngp, c_ntk, opts, 0..blocks, progress)
}

/// [`cross_apply`] for the test row blocks `blocks` only (rows `blocks.start * tile ..
/// min(blocks.end * tile, n_test)`, the products `rows x m`): each block is computed by
/// the same code whatever the range, so the rows are the same bits as in the whole product
/// (`crate::distributed` splits the test pass by row blocks this way).
pub(crate) fn cross_apply_blocks(
    plan: &KernelPlan<'_>,
    c_nngp: Option<MatRef<'_, f64>>,
    c_ntk: Option<MatRef<'_, f64>>,
    opts: &CrossOptions,
    range: std::ops::Range<usize>,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<CrossProducts> {
    check_tile(opts.tile)?;
    let (n_test, n_train) = plan.shape();
    if c_nngp.is_none() && c_ntk.is_none() {
        return Err(Error::param(
            "coefficients",
            "give the NNGP and/or the NTK coefficient block",
        ));
    }
    for (name, c) in [("NNGP", c_nngp), ("NTK", c_ntk)] {
        if let Some(c) = c {
            if c.nrows() != n_train {
                return Err(Error::Shape(format!(
                    "the {name} coefficient block has {} rows but there are {n_train} training points",
                    c.nrows()
                )));
            }
        }
    }
    let b = opts.tile;
    let range = range.start.min(n_test.div_ceil(b))..range.end.min(n_test.div_ceil(b));
    let blocks = range.len();
    let done = AtomicUsize::new(0);
    let one_block = |bi: usize| -> Pair<Mat<f64>> {
        let rows = bi * b..((bi + 1) * b).min(n_test);
        let nr = rows.len();
        let (mut gram, mut kb) = (Mat::<f64>::zeros(b, b), Mat::<f64>::zeros(b, b));
        let mut tb = c_ntk.map(|_| Mat::<f64>::zeros(b, b));
        let mut yk = c_nngp.map(|c| Mat::<f64>::zeros(nr, c.ncols()));
        let mut yt = c_ntk.map(|c| Mat::<f64>::zeros(nr, c.ncols()));
        for bj in 0..n_train.div_ceil(b) {
            let cols = bj * b..((bj + 1) * b).min(n_train);
            let nc = cols.len();
            plan.tile_into(
                rows.clone(),
                cols.clone(),
                &mut Vec::new(),
                gram.as_mut().submatrix_mut(0, 0, nr, nc),
                kb.as_mut().submatrix_mut(0, 0, nr, nc),
                tb.as_mut().map(|t| t.as_mut().submatrix_mut(0, 0, nr, nc)),
                false,
            );
            if let (Some(y), Some(c)) = (yk.as_mut(), c_nngp) {
                accumulate(
                    kb.as_ref().submatrix(0, 0, nr, nc),
                    c.subrows(cols.start, nc),
                    y.as_mut(),
                );
            }
            if let (Some(y), Some(c), Some(t)) = (yt.as_mut(), c_ntk, tb.as_ref()) {
                accumulate(
                    t.as_ref().submatrix(0, 0, nr, nc),
                    c.subrows(cols.start, nc),
                    y.as_mut(),
                );
            }
        }
        let k = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(k, blocks);
        }
        (yk, yt)
    };
    let parts: Vec<_> =
        pool(opts.threads)?.install(|| range.clone().into_par_iter().map(one_block).collect());
    let nr = (range.end * b).min(n_test) - (range.start * b).min(n_test);
    let nngp = c_nngp.map(|c| stack(&parts, false, nr, b, c.ncols()));
    let ntk = c_ntk.map(|c| stack(&parts, true, nr, b, c.ncols()));
    for (name, y) in [("NNGP", &nngp), ("NTK", &ntk)] {
        if let Some(y) = y {
            check_finite(y.as_ref(), name)?;
        }
    }
    Ok(CrossProducts { nngp, ntk })
}

/// The row blocks of one kernel (`ntk`: the second of each pair) stacked into `n x m`.
fn stack(parts: &[Pair<Mat<f64>>], ntk: bool, n: usize, b: usize, m: usize) -> Mat<f64> {
    let mut out = Mat::zeros(n, m);
    for (bi, p) in parts.iter().enumerate() {
        if let Some(y) = if ntk { &p.1 } else { &p.0 } {
            out.as_mut().subrows_mut(bi * b, y.nrows()).copy_from(y);
        }
    }
    out
}

fn check_finite(y: MatRef<'_, f64>, name: &str) -> Result<()> {
    for j in 0..y.ncols() {
        for i in 0..y.nrows() {
            if !y[(i, j)].is_finite() {
                return Err(Error::Numerical(format!(
                    "the {name} cross product ({i}, {j}) is {}: a kernel entry or a coefficient \
                     overflows f64",
                    y[(i, j)]
                )));
            }
        }
    }
    Ok(())
}

/// `y[i, l] += sum_j k[i, j] c[j, l]`, j in increasing order (4 at a time, same order).
fn accumulate(k: MatRef<'_, f64>, c: MatRef<'_, f64>, mut y: MatMut<'_, f64>) {
    let (nr, nc) = (k.nrows(), k.ncols());
    let col = |j: usize| -> &[f64] {
        match k.col(j).try_as_col_major() {
            Some(v) => v.as_slice(),
            None => unreachable!("tile scratch is column-major"),
        }
    };
    for l in 0..c.ncols() {
        let Some(yc) = y.as_mut().col_mut(l).try_as_col_major_mut() else {
            unreachable!("block outputs are column-major")
        };
        let yc = yc.as_slice_mut();
        let mut j = 0;
        while j + 4 <= nc {
            let (k0, k1, k2, k3) = (col(j), col(j + 1), col(j + 2), col(j + 3));
            let (c0, c1, c2, c3) = (c[(j, l)], c[(j + 1, l)], c[(j + 2, l)], c[(j + 3, l)]);
            for i in 0..nr {
                yc[i] = (((yc[i] + k0[i] * c0) + k1[i] * c1) + k2[i] * c2) + k3[i] * c3;
            }
            j += 4;
        }
        for j in j..nc {
            let (kj, cj) = (col(j), c[(j, l)]);
            for i in 0..nr {
                yc[i] += kj[i] * cj;
            }
        }
    }
}

/// The diagonal of the test kernel(s), `K(x*_i, x*_i)`, from a symmetric plan of the test
/// points (computed on the diagonal tiles, the same bits as the dense `kernels()` diagonal
/// with the same tile edge). Returns `(nngp, ntk)`, each `Some` if asked for by `which`.
///
/// # Errors
/// [`Error::Shape`] for a cross plan, [`Error::InvalidParameter`] for `tile = 0`.
///
/// ```
/// use ntk::kernel_matrix::{test_diagonal, CrossOptions, Which};
/// use ntk::{kernel, Activation, Network};
/// let xt = faer::Mat::from_fn(4, 2, |i, j| (i * j) as f64 + 0.5);
/// let net = Network::mlp(Activation::Erf, 2, 1.0, 0.1)?;
/// let plan = kernel::KernelPlan::new(&net, xt.as_ref(), None)?;
/// let (k, t) = test_diagonal(&plan, Which::Both, &CrossOptions::default())?;
/// let dense = kernel::kernels(&net, xt.as_ref(), None, &Default::default())?;
/// assert_eq!(k.unwrap()[3], dense.nngp[(3, 3)]);
/// assert_eq!(t.unwrap()[1], dense.ntk.unwrap()[(1, 1)]);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn test_diagonal(
    plan: &KernelPlan<'_>,
    which: Which,
    opts: &CrossOptions,
) -> Result<Pair<Vec<f64>>> {
    check_tile(opts.tile)?;
    if !plan.is_symmetric() {
        return Err(Error::Shape(
            "the test diagonal K(x*, x*) needs a plan of the test points against themselves".into(),
        ));
    }
    let (n, _) = plan.shape();
    let b = opts.tile;
    let blocks: Vec<(Vec<f64>, Vec<f64>)> = pool(opts.threads)?.install(|| {
        (0..n.div_ceil(b))
            .into_par_iter()
            .map(|bi| {
                let rows = bi * b..((bi + 1) * b).min(n);
                let r = rows.len();
                let (mut g, mut k) = (Mat::<f64>::zeros(r, r), Mat::<f64>::zeros(r, r));
                let mut t = which.ntk().then(|| Mat::<f64>::zeros(r, r));
                plan.tile_into(
                    rows.clone(),
                    rows,
                    &mut Vec::new(),
                    g.as_mut(),
                    k.as_mut(),
                    t.as_mut().map(|t| t.as_mut()),
                    true,
                );
                let kd = (0..r).map(|i| k[(i, i)]).collect();
                let td = t.map_or_else(Vec::new, |t| (0..r).map(|i| t[(i, i)]).collect());
                (kd, td)
            })
            .collect()
    });
    let (kd, td): (Vec<Vec<f64>>, Vec<Vec<f64>>) = blocks.into_iter().unzip();
    let kd = which.nngp().then(|| kd.concat());
    let td = which.ntk().then(|| td.concat());
    Ok((kd, td))
}

/// Selected rows `K(x*_S, X)` of the plan's kernel(s), dense `|S| x n2` (for covariances of
/// a bounded number of test points; with a symmetric test plan, columns S of the result
/// give `K(x*_S, x*_S)`). Entries agree with the dense `kernels()` to rounding (a 1-row
/// GEMM may sum `x . x'` in another order), not necessarily bit for bit.
///
/// # Errors
/// [`Error::Shape`] if a row index is out of range, [`Error::InvalidParameter`] for
/// `tile = 0`.
///
/// ```
/// use ntk::kernel_matrix::{selected_rows, CrossOptions, Which};
/// use ntk::{kernel, Activation, Network};
/// let xt = faer::Mat::from_fn(4, 2, |i, j| (i + j) as f64 - 1.0);
/// let x = faer::Mat::from_fn(6, 2, |i, j| ((i * 2 + j) as f64).cos());
/// let net = Network::mlp(Activation::Relu, 1, 1.4, 0.1)?;
/// let plan = kernel::KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref()))?;
/// let (k, _) = selected_rows(&plan, &[3, 0], Which::Nngp, &CrossOptions::default())?;
/// let dense = kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &Default::default())?;
/// assert!((k.unwrap()[(0, 5)] - dense.nngp[(3, 5)]).abs() < 1e-14);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn selected_rows(
    plan: &KernelPlan<'_>,
    rows: &[usize],
    which: Which,
    opts: &CrossOptions,
) -> Result<Pair<Mat<f64>>> {
    check_tile(opts.tile)?;
    let (n1, n2) = plan.shape();
    if let Some(&bad) = rows.iter().find(|&&r| r >= n1) {
        return Err(Error::Shape(format!(
            "selected row {bad} is out of range: there are {n1} points"
        )));
    }
    let b = opts.tile;
    let mut k = Mat::<f64>::zeros(rows.len(), n2);
    let mut t = which.ntk().then(|| Mat::<f64>::zeros(rows.len(), n2));
    let mut g = Mat::<f64>::zeros(1, b);
    let (mut kr, mut tr) = (Mat::<f64>::zeros(1, b), Mat::<f64>::zeros(1, b));
    for (s, &r) in rows.iter().enumerate() {
        for bj in 0..n2.div_ceil(b) {
            let cols = bj * b..((bj + 1) * b).min(n2);
            let nc = cols.len();
            plan.tile_into(
                r..r + 1,
                cols.clone(),
                &mut Vec::new(),
                g.as_mut().subcols_mut(0, nc),
                kr.as_mut().subcols_mut(0, nc),
                t.as_ref().map(|_| tr.as_mut().subcols_mut(0, nc)),
                false,
            );
            k.as_mut()
                .subrows_mut(s, 1)
                .subcols_mut(cols.start, nc)
                .copy_from(kr.as_ref().subcols(0, nc));
            if let Some(t) = t.as_mut() {
                t.as_mut()
                    .subrows_mut(s, 1)
                    .subcols_mut(cols.start, nc)
                    .copy_from(tr.as_ref().subcols(0, nc));
            }
        }
    }
    Ok((which.nngp().then_some(k), t))
}
