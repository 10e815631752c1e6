"""The ALF naming specification: pattern templates, validators and name builders.

Mirrors :mod:`one.alf.spec`. Patterns are compiled with Python's :mod:`re` from the same
templates and part patterns as ONE, so validity and captured parts are identical, including
Unicode ``\\w``/``\\d`` matching and backtracking quirks.
"""

from __future__ import annotations

import re
import textwrap
from enum import IntEnum
from typing import Any
from uuid import UUID

__all__ = [
    'COLLECTION_SPEC',
    'FILE_SPEC',
    'FULL_SPEC',
    'QC',
    'REL_PATH_SPEC',
    'SESSION_SPEC',
    'SPEC_DESCRIPTION',
    'describe',
    'is_session_path',
    'is_uuid',
    'is_uuid_string',
    'is_valid',
    'path_pattern',
    'readableALF',
    'regex',
    'to_alf',
]

SESSION_SPEC = '({lab}/Subjects/)?{subject}/{date}/{number}'
"""str: Template of a session folder path, optionally preceded by ``<lab>/Subjects/``."""

COLLECTION_SPEC = r'({collection}/)?(#{revision}#/)?'
"""str: Template of the optional collection and revision folders."""

FILE_SPEC = r'_?{namespace}?_?{object}\.{attribute}(?:_{timescale})?(?:\.{extra})*\.{extension}$'
"""str: Template of a dataset file name."""

REL_PATH_SPEC = f'{COLLECTION_SPEC}{FILE_SPEC}'
"""str: Template of a dataset path relative to its session folder."""

FULL_SPEC = f'{SESSION_SPEC}/{REL_PATH_SPEC}'
"""str: Template of a complete dataset path from the (optional) lab folder on."""

# Part name -> pattern. The order is the order in which the parts appear in FULL_SPEC.
_DEFAULT = (
    ('lab', r'\w+'),
    ('subject', r'[\w.-]+'),
    ('date', r'\d{4}-\d{2}-\d{2}'),
    ('number', r'\d{1,3}'),
    ('collection', r'[\w./-]+'),
    ('revision', r'[\w.-]+'),
    # The look-behind stops a namespace from matching unless an underscore precedes it.
    ('namespace', '(?<=_)[a-zA-Z0-9]+'),
    ('object', r'\w+'),
    # An optional deprecated `_ns_` prefix; `_times`/`_intervals` stay part of the attribute.
    ('attribute', r'(?:_[a-z]+_)?[a-zA-Z0-9]+(?:_times(?=[_.])|_intervals(?=[_.]))?'),
    ('timescale', r'\w+'),
    ('extra', r'[.\w-]+'),
    ('extension', r'\w+'),
)

_FIELD_NAME = re.compile(r'(?<={)\w+')
_ALL_CAPS = re.compile(r'^[A-Z]+s?$')  # an acronym, possibly plural: kept as is by the converters
_WORD_BREAK = re.compile(r'[_\s]')
_TIMES_SUFFIX = re.compile('_(times|timestamps|intervals)$')
_CAMEL_BOUNDARY = re.compile(r'[A-Z](?=[a-rt-z0-9])|(?<=[a-z0-9])[A-Z]')


class QC(IntEnum):
    """Dataset quality-control outcomes, ordered from worst to unset.

    The integer values are the ones used by Alyx; the members are declared in ONE's order.
    """

    CRITICAL = 50
    """Unusable data, e.g. clocks that cannot be aligned or missing samples."""
    FAIL = 40
    """Data below the expected standard."""
    WARNING = 30
    """Minor issues that should not affect most analyses."""
    NOT_SET = 0
    """Quality not assessed."""
    PASS = 10
    """Data meeting the standard."""

    @staticmethod
    def validate(v: QC | int | str) -> QC:
        """Convert a QC member, value or name to the member.

        Parameters
        ----------
        v : QC, int or str
            A member, its integer value, its value as a numeric string (``'40'``) or its name in
            any case (``'fail'``).

        Returns
        -------
        QC
            The matching member.

        Raises
        ------
        ValueError
            `v` does not name or equal any member.

        Examples
        --------
        >>> QC.validate('warning') is QC.WARNING
        True
        >>> QC.validate('10') is QC.PASS
        True
        """
        if isinstance(v, QC):
            return v
        if not isinstance(v, str):
            return QC(v)
        if v.isnumeric():
            return QC(int(v))
        try:
            return QC[v.upper()]
        except KeyError:
            raise ValueError(f'{v} is not a valid QC') from None


