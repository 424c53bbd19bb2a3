//! Large kernel buffers on transparent huge pages. A new `n1 x n2` matrix is allocated
//! without being touched, its 2 MiB-aligned interior is marked `MADV_HUGEPAGE`, and only
//! then is it filled with zeros: the first touch then faults in 2 MiB pages instead of
//! 4 KiB ones. On this project's VM, faulting in 1 GB of 4 KiB pages costs about one
//! CPU-second (`cargo run --release --example limits -- 2 0 8000`: the whole ReLU NNGP + NTK
//! at n = 8,000 in memory went from 2.3-2.6 s to 1.7-1.8 s with huge pages). The values are
//! the same; only the page size changes, and where the kernel refuses (THP off, not Linux)
//! nothing changes at all.

use faer::Mat;

/// Buffers smaller than this are left to the allocator (a huge page is 2 MiB).
const MIN_BYTES: usize = 4 << 20;
const HUGE: usize = 2 << 20;

/// `Mat::zeros(nrows, ncols)`, on transparent huge pages where the system allows it.
///
/// ```
/// let m = ntk::kernel::pages::zeros(3000, 700);
/// assert_eq!((m.nrows(), m.ncols()), (3000, 700));
/// assert!(m.col_iter().all(|c| c.iter().all(|&v| v == 0.0)));
/// ```
pub fn zeros(nrows: usize, ncols: usize) -> Mat<f64> {
    let mut m = Mat::<f64>::with_capacity(nrows, ncols);
    let bytes = nrows.saturating_mul(ncols).saturating_mul(8);
    if bytes >= MIN_BYTES {
        advise_huge(m.as_ptr_mut().cast::<u8>(), bytes);
    }
    m.resize_with(nrows, ncols, |_, _| 0.0);
    m
}

/// Mark the 2 MiB-aligned part of `[ptr, ptr + len)` for huge pages (errors are ignored:
/// it is advice).
#[cfg(target_os = "linux")]
fn advise_huge(ptr: *mut u8, len: usize) {
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + len) / HUGE * HUGE;
    if end > start {
        // SAFETY: [start, end) lies inside the allocation `ptr..ptr + len` that the caller
        // owns and has not handed out; MADV_HUGEPAGE changes no contents and no mapping.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn zeros_have_the_shape_and_values_of_faers() {
        for (m, n) in [(0, 0), (1, 5), (20, 3), (1024, 1100)] {
            let a = super::zeros(m, n);
            assert_eq!(a, faer::Mat::<f64>::zeros(m, n), "{m} x {n}");
            assert!(a.col_stride() >= m as isize);
        }
    }
}
