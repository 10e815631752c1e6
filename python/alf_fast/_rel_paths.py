"""Refusing dataset rows whose ``rel_path`` would read a file outside their session folder.

A cache table is data, and data can be crafted or corrupted: a ``rel_path`` of ``/etc/passwd``
or ``alf/../../../other/x.npy`` joined to a session folder names a file anywhere. Every load goes
through :func:`check_rel_path` before the join. The check is on the text only (cheap, and the
same whatever exists on disk): a link inside the tree that points elsewhere is the tree owner's
choice and is followed.
"""

from __future__ import annotations

import re

__all__ = ['check_rel_path']

# Absolute on any system (POSIX root, Windows drive or UNC), or a '..' component under either
# separator: none of these stays inside the folder it is joined to. A backslash or colon is
# never part of a valid ALF name, so treating them as separators refuses no real dataset.
_LEAVES = re.compile(r'^[/\\]|^[A-Za-z]:|(?:^|[/\\])\.\.(?:[/\\]|$)')


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
