"""Dataset filtering with ONE's semantics (``one.util.filter_datasets`` and friends) in polars.

The path pattern is built exactly as ONE builds it, compiled once by Python's ``re`` so that a
malformed pattern raises the same ``re.error`` (same message and position) as ONE, then converted
for the Rust engine (:mod:`alf_fast._patterns`) and evaluated by polars over the whole column.
Patterns that Rust cannot reproduce are evaluated with ``re`` instead, so the rows selected are
always ONE's.

Deliberate differences from ONE-api 3.6.1:

* a *list* of file names applies the collection/revision prefix to every item (ONE applies it to
  the first item only);
* braces in a file-name pattern are regex/glob text (ONE passes the whole pattern through
  ``str.format`` and raises ``KeyError``/``IndexError`` for ``'\\d{4}'`` or ``'a{b}.npy'``);
* revision selection emits at most one :class:`ALFWarning` per call, listing the datasets without
  a default revision (ONE warns once per dataset, plus once for mixed revisions);
* error messages that list collections/revisions use order of first appearance (ONE: set order).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import polars as pl

from alf_fast._patterns import Unsupported, _c, _parser, to_rust, translate_glob
from alf_fast._tables import QC_ENUM
from alf_fast.exceptions import (
    ALFInvalid,
    ALFMultipleCollectionsFound,
    ALFMultipleObjectsFound,
    ALFMultipleRevisionsFound,
    ALFWarning,
)
from alf_fast.spec import _DEFAULT, COLLECTION_SPEC, FILE_SPEC, QC, QC_LEVELS

__all__ = [
    'filter_datasets',
    'filter_revision_last_before',
    'index_last_before',
    'parse_rel_paths',
]

"""tuple of str: QC categories in ascending order, as in the ``qc`` column."""

_DEFAULTS = dict(_DEFAULT)
# The same languages without look-around (which Rust lacks). The namespace look-behind only
# asks that the optional `_` before it was taken (nothing else can precede it: the template
# starts at `^` or after a `/`), and the attribute look-aheads are implied by the `_` or `.`
# that must follow an attribute.
_RUST_DEFAULTS = {
    **_DEFAULTS,
    'namespace': '[a-zA-Z0-9]+',
    'attribute': r'(?:_[a-z]+_)?[a-zA-Z0-9]+(?:_times|_intervals)?',
}
_NS_TEMPLATE = '_?{namespace}?_?'
_NS_TEMPLATE_RUST = '(?:_{namespace}?)?_?'
_FIELD = re.compile(r'\{(\w+)\}')
_LEADING_STAR = re.compile(r'^(\(\?s:)?\.\*')
_PART_NAMES = (
    'collection',
    'revision',
    'namespace',
    'object',
    'attribute',
    'timescale',
    'extra',
    'extension',
)
_MAX_LISTED = 10
SMALL_FRAME_ROWS = 512
"""int: frames of at most this many rows are filtered on Python lists, not by polars.

A session has tens of rows, where each polars operation costs more in fixed overhead (~50 µs)
than Python's ``re`` takes for the whole frame. Both paths give the same rows, order, columns,
warnings and errors; the tests run with this set to 0 as well (polars only).
"""
_REV_FOLDER = re.compile('#.*#/')


# --- pattern construction ------------------------------------------------------------------


def ensure_list(value: Any) -> Any:
    """ONE's ``ensure_list``: str, dict and non-iterables become one-item lists."""
    return [value] if isinstance(value, (str, dict)) or not isinstance(value, Iterable) else value


def _collection_spec(collection, revision) -> str:
    """ONE's collection/revision template: None = optional slot, other falsy = no slot."""
    spec = ''
    for value, slot in zip(
        (collection, revision), ('{collection}/', '#{revision}#/'), strict=True
    ):
        if not value:
            slot = f'({slot})?' if value is None else ''
        spec += slot
    return spec


def _file_spec(parts: dict) -> str:
    """ONE's file template: namespace, timescale and extra become mandatory once given."""
    optional = {'namespace': '?', 'timescale': '?', 'extra': '*'}
    spec = FILE_SPEC
    for key, value in parts.items():
        if key in optional and value is not None:
            i = spec.find(key) + len(key)
            i += spec[i:].find(optional[key])
            spec = spec[:i] + spec[i:].replace(optional[key], '', 1)
    return spec


