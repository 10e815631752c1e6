//! Parallel walk of an ALF tree: finds session folders and the ALF datasets inside them.
//!
//! The scheduler follows the `ignore` crate's parallel walker: scoped threads made for this walk
//! only (no global pool, so nothing to fork-proof), one LIFO deque per thread (depth first keeps
//! the number of queued folders small on wide trees) and batch stealing between threads. A work
//! item is a folder; files never become work items. Termination uses a count of folders pushed
//! but not yet finished: when it drops to zero no thread holds or can create work, which avoids
//! the race of counting idle workers. Each thread fills its own collector; the collectors are
//! merged and sorted once at the end, so the result is the same whatever the thread count.
//!
//! What is indexed is what ONE indexes (contract section 1.6), except where ONE writes tables it
//! cannot load: hidden folders are not searched for sessions, names that are not valid ALF paths
//! are skipped and reported, a folder that looks like a session but has an impossible date is
//! reported and walked as an ordinary folder, a session folder inside a session belongs to the
//! outer session, and a lab folder that is not below the root is not recorded.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_deque::{Steal, Stealer, Worker};

use crate::error::{Error, Result};
use crate::hash::{special_type, Stamp};
use crate::ids::IdScheme;
use crate::spec::{self, SessionParts};
pub use crate::threads::default_threads;
use crate::threads::{self, join_all, spawn_worker, Faults, QuitOnPanic};

/// Counters shared with the caller while a walk or a hashing pass runs, for progress display,
/// plus a flag the caller sets to stop early.
#[derive(Debug, Default)]
pub struct Progress {
    /// Dataset files found so far.
    pub files: AtomicU64,
    /// Folders read so far.
    pub dirs: AtomicU64,
    /// Files hashed so far.
    pub files_hashed: AtomicU64,
    /// Bytes hashed so far.
    pub bytes_hashed: AtomicU64,
    /// Bytes the hash pass will read, set when the walk ends (0 before, or without hashing),
    /// so a progress line can show a percentage and time left.
    pub bytes_to_hash: AtomicU64,
    /// Set by the caller to stop the operation; it then returns [`Error::Cancelled`]. Only
    /// the caller sets it: a run that fails leaves it alone, so a `Progress` can be reused.
    pub cancel: AtomicBool,
    /// Faults injected by tests.
    #[doc(hidden)]
    pub faults: Faults,
}

impl Progress {
    /// True once the caller has asked the operation to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A session folder found by the walk.
#[derive(Debug, Clone)]
pub struct Session {
    /// Absolute path of the session folder.
    pub path: PathBuf,
    /// Parsed parts; `lab` is `None` unless the lab folder lies below the root.
    pub parts: SessionParts,
    /// ONE's session string id (`lab/subject/date/number`, lab left out when absent).
    pub string_id: String,
    /// The date as days since 1970-01-01.
    pub days: i32,
    /// The session number.
    pub number: u16,
}

/// An ALF dataset file found inside a session.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Index of its session in [`Walk::sessions`].
    pub session: u32,
    /// POSIX path relative to the session folder (`collection/#revision#/file`). A boxed
    /// `str`, not a `String`: eight bytes fewer per dataset, and there are millions.
    pub rel_path: Box<str>,
    /// Size in bytes (of the target, for a symbolic link).
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// The dataset UUID as an integer (0 for string ids). Computed by the walker threads while
    /// the name is in cache, rather than in a pass of its own afterwards.
    pub id: u128,
}

/// What went wrong with one path. The walk carries on after every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// A folder or file could not be read (permissions, I/O error).
    Unreadable,
    /// An entry disappeared between being listed and being examined.
    Vanished,
    /// A file inside a session whose relative path is not valid ALF (skipped).
    NotAlf,
    /// A folder shaped like a session whose date or number cannot be a session's.
    BadSessionFolder,
    /// A second session folder with the same session string id as an earlier one (skipped).
    DuplicateSession,
    /// An entry named like a dataset that is not a regular file (FIFO, socket, device),
    /// skipped without being opened.
    NotAFile,
    /// A name that is not valid UTF-8 where a dataset or a folder that may hold sessions was
    /// expected (skipped; ALF names are text).
    NotUtf8,
    /// A session-shaped link to one of its own ancestors: indexing it would index the tree
    /// again inside itself (skipped).
    LinkLoop,
    /// A file that changed while it was hashed, every time it was read: indexed with no hash.
    Changing,
}

