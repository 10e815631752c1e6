"""Parsing and rewriting of ALF paths: functions and pathlib subclasses.

Mirrors :mod:`one.alf.path`. A full ALF path reads::

    [<lab>/Subjects/]<subject>/<date>/<number>/[<collection>/][#<revision>#/]<file name>

with file names ``[_<namespace>_]<object>.<attribute>[_<timescale>][.<extra>]*.<extension>``.

The ``*_parts`` functions return tuples (or ordered dicts) with ``None`` for missing parts and
raise :class:`~alf_fast.exceptions.ALFInvalid` by default when the input does not parse. The
``ALFPath`` properties return ``''`` for missing parts, and its ``parse_*`` methods return dicts
and never raise.
"""

from __future__ import annotations

import logging
import os
import pathlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from alf_fast import spec
from alf_fast.exceptions import ALFInvalid
from alf_fast.spec import COLLECTION_SPEC, FILE_SPEC, REL_PATH_SPEC, SESSION_SPEC

__all__ = [
    'ALFPath',
    'PosixALFPath',
    'PureALFPath',
    'PurePosixALFPath',
    'PureWindowsALFPath',
    'WindowsALFPath',
]

_logger = logging.getLogger('one.alf.path')

_FILE_RE = spec.regex(FILE_SPEC)
_REL_PATH_RE = spec.regex(REL_PATH_SPEC)
_SESSION_RE = spec.regex(SESSION_SPEC)
_FOLDER_RE = spec.regex(f'{SESSION_SPEC}/{COLLECTION_SPEC}')
_LAB_FOLDERS_RE = spec.regex('{lab}/Subjects/')
# The session without its optional lab part, so that the lab never takes part in a substitution.
_SESSION_NO_LAB_RE = spec.regex('{subject}/{date}/{number}')
_SESSION_COLLECTION_RE = spec.regex('{subject}/{date}/{number}/' + COLLECTION_SPEC)
_NS_OBJECT_RE = spec.regex('_?{namespace}?_?{object}')
_ATTR_TIMESCALE_RE = spec.regex('{attribute}(?:_{timescale})?')
_ONLY_COLLECTION_RE = spec.regex(f'^{COLLECTION_SPEC}$')
_ONLY_REVISION_FOLDER_RE = spec.regex('^#{revision}#$')
# Whole-string validators for the values passed to the with_* methods.
_ONLY = {
    part: spec.regex(f'^{{{part}}}$')
    for part in ('lab', 'subject', 'date', 'number', 'collection', 'revision', 'extension')
}


def _path_parts(
    path: Any, pattern: re.Pattern[str], match: bool, as_dict: bool, assert_valid: bool
) -> tuple[str | None, ...] | OrderedDict[str, str | None]:
    """Apply `pattern` to `path` (anchored if `match`, else searched) and return the groups."""
    if hasattr(path, 'as_posix'):
        path = path.as_posix()
    found = pattern.match(path) if match else pattern.search(path)
    if found:
        groups = found.groupdict()
    elif assert_valid:
        raise ALFInvalid(path)
    else:
        groups = dict.fromkeys(pattern.groupindex)
    return OrderedDict(groups) if as_dict else tuple(groups.values())


def rel_path_parts(rel_path, as_dict=False, assert_valid=True):
    """Parse a path relative to a session: ``[collection/][#revision#/]file name``.

    Parameters
    ----------
    rel_path : str or pathlib.PurePath
        The relative path; the whole string must match.
    as_dict : bool, default False
        If true, return an ordered dict keyed by part name instead of a tuple.
    assert_valid : bool, default True
        If true, raise when the path does not parse; otherwise return all ``None``.

    Returns
    -------
    tuple or OrderedDict
        ``(collection, revision, namespace, object, attribute, timescale, extra, extension)``.
        The revision is returned without its ``#`` delimiters.

    Raises
    ------
    ALFInvalid
        The path does not parse and `assert_valid` is true.

    Examples
    --------
    >>> rel_path_parts('alf/probe00/#v1#/spikes.times.npy')
    ('alf/probe00', 'v1', None, 'spikes', 'times', None, None, 'npy')
    """
    return _path_parts(rel_path, _REL_PATH_RE, True, as_dict, assert_valid)