def _fill(template: str, fields: dict) -> str:
    return _FIELD.sub(lambda m: f'(?P<{m[1]}>{fields[m[1]]})', template)


def _glob_name(pattern, atomic: bool) -> str:
    """A file-name glob, with ONE's `[^/]*` substitution of a lone leading star."""
    return _LEADING_STAR.sub(r'\g<1>[^/]*', translate_glob(pattern, atomic))


def _glob_part(pattern, atomic: bool) -> str:
    """A collection/revision/part glob: not anchored at the end."""
    return translate_glob(pattern, atomic)[:-2]  # drop the trailing \Z


def _as_str(value, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f'{what} patterns must be str, not {type(value).__name__} ({value!r})')
    return value


class _Patterns:
    """The three spellings of one filter pattern.

    ``one`` is character for character ONE's pattern (compiled for error parity), ``python`` is
    the pattern with our fixes (used if Rust cannot run it) and ``rust_source`` is ``python``
    rewritten without look-around, ready for :func:`alf_fast._patterns.to_rust`.
    """

    __slots__ = ('one', 'python', 'rust_source')

    def __init__(self, one: str, python: str, rust_source: str):
        self.one, self.python, self.rust_source = one, python, rust_source


def _translate_value(key: str, value, wildcards: bool, atomic: bool) -> str:
    if wildcards:
        items = [_glob_part(_as_str(x, key), atomic) for x in ensure_list(value)]
        return '|'.join(items)
    if isinstance(value, str):
        return value
    if not isinstance(value, Iterable) or isinstance(value, dict):
        raise TypeError(f'{key} must be a str or a list of str, not {type(value).__name__}')
    return '|'.join(_as_str(x, key) for x in value)


def build_patterns(filename, collection, revision, revision_last_before, wildcards) -> _Patterns:
    """Build the path pattern of :func:`filter_datasets` (see the module notes).

    Raises
    ------
    TypeError
        A pattern is not a str (or list of str).
    KeyError
        A file-name dict has a key that is not an ALF part (``'Unknown field "<key>"'``).
    re.error
        The pattern is not a valid regular expression, exactly as ONE reports it.
    """
    filename = filename or {}
    args: dict = {'collection': collection}
    prefix = _collection_spec(collection, None if revision_last_before else revision)
    if isinstance(filename, dict):
        file_tpl = _file_spec(filename)
        file_tpl_rust = file_tpl
        if filename.get('namespace') is None:
            file_tpl_rust = file_tpl.replace(_NS_TEMPLATE, _NS_TEMPLATE_RUST, 1)
        args.update(filename)
        names = None
    else:
        items = list(ensure_list(filename))
        if wildcards:
            names = [_glob_name(_as_str(x, 'filename'), True) for x in items]
            names_rust = [_glob_name(x, False) for x in items]
        else:
            names = names_rust = [_as_str(x, 'filename') + '$' for x in items]
    if not revision_last_before:
        args['revision'] = revision

    values, values_rust = {}, {}
    for key, value in args.items():
        if value is None:
            continue
        values[key] = _translate_value(key, value, wildcards, True)
        # Atomic groups are Python-only: the Rust source spells them as plain groups.
        values_rust[key] = _translate_value(key, value, wildcards, False)
    unknown = next((k for k in args if k not in _DEFAULTS), None)
    if unknown is not None:
        raise KeyError(f'Unknown field "{unknown}"')
    fields = {**_DEFAULTS, **values}
    fields_rust = {**_RUST_DEFAULTS, **values_rust}

    head, head_rust = '^' + _fill(prefix, fields), '^' + _fill(prefix, fields_rust)
    if names is None:
        body = _fill(file_tpl, fields)
        one = python = head + body
        rust_source = head_rust + _fill(file_tpl_rust, fields_rust)
    else:
        one = head + '|'.join(names)
        python = head + _group(names)
        rust_source = head_rust + _group(names_rust)
    re.compile(one)  # ONE's exact error, if any
    return _Patterns(one, python, rust_source)


def _group(alternatives: list[str]) -> str:
    # The fix: ONE joins the items without a group, so only the first one gets the prefix.
    return alternatives[0] if len(alternatives) == 1 else '(?:' + '|'.join(alternatives) + ')'


# --- evaluation ----------------------------------------------------------------------------


def _is_ascii(paths: pl.Series) -> bool:
    return not paths.str.contains(r'[^\x00-\x7F]').fill_null(False).any()


