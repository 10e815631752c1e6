//! Worker threads of a walk or a hashing pass: how many, how they start, and how one that
//! panics stops the others instead of leaving them waiting for work it will never finish.
//!
//! The panic guard follows the `ignore` crate's parallel walker: a `Drop` that runs while the
//! thread unwinds sets the pass's quit flag, and the panic's message comes back as an
//! [`Error::Panic`] when the threads are joined, so a bug shows up as an error that says what
//! happened rather than as a hang or a bare "thread died".

use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

use crate::error::{Error, Result};
use crate::walk::Progress;

/// Fewest threads a caller may get when asking for more: enough for file systems whose latency
/// rewards many requests in flight (network mounts), far below what exhausts a system's
/// threads or memory (each thread reserves a stack).
pub const MIN_THREAD_CAP: usize = 64;

/// Number of threads used when the caller does not say: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The most threads a pass starts: [`MIN_THREAD_CAP`], or one per core where there are more.
pub fn max_threads() -> usize {
    MIN_THREAD_CAP.max(default_threads())
}

/// The thread count for a request: 0 means [`default_threads`], and larger requests than
/// [`max_threads`] are capped (more threads than that only add contention).
pub fn resolve(requested: usize) -> usize {
    if requested == 0 {
        default_threads()
    } else {
        requested.min(max_threads())
    }
}

/// Faults a test can inject into a pass; never set in normal use. The binding fills this from
/// the `ALF_FAST_TEST_FAULT` environment variable so Python tests can reach these paths too.
#[doc(hidden)]
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Panic in the worker that reads the folder or hashes the file with this name.
    pub panic_at: Option<String>,
    /// Fail to start the worker thread with this index, as an exhausted system would.
    pub fail_spawn: Option<usize>,
}

impl Faults {
    /// Parses `panic:NAME` or `spawn:INDEX`; anything else injects nothing.
    pub fn parse(spec: &str) -> Self {
        match spec.split_once(':') {
            Some(("panic", name)) => Faults {
                panic_at: Some(name.to_owned()),
                ..Faults::default()
            },
            Some(("spawn", index)) => Faults {
                fail_spawn: index.parse().ok(),
                ..Faults::default()
            },
            _ => Faults::default(),
        }
    }

    /// Panics if `path` is where a test asked for a panic.
    pub(crate) fn maybe_panic(&self, path: &Path) {
        if let Some(name) = &self.panic_at {
            if path.file_name().is_some_and(|n| n == name.as_str()) {
                panic!("injected panic at {}", path.display());
            }
        }
    }
}

/// Sets the quit flag of a pass if the thread holding it unwinds from a panic, so the other
/// threads stop rather than wait for the work the dead one held.
pub(crate) struct QuitOnPanic<'a>(pub &'a AtomicBool);

impl Drop for QuitOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts worker `index` of a pass in `scope`, named `{name}-{index}` for debuggers; a thread
/// the system cannot start is an [`Error::Thread`], never a panic.
pub(crate) fn spawn_worker<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    name: &str,
    index: usize,
    progress: &Progress,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Result<ScopedJoinHandle<'scope, T>> {
    let fail = |reason: &dyn std::fmt::Display| Error::Thread {
        message: format!("cannot start thread {name}-{index}: {reason}"),
    };
    if progress.faults.fail_spawn == Some(index) {
        return Err(fail(&"injected failure"));
    }
    std::thread::Builder::new()
        .name(format!("{name}-{index}"))
        .spawn_scoped(scope, work)
        .map_err(|e| fail(&e))
}

/// Joins every handle (so that no panic is left for the scope to re-raise) and returns their
/// results, or the first panic as an [`Error::Panic`] with its message.
pub(crate) fn join_all<T>(handles: Vec<ScopedJoinHandle<'_, T>>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(handles.len());
    let mut panic = None;
    for handle in handles {
        match handle.join() {
            Ok(value) => out.push(value),
            Err(payload) => {
                panic.get_or_insert_with(|| panic_message(payload.as_ref()));
            }
        }
    }
    match panic {
        Some(message) => Err(Error::Panic { message }),
        None => Ok(out),
    }
}

/// The message a panic was raised with (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_capped() {
        assert_eq!(resolve(0), default_threads());
        assert_eq!(resolve(3), 3);
        assert_eq!(resolve(usize::MAX), max_threads());
        assert!(max_threads() >= MIN_THREAD_CAP);
    }

    #[test]
    fn faults_parse() {
        assert_eq!(Faults::parse("panic:a.b").panic_at.as_deref(), Some("a.b"));
        assert_eq!(Faults::parse("spawn:2").fail_spawn, Some(2));
        let none = Faults::parse("");
        assert!(none.panic_at.is_none() && none.fail_spawn.is_none());
    }
}
