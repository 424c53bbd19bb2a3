//! A validated kernel computation: the network's recursion constants, the inputs, and the
//! per-point diagonal variances at every layer (O((n1 + n2) L) memory), from which any tile
//! (block of rows x block of columns) of the NNGP and NTK is computed on its own:
//!
//! ```text
//! tile = rows r0..r1 of X1 against rows c0..c1 of X2:
//!   G = X1[r0..r1] X2[c0..c1]^T / d          (one GEMM)
//!   K[i, j] = recursion(q(x_i), q(x'_j), G[i, j])   (elementwise, see pair.rs)
//! ```
//!
//! Entries whose input correlation is within 5e-4 of +-1 are recomputed with double-double
//! dot products (`special::dd`), so that duplicate, collinear and antipodal points get
//! `c` and `s = sqrt(q1 q2 - c^2)` to full accuracy (GEMM's `c` is only accurate to a few
//! ulps of |x||x'|, which near rho = +-1 leaves `s` with an error of ~1e-8 |x||x'|).

use super::columns::{SlotMajor, input_column};
use super::columns_act::{act_column, has_column};
use super::columns_selu::{EluFactors, elu_column, elu_params};
use super::gram::{Packed, gram as gram_block};
use super::pair::Recursion;
use crate::special::dd::{Dd, dot2_iter};
use crate::{Error, Network, Result};
use faer::{Mat, MatMut, MatRef};
use std::ops::Range;

/// Refine an entry with double-double arithmetic when `|rho| > REFINE`.
const REFINE: f64 = 0.9995;

/// A prepared kernel computation for inputs `x1` (n1 x d) and `x2` (n2 x d, or `x1`).
///
/// ```
/// use ntk::{kernel::KernelPlan, Activation, Network};
/// let x = faer::Mat::from_fn(5, 3, |i, j| ((i * 3 + j) as f64).sin());
/// let net = Network::mlp(Activation::Erf, 2, 1.0, 0.1)?;
/// let plan = KernelPlan::new(&net, x.as_ref(), None)?;
/// // compute rows 1..3 x columns 2..5 on their own
/// let mut nngp = faer::Mat::zeros(2, 3);
/// let mut ntk = faer::Mat::zeros(2, 3);
/// plan.tile(1..3, 2..5, nngp.as_mut(), Some(ntk.as_mut()))?;
/// let full = plan.compute(&Default::default(), None)?;
/// assert_eq!(nngp[(0, 1)], full.nngp[(1, 3)]);
/// # Ok::<(), ntk::Error>(())
/// ```
pub struct KernelPlan<'a> {
    pub(crate) rec: Recursion,
    pub(crate) x1: MatRef<'a, f64>,
    pub(crate) x2: Option<MatRef<'a, f64>>,
    d: usize,
    /// Per-point variances, `vars_len()` per point, points contiguous.
    vars1: Vec<f64>,
    vars2: Option<Vec<f64>>,
    /// The vectorized ReLU path's data: x1's variances slot-major, and sqrt of x2's
    /// (point-major). None for other activations or extreme variances (< 1e-100, > 1e100).
    relu_fast: Option<(SlotMajor, Vec<f64>)>,
    /// The exponential-linear family's per-point factors: it runs the same column path.
    elu_fast: Option<EluFactors>,
    /// The inputs packed for the Gram kernel (`gram.rs`); x2's only if it is given.
    px1: Packed,
    px2: Option<Packed>,
}

fn check_input(name: &str, x: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::Data(format!(
            "{name} is empty ({} x {}); it needs at least one row (point) and one column (feature)",
            x.nrows(),
            x.ncols()
        )));
    }
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(Error::Data(format!(
                    "{name} has a non-finite value ({v}) at row {i}, column {j}; remove or impute it"
                )));
            }
        }
    }
    Ok(())
}

fn row_norms(x: MatRef<'_, f64>) -> Vec<Dd> {
    (0..x.nrows())
        .map(|i| dot2_iter((0..x.ncols()).map(|k| (x[(i, k)], x[(i, k)]))))
        .collect()
}

