"""Indexing an ALF tree on a Dask cluster (``make_parquet_db(..., client=...)``).

The client plans shards from the top of the tree, Dask tasks walk them with the Rust walker on
the workers (which must see the tree at the same path), and the client merges the parts into
the walk of the whole tree, so the tables are those a single-process build writes: same rows,
ids, hashes, order, issues. With ``hash_files=True`` the md5 pass is a second set of tasks
planned from the walk's sizes, balanced by bytes rather than by file count.

Dask is an optional dependency (``alf-fast[dask]``): this module is imported only when a client
is given, and imports ``distributed`` only then.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

__all__ = ['Shard', 'index_tree_on_cluster', 'plan_hash_chunks', 'plan_shards']

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

    Hidden entries, names that are not UTF-8 and files are left out exactly as the walker leaves
    them out of folders outside sessions. Only plain folders with names of more than three
    characters are listed further: the walker takes a folder of one to three characters for a
    possible session number folder, and a session's contents belong to its shard.
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
                    continue
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
    n = len(sizes)
    if n == 0:
        return []
    total = sum(sizes) + per_file * n
    target = max(1, -(-total // max(1, n_chunks)))
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


def _hash_task(paths: pa.Array, threads: int) -> bytes:
    from alf_fast._alf_fast import md5_paths

    return md5_paths(paths.to_pylist(), threads=threads)


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


def _gather(client, futures: dict, on_done: Callable) -> dict:
    """Results of ``{future: (index, label)}`` as they complete; the first failure cancels
    the rest and raises naming its task."""
    distributed = require_distributed()
    results = {}
    try:
        for future in distributed.as_completed(list(futures)):
            index, label = futures[future]
            try:
                results[index] = future.result()
            except Exception as e:
                raise _failed(e, label) from e
            on_done(index, results[index])
    finally:
        client.cancel([f for f in futures if not f.done()])
    return results


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


def index_tree_on_cluster(
    client,
    root: Path,
    ids: dict,
    hash_files: bool,
    threads: int | None,
    progress,
    worker_timeout: float = 120.0,
):
    """:func:`alf_fast.cache.index_tree` on the workers of ``client``: returns the raw
    sessions table, a reader of the datasets table and the run's facts."""
    distributed = require_distributed()
    from alf_fast._alf_fast import merge_walk_parts
    from alf_fast.cache import Progress

    if not isinstance(client, distributed.Client):
        raise TypeError(f'client must be a dask.distributed.Client, got {type(client).__name__}')
    if progress is True:
        from alf_fast._progress import StderrProgress

        progress = StderrProgress()
    start = time.perf_counter()
    root_s = os.fspath(root)
    task_threads = threads or 1
    n_threads = _cluster_threads(client, worker_timeout)
    shards = plan_shards(root_s, SHARDS_PER_THREAD * n_threads)
    token = uuid.uuid4().hex[:8]
    state = {'files': 0, 'hashed': 0, 'bytes_hashed': 0, 'done': 0, 'total': len(shards)}

    def report(_index=None, result=None) -> None:
        if progress:
            progress(
                Progress(
                    files=state['files'],
                    folders=0,
                    files_hashed=state['hashed'],
                    bytes_hashed=state['bytes_hashed'],
                    seconds=time.perf_counter() - start,
                    tasks_done=state['done'],
                    tasks=state['total'],
                )
            )

    def walked(_index, part) -> None:
        state['files'] += part[1].num_rows
        state['done'] += 1
        report()

    futures = {
        client.submit(
            _walk_task,
            root_s,
            list(shard.seeds) if shard.seeds is not None else None,
            task_threads,
            ids,
            key=f'alf-walk-{shard.label}-{token}',
            pure=False,
        ): (k, f'shard {shard.label!r} of {root_s}')
        for k, shard in enumerate(shards)
    }
    planned = time.perf_counter()
    parts = _gather(client, futures, walked)
    walked_at = time.perf_counter()
    _check_seed_issues(shards, parts)
    merged = merge_walk_parts(root_s, [parts[k] for k in range(len(shards))])
    del parts
    _logger.debug(
        '%s: planned %d shards in %.2f s, walked in %.2f s, merged in %.2f s',
        root_s,
        len(shards),
        planned - start,
        walked_at - planned,
        time.perf_counter() - walked_at,
    )

    hashes = None
    if hash_files and len(merged):
        files = pa.record_batch(merged.files())
        sizes = files.column('size').to_pylist()
        ranges = plan_hash_chunks(sizes, SHARDS_PER_THREAD * n_threads)
        cost = [sum(sizes[a:b]) + PER_FILE_BYTES * (b - a) for a, b in ranges]
        state.update(done=0, total=len(ranges))
        paths = files.column('path')
        futures = {}
        for k, (a, b) in enumerate(ranges):
            label = os.path.relpath(paths[a].as_py(), root_s)
            futures[
                client.submit(
                    _hash_task,
                    # A copy: a slice would carry the whole array's buffers to the worker.
                    pa.concat_arrays([paths.slice(a, b - a)]),
                    task_threads,
                    key=f'alf-md5-{label}-{token}',
                    pure=False,
                    # Largest first, so no large task starts last and leaves workers idle.
                    priority=cost[k],
                )
            ] = (k, f'md5 of {b - a} files from {label!r} of {root_s}')

        def hashed(k, digests) -> None:
            a, b = ranges[k]
            state['hashed'] += b - a
            state['bytes_hashed'] += cost[k] - PER_FILE_BYTES * (b - a)
            state['done'] += 1
            report()

        hash_start = time.perf_counter()
        digests = _gather(client, futures, hashed)
        hashes = b''.join(digests[k] for k in range(len(ranges)))
        _logger.debug(
            '%s: hashed %d files in %d tasks in %.2f s',
            root_s,
            len(sizes),
            len(ranges),
            time.perf_counter() - hash_start,
        )

    raw = merged.finish(hashes=hashes, **ids)
    sessions = pa.RecordBatchReader.from_stream(raw.pop('sessions')).read_all()
    datasets = pa.RecordBatchReader.from_stream(raw.pop('datasets'))
    return sessions, datasets, raw