def session_path_parts(session_path, as_dict=False, assert_valid=True):
    """Parse the first session folder sequence found anywhere in a path.

    Parameters
    ----------
    session_path : str or pathlib.PurePath
        Any path; the session pattern is searched, not anchored at either end.
    as_dict : bool, default False
        If true, return an ordered dict keyed by part name instead of a tuple.
    assert_valid : bool, default True
        If true, raise when no session is found; otherwise return all ``None``.

    Returns
    -------
    tuple or OrderedDict
        ``(lab, subject, date, number)``; the lab is ``None`` without ``<lab>/Subjects/``.

    Raises
    ------
    ALFInvalid
        No session part was found and `assert_valid` is true.

    Examples
    --------
    >>> session_path_parts('/data/lab/Subjects/sub/2023-01-01/001/alf')
    ('lab', 'sub', '2023-01-01', '001')
    """
    return _path_parts(session_path, _SESSION_RE, False, as_dict, assert_valid)


def filename_parts(filename, as_dict=False, assert_valid=True):
    """Parse an ALF file name into its parts.

    Parameters
    ----------
    filename : str
        A bare file name.
    as_dict : bool, default False
        If true, return an ordered dict keyed by part name instead of a tuple.
    assert_valid : bool, default True
        If true, raise when the name is not a valid ALF name; otherwise return all ``None``.

    Returns
    -------
    tuple or OrderedDict
        ``(namespace, object, attribute, timescale, extra, extension)``. Several extra parts
        are returned as one period-joined string.

    Raises
    ------
    ALFInvalid
        The name is not valid and `assert_valid` is true.

    Examples
    --------
    >>> filename_parts('_ibl_trials.goCue_times_bpod.csv')
    ('ibl', 'trials', 'goCue_times', 'bpod', None, 'csv')
    >>> filename_parts('spikes.times_ephysClock.raw.v12.npy')
    (None, 'spikes', 'times', 'ephysClock', 'raw.v12', 'npy')
    """
    return _path_parts(filename, _FILE_RE, True, as_dict, assert_valid)


def full_path_parts(path, as_dict=False, assert_valid=True):
    """Parse every session, folder and file-name part of a path.

    A last component with fewer than two periods is taken for a folder, in which case the file
    parts are ``None``; a path without ``/`` is taken for a bare file name.

    Parameters
    ----------
    path : str or pathlib.PurePath
        A folder or file path.
    as_dict : bool, default False
        If true, return an ordered dict keyed by part name instead of a tuple.
    assert_valid : bool, default True
        If true, raise when the path does not parse.

    Returns
    -------
    tuple or OrderedDict
        ``(lab, subject, date, number, collection, revision, namespace, object, attribute,
        timescale, extra, extension)``.

    Raises
    ------
    ALFInvalid
        The path does not parse and `assert_valid` is true. A folder path also fails when its
        last component is not one of the parsed parts (e.g. a nested collection folder).
    """
    path = pathlib.Path(path)
    if path.name.count('.') < 2:
        folders = folder_parts(path, as_dict, assert_valid)
        if assert_valid:
            values = folders.values() if as_dict else folders
            revision = folders['revision'] if as_dict else folders[-1]
            if path.name not in values and f'#{revision}#' != path.name:
                raise ALFInvalid(path)
        dataset = filename_parts('', as_dict, assert_valid=False)
    elif '/' not in path.as_posix():
        folders = folder_parts('', as_dict, assert_valid=False)
        dataset = filename_parts(path.name, as_dict, assert_valid)
    else:
        folders = folder_parts(path.parent, as_dict, assert_valid)
        dataset = filename_parts(path.name, as_dict, assert_valid)
    if as_dict:
        return OrderedDict(**folders, **dataset)
    return folders + dataset


def folder_parts(folder_path, as_dict=False, assert_valid=True):
    """Parse the session, collection and revision parts of a folder path.

    Parameters
    ----------
    folder_path : str or pathlib.PurePath
        A folder path; the session pattern is searched anywhere in it.
    as_dict : bool, default False
        If true, return an ordered dict keyed by part name instead of a tuple.
    assert_valid : bool, default True
        If true, raise when no session part is found.

    Returns
    -------
    tuple or OrderedDict
        ``(lab, subject, date, number, collection, revision)``.

    Raises
    ------
    ALFInvalid
        No session part was found and `assert_valid` is true.

    Examples
    --------
    >>> folder_parts('lab/Subjects/sub/2020-01-01/001/alf/#v1#')
    ('lab', 'sub', '2020-01-01', '001', 'alf', 'v1')
    """
    if hasattr(folder_path, 'as_posix'):
        folder_path = folder_path.as_posix()
    # The collection and revision patterns end in '/', so a folder path needs a trailing one.
    if folder_path and folder_path[-1] != '/':
        folder_path = folder_path + '/'
    return _path_parts(folder_path, _FOLDER_RE, False, as_dict, assert_valid)