impl IssueKind {
    /// Every kind, for mapping names back.
    pub const ALL: [IssueKind; 9] = [
        IssueKind::Unreadable,
        IssueKind::Vanished,
        IssueKind::NotAlf,
        IssueKind::BadSessionFolder,
        IssueKind::DuplicateSession,
        IssueKind::NotAFile,
        IssueKind::NotUtf8,
        IssueKind::LinkLoop,
        IssueKind::Changing,
    ];

    /// The kind's name as reported to Python (`unreadable`, `not_alf`, ...).
    pub fn name(self) -> &'static str {
        match self {
            IssueKind::Unreadable => "unreadable",
            IssueKind::Vanished => "vanished",
            IssueKind::NotAlf => "not_alf",
            IssueKind::BadSessionFolder => "bad_session_folder",
            IssueKind::DuplicateSession => "duplicate_session",
            IssueKind::NotAFile => "not_a_file",
            IssueKind::NotUtf8 => "not_utf8",
            IssueKind::LinkLoop => "link_loop",
            IssueKind::Changing => "changing",
        }
    }

    /// The kind named `name` by [`IssueKind::name`].
    pub fn from_name(name: &str) -> Option<IssueKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A path the walk could not index, with the reason.
#[derive(Debug, Clone)]
pub struct Issue {
    /// The path concerned.
    pub path: PathBuf,
    /// The category, used by callers to decide how loudly to report it.
    pub kind: IssueKind,
    /// Human-readable explanation.
    pub message: String,
}

/// Everything a walk found: sessions sorted by path (Python's `sorted(Path)` order), datasets in
/// no particular order ([`crate::table::build`] orders the rows).
#[derive(Debug, Default)]
pub struct Walk {
    /// The resolved root.
    pub root: PathBuf,
    /// Session folders, sorted by path.
    pub sessions: Vec<Session>,
    /// ALF datasets, unordered.
    pub datasets: Vec<Dataset>,
    /// Problems that warrant a warning (unreadable, vanished, bad session folder, duplicate).
    pub issues: Vec<Issue>,
    /// Files skipped because their relative path is not valid ALF.
    pub skipped: Vec<Issue>,
}

/// Where a queued folder sits relative to the sessions found so far.
struct SessionCtx {
    /// Provisional id, replaced by the sorted index when the walk ends.
    temp_id: u32,
    /// The session string id, from which dataset ids are derived.
    string_id: String,
    /// Byte length of the session folder's path plus the separator.
    prefix_len: usize,
}

struct Job {
    path: String,
    session: Option<Arc<SessionCtx>>,
}

#[derive(Default)]
struct Collector {
    sessions: Vec<(u32, Session)>,
    /// Datasets whose `session` is still the provisional id.
    datasets: Vec<Dataset>,
    issues: Vec<Issue>,
    skipped: Vec<Issue>,
}

struct Shared<'a> {
    stealers: Vec<Stealer<Job>>,
    /// Folders pushed but not finished; zero means the walk is over.
    pending: AtomicUsize,
    next_session: AtomicUsize,
    /// Set when a worker panics, so that the others stop instead of waiting for its folders.
    quit: AtomicBool,
    root_len: usize,
    ids: IdScheme,
    progress: &'a Progress,
}

