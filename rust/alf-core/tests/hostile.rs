//! The indexer under hostile input and faults: special files named like datasets, crafted and
//! non-UTF-8 names, link loops, a tree changing during a hashed build, a panicking or
//! unstartable thread, absurd thread counts. Every run goes through `within`, so a regression
//! to a hang fails the test instead of stalling the suite.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use alf_core::hash::{md5_files, FileHash, Stamp};
use alf_core::threads::Faults;
use alf_core::{index, Error, IdScheme, Index, IndexOptions, IssueKind, Progress};
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::Array;
use md5::{Digest, Md5};

const LIMIT: Duration = Duration::from_secs(120);

struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> Self {
        let root =
            std::env::temp_dir().join(format!("alf-core-hostile-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        TempTree(root.canonicalize().unwrap())
    }

    fn file(&self, rel: &str, content: &[u8]) -> PathBuf {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        path
    }

    fn path(&self, rel: &str) -> PathBuf {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `f` on its own thread and fails the test if it does not finish within [`LIMIT`] (the
/// thread is then left behind; the test process ends anyway).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the run panicked"),
    }
}

fn options(threads: usize, hash_files: bool) -> IndexOptions {
    IndexOptions {
        threads,
        hash_files,
        ids: IdScheme::Strings,
    }
}

fn run(root: &Path, options: IndexOptions, progress: Progress) -> alf_core::Result<Index> {
    let root = root.to_path_buf();
    within("index", move || index(&root, &options, &progress))
}

/// `(rel_path, file_size, hash)` of every dataset row.
fn rows(index: Index) -> Vec<(String, u64, Option<String>)> {
    let mut out = Vec::new();
    for batch in index.tables.datasets.collect_batches().unwrap() {
        let rel = batch.column_by_name("rel_path").unwrap().as_string::<i32>();
        let size = batch
            .column_by_name("file_size")
            .unwrap()
            .as_primitive::<UInt64Type>();
        let hash = batch.column_by_name("hash").unwrap().as_string::<i32>();
        for i in 0..batch.num_rows() {
            out.push((
                rel.value(i).to_owned(),
                size.value(i),
                hash.is_valid(i).then(|| hash.value(i).to_owned()),
            ));
        }
    }
    out
}

fn session_ids(index: &Index) -> Vec<String> {
    let col = index.tables.sessions.column_by_name("id").unwrap();
    col.as_string::<i64>()
        .iter()
        .map(|s| s.unwrap().to_owned())
        .collect()
}

fn kinds_at(index: &Index, kind: IssueKind) -> Vec<PathBuf> {
    index
        .issues
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.path.clone())
        .collect()
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo failed"
    );
}

const SESSION: &str = "lab/Subjects/s1/2020-01-01/001";

#[test]
fn special_files_named_like_datasets_are_reported_and_never_opened() {
    let t = TempTree::new("special");
    t.file(&format!("{SESSION}/alf/good.times.npy"), b"ok");
    let fifo = t.path(&format!("{SESSION}/alf/fifo.times.npy"));
    mkfifo(&fifo);
    let socket_path = t.path(&format!("{SESSION}/alf/socket.times.npy"));
    let _socket = std::os::unix::net::UnixListener::bind(&socket_path).unwrap();
    let zero = t.path(&format!("{SESSION}/alf/zero.times.npy"));
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let mut expected = vec![fifo, socket_path, zero];
    // A block device, where the system has one to link to.
    let block = ["/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"]
        .into_iter()
        .find(|p| {
            use std::os::unix::fs::FileTypeExt;
            fs::metadata(p).is_ok_and(|m| m.file_type().is_block_device())
        });
    if let Some(device) = block {
        let link = t.path(&format!("{SESSION}/alf/block.times.npy"));
        std::os::unix::fs::symlink(device, &link).unwrap();
        expected.push(link);
    }
    expected.sort();
    for hash_files in [false, true] {
        let idx = run(&t.0, options(2, hash_files), Progress::default()).unwrap();
        assert_eq!(kinds_at(&idx, IssueKind::NotAFile), expected);
        let rows = rows(idx);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "alf/good.times.npy");
    }
}