#: QC names in the order of their Alyx values: the categories of the tables' ``qc`` column. Its
#: integer codes are positions here, so comparing codes compares levels (``<= FAIL``).
QC_LEVELS: tuple[str, ...] = tuple(member.name for member in sorted(QC))


def path_pattern() -> str:
    """Return `FULL_SPEC` as a human-readable template with the regex syntax removed.

    Returns
    -------
    str
        E.g. ``'(lab/Subjects/)subject/date/number/(collection/)(#revision#/)...'``.
    """
    return ''.join(c for c in FULL_SPEC if c not in '{}?*\\$')


SPEC_DESCRIPTION = {
    'lab': 'The lab that collected the data. Optional; when present the subject folders sit '
    'under "<lab>/Subjects/".',
    'Subjects': 'A fixed folder name separating the lab folder from its subject folders. It is '
    'only used, and then required, when the data are organised by lab.',
    'subject': 'The name of the experimental subject, any label.',
    'date': 'The day of the session, in ISO 8601 form: yyyy-mm-dd.',
    'number': 'The session number within the day, usually padded with zeros to three digits '
    '(001, 002, ...).',
    'collection': 'An optional folder grouping the datasets of one device, modality or probe, '
    'needed when a session holds several measurements of the same kind (e.g. "probe00", '
    '"probe01", "raw_video_data").',
    'revision': 'An optional folder holding a version of datasets, named between pound signs '
    '(e.g. "#2024-05-06#"). Revisions sort lexicographically; asking for a revision that does '
    'not exist gives the latest one before it.',
    'namespace': 'An optional file name prefix between underscores for data that are not a '
    'community standard, such as those of one rig or program (e.g. "_iblrig_", "_phy_").',
    'object': 'What the data describe: a collection of attributes of equal length along the '
    'first axis (e.g. "trials", "spikes", "wheel").',
    'attribute': 'One property of the object (e.g. "times", "intervals"). Attributes of an '
    'object share their first dimension.',
    'timescale': 'An optional suffix of a time attribute, after an underscore, naming the clock '
    'its times refer to (e.g. "times_ephysClock") when it is not the universal one.',
    'extra': 'Optional dot-separated parts after the attribute that carry no meaning for ALF '
    '(e.g. a UUID or a probe label).',
    'extension': 'The file format, after the last dot (e.g. "npy", "pqt", "json", "ssv").',
}
"""dict: Each part of an ALF path and what it means, keyed as in :func:`path_pattern`."""


def describe(part: str | None = None, width: int = 99) -> None:
    """Print the ALF path pattern and what one part (or every part) means.

    Parameters
    ----------
    part : str, optional
        A key of :data:`SPEC_DESCRIPTION`; the pattern is printed with ``^`` under it. All
        parts if omitted.
    width : int
        The longest line printed for a description.

    Raises
    ------
    ValueError
        `part` is not a part name.

    Examples
    --------
    >>> describe('extension', width=120)  # doctest: +ELLIPSIS
    (lab/Subjects/)subject/date/number/...
    """
    pattern = path_pattern()
    print(pattern)
    if part is None:
        parts = list(SPEC_DESCRIPTION)
    elif part in SPEC_DESCRIPTION:
        parts = [part]
        # Marks the first occurrence of the name, as in ONE ('date' is found before 'extra').
        match = re.search(part, pattern)
        start, end = match.span() if match else (0, 0)
        print(' ' * start + '^' * (end - start) + ' ' * (len(pattern) - end))
    else:
        names = '", "'.join(SPEC_DESCRIPTION)
        raise ValueError(f'Unknown ALF part "{part}", should be one of "{names}"')
    for name in parts:
        print('\n' + name.upper())
        for paragraph in SPEC_DESCRIPTION[name].splitlines():
            for line in textwrap.wrap(paragraph, width, replace_whitespace=False):
                print(line)


