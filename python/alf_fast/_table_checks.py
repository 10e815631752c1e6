"""Reporting what lenient table loading changed, and refusing tables with duplicate ids.

:func:`alf_fast._tables.read_table` brings odd tables to the standard schema with lenient casts
(a ``qc`` outside ONE's five levels, an unparseable date or a negative size becomes null, a
missing column is added). Done silently this hides data: a null ``qc`` drops every dataset from
QC-filtered listings, integer dates become days after 1970-01-01, a missing ``eid`` orphans every
dataset. Each such change is reported here as an :class:`~alf_fast.exceptions.ALFWarning` naming
the file, the column and the number of values. Duplicate ids make every lookup return a row twice
and have no sensible reading, so they are an error naming the file and an example.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl

from alf_fast.exceptions import ALFWarning

__all__ = ['check_casts', 'check_unique_ids']

# Columns without which a table's rows cannot be used (sessions: no folder; datasets: no file
# or no session). Other missing columns get a harmless default.
_REQUIRED = {
    'sessions': ('subject', 'date', 'number'),
    'datasets': ('eid', 'rel_path'),
}


def check_casts(path: Path, name: str, before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Warn about every value the normalisation of table `name` lost; return `after`.

    Parameters
    ----------
    path : pathlib.Path
        The table file, named in the warnings.
    name : str
        The table (``sessions``, ``datasets`` or another, which is not checked).
    before, after : polars.DataFrame
        The table as read and after the standard columns were cast and added.

    Returns
    -------
    polars.DataFrame
        `after`, unchanged.
    """
    if name not in _REQUIRED or after.height == 0:
        return after
    problems = []
    for col in _REQUIRED[name]:
        if col not in before.columns:
            problems.append(f'no {col!r} column: all {after.height} rows have a null {col}')
    changed = [
        c for c in after.columns if c in before.columns and before.schema[c] != after.schema[c]
    ]
    if changed:
        counts = before.select(_missing(before, c).sum().alias(c) for c in changed).row(0)
        lost_now = after.select(pl.col(c).is_null().sum() for c in changed).row(0)
        for col, was, now in zip(changed, counts, lost_now, strict=True):
            have = before.schema[col]
            if col == 'date' and (have.is_integer() or have.is_float()):
                problems.append(
                    f'column {col!r} holds numbers ({have}), not dates: '
                    f'{after.height - now} values read as days after 1970-01-01'
                )
            if now > was:
                problems.append(
                    f'column {col!r} ({have}): {now - was} of {after.height} values could not '
                    f'be read as {after.schema[col]} and are null'
                )
    for problem in problems:
        warnings.warn(f'{path}: {problem}', ALFWarning, stacklevel=2)
    return after


def _missing(frame: pl.DataFrame, col: str) -> pl.Expr:
    """Values that already meant 'unknown' before the cast (a float NaN becomes null)."""
    expr = pl.col(col).is_null()
    if frame.schema[col].is_float():
        expr = expr | pl.col(col).is_nan().fill_null(False)
    return expr


def check_unique_ids(path: Path, name: str, keys: list[str], frame: pl.DataFrame) -> None:
    """Refuse a table whose rows repeat an id; warn where dataset ids repeat for other files.

    A repeated session id, or a dataset row listed twice (same ``eid``, ``id`` and
    ``rel_path``), makes every lookup return it twice: ``ValueError``. Two different files of a
    session sharing an id (ONE-api's own test tables have one) load by name but not by id: an
    :class:`~alf_fast.exceptions.ALFWarning`.

    Parameters
    ----------
    path : pathlib.Path
        The table file, named in the error.
    name : str
        The table (``sessions`` and ``datasets`` are checked; other tables are not).
    keys : list of str
        The index columns (``id``; ``eid, id``); `frame` is sorted by them, so rows sharing
        them are neighbours.
    frame : polars.DataFrame
        The table.

    Raises
    ------
    ValueError
        Rows repeat an id (sessions) or a whole dataset entry (datasets).
    """
    if name not in _REQUIRED or frame.height < 2 or not keys:
        return
    if not all(k in frame.columns for k in keys):
        return
    # Rows sharing all keys are neighbours, so they share the last key with their neighbour.
    # That one comparison of zero-copy slices costs a tenth of comparing every key (about
    # 10 ms at 1,000,000 rows on a busy machine); the full test runs only on a hit.
    last = frame.get_column(keys[-1])
    if not (last.slice(1) == last.slice(0, frame.height - 1)).any():
        return
    same = pl.lit(True)
    for key in keys:
        same = same & (pl.col(key) == pl.col(key).shift()).fill_null(False)
    repeats = frame.select(same.sum()).item()
    if not repeats:
        return
    what = '/'.join(keys)
    if name == 'datasets' and 'rel_path' in frame.columns:
        entry = [*keys, 'rel_path']
        twice = frame.filter(pl.struct(entry).is_duplicated() & pl.col(keys[0]).is_not_null())
        if twice.height == 0:
            example = _example(frame.filter(same), keys)
            warnings.warn(
                f'{path}: {repeats} datasets share the {what} of another file of their session '
                f'(e.g. {example}); they load by name but not by id',
                ALFWarning,
                stacklevel=3,
            )
            return
        what, repeats = f'{what}/rel_path', twice.height - twice.unique(entry).height
        example = _example(twice, entry)
    else:
        example = _example(frame.filter(same), keys)
    raise ValueError(
        f'{path}: {repeats} rows repeat the {what} of an earlier row (e.g. {example}); '
        'a cache table lists each entry once'
    )


def _example(rows: pl.DataFrame, columns: list[str]) -> str:
    row = rows.row(0, named=True)
    return ', '.join(f'{c}={row[c]}' for c in columns)
