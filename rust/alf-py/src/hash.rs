//! `md5_files`: the md5 of a given list of files, for incremental re-indexing (only new and
//! changed files are hashed) and for checking a release's tables against the tree.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use alf_core::hash::{hex, md5_files as core_md5_files, Stamp};
use alf_core::Progress;
use pyo3::prelude::*;

use crate::error::to_py;

const TICK: Duration = Duration::from_millis(200);

/// md5 of each file, as lowercase hex, computed on `threads` threads (0: one per core) with the
/// GIL released; `None` for a file that vanished, is not a regular file or kept changing while
/// it was read. `progress(files, 0, files_hashed, bytes_hashed)` is called about five times a
/// second, as for `index_tree`. The first file that cannot be read raises `OSError` naming it;
/// Ctrl-C stops the pass.
#[pyfunction]
#[pyo3(signature = (paths, *, threads = 0, progress = None))]
pub fn md5_files(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    threads: usize,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Vec<Option<String>>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let threads = if threads == 0 {
        alf_core::walk::default_threads()
    } else {
        threads
    };
    let n = paths.len();
    let counters = Arc::new(Progress::default());
    let (tx, rx) = mpsc::channel();
    // `detach` needs a `Sync` closure; a receiver is only `Send`.
    let rx = std::sync::Mutex::new(rx);
    let worker_counters = Arc::clone(&counters);
    let handle = std::thread::spawn(move || {
        // No expected stamp: the caller compares nothing with it (restamps are ignored).
        let none = Stamp {
            size: 0,
            mtime_ns: 0,
        };
        let outcome = core_md5_files(n, |i| (paths[i].clone(), none), threads, &worker_counters);
        // The receiver only goes away if the caller already returned with an error.
        let _ = tx.send(outcome);
    });
    let outcome = loop {
        match py.detach(|| rx.lock().expect("poisoned").recv_timeout(TICK)) {
            Ok(outcome) => break outcome,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "hashing thread died",
                ))
            }
            Err(RecvTimeoutError::Timeout) => {
                let report = match &progress {
                    Some(cb) => cb
                        .call1((
                            n as u64,
                            0u64,
                            counters.files_hashed.load(Ordering::Relaxed),
                            counters.bytes_hashed.load(Ordering::Relaxed),
                        ))
                        .map(|_| ()),
                    None => Ok(()),
                };
                if let Err(e) = report.and_then(|()| py.check_signals()) {
                    counters.cancel.store(true, Ordering::Relaxed);
                    let _ = py.detach(|| handle.join());
                    return Err(e);
                }
            }
        }
    };
    let _ = py.detach(|| handle.join());
    let hashes = outcome.map_err(to_py)?;
    Ok(hashes
        .digests
        .iter()
        .map(|d| d.as_ref().map(|d| hex(d)))
        .collect())
}
