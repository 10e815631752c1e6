"""Helpers for differential tests: run a call in ONE-api and in alf_fast and compare outcomes.

Results are compared after normalising representation only: pandas vs polars frames (index
levels become leading columns), ndarray vs np.memmap, ONE's per-dataset revision warnings vs
alf_fast's single warning, and set-ordered names in error messages.

Also the reference tables: ``one_make_parquet_db`` runs ONE-api's indexer under the contract's
pinned id namespace (contract 0.3), so ONE-api and alf_fast read byte-identical tables and any
difference in results comes from the code under test, not from the ids.
"""

from __future__ import annotations

import contextlib
import re
import types
import uuid
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import PurePath
from typing import Any
from unittest import mock

import numpy as np
import polars as pl

_QUOTED = re.compile(r'"([^"]*)"')

#: The namespace the contract's examples were made with.
NS = uuid.UUID('5b6c7d8e-0000-11ee-8000-000000000000')


@contextlib.contextmanager
def pinned_namespace(ns: uuid.UUID = NS):
    """Make ONE-api's ``make_parquet_db`` use ``ns`` instead of a fresh ``uuid1()``."""
    import one.alf.cache

    with mock.patch.object(one.alf.cache.uuid, 'uuid1', return_value=ns):
        yield ns


def one_make_parquet_db(root, **kwargs):
    """ONE-api's indexer on ``root`` with the pinned namespace, warnings silenced."""
    from one.alf.cache import make_parquet_db

    with pinned_namespace(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return make_parquet_db(root, **kwargs)


@dataclass
class Outcome:
    """What a call did: its value or error, and the warnings it raised."""

    value: Any = None
    error: BaseException | None = None
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def error_class(self) -> str | None:
        return None if self.error is None else type(self.error).__name__

    def message(self) -> str:
        err = self.error
        return getattr(err, 'message', None) or (str(err) if err is not None else '')


def call(fn, *args, **kwargs) -> Outcome:
    """Run `fn` and capture its value or exception and its warnings."""
    out = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            out.value = fn(*args, **kwargs)
        except Exception as e:
            out.error = e
    out.warnings = list(caught)
    return out


def normalise(value):
    """Make a value comparable across the two libraries (their classes have the same names).

    Containers keep their class name, so a tuple never equals a list; enums compare by name and
    value, compiled patterns by pattern and flags, generators by what they yield.
    """
    if isinstance(value, types.GeneratorType):
        value = list(value)
    if isinstance(value, OrderedDict):
        return ('OrderedDict', [(k, normalise(v)) for k, v in value.items()])
    if isinstance(value, dict):
        return ('dict', [(k, normalise(v)) for k, v in value.items()])
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [normalise(v) for v in value])
    if isinstance(value, PurePath):
        return (type(value).__name__, str(value))
    if isinstance(value, IntEnum):
        return (type(value).__name__, value.name, int(value))
    if isinstance(value, re.Pattern):
        return ('Pattern', value.pattern, value.flags)
    return (type(value).__name__, value)


def both(one_ref, one_fast, method: str, *args, **kwargs) -> tuple[Outcome, Outcome]:
    """:func:`call` of the same method with the same arguments on ONE-api's and our ``One``."""
    return (
        call(getattr(one_ref, method), *args, **kwargs),
        call(getattr(one_fast, method), *args, **kwargs),
    )


def outcome(fn, *args, **kwargs) -> tuple:
    """``('ok', normalised result)`` or ``('raise', exception class name, message)``.

    The comparable summary of :func:`call` for values plain enough to compare with ``==``
    (not frames or arrays); warnings are dropped.
    """
    out = call(fn, *args, **kwargs)
    if out.error is None:
        return ('ok', normalise(out.value))
    return ('raise', out.error_class, str(out.error))


def quoted_set(message: str) -> set[str]:
    """The double-quoted names of an ALF error message (ONE lists them in set order)."""
    return set(_QUOTED.findall(message))


def assert_same_error(ref: Outcome, fast: Outcome, unordered: bool = False) -> None:
    assert ref.error is not None, f'ONE did not raise (returned {ref.value!r})'
    assert fast.error is not None, f'alf_fast did not raise (returned {fast.value!r})'
    assert fast.error_class == ref.error_class, (fast.error, ref.error)
    if unordered:
        assert quoted_set(fast.message()) == quoted_set(ref.message())
    else:
        assert fast.message() == ref.message()


