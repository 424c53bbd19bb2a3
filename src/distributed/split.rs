//! How work is split over ranks, from sizes alone (never from timing):
//!
//! ```text
//! even(count, P, r)        = [floor(r count / P), floor((r + 1) count / P))
//! weighted(w, P, r)        = [s_r, s_{r+1}),  s_r = min { i : W(i) P >= r W(n) },  W = prefix sums
//! ```
//!
//! Chunks of a [`crate::kernel_matrix::TileLayout`] are already balanced in tiles, so ranks
//! take [`even`] ranges of them; kernel columns are split by [`weighted`] tile counts. With
//! more ranks than items some ranks get an empty range (they still take part in every
//! collective).

use std::ops::Range;

/// Rank `r`'s share of `count` items over `size` ranks, contiguous and in order.
///
/// ```
/// use ntk::distributed::split;
/// assert_eq!(split::even(10, 3, 0), 0..3);
/// assert_eq!(split::even(10, 3, 2), 6..10);
/// assert_eq!(split::even(2, 4, 1), 0..1); // ranks 0 and 2 have nothing
/// ```
pub fn even(count: usize, size: usize, r: usize) -> Range<usize> {
    let size = size.max(1) as u128;
    let at = |r: usize| ((r as u128 * count as u128) / size) as usize;
    at(r)..at(r + 1)
}

/// Rank `r`'s share of items with weights `w` (e.g. tiles per column block), contiguous,
/// each rank's total weight close to `W / size`.
///
/// ```
/// use ntk::distributed::split;
/// let w = [4, 3, 2, 1]; // lower-triangle tiles of 4 block columns
/// assert_eq!(split::weighted(&w, 2, 0), 0..2); // 7 of 10
/// assert_eq!(split::weighted(&w, 2, 1), 2..4);
/// ```
pub fn weighted(w: &[usize], size: usize, r: usize) -> Range<usize> {
    let size = size.max(1);
    let total: u128 = w.iter().map(|&v| v as u128).sum();
    let start = |r: usize| -> usize {
        if r >= size {
            return w.len();
        }
        let mut acc = 0u128;
        for (i, &v) in w.iter().enumerate() {
            if acc * size as u128 >= r as u128 * total {
                return i;
            }
            acc += v as u128;
        }
        w.len()
    };
    start(r)..start(r + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_everything_once_in_order() {
        for count in 0..30 {
            for size in 1..9 {
                let mut next = 0;
                for r in 0..size {
                    let s = even(count, size, r);
                    assert_eq!(s.start, next);
                    next = s.end;
                }
                assert_eq!(next, count);
                let w: Vec<usize> = (0..count).map(|i| count - i).collect();
                let mut next = 0;
                for r in 0..size {
                    let s = weighted(&w, size, r);
                    assert_eq!(s.start, next, "{count} {size} {r}");
                    next = s.end;
                }
                assert_eq!(next, count);
            }
        }
    }

    #[test]
    fn weighted_shares_are_balanced() {
        let w: Vec<usize> = (0..400).map(|i| 400 - i).collect();
        let total: usize = w.iter().sum();
        for r in 0..4 {
            let s: usize = w[weighted(&w, 4, r)].iter().sum();
            assert!((s as f64 - total as f64 / 4.0).abs() <= 400.0, "{r}: {s}");
        }
    }
}
