//! Special functions: accurate normal and bivariate-normal distribution functions, and
//! double-double (compensated) dot products.

pub mod dd;
pub mod fastmath;
