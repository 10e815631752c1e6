"""``one.api`` for the compatible face: ONE's local-mode ``One`` returning ONE's pandas types.

:class:`One` runs the polars face's engine and methods and translates results: frames become
pandas frames indexed like ONE's (``id``; ``eid, id``), single records pandas Series named by
their index, table files pandas frames. ``one._cache`` reads as ONE's pandas tables.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from alf_fast import api as _api
from alf_fast._engine import id_out
from alf_fast.one import _pandas
from alf_fast.one.alf import io as alfio

__all__ = ['ONE', 'One']

#: Save modified tables when a One is deleted (``ONE_SAVE_ON_DELETE``, read at import).
SAVE_ON_DELETE = _api.SAVE_ON_DELETE


class _PandasCache(dict):
    """ONE's ``One._cache`` over the engine: tables read as pandas, converted on first access.

    Reading ``cache['datasets']`` (or ``cache.datasets``) gives ONE's pandas frame, converted
    once per table object; assigning a pandas frame (either way) replaces the engine's table.
    Editing a frame in place (``cache.datasets.loc[...] = x``) changes only that copy. Other
    entries (``_meta``, ``_loaded_datasets``) are the engine's own objects.
    """

    def __init__(self, engine) -> None:
        super().__init__()
        self._engine = engine

    def __getitem__(self, key: str) -> Any:
        value = self._engine.cache[key]
        if isinstance(value, pl.DataFrame):
            return self._engine.derived(
                f'pandas:{key}', key, lambda frame: _pandas.to_pandas(frame, key)
            )
        return value

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        if key == '_engine':
            super().__setattr__(key, value)
        else:
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, (pd.DataFrame, pd.Series)):
            value = _pandas.from_pandas(value, key)
        self._engine.cache[key] = value

    def __delitem__(self, key: str) -> None:
        del self._engine.cache[key]

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._engine.cache

    def __iter__(self):
        return iter(self._engine.cache)

    def __len__(self) -> int:
        return len(self._engine.cache)

    def keys(self):  # type: ignore[override]
        return self._engine.cache.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in self]

    def values(self):  # type: ignore[override]
        return [self[k] for k in self]

    def __repr__(self) -> str:
        return f'{type(self).__name__}({list(self)})'


def _pandas_frames(method):
    """Return the method's result with its polars frames converted to ONE's pandas frames."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return _pandas.to_pandas_value(method(self, *args, **kwargs))

    return wrapper


class One(_api.One):
    """ONE's local-mode ``One`` with ONE's pandas types, over alf_fast's engine.

    Takes the arguments of :class:`alf_fast.One`. Every method behaves as the polars face's
    (and as ONE-api 3.6.1's, with the documented fixes); only the types of results differ:

    - ``list_datasets(details=True)``, ``get_details(full=True)``, the ``details=True`` forms of
      ``list_collections``/``list_revisions``: pandas DataFrames indexed by ``(eid, id)``, or
      ``id`` for one session, with ONE's column order and dtypes;
    - ``get_details(eid)``, ``path2record``, ``load_dataset_from_id(details=True)``: pandas
      Series named by the record's index;
    - loaded tables (``.pqt``, ``.csv``...) and ``AlfBunch.to_df()``: pandas DataFrames;
    - ``one._cache.sessions`` / ``one._cache.datasets``: ONE's pandas tables.
    """

    _io = alfio

    @property
    def _cache(self) -> _PandasCache:  # type: ignore[override]
        """ONE's cache: ``sessions``/``datasets`` as ONE's pandas frames, and ``_meta``.

        One view per instance, so that ``mock.patch.object(one._cache, 'sessions', ...)``
        patches and restores the engine's table as it does ONE's.
        """
        view = self.__dict__.get('_pandas_cache')
        if view is None or view._engine is not self._engine:
            view = self.__dict__['_pandas_cache'] = _PandasCache(self._engine)
        return view

    def __del__(self) -> None:
        if SAVE_ON_DELETE and hasattr(self, '_engine'):
            self.save_cache()

    def _check_filesystem(self, datasets, offline=None, update_exists=True, check_hash=True):
        if isinstance(datasets, (pd.DataFrame, pd.Series)):
            has_eid = 'eid' in datasets.index.names or 'eid' in getattr(datasets, 'columns', ())
            datasets = _pandas.from_pandas(datasets, 'datasets', sort=False)
            if not has_eid:  # rows of one session, eid level dropped: found again by id
                datasets = datasets.drop('eid')
        return super()._check_filesystem(datasets, offline, update_exists, check_hash)

    @_pandas_frames
    def list_datasets(self, *args: Any, **kwargs: Any):
        return super().list_datasets(*args, **kwargs)

    @_pandas_frames
    def list_collections(self, *args: Any, **kwargs: Any):
        return super().list_collections(*args, **kwargs)

    @_pandas_frames
    def list_revisions(self, *args: Any, **kwargs: Any):
        return super().list_revisions(*args, **kwargs)

    @_pandas_frames
    def load_datasets(self, *args: Any, **kwargs: Any):
        return super().load_datasets(*args, **kwargs)

    def get_details(self, eid: Any, full: bool = False):
        if full:
            return _pandas.to_pandas(super().get_details(eid, full=True))
        key = self._to_eid_str(eid)
        details = super().get_details(eid)
        return pd.Series(
            {k: _missing(v) for k, v in details.items()}, name=id_out(key), dtype=object
        )

    def path2record(self, path: Any):
        if isinstance(path, (list, tuple)):
            return [self.path2record(p) for p in path]
        found = super().path2record(path)
        if found is None or isinstance(found, pl.DataFrame):
            return _pandas.to_pandas_value(found)
        return self._series(found, 'datasets' if 'eid' in found else 'sessions')

    def load_dataset_from_id(self, dset_id, *args: Any, details: bool = False, **kwargs: Any):
        out = super().load_dataset_from_id(dset_id, *args, details=details, **kwargs)
        if not details:
            return out
        data, found = out
        return data, self._series(found, 'datasets')

    def _series(self, found: dict, table: str) -> pd.Series:
        """A record of the polars face as ONE's Series, with the table's column types."""
        schema = self._engine.cache[table].schema
        index = _pandas.table_index(self._engine.cache[table], table)
        row = {k: [str(v) if k in index else v] for k, v in found.items()}
        frame = pl.DataFrame(row).cast(
            {c: schema[c] for c in row if c in schema and c not in index}, strict=False
        )
        return _pandas.record(frame.select(*index, *(c for c in schema if c not in index)), table)

    @staticmethod
    def setup(cache_dir: str | Path | None = None, silent: bool = False, **kwargs: Any) -> One:
        return _api._setup(One, cache_dir, silent, **kwargs)


for _name in (
    'list_datasets',
    'list_collections',
    'list_revisions',
    'load_datasets',
    'get_details',
    'path2record',
):
    getattr(One, _name).__doc__ = getattr(_api.One, _name).__doc__
One.load_dataset_from_id.__doc__ = _api.One.load_dataset_from_id.__doc__
One.setup.__doc__ = _api.One.setup.__doc__


def _missing(value: Any) -> Any:
    """ONE's records show a missing value as NaN."""
    return float('nan') if value is None else value


@functools.lru_cache(maxsize=1)
def ONE(*, mode: str = 'remote', wildcards: bool = True, **kwargs: Any) -> One:
    """Return a local :class:`One` with ONE's pandas types (see :func:`alf_fast.ONE`)."""
    _api.check_factory_args(mode, kwargs)
    return One(mode='local', wildcards=wildcards, **kwargs)
