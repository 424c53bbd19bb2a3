//! The crate's error type: one `thiserror` enum, `#[non_exhaustive]`.
//!
//! Every variant carries a message that names the problem and, where one exists, the fix.
//! [`Error::is_usage`] separates "the request is invalid as given" (exit code 2 in the CLI)
//! from "a valid request failed while running" (exit code 1).

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `ntk`.
///
/// ```
/// use ntk::{Activation, Network};
/// let err = Network::mlp(Activation::Relu, 3, -1.0, 0.0).unwrap_err();
/// assert!(err.is_usage());
/// assert!(err.to_string().contains("w_std"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of its valid range (negative `w_std`, depth too large, ...).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name as the user spells it.
        name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Two inputs have incompatible shapes.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The input data is unusable (empty, NaN/Inf, wrong rank or dtype).
    #[error("invalid data: {0}")]
    Data(String),
    /// A file could not be parsed.
    #[error("{path}: {msg}", path = .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// A file could not be opened, read or written.
    #[error("{path}: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
        /// Whether the problem lies in the request (missing input, unwritable output path).
        usage: bool,
    },
    /// The request would need more memory than is allowed or available.
    #[error("out of memory budget: {0}")]
    Memory(String),
    /// A numerical failure: non-finite values, a decomposition that did not converge.
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// An error raised in one stage of a job (e.g. "training the finite networks"); the
    /// message is `stage: source`, the kind (usage or runtime) is the source's.
    #[error("{stage}: {source}")]
    Stage {
        /// What the job was doing.
        stage: String,
        /// The error.
        source: Box<Error>,
    },
}

impl Error {
    /// Is this a usage error (the request is invalid as given; CLI exit code 2)?
    /// Otherwise it is a runtime failure (exit code 1).
    pub fn is_usage(&self) -> bool {
        match self {
            Error::InvalidParameter { .. }
            | Error::Shape(_)
            | Error::Data(_)
            | Error::Parse { .. }
            | Error::Memory(_) => true,
            Error::Io { usage, .. } => *usage,
            Error::Numerical(_) => false,
            Error::Stage { source, .. } => source.is_usage(),
        }
    }

    /// The innermost error (through [`Error::Stage`] wrappers).
    ///
    /// ```
    /// let e = ntk::Error::Numerical("diverged".into()).in_stage("training");
    /// assert_eq!(e.to_string(), "training: numerical failure: diverged");
    /// assert!(matches!(e.root(), ntk::Error::Numerical(_)));
    /// ```
    pub fn root(&self) -> &Error {
        match self {
            Error::Stage { source, .. } => source.root(),
            e => e,
        }
    }

    /// Wrap this error as raised in `stage` of a job ([`Error::Stage`]).
    pub fn in_stage(self, stage: impl Into<String>) -> Self {
        Error::Stage {
            stage: stage.into(),
            source: Box::new(self),
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
