//! Iterative solvers over [`crate::kernel_matrix::KernelMatrix`]: preconditioned conjugate
//! gradients for `(K + r I) X = B`, Lanczos matrix functions for gradient-flow predictions at
//! finite times, and spectrum estimates. They see kernels only through the trait.
