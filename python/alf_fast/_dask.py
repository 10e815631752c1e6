"""Indexing an ALF tree on a Dask cluster (``make_parquet_db(..., client=...)``).

The client plans shards from the top of the tree, Dask tasks walk them with the Rust walker on
the workers (which must see the tree at the same path), and the client merges the parts into
the walk of the whole tree, so the tables are those a single-process build writes: same rows,
ids, hashes, order, issues. With ``hash_files=True`` each shard's files are hashed by md5
tasks planned from the walk's sizes as soon as the shard is walked, balanced by bytes rather
than by file count.

Dask is an optional dependency (``alf-fast[dask]``): this module is imported only when a client
is given, and imports ``distributed`` only then.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

__all__ = ['Shard', 'chunk_ranges', 'index_tree_on_cluster', 'plan_hash_chunks', 'plan_shards']

_logger = logging.getLogger(__name__)

#: Shards per worker thread: enough that Dask can balance uneven shards dynamically.
SHARDS_PER_THREAD = 4
#: Entries of the top of the tree per shard the planner aims for before it stops listing.
SEEDS_PER_SHARD = 4
#: Folders the planner lists at most on the client, whatever the tree.
MAX_LISTINGS = 2000
#: What opening and closing a file costs in hashing time, expressed in bytes read, so that a
#: task of many small files and a task of a few large ones take about as long.
PER_FILE_BYTES = 64 * 1024
#: Most files per hashing task, so the path lists shipped to workers stay small.
MAX_FILES_PER_HASH_TASK = 50_000


def require_distributed():
    """``distributed``, or an ImportError naming the extra that installs it."""
    try:
        import distributed
    except ImportError as e:
        raise ImportError(
            "indexing on a Dask cluster needs dask.distributed: pip install 'alf-fast[dask]'"
        ) from e
    return distributed


def connect(address: str, timeout: float = 60.0):
    """A Client of the Dask scheduler at ``address``, with an error naming it when none
    answers."""
    distributed = require_distributed()
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise ConnectionError(f'no Dask scheduler answered at {address}: {e}') from None


@dataclass(frozen=True)
class Shard:
    """Entries below the root that one task walks (``None``: the whole root), and a label
    naming them for the dashboard and for error messages."""

    seeds: tuple[str, ...] | None
    label: str


def _listing(folder: str) -> list[tuple[str, bool]] | None:
    """The entries of ``folder`` (a folder outside any session) that the walker would look at,
    each with whether the planner may list it in turn, or None if the folder cannot be listed
    cleanly (the shard walking it then reports the problem, as a single-process walk would).

    Hidden entries and files are left out exactly as the walker leaves them out of folders
    outside sessions; a folder holding a name that is not UTF-8 is not listed here (its shard
    reads it and reports the name, as a single-process walk does). Only plain folders with
    names of more than three characters are listed further: the walker takes a folder of one
    to three characters for a possible session number folder, and a session's contents belong
    to its shard.
    """
    out = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith('.'):
                    continue
                try:
                    name.encode('utf-8')
                except UnicodeEncodeError:
                    # The walker reports such names; let the shard read this folder itself.
                    return None
                if entry.is_dir(follow_symlinks=False):
                    out.append((entry.path, len(name) > 3))
                elif entry.is_symlink():
                    out.append((entry.path, False))
    except OSError:
        return None
    return out


def plan_shards(root: str | os.PathLike[str], n_shards: int) -> list[Shard]:
    """Split the walk of ``root`` into about ``n_shards`` shards.

    Lists the tree level by level from the top (labs, ``Subjects``, subjects, dates) until
    there are ``SEEDS_PER_SHARD`` entries per shard, so a large subject is split into its date
    folders while small ones stay whole, then deals the sorted entries into contiguous shards.
    The root is one shard when it is itself a session folder or cannot be listed.
    """
    from alf_fast._alf_fast import session_path_parts

    root_s = os.fspath(Path(root).resolve())
    whole = [Shard(None, '.')]
    if session_path_parts([Path(root_s).as_posix()])[0] is not None:
        return whole
    top = _listing(root_s)
    if top is None:
        return whole
    seeds = top
    listings = 1
    want = max(1, n_shards) * SEEDS_PER_SHARD
    while len(seeds) < want and listings < MAX_LISTINGS and any(e for _, e in seeds):
        nxt: list[tuple[str, bool]] = []
        # A whole level at a time: stopping halfway would leave, say, a lab's Subjects folder
        # as one entry beside single subjects of the other labs.
        for path, expandable in seeds:
            if not expandable or listings >= MAX_LISTINGS:
                nxt.append((path, expandable))
                continue
            children = _listing(path)
            listings += 1
            if children is None:
                nxt.append((path, False))
            else:
                nxt.extend(children)
        if nxt == seeds:
            break
        seeds = nxt
    paths = sorted(p for p, _ in seeds)
    if not paths:
        return []
    n = min(max(1, n_shards), len(paths))
    shards = []
    for k in range(n):
        part = paths[k * len(paths) // n : (k + 1) * len(paths) // n]
        first = os.path.relpath(part[0], root_s)
        label = first if len(part) == 1 else f'{first}+{len(part) - 1}'
        shards.append(Shard(tuple(part), label))
    return shards


def plan_hash_chunks(
    sizes: Sequence[int],
    n_chunks: int,
    per_file: int = PER_FILE_BYTES,
    max_files: int = MAX_FILES_PER_HASH_TASK,
) -> list[tuple[int, int]]:
    """Contiguous ``(start, stop)`` ranges of ``sizes`` of about equal hashing cost.

    A file's cost is its size plus ``per_file`` bytes; a range ends once it reaches the total
    cost over ``n_chunks`` or holds ``max_files`` files. A file costing more than that is a
    range of its own (an md5 cannot be split), so one huge subject becomes many tasks and
    leaves no worker idle beside small ones.
    """
    total = sum(sizes) + per_file * len(sizes)
    return chunk_ranges(sizes, -(-total // max(1, n_chunks)), per_file, max_files)


def chunk_ranges(
    sizes: Sequence[int],
    target: int,
    per_file: int = PER_FILE_BYTES,
    max_files: int = MAX_FILES_PER_HASH_TASK,
) -> list[tuple[int, int]]:
    """Contiguous ranges of ``sizes`` costing about ``target`` each (see
    :func:`plan_hash_chunks`)."""
    n = len(sizes)
    if n == 0:
        return []
    target = max(1, target)
    ranges = []
    start, acc = 0, 0
    for i, size in enumerate(sizes):
        cost = size + per_file
        if i > start and (acc + cost > target or i - start >= max_files):
            ranges.append((start, i))
            start, acc = i, 0
        acc += cost
    ranges.append((start, n))
    return ranges


# -- tasks run on the workers ------------------------------------------------------------------


def _walk_task(root: str, seeds, threads: int, ids: dict):
    from alf_fast._alf_fast import walk_shard

    return tuple(pa.record_batch(b) for b in walk_shard(root, seeds, threads=threads, **ids))


def _hash_task(files: pa.RecordBatch, threads: int) -> bytes:
    from alf_fast._alf_fast import md5_paths

    columns = [files.column(c).to_pylist() for c in ('path', 'size', 'mtime_ns')]
    return md5_paths(*columns, threads=threads)


# -- the client's side -------------------------------------------------------------------------


def _cluster_threads(client, timeout: float) -> int:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise TimeoutError(
            f'no Dask worker joined the scheduler {client.scheduler.address} within '
            f'{timeout:.0f} s'
        ) from None
    return max(1, sum(client.nthreads().values()))


def _failed(e: BaseException, what: str) -> BaseException:
    """The task's error with the shard named; OSErrors keep their class (and path)."""
    message = f'{e} (in {what})'
    if isinstance(e, OSError):
        return type(e)(message)
    if isinstance(e, ValueError):
        return ValueError(message)
    if type(e).__name__ == 'KilledWorker':
        return RuntimeError(f'{what} was lost: its worker died on every attempt ({e})')
    return RuntimeError(message)


