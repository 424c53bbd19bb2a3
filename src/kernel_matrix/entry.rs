//! Stored entry types of packed kernels: `f64` (exact) and `f32` (half the memory). Entries
//! are widened to f64 on load, so every product accumulates in f64:
//! `y_i = sum_j f64(K_ij) x_j`.

use super::Precision;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// An element type of packed kernel storage (`f64` or `f32`; sealed).
///
/// ```
/// use ntk::kernel_matrix::{Entry, Precision};
/// assert_eq!(<f32 as Entry>::PRECISION, Precision::F32);
/// assert_eq!(f32::from_f64(0.1).to_f64(), 0.1f32 as f64);
/// ```
pub trait Entry: Copy + Send + Sync + Default + std::fmt::Debug + 'static + sealed::Sealed {
    /// The matching [`Precision`].
    const PRECISION: Precision;
    /// Round an f64 to this type (round to nearest even).
    fn from_f64(v: f64) -> Self;
    /// Widen to f64 (exact).
    fn to_f64(self) -> f64;
}

impl Entry for f64 {
    const PRECISION: Precision = Precision::F64;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

impl Entry for f32 {
    const PRECISION: Precision = Precision::F32;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}
