//! A walk split into parts (shards seeded with folders below the root) merges into the same
//! tables, issues and skipped files as one walk of the whole tree, including through the Arrow
//! form the distributed indexer ships between machines.

use std::fs;
use std::path::{Path, PathBuf};

use alf_core::walk::{merge_parts, walk, walk_part, WalkPart};
use alf_core::{index_walk, part, IdScheme, Progress};

struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> Self {
        let root = std::env::temp_dir().join(format!("alf-parts-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        TempTree(fs::canonicalize(root).unwrap())
    }

    fn file(&self, rel: &str) -> &Self {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, rel.as_bytes()).unwrap();
        self
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Sessions in several labs, a lab-less subject, a duplicate session id split across folders
/// that land in different shards, a bad date, a hidden copy, a session link, a nested session,
/// non-ALF names and files outside sessions.
fn tree(name: &str) -> TempTree {
    let t = TempTree::new(name);
    for lab in ["labA", "labB"] {
        for s in 0..4 {
            for d in 1..4 {
                t.file(&format!(
                    "{lab}/Subjects/mouse{s}/2021-03-0{d}/001/alf/_ibl_trials.choice.npy"
                ));
                t.file(&format!(
                    "{lab}/Subjects/mouse{s}/2021-03-0{d}/001/alf/probe00/spikes.times.npy"
                ));
            }
        }
    }
    t.file("labA/Subjects/mouse0/2021-03-01/001/bad name.x.npy")
        .file("labA/Subjects/mouse0/2021-03-01/001/raw/m9/2020-01-02/002/alf/x.y.npy")
        .file("s2/2022-12-31/1/wheel.position.npy")
        .file("x/s2/2022-12-31/1/wheel.position.npy")
        .file("y/s2/2022-12-31/1/wheel.timestamps.npy")
        .file(".snapshot/s2/2022-12-31/1/wheel.position.npy")
        .file("s3/2020-13-45/001/wheel.position.npy")
        .file("root.level.npy")
        .file("labA/top.level.npy");
    std::os::unix::fs::symlink(
        t.0.join("labB/Subjects/mouse1/2021-03-01/001"),
        t.0.join("labB/Subjects/mouse1/2021-03-01/002"),
    )
    .unwrap();
    // A session-shaped link to the root: a loop, reported and skipped.
    std::os::unix::fs::symlink(&t.0, t.0.join("labB/Subjects/mouse2/2021-03-02/003")).unwrap();
    t
}

/// What the planner does: lists folders that cannot be session folders, level by level, down
/// to `depth`, and returns every entry left unlisted as a seed.
fn seeds(root: &Path, depth: usize) -> Vec<String> {
    let mut frontier = vec![root.to_path_buf()];
    let mut out = Vec::new();
    for level in 0..=depth {
        let mut next = Vec::new();
        for folder in frontier {
            for entry in fs::read_dir(&folder).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name().into_string().unwrap();
                let plain_dir = entry.file_type().unwrap().is_dir();
                if name.starts_with('.') {
                    continue;
                }
                if level < depth && plain_dir && name.chars().count() > 3 {
                    next.push(entry.path());
                } else {
                    out.push(entry.path().to_str().unwrap().to_owned());
                }
            }
        }
        frontier = next;
    }
    out.sort();
    out
}

fn summary(
    root: &Path,
    w: alf_core::Walk,
    ids: IdScheme,
) -> (
    String,
    Vec<arrow_array::RecordBatch>,
    Vec<String>,
    Vec<String>,
) {
    let show = |v: &Vec<alf_core::Issue>| {
        v.iter()
            .map(|i| format!("{}|{:?}|{}", i.path.display(), i.kind, i.message))
            .collect::<Vec<_>>()
    };
    let _ = root;
    let (issues, skipped) = (show(&w.issues), show(&w.skipped));
    let idx = index_walk(w, ids, None).unwrap();
    let sessions = format!("{:?}", idx.tables.sessions);
    (
        sessions,
        idx.tables.datasets.collect_batches().unwrap(),
        issues,
        skipped,
    )
}

#[test]
fn parts_merge_into_the_walk_of_the_whole_tree() {
    let t = tree("merge");
    let progress = Progress::default();
    for ids in [IdScheme::Stable, IdScheme::Strings] {
        let whole = summary(&t.0, walk(&t.0, 2, ids, &progress).unwrap(), ids);
        assert!(whole.2.iter().any(|i| i.contains("DuplicateSession")));
        assert!(whole.2.iter().any(|i| i.contains("BadSessionFolder")));
        assert!(whole.2.iter().any(|i| i.contains("LinkLoop")));
        assert_eq!(whole.3.len(), 1);
        for depth in 0..5 {
            let seeds = seeds(&t.0, depth);
            for n_parts in [1, 2, 3] {
                // Interleaved, so that neighbours (and the duplicate sessions) land in
                // different parts.
                let parts: Vec<WalkPart> = (0..n_parts)
                    .map(|k| {
                        let mine: Vec<String> =
                            seeds.iter().skip(k).step_by(n_parts).cloned().collect();
                        let part = walk_part(&t.0, Some(&mine), 1, ids, &progress).unwrap();
                        let batches = part::to_batches(&part).unwrap();
                        part::from_batches(&batches, "test").unwrap()
                    })
                    .collect();
                let merged = merge_parts(t.0.clone(), parts);
                assert_eq!(
                    summary(&t.0, merged, ids),
                    whole,
                    "depth {depth}, {n_parts} parts"
                );
            }
        }
        let all = walk_part(&t.0, None, 2, ids, &progress).unwrap();
        assert_eq!(
            summary(&t.0, merge_parts(t.0.clone(), vec![all]), ids),
            whole
        );
    }
}

#[test]
fn a_seed_outside_the_root_is_an_error_naming_it() {
    let t = tree("outside");
    let err = walk_part(
        &t.0.join("labA"),
        Some(&[t.0.join("labB").to_str().unwrap().to_owned()]),
        1,
        IdScheme::Stable,
        &Progress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("labB") && err.contains("not below the root"),
        "{err}"
    );
}

#[test]
fn a_root_session_is_walked_whole() {
    let t = TempTree::new("rootses");
    t.file("sub/2020-01-01/001/alf/x.y.npy");
    let root = t.0.join("sub/2020-01-01/001");
    let progress = Progress::default();
    let whole = summary(
        &root,
        walk(&root, 1, IdScheme::Stable, &progress).unwrap(),
        IdScheme::Stable,
    );
    let part = walk_part(&root, None, 1, IdScheme::Stable, &progress).unwrap();
    let merged = merge_parts(root.clone(), vec![part]);
    assert_eq!(summary(&root, merged, IdScheme::Stable), whole);
}
