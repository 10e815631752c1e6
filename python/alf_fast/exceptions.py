"""Errors and warnings raised while parsing and loading ALF data.

The classes mirror :mod:`one.alf.exceptions` by name, hierarchy and message format. When ONE-api
is installed, each class also derives from ONE's class of the same name, so code written against
ONE (``except one.alf.exceptions.ALFObjectNotFound``) catches the errors raised by ``alf_fast``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

_one_exceptions: ModuleType | None
try:
    _one_exceptions = import_module('one.alf.exceptions')
except ImportError:  # ONE-api is optional at run time
    _one_exceptions = None

__all__ = [
    'ALFError',
    'ALFInvalid',
    'ALFMultipleCollectionsFound',
    'ALFMultipleObjectsFound',
    'ALFMultipleRevisionsFound',
    'ALFObjectNotFound',
    'ALFWarning',
    'AlyxSubjectNotFound',
]


def _bases(name: str, *own: type) -> tuple[type, ...]:
    """Return `own` followed by ONE's class called `name`, if ONE-api is importable.

    ONE's class goes after ours so that our ``__init__`` and ``__str__`` win in the MRO and the
    behaviour does not depend on whether ONE-api is installed.
    """
    theirs = getattr(_one_exceptions, name, None)
    return (*own, theirs) if isinstance(theirs, type) else own


class ALFError(*_bases('ALFError'), Exception):  # type: ignore[misc]
    """Base class of all ALF errors.

    Parameters
    ----------
    *args : str or object
        A single string is used as the message. Several arguments, or a single non-string one,
        are converted with ``str``, quoted with double quotes and joined with ``', '``.
    terse : bool, default False
        If true, ``str(error)`` is the message alone, without the class explanation.

    Attributes
    ----------
    message : str
        The formatted message; ``''`` when no argument was given.
    terse : bool
        Whether the explanation is left out of ``str(error)``.
    explanation : str
        A general description shared by every instance of the class.

    Examples
    --------
    >>> str(ALFError('no such folder', terse=True))
    'no such folder'
    >>> ALFError('a', 'b').message
    '"a", "b"'
    """

    explanation = ''

    def __init__(self, *args: object, terse: bool = False) -> None:
        # BaseException.__new__ has already stored the raw arguments in `self.args`.
        if len(args) == 1 and isinstance(args[0], str):
            self.message = args[0]
        elif args:
            self.message = '"' + '", "'.join(map(str, args)) + '"'
        else:
            self.message = ''
        self.terse = terse

    def __str__(self) -> str:
        if not self.message and not self.explanation:
            return ''
        if self.terse:
            return self.message
        # The spaces around the newline and at the end are part of ONE's format.
        return f'{self.message} \n {self.explanation} '


class AlyxSubjectNotFound(*_bases('AlyxSubjectNotFound', ALFError)):  # type: ignore[misc]
    """A subject is not in the Alyx database (only raised by remote code)."""

    explanation = 'The subject was not found in Alyx database'


class ALFObjectNotFound(*_bases('ALFObjectNotFound', ALFError)):  # type: ignore[misc]
    """No dataset matches the requested ALF object."""

    explanation = (
        'The ALF object was not found.  This may occur if the object or namespace or '
        'incorrectly formatted e.g. the object "_ibl_trials.intervals.npy" would be '
        'found with the filters `object="trials", namespace="ibl"`'
    )


class ALFMultipleObjectsFound(*_bases('ALFMultipleObjectsFound', ALFError)):  # type: ignore[misc]
    """The matching datasets belong to more than one ALF object."""

    explanation = (
        'Dataset files belonging to more than one object found.  '
        'ALF names have the pattern '
        '(_namespace_)object.attribute(_timescale).extension, e.g. for the file '
        '"_ibl_trials.intervals.npy" the object is "trials"'
    )


class ALFMultipleCollectionsFound(*_bases('ALFMultipleCollectionsFound', ALFError)):  # type: ignore[misc]
    """The matching datasets belong to more than one collection."""

    explanation = (
        'The matching object/file(s) belong to more than one collection.  '
        'ALF names have the pattern '
        'collection/(_namespace_)object.attribute(_timescale).extension, e.g. for the '
        'file "alf/probe01/spikes.times.npy" the collection is "alf/probe01"'
    )


class ALFMultipleRevisionsFound(*_bases('ALFMultipleRevisionsFound', ALFError)):  # type: ignore[misc]
    """The matching datasets belong to more than one revision and none is the default."""

    explanation = (
        'The matching object/file(s) belong to more than one revision.  '
        'Multiple datasets in different revision folders were found with no default '
        'specified.'
    )


class ALFInvalid(*_bases('ALFInvalid', ALFError), ValueError):  # type: ignore[misc]
    """A path or file name does not follow the ALF specification; also a ``ValueError``."""

    # The wording (typo included) is ONE's, so that str(error) is identical.
    explanation = (
        'The file path provided is does not match the ALF path specification defined '
        'in `one.alf.spec`.'
    )


class ALFWarning(*_bases('ALFWarning'), Warning):  # type: ignore[misc]
    """Cautions emitted while selecting or loading ALF datasets."""
