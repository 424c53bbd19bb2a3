//! Memory planning for kernel storage, before anything is allocated:
//!
//! ```text
//! bytes(n, b, p) = entries(n, b) * p.bytes(),   entries = sum over stored tiles r_I r_J
//!               ~ n (n + b) / 2 * p.bytes()      (one triangle; diagonal tiles whole)
//! plan: f64 if kernels * bytes(n, b, F64) + extra <= budget, else f32 if that fits
//!       (and is allowed), else Error::Memory with both numbers and the ways out.
//! ```
//!
//! The default budget is 90% of `MemAvailable` (`kernel::available_memory`).

use super::Precision;
use super::layout::{DEFAULT_CHUNKS, TileLayout};
use crate::kernel::available_memory;
use crate::{Error, Result};

/// Fraction of the available memory a default budget may use.
const AVAILABLE_FRACTION: f64 = 0.9;

/// Bytes of one packed kernel of order `n` in tiles of edge `tile` at `precision`.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n` or `tile` is 0.
///
/// ```
/// use ntk::kernel_matrix::{bytes, Precision};
/// // n = 60,000: the f64 triangle is 14.4 GB, f32 7.2 GB
/// let b = bytes(60_000, 256, Precision::F64)?;
/// assert!((b as f64 / 1e9 - 14.46).abs() < 0.01);
/// assert_eq!(bytes(60_000, 256, Precision::F32)? * 2, b);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn bytes(n: usize, tile: usize, precision: Precision) -> Result<u64> {
    let l = TileLayout::new(n, tile, DEFAULT_CHUNKS)?;
    Ok(l.entries() as u64 * precision.bytes() as u64)
}

/// The default memory budget: 90% of the memory available now (None if unknown).
///
/// ```
/// if let Some(b) = ntk::kernel_matrix::default_budget() { assert!(b > 0.0); }
/// ```
pub fn default_budget() -> Option<f64> {
    available_memory().map(|a| AVAILABLE_FRACTION * a)
}

/// Refuse (`Error::Memory`) if `bytes` exceed `budget` (default: [`default_budget`]).
pub(crate) fn check_fits(bytes: f64, budget: Option<f64>, what: &str) -> Result<()> {
    let Some(budget) = budget.or_else(default_budget) else {
        return Ok(());
    };
    if bytes > budget {
        return Err(Error::Memory(format!(
            "{what} needs {:.3} GB but the memory budget is {:.3} GB; use fewer points, \
             f32 storage, or a larger --memory-limit",
            bytes / 1e9,
            budget / 1e9
        )));
    }
    Ok(())
}

/// What the storage planner is asked to fit.
///
/// ```
/// let r = ntk::kernel_matrix::StorageRequest::new(10_000);
/// assert_eq!((r.tile, r.kernels, r.allow_f32), (256, 1, true));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StorageRequest {
    /// Order of the training kernel.
    pub n: usize,
    /// Tile edge.
    pub tile: usize,
    /// Kernels to store (1: the one that drives training; 2: NNGP and NTK).
    pub kernels: usize,
    /// Bytes the solver needs besides the storage (preconditioner, Krylov vectors, outputs).
    pub extra_bytes: f64,
    /// Byte budget (`--memory-limit`); None: [`default_budget`].
    pub budget: Option<f64>,
    /// Whether f32 storage may be chosen when f64 does not fit.
    pub allow_f32: bool,
}

impl StorageRequest {
    /// One kernel of order `n`, default tile, no extra bytes, the default budget, f32 allowed.
    ///
    /// ```
    /// assert_eq!(ntk::kernel_matrix::StorageRequest::new(5).n, 5);
    /// ```
    pub fn new(n: usize) -> Self {
        StorageRequest {
            n,
            tile: super::DEFAULT_TILE,
            kernels: 1,
            extra_bytes: 0.0,
            budget: None,
            allow_f32: true,
        }
    }
}

/// The planner's choice (see [`plan_storage`]).
///
/// ```
/// use ntk::kernel_matrix::{plan_storage, StorageRequest};
/// let r = StorageRequest { budget: Some(1e9), ..StorageRequest::new(1000) };
/// let p = plan_storage(&r)?;
/// assert_eq!(p.total_bytes, p.storage_bytes);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StoragePlan {
    /// Chosen storage precision.
    pub precision: Precision,
    /// Bytes of all stored kernels at that precision.
    pub storage_bytes: f64,
    /// Total planned bytes (storage + the solver's extra).
    pub total_bytes: f64,
    /// The budget it was checked against (None: unknown, nothing checked).
    pub budget: Option<f64>,
}