impl<'a> KernelPlan<'a> {
    /// Validate the network and the inputs and precompute the per-point variances.
    ///
    /// # Errors
    /// [`Error::Data`] for empty inputs or NaN/Inf values, [`Error::Shape`] if `x2` has a
    /// different number of columns, [`Error::InvalidParameter`] for an invalid network,
    /// [`Error::Numerical`] if a variance overflows.
    ///
    /// ```
    /// use ntk::{kernel::KernelPlan, Activation, Network};
    /// let x = faer::Mat::from_fn(3, 2, |i, j| (i + j) as f64);
    /// let z = faer::Mat::<f64>::zeros(3, 4);
    /// let net = Network::mlp(Activation::Relu, 1, 1.0, 0.0)?;
    /// assert!(KernelPlan::new(&net, x.as_ref(), Some(z.as_ref())).is_err()); // d differs
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn new(net: &Network, x1: MatRef<'a, f64>, x2: Option<MatRef<'a, f64>>) -> Result<Self> {
        net.validate()?;
        check_input("x1", x1)?;
        if let Some(x2) = x2 {
            check_input("x2", x2)?;
            if x2.ncols() != x1.ncols() {
                return Err(Error::Shape(format!(
                    "x2 has {} columns (features) but x1 has {}; both must have the same input dimension d",
                    x2.ncols(),
                    x1.ncols()
                )));
            }
        }
        let d = x1.ncols();
        let rec = Recursion::new(net, d);
        let vars = |norms: &[Dd]| -> Result<Vec<f64>> {
            let len = rec.vars_len();
            let mut v = vec![0.0; norms.len() * len];
            for (i, nrm) in norms.iter().enumerate() {
                rec.point_vars(nrm.to_f64() / d as f64, &mut v[i * len..(i + 1) * len]);
            }
            if let Some(bad) = v.iter().find(|q| !q.is_finite()) {
                return Err(Error::Numerical(format!(
                    "a layer variance became {bad}: w_std^(2 depth) times the input scale overflows \
                     f64; use a smaller w_std, depth or input scale"
                )));
            }
            Ok(v)
        };
        let vars1 = vars(&row_norms(x1))?;
        let vars2 = match x2 {
            Some(x2) => Some(vars(&row_norms(x2))?),
            None => None,
        };
        if let Some(cache) = &rec.series {
            // every variance the entries need is in the cache now
            cache.freeze();
        }
        let in_range = |v: &[f64]| v.iter().all(|&q| q == 0.0 || (1e-100..=1e100).contains(&q));
        let elu = elu_params(net.activation);
        let relu_fast = ((has_column(net.activation) || elu.is_some())
            && in_range(&vars1)
            && vars2.as_deref().is_none_or(in_range))
        .then(|| {
            let len = rec.vars_len();
            let sq2 = vars2
                .as_deref()
                .unwrap_or(&vars1)
                .iter()
                .map(|q| q.sqrt())
                .collect();
            (SlotMajor::new(&vars1, len), sq2)
        });
        let elu_fast = elu
            .filter(|_| relu_fast.is_some())
            .map(|p| EluFactors::new(p, net.depth, &vars1, vars2.as_deref().unwrap_or(&vars1)));
        Ok(KernelPlan {
            rec,
            x1,
            x2,
            d,
            vars1,
            vars2,
            relu_fast,
            elu_fast,
            px1: Packed::new(x1),
            px2: x2.map(Packed::new),
        })
    }

    /// The same plan without the vectorized column path (every entry by `pair.rs`), for tests.
    #[cfg(test)]
    pub(crate) fn scalar_only(mut self) -> Self {
        self.relu_fast = None;
        self
    }

    /// Whether the plan uses the vectorized column path, for tests.
    #[cfg(test)]
    pub(crate) fn uses_columns(&self) -> bool {
        self.relu_fast.is_some()
    }

