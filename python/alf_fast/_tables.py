"""Reading the parquet cache tables into polars, as ``one.alf.cache.load_tables`` does.

ONE keeps its tables as pandas frames indexed by ``id`` (sessions) and ``(eid, id)`` (datasets)
and casts the index values to ``uuid.UUID``. Here every table is a polars frame whose index
levels are ordinary ``String`` columns placed first, and the frame is sorted by them. Ids stay
lowercase strings so that joins and filters run in Rust; the API converts them to ``UUID`` only
on the way out.

Old table formats are patched on load like ONE does: integer-pair ids, the ``project`` column,
a missing ``qc`` column and the ``session_path`` column. The column types are then normalised
(``date`` to ``Date``, ``qc`` to an ordered enum, ``file_size`` to ``UInt64``) so that the
comparisons ONE gets wrong on unusual tables (see contract 2.11) always behave.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from alf_fast._table_checks import check_casts, check_unique_ids
from alf_fast.spec import QC_LEVELS

__all__ = [
    'DATASETS_SCHEMA',
    'QC_ENUM',
    'SESSIONS_SCHEMA',
    'Bunch',
    'default_cache',
    'empty_datasets',
    'empty_sessions',
    'load_tables',
    'merge_tables',
    'read_table',
    'remove_missing_datasets',
    'remove_table_files',
    'save_tables',
]

_logger = logging.getLogger('one.alf.cache')


#: The ``qc`` column type: ordered like ``one.alf.spec.QC`` so that ``<=`` compares outcomes.
QC_ENUM = pl.Enum(list(QC_LEVELS))

SESSIONS_SCHEMA: dict[str, Any] = {
    'id': pl.String,
    'lab': pl.String,
    'subject': pl.String,
    'date': pl.Date,
    'number': pl.UInt16,
    'task_protocol': pl.String,
    'projects': pl.String,
}
DATASETS_SCHEMA: dict[str, Any] = {
    'eid': pl.String,
    'id': pl.String,
    'rel_path': pl.String,
    'file_size': pl.UInt64,
    'hash': pl.String,
    'exists': pl.Boolean,
    'qc': QC_ENUM,
}
_INDEX = {'sessions': ['id'], 'datasets': ['eid', 'id']}
_SCHEMAS = {'sessions': SESSIONS_SCHEMA, 'datasets': DATASETS_SCHEMA}
# What ONE takes for index columns when the file carries no pandas index (a *search*).
_INDEX_KEY = re.compile('.?id')
_UUID_RE = '^[0-9a-f]{8}-[0-9a-f]{4}-[345][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
UUID_ANY_CASE_RE = '(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'


try:  # ONE-api's dependency; when present, our Bunch is also an instance of theirs
    from iblutil.util import Bunch as _BunchBase
except ImportError:  # pragma: no cover - ONE-api is optional at run time
    _BunchBase = dict


class Bunch(_BunchBase):  # type: ignore[misc, valid-type]
    """A ``dict`` whose keys can also be read and set as attributes, like ``iblutil``'s Bunch.

    Examples
    --------
    >>> b = Bunch(subject='SWC_001')
    >>> b.subject, b['subject']
    ('SWC_001', 'SWC_001')
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        dict.__init__(self, *args, **kwargs)
        self.__dict__ = self

    def copy(self, deep: bool = False) -> Bunch:
        """Return a shallow copy, or a deep one if `deep` is true."""
        if deep:
            import copy

            return copy.deepcopy(self)
        return Bunch(self)


def is_frame(value: Any) -> bool:
    """True for polars and pandas DataFrames (pandas is not imported to find out)."""
    if isinstance(value, pl.DataFrame):
        return True
    cls = type(value)
    return cls.__name__ == 'DataFrame' and cls.__module__.startswith('pandas')


def empty_sessions() -> pl.DataFrame:
    """Return an empty sessions table with the standard columns and types."""
    return pl.DataFrame(schema=SESSIONS_SCHEMA)


def empty_datasets() -> pl.DataFrame:
    """Return an empty datasets table with the standard columns and types."""
    return pl.DataFrame(schema=DATASETS_SCHEMA)


def _now_metadata(origin: Any = '') -> dict[str, Any]:
    stamp = datetime.datetime.now().isoformat(sep=' ', timespec='minutes')
    return {'date_created': stamp, 'origin': {str(origin)} if origin else set()}


