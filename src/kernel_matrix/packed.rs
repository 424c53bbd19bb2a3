//! `Packed<T>`: a symmetric kernel stored as one triangle of tiles (layout in `layout.rs`),
//! entries `T = f64` or `f32`, products streamed tile by tile in f64 (`stream.rs`):
//! `K[i, j] = K[j, i] = tile(I, J)[i - I b, j - J b]` for `i >= j`, `I = i / b`, `J = j / b`.

use super::entry::Entry;
use super::layout::{DEFAULT_CHUNKS, TileLayout};
use super::memory::check_fits;
use super::stream::{self, TileSource};
use super::{KernelMatrix, Precision};
use crate::{Error, Result};
use faer::{Mat, MatMut, MatRef, Par};

/// A symmetric kernel matrix stored as its lower triangle packed by tiles.
///
/// ```
/// use ntk::kernel_matrix::{Dense, KernelMatrix, Packed};
/// let k = faer::Mat::from_fn(5, 5, |i, j| 1.0 / (1.0 + i as f64 + j as f64));
/// let p = Packed::<f64>::from_dense(k.as_ref(), 2)?;
/// let d = Dense::with_tile(k.clone(), 2)?;
/// let x = faer::Mat::from_fn(5, 3, |i, j| (i * 3 + j) as f64);
/// let (mut y1, mut y2) = (faer::Mat::zeros(5, 3), faer::Mat::zeros(5, 3));
/// p.apply(x.as_ref(), y1.as_mut(), faer::Par::Seq);
/// d.apply(x.as_ref(), y2.as_mut(), faer::Par::rayon(2));
/// assert_eq!(y1, y2); // the same bits
/// assert_eq!(p.bytes(), 8 * (4 * 3 + 2 * 2 + 1));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Packed<T: Entry = f64> {
    layout: TileLayout,
    data: Vec<T>,
}

impl<T: Entry> TileSource<T> for Packed<T> {
    #[inline]
    fn tile(&self, i: usize, j: usize) -> (&[T], usize) {
        (
            &self.data[self.layout.offset(i, j)..],
            self.layout.rows(i).len(),
        )
    }
}