def _named(pattern: str, name: str) -> str:
    return f'(?P<{name}>{pattern})'


def regex(spec: str = FULL_SPEC, **kwargs: str | None) -> re.Pattern[str]:
    """Compile an ALF template into a regular expression with one named group per part.

    Parameters
    ----------
    spec : str
        A template such as `FILE_SPEC`, whose ``{part}`` fields are replaced by named groups.
    **kwargs : str or None
        Patterns replacing the default pattern of the named parts. ``None`` keeps the default.

    Returns
    -------
    re.Pattern
        The compiled pattern.

    Raises
    ------
    KeyError
        A keyword is not the name of an ALF part.

    Examples
    --------
    >>> regex(FILE_SPEC, object='trials').match('trials.intervals.npy')['attribute']
    'intervals'
    """
    fields = dict(_DEFAULT)
    for key in kwargs:
        if key not in fields:
            raise KeyError(f'Unknown field "{key}"')
    fields.update((k, v) for k, v in kwargs.items() if v is not None)
    groups = {k: _named(fields[k], k) for k in _FIELD_NAME.findall(spec)}
    return re.compile(spec.format(**groups))


_FILE_RE = regex(FILE_SPEC)
_SESSION_END_RE = re.compile(regex(SESSION_SPEC).pattern + '$')


def is_valid(filename: str) -> bool:
    """Tell whether a file name follows the ALF dataset naming convention.

    Parameters
    ----------
    filename : str
        A bare file name (no folders).

    Returns
    -------
    bool
        True if the whole name matches `FILE_SPEC`.

    Examples
    --------
    >>> is_valid('_ibl_trials.goCue_times.npy'), is_valid('spike_train.npy')
    (True, False)
    """
    return _FILE_RE.match(filename) is not None


def is_session_path(path_object) -> bool:
    """Tell whether a path ends with an ALF session folder (``[lab/Subjects/]subj/date/num``).

    Only the string is examined; the disk is not touched and the date is not checked for being a
    real calendar date.

    Parameters
    ----------
    path_object : str or pathlib.PurePath
        Path objects are compared in POSIX form. Strings are used as given, so a string with
        backslash separators never matches.

    Returns
    -------
    bool
        True if the path, stripped of leading and trailing slashes, ends with a session folder.
    """
    if hasattr(path_object, 'as_posix'):
        path_object = path_object.as_posix()
    return _SESSION_END_RE.search(path_object.strip('/')) is not None


def is_uuid_string(string: str) -> bool:
    """Tell whether a value is a canonical UUID string of version 3, 4 or 5.

    Parameters
    ----------
    string : str
        The value to test.

    Returns
    -------
    bool
        True only for a ``str`` in lower-case, hyphenated form; ``UUID`` objects give False.
    """
    return isinstance(string, str) and is_uuid(string, (3, 4, 5)) and str(UUID(string)) == string


def is_uuid(uuid: str | int | bytes | UUID, versions: tuple[int, ...] = (4, 3)) -> bool:
    """Tell whether a value converts to a UUID of one of the given versions.

    Parameters
    ----------
    uuid : str, int, bytes or UUID
        A UUID, or a value accepted by the matching ``UUID`` constructor argument.
    versions : tuple of int, default (4, 3)
        The accepted versions. v4 ids come from Alyx, v3 ids from local cache tables.

    Returns
    -------
    bool
        True if `uuid` converts and its version is in `versions`.
    """
    if isinstance(uuid, str):
        try:
            uuid = UUID(uuid)
        except ValueError:
            return False
    elif isinstance(uuid, (bytes, int)):
        # The type name picks the keyword (bytes= or int=); like ONE, a bool or a subclass then
        # raises TypeError for the unknown keyword.
        try:
            keyword: dict[str, Any] = {type(uuid).__name__: uuid}
            uuid = UUID(**keyword)
        except ValueError:
            return False
    elif not isinstance(uuid, UUID):
        return False
    return uuid.version in versions


