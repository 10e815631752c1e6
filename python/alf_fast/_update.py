"""Incremental re-indexing: a fresh walk, with the md5 of every file whose size and modification
time are unchanged since the last build taken from the previous tables.

What an update needs beyond ONE's tables is kept where ONE-api does not see it:

- the options of the build (id scheme, namespace, hashing, lab, root), as JSON under the key
  ``alf_fast_options`` of ``datasets.pqt``'s parquet metadata, which pandas and ONE ignore;
- the modification time of every dataset, one ``int64`` per row in the datasets table's row
  order, in the sidecar ``.alf_fast_state.parquet`` next to the tables. Its name does not end
  in ``.pqt``, which ONE would try to load as a table. It is committed with the tables (see
  :mod:`alf_fast._commit`) and so carries their build id: a sidecar left beside tables rebuilt
  by another tool, or by a plain alf_fast setup, is never trusted.

An extra ``mtime_ns`` column in ``datasets.pqt`` would load in ONE-api too, but it then appears
in every frame ONE returns from the table (``list_datasets(details=True)``, ``cache.datasets``),
so our tables would no longer be ONE's layout (tests/test_update.py shows both).

Files whose size and mtime are unchanged keep their previous md5, as ``rsync`` and ``git``
assume: a file rewritten in place with the same size within the file system's timestamp
resolution is not re-hashed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ['STATE_NAME', 'FullRebuildWarning', 'Plan', 'UpdateSummary']

_logger = logging.getLogger(__name__)

#: The sidecar holding each dataset's modification time.
STATE_NAME = '.alf_fast_state.parquet'
_META_KEY = b'alf_fast_options'
_FORMAT = 1


class FullRebuildWarning(UserWarning):
    """An update could not reuse the previous tables and rebuilt them from scratch."""


@dataclass(frozen=True)
class BuildOptions:
    """The options of a build that decide its rows, ids and hashes."""

    ids: str
    namespace: str | None
    hash_files: bool
    lab: str | None
    root: str

    def to_dict(self) -> dict:
        return {
            'ids': self.ids,
            'namespace': self.namespace,
            'hash_files': self.hash_files,
            'lab': self.lab,
            'root': self.root,
        }

    def differences(self, other: dict) -> list[str]:
        """The options on which a previous build (as a dict) differs from this one, worded for
        a message, e.g. ``"hash_files: False before, True now"``. ``hash_files`` going from
        True to False is no difference: an update keeps hashing (see :class:`Plan`)."""
        out = []
        for key, now in self.to_dict().items():
            before = other.get(key)
            if key == 'hash_files' and before and not now:
                continue
            if before != now:
                out.append(f'{key}: {before!r} before, {now!r} now')
        return out


@dataclass
class UpdateSummary:
    """What an update changed. Sessions are named by ONE's session string id
    (``lab/subject/date/number``); datasets by that id and their relative path.

    ``full_rebuild`` gives the reason when the previous tables could not be reused (then the
    lists are empty and every file was hashed by the walk)."""

    full_rebuild: str | None = None
    sessions_added: list[str] = field(default_factory=list)
    sessions_removed: list[str] = field(default_factory=list)
    datasets_added: list[str] = field(default_factory=list)
    datasets_removed: list[str] = field(default_factory=list)
    datasets_modified: list[str] = field(default_factory=list)
    files_hashed: int = 0
    bytes_hashed: int = 0

    def lines(self, verbose: bool = False) -> list[str]:
        """Human summary lines; ``verbose`` lists every session and dataset."""
        if self.full_rebuild:
            return [f'full rebuild: {self.full_rebuild}']
        from alf_fast._progress import human_bytes

        out = [
            f'sessions: {len(self.sessions_added):,} added, '
            f'{len(self.sessions_removed):,} removed; '
            f'datasets: {len(self.datasets_added):,} added, '
            f'{len(self.datasets_removed):,} removed, {len(self.datasets_modified):,} modified; '
            f're-hashed {self.files_hashed:,} files ({human_bytes(self.bytes_hashed)})'
        ]
        if verbose:
            for title, items in (
                ('session added', self.sessions_added),
                ('session removed', self.sessions_removed),
                ('dataset added', self.datasets_added),
                ('dataset removed', self.datasets_removed),
                ('dataset modified', self.datasets_modified),
            ):
                out.extend(f'  {title}: {item}' for item in items)
        return out


def _session_names(sessions: pa.Table, eids=None) -> dict[str, str]:
    """eid -> ``lab/subject/date/NNN`` (lab left out when empty) for display, for the sessions
    whose ids are in ``eids`` (an Arrow array; default all)."""
    if eids is not None:
        sessions = sessions.filter(pc.is_in(sessions.column('id'), value_set=eids))
    names = {}
    cols = [sessions.column(c).to_pylist() for c in ('id', 'lab', 'subject', 'date', 'number')]
    for eid, lab, subject, date, number in zip(*cols, strict=True):
        name = f'{subject}/{date}/{int(number):03d}'
        names[eid] = f'{lab}/{name}' if lab else name
    return names


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    # ParquetFile, not read_table: the latter imports pyarrow.dataset and with it pandas (about
    # a second), more than a no-change update of a large tree otherwise costs.
    with pq.ParquetFile(path) as f:
        return f.read(columns=columns)


class Previous:
    """The previous build in a tables folder, if an update can reuse it.

    ``reason`` is None when it can; otherwise it says why not, for the message announcing a
    full rebuild.
    """

    def __init__(self, out: Path, options: BuildOptions):
        self.out = out
        self.reason: str | None = None
        self.datasets: pa.Table | None = None
        self.hashed = False
        fn_dsets, fn_ses, fn_state = out / 'datasets.pqt', out / 'sessions.pqt', out / STATE_NAME
        if not (fn_dsets.exists() and fn_ses.exists()):
            self.reason = f'no previous tables in {out}'
            return
        try:
            meta = pq.read_schema(fn_dsets).metadata or {}
        except (OSError, pa.ArrowException) as e:
            self.reason = f'{fn_dsets} cannot be read ({e})'
            return
        if _META_KEY not in meta:
            self.reason = f'{fn_dsets} was not built by alf_fast (ONE-api or another tool)'
            return
        built = json.loads(meta[_META_KEY])
        self.hashed = bool(built.get('options', {}).get('hash_files'))
        diffs = options.differences(built.get('options', {}))
        if diffs:
            self.reason = 'the previous tables were built with other options (' + (
                '; '.join(diffs) + ')'
            )
            return
        try:
            state = _read(fn_state)
        except FileNotFoundError:
            self.reason = f'{fn_state} is missing'
            return
        except (OSError, pa.ArrowException) as e:
            self.reason = f'{fn_state} cannot be read ({e})'
            return
        from alf_fast._commit import build_id

        if build_id(fn_state) is None or build_id(fn_state) != build_id(fn_dsets):
            self.reason = f'{fn_state} belongs to other tables'
            return
        # Stable dataset ids already name their session, so they alone identify a row; the
        # other schemes need the eid too (ONE's ids repeat across sessions).
        self.keys = ['id'] if options.ids == 'stable' else ['eid', 'id']
        try:
            datasets = _read(fn_dsets, [*self.keys, 'file_size', 'hash'])
            self.sessions = _read(fn_ses, ['id', 'lab', 'subject', 'date', 'number'])
        except (OSError, pa.ArrowException) as e:
            self.reason = f'the previous tables cannot be read ({e})'
            return
        if datasets.num_rows != state.num_rows:
            self.reason = f'{fn_state} does not match {fn_dsets}'
            return
        self.datasets = datasets.append_column('mtime_ns', state.column('mtime_ns'))

    def rows(self, rows: pa.Array) -> pa.Table:
        """``eid`` and ``rel_path`` of the given previous rows (read only when something was
        removed)."""
        return _read(self.out / 'datasets.pqt', ['eid', 'rel_path']).take(rows)


# Arrays are made here from buffers, never from Python or numpy values: pyarrow imports pandas
# (0.15 s, more on a busy machine) on its first such conversion, which is the whole budget of an
# update of a 74,000-file tree.


def _int64s(values: np.ndarray) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def _bools(values: np.ndarray) -> pa.Array:
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder='little')
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


def _strings(values: list[str | None]) -> pa.Array:
    data = [b'' if v is None else v.encode() for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    valid = None
    if any(v is None for v in values):
        valid = _bools(np.array([v is not None for v in values], dtype=bool)).buffers()[1]
    buffers = [valid, pa.py_buffer(offsets), pa.py_buffer(b''.join(data))]
    return pa.Array.from_buffers(pa.large_string(), len(data), buffers)


def _mask(rows: pa.Array | pa.ChunkedArray, n: int) -> pa.Array:
    """A boolean array of length ``n``, True at ``rows``."""
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    mask = np.zeros(n, dtype=bool)
    if not len(rows):
        return _bools(mask)
    rows = rows.cast(pa.int64())
    if rows.null_count:
        raise RuntimeError('alf_fast bug: a null row position in an update match')
    # Read the data buffer directly: `to_numpy` may take a path that imports pandas.
    index = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset : rows.offset + len(rows)]
    mask[index] = True
    return _bools(mask)


def _no_nulls(flags):
    """Nulls (no previous row to compare with) read as False."""
    return pc.and_kleene(flags, pc.is_valid(flags))


def _match(new: pa.Table, old: pa.Table, keys: list[str]) -> pa.Array | None:
    """For each new row, the index of the previous row with the same (eid, id), or null; None
    when the rows are the same, in the same order.

    Without changes both tables list the same rows in the same order (ids are stable and rows
    are sorted), which a column comparison confirms far faster than a hash lookup."""
    if new.num_rows == old.num_rows and all(
        new.column(c).equals(old.column(c).cast(new.schema.field(c).type)) for c in keys
    ):
        return None
    if keys == ['id']:
        return pc.index_in(new.column('id'), value_set=old.column('id')).cast(pa.int64())
    # (eid, id) pairs are unique and neither holds a NUL, so the joined keys are too.
    n_new, n_old = new.num_rows, old.num_rows
    sep = _strings(['\x00']).take(_int64s(np.zeros(max(n_new, n_old), dtype=np.int64)))

    def keys(t: pa.Table):
        cols = [t.column(c).cast(pa.large_string()).combine_chunks() for c in ('eid', 'id')]
        return pc.binary_join_element_wise(*cols, sep.slice(0, t.num_rows))

    return pc.index_in(keys(new), value_set=keys(old)).cast(pa.int64())


def apply(
    previous: Previous,
    sessions: pa.Table,
    datasets: pa.Table,
    hash_files: bool,
    hasher: Callable[[list[str]], list[str | None]],
) -> tuple[pa.Table, UpdateSummary]:
    """Fill the ``hash`` column of a fresh hash-off walk from the previous build, hashing new
    and changed files with ``hasher(paths) -> md5 hex list`` (None for a file that vanished or
    kept changing: no hash, as a full build records it); return the table and a summary.
    """
    old = previous.datasets
    if old is None:
        raise RuntimeError('alf_fast bug: an update without previous datasets')
    match = _match(datasets, old, previous.keys)

    def previous_column(name: str, type_: pa.DataType):
        col = old.column(name).cast(type_)
        return col if match is None else col.take(match)

    size, mtime = datasets.column('file_size'), datasets.column('mtime_ns')
    same = pc.and_(
        pc.equal(size, previous_column('file_size', pa.uint64())),
        pc.equal(mtime, previous_column('mtime_ns', pa.int64())),
    )
    unchanged = same if match is None else _no_nulls(same)

    summary = UpdateSummary()
    if hash_files:
        old_hash = previous_column('hash', pa.string())
        reuse = _no_nulls(pc.and_(unchanged, pc.is_valid(old_hash)))
        todo = pc.indices_nonzero(pc.invert(reuse))
        # The walk did not hash, so its own column is all null.
        hashes = pc.if_else(reuse, old_hash, datasets.column('hash').cast(pa.string()))
        if len(todo):
            folders = dict(
                zip(
                    sessions.column('id').to_pylist(),
                    sessions.column('path').to_pylist(),
                    strict=True,
                )
            )
            eids = datasets.column('eid').take(todo).to_pylist()
            rels = datasets.column('rel_path').take(todo).to_pylist()
            digests = hasher([f'{folders[e]}/{r}' for e, r in zip(eids, rels, strict=True)])
            hashes = _scatter(hashes, todo, digests)
            summary.files_hashed = len(todo)
            summary.bytes_hashed = pc.sum(size.take(todo)).as_py() or 0
        datasets = datasets.set_column(
            datasets.schema.get_field_index('hash'), 'hash', hashes.cast(pa.string())
        )

    # The summary names sessions and datasets; only changed rows are converted to Python.
    new_ids, old_ids = (
        sessions.column('id'),
        previous.sessions.column('id').cast(pa.large_string()),
    )
    added_s = new_ids.filter(pc.invert(pc.is_in(new_ids, value_set=old_ids)))
    removed_s = old_ids.filter(pc.invert(pc.is_in(old_ids, value_set=new_ids)))
    summary.sessions_added = sorted(_session_names(sessions, added_s).values())
    summary.sessions_removed = sorted(_session_names(previous.sessions, removed_s).values())

    def named(table: pa.Table, sessions_table: pa.Table) -> list[str]:
        names = _session_names(sessions_table, pc.unique(table.column('eid')))
        eids, rels = table.column('eid').to_pylist(), table.column('rel_path').to_pylist()
        return sorted(f'{names[e]}/{r}' for e, r in zip(eids, rels, strict=True))

    def new_rows(flags) -> list[str]:
        rows = pc.indices_nonzero(flags)
        if not len(rows):
            return []
        return named(datasets.select(['eid', 'rel_path']).take(rows), sessions)

    summary.datasets_modified = new_rows(
        pc.invert(unchanged)
        if match is None
        else pc.and_(pc.is_valid(match), pc.invert(unchanged))
    )
    if match is not None:
        summary.datasets_added = new_rows(pc.is_null(match))
        removed = pc.indices_nonzero(pc.invert(_mask(pc.drop_null(match), old.num_rows)))
        if len(removed):
            summary.datasets_removed = named(previous.rows(removed), previous.sessions)
    return datasets, summary


def _scatter(
    values: pa.Array | pa.ChunkedArray, rows: pa.Array, new: list[str | None]
) -> pa.Array:
    """``values`` with ``values[rows[k]] = new[k]``; ``rows`` ascending."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    replacement = _strings(new).cast(values.type)
    return pc.replace_with_mask(values, _mask(rows, len(values)), replacement)


