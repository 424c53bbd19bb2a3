//! `.npy` element types: the `descr` string (`<f8`, `>i4`, `|u1`, ...) as a [`Dtype`], and
//! the conversion of raw little- or big-endian elements to `f64` (64-bit integers beyond 2^53
//! round to the nearest `f64`). Every unsupported dtype gets an error naming it and the fix.

use super::perr;
use crate::Result;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    UInt,
}

/// A supported element type.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dtype {
    kind: Kind,
    pub(super) size: usize,
    big_endian: bool,
}

/// The suggestion appended to every dtype error.
const DTYPE_FIX: &str = "convert it first, e.g. np.save(path, x.astype(np.float64))";

pub(super) fn parse_descr(descr: &str, name: &Path) -> Result<Dtype> {
    let bytes = descr.as_bytes();
    let (order, rest) = match bytes.first() {
        Some(c @ (b'<' | b'>' | b'|' | b'=')) => (*c, &descr[1..]),
        _ => (b'=', descr),
    };
    let supported = "supported: float64, float32, int8/16/32/64, uint8/16/32/64";
    let unsupported = |what: &str| {
        perr(
            name,
            format!("unsupported dtype '{descr}' ({what}); {supported}; {DTYPE_FIX}"),
        )
    };
    let mut chars = rest.chars();
    let code = chars.next();
    let size: Option<usize> = chars.as_str().parse().ok();
    let kind = match (code, size) {
        (Some('f'), Some(8 | 4)) => Kind::Float,
        (Some('f'), Some(2)) => return Err(unsupported("float16")),
        (Some('i'), Some(1 | 2 | 4 | 8)) => Kind::Int,
        (Some('u'), Some(1 | 2 | 4 | 8)) => Kind::UInt,
        (Some('b'), _) | (Some('?'), _) => {
            return Err(perr(
                name,
                format!(
                    "boolean arrays (dtype '{descr}') are not supported as numeric data; {DTYPE_FIX}"
                ),
            ));
        }
        (Some('c'), _) => return Err(unsupported("complex")),
        (Some('U' | 'S' | 'a'), _) => return Err(unsupported("strings")),
        (Some('O'), _) => return Err(unsupported("Python objects")),
        (Some('M' | 'm'), _) => return Err(unsupported("dates/times")),
        _ => return Err(unsupported("unknown type")),
    };
    let size = size.unwrap_or(8);
    let big_endian = match order {
        b'>' => true,
        b'<' => false,
        b'=' => cfg!(target_endian = "big"),
        _ if size == 1 => false,
        _ => return Err(unsupported("multi-byte type without a byte order")),
    };
    Ok(Dtype {
        kind,
        size,
        big_endian,
    })
}

/// Decode `bytes` (a whole number of elements) into `out`, replacing its contents.
pub(super) fn decode(bytes: &[u8], dt: Dtype, out: &mut Vec<f64>) {
    out.clear();
    macro_rules! conv {
        ($t:ty, $n:literal) => {
            out.extend(bytes.chunks_exact($n).map(|c| {
                let a = <[u8; $n]>::try_from(c).unwrap_or_default();
                let v = if dt.big_endian {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                };
                v as f64
            }))
        };
    }
    match (dt.kind, dt.size) {
        (Kind::Float, 8) => conv!(f64, 8),
        (Kind::Float, _) => conv!(f32, 4),
        (Kind::Int, 1) => conv!(i8, 1),
        (Kind::Int, 2) => conv!(i16, 2),
        (Kind::Int, 4) => conv!(i32, 4),
        (Kind::Int, _) => conv!(i64, 8),
        (Kind::UInt, 1) => conv!(u8, 1),
        (Kind::UInt, 2) => conv!(u16, 2),
        (Kind::UInt, 4) => conv!(u32, 4),
        (Kind::UInt, _) => conv!(u64, 8),
    }
}
