//! `index_tree`: the indexer, run on its own thread while the calling thread keeps the GIL
//! released, wakes a few times a second to report progress and to notice Ctrl-C.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use alf_core::threads::{panic_message, Faults};
use alf_core::{IdScheme, IndexOptions, Issue, Progress};
use arrow_array::RecordBatchIterator;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::PyRecordBatchReader;

use crate::error::to_py;

const TICK: Duration = Duration::from_millis(200);

fn issues(list: Vec<Issue>) -> Vec<(String, &'static str, String)> {
    list.into_iter()
        .map(|i| {
            (
                i.path.to_string_lossy().into_owned(),
                i.kind.name(),
                i.message,
            )
        })
        .collect()
}

/// Indexes `root`. `ids` is `"stable"`, `"strings"` or `"namespace"` (then `namespace` is the
/// UUID string). `progress(files, dirs, files_hashed, bytes_hashed, bytes_to_hash)` is called
/// about five times a second while the work runs (`bytes_to_hash` is 0 until the walk ends).
/// Returns a dict with `root`, `sessions` and `datasets` (Arrow streams of record batches, each
/// consumable once), `n_datasets`, `issues`, `skipped` (lists of `(path, kind, message)`) and
/// `bytes`.
#[pyfunction]
#[pyo3(signature = (root, *, threads = 0, hash_files = false, ids = "stable", namespace = None, progress = None))]
pub fn index_tree<'py>(
    py: Python<'py>,
    root: PathBuf,
    threads: usize,
    hash_files: bool,
    ids: &str,
    namespace: Option<String>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let ids = id_scheme(ids, namespace)?;
    let options = IndexOptions {
        threads,
        hash_files,
        ids,
    };
    let counters = Arc::new(Progress {
        // A hidden hook for tests of the failure paths (a panicking or unstartable thread).
        faults: std::env::var("ALF_FAST_TEST_FAULT")
            .map(|spec| Faults::parse(&spec))
            .unwrap_or_default(),
        ..Progress::default()
    });
    let (tx, rx) = mpsc::channel();
    // `detach` needs a `Sync` closure; a receiver is only `Send`.
    let rx = std::sync::Mutex::new(rx);
    let worker_counters = Arc::clone(&counters);
    let handle = std::thread::Builder::new()
        .name("alf-index".into())
        .spawn(move || {
            // The receiver only goes away if the caller already returned with an error.
            let _ = tx.send(alf_core::index(&root, &options, &worker_counters));
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the indexer thread: {e}")))?;
    let outcome = loop {
        match py.detach(|| rx.lock().expect("poisoned").recv_timeout(TICK)) {
            Ok(outcome) => break outcome,
            Err(RecvTimeoutError::Disconnected) => {
                // The thread ended without sending: it panicked outside the worker threads
                // (whose panics come back as errors). Say what the panic said.
                let message = match py.detach(|| handle.join()) {
                    Err(payload) => panic_message(payload.as_ref()),
                    Ok(()) => "ended without a result".to_owned(),
                };
                return Err(PyRuntimeError::new_err(format!(
                    "indexer thread panicked (a bug in alf_fast, please report it): {message}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => {
                let report = match &progress {
                    Some(cb) => cb
                        .call1((
                            counters.files.load(Ordering::Relaxed),
                            counters.dirs.load(Ordering::Relaxed),
                            counters.files_hashed.load(Ordering::Relaxed),
                            counters.bytes_hashed.load(Ordering::Relaxed),
                            counters.bytes_to_hash.load(Ordering::Relaxed),
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
    index_dict(py, outcome.map_err(to_py)?)
}

/// The id scheme named by `index_tree`'s `ids` and `namespace` arguments.
pub(crate) fn id_scheme(ids: &str, namespace: Option<String>) -> PyResult<IdScheme> {
    Ok(match (ids, namespace) {
        ("stable", None) => IdScheme::Stable,
        ("strings", None) => IdScheme::Strings,
        ("namespace", Some(ns)) => IdScheme::Namespace(
            uuid_parse(&ns)
                .ok_or_else(|| PyValueError::new_err(format!("invalid namespace UUID: {ns:?}")))?,
        ),
        (other, _) => {
            return Err(PyValueError::new_err(format!(
                "ids must be 'stable', 'strings' or 'namespace' (with a namespace), got {other:?}"
            )))
        }
    })
}

/// `index_tree`'s result dict (see its docs) for a finished index.
pub(crate) fn index_dict(py: Python<'_>, index: alf_core::Index) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("root", index.root.to_string_lossy().into_owned())?;
    // A stream, like the datasets: pyarrow imports pandas (0.15 s) the first time `pa.table`
    // is given a single batch, and `RecordBatchReader.from_stream` does not.
    let sessions = index.tables.sessions;
    let schema = sessions.schema();
    out.set_item(
        "sessions",
        PyRecordBatchReader::new(Box::new(RecordBatchIterator::new([Ok(sessions)], schema))),
    )?;
    out.set_item("n_datasets", index.tables.datasets.len())?;
    out.set_item(
        "datasets",
        PyRecordBatchReader::new(Box::new(index.tables.datasets)),
    )?;
    out.set_item("issues", issues(index.issues))?;
    out.set_item("skipped", issues(index.skipped))?;
    out.set_item("bytes", index.bytes)?;
    Ok(out)
}

fn uuid_parse(s: &str) -> Option<alf_core::ids::Uuid> {
    alf_core::ids::Uuid::parse_str(s).ok()
}
