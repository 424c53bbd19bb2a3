//! JSON serialisation helpers: a float that may be infinite is written as a number or the
//! string `"inf"`; NaN is refused (no NaN or null ever appears in an output).

use serde::Serializer;

/// Serialise `v` as a number, `"inf"` / `"-inf"` if infinite; NaN is an error.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct S { #[serde(serialize_with = "ntk::dynamics::ser::f64_or_inf")] c: f64 }
/// assert_eq!(serde_json::to_string(&S { c: f64::INFINITY }).unwrap(), r#"{"c":"inf"}"#);
/// assert_eq!(serde_json::to_string(&S { c: 2.5 }).unwrap(), r#"{"c":2.5}"#);
/// assert!(serde_json::to_string(&S { c: f64::NAN }).is_err());
/// ```
pub fn f64_or_inf<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_nan() {
        Err(serde::ser::Error::custom(
            "NaN cannot be written: the value could not be computed",
        ))
    } else if v.is_infinite() {
        s.serialize_str(if *v > 0.0 { "inf" } else { "-inf" })
    } else {
        s.serialize_f64(*v)
    }
}

/// Like [`f64_or_inf`] for an optional value, `None` written as `"inf"` (an unbounded
/// quantity such as the largest stable learning rate of a zero kernel).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct S { #[serde(serialize_with = "ntk::dynamics::ser::opt_f64_or_inf")] m: Option<f64> }
/// assert_eq!(serde_json::to_string(&S { m: None }).unwrap(), r#"{"m":"inf"}"#);
/// ```
pub fn opt_f64_or_inf<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    f64_or_inf(&v.unwrap_or(f64::INFINITY), s)
}