_POSIX_CLASS = re.compile(r'\[:[a-z]+:\]')
_UNICODE_ESCAPE = re.compile(r'(?<!\\)(?:\\\\)*\\(?:[uU]|N\{)')
_END_ANCHOR = re.compile(r'(?<!\\)((?:\\\\)*)\\Z')


def _one_uses_re2(pattern: str, paths: pl.Series) -> bool:
    """Whether ONE (pandas 3 on pyarrow strings) would hand `pattern` to RE2, not to ``re``.

    It matters only for POSIX classes such as ``[[:digit:]]``, which RE2 (and Rust) honour and
    Python reads as plain characters. The rules are pandas' own: RE2 unless the pattern needs
    look-around, back-references, ``\\s``, Unicode escapes, or Unicode-aware classes or ``$``
    semantics that the data could expose.
    """
    if _UNICODE_ESCAPE.search(pattern):
        return False
    ops = set()
    stack = list(_parser.parse(pattern))
    while stack:
        op, av = stack.pop()
        ops.add((op, av) if op in (_c.CATEGORY, _c.AT) else op)
        if op is _c.SUBPATTERN:
            stack.extend(av[3])
        elif op is _c.BRANCH:
            stack.extend(x for branch in av[1] for x in branch)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, 'POSSESSIVE_REPEAT', None)):
            stack.extend(av[2])
        elif op in (getattr(_c, 'ATOMIC_GROUP', None), _c.IN):
            stack.extend(av)
    if ops & {_c.ASSERT, _c.ASSERT_NOT, _c.GROUPREF}:
        return False
    if ops & {(_c.CATEGORY, _c.CATEGORY_SPACE), (_c.CATEGORY, _c.CATEGORY_NOT_SPACE)}:
        return False
    unicode_sensitive = {
        (_c.CATEGORY, x)
        for x in (_c.CATEGORY_WORD, _c.CATEGORY_NOT_WORD, _c.CATEGORY_DIGIT, _c.CATEGORY_NOT_DIGIT)
    } | {(_c.AT, _c.AT_BOUNDARY), (_c.AT, _c.AT_NON_BOUNDARY)}
    if ops & unicode_sensitive and not _is_ascii(paths):
        return False
    return not (
        (_c.AT, _c.AT_END) in ops and paths.str.contains('\n', literal=True).fill_null(False).any()
    )


def _re2_match(paths: pl.Series, pattern: str) -> pl.Series | None:
    """Match like pyarrow's RE2 kernel does, or None if Rust rejects the pattern."""
    text = _END_ANCHOR.sub(r'\1\\z', pattern)
    try:
        return paths.str.contains(rf'\A(?:{text})').fill_null(False)
    except pl.exceptions.PolarsError:
        return None


def match_paths(paths: pl.Series, python: str, rust_source: str | None = None) -> pl.Series:
    """Boolean mask of the strings matched (``re.match`` semantics) by a Python pattern.

    Parameters
    ----------
    paths : pl.Series
        String column; nulls never match.
    python : str
        The pattern in Python syntax: the reference semantics.
    rust_source : str, optional
        An equivalent Python-syntax pattern without look-around, used to build the Rust
        pattern. Defaults to `python`.

    Returns
    -------
    pl.Series
        Boolean, no nulls.
    """
    if '[:' in python and _POSIX_CLASS.search(python) and _one_uses_re2(python, paths):
        found = _re2_match(paths, python)
        if found is not None:
            return found
    rust = None
    try:
        rust = to_rust(rust_source or python)
    except (Unsupported, re.error, RecursionError):
        pass
    if rust is not None and rust.inner_dollar and paths.str.contains('\n', literal=True).any():
        rust = None
    if rust is not None and rust.boundary and not _is_ascii(paths):
        rust = None
    if rust is not None:
        try:
            return paths.str.contains(rust.text).fill_null(False)
        except pl.exceptions.PolarsError:  # e.g. the compiled regex exceeds Rust's size limit
            pass
    compiled = re.compile(python)
    return pl.Series(
        paths.name,
        [s is not None and compiled.match(s) is not None for s in paths.to_list()],
        dtype=pl.Boolean,
    )


