"""The :class:`One` class: ONE's local-mode API over polars cache tables.

``from alf_fast import One`` replaces ``from one.api import One``. Construction, searching and
identifier conversion behave as in ONE-api 3.6.1 (local mode), with the deliberate differences
listed in each method's notes. Frames are polars (index levels as leading columns), ids leave
the API as ``uuid.UUID``, and ``search`` runs as a handful of vectorised polars queries instead
of ONE's per-session pandas ``groupby.apply``.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from alf_fast._engine import Engine, id_out
from alf_fast._filters import ensure_list
from alf_fast._listing import ListingMixin
from alf_fast._patterns import Unsupported, to_rust
from alf_fast._tables import (
    Bunch,
    default_cache,
    load_tables,
    merge_tables,
    remove_table_files,
    save_tables,
)
from alf_fast.exceptions import ALFMultipleObjectsFound, ALFObjectNotFound
from alf_fast.spec import QC, QC_LEVELS

__all__ = ['ONE', 'InvalidPattern', 'One']

_STRING_TERMS = {
    'subject': 'subject',
    'laboratory': 'lab',
    'projects': 'projects',
    'task_protocol': 'task_protocol',
}
_logger = logging.getLogger('one.api')
#: Save modified tables when a One is deleted (``ONE_SAVE_ON_DELETE``, read at import as ONE
#: does).
SAVE_ON_DELETE = (os.environ.get('ONE_SAVE_ON_DELETE') or '0').casefold() in ('true', '1')
# ONE applies these last, in this order; every other term keeps its keyword order before them.
_LATE_TERMS = ('date_range', 'number', 'datasets')


class InvalidPattern(re.error, ValueError):
    """A search pattern is not a valid regular expression.

    Both a ``ValueError`` and an ``re.error`` (what ONE raises), so either ``except`` works.
    """


def _autocomplete(term: str, search_terms: tuple[str, ...]) -> str:
    """Complete a search keyword from its prefix, as ``one.util.autocomplete`` does."""
    term = term.casefold()
    if term in search_terms:
        return term
    matches = [x for x in search_terms if x.casefold().startswith(term)]
    if not matches:
        raise ValueError(f'Invalid search term "{term}", see `one.search_terms()`')
    if len(matches) > 1:
        raise ValueError(f'Ambiguous search term "{term}"')
    return matches[0]


def _default_cache_dir() -> Path:
    """ONE's default data folder, read from its parameter files without writing anything.

    ``one.params.get_cache_dir`` creates ``~/.one`` files and the folder; here a missing file
    simply means the built-in default, ``~/Downloads/ONE``.
    """
    if sys.platform in ('win32', 'cygwin'):
        par_file = Path(os.environ.get('APPDATA', Path.home()), '.one', '.caches')
    else:
        par_file = Path.home() / '.one' / '.caches'
    try:
        cache_map = json.loads(par_file.read_text())
        return Path(cache_map['CLIENT_MAP'][cache_map['DEFAULT']])
    except (OSError, ValueError, KeyError, TypeError):
        return Path.home() / 'Downloads' / 'ONE'


# --- regular expressions ---------------------------------------------------------------------


def _python_matches(values: pl.Series, pattern: str, full: bool) -> pl.Series:
    """Match with Python's ``re`` over the distinct values (look-around, back-references)."""
    compiled = re.compile(pattern)
    test = compiled.fullmatch if full else compiled.search
    uniq = values.drop_nulls().unique()
    hits = [v for v in uniq.to_list() if test(v)]
    return values.is_in(pl.Series(hits, dtype=pl.String).implode()).fill_null(False)