    /// `(n1, n2)`, the shape of the kernels.
    ///
    /// ```
    /// # use ntk::{kernel::KernelPlan, Activation, Network};
    /// let x = faer::Mat::from_fn(3, 2, |i, j| (i + j) as f64);
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 1, 1.0, 0.0)?, x.as_ref(), None)?;
    /// assert_eq!(plan.shape(), (3, 3));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn shape(&self) -> (usize, usize) {
        let n1 = self.x1.nrows();
        (n1, self.x2.map_or(n1, |x| x.nrows()))
    }

    /// Whether the plan is for `x1` against itself (symmetric kernels).
    ///
    /// ```
    /// # use ntk::{kernel::KernelPlan, Activation, Network};
    /// let x = faer::Mat::from_fn(3, 2, |i, j| (i + j) as f64);
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 1, 1.0, 0.0)?, x.as_ref(), None)?;
    /// assert!(plan.is_symmetric());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn is_symmetric(&self) -> bool {
        self.x2.is_none()
    }

    fn x2(&self) -> MatRef<'a, f64> {
        self.x2.unwrap_or(self.x1)
    }

    fn vars2(&self) -> &[f64] {
        self.vars2.as_deref().unwrap_or(&self.vars1)
    }

    /// Compute the block `rows x cols` of the NNGP (and of the NTK if `ntk` is given) into
    /// `nngp` / `ntk`, which must be `rows.len() x cols.len()`. Runs on the calling thread.
    ///
    /// # Errors
    /// [`Error::Shape`] if the ranges are out of bounds or the outputs have the wrong shape.
    ///
    /// ```
    /// # use ntk::{kernel::KernelPlan, Activation, Network};
    /// let x = faer::Mat::from_fn(4, 2, |i, j| (i as f64 - j as f64).cos());
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Relu, 2, 1.4, 0.0)?, x.as_ref(), None)?;
    /// let mut k = faer::Mat::zeros(4, 4);
    /// plan.tile(0..4, 0..4, k.as_mut(), None)?;
    /// assert!(k[(2, 2)] > 0.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tile(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        nngp: MatMut<'_, f64>,
        ntk: Option<MatMut<'_, f64>>,
    ) -> Result<()> {
        self.tile_checked(rows, cols, nngp, ntk, false)
    }

    /// As [`KernelPlan::tile`] for a block on the diagonal of a symmetric kernel
    /// (`rows == cols`, `x2 = None`): only entries on or below the diagonal are computed
    /// (about half the work), exactly as the whole-kernel schedule computes its diagonal
    /// tiles; entries above the diagonal are left unspecified.
    ///
    /// # Errors
    /// As [`KernelPlan::tile`]; [`Error::Shape`] if the kernel is not symmetric or
    /// `rows != cols`.
    ///
    /// ```
    /// # use ntk::{kernel::KernelPlan, Activation, Network};
    /// let x = faer::Mat::from_fn(5, 2, |i, j| (i as f64 + j as f64).sin());
    /// let plan = KernelPlan::new(&Network::mlp(Activation::Erf, 2, 1.2, 0.1)?, x.as_ref(), None)?;
    /// let (mut full, mut low) = (faer::Mat::zeros(5, 5), faer::Mat::zeros(5, 5));
    /// plan.tile(0..5, 0..5, full.as_mut(), None)?;
    /// plan.tile_lower(0..5, low.as_mut(), None)?;
    /// assert_eq!(low[(4, 1)], full[(4, 1)]);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tile_lower(
        &self,
        rows: Range<usize>,
        nngp: MatMut<'_, f64>,
        ntk: Option<MatMut<'_, f64>>,
    ) -> Result<()> {
        if !self.is_symmetric() {
            return Err(Error::Shape(
                "tile_lower needs a symmetric kernel (x2 = None)".into(),
            ));
        }
        self.tile_checked(rows.clone(), rows, nngp, ntk, true)
    }

    fn tile_checked(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        nngp: MatMut<'_, f64>,
        ntk: Option<MatMut<'_, f64>>,
        lower_only: bool,
    ) -> Result<()> {
        let (n1, n2) = self.shape();
        if rows.start > rows.end || rows.end > n1 || cols.start > cols.end || cols.end > n2 {
            return Err(Error::Shape(format!(
                "tile rows {rows:?} x cols {cols:?} is outside the {n1} x {n2} kernel"
            )));
        }
        let want = (rows.len(), cols.len());
        for (name, m) in [("nngp", Some(&nngp)), ("ntk", ntk.as_ref())] {
            if let Some(m) = m {
                if (m.nrows(), m.ncols()) != want {
                    return Err(Error::Shape(format!(
                        "{name} tile output is {} x {}, expected {} x {}",
                        m.nrows(),
                        m.ncols(),
                        want.0,
                        want.1
                    )));
                }
            }
        }
        let mut gram = Mat::zeros(rows.len(), cols.len());
        let mut scratch = Vec::new();
        // the vectorized path needs column-major buffers; compute into our own and copy
        // when the caller's views are laid out differently (e.g. transposed)
        let col_major = |m: &MatMut<'_, f64>| m.row_stride() == 1;
        if col_major(&nngp) && ntk.as_ref().is_none_or(col_major) {
            self.tile_into(
                rows,
                cols,
                &mut scratch,
                gram.as_mut(),
                nngp,
                ntk,
                lower_only,
            );
        } else {
            let mut k = Mat::zeros(want.0, want.1);
            let mut t = ntk.as_ref().map(|_| Mat::zeros(want.0, want.1));
            self.tile_into(
                rows,
                cols,
                &mut scratch,
                gram.as_mut(),
                k.as_mut(),
                t.as_mut().map(|t| t.as_mut()),
                lower_only,
            );
            let mut nngp = nngp;
            nngp.copy_from(&k);
            if let (Some(mut dst), Some(src)) = (ntk, t) {
                dst.copy_from(&src);
            }
        }
        Ok(())
    }

    /// The tile kernel: `gram` is scratch of shape rows x cols, `scratch` the Gram kernel's
    /// (reused between calls). With `lower_only`, entries with global column > global row
    /// are skipped (diagonal tiles of a symmetric kernel).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tile_into(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        scratch: &mut Vec<f64>,
        mut gram: MatMut<'_, f64>,
        mut nngp: MatMut<'_, f64>,
        mut ntk: Option<MatMut<'_, f64>>,
        lower_only: bool,
    ) {
        let (r0, c0) = (rows.start, cols.start);
        let (nr, nc) = (rows.len(), cols.len());
        if nr == 0 || nc == 0 {
            return;
        }
        // a diagonal tile of a symmetric kernel (r0 == c0) needs only its lower triangle
        let lower_only = lower_only && r0 == c0 && nr == nc;
        // every entry is one fixed fma chain (gram.rs), so the bits do not depend on the
        // tile's shape or position: tile() == compute() for any tile size and thread count
        self.gram_tile(
            rows.clone(),
            cols.clone(),
            lower_only,
            scratch,
            gram.as_mut(),
        );
        let len = self.rec.vars_len();
        let (vars1, vars2) = (&self.vars1, self.vars2());
        let inv_d = 1.0 / self.d as f64;
        let symmetric = self.is_symmetric();
        // input layer: (c, s) per entry; the GEMM value, refined near rho = +-1
        let input = |ii: usize, jj: usize, g: f64| -> (f64, f64) {
            let (i, j) = (r0 + ii, c0 + jj);
            let (q1, q2) = (vars1[i * len], vars2[j * len]);
            if symmetric && i == j {
                return (q1, 0.0);
            }
            // correlation and sine part in a scale-free form (no q1 q2 products, which
            // under/overflow for tiny/huge inputs)
            let r = q1.sqrt() * q2.sqrt();
            let c = g * inv_d;
            if r == 0.0 {
                return (0.0, 0.0);
            }
            let rho = (c / r).clamp(-1.0, 1.0);
            if rho.abs() > REFINE {
                self.refine(i, j)
            } else {
                (c, r * ((1.0 - rho) * (1.0 + rho)).sqrt())
            }
        };
        if let Some((x1_slots, sq2)) = &self.relu_fast {
            let (mut tdot, mut es) = (Vec::new(), Default::default());
            let mut th_scratch = if ntk.is_none() {
                vec![0.0; nr]
            } else {
                Vec::new()
            };
            for jj in 0..nc {
                let j = c0 + jj;
                let (Some(cv), Some(sv)) = (
                    nngp.as_mut().col_mut(jj).try_as_col_major_mut(),
                    gram.as_mut().col_mut(jj).try_as_col_major_mut(),
                ) else {
                    unreachable_layout()
                };
                // rows above the diagonal of a diagonal tile are neither needed nor computed
                let i_start = if lower_only { jj } else { 0 };
                let (cv, sv) = (
                    &mut cv.as_slice_mut()[i_start..],
                    &mut sv.as_slice_mut()[i_start..],
                );
                let i0 = r0 + i_start;
                input_column(x1_slots, i0, sq2[j * len], inv_d, cv, sv);
                // fix-ups, rare: the diagonal, and pairs within 5e-4 of rho = +-1
                for k in 0..cv.len() {
                    let i = i0 + k;
                    if symmetric && i == j {
                        cv[k] = vars1[i * len];
                        sv[k] = 0.0;
                    } else {
                        let r = x1_slots.sq[i] * sq2[j * len];
                        if cv[k] * cv[k] > REFINE * REFINE * (r * r) {
                            (cv[k], sv[k]) = self.refine(i, j);
                        }
                    }
                }
                let th: &mut [f64] = match ntk.as_mut() {
                    Some(t) => match t.as_mut().col_mut(jj).try_as_col_major_mut() {
                        Some(col) => &mut col.as_slice_mut()[i_start..],
                        None => unreachable_layout(),
                    },
                    None => &mut th_scratch[i_start..],
                };
                let v2 = &vars2[j * len..(j + 1) * len];
                let s2 = &sq2[j * len..(j + 1) * len];
                match &self.elu_fast {
                    Some(f) => elu_column(
                        &self.rec, f, x1_slots, i0, j, v2, s2, cv, sv, th, &mut tdot, &mut es,
                    ),
                    None => act_column(&self.rec, x1_slots, r0 + i_start, v2, s2, cv, sv, th),
                }
            }
            return;
        }
        for jj in 0..nc {
            let j = c0 + jj;
            let v2 = &vars2[j * len..(j + 1) * len];
            for ii in 0..nr {
                let i = r0 + ii;
                if lower_only && j > i {
                    continue;
                }
                let v1 = &vars1[i * len..(i + 1) * len];
                let (c, s) = input(ii, jj, gram[(ii, jj)]);
                let (k, t) = self.rec.entry(v1, v2, c, s);
                nngp[(ii, jj)] = k;
                if let Some(ntk) = ntk.as_mut() {
                    ntk[(ii, jj)] = t;
                }
            }
        }
    }

    /// The Gram block `x1[rows] x2[cols]^T` (only entries with column <= row if `lower`).
    pub(crate) fn gram_tile(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        lower: bool,
        scratch: &mut Vec<f64>,
        out: MatMut<'_, f64>,
    ) {
        let px2 = self.px2.as_ref().unwrap_or(&self.px1);
        gram_block(&self.px1, rows, px2, cols, lower, scratch, out);
    }

    /// `(c, s)` of the input layer for entry (i, j), in double-double arithmetic.
    #[cold]
    fn refine(&self, i: usize, j: usize) -> (f64, f64) {
        let (x1, x2) = (self.x1, self.x2());
        let d = self.d;
        let s12 = dot2_iter((0..d).map(|k| (x1[(i, k)], x2[(j, k)])));
        // |x|^2 |x'|^2 - (x.x')^2 with both rows scaled by powers of two (exact) so that the
        // products neither underflow nor overflow; unscaled afterwards
        let (e1, e2) = (pow2_scale(x1, i), pow2_scale(x2, j));
        let a = |k: usize| x1[(i, k)] * e1;
        let b = |k: usize| x2[(j, k)] * e2;
        let s11 = dot2_iter((0..d).map(|k| (a(k), a(k))));
        let s22 = dot2_iter((0..d).map(|k| (b(k), b(k))));
        let t12 = dot2_iter((0..d).map(|k| (a(k), b(k))));
        let det = (s11 * s22 + -(t12 * t12)).to_f64().max(0.0).sqrt() / (e1 * e2);
        // the same operation as the per-point variances (|x|^2 / d), so that duplicates
        // get c == q bitwise
        let df = d as f64;
        (s12.to_f64() / df, det / df)
    }
}

/// Tile buffers are always column-major with unit row stride.
#[cold]
fn unreachable_layout() -> ! {
    panic!("internal error: kernel tile buffers must be column-major")
}

/// The power of two closest to 1 / max_k |x[i, k]| (1 for a zero row).
fn pow2_scale(x: MatRef<'_, f64>, i: usize) -> f64 {
    let m = (0..x.ncols()).fold(0.0f64, |m, k| m.max(x[(i, k)].abs()));
    if m == 0.0 || !m.is_finite() {
        return 1.0;
    }
    let e = m.log2().round().clamp(-1000.0, 1000.0);
    2f64.powi(-(e as i32))
}

#[cfg(test)]
mod tests;
