"""Listing and loading methods of :class:`alf_fast.One` (``one.api.One``'s local mode).

Where ONE returns a pandas frame indexed by ``(eid, id)`` (or ``id``), these methods return a
polars frame whose first columns are those index levels. Ids inside frames are strings; ids in
records and lists are ``uuid.UUID`` (plain strings for tables built with ``hash_ids=False``), as
in ONE.

Deliberate differences from ONE-api 3.6.1 (ONE's own bugs fixed):

* ``load_collection(revision=...)`` selects that revision (ONE uses it as a collection pattern);
* ``load_object(..., short_keys=True)`` works (ONE raises ``TypeError``);
* ``load_dataset_from_id`` finds ids shared by several sessions when given ``eid=`` or an
  ``(eid, id)`` pair, and loads any id found in a single session; only a truly ambiguous id
  raises ``ALFMultipleObjectsFound``, with a message naming the sessions;
* the md5 check is skipped when the table's hash is null or ``''`` (ONE-made tables store ``''``
  unless built with ``hash_files=True``; ONE hashes every file on each load and logs a spurious
  mismatch); a null ``file_size`` skips the size check (ONE raises ``TypeError``);
* one ``ALFWarning`` per call for revision selection (see :mod:`alf_fast._filters`);
* session folders are found on disk when their number is not zero-padded (``KS005/.../1``), as
  ``eid2path`` does; ONE cannot load them;
* a relative path matching several datasets in ``load_dataset`` raises
  ``ALFMultipleObjectsFound`` (ONE: ``ValueError: too many values to unpack``);
* ``load_datasets`` names missing dict items without crashing (ONE: ``TypeError`` when a dict has
  no extension) and its records show ``exists`` as found on disk during the call;
* large ``.npy`` files are memory-mapped copy-on-write unless ``One(mmap=False)``, object arrays
  are refused unless ``One(allow_pickle=True)`` (see :mod:`alf_fast.io`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import warnings
from pathlib import PurePosixPath
from typing import Any
from uuid import UUID

import numpy as np
import polars as pl

from alf_fast import io as alfio
from alf_fast._convert import ConversionMixin
from alf_fast._engine import id_key, id_out
from alf_fast._filters import filter_datasets, one_warning, parse_rel_paths, rel_path_columns
from alf_fast._rel_paths import check_rel_path
from alf_fast._tables import Bunch, is_frame
from alf_fast.exceptions import (
    ALFError,
    ALFMultipleCollectionsFound,
    ALFMultipleObjectsFound,
    ALFObjectNotFound,
    ALFWarning,
)
from alf_fast.path import ALFPath, PurePosixALFPath
from alf_fast.spec import QC, to_alf

__all__ = ['ListingMixin']

_logger = logging.getLogger('one.api')


def _revision_last_before() -> str | None:
    """``ONE_REVISION_LAST_BEFORE``, read at call time (ONE reads it once at import)."""
    return os.environ.get('ONE_REVISION_LAST_BEFORE')


def _parse_id(method):
    """Resolve the session argument with ``to_eid``; None becomes ONE's ValueError."""

    @functools.wraps(method)
    def wrapper(self, id, *args, **kwargs):
        eid = self.to_eid(id)
        if eid is None:
            raise ValueError(f'Cannot parse session ID "{id}" (session may not exist)')
        return method(self, eid, *args, **kwargs)

    return wrapper