/// Pick the storage precision: f64 if it fits the budget, else f32 (if allowed), else
/// [`Error::Memory`] with the numbers and the ways out.
///
/// # Errors
/// [`Error::InvalidParameter`] for `n`, `tile` or `kernels` = 0 or a negative extra;
/// [`Error::Memory`] when nothing fits.
///
/// ```
/// use ntk::kernel_matrix::{plan_storage, Precision, StorageRequest};
/// let mut r = StorageRequest::new(60_000);
/// r.budget = Some(16e9);
/// r.extra_bytes = 0.5e9;
/// assert_eq!(plan_storage(&r)?.precision, Precision::F64); // 14.46 + 0.5 GB
/// r.kernels = 2;
/// assert_eq!(plan_storage(&r)?.precision, Precision::F32); // 2 x 7.2 + 0.5 GB
/// r.budget = Some(8e9);
/// let e = plan_storage(&r).unwrap_err();
/// assert!(e.to_string().contains("--memory-limit"));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn plan_storage(req: &StorageRequest) -> Result<StoragePlan> {
    if req.kernels == 0 {
        return Err(Error::param("kernels", "store at least one kernel"));
    }
    if req.extra_bytes.is_nan() || req.extra_bytes < 0.0 {
        return Err(Error::param(
            "extra_bytes",
            "must be a non-negative byte count",
        ));
    }
    let cost = |p: Precision| -> Result<f64> {
        Ok(bytes(req.n, req.tile, p)? as f64 * req.kernels as f64)
    };
    let budget = req.budget.or_else(default_budget);
    let mut tried = Vec::new();
    let choices: &[Precision] = if req.allow_f32 {
        &[Precision::F64, Precision::F32]
    } else {
        &[Precision::F64]
    };
    for &p in choices {
        let storage = cost(p)?;
        let total = storage + req.extra_bytes;
        if budget.is_none_or(|b| total <= b) {
            return Ok(StoragePlan {
                precision: p,
                storage_bytes: storage,
                total_bytes: total,
                budget,
            });
        }
        tried.push(format!(
            "{}: {:.3} GB ({:.3} GB kernel storage + {:.3} GB solver)",
            p.name(),
            total / 1e9,
            storage / 1e9,
            req.extra_bytes / 1e9
        ));
    }
    let b = budget.unwrap_or(f64::INFINITY);
    let fits = max_n(req, *choices.last().unwrap_or(&Precision::F64), b);
    Err(Error::Memory(format!(
        "{} kernel{} of n = {} do not fit: needed {} but the budget is {:.3} GB \
         (--memory-limit, default 90% of available memory); ways out: a larger \
         --memory-limit{}, or fewer points (n <= {fits} fits)",
        req.kernels,
        if req.kernels == 1 { "" } else { "s" },
        req.n,
        tried.join(", "),
        b / 1e9,
        if req.allow_f32 { "" } else { ", f32 storage" },
    )))
}

/// The largest n whose storage at `p` plus the extra fits `budget` (0 if none).
fn max_n(req: &StorageRequest, p: Precision, budget: f64) -> usize {
    let fits = |n: usize| {
        bytes(n, req.tile, p)
            .is_ok_and(|b| b as f64 * req.kernels as f64 + req.extra_bytes <= budget)
    };
    let (mut lo, mut hi) = (0usize, req.n);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_match_the_closed_form() {
        // n a multiple of b: nb (nb + 1) / 2 full tiles
        assert_eq!(
            bytes(1024, 256, Precision::F64).unwrap(),
            10 * 256 * 256 * 8
        );
        // n = 1
        assert_eq!(bytes(1, 256, Precision::F32).unwrap(), 4);
        assert!(bytes(0, 256, Precision::F32).is_err());
    }

    #[test]
    fn planner_refuses_with_the_numbers() {
        let mut r = StorageRequest::new(100_000);
        r.budget = Some(10e9);
        let e = plan_storage(&r).unwrap_err();
        let s = e.to_string();
        assert!(matches!(e, Error::Memory(_)));
        // f64 needs 40 GB, f32 20 GB, budget 10 GB
        assert!(
            s.contains("f64: 40.1") && s.contains("f32: 20.0") && s.contains("10.000 GB"),
            "{s}"
        );
        let n_max: usize = s
            .rsplit("n <= ")
            .next()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(bytes(n_max, 256, Precision::F32).unwrap() as f64 <= 10e9);
        assert!(bytes(n_max + 1, 256, Precision::F32).unwrap() as f64 > 10e9);
        assert_eq!(n_max, 70_582);
    }

    #[test]
    fn planner_prefers_f64_and_respects_allow_f32() {
        let mut r = StorageRequest::new(60_000);
        r.budget = Some(15e9);
        assert_eq!(plan_storage(&r).unwrap().precision, Precision::F64);
        r.extra_bytes = 1e9;
        assert_eq!(plan_storage(&r).unwrap().precision, Precision::F32);
        r.allow_f32 = false;
        assert!(
            plan_storage(&r)
                .unwrap_err()
                .to_string()
                .contains("f32 storage")
        );
        r.extra_bytes = -1.0;
        assert!(plan_storage(&r).is_err());
    }

    #[test]
    fn check_fits_refuses_over_budget() {
        assert!(check_fits(2e9, Some(1e9), "x").is_err());
        assert!(check_fits(1e9, Some(1e9), "x").is_ok());
    }
}