def _regex_mask(values: pl.Series, pattern: str, full: bool = False, term: str = '') -> pl.Series:
    """Test every string of a column against a Python regular expression.

    The pattern is parsed by Python's own parser and, when Rust's ``regex`` can express it
    exactly, run by polars; otherwise (look-around, back-references, ...) Python's ``re`` runs
    over the distinct values. Either way the result is that of ``re.search`` (or
    ``re.fullmatch`` if `full`).

    Parameters
    ----------
    values : polars.Series
        A string column; nulls never match.
    pattern : str
        A Python regular expression.
    full : bool
        Require the whole string to match.
    term : str
        The search term, for the error message.

    Returns
    -------
    polars.Series
        Booleans, one per value.

    Raises
    ------
    InvalidPattern
        `pattern` is not a valid Python regular expression.
    TypeError
        `pattern` is not a string.
    """
    if not isinstance(pattern, str):
        raise TypeError(f'search pattern must be a str, not {type(pattern).__name__}')
    try:
        rust = to_rust(pattern)
    except Unsupported:
        rust = None
    except (re.error, RecursionError, OverflowError) as err:
        where = f' for search term "{term}"' if term else ''
        error = InvalidPattern(f'Invalid regular expression {pattern!r}{where}: {err}')
        error.pattern = pattern
        raise error from err
    # `\b` is exact in Rust only on ASCII text and an inner `$` only without newlines: the
    # rare patterns that use them go to Python rather than checking the data.
    anchor = r'\A(?:'  # to_rust anchors like re.match; a search drops the anchor
    if rust is None or rust.boundary or rust.inner_dollar or anchor not in rust.text:
        return _python_matches(values, pattern, full)
    text = rust.text + r'\z' if full else rust.text.replace(anchor, '(?:', 1)
    try:
        return values.str.contains(text).fill_null(False)
    except pl.exceptions.PolarsError:  # e.g. a repetition beyond Rust's size limit
        return _python_matches(values, pattern, full)


def _string_mask(values: pl.Series, value: Any, wildcards: bool, term: str) -> pl.Series:
    """ONE's string-term test: regex *search* with wildcards on, literal substring off."""
    items = list(ensure_list(value))
    # The join reproduces ONE's errors for non-string values (TypeError) and, with wildcards
    # on, its alternation of the items as one pattern.
    joined = '|'.join(items)
    if wildcards:
        return _regex_mask(values, joined, term=term)
    if not items:
        return pl.Series([True] * len(values), dtype=pl.Boolean)
    # ONE looks for the joined text literally, so a list never matches; any item matching is
    # what the list form means (deliberate fix).
    mask = pl.Series([False] * len(values), dtype=pl.Boolean)
    for item in items:
        mask = mask | values.str.contains(item, literal=True).fill_null(False)
    return mask


# --- dates -----------------------------------------------------------------------------------


