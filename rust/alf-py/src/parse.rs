//! ALF parsing exposed for differential tests of the Rust parser against ONE's regexes.

use pyo3::prelude::*;

type RelParts = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

type SessionParts = (Option<String>, String, String, String);

/// `(collection, revision, namespace, object, attribute, timescale, extra, extension)` for
/// each relative path, or `None` where it is not valid ALF.
#[pyfunction]
pub fn rel_path_parts(py: Python<'_>, paths: Vec<String>) -> Vec<Option<RelParts>> {
    py.detach(|| {
        paths
            .iter()
            .map(|p| {
                alf_core::spec::rel_path_parts(p).map(|r| {
                    (
                        r.collection,
                        r.revision,
                        r.namespace,
                        r.object,
                        r.attribute,
                        r.timescale,
                        r.extra,
                        r.extension,
                    )
                })
            })
            .collect()
    })
}

/// `(lab, subject, date, number)` of the session each path ends with (`anchored=True`, as
/// `is_session_path`) or contains (`anchored=False`, as `session_path_parts`), else `None`.
#[pyfunction]
#[pyo3(signature = (paths, anchored = true))]
pub fn session_path_parts(
    py: Python<'_>,
    paths: Vec<String>,
    anchored: bool,
) -> Vec<Option<SessionParts>> {
    py.detach(|| {
        paths
            .iter()
            .map(|p| {
                let parts = if anchored {
                    alf_core::spec::session_at_end(p).map(|(s, _)| s)
                } else {
                    alf_core::spec::session_search(p)
                };
                parts.map(|s| (s.lab, s.subject, s.date, s.number))
            })
            .collect()
    })
}

/// Whether each name is a valid ALF file name.
#[pyfunction]
pub fn is_valid_filename(py: Python<'_>, names: Vec<String>) -> Vec<bool> {
    py.detach(|| {
        names
            .iter()
            .map(|n| alf_core::spec::is_valid_filename(n))
            .collect()
    })
}
