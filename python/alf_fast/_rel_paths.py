"""Refusing table rows that would make a load read a file outside the data tree.

A cache table is data, and data can be crafted or corrupted: a ``rel_path`` of ``/etc/passwd``
or ``alf/../../../other/x.npy`` joined to a session folder names a file anywhere, and so does a
session whose subject is ``../..``. Every load goes through :func:`check_session_row` when it
builds a session folder and :func:`check_rel_path` before it joins a file to it. The checks
are on the text only (cheap, and the same whatever exists on disk): a link inside the tree that
points elsewhere is the tree owner's choice and is followed.
"""

from __future__ import annotations

import re

__all__ = ['check_rel_path', 'check_session_row']

# Absolute on any system (POSIX root, Windows drive or UNC), or a '..' component under either
# separator: none of these stays inside the folder it is joined to. A backslash or colon is
# never part of a valid ALF name, so treating them as separators refuses no real dataset.
_LEAVES = re.compile(r'^[/\\]|^[A-Za-z]:|(?:^|[/\\])\.\.(?:[/\\]|$)')
# A session folder part (lab, subject, number) must be one folder name below its parent.
_NOT_ONE_NAME = re.compile(r'[/\\\0]|^\.\.?$|^[A-Za-z]:')


def check_rel_path(rel_path, eid) -> str:
    """Return `rel_path` if it names a file inside its session folder, else raise.

    Parameters
    ----------
    rel_path : str
        The ``rel_path`` of a datasets table row.
    eid : str
        The row's session id, named in the error.

    Returns
    -------
    str
        `rel_path`, unchanged.

    Raises
    ------
    ValueError
        `rel_path` is empty, not a string, absolute, has a ``..`` component or a NUL byte.
    """
    if isinstance(rel_path, str) and rel_path and '\0' not in rel_path:
        if _LEAVES.search(rel_path) is None:
            return rel_path
        problem = 'leaves the session folder'
    else:
        problem = 'is not a relative file path'
    raise ValueError(
        f'datasets table row eid={eid}, rel_path={rel_path!r}: the rel_path {problem}; '
        'refusing to read it'
    )


def check_session_row(record: dict) -> dict:
    """Return the sessions table `record` if its folder parts are plain folder names, else raise.

    Parameters
    ----------
    record : dict
        A sessions table row (``id``, ``lab``, ``subject``, ``number``, ...).

    Returns
    -------
    dict
        `record`, unchanged.

    Raises
    ------
    ValueError
        The lab, subject or number holds a path separator or a NUL byte, is ``.`` or ``..``, or
        starts with a drive letter: the session folder would not be below the data folder.
    """
    for key in ('lab', 'subject', 'number'):
        value = record.get(key)
        if value is not None and _NOT_ONE_NAME.search(str(value)):
            raise ValueError(
                f'sessions table row id={record.get("id")}: {key}={value!r} is not a folder '
                'name, so the session folder would leave the data folder; refusing to read it'
            )
    return record
