"""``one.util`` for the compatible face: dataset filters over ONE's pandas frames.

The filters run on the engine's polars code: the needed columns of the pandas frame are handed
over with each row's position, and the rows kept are taken from the frame given, so the result
keeps its index, columns and dtypes, as ONE's does.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl

from alf_fast import _filters
from alf_fast._engine import id_key
from alf_fast.spec import QC
from alf_fast.util import autocomplete, ensure_list, index_last_before

__all__ = [
    'autocomplete',
    'ensure_list',
    'filter_datasets',
    'filter_revision_last_before',
    'index_last_before',
    'validate_date_range',
]

_ROW = '__row'


def _polars_rows(frame: pd.DataFrame) -> pl.DataFrame:
    """The columns the filters read, plus the position of each row."""
    flat = frame.reset_index() if any(frame.index.names) else frame.reset_index(drop=True)
    columns: dict[str, Any] = {_ROW: range(len(flat))}
    for name in flat.columns:
        values = flat[name]
        if name in ('eid', 'id'):
            columns[name] = [None if v is None else id_key(v) for v in values]
        elif name in ('rel_path', 'revision', 'qc'):
            columns[name] = pl.Series(
                name, [None if pd.isna(v) else str(v) for v in values], dtype=pl.String
            )
        elif name in ('exists', 'default_revision'):
            columns[name] = pl.Series(name, values.astype(object).tolist(), dtype=pl.Boolean)
    return pl.DataFrame(columns)


def _rows_of(frame: pd.DataFrame, kept: pl.DataFrame, given: pl.DataFrame) -> pd.DataFrame:
    """The rows of `frame` that the filter kept, with the columns it added (``revision``)."""
    out = frame.iloc[kept.get_column(_ROW).to_list()]
    added = [c for c in kept.columns if c not in given.columns and c not in out.columns]
    if added:
        out = out.copy()
        for name in added:
            out[name] = pd.Series(kept.get_column(name).to_list(), index=out.index)
    return out


def filter_datasets(
    all_datasets: pd.DataFrame,
    filename=None,
    collection=None,
    revision=None,
    revision_last_before: bool = True,
    qc=QC.FAIL,
    ignore_qc_not_set: bool = False,
    assert_unique: bool = True,
    wildcards: bool = False,
) -> pd.DataFrame:
    """Filter a datasets frame by name, collection, revision and QC, like ONE's.

    Takes and returns ONE's pandas frames; see :func:`alf_fast.util.filter_datasets` for the
    arguments, matching rules and exceptions.
    """
    given = _polars_rows(all_datasets)
    kept = _filters.filter_datasets(
        given,
        filename,
        collection,
        revision,
        revision_last_before=revision_last_before,
        qc=qc,
        ignore_qc_not_set=ignore_qc_not_set,
        assert_unique=assert_unique,
        wildcards=wildcards,
    )
    return _rows_of(all_datasets, kept, given)


def filter_revision_last_before(
    datasets: pd.DataFrame,
    revision: str | None = None,
    assert_unique: bool = True,
    assert_consistent: bool = False,
) -> pd.DataFrame:
    """Keep one revision of each dataset of a pandas frame (see
    :func:`alf_fast.util.filter_revision_last_before`)."""
    given = _polars_rows(datasets)
    kept = _filters.filter_revision_last_before(given, revision, assert_unique, assert_consistent)
    return _rows_of(datasets, kept, given)


def validate_date_range(date_range: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return a date range as ``(start, end)`` pandas Timestamps, as ONE's search reads it.

    A single date covers that whole day; ``[start]`` and ``None`` bounds are open
    (``Timestamp.min``/``max``).

    Raises
    ------
    ValueError
        More than two values.
    """
    if date_range is None:
        return None
    if isinstance(date_range, str) or not hasattr(date_range, '__iter__'):
        day = pd.Timedelta(days=1) - pd.Timedelta(milliseconds=1)
        date_range = (date_range, pd.Timestamp(date_range) + day)
    elif len(date_range) == 1:
        date_range = [date_range[0], pd.Timestamp.max]
    elif len(date_range) != 2:
        raise ValueError
    start, end = date_range
    return pd.Timestamp(start or pd.Timestamp.min), pd.Timestamp(end or pd.Timestamp.max)
