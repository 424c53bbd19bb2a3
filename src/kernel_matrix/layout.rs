//! The tile layout of a packed symmetric matrix (one triangle), and its chunk partition.
//!
//! ```text
//! n x n, tile edge b, nb = ceil(n / b) tile rows; tile I covers rows I b .. min((I+1) b, n).
//! Stored tiles: (I, J) with J <= I, in row-major triangle order
//!     (0,0), (1,0), (1,1), (2,0), (2,1), (2,2), ...      index t(I, J) = I (I+1) / 2 + J
//! each column-major r_I x r_J and contiguous; diagonal tiles are stored as full squares
//! (both halves, mirrored), so offset(I, J) = b^2 t(I, J) for I < nb - 1 and
//! b^2 t(nb-1, 0) + J b r_last in the last tile row.
//! Chunks: contiguous ranges of tile rows [s_c, s_{c+1}), with
//!     s_c = min { I : I (I+1) / 2 * C >= c * T },  c = 0..C,  T = nb (nb+1) / 2 tiles,
//! duplicates removed (C = min(chunks, nb)); s_C = nb.
//! ```
//!
//! The chunk partition depends only on (n, b, C), never on a thread count: it fixes the
//! summation order of every product (see `stream.rs`), so a distributed layer whose ranks
//! own whole chunks reproduces the same bits.

use crate::{Error, Result};

/// The default tile edge (the same as [`crate::kernel::KernelOptions::tile`]).
pub const DEFAULT_TILE: usize = 256;

/// The default number of chunks `C` of the fixed partition (see [`TileLayout`]).
pub const DEFAULT_CHUNKS: usize = 16;

/// Geometry of a tile-packed lower triangle: tile edge, tile offsets and the chunk
/// partition (the module docs give the formulas).
///
/// ```
/// use ntk::kernel_matrix::TileLayout;
/// let l = TileLayout::new(5, 2, 16)?; // tiles of 2: rows 0..2, 2..4, 4..5
/// assert_eq!(l.tile_rows(), 3);
/// assert_eq!(l.tiles(), 6);
/// assert_eq!(l.offset(2, 1), 4 * 3 + 1 * 2); // after 3 full tiles, one 1 x 2 tile
/// assert_eq!(l.entries(), 4 * 3 + 2 * 2 + 1);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileLayout {
    n: usize,
    b: usize,
    /// Chunk boundaries in tile rows: `bounds[c]..bounds[c+1]`, last = nb.
    bounds: Vec<usize>,
}