impl<T: Entry> Packed<T> {
    /// Pack the lower triangle of a square matrix (entries with `i >= j`; the upper triangle
    /// is not read) in tiles of edge `tile`, rounding to `T`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `k` is not square, [`Error::InvalidParameter`] for an empty
    /// matrix or `tile = 0`, [`Error::Memory`] if the storage does not fit in available
    /// memory, [`Error::Data`] for an entry that is not finite once rounded to `T`.
    ///
    /// ```
    /// let k = faer::mat![[4.0, 1.0], [1.0, 3.0]];
    /// let p = ntk::kernel_matrix::Packed::<f32>::from_dense(k.as_ref(), 256)?;
    /// assert_eq!(p.get(0, 1), 1.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_dense(k: MatRef<'_, f64>, tile: usize) -> Result<Self> {
        if k.nrows() != k.ncols() {
            return Err(Error::Shape(format!(
                "a kernel matrix must be square, got {} x {}",
                k.nrows(),
                k.ncols()
            )));
        }
        Self::from_fn(k.nrows(), tile, |i, j| k[(i, j)])
    }

    /// Pack the symmetric matrix with lower-triangle entries `f(i, j)`, `i >= j` (called
    /// once per stored entry; the upper triangle is never asked for), rounding to `T`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n = 0` or `tile = 0`, [`Error::Memory`] if the
    /// storage does not fit in available memory, [`Error::Data`] for an entry that is not
    /// finite once rounded to `T`.
    ///
    /// ```
    /// use ntk::kernel_matrix::{bytes, KernelMatrix, Packed, Precision};
    /// let p = Packed::<f32>::from_fn(1000, 256, |i, j| (-((i - j) as f64)).exp())?;
    /// assert_eq!(p.get(3, 5), (-2f64).exp() as f32 as f64);
    /// assert_eq!(p.bytes() as u64, bytes(1000, 256, Precision::F32)?);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_fn(n: usize, tile: usize, f: impl Fn(usize, usize) -> f64) -> Result<Self> {
        let layout = TileLayout::new(n, tile, DEFAULT_CHUNKS)?;
        let mut p = Self::zeroed(layout, None)?;
        let l = p.layout.clone();
        for ti in 0..l.tile_rows() {
            for tj in 0..=ti {
                let (rows, cols) = (l.rows(ti), l.rows(tj));
                let off = l.offset(ti, tj);
                let t = &mut p.data[off..off + rows.len() * cols.len()];
                for (jj, j) in cols.clone().enumerate() {
                    for (ii, i) in rows.clone().enumerate() {
                        let v = if i >= j { f(i, j) } else { f(j, i) };
                        let e = T::from_f64(v);
                        if !e.to_f64().is_finite() {
                            return Err(Error::Data(format!(
                                "kernel entry ({i}, {j}) = {v} is not finite in {} storage",
                                T::PRECISION.name()
                            )));
                        }
                        t[jj * rows.len() + ii] = e;
                    }
                }
            }
        }
        Ok(p)
    }

    /// Zero storage for `layout`, after checking that it fits (`budget` bytes, default:
    /// the memory available now).
    pub(crate) fn zeroed(layout: TileLayout, budget: Option<f64>) -> Result<Self> {
        let bytes = layout.entries() * std::mem::size_of::<T>();
        check_fits(
            bytes as f64,
            budget,
            &format!(
                "the packed {} kernel storage (n = {}, tile {})",
                T::PRECISION.name(),
                layout.n(),
                layout.tile()
            ),
        )?;
        let data = vec![T::default(); layout.entries()];
        Ok(Packed { layout, data })
    }

    /// The stored tiles as one slice, in layout order (for building them in parallel).
    pub(crate) fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The tile layout (tile edge, offsets, chunk partition).
    ///
    /// ```
    /// let p = ntk::kernel_matrix::Packed::<f64>::from_dense(faer::Mat::identity(3, 3).as_ref(), 2)?;
    /// assert_eq!(p.layout().tiles(), 3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn layout(&self) -> &TileLayout {
        &self.layout
    }

    /// The stored tile `(i, j)`, `j <= i` (column-major, `rows(i) x rows(j)`), for tile
    /// iteration in layout order.
    ///
    /// ```
    /// let k = faer::Mat::from_fn(3, 3, |i, j| (i * 3 + j) as f64);
    /// let p = ntk::kernel_matrix::Packed::<f64>::from_dense(k.as_ref(), 2)?;
    /// let t = p.tile(1, 0); // rows 2..3, columns 0..2
    /// assert_eq!((t.nrows(), t.ncols(), t[(0, 1)]), (1, 2, 7.0));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tile(&self, i: usize, j: usize) -> MatRef<'_, T> {
        let (r, c) = (self.layout.rows(i).len(), self.layout.rows(j).len());
        let off = self.layout.offset(i, j);
        MatRef::from_column_major_slice(&self.data[off..off + r * c], r, c)
    }

    /// The entry `K[i, j]` (either triangle), widened to f64.
    ///
    /// ```
    /// let k = faer::mat![[4.0, 1.0], [1.0, 3.0]];
    /// let p = ntk::kernel_matrix::Packed::<f64>::from_dense(k.as_ref(), 1)?;
    /// assert_eq!((p.get(1, 0), p.get(0, 1), p.get(1, 1)), (1.0, 1.0, 3.0));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i >= j { (i, j) } else { (j, i) };
        let b = self.layout.tile();
        let (ti, tj) = (i / b, j / b);
        let r = self.layout.rows(ti).len();
        self.data[self.layout.offset(ti, tj) + (j - tj * b) * r + (i - ti * b)].to_f64()
    }

    /// The whole matrix, dense (both triangles).
    ///
    /// ```
    /// let k = faer::mat![[4.0, 1.0], [1.0, 3.0]];
    /// let p = ntk::kernel_matrix::Packed::<f64>::from_dense(k.as_ref(), 1)?;
    /// assert_eq!(p.to_dense(), k);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn to_dense(&self) -> Mat<f64> {
        let n = self.layout.n();
        Mat::from_fn(n, n, |i, j| self.get(i, j))
    }
}

impl<T: Entry> KernelMatrix for Packed<T> {
    fn n(&self) -> usize {
        self.layout.n()
    }

    fn diagonal(&self) -> Vec<f64> {
        (0..self.n()).map(|i| self.get(i, i)).collect()
    }

    fn apply(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, par: Par) {
        stream::apply(&self.layout, self, x, out, par);
    }

    fn columns(&self, cols: &[usize], mut out: MatMut<'_, f64>) {
        let b = self.layout.tile();
        for (jj, &c) in cols.iter().enumerate() {
            let tc = c / b;
            let cc = c - tc * b;
            for ti in 0..self.layout.tile_rows() {
                let rows = self.layout.rows(ti);
                if ti >= tc {
                    // column cc of tile (ti, tc): contiguous
                    let r = rows.len();
                    let off = self.layout.offset(ti, tc) + cc * r;
                    for (ii, i) in rows.enumerate() {
                        out[(i, jj)] = self.data[off + ii].to_f64();
                    }
                } else {
                    // row cc of tile (tc, ti), by symmetry
                    let r = self.layout.rows(tc).len();
                    let off = self.layout.offset(tc, ti) + cc;
                    for (ii, i) in rows.enumerate() {
                        out[(i, jj)] = self.data[off + ii * r].to_f64();
                    }
                }
            }
        }
    }

    fn bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<T>()
    }

    fn scratch_bytes(&self, k: usize) -> usize {
        stream::scratch_bytes(&self.layout, k)
    }

    fn precision(&self) -> Precision {
        T::PRECISION
    }
}
