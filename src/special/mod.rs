//! Special functions: accurate normal and bivariate-normal distribution functions, and
//! double-double (compensated) dot products.

pub mod bvn;
pub mod dd;
pub mod exp_simd;
pub mod fastmath;
pub mod normal;
pub mod normal_simd;