def default_cache(origin: Any = '') -> Bunch:
    """Return an empty cache: the two standard tables and ONE's ``_meta`` record.

    Parameters
    ----------
    origin : str, optional
        Recorded as the origin of the (empty) tables.

    Returns
    -------
    Bunch
        Keys ``datasets``, ``sessions`` and ``_meta``.
    """
    return Bunch(
        {
            'datasets': empty_datasets(),
            'sessions': empty_sessions(),
            '_meta': {
                'created_time': None,
                'loaded_time': None,
                'modified_time': None,
                'saved_time': None,
                'raw': {k: _now_metadata(origin) for k in ('datasets', 'sessions')},
            },
        }
    )


def _version_tuple(text: str | None) -> tuple[int, ...]:
    """The numeric release of a version string (``'1.13.0rc1'`` -> ``(1, 13, 0)``)."""
    match = re.match(r'\s*v?(\d+(?:\.\d+)*)', text or '')
    return tuple(int(x) for x in match.group(1).split('.')) if match else (0,)


def _file_metadata(path: Path) -> tuple[dict[str, Any], list[str] | None]:
    """Read the ``one_metadata`` record and the pandas index columns from a file's footer."""
    try:
        schema = pq.read_schema(path)
    except Exception as err:  # pyarrow raises several types for unreadable files
        raise ValueError(f'{path} is not a readable parquet table: {err}') from err
    raw = schema.metadata or {}
    try:
        meta = json.loads(raw[b'one_metadata'])
    except (KeyError, ValueError):
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    index = None
    if b'pandas' in raw:
        try:
            pandas_meta = json.loads(raw[b'pandas'])
            # A RangeIndex is recorded as a dict, not as a column: it does not count.
            index = [c for c in pandas_meta.get('index_columns', []) if isinstance(c, str)]
        except (ValueError, AttributeError):
            index = None
    return meta, index or None