def _plain_rust(patterns: _Patterns) -> str | None:
    """The Rust pattern when it is exact whatever the data, else None (see match_paths)."""
    if '[:' in patterns.python and _POSIX_CLASS.search(patterns.python):
        return None
    try:
        rust = to_rust(patterns.rust_source)
    except (Unsupported, re.error, RecursionError):
        return None
    return None if rust.inner_dollar or rust.boundary else rust.text


#: Each QC name's position in `QC_LEVELS`: the code a ``qc`` enum column stores for it.
_QC_CODE = {name: i for i, name in enumerate(QC_LEVELS)}


def qc_rank(df: pl.DataFrame) -> pl.Expr:
    """The ``qc`` column as its position in `QC_LEVELS` (null for unknown values)."""
    if df.schema.get('qc') == QC_ENUM:
        return pl.col('qc').to_physical().cast(pl.Int8)
    return (
        pl.col('qc').cast(pl.String).replace_strict(_QC_CODE, default=None, return_dtype=pl.Int8)
    )


@lru_cache(maxsize=1)
def _rel_path_python() -> re.Pattern:
    return re.compile(_fill('^' + COLLECTION_SPEC + FILE_SPEC, _DEFAULTS))


def _match_rel_paths(paths: list) -> list[re.Match | None]:
    pattern = _rel_path_python()
    return [pattern.match(p) if p is not None else None for p in paths]


@lru_cache(maxsize=1)
def _rel_path_rust() -> str:
    tpl = '^' + COLLECTION_SPEC + FILE_SPEC.replace(_NS_TEMPLATE, _NS_TEMPLATE_RUST, 1)
    return to_rust(_fill(tpl, _RUST_DEFAULTS), keep_groups=True).text


def parse_rel_paths(paths: pl.Series) -> pl.DataFrame:
    """Vectorised ``rel_path_parts``: one column per ALF part, all null where invalid.

    Parameters
    ----------
    paths : pl.Series
        Relative dataset paths (``[collection/][#revision#/]name``).

    Returns
    -------
    pl.DataFrame
        Columns collection, revision (without ``#``), namespace, object, attribute, timescale,
        extra, extension; ``object`` is null exactly when the path does not parse.
    """
    # Python's `re` is the reference: used for small columns (cheaper than polars' fixed cost)
    # and wherever a newline could make Rust's `$` differ.
    if paths.len() <= SMALL_FRAME_ROWS or paths.str.contains('\n', literal=True).any():
        rows = _match_rel_paths(paths.to_list())
        return pl.DataFrame(
            {k: [m[k] if m else None for m in rows] for k in _PART_NAMES},
            schema=dict.fromkeys(_PART_NAMES, pl.String),
        )
    return paths.str.extract_groups(_rel_path_rust()).struct.unnest().select(_PART_NAMES)


def rel_path_columns(paths: pl.Series, *names: str) -> list[list[str | None]]:
    """Some columns of :func:`parse_rel_paths` as lists (without a frame for small inputs)."""
    if paths.len() <= SMALL_FRAME_ROWS:
        rows = _match_rel_paths(paths.to_list())
        return [[m[name] if m else None for m in rows] for name in names]
    parts = parse_rel_paths(paths)
    return [parts.get_column(name).to_list() for name in names]


def _revisions(df: pl.DataFrame) -> pl.Series:
    """The revision of each row ('' when none), raising ALFInvalid like ``rel_path_parts``."""
    parts = parse_rel_paths(df.get_column('rel_path'))
    _assert_valid(df, parts)
    return parts.get_column('revision').fill_null('').alias('revision')


def _assert_valid(df: pl.DataFrame, parts: pl.DataFrame) -> None:
    invalid = parts.get_column('object').is_null()
    if invalid.any():
        raise ALFInvalid(df.get_column('rel_path').filter(invalid)[0])


def _quoted(values: Iterable) -> str:
    return '"' + '", "'.join(map(str, values)) + '"'


# --- warnings ------------------------------------------------------------------------------


class _WarningSink:
    """Collects revision warnings so that one call emits a single ALFWarning."""

    def __init__(self):
        self.no_default: list[str] = []
        self.mixed: list[str] = []

    def message(self) -> str | None:
        lines = []
        n = len(self.no_default)
        if n == 1:
            lines.append(
                f'No default revision for dataset {self.no_default[0]}; using most recent'
            )
        elif n > 1:
            shown = ', '.join(self.no_default[:_MAX_LISTED])
            more = f' and {n - _MAX_LISTED} more' if n > _MAX_LISTED else ''
            lines.append(f'No default revision for datasets {shown}{more}; using most recent')
        if self.mixed:
            lines.append(f'Multiple revisions: {_quoted(self.mixed)}')
        return '\n'.join(lines) or None

    def emit(self, stacklevel: int = 3) -> None:
        msg = self.message()
        if msg:
            warnings.warn(msg, ALFWarning, stacklevel=stacklevel)


