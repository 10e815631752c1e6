//! Streaming md5 of dataset files, in parallel.
//!
//! ONE stores the md5 of each file as a 32-character lowercase hex string. Files are read in
//! fixed chunks so memory stays flat whatever their size (ONE's helper allocates 256 MiB per
//! file), and threads take files from a shared cursor so one large file does not leave the
//! other threads idle behind a static split.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::walk::Progress;

const CHUNK: usize = 1 << 20;

/// Digests a thread computed, with their indices in the input.
type Digests = Vec<(usize, [u8; 16])>;

/// md5 digest of one file, read in chunks through `buf`; `on_read` is told how many bytes each
/// read returned (for progress display).
pub fn md5_file(path: &Path, buf: &mut [u8], mut on_read: impl FnMut(u64)) -> Result<[u8; 16]> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Md5::new();
    loop {
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                on_read(n as u64);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(hasher.finalize().into())
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

/// Hashes the files `path_of(0..n)` with `threads` threads. Paths are made when needed rather
/// than passed in, since a million of them would take over 100 MB. The first file that cannot
/// be read stops the pass with an error naming it.
pub fn md5_files(
    n: usize,
    path_of: impl Fn(usize) -> PathBuf + Sync,
    threads: usize,
    progress: &Progress,
) -> Result<Vec<[u8; 16]>> {
    let threads = threads.max(1).min(n.max(1));
    let cursor = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let results: Vec<Mutex<Digests>> = (0..threads).map(|_| Mutex::new(Vec::new())).collect();
    std::thread::scope(|scope| {
        for slot in &results {
            let (cursor, failure, path_of) = (&cursor, &failure, &path_of);
            scope.spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                let mut mine = Vec::new();
                loop {
                    if progress.cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = cursor.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let on_read = |bytes| {
                        progress.bytes_hashed.fetch_add(bytes, Ordering::Relaxed);
                    };
                    match md5_file(&path_of(i), &mut buf, on_read) {
                        Ok(digest) => {
                            progress.files_hashed.fetch_add(1, Ordering::Relaxed);
                            mine.push((i, digest));
                        }
                        Err(e) => {
                            failure.lock().expect("poisoned").get_or_insert(e);
                            // Stop the other threads too: the pass has failed.
                            progress.cancel.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                *slot.lock().expect("poisoned") = mine;
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("poisoned") {
        return Err(e);
    }
    if progress.cancel.load(Ordering::Relaxed) {
        return Err(Error::Cancelled);
    }
    let mut out = vec![[0u8; 16]; n];
    for slot in results {
        for (i, digest) in slot.into_inner().expect("poisoned") {
            out[i] = digest;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let dir = std::env::temp_dir().join(format!("alf-core-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.b.txt");
        let c = dir.join("c.d.txt");
        std::fs::write(&a, b"hello").unwrap();
        std::fs::write(&c, b"").unwrap();
        let paths = [a, c];
        let got = md5_files(2, |i| paths[i].clone(), 2, &Progress::default()).unwrap();
        assert_eq!(hex(&got[0]), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(hex(&got[1]), "d41d8cd98f00b204e9800998ecf8427e");
        let missing = md5_files(1, |_| dir.join("nope.x.y"), 1, &Progress::default());
        assert!(missing.unwrap_err().to_string().contains("nope.x.y"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
