//! Which solver a prediction uses, and why: the dense eigendecomposition (O(n^2) memory,
//! O(n^3) time, every feature) or the iterative path (packed kernel storage, CG and Lanczos,
//! O(n^2 / 2) memory, a stated tolerance).
//!
//! ```text
//! auto:  dense      if a dense-only feature is asked for (finite-network
//!                   check, plots) or n <= AUTO_DENSE_MAX, and the dense plan fits the budget
//!        iterative  otherwise
//! ```

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Largest training set that `auto` sends to the dense solver when nothing forces a choice.
/// Above it the iterative solver is faster (measured in docs/benchmarks.md).
pub const AUTO_DENSE_MAX: usize = 2000;

/// The solver requested.
///
/// ```
/// use ntk::jobs::Solver;
/// assert_eq!(Solver::parse("iterative"), Some(Solver::Iterative));
/// assert_eq!(Solver::default(), Solver::Auto);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Solver {
    /// Pick by size, features and memory (and say what was picked).
    #[default]
    Auto,
    /// One dense eigendecomposition of the training kernel.
    Dense,
    /// Packed kernel storage, preconditioned CG and Lanczos matrix functions.
    Iterative,
}

impl Solver {
    /// Parse `auto`, `dense` or `iterative`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Solver::Auto),
            "dense" => Some(Solver::Dense),
            "iterative" => Some(Solver::Iterative),
            _ => None,
        }
    }

    /// The lowercase name.
    ///
    /// ```
    /// assert_eq!(ntk::jobs::Solver::Dense.name(), "dense");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Solver::Auto => "auto",
            Solver::Dense => "dense",
            Solver::Iterative => "iterative",
        }
    }
}

/// What a request needs, for the choice.
#[derive(Clone, Debug, PartialEq)]
pub struct SolverNeeds {
    /// Training points.
    pub n_train: usize,
    /// Test points (0 if none).
    pub n_test: usize,
    /// Kernels the dense path holds per training block (1, or 2 with ensembles).
    pub kernels: usize,
    /// Dense-only features asked for, by name (e.g. "--ensemble").
    pub dense_only: Vec<String>,
    /// Byte budget (None: unknown, nothing checked).
    pub budget: Option<f64>,
}

/// The choice and the reason, as reported to the user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolverChoice {
    /// `dense` or `iterative`.
    pub solver: Solver,
    /// Why.
    pub reason: String,
    /// Estimated peak bytes of the dense path.
    pub dense_bytes: f64,
}

/// Peak bytes of the dense path: per training kernel the matrix, its eigenvectors and the
/// decomposition's workspace (~3 n^2 doubles), plus the cross kernels and `K(x*, x*)`.
///
/// ```
/// let b = ntk::jobs::solver::dense_bytes(1000, 0, 1);
/// assert_eq!(b, 3.0 * 8.0 * 1e6);
/// ```
pub fn dense_bytes(n_train: usize, n_test: usize, kernels: usize) -> f64 {
    let (n, m) = (n_train as f64, n_test as f64);
    8.0 * (kernels as f64 * (3.0 * n * n + m * n) + m * m)
}

/// Decide which solver runs.
///
/// # Errors
/// [`Error::Memory`] if the dense solver is needed (requested, or forced by a dense-only
/// feature) and its plan does not fit the budget; [`Error::InvalidParameter`] if the iterative
/// solver is requested with a dense-only feature.
///
/// ```
/// use ntk::jobs::solver::{choose, SolverNeeds};
/// use ntk::jobs::Solver;
/// let needs = SolverNeeds { n_train: 60_000, n_test: 10_000, kernels: 1, dense_only: vec![], budget: Some(16e9) };
/// assert_eq!(choose(Solver::Auto, &needs)?.solver, Solver::Iterative);
/// let small = SolverNeeds { n_train: 500, ..needs.clone() };
/// assert_eq!(choose(Solver::Auto, &small)?.solver, Solver::Dense);
/// assert!(choose(Solver::Dense, &needs).unwrap_err().to_string().contains("--solver iterative"));
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn choose(requested: Solver, needs: &SolverNeeds) -> Result<SolverChoice> {
    let dense = dense_bytes(needs.n_train, needs.n_test, needs.kernels);
    let fits = needs.budget.is_none_or(|b| dense <= b);
    let gb = |b: f64| format!("{:.2} GB", b / 1e9);
    let budget = needs.budget.map_or("unknown".to_string(), gb);
    let too_big = |why: &str| {
        Error::Memory(format!(
            "the dense solver ({why}) needs about {} for n = {} train and {} test points, but the \
             budget is {budget}; use --solver iterative (without {}), fewer points, or a larger \
             --memory-limit",
            gb(dense),
            needs.n_train,
            needs.n_test,
            if needs.dense_only.is_empty() {
                "dense-only options".to_string()
            } else {
                needs.dense_only.join(", ")
            }
        ))
    };
    let pick = |solver, reason: String| SolverChoice {
        solver,
        reason,
        dense_bytes: dense,
    };
    match requested {
        Solver::Dense => {
            if !fits {
                return Err(too_big("requested"));
            }
            Ok(pick(Solver::Dense, "requested (--solver dense)".into()))
        }
        Solver::Iterative => {
            if !needs.dense_only.is_empty() {
                return Err(Error::param(
                    "solver",
                    format!(
                        "{} need(s) the dense solver: use --solver dense or auto, or drop them",
                        needs.dense_only.join(", ")
                    ),
                ));
            }
            Ok(pick(
                Solver::Iterative,
                "requested (--solver iterative)".into(),
            ))
        }
        Solver::Auto => {
            if !needs.dense_only.is_empty() {
                if !fits {
                    return Err(too_big(&format!("for {}", needs.dense_only.join(", "))));
                }
                return Ok(pick(
                    Solver::Dense,
                    format!(
                        "auto: {} need(s) the dense solver",
                        needs.dense_only.join(", ")
                    ),
                ));
            }
            if needs.n_train <= AUTO_DENSE_MAX && fits {
                return Ok(pick(
                    Solver::Dense,
                    format!(
                        "auto: n = {} <= {AUTO_DENSE_MAX}, where one eigendecomposition is cheapest",
                        needs.n_train
                    ),
                ));
            }
            Ok(pick(
                Solver::Iterative,
                if fits {
                    format!(
                        "auto: n = {} > {AUTO_DENSE_MAX}, where the iterative solver is faster",
                        needs.n_train
                    )
                } else {
                    format!(
                        "auto: the dense solver would need {} (budget {budget})",
                        gb(dense)
                    )
                },
            ))
        }
    }
}
