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
pub mod threads;
mod unicode_classes;
pub mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

pub use error::{Error, Result};
use hash::{FileHash, Hashes, Stamp};
pub use table::{DatasetStream, IdScheme, Tables};
pub use walk::{Issue, IssueKind, Progress, Walk, WalkPart};

/// Options of [`index`].
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Walker and hashing threads; 0 means one per core, and requests above
    /// [`threads::max_threads`] are capped.
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
    let threads = threads::resolve(options.threads);
    let mut walk = walk::walk(root, threads, options.ids, progress)?;
    let hashes = if options.hash_files {
        let total = walk.datasets.iter().map(|d| d.size).sum();
        progress.bytes_to_hash.store(total, Ordering::Relaxed);
        let file_of = |i: usize| {
            let d = &walk.datasets[i];
            let path = walk.sessions[d.session as usize].path.join(&*d.rel_path);
            let stamp = Stamp {
                size: d.size,
                mtime_ns: d.mtime_ns,
            };
            (path, stamp)
        };
        let hashes = hash::md5_files(walk.datasets.len(), file_of, threads, progress)?;
        Some(apply_hashes(&mut walk, hashes))
    } else {
        None
    };
    index_walk(walk, options.ids, hashes)
}

/// Builds the tables of a finished walk (for instance one merged from shards by
/// [`walk::merge_parts`]); `hashes`, when given, holds one md5 per dataset in walk order
/// (`None`: not computed).
pub fn index_walk(
    walk: Walk,
    ids: IdScheme,
    hashes: Option<Vec<Option<[u8; 16]>>>,
) -> Result<Index> {
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

/// Folds a hashing pass into the walk, so that each row describes the version of the file that
/// was hashed: a file that changed since the walk gets the size and mtime of that version; one
/// that vanished or is no longer a regular file is dropped with a warning, as the walk drops
/// them; one that changed during every read keeps a null hash ("not computed") with a warning.
/// Returns the digests of the datasets kept, in walk order.
fn apply_hashes(walk: &mut walk::Walk, hashes: Hashes) -> Vec<Option<[u8; 16]>> {
    let Hashes {
        mut digests,
        restamped,
        problems,
    } = hashes;
    let restamp = |d: &mut walk::Dataset, stamp: Stamp| {
        d.size = stamp.size;
        d.mtime_ns = stamp.mtime_ns;
    };
    for (i, stamp) in restamped {
        restamp(&mut walk.datasets[i], stamp);
    }
    if problems.is_empty() {
        return digests;
    }
    let mut drop = vec![false; digests.len()];
    for (i, problem) in problems {
        let d = &mut walk.datasets[i];
        let path = walk.sessions[d.session as usize].path.join(&*d.rel_path);
        let (kind, message) = match problem {
            FileHash::Vanished => {
                drop[i] = true;
                (
                    IssueKind::Vanished,
                    "vanished before it could be hashed: not indexed".to_owned(),
                )
            }
            FileHash::NotAFile(what) => {
                drop[i] = true;
                (
                    IssueKind::NotAFile,
                    format!("skipped: {what} by the time it was hashed, not a regular file"),
                )
            }
            FileHash::Changing(stamp) => {
                restamp(d, stamp);
                (
                    IssueKind::Changing,
                    format!(
                        "changed while being hashed, {} times in a row: indexed without a hash",
                        hash::MAX_ATTEMPTS
                    ),
                )
            }
            FileHash::Hashed { .. } => unreachable!("hashed files are not problems"),
        };
        walk.issues.push(Issue {
            path,
            kind,
            message,
        });
    }
    walk.issues.sort_by(|a, b| a.path.cmp(&b.path));
    let mut keep = drop.iter().map(|&d| !d);
    walk.datasets.retain(|_| keep.next().unwrap_or(true));
    let mut keep = drop.iter().map(|&d| !d);
    digests.retain(|_| keep.next().unwrap_or(true));
    digests
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
