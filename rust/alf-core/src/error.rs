//! The one error type of the core. Every variant about input names the path it is about, so
//! that a message reaching a user always says which file or folder is at fault.

use std::io;
use std::path::PathBuf;

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;

/// A failure that stops an operation. Problems the walk can carry on after are
/// [`crate::walk::Issue`]s instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a path (missing, unreadable, ...).
    #[error("{}: {source}", path.display())]
    Io {
        /// The path the operation failed on.
        path: PathBuf,
        /// The underlying error; its kind decides the Python exception class.
        #[source]
        source: io::Error,
    },
    /// The root given to the indexer exists but is not a directory.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// The offending path.
        path: PathBuf,
    },
    /// Input that is present but malformed.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The offending path (or name).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The caller asked the operation to stop (e.g. Ctrl-C in Python).
    #[error("interrupted")]
    Cancelled,
    /// A worker thread could not be started (the system is out of threads or memory).
    #[error("{message}")]
    Thread {
        /// Which thread, and the system's reason.
        message: String,
    },
    /// A worker thread panicked. This is a bug; it is reported with the panic's message
    /// instead of hanging the other threads or dying silently.
    #[error("indexer thread panicked (a bug in alf_fast, please report it): {message}")]
    Panic {
        /// The panic's message.
        message: String,
    },
    /// Building an Arrow batch failed; a bug rather than bad input.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

impl Error {
    /// Wraps an `io::Error` with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
