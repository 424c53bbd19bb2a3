//! Finite-width networks: seeded MLPs, their empirical NTK and NNGP, and gradient-descent
//! training. The network description is the same [`crate::Network`] the analytic kernels use; the
//! finite network adds hidden widths ([`Widths`]), an input dimension and a seed.
//!
//! A depth-L MLP is `L + 1` Dense layers (`n_0 = d` inputs, hidden widths `n_1..n_L`,
//! `n_{L+1} = k` outputs, `k = 1` by default), with `h_0 = x`:
//!
//! ```text
//! z_l = s_l h_{l-1} W_l + beta_l 1 b_l,     h_l = phi(z_l)  (l <= L),     f = z_{L+1}
//! NTK parameterization:      s_l = w_std / sqrt(n_{l-1}),  beta_l = b_std,  W, b ~ N(0, 1)
//! standard parameterization: s_l = 1,  beta_l = 1,  W ~ N(0, w_std^2 / n_{l-1}),  b ~ N(0, b_std^2)
//! ```
//!
//! (`bias = false` removes `b_l`.) The empirical NTK is `Theta(x, x') = sum_p df(x)/dp df(x')/dp`
//! over the raw parameters `p` (all `W_l`, `b_l`), computed without materializing a
//! Jacobian ([`ntk()`]):
//!
//! ```text
//! Theta = sum_{l=1}^{L+1} (D_l D_l'^T) o (s_l^2 H_{l-1} H_{l-1}'^T + beta_l^2 [bias])
//! D_{L+1} = 1,   D_{l} = s_{l+1} (D_{l+1} W_{l+1}^T) o phi'(Z_l)          (D_l = df/dz_l)
//! ```
//!
//! With `k > 1` outputs the kernel is averaged over the logits (neural-tangents'
//! `trace_axes=(-1,)`): `Theta = (1/k) sum_j Theta_jj`. The empirical NNGP is the covariance
//! of the output over the readout's initialization given the last hidden features:
//! `K = (w_std^2 / n_L) H_L H_L'^T + b_std^2` (both parameterizations).
//!
//! - [`Mlp`]: initialization, forward and backward passes ([`mlp`]).
//! - [`params`]: load/save parameters as JSON in neural-tangents' `stax.serial` layout.
//! - [`ntk()`]: the fast structured empirical NTK and NNGP.
//! - [`jacobian`]: the explicit-Jacobian oracle and a finite-difference check (tests only).
//! - [`train()`]: full-batch gradient descent on MSE, recording outputs and the NTK's movement.
//!
//! All formulas, with derivations, are in `docs/finite-width.md`.

pub mod jacobian;
pub mod mlp;
pub mod ntk;
pub mod params;
pub mod train;

pub use mlp::{Dense, Mlp};
pub use ntk::{EmpiricalKernels, ntk};
pub use train::{Loss, Snapshot, TrainConfig, TrainRecord, train};

use crate::{Error, Result};
use faer::MatRef;
use serde::{Deserialize, Serialize};

/// Hidden-layer widths of a finite MLP: one width for every hidden layer, or one per layer.
///
/// ```
/// use ntk::empirical::Widths;
/// assert_eq!(Widths::Uniform(64).resolve(3)?, vec![64, 64, 64]);
/// assert_eq!(Widths::PerLayer(vec![8, 4]).resolve(2)?, vec![8, 4]);
/// assert!(Widths::PerLayer(vec![8]).resolve(2).is_err());
/// assert!(Widths::Uniform(0).resolve(1).is_err());
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Widths {
    /// The same width for every hidden layer.
    Uniform(usize),
    /// One width per hidden layer, first to last (length = depth).
    PerLayer(Vec<usize>),
}

impl Widths {
    /// The widths `n_1..n_L` of a depth-`depth` network.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if a width is 0 or the list length differs from `depth`.
    pub fn resolve(&self, depth: usize) -> Result<Vec<usize>> {
        let v = match self {
            Widths::Uniform(w) => vec![*w; depth],
            Widths::PerLayer(v) => {
                if v.len() != depth {
                    return Err(Error::param(
                        "widths",
                        format!(
                            "{} hidden widths given for a network of depth {depth}; give exactly one \
                             width per hidden layer, or a single width for all",
                            v.len()
                        ),
                    ));
                }
                v.clone()
            }
        };
        if v.contains(&0) {
            return Err(Error::param("width", "hidden widths must be at least 1"));
        }
        Ok(v)
    }
}

/// Reject empty, non-finite or mis-shaped inputs at public entry points.
pub(crate) fn check_input(name: &str, x: MatRef<'_, f64>, d: usize) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::Data(format!(
            "{name} has no rows; give at least one input point"
        )));
    }
    if x.ncols() != d {
        return Err(Error::Shape(format!(
            "{name} has {} columns but the network takes {d} inputs; use data of dimension {d} \
             (or a network built for {} inputs)",
            x.ncols(),
            x.ncols()
        )));
    }
    check_finite(name, x)
}

/// Reject NaN/Inf entries, naming the first one.
pub(crate) fn check_finite(name: &str, x: MatRef<'_, f64>) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(Error::Data(format!(
                    "{name}[{i}, {j}] = {v} is not finite; remove or impute non-finite values"
                )));
            }
        }
    }
    Ok(())
}

/// Refuse a request that would need more than 75% of this machine's memory.
pub(crate) fn check_memory(bytes: f64, what: impl FnOnce() -> String) -> Result<()> {
    let total = total_memory();
    if let Some(total) = total {
        if bytes > 0.75 * total {
            return Err(Error::Memory(format!(
                "{} needs about {:.2} GB, more than 75% of this machine's {:.2} GB; \
                 use a smaller width, fewer inputs or fewer threads",
                what(),
                bytes / 1e9,
                total / 1e9
            )));
        }
    }
    Ok(())
}

/// Total physical memory in bytes, from /proc/meminfo (None if unknown).
pub(crate) fn total_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Run `f` with `threads` workers (0 = all cores): a local rayon pool and `Par::rayon`, or
/// sequentially for one thread. Never touches the global pool.
pub(crate) fn with_threads<T: Send>(
    threads: usize,
    f: impl FnOnce(faer::Par) -> T + Send,
) -> Result<T> {
    let n = resolve_threads(threads);
    if n <= 1 {
        return Ok(f(faer::Par::Seq));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Error::Numerical(format!("cannot start {n} worker threads: {e}")))?;
    Ok(pool.install(|| f(faer::Par::rayon(n))))
}

/// The number of workers for a `threads` option (0 = all cores).
pub(crate) fn resolve_threads(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        threads
    }
}