/// Walks `root` with `threads` threads (0 means [`default_threads`]; more than
/// [`threads::max_threads`] are capped), computing each dataset's id by `ids`.
///
/// Fails only when the root itself is unusable (missing, not a folder, not UTF-8), a thread
/// cannot be started or panics, or the walk is cancelled; every other problem becomes an
/// [`Issue`].
pub fn walk(root: &Path, threads: usize, ids: IdScheme, progress: &Progress) -> Result<Walk> {
    let (root, root_str) = canonical_root(root)?;
    let threads = threads::resolve(threads);

    let workers: Vec<Worker<Job>> = (0..threads).map(|_| Worker::new_lifo()).collect();
    let shared = Shared {
        stealers: workers.iter().map(Worker::stealer).collect(),
        pending: AtomicUsize::new(0),
        next_session: AtomicUsize::new(0),
        quit: AtomicBool::new(false),
        root_len: root_str.len(),
        ids,
        progress,
    };

    // The root may itself be a session folder (ONE accepts that).
    let mut root_collector = Collector::default();
    let root_session = session_for_dir(&shared, &root_str, 0, &mut root_collector);
    push(
        &workers[0],
        &shared,
        Job {
            path: root_str.clone(),
            session: root_session,
        },
    );

    let mut collectors = run_workers(workers, &shared)?;
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    collectors.push(root_collector);
    Ok(merge(root, collectors))
}

/// The canonical root and its UTF-8 form; fails naming the path when it is missing, not a
/// folder or not UTF-8.
fn canonical_root(root: &Path) -> Result<(PathBuf, String)> {
    let root = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    if !root.is_dir() {
        return Err(Error::NotADirectory { path: root });
    }
    let root_str = root
        .to_str()
        .ok_or_else(|| Error::Invalid {
            path: root.clone(),
            message: "path is not valid UTF-8".into(),
        })?
        .to_owned();
    Ok((root, root_str))
}

/// One shard's share of a walk, before sessions are sorted and duplicate session ids dropped:
/// that needs every shard's sessions, so it happens in [`merge_parts`].
#[derive(Debug, Default)]
pub struct WalkPart {
    /// Session folders found, in no particular order; [`Dataset::session`] indexes this.
    pub sessions: Vec<Session>,
    /// ALF datasets, unordered.
    pub datasets: Vec<Dataset>,
    /// Problems that warrant a warning.
    pub issues: Vec<Issue>,
    /// Files skipped because their relative path is not valid ALF.
    pub skipped: Vec<Issue>,
}

/// Walks part of the tree under `root`: each of `seeds` is handled exactly as the walk of the
/// whole tree handles that entry when it reads the seed's parent folder, so sessions, labs,
/// ids and relative paths are named against the real root. Together, the parts of seeds that
/// cover the tree (every entry of the folders above them that a walk would process) merge by
/// [`merge_parts`] into the same [`Walk`] as [`walk`] of the root.
///
/// `None` walks the whole root, as [`walk`] does. A seed must be below the root and its parent
/// folder must not be inside a session (the shard planner only lists folders that cannot be
/// session folders).
pub fn walk_part(
    root: &Path,
    seeds: Option<&[String]>,
    threads: usize,
    ids: IdScheme,
    progress: &Progress,
) -> Result<WalkPart> {
    let (_, root_str) = canonical_root(root)?;
    let threads = threads::resolve(threads);
    let workers: Vec<Worker<Job>> = (0..threads).map(|_| Worker::new_lifo()).collect();
    let shared = Shared {
        stealers: workers.iter().map(Worker::stealer).collect(),
        pending: AtomicUsize::new(0),
        next_session: AtomicUsize::new(0),
        quit: AtomicBool::new(false),
        root_len: root_str.len(),
        ids,
        progress,
    };
    let mut seed_collector = Collector::default();
    match seeds {
        None => {
            let session = session_for_dir(&shared, &root_str, 0, &mut seed_collector);
            let path = root_str.clone();
            push(&workers[0], &shared, Job { path, session });
        }
        Some(seeds) => {
            let prefix = format!("{root_str}/");
            for (i, seed) in seeds.iter().enumerate() {
                let Some(name) = seed.strip_prefix(&prefix).filter(|r| !r.is_empty()) else {
                    return Err(Error::Invalid {
                        path: PathBuf::from(seed),
                        message: format!("shard folder is not below the root {root_str}"),
                    });
                };
                let name = name.rsplit('/').next().unwrap_or(name);
                let worker = &workers[i % threads];
                seed_entry(seed, name, worker, &shared, &mut seed_collector);
            }
        }
    }
    let mut collectors = run_workers(workers, &shared)?;
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    collectors.push(seed_collector);
    Ok(join_collectors(collectors))
}