def _isdatetime(s: str) -> bool:
    """Return True if `s` is a real calendar date written ``YYYY-MM-DD``."""
    try:
        datetime.strptime(s, '%Y-%m-%d')
    except ValueError:
        return False
    return True


def get_session_path(path):
    """Return the leading part of a path that ends at its session number folder.

    The session is found at the first all-digit component preceded by a real calendar date.
    Unlike the session regex, this needs no subject and accepts numbers of any length.

    Parameters
    ----------
    path : str or pathlib.PurePath
        Any path.

    Returns
    -------
    pathlib.PurePath or None
        The session path, of the input's class (``pathlib.Path`` for a string), or ``None``.

    Examples
    --------
    >>> get_session_path('/data/sub/2020-01-01/001/alf/spikes.times.npy')
    PosixPath('/data/sub/2020-01-01/001')
    """
    if path is None:
        return None
    if isinstance(path, str):
        path = pathlib.Path(path)
    parts = path.parts
    for i, part in enumerate(parts):
        # For i == 0 ONE compares with the *last* component (index -1); kept for parity.
        if part.isdigit() and _isdatetime(parts[i - 1]):
            return path.__class__().joinpath(*parts[: i + 1])
    return None


def get_alf_path(path):
    """Return the ALF part of a path: from the session on, else the relative path or file name.

    Parameters
    ----------
    path : str or pathlib.PurePath
        Any path.

    Returns
    -------
    str or None
        The substring that starts at the first session match; else the whole path if it is a
        valid ``[collection/][#revision#/]file name``; else the file name if it is valid; else
        ``None``.

    Examples
    --------
    >>> get_alf_path('/data/root/sub/2021-01-21/001/alf/spikes.times.npy')
    'sub/2021-01-21/001/alf/spikes.times.npy'
    >>> get_alf_path('a b/file.attr.ext')
    'file.attr.ext'
    """
    if not isinstance(path, str):
        path = pathlib.Path(path).as_posix()
    path = path.strip('/')
    if session := _SESSION_RE.search(path):
        return path[session.start() :]
    name = path.rsplit('/', 1)[-1]
    if _FILE_RE.match(name):
        return path if _REL_PATH_RE.match(path) else name
    return None


def add_uuid_string(file_path, uuid, strict=False):
    """Insert a UUID as the last extra part of a file name (``obj.attr.<uuid>.ext``).

    An existing UUID (v3 or v4) in that position is replaced.

    Parameters
    ----------
    file_path : str or pathlib.PurePath
        A dataset path. Strings become ``pathlib.Path``; path objects keep their class.
    uuid : str or uuid.UUID
        The UUID; a string must be in canonical lower-case hyphenated form.
    strict : bool, default False
        If true, raise instead of replacing a different UUID already in the name.

    Returns
    -------
    pathlib.PurePath
        The path with the UUID in its file name.

    Raises
    ------
    ValueError
        `uuid` is a malformed string, or `strict` is true and the name holds another UUID.
    """
    if isinstance(uuid, str) and not spec.is_uuid_string(uuid):
        raise ValueError('Should provide a valid UUID v4')
    uuid = str(uuid)
    if isinstance(file_path, str):
        file_path = pathlib.Path(file_path)
    name_parts = file_path.stem.split('.')
    if spec.is_uuid(name_parts[-1]):
        *name_parts, old_uuid = name_parts
        if old_uuid == uuid:
            _logger.warning(f'UUID already found in file name: {file_path.name}: IGNORE')
            return file_path
        if strict:
            raise ValueError(
                f'UUID {old_uuid} already found in file name: {file_path.name}; expected {uuid}'
            )
        _logger.debug('Replacing %s with %s in %s', old_uuid, uuid, file_path)
    return file_path.parent.joinpath(f'{".".join(name_parts)}.{uuid}{file_path.suffix}')


