//! The single mapping from core errors to Python exceptions.

use alf_core::Error;
use pyo3::exceptions::{
    PyFileNotFoundError, PyNotADirectoryError, PyOSError, PyPermissionError, PyRuntimeError,
    PyValueError,
};
use pyo3::PyErr;

/// Converts a core error into the stdlib exception a Python user expects: `OSError` subclasses
/// by I/O kind (so `except OSError` works), `ValueError` for malformed input, `RuntimeError`
/// for a thread that could not start or panicked.
///
/// `Cancelled` has no arm of its own: the core only returns it after the binding set the
/// cancel flag, and the binding does that when Python raised (Ctrl-C's `KeyboardInterrupt`, or
/// the progress callback's exception), which it re-raises instead.
pub fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err {
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        Error::NotADirectory { .. } => PyNotADirectoryError::new_err(msg),
        Error::Invalid { .. } => PyValueError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}
