"""``one.alf.cache`` for the compatible face: building, reading and merging ONE's tables.

:func:`make_parquet_db` is alf_fast's Rust indexer; the tables are read and merged as ONE's
pandas frames, with ONE's constants.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alf_fast import _tables
from alf_fast.cache import make_parquet_db as _make_parquet_db
from alf_fast.one import _pandas
from alf_fast.one._pandas import QC_TYPE

__all__ = [
    'DATASETS_COLUMNS',
    'EMPTY_DATASETS_FRAME',
    'EMPTY_SESSIONS_FRAME',
    'QC_TYPE',
    'SESSIONS_COLUMNS',
    'cast_index_object',
    'default_cache',
    'load_tables',
    'make_parquet_db',
    'merge_tables',
    'remove_missing_datasets',
    'remove_table_files',
]

SESSIONS_COLUMNS = {
    'id': object,
    'lab': object,
    'subject': object,
    'date': object,
    'number': np.uint16,
    'task_protocol': object,
    'projects': object,
}
"""dict: The sessions table's columns and their pandas dtypes (``id`` is the index)."""

DATASETS_COLUMNS = {
    'eid': object,
    'id': object,
    'rel_path': object,
    'file_size': 'UInt64',
    'hash': object,
    'exists': bool,
    'qc': QC_TYPE,
}
"""dict: The datasets table's columns and their pandas dtypes (``eid, id`` is the index)."""

EMPTY_DATASETS_FRAME = (
    pd.DataFrame(columns=list(DATASETS_COLUMNS)).astype(DATASETS_COLUMNS).set_index(['eid', 'id'])
)
"""pandas.DataFrame: An empty datasets table."""

EMPTY_SESSIONS_FRAME = (
    pd.DataFrame(columns=list(SESSIONS_COLUMNS)).astype(SESSIONS_COLUMNS).set_index('id')
)
"""pandas.DataFrame: An empty sessions table."""


def make_parquet_db(root_dir, out_dir=None, hash_ids=True, hash_files=False, lab=None, **kwargs):
    """Index the ALF datasets under a folder and save ONE's two cache tables.

    :func:`alf_fast.make_parquet_db` (same arguments, plus ``threads``, ``progress`` and
    ``namespace``).

    Returns
    -------
    pathlib.Path
        The sessions table.
    pathlib.Path
        The datasets table.
    """
    return _make_parquet_db(root_dir, out_dir, hash_ids, hash_files, lab, **kwargs)


def default_cache(origin: Any = '') -> _tables.Bunch:
    """Return empty tables (ONE's pandas frames) and ONE's ``_meta`` record."""
    cache = _tables.default_cache(origin)
    cache['datasets'] = EMPTY_DATASETS_FRAME.copy()
    cache['sessions'] = EMPTY_SESSIONS_FRAME.copy()
    return cache


def _to_pandas(cache: _tables.Bunch) -> _tables.Bunch:
    for name, table in list(cache.items()):
        if not name.startswith('_'):
            cache[name] = _pandas.to_pandas(table, name)
    return cache


def _to_polars(cache: dict) -> _tables.Bunch:
    out = _tables.Bunch(cache)
    for name, table in cache.items():
        if isinstance(table, (pd.DataFrame, pd.Series)):
            out[name] = _pandas.from_pandas(table, name)
    return out


def load_tables(tables_dir, glob_pattern: str = '*.pqt') -> _tables.Bunch:
    """Load the cache tables of a folder as ONE's pandas frames (see
    :func:`alf_fast._tables.load_tables` for the format fixes applied)."""
    return _to_pandas(_tables.load_tables(tables_dir, glob_pattern, memory_map=False))


def merge_tables(cache: dict, strict: bool = False, origin=None, **kwargs) -> Any:
    """Insert or update rows of pandas cache tables, like ONE's ``merge_tables``.

    Parameters
    ----------
    cache : dict
        Tables (ONE's pandas frames) and ``_meta``; the tables are replaced by merged ones.
    strict : bool
        Require the new rows to have exactly the table's columns.
    origin : str, optional
        Added to the tables' ``origin`` metadata.
    **kwargs
        Per table, a pandas DataFrame (or Series for one row) of rows to insert or update.

    Returns
    -------
    datetime.datetime or None
        When the tables were updated.
    """
    records = {}
    for name, rows in kwargs.items():
        if rows is None or rows.empty:
            continue
        if name not in cache:
            raise KeyError(f'Table "{name}" not in cache')
        if strict and isinstance(rows, pd.DataFrame):
            if list(rows.columns) != list(cache[name].columns):
                raise AssertionError(f'columns of the new {name} rows differ from the table')
        records[name] = _pandas.from_pandas(rows, name)
    polars_cache = _to_polars({k: cache[k] for k in records})
    polars_cache['_meta'] = cache['_meta']
    updated = _tables.merge_tables(polars_cache, origin=origin, **records)
    for name in records:
        cache[name] = _pandas.to_pandas(polars_cache[name], name)
    cache['_meta']['modified_time'] = updated
    return updated


def remove_missing_datasets(cache_dir, tables=None, remove_empty_sessions=True, dry=True):
    """List (and unless `dry`, delete) dataset files and session folders not in the tables.

    See :func:`alf_fast._tables.remove_missing_datasets`; `tables` are ONE's pandas frames.
    """
    polars_tables = None if tables is None else _to_polars(tables)
    return _tables.remove_missing_datasets(
        cache_dir, polars_tables, remove_empty_sessions=remove_empty_sessions, dry=dry
    )


def remove_table_files(folder, tables=('sessions', 'datasets')) -> list[Path]:
    """Delete ``cache_info.json`` and the named ``.pqt`` tables of a folder."""
    return _tables.remove_table_files(Path(folder), tables)


def cast_index_object(df: pd.DataFrame, dtype: Any = uuid.UUID) -> pd.DataFrame:
    """Map every index value through `dtype` (``uuid.UUID`` or ``str``), as ONE does."""
    if isinstance(df.index, pd.MultiIndex):
        df.index = pd.MultiIndex.from_arrays(
            [
                df.index.get_level_values(i).map(dtype, na_action='ignore')
                for i in range(df.index.nlevels)
            ],
            names=df.index.names,
        )
    else:
        df.index = df.index.map(dtype, na_action='ignore')
    return df
