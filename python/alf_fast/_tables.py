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

__all__ = [
    'DATASETS_SCHEMA',
    'QC_ENUM',
    'SESSIONS_SCHEMA',
    'Bunch',
    'default_cache',
    'empty_datasets',
    'empty_sessions',
    'load_tables',
    'read_table',
]

_logger = logging.getLogger(__name__)

QC_NAMES = ('NOT_SET', 'PASS', 'WARNING', 'FAIL', 'CRITICAL')
#: The ``qc`` column type: ordered like ``one.alf.spec.QC`` so that ``<=`` compares outcomes.
QC_ENUM = pl.Enum(list(QC_NAMES))

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
    frame = _normalise_types(frame, name)
    keys = _INDEX.get(name, index)
    if not _is_sorted(frame, keys):
        frame = frame.sort(keys, maintain_order=True, nulls_last=False)
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
        A file is not a readable parquet file (the message names it).
    """
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