/// Handles the seed `path` (last component `name`) as [`read_folder`] handles an entry of a
/// folder outside any session: hidden entries are left out, a folder is queued (as a session
/// if it is one), a link is followed only to a session folder, and files are not datasets.
fn seed_entry(
    path: &str,
    name: &str,
    worker: &Worker<Job>,
    shared: &Shared<'_>,
    out: &mut Collector,
) {
    if name.starts_with('.') {
        return;
    }
    let file_type = match fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type(),
        Err(e) => {
            out.issues
                .push(io_issue(Path::new(path), &e, "cannot stat"));
            return;
        }
    };
    if file_type.is_dir() {
        let session = session_for_dir(shared, path, name.len(), out);
        let path = path.to_owned();
        push(worker, shared, Job { path, session });
    } else if file_type.is_symlink() && fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let parent = &path[..path.len() - name.len() - 1];
        if spec::session_at_end(path).is_some() && links_to_ancestor(parent, path, out) {
            return;
        }
        if let Some(session) = session_for_dir(shared, path, name.len(), out) {
            let (path, session) = (path.to_owned(), Some(session));
            push(worker, shared, Job { path, session });
        }
    }
}

/// Runs one walker thread per deque until the walk is over; a thread that cannot be started
/// stops the others and fails the walk.
fn run_workers(workers: Vec<Worker<Job>>, shared: &Shared<'_>) -> Result<Vec<Collector>> {
    let threads = workers.len();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        let mut failed = None;
        for (i, worker) in workers.into_iter().enumerate() {
            match spawn_worker(scope, "alf-walk", i, shared.progress, move || {
                run_worker(i, &worker, shared)
            }) {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    // Stop the threads already running; the walk has failed.
                    shared.quit.store(true, Ordering::Relaxed);
                    failed = Some(e);
                    break;
                }
            }
        }
        let joined = join_all(handles);
        match failed {
            Some(e) => Err(e),
            None => joined,
        }
    })
}

/// Concatenates the collectors of one walk, renumbering nothing: provisional session ids are
/// unique in a walk and dense from 0, so they become positions in `sessions`.
fn join_collectors(collectors: Vec<Collector>) -> WalkPart {
    let mut sessions: Vec<(u32, Session)> = Vec::new();
    let mut part = WalkPart::default();
    for mut c in collectors {
        sessions.append(&mut c.sessions);
        if part.datasets.is_empty() {
            part.datasets = c.datasets;
        } else {
            part.datasets.append(&mut c.datasets);
        }
        part.issues.append(&mut c.issues);
        part.skipped.append(&mut c.skipped);
    }
    sessions.sort_unstable_by_key(|(id, _)| *id);
    debug_assert!(sessions
        .iter()
        .enumerate()
        .all(|(i, (id, _))| *id as usize == i));
    part.sessions = sessions.into_iter().map(|(_, s)| s).collect();
    part
}

/// Merges the parts of a sharded walk of `root` into the [`Walk`] that [`walk`] makes of the
/// whole tree: sessions sorted by path, a duplicate session id kept only in the first folder
/// (whichever part found it), issues sorted by path.
pub fn merge_parts(root: PathBuf, parts: Vec<WalkPart>) -> Walk {
    let mut all = Collector::default();
    for part in parts {
        let offset = index_u32(all.sessions.len());
        all.sessions.extend(
            part.sessions
                .into_iter()
                .enumerate()
                .map(|(i, s)| (offset + index_u32(i), s)),
        );
        all.datasets.extend(part.datasets.into_iter().map(|mut d| {
            d.session += offset;
            d
        }));
        all.issues.extend(part.issues);
        all.skipped.extend(part.skipped);
    }
    merge(root, vec![all])
}

