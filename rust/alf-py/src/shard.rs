//! The pieces of a distributed index (driven by `alf_fast._dask`): walk one shard into Arrow
//! batches on a worker, merge the shards' batches on the client, md5 a list of files.

use std::sync::Mutex;

use alf_core::hash::{FileHash, Stamp};
use alf_core::walk::{merge_parts, walk_part, WalkPart};
use alf_core::{part, Progress, Walk};
use arrow_array::RecordBatch;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pyo3_arrow::PyRecordBatch;

use crate::error::to_py;
use crate::index::{id_scheme, index_dict};

type PartBatches = (PyRecordBatch, PyRecordBatch, PyRecordBatch);

/// Walks the `seeds` (entries below `root`; `None`: the whole root) and returns the part as
/// `(sessions, datasets, issues)` record batches for `merge_walk_parts`.
#[pyfunction]
#[pyo3(signature = (root, seeds, *, threads = 1, ids = "stable", namespace = None))]
pub fn walk_shard(
    py: Python<'_>,
    root: std::path::PathBuf,
    seeds: Option<Vec<String>>,
    threads: usize,
    ids: &str,
    namespace: Option<String>,
) -> PyResult<PartBatches> {
    let ids = id_scheme(ids, namespace)?;
    let batches = py
        .detach(|| {
            let part = walk_part(&root, seeds.as_deref(), threads, ids, &Progress::default())?;
            part::to_batches(&part)
        })
        .map_err(to_py)?;
    let [s, d, i] = batches;
    Ok((s.into(), d.into(), i.into()))
}

/// A walk merged from shards, waiting for its hashes (if any) before becoming tables.
#[pyclass(module = "alf_fast._alf_fast")]
pub struct MergedWalk {
    walk: Mutex<Option<Walk>>,
}

impl MergedWalk {
    fn take(&self) -> PyResult<Walk> {
        self.walk
            .lock()
            .expect("poisoned")
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this merged walk was already finished"))
    }
}

/// Merges the parts returned by `walk_shard` for one root into the walk of the whole tree.
#[pyfunction]
pub fn merge_walk_parts(
    py: Python<'_>,
    root: std::path::PathBuf,
    parts: Vec<PartBatches>,
) -> PyResult<MergedWalk> {
    let parts: Vec<[RecordBatch; 3]> = parts
        .into_iter()
        .map(|(s, d, i)| [s.into_inner(), d.into_inner(), i.into_inner()])
        .collect();
    let walk = py
        .detach(|| {
            let source = root.to_string_lossy().into_owned();
            let parts = parts
                .iter()
                .map(|b| part::from_batches(b, &source))
                .collect::<alf_core::Result<Vec<WalkPart>>>()?;
            Ok(merge_parts(root, parts))
        })
        .map_err(to_py)?;
    Ok(MergedWalk {
        walk: Mutex::new(Some(walk)),
    })
}

#[pymethods]
impl MergedWalk {
    /// Number of datasets.
    fn __len__(&self) -> usize {
        self.walk
            .lock()
            .expect("poisoned")
            .as_ref()
            .map_or(0, |w| w.datasets.len())
    }

    /// `(path, size, mtime_ns)` of every dataset file, in the order `finish` expects their
    /// hashes.
    fn files(&self) -> PyResult<PyRecordBatch> {
        let guard = self.walk.lock().expect("poisoned");
        let walk = guard
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("this merged walk was already finished"))?;
        let batch = part::files_batch(walk).map_err(to_py)?;
        Ok(batch.into())
    }

    /// Builds the tables (see `index_tree`'s result). `hashes` holds the 16-byte md5 of every
    /// file of `files()`, in that order, or is `None` for a null `hash` column.
    #[pyo3(signature = (*, ids = "stable", namespace = None, hashes = None))]
    fn finish<'py>(
        &self,
        py: Python<'py>,
        ids: &str,
        namespace: Option<String>,
        hashes: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ids = id_scheme(ids, namespace)?;
        let walk = self.take()?;
        let hashes = match hashes {
            None => None,
            Some(bytes) => {
                if bytes.len() != walk.datasets.len() * 16 {
                    return Err(PyValueError::new_err(format!(
                        "expected {} md5 digests, got {} bytes",
                        walk.datasets.len(),
                        bytes.len()
                    )));
                }
                Some(
                    bytes
                        .chunks_exact(16)
                        .map(|c| Some(c.try_into().expect("16 bytes")))
                        .collect(),
                )
            }
        };
        let index = py
            .detach(|| alf_core::index_walk(walk, ids, hashes))
            .map_err(to_py)?;
        index_dict(py, index)
    }
}

/// The md5 digests of `paths` (16 bytes each, concatenated) computed on `threads` threads,
/// each file expected at the size and mtime the walk saw. The first file that cannot be read
/// raises an `OSError` naming it; so does a file that changed since the walk or vanished,
/// which a single-process build would re-stamp or drop: the client cannot fold that into the
/// merged walk, so the build fails rather than record a stale row.
#[pyfunction]
#[pyo3(signature = (paths, sizes, mtimes_ns, *, threads = 1))]
pub fn md5_paths(
    py: Python<'_>,
    paths: Vec<String>,
    sizes: Vec<u64>,
    mtimes_ns: Vec<i64>,
    threads: usize,
) -> PyResult<Bound<'_, PyBytes>> {
    if sizes.len() != paths.len() || mtimes_ns.len() != paths.len() {
        return Err(PyValueError::new_err(
            "paths, sizes and mtimes_ns must have the same length",
        ));
    }
    let hashes = py
        .detach(|| {
            alf_core::hash::md5_files(
                paths.len(),
                |i| {
                    let stamp = Stamp {
                        size: sizes[i],
                        mtime_ns: mtimes_ns[i],
                    };
                    (std::path::PathBuf::from(&paths[i]), stamp)
                },
                threads,
                &Progress::default(),
            )
        })
        .map_err(to_py)?;
    let changed = |i: usize, what: &str| {
        PyOSError::new_err(format!(
            "{}: {what} while the tree was indexed on a Dask cluster; build again once it \
             stops changing",
            paths[i]
        ))
    };
    if let Some((i, problem)) = hashes.problems.first() {
        let what = match problem {
            FileHash::Vanished => "vanished before it could be hashed".to_owned(),
            FileHash::NotAFile(kind) => format!("became a {kind}, not a regular file,"),
            _ => "changed while being hashed".to_owned(),
        };
        return Err(changed(*i, &what));
    }
    if let Some((i, _)) = hashes.restamped.first() {
        return Err(changed(*i, "changed after it was walked"));
    }
    let mut out = Vec::with_capacity(16 * paths.len());
    for digest in hashes.digests {
        out.extend_from_slice(&digest.expect("files without a problem have a digest"));
    }
    Ok(PyBytes::new(py, &out))
}
