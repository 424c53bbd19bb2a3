//! The element type of a streamed `.npy` output: the computed `f64` values exactly, or each
//! rounded to the nearest `f32` (half the bytes).

use crate::{Error, Result};

/// Element type of a streamed output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dtype {
    /// Little-endian `f64` (`<f8`), the computed values exactly.
    #[default]
    F64,
    /// Little-endian `f32` (`<f4`), each value rounded to the nearest `f32`.
    F32,
}

impl Dtype {
    /// Parse `f64`/`float64` or `f32`/`float32` (case-insensitive).
    ///
    /// ```
    /// use ntk::kernel::stream::Dtype;
    /// assert_eq!(Dtype::parse("F32")?, Dtype::F32);
    /// assert!(Dtype::parse("f16").is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "f64" | "float64" => Ok(Dtype::F64),
            "f32" | "float32" => Ok(Dtype::F32),
            _ => Err(Error::param(
                "dtype",
                format!("unknown output dtype `{s}`; use f64 or f32"),
            )),
        }
    }

    /// Bytes per value.
    ///
    /// ```
    /// assert_eq!(ntk::kernel::stream::Dtype::F32.size(), 4);
    /// ```
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 => 8,
            Dtype::F32 => 4,
        }
    }

    /// The numpy name (`"float64"`, `"float32"`), as recorded in sidecars.
    ///
    /// ```
    /// assert_eq!(ntk::kernel::stream::Dtype::F64.numpy_name(), "float64");
    /// ```
    pub fn numpy_name(self) -> &'static str {
        match self {
            Dtype::F64 => "float64",
            Dtype::F32 => "float32",
        }
    }

    pub(crate) fn descr(self) -> &'static str {
        match self {
            Dtype::F64 => "<f8",
            Dtype::F32 => "<f4",
        }
    }
}