@contextmanager
def one_warning(stacklevel: int = 4) -> Iterator[_WarningSink]:
    """Gather the revision warnings of several filter calls and emit them as one ALFWarning."""
    sink = _WarningSink()
    try:
        yield sink
    finally:  # ONE warns before it raises, so an error must not swallow the warning
        sink.emit(stacklevel)


# --- revision selection --------------------------------------------------------------------


def index_last_before(revisions: list[str], revision: str | None) -> int | None:
    """Index of the latest revision not after `revision` (lexicographic order).

    Parameters
    ----------
    revisions : list of str
        Revision names; ``''`` (no revision) sorts first.
    revision : str, optional
        The cut-off. ``None`` selects the greatest revision.

    Returns
    -------
    int or None
        Index in `revisions` of the first occurrence of the chosen revision, or None when the
        list is empty or every revision is after `revision`.

    Examples
    --------
    >>> index_last_before(['', '2023-02-01', '2023-03-01'], '2023-02-15')
    1
    >>> index_last_before(['2023-02-01'], '2000') is None
    True
    """
    if len(revisions) == 0:
        return None
    if revision is None:
        return revisions.index(max(revisions))
    candidates = [r for r in revisions if r <= revision]
    return revisions.index(max(candidates)) if candidates else None


def _pick_latest(frame: pl.DataFrame) -> pl.DataFrame:
    """Per group key, the row with the greatest revision (first in table order on ties)."""
    return frame.sort(['__key', 'revision', '__row'], descending=[False, True, False]).unique(
        '__key', keep='first', maintain_order=True
    )


def filter_revision_last_before(
    datasets: pl.DataFrame,
    revision: str | None = None,
    assert_unique: bool = True,
    assert_consistent: bool = False,
    *,
    _sink: _WarningSink | None = None,
) -> pl.DataFrame:
    """Keep one revision of each dataset: the default, or the last one not after `revision`.

    Datasets are grouped by ``rel_path`` with any ``#revision#/`` folder removed.

    Parameters
    ----------
    datasets : pl.DataFrame
        Dataset rows with a ``rel_path`` column (and optionally ``revision`` and
        ``default_revision``).
    revision : str, optional
        Cut-off revision (string comparison, ``''`` is the oldest). With None, the row flagged
        ``default_revision`` is kept, else the greatest revision (with an ALFWarning).
    assert_unique : bool
        Raise ALFMultipleRevisionsFound when a dataset has several default revisions.
    assert_consistent : bool
        Raise ALFMultipleRevisionsFound (instead of warning) when the kept rows span several
        revisions.

    Returns
    -------
    pl.DataFrame
        At most one row per dataset, with a ``revision`` column. Table order when nothing was
        dropped, else sorted by the revision-free path (ONE's order).

    Warns
    -----
    ALFWarning
        One per call: datasets without a default revision, and/or mixed revisions.
    """
    if _sink is None:
        with one_warning(stacklevel=5) as sink:
            return filter_revision_last_before(
                datasets, revision, assert_unique, assert_consistent, _sink=sink
            )
    sink = _sink
    df = datasets
    if 'revision' not in df.columns:
        df = (
            df.with_columns(_revisions(df))
            if df.height
            else df.with_columns(revision=pl.lit(None, pl.String))
        )
    if df.height == 0:
        return df
    df = df.with_row_index('__row').with_columns(
        __key=pl.col('rel_path').str.replace_all('#.*#/', '')
    )
    if revision is not None:
        chosen = _pick_latest(df.filter(pl.col('revision') <= revision))
    elif 'default_revision' in df.columns:
        chosen = _default_rows(df, assert_unique, sink)
    else:
        chosen = _pick_latest(df)
        # Only a dataset in several revisions has a default to miss (ONE warns for every one).
        several = df.filter(pl.col('revision').n_unique().over('__key') > 1)
        if several.height:
            sink.no_default.extend(_first_paths(several))
    if chosen.height == df.height:
        chosen = chosen.sort('__row')
    else:
        chosen = chosen.sort('__key', maintain_order=True)
    revs = chosen.get_column('revision').unique(maintain_order=True).to_list()
    if len(revs) > 1:
        if assert_consistent:
            raise ALFMultipleRevisionsFound(_quoted(revs))
        sink.mixed = revs
    return chosen.drop('__row', '__key')