fn push(worker: &Worker<Job>, shared: &Shared<'_>, job: Job) {
    shared.pending.fetch_add(1, Ordering::AcqRel);
    worker.push(job);
}

fn run_worker(index: usize, worker: &Worker<Job>, shared: &Shared<'_>) -> Collector {
    let _guard = QuitOnPanic(&shared.quit);
    let mut out = Collector::default();
    let mut idle_rounds = 0u32;
    loop {
        if shared.progress.cancelled() || shared.quit.load(Ordering::Relaxed) {
            break;
        }
        match worker.pop().or_else(|| steal(index, worker, shared)) {
            Some(job) => {
                idle_rounds = 0;
                read_folder(&job, worker, shared, &mut out);
                shared.pending.fetch_sub(1, Ordering::AcqRel);
            }
            None => {
                if shared.pending.load(Ordering::Acquire) == 0 {
                    break;
                }
                // Back off gently: on a two-core machine a spinning thief steals cycles from
                // the thread that is producing the work it waits for.
                idle_rounds += 1;
                if idle_rounds < 16 {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
    }
    out
}

fn steal(index: usize, worker: &Worker<Job>, shared: &Shared<'_>) -> Option<Job> {
    let n = shared.stealers.len();
    // Start with the next thread and wrap round, as `ignore` does, so no thread is favoured.
    for k in 1..n {
        let victim = &shared.stealers[(index + k) % n];
        loop {
            match victim.steal_batch_and_pop(worker) {
                Steal::Success(job) => return Some(job),
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
    }
    None
}

fn read_folder(job: &Job, worker: &Worker<Job>, shared: &Shared<'_>, out: &mut Collector) {
    shared.progress.dirs.fetch_add(1, Ordering::Relaxed);
    shared.progress.faults.maybe_panic(Path::new(&job.path));
    let entries = match fs::read_dir(&job.path) {
        Ok(entries) => entries,
        Err(e) => {
            out.issues
                .push(io_issue(Path::new(&job.path), &e, "cannot read folder"));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.issues
                    .push(io_issue(Path::new(&job.path), &e, "cannot list folder"));
                continue;
            }
        };
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            not_utf8(&entry, job.session.is_some(), out);
            continue;
        };
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) => {
                let path = join(&job.path, name);
                out.issues
                    .push(io_issue(Path::new(&path), &e, "cannot stat"));
                continue;
            }
        };
        if file_type.is_dir() {
            let session = match &job.session {
                Some(ctx) => Some(Arc::clone(ctx)),
                // Outside sessions, hidden folders (.snapshot, .Trash, ...) are copies or
                // debris; searching them would index the same sessions twice.
                None if name.starts_with('.') => continue,
                None => session_for_dir(shared, &join(&job.path, name), name.len(), out),
            };
            let path = join(&job.path, name);
            push(worker, shared, Job { path, session });
        } else if let Some(ctx) = &job.session {
            add_dataset(
                ctx,
                &job.path,
                name,
                &entry,
                file_type.is_symlink(),
                shared,
                out,
            );
        } else if file_type.is_symlink() && !name.starts_with('.') {
            // Like ONE, a linked folder counts when it is itself a session folder (labs link
            // sessions into a tree), but links are never followed in the search for sessions,
            // which also keeps the walk safe from link cycles.
            let path = join(&job.path, name);
            if fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                if spec::session_at_end(&path).is_some() && links_to_ancestor(&job.path, &path, out)
                {
                    continue;
                }
                if let Some(session) = session_for_dir(shared, &path, name.len(), out) {
                    let session = Some(session);
                    push(worker, shared, Job { path, session });
                }
            }
        }
    }
}

