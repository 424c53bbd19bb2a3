//! `ntk::Error` -> Python exceptions: usage errors -> `ValueError`, memory -> `MemoryError`,
//! file errors -> `OSError` (`FileNotFoundError`, `PermissionError`), numerical failures ->
//! `ntk.NumericalError`.

use pyo3::create_exception;
use pyo3::exceptions::{
    PyException, PyFileNotFoundError, PyMemoryError, PyOSError, PyPermissionError, PyValueError,
};
use pyo3::prelude::*;

create_exception!(
    _ntk,
    NumericalError,
    PyException,
    "A numerical failure in the ntk engine (non-finite values, divergence, a failed decomposition)."
);

/// The Python exception for a library error (the message is the error's full text).
pub fn to_py(e: ntk::Error) -> PyErr {
    let msg = e.to_string();
    match e.root() {
        ntk::Error::Memory(_) => PyMemoryError::new_err(msg),
        ntk::Error::Numerical(_) => NumericalError::new_err(msg),
        ntk::Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        _ if e.is_usage() => PyValueError::new_err(msg),
        _ => NumericalError::new_err(msg),
    }
}

/// `Result<T, ntk::Error>` -> `PyResult<T>`.
pub trait IntoPy<T> {
    /// Map the error.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for ntk::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// A `ValueError` with this message.
pub fn value_error(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}
