//! The walker and table builder on small trees made in a temporary folder.

use std::fs;
use std::path::{Path, PathBuf};

use alf_core::{index, IdScheme, IndexOptions, IssueKind, Progress};
use arrow_array::cast::AsArray;
use arrow_array::RecordBatch;

struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> Self {
        let root = std::env::temp_dir().join(format!("alf-core-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        TempTree(root)
    }

    fn file(&self, rel: &str, content: &[u8]) -> &Self {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        self
    }

    fn dir(&self, rel: &str) -> &Self {
        fs::create_dir_all(self.0.join(rel)).unwrap();
        self
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let col = batch.column_by_name(column).unwrap();
    match col.data_type() {
        arrow_schema::DataType::LargeUtf8 => col
            .as_string::<i64>()
            .iter()
            .map(|s| s.unwrap_or("").to_owned())
            .collect(),
        _ => col
            .as_string::<i32>()
            .iter()
            .map(|s| s.unwrap_or("").to_owned())
            .collect(),
    }
}

struct Facts {
    issues: Vec<alf_core::Issue>,
    skipped: Vec<alf_core::Issue>,
    bytes: u64,
}

fn run(root: &Path, threads: usize, ids: IdScheme) -> (RecordBatch, Vec<RecordBatch>, Facts) {
    let options = IndexOptions {
        threads,
        hash_files: false,
        ids,
    };
    let alf_core::Index {
        tables,
        issues,
        skipped,
        bytes,
        ..
    } = index(root, &options, &Progress::default()).unwrap();
    let batches = tables.datasets.collect_batches().unwrap();
    let facts = Facts {
        issues,
        skipped,
        bytes,
    };
    (tables.sessions, batches, facts)
}

fn sample_tree(name: &str) -> TempTree {
    let t = TempTree::new(name);
    t.file(
        "lab1/Subjects/s1/2023-01-01/001/alf/_ibl_trials.choice.npy",
        b"12",
    )
    .file(
        "lab1/Subjects/s1/2023-01-01/001/alf/#v1#/_ibl_trials.choice.npy",
        b"123",
    )
    .file(
        "lab1/Subjects/s1/2023-01-01/001/alf/probe00/spikes.times.npy",
        b"",
    )
    .file("lab1/Subjects/s1/2023-01-01/001/.hidden/obj.attr.npy", b"")
    .file("lab1/Subjects/s1/2023-01-01/001/README", b"")
    .file("lab1/Subjects/s1/2023-01-01/001/bad name.x.npy", b"")
    .file("lab1/Subjects/s1/2023-01-01/002/wheel.position.npy", b"")
    .file("s2/2022-12-31/1/wheel.position.npy", b"")
    .file(".snapshot/s2/2022-12-31/1/wheel.position.npy", b"")
    .file("s3/2020-13-45/001/wheel.position.npy", b"")
    .file("root.level.npy", b"")
    .dir("lab1/Subjects/s4/2023-02-02/003");
    t
}

#[test]
fn finds_sessions_datasets_and_reports_the_rest() {
    let t = sample_tree("find");
    let (sessions, batches, idx) = run(&t.0, 2, IdScheme::Strings);
    assert_eq!(
        strings(&sessions, "id"),
        [
            "lab1/s1/2023-01-01/001",
            "lab1/s1/2023-01-01/002",
            "lab1/s4/2023-02-02/003",
            "s2/2022-12-31/1"
        ]
    );
    assert_eq!(strings(&sessions, "lab"), ["lab1", "lab1", "lab1", ""]);
    let rel: Vec<String> = batches
        .iter()
        .flat_map(|b| strings(b, "rel_path"))
        .collect();
    assert_eq!(
        rel,
        [
            ".hidden/obj.attr.npy",
            "alf/#v1#/_ibl_trials.choice.npy",
            "alf/_ibl_trials.choice.npy",
            "alf/probe00/spikes.times.npy",
            "wheel.position.npy",
            "wheel.position.npy"
        ]
    );
    assert_eq!(idx.bytes, 5);
    assert_eq!(idx.skipped.len(), 1);
    assert!(idx.skipped[0].path.ends_with("bad name.x.npy"));
    assert_eq!(idx.issues.len(), 1);
    assert_eq!(idx.issues[0].kind, IssueKind::BadSessionFolder);
    assert!(idx.issues[0].path.ends_with("s3/2020-13-45/001"));
}

#[test]
fn thread_count_does_not_change_the_tables() {
    let t = sample_tree("threads");
    for i in 0..40 {
        t.file(
            &format!(
                "lab2/Subjects/m{}/2021-03-0{}/00{}/alf/x.y.npy",
                i % 7,
                1 + i % 9,
                i % 10
            ),
            b"x",
        );
    }
    for scheme in [IdScheme::Strings, IdScheme::Stable] {
        let (s1, d1, _) = run(&t.0, 1, scheme);
        for threads in [2, 3, 8] {
            let (s, d, _) = run(&t.0, threads, scheme);
            assert_eq!(s, s1);
            assert_eq!(d, d1);
        }
    }
}

#[test]
fn stable_ids_are_sorted_and_unique() {
    let t = sample_tree("ids");
    let (sessions, batches, _) = run(&t.0, 2, IdScheme::Stable);
    let ids = strings(&sessions, "id");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let pairs: Vec<(String, String)> = batches
        .iter()
        .flat_map(|b| strings(b, "eid").into_iter().zip(strings(b, "id")))
        .collect();
    let mut sorted = pairs.clone();
    sorted.sort();
    assert_eq!(pairs, sorted);
    // Rows are sorted by (eid, id), not by id: sort before looking for duplicates, or a
    // duplicate across sessions would go unseen.
    let mut dataset_ids: Vec<&String> = pairs.iter().map(|(_, id)| id).collect();
    dataset_ids.sort_unstable();
    dataset_ids.dedup();
    assert_eq!(dataset_ids.len(), pairs.len());
    assert!(pairs.len() > 1);
}

#[test]
fn missing_root_is_an_error_naming_it() {
    let missing = std::env::temp_dir().join("alf-core-definitely-missing");
    let options = IndexOptions {
        threads: 1,
        hash_files: false,
        ids: IdScheme::Stable,
    };
    let err = index(&missing, &options, &Progress::default()).unwrap_err();
    assert!(err.to_string().contains("alf-core-definitely-missing"));
}

#[test]
fn cancelling_stops_the_walk() {
    let t = sample_tree("cancel");
    let progress = Progress::default();
    progress
        .cancel
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let options = IndexOptions {
        threads: 2,
        hash_files: false,
        ids: IdScheme::Stable,
    };
    assert!(matches!(
        index(&t.0, &options, &progress),
        Err(alf_core::Error::Cancelled)
    ));
}

#[test]
fn the_hash_pass_knows_its_total() {
    let t = TempTree::new("to-hash");
    t.file("sub/2020-01-01/001/alf/a.b.npy", &[0; 1000])
        .file("sub/2020-01-01/001/alf/c.d.npy", &[0; 24]);
    let (hashing, plain) = (Progress::default(), Progress::default());
    for (hash_files, progress) in [(true, &hashing), (false, &plain)] {
        let options = IndexOptions {
            threads: 2,
            hash_files,
            ids: IdScheme::Stable,
        };
        index(&t.0, &options, progress).unwrap();
    }
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(load(&hashing.bytes_to_hash), 1024);
    assert_eq!(load(&hashing.bytes_hashed), 1024);
    assert_eq!(load(&plain.bytes_to_hash), 0);
}