def _to_datetime(value: Any) -> datetime.datetime | None:
    """Convert a date-like value to a naive ``datetime`` as ``pandas.Timestamp`` would."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    if type(value).__name__ == 'datetime64':
        return value.astype('datetime64[us]').item()
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    try:  # free-form strings and epoch numbers: only pandas parses them like ONE
        import pandas as pd
    except ImportError:
        raise ValueError(f'Could not convert {value!r} to a date') from None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.tz_localize(None).to_pydatetime()


def _date_bounds(date_range: Any) -> tuple[datetime.date | None, datetime.date | None] | None:
    """The inclusive range of session dates selected by ONE's ``date_range`` forms.

    Returns ``None`` when nothing can match; ``None`` bounds are open.
    """
    if date_range is None:
        raise TypeError('cannot unpack non-iterable NoneType object')
    if isinstance(date_range, str) or not isinstance(date_range, Iterable):
        start = _to_datetime(date_range)
        if start is None:
            return None
        end = start + datetime.timedelta(days=1) - datetime.timedelta(milliseconds=1)
        if not date_range:
            start = None
    else:
        date_range = list(date_range)
        if len(date_range) == 1:
            start, end = date_range[0], None
        elif len(date_range) == 2:
            start, end = date_range
        else:
            raise ValueError
        # Any falsy bound is open, as `x or Timestamp.min` makes it in ONE.
        start = _to_datetime(start) if start else None
        end = _to_datetime(end) if end else None
    # A session's date counts as its midnight.
    lo = None
    if start is not None:
        lo = start.date() + datetime.timedelta(days=start.time() != datetime.time())
    hi = None if end is None else end.date()
    return lo, hi


# --- the class -------------------------------------------------------------------------------


class One(ListingMixin):
    """Search, list and load ALF data from a local folder indexed by cache tables.

    Parameters
    ----------
    cache_dir : str or pathlib.Path, optional
        The data folder; stored as given. If omitted, ONE's configured default folder is used
        (read from ``~/.one/.caches`` if present, else ``~/Downloads/ONE``); nothing is
        written.
    mode : {'local', 'remote'}
        ``'local'`` loads the tables now; ``'remote'`` starts empty (there is no Alyx client).
    wildcards : bool
        If true, ``search`` treats strings as regular expressions and the listing methods
        treat them as shell globs; if false, literal substrings and regular expressions.
    tables_dir : str or pathlib.Path, optional
        Where the ``*.pqt`` tables are (default: `cache_dir`). Data paths always resolve
        against `cache_dir`.
    mmap : bool
        Memory-map the table files while reading them, and large ``.npy`` files (copy-on-write)
        when loading data; false reads every ``.npy`` file into memory.
    allow_pickle : bool
        Load ``.npy`` files holding Python objects, which unpickles them and so can run code
        the file holds (ONE always does). By default such a load raises ``ValueError``; each
        load method also takes ``allow_pickle=``.

    Raises
    ------
    ValueError
        `mode` is not ``'local'`` or ``'remote'``.

    Notes
    -----
    Unlike ONE, no ``UserWarning`` is issued for datasets tables over a million rows: such
    tables are this package's purpose and load in tens of milliseconds.
    """

    _search_terms = (
        'datasets',
        'date_range',
        'laboratory',
        'number',
        'projects',
        'subject',
        'task_protocol',
        'dataset_qc_lte',
    )

    uuid_filenames = None
    """bool: whether datasets on disk have a UUID in their file name."""

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        mode: str = 'local',
        wildcards: bool = True,
        tables_dir: str | Path | None = None,
        mmap: bool = True,
        allow_pickle: bool = False,
    ):
        self.cache_dir = cache_dir or _default_cache_dir()
        self._tables_dir = Path(tables_dir or self.cache_dir)
        self.mode = mode
        self.wildcards = wildcards
        self.record_loaded = False
        self.uuid_filenames = False
        self._mmap = mmap
        self.allow_pickle = allow_pickle
        self._engine = Engine()
        if self.mode == 'local':
            One.load_cache(self)
        elif self.mode != 'remote':
            raise ValueError(f'Mode "{self.mode}" not recognized')

    def __repr__(self) -> str:
        return f'One ({"off" if self.offline else "on"}line, {self.cache_dir})'

    @property
    def offline(self) -> bool:
        """bool: Always True: alf_fast is ONE's local mode, there is no web client to be online."""
        return True

    def search_terms(self, query_type: str | None = None) -> tuple[str, ...]:
        """Return the keyword arguments that :meth:`search` accepts."""
        return self._search_terms

    @property
    def _cache(self) -> Bunch:
        """Bunch: the loaded tables (polars) and ONE's ``_meta`` record, as in ``one._cache``.

        Assigning a table (``one._cache['datasets'] = frame``) replaces it in the engine.
        """
        return self._engine.cache

    def _reset_cache(self) -> None:
        """Replace the cache with empty tables."""
        self._engine.replace(default_cache())

    def load_cache(self, tables_dir: str | Path | None = None, clobber: bool = True, **kwargs):
        """Load the parquet cache tables.

        Parameters
        ----------
        tables_dir : str or pathlib.Path, optional
            A folder of tables; replaces the current tables folder.
        clobber : bool
            Must be true: merging into the loaded tables is not implemented (as in ONE).

        Returns
        -------
        datetime.datetime or None
            When the tables were loaded; ``None`` if there were none.

        Raises
        ------
        NotImplementedError
            `clobber` is false.
        ValueError
            A table file cannot be read (the message names it).

        Warns
        -----
        UserWarning
            No cache tables were found.
        """
        if not clobber:
            raise NotImplementedError('clobber=False not implemented yet')
        self._reset_cache()
        self._tables_dir = Path(tables_dir or self._tables_dir or self.cache_dir)
        self._engine.replace(load_tables(self._tables_dir, memory_map=self._mmap))
        loaded = self._engine.cache['_meta']['loaded_time']
        if loaded is None and self.offline:
            warnings.warn(f'No cache tables found in {self._tables_dir}', stacklevel=2)
        return loaded

    def save_cache(self, save_dir: str | Path | None = None, clobber: bool = False) -> None:
        """Save the tables to parquet files if they were modified since loaded or saved.

        Parameters
        ----------
        save_dir : str or pathlib.Path, optional
            Where to write (default: ``cache_dir``).
        clobber : bool
            Write the tables as they are, whether modified or not. Otherwise the tables in
            `save_dir` are read and the modified rows merged into them first.

        Notes
        -----
        The files are written in ONE's format as one recoverable commit (temporary files, then
        renames), under the lock that ``make_parquet_db`` takes, so readers never see a
        half-written table or a mixed pair. With ``ONE_SAVE_ON_DELETE`` set to ``1`` or
        ``true`` (read at import, as in ONE), a ``One`` saves its tables when it is deleted.
        """
        from alf_fast._lock import TableLock

        save_dir = Path(save_dir or self.cache_dir)
        cache = self._engine.cache
        meta = cache['_meta']
        modified = meta.get('modified_time') or datetime.datetime.min
        update_time = max(
            meta.get(x) or datetime.datetime.min for x in ('loaded_time', 'saved_time')
        )
        frames = {k: v for k, v in cache.items() if isinstance(v, pl.DataFrame)}
        if not clobber:
            if modified < update_time or all(f.height == 0 for f in frames.values()):
                return
            _logger.debug('Merging cache tables...')
            merged = load_tables(save_dir, memory_map=False)
            merge_tables(merged, **{k: v for k, v in frames.items() if not k.startswith('_')})
            for name, raw in merged['_meta']['raw'].items():
                created = [
                    x.get('date_created')
                    for x in (raw, meta['raw'].get(name, {}))
                    if x.get('date_created')
                ]
                if created:
                    raw['date_created'] = min(created, key=datetime.datetime.fromisoformat)
            cache = merged
        with TableLock(save_dir):
            _logger.info('Saving cache tables...')
            save_tables(cache, save_dir, modified)
        meta['saved_time'] = datetime.datetime.now()

    def save_loaded_ids(self, sessions_only: bool = False, clear_list: bool = True):
        """Save the ids of the datasets (or their sessions) loaded while ``record_loaded``.

        Parameters
        ----------
        sessions_only : bool
            Save the eids of the sessions instead of the dataset ids.
        clear_list : bool
            Forget the loaded datasets afterwards.

        Returns
        -------
        numpy.ndarray or list
            The ids saved (``[]`` if nothing was loaded).
        pathlib.Path or None
            ``<tables_dir>/<timestamp>_loaded_{dataset,session}_uuids.csv``.

        Warns
        -----
        UserWarning
            Nothing was loaded (is ``record_loaded`` true?).
        """
        cache = self._engine.cache
        loaded = cache.get('_loaded_datasets')
        if loaded is None or loaded.size == 0:
            warnings.warn(
                'No datasets loaded; check "record_datasets" attribute is True', stacklevel=2
            )
            return [], None
        if sessions_only:
            name = 'session_uuid'
            keys = [str(x) for x in loaded]
            eids = self._engine.datasets.filter(pl.col('id').is_in(keys)).get_column('eid')
            ids = np.array(self._engine.ids_out(eids.unique(maintain_order=True).to_list()))
        else:
            name = 'dataset_uuid'
            ids = loaded
        timestamp = datetime.datetime.now().strftime('%Y-%m-%dT%H-%M-%S%z')
        filename = Path(self._tables_dir or self.cache_dir) / f'{timestamp}_loaded_{name}s.csv'
        pl.DataFrame({name: [str(x) for x in ids]}, schema={name: pl.String}).write_csv(filename)
        if clear_list:
            cache['_loaded_datasets'] = np.array([])
        return ids, filename

    def _remove_table_files(self, tables: Iterable[str] | None = None) -> list[Path]:
        """Delete the table files (default: those of the loaded tables) in the tables folder."""
        names = tables or [k for k in self._engine.cache if not k.startswith('_')]
        return remove_table_files(Path(self._tables_dir), names)

    def __del__(self) -> None:
        if SAVE_ON_DELETE and hasattr(self, '_engine'):
            self.save_cache()

    # --- search ------------------------------------------------------------------------------

    def search(self, details: bool = False, **kwargs: Any):
        """Return the eids of the sessions matching every given term.

        Parameters
        ----------
        details : bool
            If true, also return each session's record.
        **kwargs
            Search terms; any unambiguous prefix works (``subj``, ``lab``, ``date``, ``num``):

            - ``subject``, ``laboratory``, ``projects``, ``task_protocol`` : str or list.
              With ``wildcards`` on, a case-sensitive regular expression searched anywhere in
              the value (a list is joined with ``|``); off, a literal substring (any item of
              a list).
            - ``date_range`` : a date, ``[start, end]`` (inclusive; ``None`` is open) or
              ``[start]``. A date-time with a time of day moves the window.
            - ``number`` : int, str or list; values go through ``int()``.
            - ``datasets`` (or ``dataset``) : str or list; every pattern must *fully* match
              the file name (after the last ``/``) of an existing dataset of the session with
              QC at most ``dataset_qc_lte``.
            - ``dataset_qc_lte`` : QC name or value (default ``'FAIL'``). Alone, it selects
              the sessions with at least one existing dataset at or below it.

        Returns
        -------
        list
            The eids (``uuid.UUID``), newest first: by date, subject, then number, descending.
        list of Bunch
            With ``details=True``: the session records (no id). ``None`` if nothing matched.

        Raises
        ------
        ValueError
            An unknown or ambiguous term, a bad number, date range or QC value.
        InvalidPattern
            A malformed regular expression (also an ``re.error``).

        Notes
        -----
        Deliberate differences from ONE-api 3.6.1:

        - ``dataset=`` is an alias of ``datasets=`` (ONE: ambiguous term).
        - ``dataset_qc_lte`` alone returns sessions with a passing dataset (ONE: always
          ``[]``).
        - With ``wildcards`` off, a list matches any of its items (ONE: never matches).
        - ``datasets`` also matches files at the top of a session folder that has
          sub-folders (ONE misses them).
        - Patterns follow Python's ``re`` exactly (ONE lets pandas use RE2 where it can).
        """
        search_terms = self.search_terms(query_type='local')
        kwargs.pop('query_type', None)
        queries: dict[str, Any] = {}
        for key, value in kwargs.items():
            full_key = 'datasets' if key.casefold() == 'dataset' else None
            queries[full_key or _autocomplete(key, search_terms)] = value

        def order(item):
            return _LATE_TERMS.index(item[0]) if item[0] in _LATE_TERMS else -1

        sessions = self._engine.sessions_by_date()
        for key, value in sorted(queries.items(), key=order):
            # Like ONE, stop at the first empty result: later terms are then not validated.
            if sessions.height == 0:
                break
            if key in _STRING_TERMS:
                values = sessions.get_column(_STRING_TERMS[key]).cast(pl.String)
                sessions = sessions.filter(_string_mask(values, value, self.wildcards, key))
            elif key == 'date_range':
                bounds = _date_bounds(value)
                if bounds is None:
                    sessions = sessions.clear()
                    continue
                lo, hi = bounds
                date = pl.col('date')
                cond = date.is_not_null()
                if lo is not None:
                    cond = cond & (date >= lo)
                if hi is not None:
                    cond = cond & (date <= hi)
                sessions = sessions.filter(cond)
            elif key == 'number':
                numbers = [int(x) for x in ensure_list(value)]
                sessions = sessions.filter(pl.col('number').cast(pl.Int64).is_in(numbers))
            elif key == 'datasets' or (key == 'dataset_qc_lte' and 'datasets' not in queries):
                qc = QC.validate(queries.get('dataset_qc_lte', 'FAIL')).name
                patterns = list(ensure_list(value)) if key == 'datasets' else None
                sessions = self._filter_by_datasets(sessions, patterns, qc)

        if sessions.height == 0:
            return ([], None) if details else []
        eids = self._engine.ids_out(sessions.get_column('id').to_list())
        if details:
            return eids, [Bunch(r) for r in sessions.drop('id').iter_rows(named=True)]
        return eids

    def _filter_by_datasets(
        self, sessions: pl.DataFrame, patterns: list[str] | None, qc: str
    ) -> pl.DataFrame:
        """Keep the sessions with, for every pattern, a passing dataset whose name matches.

        The patterns run once over the distinct file names of the table, then a single
        query over the datasets rows (``exists``, QC, name hit) groups by eid and keeps the
        eids with a hit for every pattern. With `patterns` ``None`` (``dataset_qc_lte``
        alone) any passing dataset will do.
        """
        datasets = self._engine.cache['datasets']
        if patterns is not None and not patterns:
            # ONE's all() over no pattern is true for any session with a dataset row.
            keep = datasets.get_column('eid').unique()
            return sessions.filter(pl.col('id').is_in(keep.implode()))
        cond = pl.col('exists') & (pl.col('qc').to_physical() <= QC_LEVELS.index(qc))
        if sessions.height < self._engine.cache['sessions'].height:
            cond = cond & pl.col('eid').is_in(sessions.get_column('id').implode())
        hits = []
        if patterns is not None:
            paths, names = self._engine.dataset_names()
            for pattern in patterns:
                hits.append(paths.filter(_regex_mask(names, pattern, full=True, term='datasets')))
            if any(h.is_empty() for h in hits):
                return sessions.clear()
            cond = cond & pl.col('rel_path').is_in(pl.concat(hits).unique().implode())
        rows = datasets.lazy().filter(cond)
        if hits:
            flags = [
                pl.col('rel_path').is_in(h.implode()).any().alias(f'hit{i}')
                for i, h in enumerate(hits)
            ]
            rows = rows.group_by('eid').agg(flags).filter(pl.all_horizontal(r'^hit\d+$'))
        keep = rows.select(pl.col('eid').unique()).collect().get_column('eid')
        return sessions.filter(pl.col('id').is_in(keep.implode()))

    # --- sessions ----------------------------------------------------------------------------

    def list_subjects(self) -> list[str]:
        """Return the distinct subject names, sorted by code point."""
        subjects = self._engine.cache['sessions'].get_column('subject')
        return subjects.sort(nulls_last=True).unique(maintain_order=True).to_list()

    def get_details(self, eid: Any, full: bool = False):
        """Return a session's record, or its datasets joined with it.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or dict
            Any session identifier accepted by :meth:`to_eid`.
        full : bool
            If true, return the session's datasets joined with its record.

        Returns
        -------
        Bunch or polars.DataFrame
            ``full=False``: the record as a dict (ONE: a pandas Series named by the eid), with
            ``number`` as the numpy scalar of the column, as in ONE. ``full=True``: columns
            ``eid``, ``id``, the dataset columns, then the session columns; a session without
            datasets gives one row with null dataset columns.

        Raises
        ------
        ValueError
            `eid` does not resolve to a session id.
        alf_fast.exceptions.ALFObjectNotFound
            The session is not in the cache.
        alf_fast.exceptions.ALFMultipleObjectsFound
            The sessions table holds the id more than once.
        """
        key = self._to_eid_str(eid)
        if key is None:
            raise ValueError(f'Cannot parse session ID "{eid}" (session may not exist)')
        rows = self._engine.session_rows(key)
        if rows.height == 0:
            raise ALFObjectNotFound(id_out(key))
        if rows.height > 1:
            raise ALFMultipleObjectsFound(f'Multiple sessions in cache for eid {id_out(key)}')
        if not full:
            record = Bunch(rows.drop('id').row(0, named=True))
            if 'number' in record and rows.schema['number'].is_integer():
                record['number'] = rows.get_column('number').to_numpy()[0]
            return record
        datasets = self._engine.cache['datasets']
        session = rows.rename({'id': 'eid'})
        # The datasets table is sorted by (eid, id): sorting by id restores its order here.
        joined = session.join(datasets.filter(pl.col('eid') == key), on='eid', how='left')
        joined = joined.sort('id', nulls_last=False, maintain_order=True)
        columns = ['eid', 'id', *(c for c in datasets.columns if c not in ('eid', 'id'))]
        columns += [c for c in session.columns if c != 'eid']
        return joined.select(columns)

    # --- set-up ------------------------------------------------------------------------------

    @staticmethod
    def setup(cache_dir: str | Path | None = None, silent: bool = False, **kwargs: Any) -> One:
        """Index a data folder (unless tables exist) and return a :class:`One` on it.

        Parameters
        ----------
        cache_dir : str or pathlib.Path, optional
            The data folder. If omitted, asks on the terminal (empty answer: the current
            folder), or uses the current folder when `silent` or without a terminal.
        silent : bool
            Never prompt: existing tables are opened as they are, not rebuilt. Without
            `silent`, existing tables are rebuilt only when the answer to the prompt is
            ``'y'``; without a terminal to ask (a batch job, a pipe) they are kept, with a
            warning saying so.
        **kwargs
            Passed to :func:`alf_fast.cache.make_parquet_db` (``out_dir``, ``hash_ids``,
            ``hash_files``, ``lab``, ``threads``, ...).

        Returns
        -------
        One

        Raises
        ------
        AssertionError
            `cache_dir` does not exist.

        Notes
        -----
        Existing tables are detected by ``sessions.pqt`` in the tables folder; when prompted,
        only the answer ``'y'`` rebuilds them. Unlike ONE, which opens its result on
        `cache_dir` whatever ``out_dir`` says (and so finds no tables), the returned instance
        reads its tables from ``out_dir`` when one is given, and that is also where existing
        tables are looked for.
        """
        return _setup(One, cache_dir, silent, **kwargs)