def _first_paths(df: pl.DataFrame) -> list[str]:
    """The first rel_path of each group, in group-key order (ONE's warning order)."""
    firsts = df.group_by('__key', maintain_order=True).agg(pl.col('rel_path').first())
    return firsts.sort('__key').get_column('rel_path').to_list()


def _default_rows(df: pl.DataFrame, assert_unique: bool, sink: _WarningSink) -> pl.DataFrame:
    """Revision choice with a ``default_revision`` column and no requested revision."""
    is_default = pl.col('default_revision').fill_null(False).cast(pl.Boolean)
    df = df.with_columns(
        __n=pl.len().over('__key'), __ndef=is_default.cast(pl.UInt32).sum().over('__key')
    )
    if assert_unique:
        clash = df.filter((pl.col('__ndef') > 1) & is_default)
        if clash.height:
            first_key = clash.get_column('__key').min()
            revs = clash.filter(pl.col('__key') == first_key).get_column('revision')
            raise ALFMultipleRevisionsFound(_quoted(revs.to_list()))
    single_default = df.filter((pl.col('__ndef') == 1) & is_default)
    lone = df.filter((pl.col('__ndef') == 0) & (pl.col('__n') == 1))
    rest = df.filter(~((pl.col('__ndef') == 1) | ((pl.col('__ndef') == 0) & (pl.col('__n') == 1))))
    if rest.height:
        sink.no_default.extend(_first_paths(rest))
    chosen = pl.concat([single_default, lone, _pick_latest(rest)], how='vertical_relaxed')
    return chosen.drop('__n', '__ndef')


# --- the filter ----------------------------------------------------------------------------


