//! Streaming md5 of dataset files, in parallel, on a tree that may change while it is read.
//!
//! ONE stores the md5 of each file as a 32-character lowercase hex string. Files are read in
//! fixed chunks so memory stays flat whatever their size (ONE's helper allocates 256 MiB per
//! file), and threads take files from a shared cursor so one large file does not leave the
//! other threads idle behind a static split.
//!
//! Only regular files are read: a FIFO or a character device named like a dataset would block
//! or never end, so the type is checked before opening (following links, as `stat` does) and
//! again on the open descriptor, which is opened non-blocking so that a FIFO swapped in between
//! the two cannot block the open. A file that changes while it is read (its size or mtime
//! differ before and after, or the bytes read do not match its size) is read again, up to
//! [`MAX_ATTEMPTS`] times, so that the digest, size and mtime recorded always describe one
//! version of the file. Cancellation is checked between chunks, so Ctrl-C stops a pass in the
//! middle of a 100 GB file.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::threads::{join_all, spawn_worker, QuitOnPanic};
use crate::walk::Progress;

const CHUNK: usize = 1 << 20;

/// Reads of a file that keeps changing before it is reported as [`FileHash::Changing`].
pub const MAX_ATTEMPTS: u32 = 3;

/// Size and modification time of one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

impl Stamp {
    /// The stamp of `meta` (an mtime before 1970 or unknown counts as 0).
    pub fn of(meta: &Metadata) -> Self {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Stamp {
            size: meta.len(),
            mtime_ns,
        }
    }
}

/// What hashing one path gave. Only an unexpected I/O error is an [`Error`]; these outcomes
/// are normal on a live tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileHash {
    /// The digest of one version of the file, with that version's stamp.
    Hashed {
        /// md5 digest.
        md5: [u8; 16],
        /// Size and mtime of the version hashed.
        stamp: Stamp,
    },
    /// The path no longer exists.
    Vanished,
    /// The path is not a regular file (the name of its type); it was not read.
    NotAFile(&'static str),
    /// The file changed during each of [`MAX_ATTEMPTS`] reads; the stamp is the last seen.
    Changing(Stamp),
}

/// The name of a file type that is not a regular file, for messages; `None` for a regular file.
pub fn special_type(meta: &Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else {
        Some("an entry of another type")
    }
}

/// Opens `path` for reading without blocking on a FIFO and without making a terminal the
/// controlling one; reads of a regular file are unaffected by `O_NONBLOCK`.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Hashes the file at `path`, reading it in chunks through `buf`. `on_chunk` is told how many
/// bytes each read returned and returns `false` to stop, which makes this return
/// [`Error::Cancelled`].
pub fn hash_file(
    path: &Path,
    buf: &mut [u8],
    mut on_chunk: impl FnMut(u64) -> bool,
) -> Result<FileHash> {
    let fail = |e: std::io::Error| Error::io(path, e);
    let mut last = None;
    for _ in 0..MAX_ATTEMPTS {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileHash::Vanished),
            Err(e) => return Err(fail(e)),
        };
        if let Some(kind) = special_type(&meta) {
            return Ok(FileHash::NotAFile(kind));
        }
        let mut file = match open_nonblocking(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileHash::Vanished),
            Err(e) => return Err(fail(e)),
        };
        let meta = file.metadata().map_err(fail)?;
        if let Some(kind) = special_type(&meta) {
            return Ok(FileHash::NotAFile(kind));
        }
        let before = Stamp::of(&meta);
        let mut hasher = Md5::new();
        let mut read = 0u64;
        loop {
            match file.read(buf) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(&buf[..n]);
                    read += n as u64;
                    if !on_chunk(n as u64) {
                        return Err(Error::Cancelled);
                    }
                    if read > before.size {
                        // It grew while being read: this read cannot be kept, and a file
                        // appended to faster than it is read would otherwise never end.
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(e)),
            }
        }
        let after = Stamp::of(&file.metadata().map_err(fail)?);
        if before == after && after.size == read {
            return Ok(FileHash::Hashed {
                md5: hasher.finalize().into(),
                stamp: after,
            });
        }
        last = Some(after);
    }
    Ok(FileHash::Changing(last.expect("at least one attempt")))
}

