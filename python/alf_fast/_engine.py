"""The engine shared by both faces of ``One``: the loaded tables and everything derived from them.

polars' public ``DataFrame`` holds a private ``_df`` that every concern works through; here
:class:`Engine` plays that part. The polars face (:class:`alf_fast.One`) and the pandas face
(:class:`alf_fast.one.api.One`) each hold one and translate arguments and results; neither keeps
query state of its own.

Tables are replaced, never edited in place, so every derived structure (the sessions in search
order, the distinct dataset names, the session folders, a pandas view...) is remembered together
with the table object it came from and rebuilt when that object changes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import polars as pl

from alf_fast._rel_paths import check_session_row
from alf_fast._tables import UUID_ANY_CASE_RE, Bunch, default_cache
from alf_fast.path import ALFPath, PurePosixALFPath, ensure_alf_path

__all__ = ['Engine', 'EngineHost', 'id_key', 'id_out', 'session_rel_path']

# Any-case UUID text: the tables lower-case exactly these (``_tables._lowercase_uuids``), so the
# normaliser of ids given by users selects the same strings and no others.
_UUID_TEXT = re.compile(UUID_ANY_CASE_RE)
#: Most ids :meth:`Engine.ids_out` remembers before starting afresh.
_ID_MEMO_SIZE = 1_000_000


def id_key(value: Any) -> str:
    """Return the internal form of an id: the table's string for it.

    A ``UUID`` or a UUID string in any case becomes the lowercase UUID text (the tables hold
    UUID ids in lowercase); any other string is kept exactly, so the string ids of tables built
    with ``hash_ids=False`` (``'lab/subject/2020-01-01/001'``, 36 characters or not) match.
    """
    if isinstance(value, UUID):
        return str(value)
    text = str(value)
    if len(text) == 36 and _UUID_TEXT.fullmatch(text):
        return text.lower()
    return text


def id_out(key: str | None) -> UUID | str | None:
    """Return an internal id as ONE returns it: a ``UUID`` for UUID text, else the string."""
    if key is None:
        return None
    if len(key) == 36 and _UUID_TEXT.fullmatch(key):
        return UUID(key)
    return key


def session_rel_path(record: Mapping) -> PurePosixALFPath:
    """ONE's session folder rule: ``[<lab>/Subjects/]<subject>/<date>/<number:03d>``."""
    lab = record.get('lab')
    parts = [lab, 'Subjects'] if lab else []
    return PurePosixALFPath(
        *parts, record['subject'], str(record['date']), str(record['number']).zfill(3)
    )


def _number_folder(date_dir: Path, number: int) -> Path | None:
    """The folder of `date_dir` whose digits equal `number`, whatever its zero padding."""
    for spelled in (f'{number:03d}', str(number)):
        if (date_dir / spelled).is_dir():
            return date_dir / spelled
    try:
        found = sorted(p for p in date_dir.iterdir() if p.name.isdigit() and int(p.name) == number)
    except OSError:
        return None
    return next((p for p in found if p.is_dir()), None)


def session_on_disk(record: Mapping, root_dir: Any) -> ALFPath | None:
    """Find a session folder that exists under a layout other than ONE's rule.

    Tried in turn: ``<lab>/Subjects/``, no prefix and ``Subjects/`` before
    ``<subject>/<date>/``, with the number spelled with any zero padding.
    """
    if not record.get('subject') or record.get('date') is None or record['number'] is None:
        return None
    root = ensure_alf_path(root_dir)
    tail = (record['subject'], str(record['date']))
    lab = record.get('lab')
    prefixes = [(lab, 'Subjects')] if lab else []
    prefixes += [(), ('Subjects',)]
    for prefix in prefixes:
        date_dir = root.joinpath(*prefix, *tail)
        if date_dir.is_dir() and (found := _number_folder(date_dir, int(record['number']))):
            return ensure_alf_path(found)
    return None