def _int_pairs_to_uuid(frame: pl.DataFrame, index: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Join ``<name>_0``/``<name>_1`` int64 columns into UUID strings, as ONE's int2str does."""
    if len(index) < 2 or not any(c.endswith('_0') for c in index):
        return frame, index
    int_cols = sorted(c for c in frame.columns if re.search(r'_\d$', c))
    if len(int_cols) % 2:
        raise ValueError('expected even number of columns ending in _0 or _1')
    names = sorted({c.rsplit('_', 1)[0] for c in int_cols})
    out = {}
    for i, name in zip(range(0, len(int_cols), 2), names, strict=True):
        pair = frame.select(int_cols[i : i + 2]).cast(pl.Int64).to_numpy()
        # Each row's two int64s, in native byte order, are the 16 bytes of the UUID.
        raw = np.ascontiguousarray(pair, dtype=np.int64).view(np.uint8).reshape(-1, 16)
        out[name] = pl.Series(name, [str(uuid.UUID(bytes=b.tobytes())) for b in raw], pl.String)
    frame = frame.drop(int_cols).with_columns(**out)
    return frame, names


def _lowercase_uuids(frame: pl.DataFrame, index: list[str]) -> pl.DataFrame:
    """Lower-case UUID ids when the table is UUID-keyed, as ONE's cast to ``UUID`` does."""
    if not index or frame.height == 0 or frame.schema[index[0]] != pl.String:
        return frame
    first = frame.get_column(index[0])
    head = first.drop_nulls().head(1)
    keyed = bool(len(head) and re.match(_UUID_RE, head[0])) or bool(
        first.str.contains(_UUID_RE).any()
    )
    if not keyed:
        return frame
    strings = [c for c in index if frame.schema[c] == pl.String]
    upper = frame.select(pl.col(c).str.contains('[A-F]').any() for c in strings).row(0)
    fixes = []
    for name, has_upper in zip(strings, upper, strict=True):
        if has_upper:
            col = pl.col(name)
            uuid_like = col.str.contains(UUID_ANY_CASE_RE)
            fixes.append(
                pl.when(uuid_like).then(col.str.to_lowercase()).otherwise(col).alias(name)
            )
    return frame.with_columns(fixes) if fixes else frame


def _normalise_types(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Cast the standard columns to the types of the contract and add missing ones."""
    schema = _SCHEMAS.get(name)
    if schema is None:
        return frame
    fixes = []
    for col, dtype in schema.items():
        if col not in frame.columns:
            default: Any = {'qc': 'NOT_SET', 'exists': True}.get(col)
            fixes.append(pl.lit(default, dtype=dtype).alias(col))
            continue
        have = frame.schema[col]
        if have == dtype:
            continue
        expr = pl.col(col)
        if col == 'date' and have == pl.String:
            expr = expr.str.to_date(strict=False)
        elif col == 'number':
            # Any integer type is fine (ONE accepts uint16 and int64); keep it.
            if have.is_integer():
                continue
            expr = expr.cast(pl.Int64, strict=False)
        elif col == 'file_size' and have.is_float():
            expr = expr.fill_nan(None).cast(dtype, strict=False)
        elif col == 'qc':
            # A categorical whose values are all QC names casts directly; else go via strings.
            try:
                frame = frame.with_columns(expr.cast(dtype))
                continue
            except pl.exceptions.PolarsError:
                expr = expr.cast(pl.String).cast(dtype, strict=False)
        else:
            expr = expr.cast(dtype, strict=False)
        fixes.append(expr.alias(col))
    if fixes:
        frame = frame.with_columns(fixes)
    extras = [c for c in frame.columns if c not in schema]
    return frame.select([*schema, *extras])


def _is_sorted(frame: pl.DataFrame, keys: list[str]) -> bool:
    """True if `frame` is sorted lexicographically by `keys` (ascending, nulls first)."""
    if frame.height < 2:
        return True
    ordered = pl.lit(False)
    tied = pl.lit(True)
    for key in keys:
        col, prev = pl.col(key), pl.col(key).shift()
        # A null sorts before any value, as in a pandas index sort.
        gt = (col > prev).fill_null(prev.is_null() & col.is_not_null())
        eq = (col == prev).fill_null(prev.is_null() & col.is_null())
        ordered = ordered | (tied & gt)
        tied = tied & eq
    ok = (ordered | tied).slice(1)
    return bool(frame.select(ok.all()).item())


def read_table(path: Path, name: str, meta: dict[str, Any], index: list[str] | None, **kw):
    """Read one cache table into polars and bring it to the current format.

    Parameters
    ----------
    path : pathlib.Path
        The parquet file.
    name : str
        The table name (file stem); ``sessions`` and ``datasets`` get their standard schema.
    meta : dict
        The file's ``one_metadata`` record (its ``min_api_version`` selects the patches).
    index : list of str or None
        The pandas index columns recorded in the file, if any.
    **kw
        Passed to :func:`polars.read_parquet` (``memory_map``).

    Returns
    -------
    polars.DataFrame
        Index columns first, sorted by them.

    Raises
    ------
    KeyError
        No index column could be found (ONE's ``'Failed to set index'``).
    ValueError
        The file cannot be read.
    """
    try:
        frame = pl.read_parquet(path, **kw)
    except Exception as err:  # polars raises ComputeError/OSError subclasses for bad files
        raise ValueError(f'{path} is not a readable parquet table: {err}') from err
    if index is None or not all(c in frame.columns for c in index):
        index = sorted(c for c in frame.columns if _INDEX_KEY.search(c))
        if not index:
            raise KeyError(f'Failed to set index of {path}')
    frame, index = _int_pairs_to_uuid(frame, index)
    version = _version_tuple(meta.get('min_api_version'))
    if version < (1, 13) and 'project' in frame.columns and 'projects' not in frame.columns:
        frame = frame.rename({'project': 'projects'})
    if name == 'datasets' and 'session_path' in frame.columns:
        frame = frame.drop('session_path')
    # Ids are strings internally whatever the file held (ONE keeps ints/paths as they are).
    frame = frame.with_columns(
        pl.col(c).cast(pl.String) for c in index if frame.schema[c] != pl.String
    )
    frame = _lowercase_uuids(frame, index)
    frame = frame.select([*index, *(c for c in frame.columns if c not in index)])
    frame = check_casts(path, name, frame, _normalise_types(frame, name))
    keys = _INDEX.get(name, index)
    if not _is_sorted(frame, keys):
        frame = frame.sort(keys, maintain_order=True, nulls_last=False)
    check_unique_ids(path, name, keys, frame)
    if keys:
        # Record what was just checked, so that later binary searches on the leading id column
        # do not re-verify the order of a million rows (7 ms) on first use.
        frame = frame.with_columns(pl.col(keys[0]).set_sorted())
    return frame


def load_tables(tables_dir: str | Path, glob_pattern: str = '*.pqt', memory_map: bool = True):
    """Load every cache table in a folder, like ``one.alf.cache.load_tables``.

    A file whose ``one_metadata`` lacks ``date_created`` is not a cache table: a warning is
    logged and the file is skipped (its metadata is still recorded under ``_meta['raw']``).

    Parameters
    ----------
    tables_dir : str or pathlib.Path
        The folder to read (not recursive).
    glob_pattern : str
        Which files to read.
    memory_map : bool
        Memory-map the files while reading.

    Returns
    -------
    Bunch
        ``datasets``, ``sessions``, ``_meta`` and one entry per other table, named by file stem.

    Raises
    ------
    ValueError
        A file is not a readable parquet file, or ``sessions.pqt`` and ``datasets.pqt`` come
        from two different builds (the message names them).
    """
    from alf_fast._commit import prepare_load

    prepare_load(tables_dir)  # finish an interrupted build's commit; refuse a mixed pair
    caches = default_cache()
    meta = caches['_meta']
    for path in sorted(Path(tables_dir).glob(glob_pattern)):
        table = path.stem
        raw, index = _file_metadata(path)
        meta['raw'][table] = raw
        if 'date_created' not in raw:
            _logger.warning('%s does not appear to be a valid table. Skipping', path)
            continue
        meta['loaded_time'] = datetime.datetime.now()
        caches[table] = read_table(path, table, raw, index, memory_map=memory_map)
        origin = raw.get('origin', 'unknown')
        origin = origin if isinstance(origin, (list, tuple, set)) else [origin]
        raw['origin'] = set(filter(None, origin))

    created = []
    for raw in meta['raw'].values():
        try:
            created.append(datetime.datetime.fromisoformat(raw['date_created']))
        except (KeyError, TypeError, ValueError):
            continue
    if created:
        meta['created_time'] = min(created)
    return caches


def merge_tables(cache: dict, strict: bool = False, origin: Any = None, **kwargs: Any):
    """Insert or update rows of the cache tables, like ``one.alf.cache.merge_tables``.

    Parameters
    ----------
    cache : dict
        Tables (polars, index levels as leading columns) and ``_meta``; updated in place.
    strict : bool
        Require the new rows to have exactly the table's columns, in order. Otherwise extra
        columns are dropped and missing ones filled with nulls.
    origin : str, optional
        Added to the ``origin`` of each updated table's metadata.
    **kwargs
        Per table name, the rows to insert or update (a polars frame, or a dict for one row).
        Rows whose index already exists replace the old ones; the first of duplicated new
        rows wins.

    Returns
    -------
    datetime.datetime or None
        When the tables were updated (None if nothing was given).

    Raises
    ------
    KeyError
        A keyword names no table of the cache.
    AssertionError
        `strict` and the columns differ (ONE's exception class).
    """
    updated = None
    for name, records in kwargs.items():
        if isinstance(records, dict):
            records = pl.DataFrame([records])
        if records is None or records.height == 0:
            continue
        if name not in cache:
            raise KeyError(f'Table "{name}" not in cache')
        table = cache[name]
        keys = _INDEX.get(name) or [c for c in table.columns if _INDEX_KEY.fullmatch(c)]
        if strict and records.columns != table.columns:
            raise AssertionError(f'columns of the new {name} rows differ from the table')
        records = records.with_columns(
            pl.col(c).map_elements(str, return_dtype=pl.String)
            if records.schema[c] == pl.Object
            else pl.col(c).cast(pl.String)
            for c in keys
        )
        records = _lowercase_uuids(records, keys).unique(keys, keep='first', maintain_order=True)
        missing = [pl.lit(None).alias(c) for c in table.columns if c not in records.columns]
        records = records.with_columns(missing).select(table.columns)
        records = records.cast(dict(table.schema), strict=False)
        kept = table.join(records.select(keys), on=keys, how='anti', nulls_equal=True)
        cache[name] = pl.concat([kept, records]).sort(keys, maintain_order=True)
        updated = datetime.datetime.now()
        raw = cache['_meta']['raw'].setdefault(name, {})
        if origin is not None:
            found = raw.get('origin') or set()
            raw['origin'] = (found if isinstance(found, set) else {found}) | {origin}
        raw.setdefault('date_created', _now_metadata()['date_created'])
    cache['_meta']['modified_time'] = updated
    return updated


def save_tables(cache: dict, save_dir: Path, modified: datetime.datetime) -> None:
    """Write every table of a cache to ``<save_dir>/<name>.pqt`` in ONE's format, atomically.

    The sessions and datasets tables get ONE's exact schema (pandas metadata included); other
    tables are written as they are, with ONE's ``one_metadata``.
    """
    from alf_fast import _parquet

    meta = cache['_meta']
    staged = {}
    for name, table in cache.items():
        if name.startswith('_'):
            continue
        raw = dict(meta['raw'].get(name, {}))
        if isinstance(raw.get('origin'), set):
            raw['origin'] = sorted(raw['origin'])
        raw['date_modified'] = modified.isoformat(sep=' ', timespec='minutes')
        raw.setdefault('date_created', raw['date_modified'])
        data = table.to_arrow()
        standard = _SCHEMAS.get(name)
        if standard is not None and table.columns == list(standard):
            indexed = table.height == 0 or bool(
                table.get_column(_INDEX[name][-1]).str.contains(UUID_ANY_CASE_RE).all()
            )
            hashed = (
                table.get_column('hash').null_count() < table.height
                if 'hash' in table.columns
                else True
            )
            schema = _parquet.one_schema(name, table.height, raw, indexed, hashed=hashed)
            data = _parquet.conform(data, schema)
        else:
            data = data.replace_schema_metadata({'one_metadata': json.dumps(raw)})
            schema = data.schema
        staged[Path(save_dir) / f'{name}.pqt'] = (schema, [data])
    _parquet.write_atomic(staged)


def remove_missing_datasets(
    cache_dir, tables: dict | None = None, remove_empty_sessions: bool = True, dry: bool = True
) -> list:
    """List (and unless `dry`, delete) the dataset files and session folders not in the tables.

    Like ``one.alf.cache.remove_missing_datasets``: ALF files of a session that the datasets
    table does not list, and session folders that the sessions table does not list, are
    removed; non-ALF files never are. Unlike ONE (which tests the relative path against the
    column's index and so lists every dataset), a file is kept when its relative path is in the
    session's ``rel_path`` column.

    Parameters
    ----------
    cache_dir : str or pathlib.Path
        The data folder.
    tables : dict, optional
        ``sessions`` and ``datasets`` tables (polars); read from `cache_dir` if omitted.
    remove_empty_sessions : bool
        Also remove session folders that are not in the sessions table.
    dry : bool
        Only print and return what would be removed.

    Returns
    -------
    list of pathlib.Path
        What was (or would be) removed, sorted.
    """
    from alf_fast.io import iter_sessions
    from alf_fast.path import ALFPath

    cache_dir = Path(cache_dir)
    if tables is None:
        tables = load_tables(cache_dir)
    # Sessions are matched on subject, date and number (001 and 1 are the same session), as
    # path2eid does: ONE's exact path rule would delete sessions whose folders it misnames.
    by_parts = {
        (rec['subject'], str(rec['date']), int(rec['number'])): rec['id']
        for rec in tables['sessions'].iter_rows(named=True)
    }
    datasets = tables['datasets']
    to_delete = set()
    for session_path in iter_sessions(cache_dir):
        _, subject, date, number = ALFPath(session_path).session_parts
        eid = by_parts.get((subject, date, int(number)))
        listed = set()
        if eid is not None:
            listed = set(datasets.filter(pl.col('eid') == eid).get_column('rel_path').to_list())
        for dataset in session_path.iter_datasets():
            if dataset.relative_to_session().as_posix() not in listed:
                to_delete.add(dataset)
        if eid is None and remove_empty_sessions:
            to_delete.add(session_path)
    if dry:
        print('The following session and datasets would be removed:', end='\n\t')
        print('\n\t'.join(sorted(map(str, to_delete))))
        return sorted(to_delete)
    for path in sorted(to_delete, reverse=True):
        if path.is_file():
            _logger.debug(f'Removing {path}')
            path.unlink()
        else:
            # Remove the folder and its now empty parents, never the data folder itself.
            while path != cache_dir and path.is_dir() and not any(path.rglob('*')):
                _logger.debug(f'Removing {path}')
                path.rmdir()
                path = path.parent
    return sorted(to_delete)


def remove_table_files(folder, tables=('sessions', 'datasets')) -> list:
    """Delete ``cache_info.json`` and ``<folder>/<table>.pqt`` for each table name, like ONE.

    Returns
    -------
    list of pathlib.Path
        The files deleted (a missing one is logged as a warning).
    """
    removed = []
    for name in ('cache_info.json', *(f'{t}.pqt' for t in tables)):
        path = Path(folder) / name
        if path.exists():
            path.unlink()
            removed.append(path)
        else:
            _logger.warning('%s not found', path)
    return removed