def _md5(path: ALFPath, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _dict_name(item: dict) -> str:
    try:
        return to_alf(**item)
    except (TypeError, ValueError, AssertionError, KeyError):
        return str(item)


class ListingMixin(ConversionMixin):
    """Dataset listing and loading methods of both faces of ``One``, over its engine."""

    #: The face's reader module: ``load_file_content`` and ``load_object`` give its types.
    _io: Any = alfio

    # --- helpers -----------------------------------------------------------------------------

    def _use_mmap(self, mmap: bool | None = None) -> bool:
        """The per-call choice, else the instance's (``One(mmap=...)``)."""
        return self._mmap if mmap is None else bool(mmap)

    def _use_pickle(self, allow_pickle: bool | None = None) -> bool:
        """The per-call choice, else the instance's (``One(allow_pickle=...)``)."""
        return self.allow_pickle if allow_pickle is None else bool(allow_pickle)

    def _record(self, row: dict) -> Bunch:
        """A dataset row as ONE's record: UUID ids, int size, str qc."""
        out = Bunch(row)
        for k in ('eid', 'id'):
            if k in out:
                out[k] = id_out(out[k])
        if out.get('file_size') is not None:
            out['file_size'] = int(out['file_size'])
        if out.get('qc') is not None:
            out['qc'] = str(out['qc'])
        return out

    def _check_filesystem(self, datasets, offline=None, update_exists=True, check_hash=True):
        """Find the files of dataset rows on disk and update the ``exists`` flags in memory.

        Parameters
        ----------
        datasets : pl.DataFrame
            Rows with ``eid``, ``id``, ``rel_path``, ``file_size``, ``hash`` and ``exists``.
        offline : bool, optional
            Ignored: there is no remote repository.
        update_exists : bool
            Write changed existence flags into the cached datasets table.
        check_hash : bool
            Compare the md5 of each file with a non-empty ``hash`` and log mismatches.

        Returns
        -------
        list of ALFPath or None
            One entry per row, None where the file is missing.
        """
        if datasets.height == 0:
            return []
        if 'eid' not in datasets.columns:
            datasets = self._with_eids(datasets)
        eids = datasets.get_column('eid').to_list()
        folders = self._engine.session_folders(list(dict.fromkeys(eids)), self.cache_dir)
        # Plain lists of the few columns needed, and a path object only for files found.
        none = [None] * datasets.height
        sizes, hashes = (
            datasets.get_column(c).to_list() if c in datasets.columns else none
            for c in ('file_size', 'hash')
        )
        files: list[ALFPath | None] = []
        rel_paths = datasets.get_column('rel_path').to_list()
        if self.uuid_filenames:  # files named with their dataset id, as ONE's record2path
            ids = datasets.get_column('id').to_list()
            rel_paths = [
                str(PurePosixALFPath(p).with_uuid(i)) for p, i in zip(rel_paths, ids, strict=True)
            ]
        for eid, rel_path, file_size, md5 in zip(eids, rel_paths, sizes, hashes, strict=True):
            rel, folder = folders.get(eid, (None, None))
            if folder is None:
                files.append(None)
                continue
            try:
                size = os.stat(os.path.join(folder, check_rel_path(rel_path, eid))).st_size
            except OSError:
                files.append(None)
                continue
            file = folder / rel_path
            if file_size and size != file_size:
                _logger.warning(
                    'local file size mismatch on dataset: %s', PurePosixPath(rel, rel_path)
                )
            elif check_hash and md5 and _md5(file) != md5:
                _logger.warning('local md5 mismatch on dataset: %s', PurePosixPath(rel, rel_path))
            files.append(file)
        found = [f is not None for f in files]
        if update_exists and found != datasets.get_column('exists').to_list():
            self._engine.update_exists(datasets, found)
        if self.record_loaded:
            ids = [i for i, ok in zip(datasets.get_column('id'), found, strict=True) if ok]
            self._engine.record_loaded(ids)
        return files

    def _with_eids(self, datasets: pl.DataFrame) -> pl.DataFrame:
        """Add the eid of id-only rows (ids shared by several sessions are ambiguous)."""
        table = self._engine.datasets.select('eid', 'id')
        joined = datasets.join(table, on='id', how='left')
        if joined.height != datasets.height:
            raise ALFMultipleObjectsFound('Dataset ids are shared by several sessions')
        return joined

    # --- listing -----------------------------------------------------------------------------

    def list_datasets(
        self,
        eid=None,
        filename=None,
        collection=None,
        revision=None,
        qc=QC.FAIL,
        ignore_qc_not_set=False,
        details=False,
        query_type=None,
        default_revisions_only=False,
        keep_eid_index=False,
    ):
        """List the datasets of a session (or of all sessions).

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path, dict or list, optional
            Session(s), in any form :meth:`to_eid` accepts. None lists the whole table.
        filename : str, list of str or dict, optional
            File name pattern(s) (globs when ``self.wildcards``, else regexes), or a dict of
            ALF parts.
        collection, revision : str or list of str, optional
            Patterns matched exactly (``''`` matches an absent part).
        qc : QC, int or str
            Keep datasets with QC at or below this level.
        ignore_qc_not_set : bool
            Also drop datasets whose QC is ``NOT_SET``.
        details : bool
            Return the table rows instead of relative paths.
        query_type : str, optional
            Ignored (local only).
        default_revisions_only : bool
            Keep only rows flagged ``default_revision``.
        keep_eid_index : bool
            With one session and `details`, keep the ``eid`` column.

        Returns
        -------
        list of str or polars.DataFrame
            Without an eid: unique relative paths in table order (or all matching rows). With
            an eid: relative paths sorted (or the rows, without ``eid`` unless
            `keep_eid_index`). An unknown session gives an empty DataFrame, as in ONE.

        Raises
        ------
        ALFError
            `default_revisions_only` without a ``default_revision`` column.
        """
        datasets = self._engine.datasets
        if default_revisions_only:
            if 'default_revision' not in datasets.columns:
                raise ALFError('No default revisions specified')
            datasets = datasets.filter(pl.col('default_revision').fill_null(False))
        args = dict(
            collection=collection,
            filename=filename,
            wildcards=self.wildcards,
            revision=revision,
            revision_last_before=False,
            assert_unique=False,
            qc=qc,
            ignore_qc_not_set=ignore_qc_not_set,
        )
        if eid is None or (not isinstance(eid, UUID) and not eid):
            datasets = filter_datasets(datasets, **args)
            if details:
                return datasets
            return datasets.get_column('rel_path').unique(maintain_order=True).to_list()
        eid = self.to_eid(eid)
        if eid is None or (isinstance(eid, list) and (not eid or None in eid)):
            return datasets.head(0)
        keys = [id_key(e) for e in eid] if isinstance(eid, list) else [id_key(eid)]
        parts = [self._engine.eid_rows(k, datasets) for k in keys]
        if any(p.height == 0 for p in parts):
            return datasets.head(0)
        datasets = filter_datasets(pl.concat(parts) if len(parts) > 1 else parts[0], **args)
        if details:
            if isinstance(eid, list) or keep_eid_index:
                return datasets
            return datasets.drop('eid')
        return datasets.get_column('rel_path').sort().to_list()

    def list_collections(
        self,
        eid=None,
        filename=None,
        collection=None,
        revision=None,
        details=False,
        query_type=None,
    ):
        """List the collections of a session (or of all sessions).

        Parameters
        ----------
        eid, filename, collection, revision
            As for :meth:`list_datasets` (the default QC filter applies).
        details : bool
            Return ``{collection: rows}`` (keys sorted) instead of a list.
        query_type : str, optional
            Ignored.

        Returns
        -------
        list of str or dict
            Unique collections in table order (``''`` for the session root).
        """
        datasets = ListingMixin.list_datasets(
            self, eid, details=True, collection=collection, filename=filename, revision=revision
        )
        collections = parse_rel_paths(datasets.get_column('rel_path')).get_column('collection')
        collections = collections.fill_null('')
        if not details:
            return collections.unique(maintain_order=True).to_list()
        return self._split(datasets, collections)

    @staticmethod
    def _split(datasets: pl.DataFrame, keys: pl.Series) -> dict[str, pl.DataFrame]:
        tagged = datasets.with_columns(keys.alias('__key'))
        return {k: tagged.filter(pl.col('__key') == k).drop('__key') for k in sorted(set(keys))}

    def list_revisions(
        self,
        eid=None,
        filename=None,
        collection=None,
        revision=None,
        details=False,
        query_type=None,
    ):
        """List the revisions of a session (or of all sessions).

        Parameters
        ----------
        eid, filename, collection, revision
            As for :meth:`list_datasets` (the default QC filter applies).
        details : bool
            Return ``{revision: rows}`` (keys sorted) instead of a list.
        query_type : str, optional
            Ignored.

        Returns
        -------
        list of str or dict
            Unique revisions without ``#`` in table order (``''`` for no revision).
        """
        datasets = ListingMixin.list_datasets(self, eid=eid, details=True)
        datasets = filter_datasets(
            datasets,
            collection=collection,
            filename=filename,
            revision=revision,
            revision_last_before=False,
            wildcards=self.wildcards,
            assert_unique=False,
        )
        revisions = parse_rel_paths(datasets.get_column('rel_path')).get_column('revision')
        revisions = revisions.fill_null('')
        if not details:
            return revisions.unique(maintain_order=True).to_list()
        return self._split(datasets, revisions)

    # --- loading -----------------------------------------------------------------------------

    @_parse_id
    def load_object(
        self,
        eid,
        obj,
        collection=None,
        revision=None,
        query_type=None,
        download_only=False,
        check_hash=True,
        **kwargs,
    ):
        """Load all attributes of an ALF object of a session.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or dict
            The session.
        obj : str
            The object (a glob/regex that must resolve to a single object).
        collection : str, optional
            Collection pattern; it must resolve to a single collection.
        revision : str, optional
            Latest revision not after this one (``''``/None: the default or latest).
        query_type : str, optional
            Ignored.
        download_only : bool
            Return the file paths instead of the data.
        check_hash : bool
            Check the md5 of files whose table hash is set.
        **kwargs
            ALF part filters (``namespace``, ``attribute``, ``timescale``, ``extra``,
            ``extension``), ``short_keys`` (see :func:`alf_fast.io.load_object`) and ``mmap``
            (memory-map large ``.npy`` files; default: the ``One(mmap=...)`` setting, True) and
            ``allow_pickle`` (load ``.npy`` object arrays, which unpickles them; default: the
            ``One(allow_pickle=...)`` setting, False).

        Returns
        -------
        alf_fast.io.AlfBunch or list of ALFPath

        Raises
        ------
        ALFObjectNotFound
            No such object in the cache, or none of its files on disk.
        ALFMultipleObjectsFound, ALFMultipleCollectionsFound
            The object/collection patterns match more than one.
        """
        short_keys = kwargs.pop('short_keys', False)
        mmap = self._use_mmap(kwargs.pop('mmap', None))
        allow_pickle = self._use_pickle(kwargs.pop('allow_pickle', None))
        datasets = ListingMixin.list_datasets(self, eid, details=True, keep_eid_index=True)
        if datasets.height == 0:
            raise ALFObjectNotFound(obj)
        with one_warning(stacklevel=6) as sink:
            datasets = filter_datasets(
                datasets,
                {'object': obj, **kwargs},
                collection,
                revision or _revision_last_before(),
                assert_unique=False,
                wildcards=self.wildcards,
                _sink=sink,
            )
        if datasets.height == 0:
            raise ALFObjectNotFound(obj)
        objects, collections = (
            list(dict.fromkeys(x or '' for x in column))
            for column in rel_path_columns(datasets.get_column('rel_path'), 'object', 'collection')
        )
        if len(objects) > 1:
            raise ALFMultipleObjectsFound(*objects)
        if len(collections) > 1:
            raise ALFMultipleCollectionsFound(*collections)
        files = [f for f in self._check_filesystem(datasets, check_hash=check_hash) if f]
        if not files:
            raise ALFObjectNotFound(f'ALF object "{obj}" not found on disk')
        if download_only:
            return files
        return self._io.load_object(
            files,
            wildcards=self.wildcards,
            short_keys=short_keys,
            mmap=mmap,
            allow_pickle=allow_pickle,
        )

    @_parse_id
    def load_dataset(
        self,
        eid,
        dataset,
        collection=None,
        revision=None,
        query_type=None,
        download_only=False,
        check_hash=True,
        mmap=None,
        allow_pickle=None,
    ):
        """Load one dataset of a session.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or dict
            The session.
        dataset : str or dict
            A file name (``'obj.attr'`` gets ``.*`` appended in wildcard mode), a relative path
            (``'alf/#rev#/obj.attr.npy'``) or a dict of ALF parts.
        collection : str, optional
            Collection pattern (not with a relative path).
        revision : str, optional
            Latest revision not after this one (not with a relative path).
        query_type : str, optional
            Ignored.
        download_only : bool
            Return the file path instead of the data.
        check_hash : bool
            Check the md5 of the file if its table hash is set.
        mmap : bool, optional
            Memory-map large ``.npy`` files (default: the ``One(mmap=...)`` setting, True).
        allow_pickle : bool, optional
            Load ``.npy`` object arrays, which unpickles them and can run code (default: the
            ``One(allow_pickle=...)`` setting, False).

        Returns
        -------
        object or ALFPath
            The data as read by :func:`alf_fast.io.load_file_content`.

        Raises
        ------
        ValueError
            `collection`/`revision` given with a relative path.
        ALFObjectNotFound
            Not in the cache, or not on disk.
        ALFMultipleCollectionsFound, ALFMultipleObjectsFound
            The name matches datasets in several collections, or several datasets.
        """
        datasets = ListingMixin.list_datasets(self, eid, details=True, keep_eid_index=True)
        if self.wildcards and isinstance(dataset, str) and len(dataset.split('.')) == 2:
            dataset += '.*'
        revision = revision or _revision_last_before()
        assert_unique = ('/' if isinstance(dataset, str) else 'collection') not in dataset
        if not assert_unique and isinstance(dataset, str) and '*' in dataset:
            warnings.warn(
                'Wildcards should not be used with relative path as input.', stacklevel=3
            )
        if not assert_unique and (collection is not None or revision is not None):
            raise ValueError(
                'collection and revision kwargs must be None when dataset is a relative path'
            )
        with one_warning(stacklevel=6) as sink:
            datasets = filter_datasets(
                datasets,
                dataset,
                collection,
                revision,
                wildcards=self.wildcards,
                assert_unique=assert_unique,
                _sink=sink,
            )
        if datasets.height == 0:
            raise ALFObjectNotFound(f'Dataset "{dataset}" not found')
        if datasets.height > 1:
            raise ALFMultipleObjectsFound(*datasets.get_column('rel_path').to_list())
        (file,) = self._check_filesystem(datasets, check_hash=check_hash)
        if not file:
            raise ALFObjectNotFound('Dataset not found')
        if download_only:
            return file
        return self._io.load_file_content(
            file, mmap=self._use_mmap(mmap), allow_pickle=self._use_pickle(allow_pickle)
        )

    @_parse_id
    def load_datasets(
        self,
        eid,
        datasets,
        collections=None,
        revisions=None,
        query_type=None,
        assert_present=True,
        download_only=False,
        check_hash=True,
        mmap=None,
        allow_pickle=None,
    ):
        """Load several datasets of a session.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or dict
            The session.
        datasets : list of str, list of dict, or polars/pandas DataFrame
            File names, relative paths (exact collection and revision) or dicts of ALF parts;
            a frame's ``rel_path`` column is used.
        collections, revisions : str or list of str, optional
            One for all items or one per item (not with relative paths).
        query_type : str, optional
            Ignored.
        assert_present : bool
            Raise when an item is missing; otherwise log it and return None in its place.
        download_only : bool
            Return file paths instead of data.
        check_hash : bool
            Check the md5 of files whose table hash is set.
        mmap : bool, optional
            Memory-map large ``.npy`` files (default: the ``One(mmap=...)`` setting, True).
        allow_pickle : bool, optional
            Load ``.npy`` object arrays, which unpickles them and can run code (default: the
            ``One(allow_pickle=...)`` setting, False).

        Returns
        -------
        list
            Data (or paths) aligned with `datasets`.
        list of Bunch
            Dataset records (``eid``, ``id``, ``rel_path``, ``file_size``, ``hash``, ``exists``,
            ``qc``, ``revision``), None for items not in the cache.

        Raises
        ------
        TypeError
            `datasets` is a string.
        ValueError
            Mixed str/dict items, mismatched specifier lists, or specifiers with relative paths.
        ALFObjectNotFound
            An item is missing and `assert_present` is true.
        """
        if isinstance(datasets, str):
            raise TypeError('`datasets` must be a non-string iterable')
        given_frame = is_frame(datasets)
        is_rel_paths = given_frame or any('/' in x for x in datasets)
        if is_rel_paths:
            if (collections, revisions) != (None, None) or _revision_last_before():
                raise ValueError(
                    'collection and revision kwargs must be None when dataset is a relative '
                    'path (ONE_REVISION_LAST_BEFORE env var must also be unset)'
                )
            if given_frame:
                datasets = self._frame_rel_paths(datasets, eid)
            datasets = [self._rel_path_dict(x) for x in datasets]
            if datasets:
                collections = [x.pop('collection') or '' for x in datasets]
                revisions = [x.pop('revision') or '' for x in datasets]
        all_datasets = ListingMixin.list_datasets(self, eid, details=True, keep_eid_index=True)
        if all_datasets.height == 0:
            if assert_present:
                raise ALFObjectNotFound(f'No datasets found for session {eid}')
            _logger.warning(f'No datasets found for session {eid}')
            return None, all_datasets
        if len(datasets) == 0:
            return None, all_datasets.head(0)
        kinds = [(isinstance(x, str), isinstance(x, dict)) for x in datasets]
        if not all(map(any, kinds)) or not any(map(all, zip(*kinds, strict=True))):
            raise ValueError('`datasets` must be iterable of only str or only dicts')
        if self.wildcards and kinds[0][0]:
            datasets = [x + ('.*' if len(x.split('.')) == 2 else '') for x in datasets]
        revisions = revisions or _revision_last_before()
        collections, revisions = (
            self._per_item(spec, len(datasets)) for spec in (collections, revisions)
        )
        with one_warning(stacklevel=6) as sink:
            slices = [
                filter_datasets(
                    all_datasets,
                    name,
                    coll,
                    rev,
                    wildcards=self.wildcards,
                    assert_unique=True,
                    revision_last_before=not is_rel_paths,
                    _sink=sink,
                )
                for name, coll, rev in zip(datasets, collections, revisions, strict=True)
            ]
        present = [s.height == 1 for s in slices]
        found = (
            pl.concat([s for s in slices if s.height == 1], how='diagonal_relaxed')
            if any(present)
            else all_datasets.head(0)
        )
        self._warn_not_default(found, is_rel_paths)
        if not all(present):
            names = (x if isinstance(x, str) else _dict_name(x) for x in datasets)
            full = (
                '/'.join(filter(None, [c, f'#{r}#' if r else None, d]))
                for c, r, d in zip(collections, revisions, names, strict=True)
            )
            missing = ', '.join(x for x, ok in zip(full, present, strict=True) if not ok)
            self._missing(
                f'The following datasets are not in the cache: {missing}', assert_present
            )
        files = self._check_filesystem(found, check_hash=check_hash)
        if any(f is None for f in files):
            missing = ', '.join(
                p for p, f in zip(found.get_column('rel_path'), files, strict=True) if not f
            )
            self._missing(f'The following datasets were not downloaded: {missing}', assert_present)
        exists = pl.Series('exists', [f is not None for f in files], dtype=pl.Boolean)
        records = [self._record(r) for r in found.with_columns(exists).iter_rows(named=True)]
        files_iter, records_iter = iter(files), iter(records)
        files = [next(files_iter) if ok else None for ok in present]
        records = [next(records_iter) if ok else None for ok in present]
        if download_only:
            return files, records
        options = {'mmap': self._use_mmap(mmap), 'allow_pickle': self._use_pickle(allow_pickle)}
        return [self._io.load_file_content(x, **options) for x in files], records

    @staticmethod
    def _missing(message: str, assert_present: bool) -> None:
        if assert_present:
            raise ALFObjectNotFound(message)
        _logger.warning(message)

    @staticmethod
    def _per_item(spec, n: int) -> list:
        if not spec or isinstance(spec, str):
            return [spec] * n
        if len(spec) != n:
            raise ValueError('Collection and revision specifiers must match number of datasets')
        return list(spec)

    @staticmethod
    def _rel_path_dict(rel_path: str) -> dict:
        from alf_fast.path import rel_path_parts

        return dict(rel_path_parts(rel_path, as_dict=True))

    def _frame_rel_paths(self, frame, eid) -> list[str]:
        """The ``rel_path`` column of a polars or pandas frame of this session's datasets."""
        if isinstance(frame, pl.DataFrame):
            if 'eid' in frame.columns:
                if set(frame.get_column('eid').to_list()) != {id_key(eid)}:
                    raise AssertionError
            return frame.get_column('rel_path').to_list()
        if 'eid' in frame.index.names:
            eids = {id_key(e) for e in frame.index.get_level_values('eid')}
            if eids != {id_key(eid)}:
                raise AssertionError
        return frame['rel_path'].tolist()

    @staticmethod
    def _warn_not_default(found: pl.DataFrame, is_rel_paths: bool) -> None:
        if not (is_rel_paths and 'default_revision' in found.columns):
            return
        old = found.filter(~pl.col('default_revision').fill_null(False))
        if old.height:
            warnings.warn(
                'The following datasets may have been revised and are therefore not recommended'
                ' for analysis:\n\t' + '\n\t'.join(old.get_column('rel_path')) + '\nTo avoid'
                ' this warning, specify the revision as a kwarg or use load_dataset.',
                ALFWarning,
                stacklevel=4,
            )

    def load_dataset_from_id(
        self,
        dset_id,
        download_only=False,
        details=False,
        check_hash=True,
        eid=None,
        mmap=None,
        allow_pickle=None,
    ):
        """Load a dataset by its id.

        Parameters
        ----------
        dset_id : uuid.UUID, str, tuple or numpy.ndarray
            The dataset id; a ``(eid, id)`` pair; or the id as two int64 values.
        download_only : bool
            Return the file path instead of the data.
        details : bool
            Also return the dataset record.
        check_hash : bool
            Check the md5 of the file if its table hash is set.
        eid : str or uuid.UUID, optional
            The session, needed when the id is shared by datasets of several sessions (ids
            made by ``make_parquet_db`` are: the id hashes the relative path only).
        mmap : bool, optional
            Memory-map large ``.npy`` files (default: the ``One(mmap=...)`` setting, True).
        allow_pickle : bool, optional
            Load ``.npy`` object arrays, which unpickles them and can run code (default: the
            ``One(allow_pickle=...)`` setting, False).

        Returns
        -------
        object or ALFPath
            The data (or path); with `details`, a ``(data, record)`` tuple where the record is
            a Bunch of the dataset row.

        Raises
        ------
        ALFObjectNotFound
            Unknown id, or file not on disk.
        ALFMultipleObjectsFound
            The id belongs to several sessions and no `eid` was given.
        ValueError
            A string that is not a UUID (nor an id of the table).
        """
        if isinstance(dset_id, tuple) and len(dset_id) == 2:
            eid, dset_id = dset_id
        key = self._dataset_key(dset_id)
        table = self._engine.datasets
        if eid is not None:
            eid = self.to_eid(eid)
            rows = table.head(0) if eid is None else self._engine.eid_rows(id_key(eid), table)
            rows = rows.filter(pl.col('id') == key)
        else:
            rows = table.filter(pl.col('id') == key)
        if rows.height == 0:
            raise ALFObjectNotFound('Dataset not found')
        if rows.height > 1:
            sessions = ', '.join(rows.get_column('eid').unique(maintain_order=True).to_list())
            raise ALFMultipleObjectsFound(
                f'Dataset id {key} is shared by datasets of several sessions ({sessions}); '
                'pass eid= or an (eid, id) pair to choose one'
            )
        (filepath,) = self._check_filesystem(rows, check_hash=check_hash)
        if not filepath:
            raise ALFObjectNotFound('Dataset not found')
        if download_only:
            output = filepath
        else:
            output = self._io.load_file_content(
                filepath, mmap=self._use_mmap(mmap), allow_pickle=self._use_pickle(allow_pickle)
            )
        if not details:
            return output
        return output, self._record({**rows.row(0, named=True), 'exists': True})

    def _dataset_key(self, dset_id) -> str:
        if isinstance(dset_id, UUID):
            return str(dset_id)
        if isinstance(dset_id, str):
            key = id_key(dset_id)
            if isinstance(id_out(key), UUID):
                return key
            # Tables built with hash_ids=False have plain-string ids, whatever their length.
            if self._engine.datasets.get_column('id').eq(key).any():
                return key
            return str(UUID(dset_id))  # ONE's ValueError for a string that is no id
        pair = np.asarray(dset_id, dtype=np.int64).reshape(-1)
        return str(UUID(bytes=pair.tobytes()))

    @_parse_id
    def load_collection(
        self,
        eid,
        collection,
        object=None,
        revision=None,
        query_type=None,
        download_only=False,
        check_hash=True,
        **kwargs,
    ):
        """Load all objects of a collection of a session.

        Parameters
        ----------
        eid : str, uuid.UUID, pathlib.Path or dict
            The session.
        collection : str
            Collection pattern (``''`` for the session root).
        object : str, optional
            Object pattern.
        revision : str, optional
            Latest revision not after this one, per dataset.
        query_type : str, optional
            Ignored.
        download_only : bool
            Return a tuple of file paths instead of the data.
        check_hash : bool
            Check the md5 of files whose table hash is set.
        **kwargs
            ALF part filters, ``short_keys``, ``mmap`` and ``allow_pickle`` (as for
            :meth:`load_object`).

        Returns
        -------
        Bunch of alf_fast.io.AlfBunch, or tuple of ALFPath
            One AlfBunch per object.

        Raises
        ------
        ALFError
            The collection is not in the session.
        ALFObjectNotFound
            Nothing matches the filters, or no file is on disk.
        """
        short_keys = kwargs.pop('short_keys', False)
        mmap = self._use_mmap(kwargs.pop('mmap', None))
        allow_pickle = self._use_pickle(kwargs.pop('allow_pickle', None))
        datasets = ListingMixin.list_datasets(
            self, eid, details=True, collection=collection, keep_eid_index=True
        )
        if datasets.height == 0:
            raise ALFError(f'{collection} not found for session {eid}')
        with one_warning(stacklevel=6) as sink:
            datasets = filter_datasets(
                datasets,
                {'object': object, **kwargs},
                None,
                revision or _revision_last_before(),
                assert_unique=False,
                wildcards=self.wildcards,
                _sink=sink,
            )
        if datasets.height == 0:
            raise ALFObjectNotFound(object or '')
        objects = parse_rel_paths(datasets.get_column('rel_path')).get_column('object')
        files = self._check_filesystem(datasets, check_hash=check_hash)
        if not any(files):
            raise ALFObjectNotFound(f'ALF collection "{collection}" not found on disk')
        kept = [(f, o) for f, o in zip(files, objects, strict=True) if f]
        if download_only:
            return tuple(f for f, _ in kept)
        return Bunch(
            {
                name: self._io.load_object(
                    [f for f, o in kept if o == name],
                    wildcards=self.wildcards,
                    short_keys=short_keys,
                    mmap=mmap,
                    allow_pickle=allow_pickle,
                )
                for name in dict.fromkeys(o for _, o in kept)
            }
        )