class Engine:
    """The loaded cache tables of one ``One`` and the structures derived from them.

    Parameters
    ----------
    cache : Bunch, optional
        ``datasets``, ``sessions`` (polars, index levels as leading columns), ``_meta`` and any
        other table; empty tables if omitted.
    """

    def __init__(self, cache: Bunch | None = None) -> None:
        self.cache = default_cache() if cache is None else cache
        self._memo: dict[str, tuple[Any, Any]] = {}
        self._id_memo: dict[str, UUID | str | None] = {}

    # --- tables ------------------------------------------------------------------------------

    def replace(self, cache: Bunch) -> None:
        """Swap in newly loaded tables; everything derived from the old ones goes."""
        self.cache = cache
        self._memo.clear()

    @property
    def sessions(self) -> pl.DataFrame:
        """polars.DataFrame: the sessions table, ``id`` first."""
        return self.cache['sessions']

    @property
    def datasets(self) -> pl.DataFrame:
        """polars.DataFrame: the datasets table sorted by ``eid`` (binary search relies on it).

        A table that was assigned unsorted is sorted once, and the sorted one replaces it.
        """
        table = self.cache['datasets']
        if self._memo.get('eid_sorted', (None,))[0] is not table:
            if not table.get_column('eid').is_sorted():
                table = table.sort(['eid', 'id'], maintain_order=True)
                self.cache['datasets'] = table
            self._memo['eid_sorted'] = (table, True)
        return table

    def derived(self, name: str, table: str, build: Callable[[Any], Any]) -> Any:
        """Return ``build(self.cache[table])``, remembered while that table object is current.

        Parameters
        ----------
        name : str
            What is derived (a key unique per structure).
        table : str
            The table it is derived from.
        build : callable
            Makes the structure from the table.
        """
        source = self.cache[table]
        held = self._memo.get(name)
        if held is None or held[0] is not source:
            held = self._memo[name] = (source, build(source))
        return held[1]

    def set_table(self, name: str, frame: pl.DataFrame) -> None:
        """Replace one table (structures derived from it are rebuilt on next use)."""
        self.cache[name] = frame
        self.cache['_meta']['modified_time'] = datetime.datetime.now()

    # --- look-ups ----------------------------------------------------------------------------

    def eid_rows(self, key: str, datasets: pl.DataFrame | None = None) -> pl.DataFrame:
        """The datasets rows of session `key`, by binary search on the sorted ``eid``."""
        table = self.datasets if datasets is None else datasets
        col = table.get_column('eid')
        lo = col.search_sorted(key, side='left')
        hi = col.search_sorted(key, side='right')
        return table.slice(lo, hi - lo)

    def session_rows(self, key: str) -> pl.DataFrame:
        """The sessions rows with id `key` (0, 1 or, in a broken table, more)."""
        return self.sessions.filter(pl.col('id') == key)

    def sessions_by_date(self) -> pl.DataFrame:
        """The sessions in search result order: date, subject, number, all descending.

        The sort is stable and filters keep row order, so filtering this equals sorting the
        filtered rows, as ONE does.
        """
        return self.derived(
            'by_date',
            'sessions',
            lambda s: s.sort(
                ['date', 'subject', 'number'],
                descending=True,
                nulls_last=True,
                maintain_order=True,
            ),
        )

    def dataset_names(self) -> tuple[pl.Series, pl.Series]:
        """The distinct relative paths of the datasets table and their file names."""

        def build(datasets: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
            paths = datasets.lazy().select(pl.col('rel_path').drop_nulls().unique()).collect()
            paths = paths.get_column('rel_path')
            # The whole name after the last '/', including for files with no collection.
            return paths, paths.str.replace(r'\A.*/', '')

        return self.derived('names', 'datasets', build)

    def ids_out(self, ids: list[str | None]) -> list[UUID | str | None]:
        """:func:`id_out` over many ids, memoised: building ``UUID`` objects dominates the cost
        of returning a long list of eids, and the same sessions come back search after search."""
        memo = self._id_memo
        if len(memo) > _ID_MEMO_SIZE:
            memo = self._id_memo = {}
        out = list(map(memo.get, ids))
        if None in out:
            for i, key in enumerate(ids):
                if out[i] is None:
                    out[i] = memo[key] = id_out(key)  # type: ignore[index]
        return out

    def session_folders(
        self, eids: list[str], root_dir: Any
    ) -> dict[str, tuple[PurePosixALFPath, ALFPath]]:
        """Per eid: ONE's relative session folder and the folder to read from.

        The folders derived from the sessions table are remembered per eid (a look-up in the
        table and two path constructions cost more than loading a small object) for as long as
        the sessions table and `root_dir` are the same objects. Whether a folder exists is
        checked on each call; when ONE's folder does not, the one on disk is used.
        """
        holder = self.derived('folders', 'sessions', lambda _: {})
        known = holder.get(id(root_dir))
        if known is None or known[0] is not root_dir:
            known = holder[id(root_dir)] = (root_dir, {})
        folders = known[1]
        missing = [e for e in eids if e not in folders]
        if missing:
            root = ALFPath(root_dir)
            for record in self.sessions.filter(pl.col('id').is_in(missing)).iter_rows(named=True):
                rel = session_rel_path(check_session_row(record))
                folders[record['id']] = (rel, root / rel, record)
        out = {}
        for eid in eids:
            if eid not in folders:
                continue
            rel, folder, record = folders[eid]
            if not folder.is_dir():
                folder = session_on_disk(record, root_dir) or folder
            out[eid] = (rel, folder)
        return out

    def update_exists(self, datasets: pl.DataFrame, found: list[bool]) -> None:
        """Set the ``exists`` flags of `datasets` rows (``eid``, ``id``) to `found`."""
        table = self.datasets
        index, values = [], []
        indexed = table.with_row_index('__i')
        for (eid, did, old), new in zip(
            datasets.select('eid', 'id', 'exists').iter_rows(), found, strict=True
        ):
            if old == new:
                continue
            rows = self.eid_rows(eid, indexed)
            hit = rows.filter(pl.col('id') == did).get_column('__i')
            index.extend(hit.to_list())
            values.extend([new] * hit.len())
        if not index:
            return
        exists = table.get_column('exists').scatter(index, values)
        table = table.with_columns(exists)
        self.set_table('datasets', table)
        self._memo['eid_sorted'] = (table, True)

    def record_loaded(self, ids: list[str]) -> None:
        """Add dataset ids to ``_loaded_datasets`` (ONE's ``record_loaded``)."""
        out = [id_out(i) for i in ids]
        previous = self.cache.get('_loaded_datasets')
        merged = out if previous is None else [*previous, *out]
        self.cache['_loaded_datasets'] = np.unique(np.array(merged, dtype=object))


class EngineHost:
    """What the listing and conversion methods of a face rely on.

    A face sets these in its constructor; the methods shared by both faces read the tables
    through :attr:`_engine` only.
    """

    _engine: Engine
    cache_dir: Any
    wildcards: bool
    record_loaded: bool
    uuid_filenames: bool | None
    allow_pickle: bool
    _mmap: bool

    def search(self, details: bool = False, **kwargs: Any) -> Any:
        """Search sessions (provided by the face)."""
        raise NotImplementedError
