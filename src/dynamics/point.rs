//! Where along training a prediction is wanted: a time of the gradient flow (0 to infinity)
//! or a number of gradient-descent steps.
//!
//! ```text
//! Time(t):   d(t) = exp(-s K t) d(0)          (t may be +infinity)
//! Steps(k):  d_k  = (I - s K)^k d(0)
//! ```
//!
//! with `s` the effective rate of [`Loss::effective_rate`](super::Loss::effective_rate). One
//! unit of time is one step: `Steps(k)` approaches `Time(k)` as `s -> 0`.

use crate::{Error, Result};
use serde::{Serialize, Serializer};

/// A point along training.
///
/// ```
/// use ntk::dynamics::Point;
/// let p = Point::parse_times("0,1,10,inf")?;
/// assert_eq!(p[3], Point::Time(f64::INFINITY));
/// assert_eq!(p[3].to_string(), "inf");
/// assert_eq!(Point::parse_steps("0,100")?[1], Point::Steps(100));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Point {
    /// Gradient-flow time `t >= 0` (may be `f64::INFINITY`).
    Time(f64),
    /// Number of full-batch gradient-descent steps.
    Steps(u64),
}

impl Point {
    /// Is this `t = infinity`?
    ///
    /// ```
    /// assert!(ntk::dynamics::Point::Time(f64::INFINITY).is_infinite());
    /// assert!(!ntk::dynamics::Point::Steps(5).is_infinite());
    /// ```
    pub fn is_infinite(&self) -> bool {
        matches!(self, Point::Time(t) if t.is_infinite())
    }

    /// The point as a time (`Steps(k)` is time `k`).
    ///
    /// ```
    /// assert_eq!(ntk::dynamics::Point::Steps(3).as_time(), 3.0);
    /// ```
    pub fn as_time(&self) -> f64 {
        match *self {
            Point::Time(t) => t,
            Point::Steps(k) => k as f64,
        }
    }

    /// Check a point: times must be `>= 0` and not NaN.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`times`).
    ///
    /// ```
    /// assert!(ntk::dynamics::Point::Time(-1.0).validate().is_err());
    /// assert!(ntk::dynamics::Point::Time(f64::INFINITY).validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        match *self {
            Point::Time(t) if t.is_nan() || t < 0.0 => Err(Error::param(
                "times",
                format!("time {t} is not allowed: times are >= 0 (or inf)"),
            )),
            _ => Ok(()),
        }
    }

    /// Parse a comma-separated list of times; `inf` (or `infinity`) is t = infinity.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`times`) for an unparsable, negative or NaN entry.
    ///
    /// ```
    /// assert!(ntk::dynamics::Point::parse_times("1,x").is_err());
    /// ```
    pub fn parse_times(s: &str) -> Result<Vec<Point>> {
        split(s)
            .map(|tok| {
                let t = match tok.to_ascii_lowercase().as_str() {
                    "inf" | "infinity" | "+inf" => f64::INFINITY,
                    _ => tok.parse::<f64>().map_err(|_| {
                        Error::param("times", format!("`{tok}` is not a number or `inf`"))
                    })?,
                };
                let p = Point::Time(t);
                p.validate()?;
                Ok(p)
            })
            .collect()
    }

    /// Parse a comma-separated list of step counts (non-negative integers).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`steps`) for an entry that is not a non-negative integer.
    ///
    /// ```
    /// assert!(ntk::dynamics::Point::parse_steps("1.5").is_err());
    /// ```
    pub fn parse_steps(s: &str) -> Result<Vec<Point>> {
        split(s)
            .map(|tok| {
                tok.parse::<u64>().map(Point::Steps).map_err(|_| {
                    Error::param("steps", format!("`{tok}` is not a non-negative integer"))
                })
            })
            .collect()
    }
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|t| !t.is_empty())
}

impl std::fmt::Display for Point {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Point::Time(t) if t.is_infinite() => f.write_str("inf"),
            Point::Time(t) => write!(f, "{t}"),
            Point::Steps(k) => write!(f, "{k}"),
        }
    }
}

/// Serialises a time as a number, and infinity as the string `"inf"`; steps as integers.
impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match *self {
            Point::Time(t) if t.is_infinite() => s.serialize_str("inf"),
            Point::Time(t) => s.serialize_f64(t),
            Point::Steps(k) => s.serialize_u64(k),
        }
    }
}