def revision_warnings(caught) -> tuple[int, frozenset, frozenset]:
    """(number of datasets without default revision, those named, mixed revisions).

    Reads ONE's one-warning-per-dataset messages and alf_fast's single message alike (which
    names at most 10 datasets, then ``and N more``).
    """
    count = 0
    named: set[str] = set()
    mixed: set[str] = set()
    for w in caught:
        if type(w.message).__name__ != 'ALFWarning':
            continue
        for line in str(w.message).split('\n'):
            if line.startswith('No default revision for dataset '):
                named.add(line[len('No default revision for dataset ') :].split(';')[0])
                count += 1
            elif line.startswith('No default revision for datasets '):
                names = line[len('No default revision for datasets ') :].split(';')[0]
                names, _, more = names.partition(' and ')
                named.update(names.split(', '))
                count += len(names.split(', ')) + (int(more.split()[0]) if more else 0)
            elif line.startswith('Multiple revisions: '):
                mixed.update(_QUOTED.findall(line))
    return count, frozenset(named), frozenset(mixed)


def assert_same_revision_warnings(ref: Outcome, fast: Outcome) -> None:
    """Datasets reported without a default revision are among ONE's, same mixed revisions.

    Among, not equal: alf_fast reports only datasets that exist in several revisions, where
    ONE reports every dataset of a table without a ``default_revision`` column (a deliberate
    difference, tested exactly in test_revision_warning.py).
    """
    n_ref, named_ref, mixed_ref = revision_warnings(ref.warnings)
    n_fast, named_fast, mixed_fast = revision_warnings(fast.warnings)
    assert n_fast <= n_ref
    assert named_fast <= named_ref
    assert mixed_fast == mixed_ref


def alf_warning_count(caught) -> int:
    return sum(type(w.message).__name__ == 'ALFWarning' for w in caught)


def rel_paths(frame) -> list[str]:
    """The rel_path column of a pandas or polars frame, in order."""
    if isinstance(frame, pl.DataFrame):
        return frame.get_column('rel_path').to_list()
    return frame['rel_path'].tolist()


def frame_records(frame) -> list[dict]:
    """Rows of a pandas (index levels as columns) or polars frame, ids as lowercase strings."""
    if isinstance(frame, pl.DataFrame):
        rows = frame.to_dicts()
    else:
        flat = frame.reset_index() if any(frame.index.names) else frame
        rows = flat.to_dict('records')
    out = []
    for row in rows:
        clean = {}
        for k, v in row.items():
            if isinstance(v, uuid.UUID):
                v = str(v)
            elif isinstance(v, np.generic):
                v = v.item()
            clean[k] = str(v) if k == 'qc' else v
        out.append(clean)
    return out


def frame_columns(frame) -> list[str]:
    if isinstance(frame, pl.DataFrame):
        return frame.columns
    names = [n for n in frame.index.names if n]
    return [*names, *frame.columns]


def assert_same_frame(ref, fast, ordered: bool = True) -> None:
    """Same columns (index levels first) and rows; optionally ignoring row order."""
    assert frame_columns(fast) == frame_columns(ref)
    a, b = frame_records(ref), frame_records(fast)
    if not ordered:
        key = lambda r: repr(sorted(r.items()))  # noqa: E731
        a, b = sorted(a, key=key), sorted(b, key=key)
    assert b == a


def assert_same_data(ref, fast) -> None:
    """Deep comparison of loaded data (arrays, frames, dicts, lists, paths, scalars)."""
    if isinstance(ref, dict):
        assert isinstance(fast, dict), type(fast)
        assert set(fast) == set(ref)
        for k in ref:
            assert_same_data(ref[k], fast[k])
    elif isinstance(ref, np.ndarray):
        assert isinstance(fast, np.ndarray), type(fast)
        assert fast.dtype == ref.dtype and fast.shape == ref.shape
        np.testing.assert_array_equal(np.asarray(fast), ref)
    elif type(ref).__name__ == 'DataFrame':
        assert isinstance(fast, pl.DataFrame), type(fast)
        assert fast.columns == list(ref.columns)
        for c in ref.columns:
            np.testing.assert_array_equal(fast.get_column(c).to_numpy(), ref[c].to_numpy())
    elif type(ref).__name__ == 'Series':
        assert isinstance(fast, pl.Series), type(fast)
        assert fast.name == ref.name
        np.testing.assert_array_equal(fast.to_numpy(), ref.to_numpy())
    elif isinstance(ref, PurePath):
        assert isinstance(fast, PurePath) and str(fast) == str(ref)
    elif isinstance(ref, (list, tuple)):
        assert len(fast) == len(ref)
        for x, y in zip(ref, fast, strict=True):
            assert_same_data(x, y)
    else:
        assert fast == ref