def _setup(face: type, cache_dir: Any, silent: bool, **kwargs: Any) -> Any:
    """``One.setup`` for either face: index the folder if needed and open a `face` on it."""
    from alf_fast._prompt import ask

    if not cache_dir:
        if not silent:
            cache_dir = ask(f'Select a directory from which to build cache ({Path.cwd()})')
            if cache_dir is None:
                warnings.warn(
                    f'One.setup: no cache_dir given and no terminal to ask: using the '
                    f'current folder {Path.cwd()}',
                    stacklevel=3,
                )
        cache_dir = cache_dir or Path.cwd()
    cache_dir = Path(cache_dir)
    if not cache_dir.exists():  # ONE's exception class, kept under python -O
        raise AssertionError(f'{cache_dir} does not exist')
    tables_dir = Path(kwargs['out_dir']) if kwargs.get('out_dir') else cache_dir

    if (tables_dir / 'sessions.pqt').exists() and not kwargs.get('update'):
        rebuild = False
        if not silent:
            answer = ask(f'Cache tables exist for {tables_dir}, overwrite? [y/N]')
            rebuild = answer == 'y'
            if answer is None:
                warnings.warn(
                    f'One.setup: cache tables exist in {tables_dir} and there is no '
                    f'terminal to ask whether to overwrite them: kept them (to rebuild, '
                    f'call alf_fast.make_parquet_db({str(cache_dir)!r}) first)',
                    stacklevel=3,
                )
        if not rebuild:
            return face(cache_dir, mode='local', tables_dir=tables_dir)

    from alf_fast.cache import make_parquet_db

    make_parquet_db(cache_dir, **kwargs)
    return face(cache_dir, mode='local', tables_dir=tables_dir)