/// Lowercase hex of a byte slice.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// What [`md5_files`] found: a digest per file, and the few files that need attention.
#[derive(Debug, Default)]
pub struct Hashes {
    /// The digest of each input, `None` where the file is listed in `problems`.
    pub digests: Vec<Option<[u8; 16]>>,
    /// Files hashed whose stamp differs from the expected one (they changed since the walk):
    /// `(index, stamp of the version hashed)`.
    pub restamped: Vec<(usize, Stamp)>,
    /// Files not hashed, by index, with the reason ([`FileHash::Vanished`],
    /// [`FileHash::NotAFile`] or [`FileHash::Changing`]), sorted by index.
    pub problems: Vec<(usize, FileHash)>,
}

/// Hashes the files `file_of(0..n)`, each given as its path and the stamp the walk saw, with
/// `threads` threads. Paths are made when needed rather than passed in, since a million of them
/// would take over 100 MB. The first file that cannot be read stops the pass with an error
/// naming it; vanished, special and ever-changing files are returned in [`Hashes::problems`].
pub fn md5_files(
    n: usize,
    file_of: impl Fn(usize) -> (PathBuf, Stamp) + Sync,
    threads: usize,
    progress: &Progress,
) -> Result<Hashes> {
    let threads = threads.max(1).min(n.max(1));
    let cursor = AtomicUsize::new(0);
    // Stops the other threads when one fails, without touching the caller's cancel flag (a
    // reused `Progress` would otherwise report every later run as cancelled).
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    type Found = (
        Vec<(usize, [u8; 16])>,
        Vec<(usize, Stamp)>,
        Vec<(usize, FileHash)>,
    );
    let results = std::thread::scope(|scope| -> Result<Vec<Found>> {
        let mut handles = Vec::with_capacity(threads);
        for t in 0..threads {
            let (cursor, failure, file_of, stop) = (&cursor, &failure, &file_of, &stop);
            let work = move || {
                let _guard = QuitOnPanic(stop);
                let mut buf = vec![0u8; CHUNK];
                let mut found: Found = Default::default();
                let go_on = || !stop.load(Ordering::Relaxed) && !progress.cancelled();
                while go_on() {
                    let i = cursor.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let (path, expected) = file_of(i);
                    progress.faults.maybe_panic(&path);
                    let on_chunk = |bytes| {
                        progress.bytes_hashed.fetch_add(bytes, Ordering::Relaxed);
                        go_on()
                    };
                    match hash_file(&path, &mut buf, on_chunk) {
                        Ok(FileHash::Hashed { md5, stamp }) => {
                            progress.files_hashed.fetch_add(1, Ordering::Relaxed);
                            found.0.push((i, md5));
                            if stamp != expected {
                                found.1.push((i, stamp));
                            }
                        }
                        Ok(other) => found.2.push((i, other)),
                        Err(Error::Cancelled) => break,
                        Err(e) => {
                            failure.lock().expect("poisoned").get_or_insert(e);
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                found
            };
            match spawn_worker(scope, "alf-hash", t, progress, work) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    failure.lock().expect("poisoned").get_or_insert(e);
                    break;
                }
            }
        }
        join_all(handles)
    });
    if let Some(e) = failure.into_inner().expect("poisoned") {
        return Err(e);
    }
    let results = results?;
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    let mut out = Hashes {
        digests: vec![None; n],
        ..Hashes::default()
    };
    for (digests, restamped, problems) in results {
        for (i, digest) in digests {
            out.digests[i] = Some(digest);
        }
        out.restamped.extend(restamped);
        out.problems.extend(problems);
    }
    out.restamped.sort_unstable_by_key(|p| p.0);
    out.problems.sort_unstable_by_key(|p| p.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("alf-core-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn stamp_of(path: &Path) -> Stamp {
        Stamp::of(&std::fs::metadata(path).unwrap())
    }

    #[test]
    fn known_digests() {
        let dir = temp_dir("hash");
        let a = dir.join("a.b.txt");
        let c = dir.join("c.d.txt");
        std::fs::write(&a, b"hello").unwrap();
        std::fs::write(&c, b"").unwrap();
        let paths = [a, c];
        let file_of = |i: usize| (paths[i].clone(), stamp_of(&paths[i]));
        let got = md5_files(2, file_of, 2, &Progress::default()).unwrap();
        assert_eq!(
            hex(&got.digests[0].unwrap()),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(
            hex(&got.digests[1].unwrap()),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert!(got.problems.is_empty() && got.restamped.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_vanished_file_is_a_problem_not_an_error() {
        let dir = temp_dir("hash-vanished");
        let stamp = Stamp {
            size: 3,
            mtime_ns: 0,
        };
        let got = md5_files(
            1,
            |_| (dir.join("nope.x.y"), stamp),
            1,
            &Progress::default(),
        );
        let got = got.unwrap();
        assert_eq!(got.digests, [None]);
        assert_eq!(got.problems, [(0, FileHash::Vanished)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_file_fails_without_cancelling_the_callers_progress() {
        let dir = temp_dir("hash-unreadable");
        // A path below a regular file cannot even be examined (ENOTDIR): an I/O error that is
        // not a vanished file. (Permissions would not do: the tests may run as root.)
        let file = dir.join("f.x.y");
        std::fs::write(&file, b"x").unwrap();
        let bad = file.join("below.x.y");
        let progress = Progress::default();
        let stamp = Stamp {
            size: 1,
            mtime_ns: 0,
        };
        let err = md5_files(1, |_| (bad.clone(), stamp), 1, &progress).unwrap_err();
        assert!(err.to_string().contains("below.x.y"), "{err}");
        assert!(
            !progress.cancelled(),
            "the caller's cancel flag was set by a failure"
        );
        // The same Progress still works for a later pass.
        let ok = md5_files(1, |_| (file.clone(), stamp_of(&file)), 1, &progress).unwrap();
        assert!(ok.digests[0].is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_changed_during_one_read_is_read_again() {
        let dir = temp_dir("hash-changed-once");
        let path = dir.join("a.b.bin");
        std::fs::write(&path, vec![1u8; 3 * CHUNK]).unwrap();
        let mut buf = vec![0u8; CHUNK];
        let mut appended = false;
        let got = hash_file(&path, &mut buf, |_| {
            if !appended {
                appended = true;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(b"more").unwrap();
            }
            true
        })
        .unwrap();
        let mut content = vec![1u8; 3 * CHUNK];
        content.extend_from_slice(b"more");
        let expected: [u8; 16] = Md5::digest(&content).into();
        assert_eq!(
            got,
            FileHash::Hashed {
                md5: expected,
                stamp: stamp_of(&path)
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_keeps_changing_is_reported() {
        let dir = temp_dir("hash-changing");
        let path = dir.join("a.b.bin");
        std::fs::write(&path, vec![1u8; 2 * CHUNK]).unwrap();
        let mut buf = vec![0u8; CHUNK];
        let mut reads = 0;
        let got = hash_file(&path, &mut buf, |bytes| {
            reads += 1;
            // Appends only after full chunks: a byte appended after the last read would be
            // read next, and so on for ever.
            if bytes == CHUNK as u64 {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(b"x").unwrap();
            }
            true
        })
        .unwrap();
        assert_eq!(got, FileHash::Changing(stamp_of(&path)));
        assert!(reads >= MAX_ATTEMPTS as usize);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cancelling_stops_inside_a_large_file() {
        let dir = temp_dir("hash-cancel");
        let path = dir.join("big.x.bin");
        // Sparse: reads as zeros without using disk.
        let size = 1u64 << 30;
        std::fs::File::create(&path).unwrap().set_len(size).unwrap();
        let progress = Progress::default();
        let file = (path.clone(), stamp_of(&path));
        let got = std::thread::scope(|scope| {
            scope.spawn(|| {
                while progress.bytes_hashed.load(Ordering::Relaxed) == 0 {
                    std::thread::yield_now();
                }
                progress.cancel.store(true, Ordering::Relaxed);
            });
            md5_files(1, |_| file.clone(), 1, &progress)
        });
        assert!(matches!(got, Err(Error::Cancelled)), "{got:?}");
        let read = progress.bytes_hashed.load(Ordering::Relaxed);
        assert!(
            read < size,
            "read the whole file ({read} bytes) before stopping"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
