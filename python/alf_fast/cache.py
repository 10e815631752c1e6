"""Building ONE's cache tables from an ALF tree (``make_parquet_db``).

The Rust extension walks the tree, parses names, hashes files and computes ids with the GIL
released; this module checks arguments, turns the Arrow batches into ONE's table layout and
writes them atomically under a lock.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from alf_fast import _commit, _parquet, _update
from alf_fast._lock import TableLock

# ONE's other public table functions (one.alf.cache), over polars tables.
from alf_fast._tables import (
    load_tables,
    merge_tables,
    remove_missing_datasets,
    remove_table_files,
)

__all__ = [
    'IndexReport',
    'Progress',
    'index_tree',
    'load_tables',
    'make_parquet_db',
    'merge_tables',
    'remove_missing_datasets',
    'remove_table_files',
]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """Counters passed to a progress callback while an index is built."""

    files: int
    folders: int
    files_hashed: int
    bytes_hashed: int
    seconds: float
    #: Bytes the hash pass reads in all: 0 while walking, and when not hashing.
    bytes_to_hash: int = 0
    #: Dask tasks finished and planned in the current phase (walk, then md5) of a build on a
    #: cluster; 0 in a single-process build.
    tasks_done: int = 0
    tasks: int = 0


@dataclass
class IndexReport:
    """What one indexing run found, wrote and could not index."""

    root: Path
    sessions_path: Path | None
    datasets_path: Path | None
    sessions: int
    datasets: int
    bytes: int
    seconds: float
    #: ``(path, kind, message)`` of paths that could not be indexed (warned about).
    issues: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(path, 'not_alf', message)`` of files skipped for a name that is not ALF (logged).
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    #: What an update changed (None unless ``update=True``).
    update: _update.UpdateSummary | None = None


def _check_dir(path, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f'{what} does not exist: {path}')
    if not path.is_dir():
        raise NotADirectoryError(f'{what} is not a directory: {path}')
    return path


def _ids_argument(hash_ids: bool, namespace) -> dict:
    if not hash_ids:
        if namespace is not None:
            raise ValueError('namespace needs hash_ids=True')
        return {'ids': 'strings'}
    if namespace is None:
        return {'ids': 'stable'}
    return {'ids': 'namespace', 'namespace': str(uuid.UUID(str(namespace)))}


def _progress_callback(progress) -> tuple[Callable | None, Callable[[], None]]:
    """The callback for the Rust indexer, and what to call when it is done."""
    close: Callable[[], None] = lambda: None  # noqa: E731
    if not progress:
        return None, close
    if progress is True:
        from alf_fast._progress import StderrProgress

        progress = StderrProgress()
        close = progress.close  # the line we started, we end with a newline
    start = time.perf_counter()

    def report(files, folders, files_hashed, bytes_hashed, bytes_to_hash):
        seconds = time.perf_counter() - start
        progress(Progress(files, folders, files_hashed, bytes_hashed, seconds, bytes_to_hash))

    return report, close


def index_tree(
    root_dir,
    hash_ids: bool = True,
    hash_files: bool = False,
    threads: int | None = None,
    progress=None,
    namespace=None,
) -> tuple[pa.Table, pa.RecordBatchReader, dict]:
    """Walk ``root_dir``; return the raw sessions table, a reader of the datasets table (in
    batches, readable once) and the run's facts (``n_datasets``, ``bytes``, ``issues``,
    ``skipped``, ``root``).

    The tables carry two columns ONE's do not: ``path`` (session folder) and ``mtime_ns``.
    """
    root = _check_dir(root_dir, 'root directory')
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
    ):
        raise ValueError(f'threads must be a positive integer, got {threads!r}')
    from alf_fast._alf_fast import index_tree as _index_tree

    callback, close = _progress_callback(progress)
    try:
        raw = _index_tree(
            str(root),
            # The extension caps the count (at max(64, cores)); this only keeps an absurd int
            # from overflowing the conversion to a machine integer first.
            threads=min(threads or 0, 1 << 16),
            hash_files=bool(hash_files),
            progress=callback,
            **_ids_argument(hash_ids, namespace),
        )
    finally:
        close()
    sessions = pa.RecordBatchReader.from_stream(raw.pop('sessions')).read_all()
    datasets = pa.RecordBatchReader.from_stream(raw.pop('datasets'))
    return sessions, datasets, raw


def _fill_lab(sessions: pa.Table, lab: str) -> pa.Table:
    labs = sessions.column('lab')
    conflicts = pc.unique(
        pc.filter(labs, pc.and_(pc.not_equal(labs, ''), pc.not_equal(labs, lab)))
    )
    if len(conflicts):
        found = ', '.join(repr(x) for x in conflicts.to_pylist()[:5])
        raise ValueError(f'lab name conflict: lab={lab!r} but the tree has lab folders {found}')
    filled = pc.if_else(pc.equal(labs, ''), pa.scalar(lab), labs)
    return sessions.set_column(sessions.schema.get_field_index('lab'), 'lab', filled)


def _report_issues(issues, skipped) -> None:
    # Every issue the extension reports deserves a warning (unreadable, vanished, special
    # files, bad or looping session folders, names that are not UTF-8, files that kept
    # changing while hashed); non-ALF names come separately, as `skipped`, and are only logged.
    for path, _kind, message in skipped:
        _logger.debug('%s: %s', path, message)
    for path, _, message in issues:
        _logger.warning('%s: %s', path, message)
    if issues:
        shown = '; '.join(f'{p}: {m}' for p, _, m in issues[:20])
        more = f'; and {len(issues) - 20} more (see the log)' if len(issues) > 20 else ''
        warnings.warn(f'{len(issues)} path(s) could not be indexed: {shown}{more}', stacklevel=3)


def _check_root(root_dir) -> Path:
    """The resolved root, after checking that it is a folder whose entries can be listed.

    An unreadable root (permissions, a mount not ready) would otherwise look like an empty tree.
    """
    root = _check_dir(root_dir, 'root directory').resolve()
    try:
        with os.scandir(root) as entries:
            next(entries, None)
    except OSError as err:
        raise type(err)(
            err.errno, f'root directory cannot be read: {err.strerror}', str(root)
        ) from None
    return root


def _refuse_unreadable_root(root: Path, issues) -> None:
    """The walk could not list the root: it became unreadable after :func:`_check_root`."""
    unreadable = [m for p, k, m in issues if k == 'unreadable' and Path(p) == root]
    if unreadable:
        raise PermissionError(f'root directory cannot be read: {root}: {unreadable[0]}')


def _refuse_empty(root: Path, out: Path, found_sessions: int) -> None:
    """Stop a build that would replace tables listing sessions with tables listing none."""
    if found_sessions:
        return
    previous = _existing_sessions(out / 'sessions.pqt')
    if previous:
        raise FileNotFoundError(
            f'found no session in {root}, but {out / "sessions.pqt"} lists {previous:,}; '
            'the tables were left unchanged (is the folder or its mount missing?). '
            'To replace them with empty tables, pass allow_empty=True '
            '(alf-fast setup --allow-empty).'
        )


def _existing_sessions(path: Path) -> int:
    """Rows of an existing sessions table; 0 if there is none or it cannot be read."""
    try:
        return pq.read_metadata(path).num_rows
    except FileNotFoundError:
        return 0
    except Exception as err:  # a corrupt table protects nothing
        _logger.debug('%s: cannot read the previous sessions table: %s', path, err)
        return 0


def build_cache(
    root_dir,
    out_dir=None,
    hash_ids: bool = True,
    hash_files: bool = False,
    lab: str | None = None,
    threads: int | None = None,
    progress=None,
    namespace=None,
    allow_empty: bool = False,
    client=None,
    update: bool = False,
) -> IndexReport:
    """Index ``root_dir`` and write ``sessions.pqt`` and ``datasets.pqt``; see
    :func:`make_parquet_db`. Returns the full report used by the command line."""
    start = time.perf_counter()
    root = _check_root(root_dir)
    # As in ONE (`out_dir or root_dir`), an empty out_dir means the root.
    out = _check_dir(out_dir, 'output directory') if out_dir else root
    if lab is not None and not isinstance(lab, str):
        raise TypeError(f'lab must be a str, got {type(lab).__name__}')

    with TableLock(out):
        _commit.fault_point('locked')
        _commit.recover(out)
        _commit.remove_debris(out)
        plan = _update.Plan(out, _ids_argument(hash_ids, namespace), hash_files, lab, root, update)
        if client is None:
            sessions, datasets, raw = index_tree(
                root, hash_ids, plan.walk_hashes, threads, progress, namespace
            )
        else:
            from alf_fast._dask import index_tree_on_cluster

            sessions, datasets, raw = index_tree_on_cluster(
                client,
                root,
                _ids_argument(hash_ids, namespace),
                plan.walk_hashes,
                threads,
                progress,
            )
        if lab:
            sessions = _fill_lab(sessions, lab)
        _report_issues(raw['issues'], raw['skipped'])
        _refuse_unreadable_root(root, raw['issues'])
        if not allow_empty:
            _refuse_empty(root, out, sessions.num_rows)
        callback, close = _progress_callback(progress)
        try:
            datasets = plan.datasets(sessions, datasets, threads, callback)
        finally:
            close()
        n_datasets = raw['n_datasets']
        if sessions.num_rows == 0 or n_datasets == 0:
            what = 'sessions' if sessions.num_rows == 0 else 'datasets'
            warnings.warn(f'No {what} found in {root}', RuntimeWarning, stacklevel=2)

        meta = _parquet.one_metadata(root)
        ses_schema = _parquet.one_schema('sessions', sessions.num_rows, meta, hash_ids)
        ds_schema = plan.stamp(
            _parquet.one_schema('datasets', n_datasets, meta, hash_ids, hashed=plan.hash_files)
        )

        def dataset_batches():
            for batch in datasets:
                plan.record(batch)
                yield _parquet.conform(batch, ds_schema)

        fn_ses, fn_dsets = out / 'sessions.pqt', out / 'datasets.pqt'
        _commit.write_tables(
            {
                fn_ses: (ses_schema, [_parquet.conform(sessions, ses_schema)]),
                fn_dsets: (ds_schema, dataset_batches()),
                **plan.files(out),
            }
        )
        _commit.fault_point('committed')
    return IndexReport(
        root=root,
        sessions_path=fn_ses,
        datasets_path=fn_dsets,
        sessions=sessions.num_rows,
        datasets=n_datasets,
        bytes=raw['bytes'],
        seconds=time.perf_counter() - start,
        issues=raw['issues'],
        skipped=raw['skipped'],
        update=plan.summary,
    )


def make_parquet_db(
    root_dir,
    out_dir=None,
    hash_ids: bool = True,
    hash_files: bool = False,
    lab: str | None = None,
    threads: int | None = None,
    progress=None,
    namespace=None,
    allow_empty: bool = False,
    client=None,
    update: bool = False,
) -> tuple[Path, Path]:
    """Index the ALF datasets under a folder and save ONE's two cache tables.

    A drop-in for ``one.alf.cache.make_parquet_db``: the same arguments, the same files, read
    unchanged by ``one.api.One``, built by a multithreaded Rust walker.

    Parameters
    ----------
    root_dir : str, pathlib.Path
        The folder to index.
    out_dir : str, pathlib.Path, optional
        Where to write the tables (default, or ``''``: ``root_dir``). Must exist.
    hash_ids : bool
        If True (default), ids are UUIDs: stable ones derived from the session string id and
        the dataset's path (the same tree gives the same ids on every run and machine), or,
        with ``namespace``, ONE's own scheme under that namespace. If False, ids are the
        session string id and the relative path, as ONE does.
    hash_files : bool
        If True, store the md5 of every dataset (computed in parallel). Otherwise the ``hash``
        column is null, so loads skip the md5 check.
    lab : str, optional
        Lab name recorded for sessions that are not under a ``<lab>/Subjects`` folder. A
        session under a different lab folder is an error.
    threads : int, optional
        Threads for walking and hashing (default: one per core).
    progress : bool or callable, optional
        True prints a live progress line on stderr; a callable receives :class:`Progress`
        about five times a second.
    namespace : str, uuid.UUID, optional
        Use ONE's id scheme under this UUID namespace (ONE draws a random one per build).
    allow_empty : bool
        If False (default), a tree in which no session is found does not replace existing
        tables that list sessions (an empty or unmounted folder would otherwise wipe the
        index); True replaces them.
    client : dask.distributed.Client, optional
        Walk (and hash) on the workers of this Dask cluster, which must see ``root_dir`` at
        the same path; the tables are the same as without it. ``threads`` is then the number
        of threads per Dask task (default 1). Needs ``alf-fast[dask]``.
    update : bool
        Rebuild from a fresh walk but keep the md5 of every file whose size and modification
        time are unchanged since the previous build in ``out_dir``, hashing only new and
        changed files. The result equals a full rebuild. Tables that were hashed stay hashed
        (``hash_files`` is taken as True). Previous tables built with other options (ids,
        namespace, lab, root, no hashes when ``hash_files=True``), or not by alf_fast, are
        rebuilt in full with a ``FullRebuildWarning``.

    Returns
    -------
    pathlib.Path
        The sessions table.
    pathlib.Path
        The datasets table.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``root_dir`` or ``out_dir`` is missing or not a folder, or no session was found where
        the existing tables list some (see ``allow_empty``).
    PermissionError
        ``root_dir`` cannot be read.
    OSError
        A file could not be hashed, or a table could not be written (a full disk); the
        message names the path and the existing tables are left untouched.
    TimeoutError
        Another build has held the lock on ``out_dir`` for 60 s.

    Notes
    -----
    Builds into one folder take turns under a lock (``.alf_fast.lock``, released by the
    system if the process dies). The two tables are written beside the old ones and then
    replaced as one recoverable commit: after a crash the next build, or the next
    :class:`~alf_fast.api.One` on the folder, completes it, and the next build removes any
    temporary file a dead build left.
    """
    report = build_cache(
        root_dir,
        out_dir,
        hash_ids,
        hash_files,
        lab,
        threads,
        progress,
        namespace,
        allow_empty,
        client,
        update,
    )
    return report.sessions_path, report.datasets_path