def filter_datasets(
    all_datasets: pl.DataFrame,
    filename=None,
    collection=None,
    revision=None,
    revision_last_before: bool = True,
    qc=QC.FAIL,
    ignore_qc_not_set: bool = False,
    assert_unique: bool = True,
    wildcards: bool = False,
    *,
    _sink: _WarningSink | None = None,
) -> pl.DataFrame:
    """Filter a datasets table by relative path (name, collection, revision) and QC.

    ``None`` matches anything (including an absent part); ``''`` matches only an absent
    collection/revision.

    Parameters
    ----------
    all_datasets : pl.DataFrame
        A datasets table (columns ``rel_path`` and ``qc`` at least).
    filename : str, list of str, dict, optional
        A file name pattern, several (any may match), or a dict of ALF parts (``namespace``,
        ``object``, ``attribute``, ``timescale``, ``extra``, ``extension``, and ``collection``
        / ``revision`` which override the keyword arguments' patterns).
    collection : str or list of str, optional
        Collection pattern(s).
    revision : str or list of str, optional
        With `revision_last_before`, the cut-off revision (no patterns); otherwise a pattern.
    revision_last_before : bool
        Keep only the last revision of each dataset not after `revision` (the default
        revision when `revision` is None).
    qc : QC, int or str
        Keep datasets whose QC is at or below this level.
    ignore_qc_not_set : bool
        Also drop datasets whose QC is ``NOT_SET``.
    assert_unique : bool
        Raise when the rows span several collections, revisions or datasets.
    wildcards : bool
        Patterns are shell globs (``fnmatch``) when true, Python regexes otherwise.

    Returns
    -------
    pl.DataFrame
        The matching rows; a ``revision`` column is added when `revision_last_before` or
        `assert_unique` is true and something matched.

    Raises
    ------
    ALFMultipleCollectionsFound, ALFMultipleRevisionsFound, ALFMultipleObjectsFound
        `assert_unique` is true and the match is ambiguous.
    KeyError
        Unknown key in a file-name dict.
    re.error
        Malformed regular expression.
    ValueError
        Invalid `qc`.

    Examples
    --------
    >>> filter_datasets(df, '*spikes.times*', 'alf/probe00', wildcards=True)  # doctest: +SKIP
    >>> filter_datasets(df, {'object': 'trials'}, revision='2023-02-15')  # doctest: +SKIP
    """
    patterns = build_patterns(filename, collection, revision, revision_last_before, wildcards)
    level = QC_LEVELS.index(QC.validate(qc).name)
    if _small(all_datasets, patterns):
        match = _match_small(all_datasets, patterns, level, ignore_qc_not_set)
        if match.height == 0 or not (revision_last_before or assert_unique):
            return match
        match = _check_small(match, revision_last_before, assert_unique)
        if not revision_last_before:
            return match
        if _sink is None:
            with one_warning(stacklevel=5) as sink:
                return _last_before_small(match, revision, assert_unique, sink)
        return _last_before_small(match, revision, assert_unique, _sink)
    rank = qc_rank(all_datasets)
    qc_mask = rank <= level
    if ignore_qc_not_set:
        qc_mask = qc_mask & (rank != 0)
    match = None
    rust = _plain_rust(patterns)
    if rust is not None:  # the common case: one pass of polars over the table
        path_mask = pl.col('rel_path').str.contains(rust).fill_null(False)
        try:
            match = all_datasets.filter(path_mask & qc_mask.fill_null(False))
        except pl.exceptions.PolarsError:  # e.g. the regex exceeds Rust's size limit
            match = None
    if match is None:
        path_match = match_paths(
            all_datasets.get_column('rel_path'), patterns.python, patterns.rust_source
        )
        mask = all_datasets.select(qc_mask.fill_null(False)).to_series() & path_match
        match = all_datasets.filter(mask)
    if match.height == 0 or not (revision_last_before or assert_unique):
        return match

    if 'revision' not in match.columns or assert_unique:
        parts = parse_rel_paths(match.get_column('rel_path'))
        _assert_valid(match, parts)
        if 'revision' not in match.columns:
            match = match.with_columns(
                parts.get_column('revision').fill_null('').alias('revision')
            )
    if assert_unique:
        collections = parts.get_column('collection').fill_null('').unique(maintain_order=True)
        if collections.len() > 1:
            raise ALFMultipleCollectionsFound(_quoted(collections.to_list()))
        if not revision_last_before:
            revisions = match.get_column('revision').unique(maintain_order=True)
            if revisions.len() > 1:
                raise ALFMultipleRevisionsFound(_quoted(revisions.to_list()))
            if match.height > 1:
                raise ALFMultipleObjectsFound(_quoted(match.get_column('rel_path').to_list()))
            return match

    if _sink is None:
        with one_warning(stacklevel=5) as sink:
            return _last_before_unique(match, revision, assert_unique, sink)
    return _last_before_unique(match, revision, assert_unique, _sink)


def _last_before_unique(match, revision, assert_unique, sink) -> pl.DataFrame:
    match = filter_revision_last_before(match, revision, assert_unique=assert_unique, _sink=sink)
    if assert_unique and match.height > 1:
        raise ALFMultipleObjectsFound(_quoted(match.get_column('rel_path').to_list()))
    return match


# --- the same filter on Python lists, for small frames ------------------------------------


def _small(df: pl.DataFrame, patterns: _Patterns) -> bool:
    """Whether :func:`filter_datasets` may take the Python path for `df`.

    Not for POSIX classes (ONE may evaluate them with RE2, see :func:`match_paths`) nor for a
    ``qc`` column that is not text-like (left to polars' casting rules).
    """
    if df.height > SMALL_FRAME_ROWS:
        return False
    if '[:' in patterns.python and _POSIX_CLASS.search(patterns.python):
        return False
    dtype = df.get_column('qc').dtype if 'qc' in df.columns else None
    return dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical))


def _match_small(df: pl.DataFrame, patterns: _Patterns, level: int, ignore_not_set: bool):
    """The rows matching the path pattern and QC level (``re.match`` as in match_paths)."""
    lowest = 1 if ignore_not_set else 0
    compiled = re.compile(patterns.python)
    mask = []
    for path, qc in zip(
        df.get_column('rel_path').to_list(),
        df.get_column('qc').cast(pl.String).to_list(),
        strict=True,
    ):
        rank = _QC_CODE.get(qc)
        mask.append(
            rank is not None
            and lowest <= rank <= level
            and path is not None
            and compiled.match(path) is not None
        )
    return df if all(mask) else df.filter(pl.Series(mask, dtype=pl.Boolean))