class StateWriter:
    """Collects the ``mtime_ns`` of each datasets batch as it is written, then writes the
    sidecar; also stamps the datasets schema with the build's options."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.mtimes: list[pa.Array] = []

    def stamp(self, schema: pa.Schema) -> pa.Schema:
        """``schema`` with the build's options in its metadata."""
        built = json.dumps({'format': _FORMAT, 'options': self.options.to_dict()})
        return schema.with_metadata({**(schema.metadata or {}), _META_KEY: built.encode()})

    def add(self, batch: pa.RecordBatch | pa.Table) -> None:
        col = batch.column('mtime_ns')
        self.mtimes.extend(col.chunks if isinstance(col, pa.ChunkedArray) else [col])

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field('mtime_ns', pa.int64())])

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The sidecar's batches; call after every datasets batch went through :meth:`add`."""
        for arr in self.mtimes:
            yield pa.RecordBatch.from_arrays([arr], schema=self.schema)


class Plan:
    """How one build uses and keeps update state; a no-op for a plain build without hashes.

    The build asks it whether the walk should hash (:attr:`walk_hashes`), lets it fill the
    hashes after the walk (:meth:`datasets`), stamps the datasets schema (:meth:`stamp`) and
    adds the sidecar to the files it writes atomically (:meth:`files`).
    """

    def __init__(self, out: Path, ids: dict, hash_files: bool, lab, root: Path, update: bool):
        options = BuildOptions(
            ids=ids['ids'],
            namespace=ids.get('namespace'),
            hash_files=bool(hash_files),
            lab=lab or None,
            root=str(root),
        )
        self.previous = Previous(out, options) if update else None
        self.reuse = self.previous is not None and self.previous.reason is None
        if self.reuse and self.previous.hashed and not hash_files:
            # An update brings the tables up to date as they were built: without this, a
            # forgotten --hash would silently drop every stored md5.
            options = dataclasses.replace(options, hash_files=True)
        self.hash_files = options.hash_files
        # State is kept whenever an update could use it: after hashed builds and updates.
        self.state = StateWriter(options) if (update or hash_files) else None
        self.summary: UpdateSummary | None = None
        if self.previous is not None and not self.reuse:
            self.summary = UpdateSummary(full_rebuild=self.previous.reason)
            if (out / 'datasets.pqt').exists():
                warnings.warn(
                    f'cannot update the tables in {out}: {self.previous.reason}; '
                    'rebuilding them in full',
                    FullRebuildWarning,
                    stacklevel=4,
                )

    @property
    def walk_hashes(self) -> bool:
        """Whether the walk itself should hash every file."""
        return self.hash_files and not self.reuse

    def datasets(
        self,
        sessions: pa.Table,
        reader: pa.RecordBatchReader,
        threads: int | None,
        progress: Callable | None,
    ) -> Iterator[pa.RecordBatch] | pa.RecordBatchReader:
        """The datasets rows to write: the walk's stream, or on an update the whole table with
        the hashes filled in."""
        if not self.reuse:
            return reader

        def hasher(paths: list[str]) -> list[str | None]:
            from alf_fast._alf_fast import md5_files

            # md5_files reports (files, folders, files_hashed, bytes_hashed); the indexer's
            # callback also takes the bytes still to hash, unknown here.
            report = None if progress is None else (lambda *counts: progress(*counts, 0))
            return md5_files(paths, threads=threads or 0, progress=report)

        if self.previous is None:
            raise RuntimeError('alf_fast bug: an update without a previous build')
        table, self.summary = apply(
            self.previous, sessions, reader.read_all(), self.hash_files, hasher
        )
        return iter(table.to_batches())

    def stamp(self, schema: pa.Schema) -> pa.Schema:
        return self.state.stamp(schema) if self.state else schema

    def record(self, batch: pa.RecordBatch) -> None:
        if self.state:
            self.state.add(batch)

    def files(self, out: Path) -> dict:
        """The sidecar, for ``_parquet.write_atomic``: written after the datasets table."""
        if not self.state:
            return {}
        return {out / STATE_NAME: (self.state.schema, self.state.batches())}
