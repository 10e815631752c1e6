"""Conversions between the engine's polars tables and ONE's pandas types.

ONE-api reads its tables with ``pyarrow.Table.to_pandas`` (``iblutil.io.parquet.load``), sets
the index (``id``; ``eid, id``), casts UUID index values to ``uuid.UUID`` and fixes the ``qc``
and ``file_size`` dtypes. The same steps run here on the engine's frames, so the column dtypes are
what ONE gets under the installed pandas (``str`` columns under pandas 3, ``object`` before).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from alf_fast._engine import id_key, id_out
from alf_fast._tables import QC_ENUM, Bunch
from alf_fast._tables import _lowercase_uuids as lowercase_uuids
from alf_fast._tables import _normalise_types as normalise_types
from alf_fast.spec import QC_LEVELS

__all__ = [
    'QC_TYPE',
    'from_pandas',
    'record',
    'table_index',
    'to_pandas',
    'to_pandas_value',
]

#: ONE's ``qc`` column dtype: the QC names as an ordered categorical.
QC_TYPE = pd.CategoricalDtype(categories=list(QC_LEVELS), ordered=True)

_INDEX = {'sessions': ['id'], 'datasets': ['eid', 'id']}
#: Rows up to which a column is converted through Python objects rather than a polars query.
_SMALL = 10_000


def _empty(name: str) -> pd.DataFrame:
    from alf_fast.one.alf import cache

    return cache.EMPTY_SESSIONS_FRAME if name == 'sessions' else cache.EMPTY_DATASETS_FRAME


_EMPTY = {'sessions': lambda: _empty('sessions'), 'datasets': lambda: _empty('datasets')}


def table_index(frame: pl.DataFrame, name: str | None = None) -> list[str]:
    """The index levels of a frame of the engine: ``eid, id`` or ``id`` (leading columns)."""
    if name in _INDEX:
        return _INDEX[name]
    columns = frame.columns[:2]
    if columns == ['eid', 'id']:
        return columns
    return ['id'] if columns[:1] == ['id'] else []


def _uuid_index(values: list[Any]) -> list[Any]:
    """Index values as ONE holds them: ``UUID`` for UUID text, other ids unchanged."""
    return [id_out(v) if isinstance(v, str) else v for v in values]


def to_pandas(frame: pl.DataFrame, name: str | None = None) -> pd.DataFrame:
    """Return a polars frame of the engine as ONE's pandas frame.

    Parameters
    ----------
    frame : polars.DataFrame
        A table or a slice of one, index levels as leading columns.
    name : str, optional
        ``'sessions'`` or ``'datasets'`` when the index is known; otherwise ``eid, id`` or
        ``id`` leading columns become the index.

    Returns
    -------
    pandas.DataFrame
    """
    index = table_index(frame, name)
    if frame.height == 0 and name in _EMPTY:
        # ONE's empty tables are its EMPTY_*_FRAME constants (object columns), not read ones.
        return _EMPTY[name]().copy()
    columns = {}
    for column in frame.columns:
        if column in index:
            continue
        values = frame.get_column(column)
        if column == 'qc' and values.dtype == QC_ENUM and values.len() > _SMALL:
            # The enum's codes are QC_TYPE's: no string is built. (Series expressions run a
            # query each, which costs more than the strings of a small frame.)
            codes = values.to_physical().cast(pl.Int8).fill_null(-1).to_numpy()
            columns[column] = pd.Categorical.from_codes(codes, dtype=QC_TYPE)
        elif column == 'qc':
            columns[column] = pd.Categorical(values.cast(pl.String).to_list(), dtype=QC_TYPE)
        elif column == 'file_size':
            columns[column] = pd.array(values.to_list(), dtype='UInt64')
        else:
            # Arrow's conversion, as ONE's parquet reader does: the same dtypes under any pandas.
            columns[column] = values.to_arrow().to_pandas().array
    out = pd.DataFrame(columns, copy=False)
    if not index:
        return out
    levels = [_level(frame.get_column(c).to_list()) for c in index]
    if len(index) == 1:
        uniques, codes = levels[0]
        out.index = pd.Index([uniques[i] for i in codes], name=index[0], dtype=object)
    else:
        # Levels and codes directly: factorizing UUID objects in from_arrays costs more than
        # the rest of the conversion.
        out.index = pd.MultiIndex(
            levels=[pd.Index(u, dtype=object) for u, _ in levels],
            codes=[c for _, c in levels],
            names=index,
            verify_integrity=False,
        )
    return out


def _level(values: list[Any]) -> tuple[list[Any], list[int]]:
    """The distinct ids of an index level (as ONE holds them) and each row's position."""
    positions: dict[Any, int] = {}
    codes = [positions.setdefault(v, len(positions)) for v in values]
    return [id_out(v) if isinstance(v, str) else v for v in positions], codes