def _check_small(match: pl.DataFrame, revision_last_before: bool, assert_unique: bool):
    """Validate the paths, add the revision column and apply the uniqueness checks."""
    paths = match.get_column('rel_path').to_list()
    if 'revision' in match.columns and not assert_unique:
        return match  # as in filter_datasets: the paths are not parsed at all
    parts = _match_rel_paths(paths)
    invalid = next((p for p, m in zip(paths, parts, strict=True) if m is None), None)
    if invalid is not None:
        raise ALFInvalid(invalid)
    if 'revision' not in match.columns:
        revisions = [m['revision'] or '' for m in parts]
        match = match.with_columns(pl.Series('revision', revisions, dtype=pl.String))
    if assert_unique:
        collections = list(dict.fromkeys(m['collection'] or '' for m in parts))
        if len(collections) > 1:
            raise ALFMultipleCollectionsFound(_quoted(collections))
        if not revision_last_before:
            revisions = list(dict.fromkeys(match.get_column('revision').to_list()))
            if len(revisions) > 1:
                raise ALFMultipleRevisionsFound(_quoted(revisions))
            if match.height > 1:
                raise ALFMultipleObjectsFound(_quoted(paths))
    return match


def _last_before_small(match: pl.DataFrame, revision, assert_unique, sink) -> pl.DataFrame:
    """:func:`_last_before_unique` on lists: same rows, order, warnings and errors."""
    revs = match.get_column('revision').to_list()
    has_default = 'default_revision' in match.columns
    if None in revs or (has_default and match.schema['default_revision'] != pl.Boolean):
        # null revisions sort (and compare) by polars' rules: leave them to polars
        return _last_before_unique(match, revision, assert_unique, sink)
    paths = match.get_column('rel_path').to_list()
    keys = [_REV_FOLDER.sub('', p) for p in paths]
    rows = range(len(paths))

    def pick_latest(subset) -> list[int]:
        # per key the greatest revision, first in table order on ties; in key order
        best: dict[str, int] = {}
        for i in subset:
            if keys[i] not in best or revs[i] > revs[best[keys[i]]]:
                best[keys[i]] = i
        return [best[k] for k in sorted(best)]

    def first_paths(subset) -> list[str]:
        first: dict[str, int] = {}
        for i in subset:
            first.setdefault(keys[i], i)
        return [paths[first[k]] for k in sorted(first)]

    if revision is not None:
        chosen = pick_latest(i for i in rows if revs[i] <= revision)
    elif has_default:
        is_default = [bool(x) for x in match.get_column('default_revision').to_list()]
        count: dict[str, int] = {}
        ndef: dict[str, int] = {}
        for k, d in zip(keys, is_default, strict=True):
            count[k] = count.get(k, 0) + 1
            ndef[k] = ndef.get(k, 0) + d
        if assert_unique:
            clash = [i for i in rows if is_default[i] and ndef[keys[i]] > 1]
            if clash:
                first_key = min(keys[i] for i in clash)
                raise ALFMultipleRevisionsFound(
                    _quoted([revs[i] for i in clash if keys[i] == first_key])
                )
        single = [i for i in rows if ndef[keys[i]] == 1 and is_default[i]]
        lone = [i for i in rows if ndef[keys[i]] == 0 and count[keys[i]] == 1]
        rest = [i for i in rows if not (ndef[keys[i]] == 1 or count[keys[i]] == 1)]
        if rest:
            sink.no_default.extend(first_paths(rest))
        chosen = single + lone + pick_latest(rest)
    else:
        chosen = pick_latest(rows)
        # Only a dataset in several revisions has a default to miss (ONE warns for every one).
        revisions_of: dict[str, set] = {}
        for k, r in zip(keys, revs, strict=True):
            revisions_of.setdefault(k, set()).add(r)
        sink.no_default.extend(first_paths(i for i in rows if len(revisions_of[keys[i]]) > 1))
    if len(chosen) == len(paths):
        chosen.sort()  # nothing dropped: table order
    else:
        chosen.sort(key=keys.__getitem__)  # one row per key: ONE's order
    chosen_revs = list(dict.fromkeys(revs[i] for i in chosen))
    if len(chosen_revs) > 1:
        sink.mixed = chosen_revs
    if assert_unique and len(chosen) > 1:
        raise ALFMultipleObjectsFound(_quoted([paths[i] for i in chosen]))
    if chosen == list(rows):
        return match
    return match[chosen] if chosen else match.head(0)