def _check_seed_issues(shards: list[Shard], parts: dict) -> None:
    """A shard's entry that a worker could not read although this machine can means the
    workers do not see the tree as the client does (mount, permissions): fail rather than
    write tables that silently lack it. Entries unreadable here too stay warnings, as in a
    single-process build."""
    for k, shard in enumerate(shards):
        if not shard.seeds:
            continue
        seeds = set(shard.seeds)
        issues = parts[k][2].to_pydict()
        rows = zip(issues['path'], issues['kind'], issues['message'], strict=True)
        for path, kind, message in rows:
            if path not in seeds or kind not in ('unreadable', 'vanished'):
                continue
            try:
                if os.path.isdir(path):
                    with os.scandir(path) as entries:
                        next(entries, None)
                else:
                    os.lstat(path)
            except OSError:
                continue
            raise PermissionError(
                f'{path}: a Dask worker could not read it ({message}) but the client can; '
                'every worker must see the tree at the same path with the same permissions'
            )


def _compact(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A copy of ``batch`` that owns its buffers: a pickled slice would carry the whole
    batch's buffers to the worker."""
    columns = [pa.concat_arrays([c]) for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _part_files(part) -> pa.RecordBatch:
    """``(path, size, mtime_ns)`` of a walk part's datasets, in its row order (as
    ``MergedWalk.files`` spells them)."""
    import pyarrow.compute as pc

    sessions, datasets = part[0], part[1]
    folders = sessions.column('path').take(datasets.column('session'))
    paths = pc.binary_join_element_wise(folders, datasets.column('rel_path'), '/')
    return pa.record_batch(
        [paths, datasets.column('size'), datasets.column('mtime_ns')],
        names=['path', 'size', 'mtime_ns'],
    )


class _ClusterBuild:
    """One build on a cluster: walk tasks, md5 tasks started as soon as each shard's files are
    known (so hashing overlaps the walk), progress, and the digests in the merged walk's
    order."""

    def __init__(self, client, root: str, ids: dict, hash_files: bool, threads: int, progress):
        from alf_fast.cache import Progress

        self.distributed = require_distributed()
        self.client, self.root, self.ids = client, root, ids
        self.hash_files, self.threads, self.progress = hash_files, threads, progress
        self.Progress = Progress
        self.start = time.perf_counter()
        self.token = uuid.uuid4().hex[:8]
        self.n_threads = _cluster_threads(client, 120.0)
        self.shards = plan_shards(root, SHARDS_PER_THREAD * self.n_threads)
        self.meta: dict = {}
        self.pending = self.distributed.as_completed()
        self.parts: dict[int, tuple] = {}
        self.part_paths: dict[int, pa.Array] = {}
        self.digests: dict[tuple[int, int], tuple[int, bytes]] = {}
        self.target: int | None = None
        self.counts = {'files': 0, 'hashed': 0, 'bytes': 0, 'done': 0, 'tasks': len(self.shards)}

    def report(self) -> None:
        if self.progress:
            c = self.counts
            self.progress(
                self.Progress(
                    files=c['files'],
                    folders=0,
                    files_hashed=c['hashed'],
                    bytes_hashed=c['bytes'],
                    seconds=time.perf_counter() - self.start,
                    tasks_done=c['done'],
                    tasks=c['tasks'],
                )
            )

    def submit(self, fn, *args, key: str, what: tuple, priority: int) -> None:
        future = self.client.submit(
            fn, *args, key=f'{key}-{self.token}', pure=False, priority=priority
        )
        self.meta[future] = what
        self.pending.add(future)

    def submit_md5(self, files: pa.RecordBatch, part: int, offset: int) -> None:
        sizes = files.column('size').to_pylist()
        paths = files.column('path')
        for a, b in chunk_ranges(sizes, self.target or 1):
            label = os.path.relpath(paths[a].as_py(), self.root)
            cost = sum(sizes[a:b]) + PER_FILE_BYTES * (b - a)
            self.counts['tasks'] += 1
            self.submit(
                _hash_task,
                _compact(files.slice(a, b - a)),
                self.threads,
                key=f'alf-md5-{label}',
                what=('md5', part, offset + a, offset + b, cost, f'md5 of {label!r} +{b - a - 1}'),
                # Largest first, so that no large task starts last and leaves workers idle.
                priority=cost,
            )

    def walked(self, k: int, part) -> None:
        self.parts[k] = part
        self.counts['files'] += part[1].num_rows
        if not (self.hash_files and part[1].num_rows):
            return
        files = _part_files(part)
        self.part_paths[k] = files.column('path')
        sizes = files.column('size').to_pylist()
        if self.target is None:
            # Sized from the first shard as if all were like it: tasks of about equal bytes,
            # several per worker thread.
            cost = (sum(sizes) + PER_FILE_BYTES * len(sizes)) * len(self.shards)
            self.target = cost // (SHARDS_PER_THREAD * self.n_threads)
        self.submit_md5(files, k, 0)

    def run(self, strict_md5: bool) -> list:
        """Wait for every task; returns the md5 tasks that failed (or raises, if
        ``strict_md5``, or for any failed walk task)."""
        failed = []
        try:
            for future in self.pending:
                what = self.meta.pop(future)
                try:
                    result = future.result()
                except Exception as e:
                    if what[0] == 'md5' and not strict_md5:
                        failed.append(what)
                        continue
                    raise _failed(e, f'{what[-1]} of {self.root}') from e
                self.counts['done'] += 1
                if what[0] == 'walk':
                    self.walked(what[1], result)
                else:
                    _, part, a, b, cost, _ = what
                    self.digests[(part, a)] = (b, result)
                    self.counts['hashed'] += b - a
                    self.counts['bytes'] += cost - PER_FILE_BYTES * (b - a)
                self.report()
        finally:
            self.client.cancel([f for f in self.meta if not f.done()])
            self.meta.clear()
        return failed

    def walk(self):
        """Walk (and start hashing) every shard; returns the merged walk."""
        from alf_fast._alf_fast import merge_walk_parts

        for k, shard in enumerate(self.shards):
            seeds = list(shard.seeds) if shard.seeds is not None else None
            self.submit(
                _walk_task,
                self.root,
                seeds,
                self.threads,
                self.ids,
                key=f'alf-walk-{shard.label}',
                what=('walk', k, f'shard {shard.label!r}'),
                # Walks first: their md5 tasks can only start once they are done.
                priority=2**62,
            )
        self.run(strict_md5=False)
        walked = time.perf_counter()
        _check_seed_issues(self.shards, self.parts)
        merged = merge_walk_parts(self.root, [self.parts[k] for k in range(len(self.shards))])
        self.parts.clear()
        _logger.debug(
            '%s: %d shards walked (and hashed) in %.2f s, merged in %.2f s',
            self.root,
            len(self.shards),
            walked - self.start,
            time.perf_counter() - walked,
        )
        return merged

    def hashes(self, merged) -> bytes:
        """The md5 of every file of ``merged``, in its order: those hashed while walking, the
        rest (files of failed md5 tasks) now, when an error must stop the build. Files of a
        session dropped as a duplicate are not needed, so their failures do not count."""
        import numpy as np
        import pyarrow.compute as pc

        files = pa.record_batch(merged.files())
        n = files.num_rows
        order = sorted(self.part_paths)
        offsets, total = {}, 0
        for k in order:
            offsets[k] = total
            total += len(self.part_paths[k])
        got = np.zeros((max(total, 1), 16), np.uint8)
        have = np.zeros(max(total, 1), bool)
        for (k, a), (b, digest) in self.digests.items():
            start = offsets[k] + a
            got[start : start + b - a] = np.frombuffer(digest, np.uint8).reshape(-1, 16)
            have[start : start + b - a] = True
        if total:
            all_paths = pa.concat_arrays([self.part_paths[k] for k in order])
            where = pc.index_in(files.column('path'), value_set=all_paths)
            where = where.fill_null(-1).to_numpy()
        else:
            where = np.full(n, -1)
        found = where >= 0
        digests = np.zeros((n, 16), np.uint8)
        digests[found] = got[where[found]]
        missing = np.flatnonzero(~(found & have[np.where(found, where, 0)]))
        if missing.size:
            self.digests.clear()
            self.submit_md5(files.take(pa.array(missing)), 0, 0)
            self.run(strict_md5=True)
            for (_, a), (b, digest) in self.digests.items():
                digests[missing[a:b]] = np.frombuffer(digest, np.uint8).reshape(-1, 16)
        return digests.tobytes()


def index_tree_on_cluster(
    client,
    root: Path,
    ids: dict,
    hash_files: bool,
    threads: int | None,
    progress,
):
    """:func:`alf_fast.cache.index_tree` on the workers of ``client``: returns the raw
    sessions table, a reader of the datasets table and the run's facts."""
    distributed = require_distributed()
    if not isinstance(client, distributed.Client):
        raise TypeError(f'client must be a dask.distributed.Client, got {type(client).__name__}')
    if progress is True:
        from alf_fast._progress import StderrProgress

        progress = StderrProgress()
    build = _ClusterBuild(client, os.fspath(root), ids, hash_files, threads or 1, progress)
    merged = build.walk()
    hashes = build.hashes(merged) if hash_files and len(merged) else None
    raw = merged.finish(hashes=hashes, **ids)
    sessions = pa.RecordBatchReader.from_stream(raw.pop('sessions')).read_all()
    datasets = pa.RecordBatchReader.from_stream(raw.pop('datasets'))
    return sessions, datasets, raw