impl TileLayout {
    /// The layout of an `n x n` matrix in tiles of edge `tile`, cut into (at most) `chunks`
    /// chunks.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `n`, `tile` or `chunks` is 0.
    ///
    /// ```
    /// let l = ntk::kernel_matrix::TileLayout::new(1000, 256, 16)?;
    /// assert_eq!(l.chunk_bounds(), &[0, 2, 3, 4]); // 4 tile rows, 10 tiles: 3 + 3 + 4
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn new(n: usize, tile: usize, chunks: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::param(
                "n",
                "a kernel matrix needs at least one point",
            ));
        }
        if tile == 0 {
            return Err(Error::param("tile", "the tile edge must be at least 1"));
        }
        if chunks == 0 {
            return Err(Error::param("chunks", "the chunk count must be at least 1"));
        }
        let nb = n.div_ceil(tile);
        let c = chunks.min(nb);
        let total = tri(nb);
        let mut bounds: Vec<usize> = Vec::with_capacity(c + 1);
        let mut i = 0;
        for k in 0..c {
            // smallest I with tri(I) * c >= k * total (u128: no overflow)
            while (tri(i) as u128) * (c as u128) < (k as u128) * (total as u128) {
                i += 1;
            }
            if bounds.last() != Some(&i) {
                bounds.push(i);
            }
        }
        if bounds.last() != Some(&nb) {
            bounds.push(nb);
        }
        Ok(TileLayout { n, b: tile, bounds })
    }

    /// The order `n`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(7, 3, 1)?.n(), 7);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn n(&self) -> usize {
        self.n
    }

    /// The tile edge `b`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(7, 3, 1)?.tile(), 3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tile(&self) -> usize {
        self.b
    }

    /// Number of tile rows `nb = ceil(n / b)`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(7, 3, 1)?.tile_rows(), 3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tile_rows(&self) -> usize {
        self.n.div_ceil(self.b)
    }

    /// Number of stored tiles `nb (nb + 1) / 2`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(7, 3, 1)?.tiles(), 6);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn tiles(&self) -> usize {
        tri(self.tile_rows())
    }

    /// The rows of tile row `i`: `i b .. min((i + 1) b, n)`.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(7, 3, 1)?.rows(2), 6..7);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn rows(&self, i: usize) -> std::ops::Range<usize> {
        i * self.b..((i + 1) * self.b).min(self.n)
    }

    /// Offset (in entries) of tile `(i, j)`, `j <= i`, in the packed storage.
    ///
    /// ```
    /// let l = ntk::kernel_matrix::TileLayout::new(7, 3, 1)?;
    /// assert_eq!((l.offset(0, 0), l.offset(1, 0), l.offset(2, 2)), (0, 9, 27 + 6));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn offset(&self, i: usize, j: usize) -> usize {
        debug_assert!(j <= i && i < self.tile_rows());
        let nb = self.tile_rows();
        let bb = self.b * self.b;
        if i + 1 < nb {
            bb * (tri(i) + j)
        } else {
            bb * tri(i) + j * self.b * self.rows(i).len()
        }
    }

    /// Total stored entries (the offset one past the last tile).
    ///
    /// ```
    /// // n = 4, b = 4: one full 4 x 4 diagonal tile
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(4, 4, 1)?.entries(), 16);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn entries(&self) -> usize {
        let nb = self.tile_rows();
        let last = nb - 1;
        self.offset(last, last) + self.rows(last).len().pow(2)
    }

    /// The chunk partition: chunk `c` is tile rows `bounds[c]..bounds[c + 1]`.
    ///
    /// ```
    /// let l = ntk::kernel_matrix::TileLayout::new(100, 10, 4)?; // 10 tile rows, 55 tiles
    /// assert_eq!(l.chunk_bounds(), &[0, 5, 7, 9, 10]);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn chunk_bounds(&self) -> &[usize] {
        &self.bounds
    }

    /// Number of chunks.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::TileLayout::new(100, 10, 4)?.chunks(), 4);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn chunks(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The matrix row one past the last row chunk `c` writes to (its partial output covers
    /// rows `0..chunk_row_end(c)`).
    ///
    /// ```
    /// let l = ntk::kernel_matrix::TileLayout::new(100, 10, 4)?;
    /// assert_eq!(l.chunk_row_end(0), 50);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn chunk_row_end(&self, c: usize) -> usize {
        (self.bounds[c + 1] * self.b).min(self.n)
    }

    /// Scratch entries (f64) that a product with `k` right-hand sides needs for the chunk
    /// partials: `k * sum_c chunk_row_end(c)`.
    ///
    /// ```
    /// let l = ntk::kernel_matrix::TileLayout::new(100, 10, 4)?;
    /// assert_eq!(l.partial_entries(1), 50 + 70 + 90 + 100);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn partial_entries(&self, k: usize) -> usize {
        k * (0..self.chunks())
            .map(|c| self.chunk_row_end(c))
            .sum::<usize>()
    }
}

/// `i (i + 1) / 2`.
pub(crate) fn tri(i: usize) -> usize {
    i * (i + 1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_the_running_sum_of_tile_sizes() {
        for (n, b) in [
            (1, 1),
            (1, 256),
            (7, 3),
            (9, 3),
            (10, 1),
            (300, 256),
            (513, 256),
        ] {
            let l = TileLayout::new(n, b, 5).unwrap();
            let mut off = 0;
            for i in 0..l.tile_rows() {
                for j in 0..=i {
                    assert_eq!(l.offset(i, j), off, "n {n} b {b} tile ({i}, {j})");
                    off += l.rows(i).len() * l.rows(j).len();
                }
            }
            assert_eq!(l.entries(), off);
        }
    }

    #[test]
    fn chunks_cover_all_tile_rows_in_order() {
        for nb in 1..40 {
            for c in 1..20 {
                let l = TileLayout::new(nb * 4, 4, c).unwrap();
                let bd = l.chunk_bounds();
                assert_eq!(bd[0], 0);
                assert_eq!(*bd.last().unwrap(), nb);
                assert!(bd.windows(2).all(|w| w[0] < w[1]), "{bd:?}");
                assert!(l.chunks() <= c.min(nb));
            }
        }
    }

    #[test]
    fn chunks_are_balanced_in_tiles() {
        let l = TileLayout::new(60_000, 256, 16).unwrap();
        let bd = l.chunk_bounds();
        assert_eq!(l.chunks(), 16);
        let per = l.tiles() as f64 / 16.0;
        for w in bd.windows(2) {
            let t = (tri(w[1]) - tri(w[0])) as f64;
            // a boundary moves by whole tile rows (at most nb tiles)
            assert!((t - per).abs() <= l.tile_rows() as f64, "{t} vs {per}");
        }
    }

    #[test]
    fn zero_sizes_are_refused() {
        assert!(TileLayout::new(0, 4, 1).is_err());
        assert!(TileLayout::new(4, 0, 1).is_err());
        assert!(TileLayout::new(4, 4, 0).is_err());
    }
}
