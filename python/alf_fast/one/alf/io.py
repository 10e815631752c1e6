"""``one.alf.io`` for the compatible face: :mod:`alf_fast.io` with ONE's pandas tables.

Everything that is not a table is :mod:`alf_fast.io`'s own function. Table files (``.pqt``,
``.csv``, ``.ssv``, ``.tsv``, ``.htsv``) are read by pandas exactly as ONE reads them, and
:meth:`AlfBunch.to_df` / :func:`dataframe` return pandas frames.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from alf_fast import io as _impl
from alf_fast.io import (  # noqa: F401 - _ls: ONE's tests list objects with it
    _ls,
    check_dimensions,
    exists,
    filter_by,
    find_variants,
    iter_datasets,
    iter_sessions,
    next_num_folder,
    read_ts,
    remove_empty_folders,
    save_metadata,
    save_object_npy,
    ts2vec,
)

__all__ = [
    'AlfBunch',
    'check_dimensions',
    'dataframe',
    'exists',
    'filter_by',
    'find_variants',
    'iter_datasets',
    'iter_sessions',
    'load_file_content',
    'load_object',
    'next_num_folder',
    'read_ts',
    'remove_empty_folders',
    'save_metadata',
    'save_object_npy',
    'ts2vec',
]

_logger = logging.getLogger('one.alf.io')

_SEPARATORS = {'.csv': ',', '.ssv': ' ', '.tsv': '\t', '.htsv': '\t'}


class AlfBunch(_impl.AlfBunch):
    """An ALF object's attributes, readable as attributes; tables are pandas frames."""

    def to_df(self) -> pd.DataFrame:
        """Return the attributes as a pandas DataFrame (see :func:`dataframe`)."""
        return dataframe(self)

    @staticmethod
    def from_df(df) -> AlfBunch:
        """Build a bunch from a table, merging ``x_0``/``x_1`` column pairs into ``(n, 2)`` arrays.

        See :meth:`alf_fast.io.AlfBunch.from_df`.
        """
        return AlfBunch(_impl.AlfBunch.from_df(df))

    def append(self, b: dict, inplace: bool = False) -> AlfBunch | None:
        """Concatenate another bunch with the same keys along the first axis (see
        :meth:`alf_fast.io.AlfBunch.append`)."""
        out = super().append(b, inplace=inplace)
        return out if out is None or isinstance(out, AlfBunch) else AlfBunch(out)


def dataframe(adict: dict) -> pd.DataFrame:
    """Convert a bunch with consistent sizes into a pandas DataFrame.

    2-D attributes become ``<key>_<i>`` columns (at most 10 per attribute), as in ONE.

    Raises
    ------
    ValueError
        The attribute sizes are inconsistent.
    """
    return _impl.dataframe(adict).to_pandas()


def load_file_content(fil, mmap: bool = True, allow_pickle: bool = False) -> Any:
    """Read a file according to its extension, tables into pandas as ONE does.

    Parameters
    ----------
    fil : str or pathlib.Path
        The file. A falsy value returns None.
    mmap : bool
        Memory-map ``.npy`` files (see :func:`alf_fast.io.load_file_content`).
    allow_pickle : bool
        Load ``.npy`` files of Python objects (see :func:`alf_fast.io.load_file_content`).

    Returns
    -------
    object
        ``.pqt``: pandas DataFrame with the index pandas recorded; ``.csv``/``.ssv``/``.tsv``/
        ``.htsv``: pandas DataFrame, or Series for one column; anything else as
        :func:`alf_fast.io.load_file_content` reads it.
    """
    if not fil:
        return None
    path = Path(fil)
    if path.suffix == '.pqt' and path.stat().st_size:
        return pq.read_table(path).to_pandas()
    if path.suffix in _SEPARATORS and path.stat().st_size:
        return pd.read_csv(path, delimiter=_SEPARATORS[path.suffix]).squeeze('columns')
    return _impl.load_file_content(path, mmap=mmap, allow_pickle=allow_pickle)


def load_object(
    alfpath,
    object=None,
    short_keys: bool = False,
    mmap: bool = True,
    allow_pickle: bool = False,
    **kwargs,
):
    """Load all attributes of an ALF object into an :class:`AlfBunch` (tables as pandas).

    See :func:`alf_fast.io.load_object` for the arguments.
    """
    read = partial(load_file_content, allow_pickle=allow_pickle)
    return _impl._load_object(alfpath, object, short_keys, mmap, read, AlfBunch, **kwargs)
