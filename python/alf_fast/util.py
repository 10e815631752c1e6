"""``one.util`` for the polars face: dataset filters and small helpers over polars tables.

:func:`filter_datasets` and :func:`filter_revision_last_before` take and return polars frames
whose first columns are the index levels (``eid``, ``id``), as :class:`alf_fast.One` lists
them. ``alf_fast.one.util`` has the same functions over ONE's pandas frames.
"""

from __future__ import annotations

from alf_fast._filters import (
    ensure_list,
    filter_datasets,
    filter_revision_last_before,
    index_last_before,
)
from alf_fast.api import _autocomplete as autocomplete

__all__ = [
    'autocomplete',
    'ensure_list',
    'filter_datasets',
    'filter_revision_last_before',
    'index_last_before',
]
