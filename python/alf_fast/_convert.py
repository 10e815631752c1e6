"""Conversions between session identifiers: eids, paths, references and records.

The offline part of ``one.converters.ConversionMixin``, over the polars cache tables. Ids are
held as strings in the tables; they leave these methods as ``uuid.UUID`` (or as the plain
string id of a table built with ``hash_ids=False``), which is what ONE returns.

Records: where ONE returns a pandas ``Series`` these methods return a :class:`Bunch` of the
same entries, and a polars frame where ONE returns a pandas frame. A dataset record carries its
``(eid, id)`` index as leading ``eid`` and ``id`` entries, so :meth:`record2path` can use it.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import polars as pl

from alf_fast._engine import EngineHost, id_key, id_out, session_on_disk, session_rel_path
from alf_fast._tables import Bunch
from alf_fast.path import ALFPath, ensure_alf_path, get_session_path
from alf_fast.spec import QC_LEVELS, is_session_path, is_uuid, is_uuid_string

__all__ = ['ConversionMixin', 'session_record2path']

_REF_RE = re.compile(r'\d{4}(-\d{2}){2}_(\d{1,3})_\w+')
_PATH_REF_RE = re.compile(
    r'(?P<subject>[\w-]+)([\\/])(?P<date>\d{4}-\d{2}-\d{2})(\2)(?P<sequence>\d{1,3})'
)
#: Physical code of ``QC.FAIL`` in the ``qc`` enum: the default threshold of ONE's listings.
_QC_FAIL_CODE = QC_LEVELS.index('FAIL')


def _is_pandas(obj: Any, kind: str) -> bool:
    """Duck-type a pandas object without importing pandas (not a dependency)."""
    cls = type(obj)
    return cls.__module__.split('.')[0] == 'pandas' and cls.__name__ == kind


def _listable(method):
    """Call `method` once per item when its first argument after ``self`` is a list-like of
    identifiers (ONE's ``recurse``).

    Strings, mappings and pandas objects count as single values, as in ONE.
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if len(args) <= 1:
            return method(*args, **kwargs)
        obj, first, *rest = args
        if (
            isinstance(first, Iterable)
            and not isinstance(first, (str, Mapping))
            and not _is_pandas(first, 'Series')
            and not _is_pandas(first, 'DataFrame')
        ):
            return [method(obj, item, *rest, **kwargs) for item in first]
        return method(obj, first, *rest, **kwargs)

    wrapper.__wrapped__ = method
    return wrapper


def _parse_ref(ref: Any) -> Any:
    """Turn a reference's date and sequence strings into ``datetime.date`` and ``int``."""
    if ref:
        date = ref['date']
        if isinstance(date, str):
            if len(date) == 10:
                ref['date'] = datetime.date.fromisoformat(date)
            else:
                ref['date'] = datetime.datetime.fromisoformat(date).date()
        ref['sequence'] = int(ref['sequence'])
    return ref


def _parse_values(func):
    """Parse the reference(s) returned by `func` unless ``parse=False`` or ``as_dict=False``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # As in ONE, `parse` is only consumed when `as_dict` is true.
        parse = kwargs.get('as_dict', True) and kwargs.pop('parse', True)
        ref = func(*args, **kwargs)
        if not parse or isinstance(ref, str):
            return ref
        if isinstance(ref, list):
            return [_parse_ref(r) for r in ref]
        return _parse_ref(ref)

    return wrapper


def session_record2path(session: Mapping, root_dir: Any = None):
    """Build a session path from a record, by ONE's rule.

    Parameters
    ----------
    session : Mapping
        Keys ``subject``, ``date``, ``number`` and optionally ``lab``.
    root_dir : str or pathlib.Path, optional
        A folder to prepend.

    Returns
    -------
    ALFPath or PurePosixALFPath
        ``[<lab>/Subjects/]<subject>/<date>/<number, zero-padded to 3>``, relative unless
        `root_dir` is given.
    """
    rel_path = session_rel_path(session)
    if not root_dir:
        return rel_path
    return ensure_alf_path(root_dir).joinpath(rel_path)


class ConversionMixin(EngineHost):
    """Methods converting between eids, session paths, references and cache records."""

    def _to_eid_str(self, id: Any = None, cache_dir: Any = None) -> str | None:
        """Resolve one session identifier like :meth:`to_eid`, as the internal id string."""
        eid = ConversionMixin.to_eid.__wrapped__(self, id, cache_dir)
        return None if eid is None else id_key(eid)

    # --- sessions ----------------------------------------------------------------------------

    @_listable
    def to_eid(self, id: Any = None, cache_dir: str | Path | None = None):
        """Resolve any kind of session identifier to an eid.

        Parameters
        ----------
        id : str, pathlib.Path, uuid.UUID, dict or list
            A UUID (returned as is, without a look-up), a UUID string or URL ending in one, a
            session path, an experiment reference (``'2023-01-01_1_SWC_001'`` or a dict with
            ``subject``, ``date``, ``sequence``), a session record dict with ``lab``,
            ``subject``, ``number`` and ``date``/``start_time``, or a list of these.
        cache_dir : str or pathlib.Path, optional
            The root used to turn a record dict into a path (default: ``cache_dir``).

        Returns
        -------
        uuid.UUID, str, None or list
            The eid (a string for tables built with ``hash_ids=False``), ``None`` for a path
            with no session in the cache.

        Raises
        ------
        ValueError
            A string that is neither a session path nor ends with a v3/v4/v5 UUID
            ('Invalid experiment ID'), or an unsupported type ('Unrecognized experiment ID').
        AssertionError
            A record dict lacks a key, or a reference does not match exactly one session.
        """
        if id is None:
            return None
        if isinstance(id, UUID):
            return id
        if self.is_exp_ref(id):
            return self.ref2eid(id)
        if isinstance(id, dict):
            if not {'subject', 'number', 'lab'}.issubset(id):
                raise AssertionError
            root = Path(cache_dir or self.cache_dir)
            id = root.joinpath(
                id['lab'],
                'Subjects',
                id['subject'],
                str(id.get('date') or id['start_time'][:10]),
                '%03d' % id['number'],  # noqa: UP031 - ONE's TypeError for a str
            )
        if isinstance(id, Path):
            return self.path2eid(id)
        if isinstance(id, str):
            if is_session_path(id) or get_session_path(id):
                return self.path2eid(id)
            if len(id) > 36:
                id = id[-36:]
            if not is_uuid_string(id):
                raise ValueError('Invalid experiment ID')
            return UUID(id)
        raise ValueError('Unrecognized experiment ID')

    @_listable
    def eid2path(self, eid: Any):
        """Return the local session folder of an eid.

        The folder is built by ONE's rule (``<cache_dir>/[<lab>/Subjects/]<subject>/<date>/
        <number:03d>``). Unlike ONE, when that folder does not exist but the session is on disk
        under another layout (no lab folder, ``Subjects`` directly under the root, or a number
        that is not zero-padded), the folder that exists is returned.

        Parameters
        ----------
        eid : str, uuid.UUID or list
            A v3/v4 UUID, or a list of them.

        Returns
        -------
        ALFPath, None or list
            ``None`` when the eid is not in the sessions table.

        Raises
        ------
        ValueError
            `eid` is not a v3/v4 UUID.
        """
        if not is_uuid(eid):
            raise ValueError(f'{eid} is not a valid eID/UUID string')
        if self._engine.sessions.height == 0:
            return None
        rows = self._engine.session_rows(id_key(eid))
        if rows.height == 0:
            return None
        if rows.height != 1:
            raise AssertionError('Duplicate eids in sessions table')
        record = rows.row(0, named=True)
        path = session_record2path(record, self.cache_dir)
        if not path.is_dir():
            path = session_on_disk(record, self.cache_dir) or path
        return path

    @_listable
    def path2eid(self, path_obj: Any):
        """Return the eid of the session a path belongs to.

        Matches the sessions table on subject, date and number (``1`` and ``001`` are equal);
        the lab is ignored.

        Parameters
        ----------
        path_obj : str, pathlib.Path or list
            Any path containing a session folder.

        Returns
        -------
        uuid.UUID, str, None or list
            ``None`` when the path has no session part or the session is not in the cache.

        Raises
        ------
        AssertionError
            Several sessions match.
        """
        session_path = get_session_path(path_obj)
        sessions = self._engine.cache['sessions']
        if session_path is None or sessions.height == 0:
            return None
        subject, date, number = session_path.parts[-3:]
        rows = sessions.filter(
            (pl.col('subject') == subject)
            & (pl.col('date') == datetime.date.fromisoformat(date))
            & (pl.col('number').cast(pl.Int64) == int(number))
        )
        if rows.height == 0:
            return None
        if rows.height != 1:
            raise AssertionError
        return id_out(rows.item(0, 'id'))

    @_listable
    def path2record(self, path: Any):
        """Return the cache record of a session or dataset path.

        Parameters
        ----------
        path : str, pathlib.Path or list
            A session path (matched on lab, subject, date and number), a file path whose name
            ends with a dataset UUID (looked up by id), or another file path (matched on its
            session and relative path, among datasets with QC up to FAIL).

        Returns
        -------
        Bunch, polars.DataFrame or None
            One record with its index as leading entries (``id`` for a session, ``eid`` and
            ``id`` for a dataset); a frame if a dataset id is shared by several sessions;
            ``None`` when nothing matches.

        Raises
        ------
        AssertionError
            Several datasets of the session have that relative path.
        """
        path = ALFPath(path)
        is_session = is_session_path(path)
        if self._engine.cache['sessions' if is_session else 'datasets'].height == 0:
            return None
        if is_session:
            lab, subject, date, number = path.session_parts
            sessions = self._engine.cache['sessions']
            rows = sessions.filter(
                (pl.col('lab') == lab)
                & (pl.col('subject') == subject)
                & (pl.col('number').cast(pl.Int64) == int(number))
                & (pl.col('date') == datetime.date.fromisoformat(date))
            )
            return self._records_out(rows, ['id'])
        datasets = self._engine.cache['datasets']
        last = path.stem.split('.')[-1]
        if is_uuid_string(last):
            return self._records_out(datasets.filter(pl.col('id') == last), ['eid', 'id'])
        eid = self.path2eid.__wrapped__(self, path)
        if not eid:
            return None
        rel_path = path.relative_to_session().as_posix()
        rows = datasets.filter(
            (pl.col('eid') == id_key(eid))
            & (pl.col('rel_path') == rel_path)
            & (pl.col('qc').to_physical() <= _QC_FAIL_CODE)
        )
        if rows.height >= 2:
            raise AssertionError('Multiple records found')
        return self._records_out(rows, ['eid', 'id'])

    def _records_out(self, rows: pl.DataFrame, index: list[str]):
        """One row as a Bunch with UUID index entries, several as a frame, none as None."""
        if rows.height == 0:
            return None
        if rows.height > 1:
            return rows
        record = Bunch(rows.row(0, named=True))
        for key in index:
            record[key] = id_out(record[key])
        return record

    def path2url(self, filepath: Any):
        """Not available offline: needs an Alyx web client.

        Raises
        ------
        AssertionError
            When the path has a cache record (as ONE does without a web client).
        """
        if isinstance(filepath, (list, tuple)):
            return [self.path2url(f) for f in filepath]
        record = self.path2record(filepath)
        if record is None:
            return None
        return self.record2url(record)

    def record2url(self, record: Any):
        """Not available offline: needs an Alyx web client.

        Raises
        ------
        AssertionError
            Always: 'No Web client found for instance'.
        """
        raise AssertionError('No Web client found for instance')

    def record2path(self, dataset: Any):
        """Return the local file path of one or more dataset records.

        Parameters
        ----------
        dataset : polars.DataFrame, Mapping, pandas.Series or pandas.DataFrame
            Records with ``eid``, ``id`` and ``rel_path`` (a pandas Series named ``(eid, id)``,
            as ONE's listings give, is accepted too).

        Returns
        -------
        ALFPath or list of ALFPath
            A list for a frame.

        Raises
        ------
        AssertionError
            A record lacks its ``eid``/``id``.
        ValueError
            The session of a record is not in the cache.
        TypeError
            `dataset` is of another type.
        """
        if isinstance(dataset, pl.DataFrame):
            return [self.record2path(r) for r in dataset.iter_rows(named=True)]
        if _is_pandas(dataset, 'DataFrame'):
            return [self.record2path(r) for _, r in dataset.iterrows()]
        if _is_pandas(dataset, 'Series'):
            if not (isinstance(dataset.name, tuple) and len(dataset.name) == 2):
                raise AssertionError
            eid, uuid = dataset.name
        elif isinstance(dataset, Mapping):
            if not ('eid' in dataset and 'id' in dataset):
                raise AssertionError('record must have eid and id')
            eid, uuid = dataset['eid'], dataset['id']
        else:
            raise TypeError(
                'record must be polars.DataFrame, dict or pandas.Series, '
                f'got {type(dataset)} instead'
            )
        if not (session_path := self.eid2path(eid)):
            raise ValueError(f'Failed to determine session path for eid "{eid}"')
        file = session_path / dataset['rel_path']
        if self.uuid_filenames:
            file = file.with_uuid(uuid)
        return file

    # --- experiment references ---------------------------------------------------------------

    @_listable
    def eid2ref(self, eid: Any, as_dict: bool = True, parse: bool = True):
        """Return the experiment reference (subject, date, sequence) of a session.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or list
            Any session identifier accepted by :meth:`to_eid`.
        as_dict : bool
            If false, return a string ``'YYYY-MM-DD_<n>_<subject>'``.
        parse : bool
            If true, the date is a ``datetime.date`` and the sequence a number (the numpy
            scalar of the table column, as in ONE); else strings (``'001'``).

        Returns
        -------
        Bunch, str or list

        Raises
        ------
        alf_fast.exceptions.ALFObjectNotFound
            The session is not in the cache.
        """
        details = self.get_details(eid)
        if parse:
            ref = {
                'subject': details['subject'],
                'date': details['date'],
                'sequence': details['number'],
            }
            template = '{date:%Y-%m-%d}_{sequence:d}_{subject:s}'
        else:
            ref = {
                'subject': details['subject'],
                'date': str(details['date']),
                'sequence': '%03d' % details['number'],  # noqa: UP031 - as ONE
            }
            template = '{date:s}_{sequence:s}_{subject:s}'
        return Bunch(ref) if as_dict else template.format(**ref)

    def _ref2eid(self, ref: Any):
        ref = self.ref2dict(ref, parse=False)
        session = self.search(
            subject=ref['subject'], date_range=str(ref['date']), number=ref['sequence']
        )
        if len(session) != 1:
            raise AssertionError('session not found')
        return session[0]

    @_listable
    def ref2eid(self, ref: Any):
        """Return the eid of an experiment reference.

        Like ONE, this runs ``search(subject=..., date_range=..., number=...)``, so the subject
        is matched as a regular expression *substring*.

        Parameters
        ----------
        ref : str, dict or list
            ``'YYYY-MM-DD_<n>_<subject>'`` or a dict with ``subject``, ``date``, ``sequence``.

        Returns
        -------
        uuid.UUID, str or list

        Raises
        ------
        AssertionError
            Not exactly one session matches ('session not found').
        """
        return self._ref2eid(ref)

    @_listable
    def ref2path(self, ref: Any):
        """Return the session folder of an experiment reference (see :meth:`eid2path`)."""
        return ConversionMixin.eid2path.__wrapped__(self, self._ref2eid(ref))

    @staticmethod
    @_parse_values
    def path2ref(path_str: Any, as_dict: bool = True):
        """Read the experiment reference out of a session path; the path need not exist.

        Parameters
        ----------
        path_str : str, pathlib.Path or list
            A path containing ``<subject>/<date>/<number>``.
        as_dict : bool
            If false, return ``'<date>_<number as written>_<subject>'``.
        parse : bool
            If true (and `as_dict`), parse the date and sequence.

        Returns
        -------
        Bunch, str, None or list
            ``None`` when no session part is found (or its number is two zero-padded digits).
        """
        if isinstance(path_str, (list, tuple)):
            return [ConversionMixin.path2ref.__wrapped__(x, as_dict=as_dict) for x in path_str]
        match = _PATH_REF_RE.search(str(path_str))
        if match and not re.match(r'^0\d$', match.groups()[-1]):
            ref = match.groupdict()
            return Bunch(ref) if as_dict else '{date:s}_{sequence:s}_{subject:s}'.format(**ref)
        return None

    @staticmethod
    def is_exp_ref(ref: Any):
        """Tell whether a value is an experiment reference.

        Parameters
        ----------
        ref : str, dict or list
            A string is tested from its start against ``YYYY-MM-DD_<1-3 digits>_<word>``; a
            dict needs ``subject``, ``date`` and ``sequence``.

        Returns
        -------
        bool or list of bool
        """
        if isinstance(ref, (list, tuple)):
            return [ConversionMixin.is_exp_ref(x) for x in ref]
        if isinstance(ref, dict):
            if not {'subject', 'date', 'sequence'}.issubset(ref):
                return False
            ref = '{date}_{sequence}_{subject}'.format(**ref)
        elif not isinstance(ref, str):
            return False
        return _REF_RE.match(ref) is not None

    @staticmethod
    @_parse_values
    def ref2dict(ref: Any):
        """Split an experiment reference string into a Bunch (date, sequence, subject).

        Parameters
        ----------
        ref : str, dict or list
            ``'YYYY-MM-DD_<n>_<subject>'`` (the subject may contain ``_``); a dict is copied.
        parse : bool
            If true, parse the date and sequence.

        Returns
        -------
        Bunch or list of Bunch
        """
        if isinstance(ref, (list, tuple)):
            return [ConversionMixin.ref2dict(x) for x in ref]
        if isinstance(ref, dict):
            return Bunch(ref)
        return Bunch(zip(['date', 'sequence', 'subject'], ref.split('_', 2), strict=False))

    @staticmethod
    def dict2ref(ref_dict: Any):
        """Format a reference dict as ``'YYYY-MM-DD_<n>_<subject>'``.

        Parameters
        ----------
        ref_dict : dict or list
            Keys ``subject``, ``date`` (or ``start_time``) and ``sequence`` (or ``number``).
            If any value is not a string, the date is formatted with ``%Y-%m-%d`` and the
            sequence with ``d`` (so mixed types raise ``ValueError``).

        Returns
        -------
        str, None or list
            ``None`` for an empty input.
        """
        if isinstance(ref_dict, (list, tuple)):
            return [ConversionMixin.dict2ref(x) for x in ref_dict]
        if not ref_dict:
            return None
        if 'sequence' not in ref_dict and 'number' in ref_dict:
            ref_dict = dict(ref_dict)
            ref_dict['sequence'] = ref_dict.pop('number')
        if 'date' not in ref_dict and 'start_time' in ref_dict:
            ref_dict = dict(ref_dict)
            start = ref_dict['start_time']
            ref_dict['date'] = start[:10] if isinstance(start, str) else start.date()
        parsed = any(not isinstance(v, str) for v in ref_dict.values())
        template = (
            '{date:%Y-%m-%d}_{sequence:d}_{subject:s}'
            if parsed
            else '{date:s}_{sequence:s}_{subject:s}'
        )
        return template.format(**ref_dict)
