//! Pure-Rust core of `alf_fast`: ALF name parsing, a parallel walk of ALF data trees, md5
//! hashing of dataset files and the Arrow form of ONE's cache tables.
//!
//! Nothing here knows about Python; the `alf-py` crate is a thin binding over [`index`] and the
//! parsing functions.
#![deny(missing_docs)]

pub mod error;
pub mod hash;
pub mod ids;
pub mod part;
pub mod spec;
pub mod table;
mod unicode_classes;
pub mod walk;

use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use table::{DatasetStream, IdScheme, Tables};
pub use walk::{Issue, IssueKind, Progress, Walk, WalkPart};

/// Options of [`index`].
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Walker and hashing threads; 0 means one per core.
    pub threads: usize,
    /// Compute the md5 of every dataset.
    pub hash_files: bool,
    /// How ids are made.
    pub ids: IdScheme,
}

/// What [`index`] returns: the tables and everything the caller should report.
#[derive(Debug)]
pub struct Index {
    /// The resolved root.
    pub root: PathBuf,
    /// Sessions and datasets tables.
    pub tables: Tables,
    /// Unreadable, vanished or malformed paths (warnings).
    pub issues: Vec<Issue>,
    /// Files inside sessions skipped as not ALF.
    pub skipped: Vec<Issue>,
    /// Total size of the indexed datasets in bytes.
    pub bytes: u64,
}

/// Walks `root`, optionally hashes every dataset, and builds the cache tables.
pub fn index(root: &Path, options: &IndexOptions, progress: &Progress) -> Result<Index> {
    let threads = if options.threads == 0 {
        walk::default_threads()
    } else {
        options.threads
    };
    let walk = walk::walk(root, threads, options.ids, progress)?;
    let hashes = if options.hash_files {
        let path_of = |i: usize| {
            let d = &walk.datasets[i];
            walk.sessions[d.session as usize].path.join(&*d.rel_path)
        };
        Some(hash::md5_files(
            walk.datasets.len(),
            path_of,
            threads,
            progress,
        )?)
    } else {
        None
    };
    index_walk(walk, options.ids, hashes)
}

/// Builds the tables of a finished walk (for instance one merged from shards by
/// [`walk::merge_parts`]); `hashes`, when given, holds one md5 per dataset in walk order.
pub fn index_walk(walk: Walk, ids: IdScheme, hashes: Option<Vec<[u8; 16]>>) -> Result<Index> {
    let mut walk = walk;
    let bytes = walk.datasets.iter().map(|d| d.size).sum();
    let root = std::mem::take(&mut walk.root);
    let issues = std::mem::take(&mut walk.issues);
    let skipped = std::mem::take(&mut walk.skipped);
    let tables = table::build(walk, ids, hashes)?;
    release_free_memory();
    Ok(Index {
        root,
        tables,
        issues,
        skipped,
        bytes,
    })
}

/// Returns memory freed by the walk (per-thread collectors, sort keys) to the operating system.
///
/// glibc keeps freed small blocks in its per-thread arenas, so without this the process keeps
/// the walk's high-water mark while the caller writes the tables with its own allocator
/// (pyarrow's), and the peak is the sum of both.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only walks glibc's own arenas and has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    }
}