def remove_uuid_string(file_path):
    """Remove a canonical UUID string from the last extra part of a file name, if present.

    Parameters
    ----------
    file_path : str or pathlib.PurePath
        A dataset path. Strings become ``pathlib.Path``; path objects keep their class.

    Returns
    -------
    pathlib.PurePath
        The path without the UUID (unchanged if there was none).
    """
    if isinstance(file_path, str):
        file_path = pathlib.Path(file_path)
    *stem, last = file_path.stem.split('.')
    if spec.is_uuid_string(last):
        file_path = file_path.with_name('.'.join(stem) + file_path.suffix)
    return file_path


def padded_sequence(file_path):
    """Zero-pad the session number folder of a path to three digits.

    Parameters
    ----------
    file_path : str or pathlib.PurePath
        A session, folder or file path.

    Returns
    -------
    PureALFPath
        The same path with e.g. ``.../2023-01-01/1/...`` written ``.../2023-01-01/001/...``. A
        string or concrete path gives an :class:`ALFPath`, a pure path a :class:`PureALFPath`.

    Raises
    ------
    ValueError
        The path contains no ``<date>/<number>`` session part.
    """
    file_path = ensure_alf_path(file_path)
    session_path = get_session_path(file_path)
    if session_path is None:
        raise ValueError('path must include a valid ALF session path, e.g. subject/YYYY-MM-DD/N')
    depth = len(file_path.parts) - len(session_path.parts)
    number = str(int(session_path.parts[-1])).zfill(3)
    return file_path.parents[depth].joinpath(number, file_path.relative_to(session_path))


def without_revision(file_path):
    """Return a dataset path without its ``#revision#`` folder.

    Parameters
    ----------
    file_path : str or pathlib.PurePath
        A dataset path that includes a session part.

    Returns
    -------
    pathlib.PurePath
        The session path joined with the collection (if any) and the file name.

    Raises
    ------
    ALFInvalid
        The parent folder contains no session part.
    """
    if isinstance(file_path, str):
        file_path = pathlib.Path(file_path)
    collection = folder_parts(file_path.parent)[-2]
    # When the date is not a real calendar date get_session_path gives None and this raises
    # AttributeError, as ONE does.
    return get_session_path(file_path).joinpath(*filter(None, (collection, file_path.name)))


