"""``one.util`` for the polars face: dataset filters and small helpers over polars tables.

:func:`filter_datasets` and :func:`filter_revision_last_before` take and return polars frames
whose first columns are the index levels (``eid``, ``id``), as :class:`alf_fast.One` lists
them. ``alf_fast.one.util`` has the same functions over ONE's pandas frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alf_fast._filters import filter_datasets, filter_revision_last_before, index_last_before
from alf_fast.api import _autocomplete as autocomplete

__all__ = [
    'autocomplete',
    'ensure_list',
    'filter_datasets',
    'filter_revision_last_before',
    'index_last_before',
]


def ensure_list(value: Any) -> list | Any:
    """Wrap a single value in a list; strings and dicts count as single values (as in ONE)."""
    if isinstance(value, (str, dict)) or not isinstance(value, Iterable):
        return [value]
    return value