/// Reports an entry whose name is not UTF-8 where it matters: a folder that may hold sessions
/// or datasets, or a file inside a session named like a dataset. Such a name cannot be ALF, and
/// ONE would record a row it cannot load; skipping it silently would hide data.
fn not_utf8(entry: &fs::DirEntry, in_session: bool, out: &mut Collector) {
    let name = entry.file_name();
    let bytes = name.as_encoded_bytes();
    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
    let message = if is_dir && !in_session && bytes.first() == Some(&b'.') {
        return; // hidden folders are not searched outside sessions anyway
    } else if is_dir {
        "skipped with everything below it: the folder name is not valid UTF-8"
    } else if in_session && bytes.iter().filter(|&&b| b == b'.').count() >= 2 {
        "skipped: the file name is not valid UTF-8"
    } else {
        return; // not a dataset candidate
    };
    out.issues.push(Issue {
        path: entry.path(),
        kind: IssueKind::NotUtf8,
        message: message.into(),
    });
}

/// True (and reported) if the folder link `link` in `parent` points at `parent` or one of its
/// ancestors: indexed as a session, it would hold the whole tree again.
fn links_to_ancestor(parent: &str, link: &str, out: &mut Collector) -> bool {
    // `parent` is canonical: the walk starts from the canonical root and follows no links
    // outside sessions.
    let Ok(target) = fs::canonicalize(link) else {
        return false;
    };
    if !Path::new(parent).starts_with(&target) {
        return false;
    }
    out.issues.push(Issue {
        path: PathBuf::from(link),
        kind: IssueKind::LinkLoop,
        message: format!(
            "skipped: a link to {}, a folder that contains the link (a loop)",
            target.display()
        ),
    });
    true
}

fn join(dir: &str, name: &str) -> String {
    let mut path = String::with_capacity(dir.len() + 1 + name.len());
    path.push_str(dir);
    path.push('/');
    path.push_str(name);
    path
}

/// Returns a new session context if the folder at `path` (whose last component is `name_len`
/// bytes long) is a session folder, recording the session in `out`.
fn session_for_dir(
    shared: &Shared<'_>,
    path: &str,
    name_len: usize,
    out: &mut Collector,
) -> Option<Arc<SessionCtx>> {
    // Cheap shape test first: a number folder of one to three characters below a ten-character
    // date folder. Most folders fail here without touching the regex.
    if name_len > 0 {
        let name = &path[path.len() - name_len..];
        let n = name.chars().count();
        if !(1..=3).contains(&n) || !name.chars().all(char::is_numeric) {
            return None;
        }
        let parent = &path[..path.len() - name_len - 1];
        let date = parent.rsplit('/').next().unwrap_or("");
        if date.chars().count() != 10 {
            return None;
        }
    }
    let trimmed = path.trim_end_matches('/');
    let (mut parts, start) = spec::session_at_end(trimmed)?;
    if let Some(message) = partial_name(trimmed, &parts, start, shared.root_len) {
        out.issues.push(Issue {
            path: PathBuf::from(path),
            kind: IssueKind::BadSessionFolder,
            message: format!("not indexed as a session: {message}"),
        });
        return None;
    }
    if !spec::is_real_date(&parts.date) {
        out.issues.push(Issue {
            path: PathBuf::from(path),
            kind: IssueKind::BadSessionFolder,
            message: format!(
                "not indexed as a session: '{}' is not a real date (YYYY-MM-DD)",
                parts.date
            ),
        });
        return None;
    }
    let Ok(number) = parts.number.parse::<u16>() else {
        out.issues.push(Issue {
            path: PathBuf::from(path),
            kind: IssueKind::BadSessionFolder,
            message: format!(
                "not indexed as a session: number folder '{}' is not ASCII digits",
                parts.number
            ),
        });
        return None;
    };
    // A lab folder that is the root itself or above it is not part of the indexed tree; ONE
    // would record it and then look for data under root/<lab>/Subjects, which does not exist.
    if parts.lab.is_some() && start <= shared.root_len {
        parts.lab = None;
    }
    let days = spec::days_since_epoch(&parts.date)?;
    let temp_id = index_u32(shared.next_session.fetch_add(1, Ordering::Relaxed));
    let string_id = spec::session_string_id(&parts);
    out.sessions.push((
        temp_id,
        Session {
            path: PathBuf::from(path),
            string_id: string_id.clone(),
            parts,
            days,
            number,
        },
    ));
    Some(Arc::new(SessionCtx {
        temp_id,
        string_id,
        prefix_len: trimmed.len() + 1,
    }))
}