class PureALFPath(pathlib.PurePath):
    """A pure path with ALF parsing, validation and part replacement; no I/O.

    Instantiating ``PureALFPath`` gives a :class:`PurePosixALFPath` or, on Windows, a
    :class:`PureWindowsALFPath`, as ``pathlib.PurePath`` does.

    Parameters
    ----------
    *args : str or pathlib.PurePath
        Path segments, combined as by ``pathlib``.
    """

    def __new__(cls, *args):
        if cls is PureALFPath:
            cls = PureWindowsALFPath if os.name == 'nt' else PurePosixALFPath
        # Python < 3.12 builds paths in __new__; 3.12+ ignores the arguments here.
        return super().__new__(cls, *args)

    # --- tests -------------------------------------------------------------------------------

    def is_dataset(self) -> bool:
        """Return True if the last component is a valid ALF file name."""
        return spec.is_valid(self.name)

    def is_valid_alf(path) -> bool:
        """Return True if the path parses as an ALF folder or dataset path.

        May also be called on the class with any path-like argument,
        e.g. ``PureALFPath.is_valid_alf('obj.attr.npy')``.

        Returns
        -------
        bool
            True if :func:`full_path_parts` accepts the path and finds at least one part.
        """
        try:
            return any(full_path_parts(path))
        except ALFInvalid:
            return False

    def is_session_path(path) -> bool:
        """Return True if the path ends with an ALF session folder.

        May also be called on the class with any path-like argument.
        """
        return spec.is_session_path(path)

    # --- session part ------------------------------------------------------------------------

    def session_path(self):
        """Return the leading part of the path up to the session number, or None.

        See :func:`get_session_path`.
        """
        return get_session_path(self)

    def session_path_short(self, include_lab=False):
        """Return ``subject/date/number`` (``lab/...`` with `include_lab`) as a string, or None.

        Parameters
        ----------
        include_lab : bool, default False
            If true, prefix the lab. Without a lab in the path, the result then starts with
            ``'/'`` (ONE's behaviour).

        Returns
        -------
        str or None
            The parts joined by ``'/'``, or None if the path has no session part.
        """
        parts = self.session_parts[0 if include_lab else 1 :]
        if any(parts):
            return '/'.join(parts)
        return None

    def without_lab(self):
        """Return the path with its first ``<lab>/Subjects/`` removed (unchanged if absent)."""
        posix = self.as_posix()
        if m := _LAB_FOLDERS_RE.search(posix):
            return self.__class__(posix[: m.start()], posix[m.end() :])
        return self

    def relative_to_lab(self):
        """Return the part of the path after ``<lab>/Subjects/``.

        Raises
        ------
        ValueError
            The path contains no ``<lab>/Subjects/``.
        """
        if m := _LAB_FOLDERS_RE.search(self.as_posix()):
            return self.__class__(self.as_posix()[m.end() :])
        raise ValueError(f'{self} does not contain <lab>/Subjects pattern')

    def relative_to_session(self):
        """Return the part of the path after the session number folder.

        Raises
        ------
        ValueError
            The path contains no session part.
        """
        if session_path := self.session_path():
            return self.relative_to(session_path)
        raise ValueError(f'{self} does not contain session path pattern')

    # --- parsing -----------------------------------------------------------------------------

    def parse_alf_path(self, as_dict=True):
        """Parse all parts of the path, as :func:`full_path_parts` without validation.

        Parameters
        ----------
        as_dict : bool, default True
            If false, return a tuple.

        Returns
        -------
        OrderedDict or tuple
            The twelve parts, ``None`` where absent.
        """
        return full_path_parts(self, assert_valid=False, as_dict=as_dict)

    def parse_alf_name(self, as_dict=True):
        """Parse the file name, as :func:`filename_parts` without validation.

        Parameters
        ----------
        as_dict : bool, default True
            If false, return a tuple.

        Returns
        -------
        OrderedDict or tuple
            The six file name parts, ``None`` where absent.
        """
        return filename_parts(self.name, assert_valid=False, as_dict=as_dict)

    @cached_property
    def dataset_name_parts(self) -> tuple[str, ...]:
        """tuple of str: The six file name parts, ``''`` where absent."""
        return tuple(p or '' for p in self.parse_alf_name(as_dict=False))

    @cached_property
    def session_parts(self) -> tuple[str, ...]:
        """tuple of str: ``(lab, subject, date, number)``, ``''`` where absent."""
        return tuple(p or '' for p in session_path_parts(self, assert_valid=False))

    @cached_property
    def alf_parts(self) -> tuple[str, ...]:
        """tuple of str: The twelve ALF path parts, ``''`` where absent."""
        return tuple(p or '' for p in self.parse_alf_path(as_dict=False))

    @property
    def lab(self) -> str:
        """str: The lab, or ``''``."""
        return self.session_parts[0]

    @property
    def subject(self) -> str:
        """str: The subject, or ``''``."""
        return self.session_parts[1]

    @property
    def date(self) -> str:
        """str: The session date as written, or ``''``."""
        return self.session_parts[2]

    @property
    def sequence(self) -> str:
        """str: The session number as written, or ``''``."""
        return self.session_parts[3]

    @property
    def collection(self) -> str:
        """str: The collection, or ``''``."""
        return self.alf_parts[4]

    @property
    def revision(self) -> str:
        """str: The revision without ``#``, or ``''``."""
        return self.alf_parts[5]

    @property
    def namespace(self) -> str:
        """str: The file name namespace, or ``''``."""
        return self.dataset_name_parts[0]

    @property
    def object(self) -> str:
        """str: The ALF object, or ``''``."""
        return self.dataset_name_parts[1]

    @property
    def attribute(self) -> str:
        """str: The ALF attribute, or ``''``."""
        return self.dataset_name_parts[2]

    @property
    def timescale(self) -> str:
        """str: The timescale, or ``''``."""
        return self.dataset_name_parts[3]

    @property
    def extra(self) -> str:
        """str: The period-joined extra parts, or ``''``."""
        return self.dataset_name_parts[4]

    # --- session part replacement ------------------------------------------------------------

    def with_lab(self, lab, strict=False):
        """Return the path with the lab replaced, or ``<lab>/Subjects/`` inserted.

        Parameters
        ----------
        lab : str
            The new lab name (word characters).
        strict : bool, default False
            If true, the path must already contain a lab.

        Raises
        ------
        ValueError
            `lab` is not a valid lab name.
        ALFInvalid
            The path has no session part, or no lab while `strict` is true.
        """
        if not (lab and _ONLY['lab'].match(lab)):
            raise ValueError(f'Invalid lab name: {lab}')
        if not self.subject or (strict and not self.lab):
            raise ALFInvalid(str(self))
        repl = rf'{lab}/Subjects/\g<subject>/\g<date>/\g<number>'
        return self.__class__(_SESSION_RE.sub(repl, self.as_posix(), count=1))

    def with_subject(self, subject):
        """Return the path with the subject replaced.

        Raises
        ------
        ValueError
            `subject` is not a valid subject name.
        ALFInvalid
            The path has no session part.
        """
        if not (subject and _ONLY['subject'].match(subject)):
            raise ValueError(f'Invalid subject name: {subject}')
        if not self.subject:
            raise ALFInvalid(str(self))
        repl = rf'{subject}/\g<date>/\g<number>'
        return self.__class__(_SESSION_NO_LAB_RE.sub(repl, self.as_posix(), count=1))

    def with_date(self, date):
        """Return the path with the session date replaced.

        Parameters
        ----------
        date : str, datetime.date or datetime.datetime
            The new date; non-strings are converted with ``str`` and cut to 10 characters.

        Raises
        ------
        ValueError
            The date is not in ``YYYY-MM-DD`` form.
        ALFInvalid
            The path has no session part.
        """
        if date and not isinstance(date, str):
            date = str(date)[:10]
        if not (date and _ONLY['date'].match(date)):
            raise ValueError(f'Invalid date: {date}')
        if not self.date:
            raise ALFInvalid(str(self))
        repl = rf'\g<subject>/{date}/\g<number>'
        return self.__class__(_SESSION_NO_LAB_RE.sub(repl, self.as_posix(), count=1))

    def with_sequence(self, number):
        """Return the path with the session number replaced, written with three digits.

        Parameters
        ----------
        number : int or str
            The new number, 0 to 999.

        Raises
        ------
        ValueError
            The number is not an integer from 0 to 999.
        ALFInvalid
            The path has no session part.

        Examples
        --------
        >>> PureALFPath('sub/2020-01-01/1/alf/obj.attr.npy').with_sequence(7)
        PurePosixALFPath('sub/2020-01-01/007/alf/obj.attr.npy')
        """
        if isinstance(number, str):
            number = int(number.strip())
        if number is None or not _ONLY['number'].match(str(number)):
            raise ValueError(f'Invalid number: {number}')
        if not self.sequence:
            raise ALFInvalid(str(self))
        repl = rf'\g<subject>/\g<date>/{number:03d}'
        return self.__class__(_SESSION_NO_LAB_RE.sub(repl, self.as_posix(), count=1))

    def with_padded_sequence(path):
        """Return the path with a three-digit session number; see :func:`padded_sequence`.

        May also be called on the class with any path-like argument.
        """
        return padded_sequence(path)

    # --- folder part replacement -------------------------------------------------------------

    def with_collection(self, collection):
        """Return the path with the collection replaced or added.

        Parameters
        ----------
        collection : str or pathlib.PurePath
            The new collection, e.g. ``'alf/probe00'``.

        Raises
        ------
        ValueError
            The collection is invalid or the path has no session part.
        ALFInvalid
            A folder path whose part after the session is not ``[collection/][#revision#]``.
        """
        collection = pathlib.PurePath(collection or '').as_posix().strip('/')
        if not (collection and _ONLY['collection'].match(collection)):
            raise ValueError(f'Invalid collection name: {collection}')
        if not self.session_path():
            raise ValueError(
                'Cannot add collection to a path without session parts, e.g. subject/date/number'
            )
        if self.is_session_path():
            return self.joinpath(collection)
        string = self.as_posix()
        if not self.is_dataset():
            if not _ONLY_COLLECTION_RE.match(self.relative_to_session().as_posix() + '/'):
                raise ALFInvalid(str(self))
            string += '/'  # the folder patterns end in '/'
        # session_path() accepts dates and numbers the regex rejects (2023-1-1, 0001); `match`
        # is then None and this raises AttributeError, as ONE does.
        match = _SESSION_COLLECTION_RE.search(string)
        repl = rf'\g<subject>/\g<date>/\g<number>/{collection}/'
        if match.groupdict()['revision']:
            repl += r'#\g<revision>#/'
        return self.__class__(_SESSION_COLLECTION_RE.sub(repl, string, count=1))

    def with_revision(self, revision):
        """Return the path with the revision folder replaced or added.

        Parameters
        ----------
        revision : str
            The revision name, without ``#``.

        Raises
        ------
        ALFInvalid
            The revision name is invalid, or the path is not a valid ALF path with a session.
        """
        (revision,) = _path_parts(revision, _ONLY['revision'], True, False, True)
        if PureALFPath.is_dataset(self):
            return self.without_revision().parent / f'#{revision}#' / self.name
        return self.without_revision() / f'#{revision}#'

    def without_revision(self):
        """Return the path without its revision folder (unchanged if it has none).

        Raises
        ------
        ALFInvalid
            A folder path that is not a valid ALF path, or a dataset path without a session.
        """
        if PureALFPath.is_dataset(self):
            return without_revision(self)
        if not self.is_valid_alf():
            raise ALFInvalid(f'{self} not a valid ALF path or is relative to session')
        if _ONLY_REVISION_FOLDER_RE.match(self.name):
            return self.parent
        return self

    # --- file name part replacement ----------------------------------------------------------

    def with_object(self, obj):
        """Return the path with the ALF object replaced (the new object is not validated).

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not self.is_dataset():
            raise ALFInvalid(str(self))
        ns_obj, rest = self.name.split('.', 1)
        ns = _NS_OBJECT_RE.match(ns_obj).group('namespace')
        ns = f'_{ns}_' if ns else ''
        return self.with_name(f'{ns}{obj}.{rest}')

    def with_namespace(self, ns):
        """Return the path with the namespace replaced, added, or removed if `ns` is empty.

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not self.is_dataset():
            raise ALFInvalid(self)
        ns_obj, rest = self.name.split('.', 1)
        obj = _NS_OBJECT_RE.match(ns_obj).group('object')
        ns = f'_{ns}_' if ns else ''
        return self.with_name(f'{ns}{obj}.{rest}')

    def with_attribute(self, attr):
        """Return the path with the attribute replaced, keeping any timescale.

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not self.is_dataset():
            raise ALFInvalid(self)
        ns_obj, attr_ts, rest = self.name.split('.', 2)
        ts = _ATTR_TIMESCALE_RE.match(attr_ts).group('timescale')
        ts = f'_{ts}' if ts else ''
        return self.with_name(f'{ns_obj}.{attr}{ts}.{rest}')

    def with_timescale(self, timescale):
        """Return the path with the timescale replaced, added, or removed if empty.

        The attribute is re-parsed without the characters that follow it, so ``_times`` and
        ``_intervals`` are read as a timescale here (ONE's behaviour): ``obj.x_times.npy``
        becomes ``obj.x_<timescale>.npy``.

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not self.is_dataset():
            raise ALFInvalid(self)
        ns_obj, attr_ts, rest = self.name.split('.', 2)
        attr = _ATTR_TIMESCALE_RE.match(attr_ts).group('attribute')
        ts = f'_{timescale}' if timescale else ''
        return self.with_name(f'{ns_obj}.{attr}{ts}.{rest}')

    def with_extra(self, extra, append=False):
        """Return the path with the extra parts replaced or appended to.

        Parameters
        ----------
        extra : str or list of str
            The extra parts, as a period-separated string or a sequence. Empty parts are
            dropped.
        append : bool, default False
            If true, keep the existing extra parts and add these after them.

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not self.is_dataset():
            raise ALFInvalid(self)
        parts = self.stem.split('.', 2)
        if isinstance(extra, str):
            extra = extra.strip('.').split('.')
        previous = parts.pop() if len(parts) > 2 else None
        if previous and append:
            extra = (previous, *extra)
        obj_attr = '.'.join(parts)
        if joined := '.'.join(filter(None, extra)):
            return self.with_stem(f'{obj_attr}.{joined}')
        return self.with_stem(obj_attr)

    def with_extension(self, ext):
        """Return the path with the file extension replaced.

        Parameters
        ----------
        ext : str
            The new extension, without the period.

        Raises
        ------
        ValueError
            `ext` is empty or not made of word characters.
        ALFInvalid
            The file name is not a valid ALF name.
        """
        if not (ext and _ONLY['extension'].match(ext)):
            raise ValueError(f'Invalid extension: {ext}')
        if not self.is_dataset():
            raise ALFInvalid(str(self))
        return self.with_suffix(f'.{ext}')

    def with_uuid(self, uuid, strict=False):
        """Return the path with a UUID as last extra part; see :func:`add_uuid_string`.

        Raises
        ------
        ALFInvalid
            The file name is not a valid ALF name.
        ValueError
            See :func:`add_uuid_string`.
        """
        if not self.is_dataset():
            raise ALFInvalid(f'{self} is not a valid ALF dataset file path')
        return add_uuid_string(self, uuid, strict=strict)

    def without_uuid(self):
        """Return the path without a UUID in its file name; see :func:`remove_uuid_string`."""
        return remove_uuid_string(self) if self.is_dataset() else self


class ALFPath(PureALFPath):
    """A concrete path with ALF parsing and replacement, plus checks against the disk.

    Instantiating ``ALFPath`` gives a :class:`PosixALFPath` or, on Windows, a
    :class:`WindowsALFPath`.

    Parameters
    ----------
    *args : str or pathlib.PurePath
        Path segments, combined as by ``pathlib``.
    """

    def __new__(cls, *args):
        return super().__new__(WindowsALFPath if os.name == 'nt' else PosixALFPath, *args)

    def is_dataset(self) -> bool:
        """Return True if the file name is a valid ALF name and the path is not a directory."""
        return not self.is_dir() and spec.is_valid(self.name)

    def is_session_path(self) -> bool:
        """Return True if the path ends with a session folder and is not a file."""
        return not self.is_file() and spec.is_session_path(self)

    def is_valid_alf(path) -> bool:
        """Return True if the path parses as ALF and agrees with what is on disk.

        An existing file must parse as a dataset and an existing directory as a folder; a path
        that does not exist only has to parse. May also be called on the class with any
        path-like argument.
        """
        try:
            parsed = full_path_parts(path, as_dict=True)
        except ALFInvalid:
            return False
        is_dataset = parsed['object'] is not None
        if isinstance(path, str):
            path = ALFPath(path)
        if hasattr(path, 'is_file') and path.is_file():
            return is_dataset
        if hasattr(path, 'is_dir') and path.is_dir():
            return not is_dataset
        return True

    def iter_datasets(self, recursive=False) -> Iterator[ALFPath]:
        """Yield, sorted, the non-directory entries whose names contain at least two periods.

        Parameters
        ----------
        recursive : bool, default False
            If true, search subdirectories too.

        Yields
        ------
        ALFPath
            Full paths. As in ONE, the names are not checked against the ALF specification
            (ONE tests the bound method ``p.is_dataset``, which is always true).
        """
        glob = self.rglob if recursive else self.glob
        for p in sorted(glob('*.*.*')):
            if not p.is_dir():
                yield p


class PureWindowsALFPath(pathlib.PureWindowsPath, PureALFPath):
    """A :class:`PureALFPath` with Windows path semantics."""


class PurePosixALFPath(pathlib.PurePosixPath, PureALFPath):
    """A :class:`PureALFPath` with POSIX path semantics."""


class WindowsALFPath(pathlib.WindowsPath, ALFPath):
    """An :class:`ALFPath` for Windows systems."""


class PosixALFPath(pathlib.PosixPath, ALFPath):
    """An :class:`ALFPath` for POSIX systems."""


def ensure_alf_path(path) -> PureALFPath | list[PureALFPath]:
    """Convert a path, or an iterable of paths, to ALF path objects.

    Parameters
    ----------
    path : str, pathlib.PurePath or iterable
        ALF path objects are returned as they are; concrete paths and strings become
        :class:`ALFPath`, pure paths the pure ALF class of the same flavour.

    Returns
    -------
    PureALFPath or list of PureALFPath
        One object, or a list for an iterable input.

    Raises
    ------
    TypeError
        The input is neither a string, a path nor an iterable of them.
    """
    if isinstance(path, PureALFPath):
        return path
    if isinstance(path, pathlib.Path):
        return ALFPath(path)
    if isinstance(path, pathlib.PurePosixPath):
        return PurePosixALFPath(path)
    if isinstance(path, pathlib.PureWindowsPath):
        return PureWindowsALFPath(path)
    if isinstance(path, pathlib.PurePath):
        return PureALFPath(path)
    if isinstance(path, str):
        return ALFPath(path)
    if isinstance(path, Iterable):
        return [ensure_alf_path(p) for p in path]
    raise TypeError(f'expected os.PathLike type, got {type(path)} instead')