@functools.lru_cache(maxsize=1)
def ONE(*, mode: str = 'remote', wildcards: bool = True, **kwargs: Any) -> One:
    """Return a local :class:`One`, like ONE's factory does for a plain data folder.

    As in ONE, the instance is cached: the same arguments give the same object.

    Parameters
    ----------
    mode : {'remote', 'local'}
        Checked, then ignored: there is no remote mode.
    wildcards : bool
        See :class:`One`.
    **kwargs
        ``cache_dir`` and ``tables_dir``.

    Returns
    -------
    One

    Raises
    ------
    ValueError
        An unknown `mode`, or Alyx connection arguments (``base_url``, ``username``,
        ``password``, ``token``): use ``one.api.ONE`` for a database.
    """
    check_factory_args(mode, kwargs)
    return One(mode='local', wildcards=wildcards, **kwargs)


def check_factory_args(mode: str, kwargs: dict[str, Any]) -> None:
    """Reject what ``ONE(...)`` cannot serve: an unknown mode or Alyx connection arguments."""
    if mode not in ('local', 'remote'):
        raise ValueError(f'Mode "{mode}" not recognized')
    remote = [k for k in ('base_url', 'username', 'password', 'token') if k in kwargs]
    if remote:
        raise ValueError(
            f'alf_fast has no Alyx client ({", ".join(remote)} given); use one.api.ONE'
        )