/// Why the session ending `path` must not be recorded as ONE's pattern found it, if it must not:
/// the pattern is not anchored at a folder boundary, so for a subject folder `S\n2` (or
/// `my subject`) it finds the subject `2` (`subject`), a different subject's name. A subject
/// folder must be a whole ALF name. A lab folder may keep ONE's reading (`lab-x` is lab `x`,
/// which ONE's tables and ours agree on) unless its name holds a control character such as a
/// newline: a crafted name, never a lab.
fn partial_name(path: &str, parts: &SessionParts, start: usize, root_len: usize) -> Option<String> {
    let component_ending = |end: usize| {
        let begin = path[..end].rfind('/').map_or(0, |i| i + 1);
        &path[begin..end]
    };
    let subject_end = path.len() - parts.number.len() - parts.date.len() - 2;
    let subject_start = subject_end - parts.subject.len();
    let whole = |at: usize| at == 0 || path.as_bytes()[at - 1] == b'/';
    if !whole(subject_start) {
        return Some(format!(
            "the subject folder {:?} is not a valid ALF subject name (letters, digits, '_', '.', '-')",
            component_ending(subject_end)
        ));
    }
    if let Some(lab) = &parts.lab {
        let lab_folder = component_ending(start + lab.len());
        if start > root_len && !whole(start) && lab_folder.chars().any(char::is_control) {
            return Some(format!(
                "the lab folder {lab_folder:?} holds a control character; it is not a lab name"
            ));
        }
    }
    None
}

fn add_dataset(
    ctx: &SessionCtx,
    dir: &str,
    name: &str,
    entry: &fs::DirEntry,
    is_symlink: bool,
    shared: &Shared<'_>,
    out: &mut Collector,
) {
    // ONE only considers names with at least two dots (glob `*.*.*`); others are not datasets
    // and are not worth a report.
    if name.bytes().filter(|&b| b == b'.').count() < 2 {
        return;
    }
    // Built from the folder's relative part and the name: the full path is only needed on the
    // rare paths below (links, errors), and every copy counts at a million files.
    let dir_rel = dir.get(ctx.prefix_len..).unwrap_or("");
    let mut rel_path = String::with_capacity(dir_rel.len() + 1 + name.len());
    if !dir_rel.is_empty() {
        rel_path.push_str(dir_rel);
        rel_path.push('/');
    }
    rel_path.push_str(name);
    if !spec::is_valid_rel_path(&rel_path) {
        let message = if spec::is_valid_filename(name) {
            "skipped: folder names between the session and the file are not a valid ALF collection/revision"
        } else {
            "skipped: not a valid ALF file name"
        };
        out.skipped.push(Issue {
            path: PathBuf::from(join(dir, name)),
            kind: IssueKind::NotAlf,
            message: message.into(),
        });
        return;
    }
    // Symbolic links count with their target's size, as in ONE (`stat` follows links).
    let meta = if is_symlink {
        fs::metadata(join(dir, name))
    } else {
        entry.metadata()
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) if is_symlink && e.kind() == std::io::ErrorKind::NotFound => {
            out.issues.push(Issue {
                path: PathBuf::from(join(dir, name)),
                kind: IssueKind::Unreadable,
                message: "broken symbolic link: its target does not exist".into(),
            });
            return;
        }
        Err(e) => {
            out.issues
                .push(io_issue(Path::new(&join(dir, name)), &e, "cannot stat"));
            return;
        }
    };
    if meta.is_dir() {
        return;
    }
    // A FIFO or a device would block or never end when read, and a socket cannot be read:
    // only regular files (and links to them) are datasets.
    if let Some(kind) = special_type(&meta) {
        out.issues.push(Issue {
            path: PathBuf::from(join(dir, name)),
            kind: IssueKind::NotAFile,
            message: format!(
                "skipped: named like a dataset, but {kind} rather than a regular file"
            ),
        });
        return;
    }
    let Stamp { size, mtime_ns } = Stamp::of(&meta);
    shared.progress.files.fetch_add(1, Ordering::Relaxed);
    let id = shared
        .ids
        .dataset(&ctx.string_id, &rel_path)
        .map_or(0, |u| u.as_u128());
    out.datasets.push(Dataset {
        id,
        session: ctx.temp_id,
        rel_path: rel_path.into_boxed_str(),
        size,
        mtime_ns,
    });
}

