//! The `alf_fast._alf_fast` extension module: a thin PyO3 layer over `alf-core`.
//!
//! Every function extracts owned Rust values, makes one call into the core with the GIL released,
//! and converts the result (Arrow record batches through the PyCapsule interface) once the GIL is
//! back. Argument checking and defaults live in the Python package.

mod error;
mod index;
mod parse;
mod shard;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
fn _alf_fast(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "build_profile",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    )?;
    m.add(
        "STABLE_NAMESPACE",
        alf_core::ids::STABLE_NAMESPACE.hyphenated().to_string(),
    )?;
    m.add_function(wrap_pyfunction!(index::index_tree, m)?)?;
    m.add_function(wrap_pyfunction!(parse::rel_path_parts, m)?)?;
    m.add_function(wrap_pyfunction!(parse::session_path_parts, m)?)?;
    m.add_function(wrap_pyfunction!(parse::is_valid_filename, m)?)?;
    m.add_function(wrap_pyfunction!(shard::walk_shard, m)?)?;
    m.add_function(wrap_pyfunction!(shard::merge_walk_parts, m)?)?;
    m.add_function(wrap_pyfunction!(shard::md5_paths, m)?)?;
    m.add_class::<shard::MergedWalk>()?;
    Ok(())
}
