"""``one.converters`` for the polars face: the offline conversions between records and paths.

The conversion methods themselves (``to_eid``, ``eid2path``, ``path2record``...) are methods of
:class:`alf_fast.One`; these are ONE's module-level functions that need no cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alf_fast._convert import _listable as recurse
from alf_fast._convert import _parse_values as parse_values
from alf_fast._convert import session_record2path
from alf_fast.path import PurePosixALFPath, ensure_alf_path

#: ONE's default root: the paths of a remote server.
_SERVER_ROOT = PurePosixALFPath('/')

__all__ = [
    'one_path_from_dataset',
    'parse_values',
    'path_from_dataset',
    'path_from_filerecord',
    'recurse',
    'session_record2path',
]


def path_from_filerecord(fr: Mapping | list, root_path: Any = _SERVER_ROOT, uuid=None):
    """Return the path of an Alyx file record under `root_path`.

    Parameters
    ----------
    fr : dict or list of dict
        Alyx file record(s), with ``data_repository_path`` and ``relative_path``.
    root_path : str or pathlib.Path, optional
        Prepended as an ``ALFPath`` (a pure path stays pure); nothing if falsy.
    uuid : str or uuid.UUID, optional
        Added to the file name.

    Returns
    -------
    ALFPath, PureALFPath or list
    """
    if isinstance(fr, list):
        return [path_from_filerecord(f) for f in fr]
    repo_path = fr['data_repository_path']
    file_path = PurePosixALFPath(repo_path.removeprefix('/'), fr['relative_path'])
    if root_path:
        file_path = ensure_alf_path(root_path) / file_path
    return file_path.with_uuid(uuid) if uuid else file_path


def path_from_dataset(
    dset: Mapping | list, root_path: Any = _SERVER_ROOT, repository=None, uuid=False
):
    """Return the path of an Alyx dataset record: its file record joined to `root_path`.

    Parameters
    ----------
    dset : dict or list of dict
        Alyx dataset record(s) with ``file_records`` and ``url``.
    root_path : str or pathlib.Path, optional
        Prepended to the path.
    repository : str, optional
        The data repository whose file record to use (default: the first with a URL).
    uuid : bool
        Add the dataset's UUID to the file name.

    Returns
    -------
    ALFPath, PureALFPath or list
        For a list, each path under ``/``, as ONE does.
    """
    if isinstance(dset, list):
        return [path_from_dataset(d) for d in dset]
    records = dset['file_records']
    if repository:
        fr = next(r for r in records if r['data_repository'] == repository)
    else:
        fr = next(r for r in records if r['data_url'])
    return path_from_filerecord(fr, root_path, dset['url'][-36:] if uuid else None)


def one_path_from_dataset(dset: Mapping | list, one_cache: Any):
    """Return the local path of an Alyx dataset record under the data folder `one_cache`."""
    return path_from_dataset(dset, root_path=one_cache, uuid=False)