fn io_issue(path: &Path, e: &std::io::Error, what: &str) -> Issue {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        IssueKind::Vanished
    } else {
        IssueKind::Unreadable
    };
    let what = if kind == IssueKind::Vanished {
        "vanished during the walk"
    } else {
        what
    };
    Issue {
        path: path.to_path_buf(),
        kind,
        message: format!("{what}: {e}"),
    }
}

fn merge(root: PathBuf, collectors: Vec<Collector>) -> Walk {
    let mut sessions = Vec::new();
    let mut issues = Vec::new();
    let mut skipped = Vec::new();
    // The largest collector's vector becomes the result and the others are appended to it, so
    // the datasets are copied once at most and never held twice.
    let mut collectors = collectors;
    collectors.sort_by_key(|c| std::cmp::Reverse(c.datasets.len()));
    let mut datasets = Vec::new();
    for mut c in collectors {
        if datasets.is_empty() {
            datasets = std::mem::take(&mut c.datasets);
        } else {
            datasets.append(&mut c.datasets);
        }
        sessions.extend(c.sessions);
        issues.extend(c.issues);
        skipped.extend(c.skipped);
    }
    sessions.sort_by(|a, b| {
        cmp_path(
            a.1.path.as_os_str().as_encoded_bytes(),
            b.1.path.as_os_str().as_encoded_bytes(),
        )
    });

    // Provisional id -> final index; duplicates of an earlier string id map to None.
    let mut final_index: Vec<Option<u32>> = vec![None; sessions.len()];
    let mut seen = std::collections::HashMap::with_capacity(sessions.len());
    let mut kept = Vec::with_capacity(sessions.len());
    for (temp_id, session) in sessions {
        match seen.get(&session.string_id) {
            Some(&first) => {
                let first: &Session = &kept[first];
                issues.push(Issue {
                    path: session.path.clone(),
                    kind: IssueKind::DuplicateSession,
                    message: format!(
                        "skipped: same session id '{}' as {}",
                        session.string_id,
                        first.path.display()
                    ),
                });
            }
            None => {
                seen.insert(session.string_id.clone(), kept.len());
                final_index[temp_id as usize] = Some(index_u32(kept.len()));
                kept.push(session);
            }
        }
    }
    datasets.retain_mut(|d| match final_index[d.session as usize] {
        Some(index) => {
            d.session = index;
            true
        }
        None => false,
    });
    issues.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Walk {
        root,
        sessions: kept,
        datasets,
        issues,
        skipped,
    }
}

/// Orders POSIX paths as Python's `sorted()` orders `Path` objects: component by component.
/// That equals a byte comparison in which the separator sorts before every other byte (a
/// component that is a prefix of another ends first), and is much cheaper than `Path::cmp`.
pub fn cmp_path(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { u16::from(c) + 1 };
    a.iter().map(|&c| key(c)).cmp(b.iter().map(|&c| key(c)))
}

/// Session and dataset indices are stored as `u32` to keep per-dataset records small.
pub(crate) fn index_u32(i: usize) -> u32 {
    u32::try_from(i).expect("more than 4 billion sessions or datasets")
}