#[test]
fn a_file_replaced_by_a_fifo_after_the_walk_is_not_opened() {
    let t = TempTree::new("fifo-late");
    let fifo = t.path("a.b.npy");
    mkfifo(&fifo);
    let stamp = Stamp {
        size: 0,
        mtime_ns: 0,
    };
    let got = within("hash", move || {
        md5_files(1, |_| (fifo.clone(), stamp), 1, &Progress::default())
    })
    .unwrap();
    assert_eq!(got.digests, [None]);
    assert!(matches!(got.problems[..], [(0, FileHash::NotAFile(_))]));
}

#[test]
fn a_subject_folder_with_a_newline_is_reported_not_read_as_another_subject() {
    let t = TempTree::new("newline");
    t.file("S\n2/2020-01-01/001/a.b.npy", b"");
    t.file("my subject/2020-01-01/001/a.b.npy", b"");
    t.file("lab\nx/Subjects/s1/2020-01-01/001/a.b.npy", b"");
    t.file("2/2020-01-01/002/a.b.npy", b"");
    // ONE's reading of a lab folder with a dash is kept: lab `x`.
    t.file("lab-x/Subjects/s3/2020-01-01/001/a.b.npy", b"");
    let idx = run(&t.0, options(2, false), Progress::default()).unwrap();
    assert_eq!(
        session_ids(&idx),
        ["2/2020-01-01/002", "x/s3/2020-01-01/001"]
    );
    let mut bad = kinds_at(&idx, IssueKind::BadSessionFolder);
    bad.sort();
    let mut expected = vec![
        t.0.join("S\n2/2020-01-01/001"),
        t.0.join("lab\nx/Subjects/s1/2020-01-01/001"),
        t.0.join("my subject/2020-01-01/001"),
    ];
    expected.sort();
    assert_eq!(bad, expected);
    assert!(idx
        .issues
        .iter()
        .any(|i| i.message.contains(r#""S\n2""#) && i.message.contains("subject folder")));
}

#[test]
fn names_that_are_not_utf8_are_reported_by_path() {
    let t = TempTree::new("utf8");
    let raw = |s: &[u8]| OsStr::from_bytes(s).to_owned();
    // A lab folder, a collection and a dataset file whose names are not UTF-8.
    let lab = t.0.join(raw(b"lab\xff"));
    fs::create_dir_all(lab.join("Subjects/s1/2020-01-01/001")).unwrap();
    fs::write(lab.join("Subjects/s1/2020-01-01/001/a.b.npy"), b"").unwrap();
    t.file(&format!("{SESSION}/alf/good.times.npy"), b"");
    let session = t.0.join(SESSION);
    let collection = session.join(raw(b"coll\xfe"));
    fs::create_dir_all(&collection).unwrap();
    fs::write(collection.join("a.b.npy"), b"").unwrap();
    let file = session.join(raw(b"obj\xfd.attr.npy"));
    fs::write(&file, b"").unwrap();
    // Not dataset candidates: no warning.
    fs::write(session.join(raw(b"README\xfc")), b"").unwrap();
    fs::write(t.0.join(raw(b"notes\xfb.x.y")), b"").unwrap();
    let idx = run(&t.0, options(2, false), Progress::default()).unwrap();
    let mut expected = vec![lab, collection, file];
    expected.sort();
    assert_eq!(kinds_at(&idx, IssueKind::NotUtf8), expected);
    assert_eq!(session_ids(&idx), ["lab/s1/2020-01-01/001"]);
}

#[test]
fn a_session_shaped_link_to_an_ancestor_is_reported_not_indexed() {
    let t = TempTree::new("loop");
    t.file("s1/2020-01-01/001/a.b.npy", b"x");
    let to_subject = t.path("s1/2020-01-02/001");
    std::os::unix::fs::symlink("..", &to_subject).unwrap();
    let to_root = t.path("s2/2020-01-01/001");
    std::os::unix::fs::symlink(&t.0, &to_root).unwrap();
    // A link to a sibling session is an ordinary linked session (as in ONE).
    let sibling = t.path("s1/2020-01-01/002");
    std::os::unix::fs::symlink("001", &sibling).unwrap();
    let idx = run(&t.0, options(2, false), Progress::default()).unwrap();
    assert_eq!(
        session_ids(&idx),
        ["s1/2020-01-01/001", "s1/2020-01-01/002"]
    );
    assert_eq!(kinds_at(&idx, IssueKind::LinkLoop), [to_subject, to_root]);
}

/// The content the writer gives a file of `len` bytes: a function of the length, so that any
/// row whose hash is not the md5 of `content(size)` mixes two versions of a file.
fn content(len: usize) -> Vec<u8> {
    vec![u8::try_from(len % 251).unwrap(); len]
}

#[test]
fn a_tree_changing_during_hashed_builds() {
    let t = TempTree::new("live");
    let names: Vec<String> = (0..24)
        .map(|i| format!("{SESSION}/alf/obj{i}.attr.bin"))
        .collect();
    for name in &names {
        t.file(name, &content(1000));
    }
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (root, names, stop) = (t.0.clone(), names.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut x = 12345u64;
            while !stop.load(Ordering::Relaxed) {
                // A small LCG: deterministic, no extra dependency.
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let path = root.join(&names[(x >> 33) as usize % names.len()]);
                let len = (x >> 40) as usize % 300_000;
                if (x >> 20) % 3 == 0 {
                    let _ = fs::remove_file(&path);
                } else {
                    let _ = fs::write(&path, content(len));
                }
            }
        })
    };
    let mut vanished = 0;
    for round in 0..12 {
        let idx = run(&t.0, options(2, true), Progress::default())
            .unwrap_or_else(|e| panic!("round {round}: the build failed: {e}"));
        vanished += kinds_at(&idx, IssueKind::Vanished).len();
        let changing: Vec<PathBuf> = kinds_at(&idx, IssueKind::Changing);
        for (rel, size, hash) in rows(idx) {
            let path = t.0.join(SESSION).join(&rel);
            match hash {
                Some(hash) => {
                    let expected = alf_core::hash::hex(&Md5::digest(content(size as usize)));
                    assert_eq!(hash, expected, "round {round}: {rel} size and md5 disagree");
                }
                None => assert!(changing.contains(&path), "{rel}: null hash, no report"),
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    // Not asserted (it depends on timing), but worth seeing when the test is run with
    // --nocapture: how often a file vanished between the walk and its hash.
    eprintln!("files vanished between walk and hash: {vanished}");
}

fn sample(name: &str) -> TempTree {
    let t = TempTree::new(name);
    for i in 0..30 {
        t.file(
            &format!(
                "lab/Subjects/m{}/2021-03-0{}/001/alf/x{i}.y.npy",
                i % 5,
                1 + i % 9
            ),
            b"x",
        );
    }
    t
}

fn with_faults(faults: Faults) -> Progress {
    Progress {
        faults,
        ..Progress::default()
    }
}

#[test]
fn a_panicking_walker_thread_is_an_error_not_a_hang() {
    let t = sample("panic-walk");
    for threads in [1, 2, 4] {
        let faults = Faults::parse("panic:m3");
        let err = run(&t.0, options(threads, false), with_faults(faults)).unwrap_err();
        match err {
            Error::Panic { message } => assert!(message.contains("injected panic"), "{message}"),
            other => panic!("expected a panic error, got {other}"),
        }
    }
}

#[test]
fn a_panicking_hash_thread_is_an_error_not_a_hang() {
    let t = sample("panic-hash");
    for threads in [1, 3] {
        let faults = Faults::parse("panic:x7.y.npy");
        let err = run(&t.0, options(threads, true), with_faults(faults)).unwrap_err();
        assert!(matches!(err, Error::Panic { .. }), "{err}");
        assert!(err.to_string().contains("x7.y.npy"), "{err}");
    }
}

#[test]
fn a_thread_that_cannot_start_is_an_error() {
    let t = sample("spawn");
    let err = run(
        &t.0,
        options(4, false),
        with_faults(Faults::parse("spawn:2")),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Thread { .. }), "{err}");
    assert!(
        err.to_string().contains("cannot start thread alf-walk-2"),
        "{err}"
    );
    // The hashing pass reports it the same way.
    let stamp = Stamp {
        size: 0,
        mtime_ns: 0,
    };
    let file = t.0.join("none.x.y");
    let err = md5_files(
        4,
        |_| (file.clone(), stamp),
        4,
        &with_faults(Faults::parse("spawn:1")),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("cannot start thread alf-hash-1"),
        "{err}"
    );
}

#[test]
fn an_absurd_thread_count_is_capped() {
    let t = sample("many-threads");
    let idx = run(&t.0, options(usize::MAX, true), Progress::default()).unwrap();
    assert_eq!(rows(idx).len(), 30);
}
