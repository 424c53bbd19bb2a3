//! A kernel held as a full dense `n x n` matrix (small n, and the dense eigen path):
//! `apply` is `Y = K X` streamed over the lower triangle in the tile layout of
//! [`super::Packed`] (`stream.rs`), so it gives the same bits as `Packed<f64>` with the same
//! tile edge; the diagonal and columns are read directly.

use super::layout::{DEFAULT_CHUNKS, DEFAULT_TILE, TileLayout};
use super::stream::{self, TileSource};
use super::{KernelMatrix, Packed, Precision};
use crate::{Error, Result};
use faer::{Mat, MatMut, MatRef, Par};

/// A dense symmetric kernel matrix.
///
/// ```
/// use ntk::kernel_matrix::{Dense, KernelMatrix};
/// let k = Dense::new(faer::mat![[2.0, 1.0], [1.0, 3.0]])?;
/// let x = faer::mat![[1.0], [1.0]];
/// let mut y = faer::Mat::zeros(2, 1);
/// k.apply(x.as_ref(), y.as_mut(), faer::Par::Seq);
/// assert_eq!((y[(0, 0)], y[(1, 0)]), (3.0, 4.0));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dense {
    k: Mat<f64>,
    layout: TileLayout,
}

impl Dense {
    /// Wrap a square matrix (its symmetry is the caller's promise; it is not checked, and
    /// `apply` reads only the lower triangle), with the default tile edge for `apply`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `k` is not square, [`Error::InvalidParameter`] if it is empty.
    pub fn new(k: Mat<f64>) -> Result<Self> {
        Self::with_tile(k, DEFAULT_TILE)
    }

    /// As [`Dense::new`], with tile edge `tile` for the summation order of `apply` (the
    /// same bits as a [`Packed`] with that tile).
    ///
    /// # Errors
    /// As [`Dense::new`], and [`Error::InvalidParameter`] for `tile = 0`.
    ///
    /// ```
    /// let d = ntk::kernel_matrix::Dense::with_tile(faer::Mat::identity(3, 3), 2)?;
    /// assert_eq!(d.layout().tile(), 2);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn with_tile(k: Mat<f64>, tile: usize) -> Result<Self> {
        if k.nrows() != k.ncols() {
            return Err(Error::Shape(format!(
                "a kernel matrix must be square, got {} x {}",
                k.nrows(),
                k.ncols()
            )));
        }
        let layout = TileLayout::new(k.nrows(), tile, DEFAULT_CHUNKS)?;
        Ok(Dense { k, layout })
    }

    /// The dense form of a packed kernel (f64 or f32 entries, widened), with its tile edge.
    ///
    /// # Errors
    /// [`Error::Memory`] if the `n x n` matrix does not fit in available memory.
    ///
    /// ```
    /// use ntk::kernel_matrix::{Dense, Packed};
    /// let k = faer::mat![[2.0, 1.0], [1.0, 3.0]];
    /// let d = Dense::from_packed(&Packed::<f64>::from_dense(k.as_ref(), 1)?)?;
    /// assert_eq!(d.matrix(), k.as_ref());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_packed<T: super::Entry>(p: &Packed<T>) -> Result<Self> {
        let n = p.layout().n();
        super::memory::check_fits((n * n * 8) as f64, None, "the dense kernel")?;
        Self::with_tile(p.to_dense(), p.layout().tile())
    }

    /// The matrix.
    ///
    /// ```
    /// let d = ntk::kernel_matrix::Dense::new(faer::Mat::identity(2, 2))?;
    /// assert_eq!(d.matrix()[(1, 1)], 1.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.k.as_ref()
    }

    /// The tile layout `apply` sums in.
    ///
    /// ```
    /// let d = ntk::kernel_matrix::Dense::new(faer::Mat::identity(2, 2))?;
    /// assert_eq!(d.layout().tile(), ntk::kernel_matrix::DEFAULT_TILE);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn layout(&self) -> &TileLayout {
        &self.layout
    }
}

impl TileSource<f64> for Dense {
    #[inline]
    fn tile(&self, i: usize, j: usize) -> (&[f64], usize) {
        let (r0, c0) = (self.layout.rows(i).start, self.layout.rows(j).start);
        let m = self.k.as_ref();
        let cs = m.col_stride() as usize;
        let n = m.nrows();
        // SAFETY: an owned faer `Mat` is column-major (unit row stride, column stride
        // cs >= n); columns 0..n hold (n - 1) cs + n readable entries from its pointer.
        let all = unsafe { std::slice::from_raw_parts(m.as_ptr(), (n - 1) * cs + n) };
        (&all[r0 + c0 * cs..], cs)
    }
}

impl KernelMatrix for Dense {
    fn n(&self) -> usize {
        self.k.nrows()
    }

    fn diagonal(&self) -> Vec<f64> {
        (0..self.n()).map(|i| self.k[(i, i)]).collect()
    }

    fn apply(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, par: Par) {
        stream::apply(&self.layout, self, x, out, par);
    }

    fn columns(&self, cols: &[usize], mut out: MatMut<'_, f64>) {
        for (j, &c) in cols.iter().enumerate() {
            for i in 0..self.n() {
                out[(i, j)] = self.k[(i, c)];
            }
        }
    }

    fn bytes(&self) -> usize {
        self.n() * self.n() * 8
    }

    fn scratch_bytes(&self, k: usize) -> usize {
        stream::scratch_bytes(&self.layout, k)
    }

    fn precision(&self) -> Precision {
        Precision::F64
    }
}

impl<T: super::Entry> Packed<T> {
    /// Pack a [`Dense`] kernel with its tile edge (the same `apply` bits for `T = f64`).
    ///
    /// # Errors
    /// As [`Packed::from_dense`].
    ///
    /// ```
    /// use ntk::kernel_matrix::{Dense, Packed};
    /// let d = Dense::new(faer::mat![[2.0, 1.0], [1.0, 3.0]])?;
    /// assert_eq!(Packed::<f64>::from_dense_kernel(&d)?.get(1, 0), 1.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_dense_kernel(d: &Dense) -> Result<Self> {
        Self::from_dense(d.matrix(), d.layout().tile())
    }
}