def record(frame: pl.DataFrame, name: str | None = None) -> pd.Series:
    """Return the single row of a frame of the engine as ONE's record: a Series named by its
    index (an id, or an ``(eid, id)`` pair)."""
    return to_pandas(frame, name).iloc[0]


def to_pandas_value(value: Any) -> Any:
    """Convert the polars parts of a result to pandas: frames, series, and those inside dicts,
    lists and tuples (other values are returned as they are)."""
    if isinstance(value, pl.DataFrame):
        return to_pandas(value)
    if isinstance(value, pl.Series):
        return value.to_pandas()
    if isinstance(value, dict):
        converted = {k: to_pandas_value(v) for k, v in value.items()}
        if all(converted[k] is value[k] for k in value):
            return value
        out = type(value)() if isinstance(value, Bunch) else {}
        out.update(converted)
        return out
    if isinstance(value, list):
        return [to_pandas_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_pandas_value(v) for v in value)
    return value


def from_pandas(frame: pd.DataFrame | pd.Series, name: str, sort: bool = True) -> pl.DataFrame:
    """Return a pandas table (ONE's form) as the engine's polars table.

    Parameters
    ----------
    frame : pandas.DataFrame or pandas.Series
        Rows indexed as in ONE (a Series is one record, named by its index).
    name : str
        The table name; ``sessions`` and ``datasets`` get their standard columns and types.
    sort : bool
        Sort by the index levels, as a table is; otherwise keep the row order.

    Returns
    -------
    polars.DataFrame
        Index levels as leading ``String`` columns.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame().T
        names = _INDEX.get(name, ['id'])
        if isinstance(frame.index[0], tuple):
            frame.index = pd.MultiIndex.from_tuples(frame.index, names=names)
        else:
            frame.index = frame.index.set_names(names[-1:])
        frame = frame.infer_objects()
    standard = _INDEX.get(name, [])
    unnamed = not any(frame.index.names) and not isinstance(frame.index, pd.RangeIndex)
    if unnamed and frame.index.nlevels == len(standard):
        # pd.concat of a table and a record drops the level names; pandas still finds rows
        # by position in the index, so these are the table's levels.
        frame = frame.rename_axis(standard)
    index = [n for n in frame.index.names if n is not None]
    flat = frame.reset_index() if index else frame.copy()
    for column in index:
        flat[column] = [None if v is None else id_key(v) for v in flat[column]]
    if 'qc' in flat.columns:
        flat['qc'] = (
            flat['qc']
            .astype(object)
            .map(lambda v: v if v is None or isinstance(v, str) else QC_LEVELS[int(v)])
        )
    if 'date' in flat.columns and flat['date'].dtype == object:
        flat['date'] = pd.to_datetime(flat['date']).dt.date
    for column in flat.columns:
        if flat[column].dtype == object and flat[column].map(type).eq(np.ndarray).any():
            continue
        if isinstance(flat[column].dtype, pd.CategoricalDtype):
            flat[column] = flat[column].astype(object)
    out = pl.from_pandas(flat)
    out = lowercase_uuids(out, index)
    out = normalise_types(out, name)
    keys = _INDEX.get(name, index)
    if sort and keys:
        out = out.sort(keys, maintain_order=True, nulls_last=False)
    return out