def _dromedary(string: str) -> str:
    """Convert words separated by spaces or underscores to camelCase, keeping acronyms.

    Examples
    --------
    >>> _dromedary('motion_energy'), _dromedary('mpci ROIs'), _dromedary('FooBar')
    ('motionEnergy', 'mpciROIs', 'fooBar')
    """
    if not string:
        return string
    first, *rest = _WORD_BREAK.split(string)
    if not rest:
        return first[0].lower() + first[1:]
    head = first if _ALL_CAPS.match(first) else first.lower()
    return head + ''.join(w if _ALL_CAPS.match(w) else w.capitalize() for w in rest)


def to_alf(
    object: str,
    attribute: str,
    extension: str,
    namespace: str | None = None,
    timescale: str | tuple[str, ...] | None = None,
    extra: str | tuple[str, ...] | None = None,
) -> str:
    """Build an ALF file name from its parts.

    Object, attribute and timescale words are converted to camelCase; a trailing ``_times``,
    ``_timestamps`` or ``_intervals`` on the attribute is kept as written.

    Parameters
    ----------
    object : str
        The object name; must not start with an underscore.
    attribute : str
        The attribute name.
    extension : str
        The file extension, with or without one leading period.
    namespace : str, optional
        A namespace without underscores, written as ``_<namespace>_``.
    timescale : str or tuple of str, optional
        One or more timescale parts, joined with underscores.
    extra : str or tuple of str, optional
        Extra parts, as a period-separated string or a sequence.

    Returns
    -------
    str
        The file name.

    Raises
    ------
    TypeError
        No extension was given.
    ValueError
        A part contains a period, the namespace contains an underscore, or the object starts
        with an underscore.

    Examples
    --------
    >>> to_alf('trials', 'stim on_times', 'npy', timescale=('ephys clock', 'minutes'))
    'trials.stimOn_times_ephysClock_minutes.npy'
    """
    if not extension:
        raise TypeError('An extension must be provided')
    if extension.startswith('.'):
        extension = extension[1:]
    for part in (object, attribute, namespace, extension, timescale):
        if part is not None and '.' in part:
            raise ValueError('ALF parts must not contain a period (`.`)')
    if '_' in (namespace or ''):
        raise ValueError('Namespace must not contain extra underscores')
    if object[0] == '_':
        raise ValueError('Objects must not contain underscores; use namespace arg instead')

    if timescale:
        words = [timescale] if isinstance(timescale, str) else timescale
        timescale = '_'.join(_dromedary(w) for w in words if w)
    suffix = _TIMES_SUFFIX.search(attribute)
    cut = suffix.start() if suffix else len(attribute)
    attribute = _dromedary(attribute[:cut]) + attribute[cut:]
    object = _dromedary(object)

    if not extra:
        extras: tuple[str, ...] | list[str] = ()
    elif isinstance(extra, str):
        extras = extra.split('.')
    else:
        extras = extra
    # printf-style on purpose: a 1-tuple namespace formats like ONE's (as its only item).
    stem = ('_%s_' % namespace if namespace else '') + object  # noqa: UP031
    attribute += f'_{timescale}' if timescale else ''
    return '.'.join((stem, attribute, *extras, extension))


def readableALF(name: str, capitalize: bool = False) -> str:
    """Split a camelCase ALF part into lower-case words, keeping acronyms.

    Parameters
    ----------
    name : str
        An object or attribute name, e.g. ``'someROIDataset'``.
    capitalize : bool, default False
        If true, upper-case the first character of the result.

    Returns
    -------
    str
        The words separated by single spaces.

    Examples
    --------
    >>> readableALF('someROIDataset'), readableALF('sparseNoise', capitalize=True)
    ('some ROI dataset', 'Sparse noise')
    """
    starts = [m.start() for m in _CAMEL_BOUNDARY.finditer(name)]
    words = [name[i:j] for i, j in zip([0, *starts], [*starts, len(name)], strict=True)]
    text = ' '.join(w if _ALL_CAPS.match(w) else w.lower() for w in words)
    return text[0].upper() + text[1:] if capitalize else text
