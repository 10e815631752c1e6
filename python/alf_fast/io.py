"""Reading ALF files and objects: a mirror of :mod:`one.alf.io` on numpy, polars and pyarrow.

Function names, arguments, errors and key construction follow ONE-api 3.6.1. pandas is not
needed. Differences from ONE, all deliberate:

* ``.npy`` files of 4 MiB or more (``alf_fast._npy.MAP_MIN_BYTES``) are memory-mapped
  copy-on-write by default (a writable ``np.memmap`` whose writes never reach the file), so
  loading them takes the same time whatever the size; smaller files, and every file with
  ``mmap=False``, are read into memory as ONE does.
* Object arrays are refused unless ``allow_pickle=True`` (ONE always unpickles them).
* Table files (``.pqt``, ``.csv``, ``.ssv``, ``.tsv``, ``.htsv``) are read into
  :class:`polars.DataFrame` instead of :class:`pandas.DataFrame`; a single-column text table
  is a :class:`polars.Series`. ``AlfBunch.to_df`` and :func:`dataframe` return polars frames.
  :meth:`AlfBunch.from_df` accepts polars or pandas frames.
* Text tables are parsed by polars, whose type inference can differ from pandas' in corner cases
  (e.g. a column of integers with missing values stays integer, with nulls).
* ``.yaml``/``.yml`` need PyYAML, and ``.sparse_npz`` the pydata ``sparse`` package, as in ONE.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import warnings
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from alf_fast import spec
from alf_fast._npy import load_npy
from alf_fast._tables import Bunch, is_frame
from alf_fast.exceptions import ALFObjectNotFound
from alf_fast.path import ALFPath, ensure_alf_path

__all__ = [
    'AlfBunch',
    'check_dimensions',
    'dataframe',
    'exists',
    'filter_by',
    'find_variants',
    'iter_datasets',
    'iter_sessions',
    'load_file_content',
    'load_object',
    'next_num_folder',
    'read_ts',
    'remove_empty_folders',
    'save_metadata',
    'save_object_npy',
    'ts2vec',
]

_logger = logging.getLogger('one.alf.io')
_TABLE_KEY = re.compile(r'^table([_.]|$)')
_SPLIT_COLUMN = re.compile(r'.+?_[01]$')
_FILE_PARTS = ('namespace', 'object', 'attribute', 'timescale', 'extra', 'extension')


def _has_shape(value: Any) -> bool:
    return isinstance(value, np.ndarray) or is_frame(value)


class AlfBunch(Bunch):
    """A dict of an ALF object's attributes, readable as attributes (``trials.intervals``)."""

    @property
    def check_dimensions(self) -> int:
        """int: 0 when the attribute sizes are consistent, 1 otherwise."""
        return check_dimensions(self)

    def append(self, b: dict, inplace: bool = False) -> AlfBunch | None:
        """Concatenate another bunch with the same keys along the first axis.

        Parameters
        ----------
        b : dict
            The data to append; its keys must equal this bunch's keys.
        inplace : bool
            Modify this bunch instead of returning a copy.

        Returns
        -------
        AlfBunch
            The concatenated bunch (this one when `inplace`).

        Raises
        ------
        NotImplementedError
            The key sets differ.
        """
        a = self if inplace else AlfBunch(copy.deepcopy(dict(self)))
        if b == {}:
            return a
        if a == {}:
            return AlfBunch(b)
        if set(a.keys()) != set(b.keys()):
            raise NotImplementedError(
                'Append bunches only works with strictly matching keys'
                'For more complex merges, convert to pandas dataframe.'
            )
        for k in a:
            if isinstance(a[k], np.ndarray):
                a[k] = np.concatenate((a[k], b[k]), axis=0)
            elif isinstance(a[k], list):
                a[k].extend(b[k])
            else:
                _logger.warning(
                    f'bunch key "{k}" is a {a[k].__class__}. I don\'t know how to handle that.'
                    ' Use pandas for advanced features'
                )
        if a.check_dimensions != 0:
            sizes = '\n'.join(f'{v.shape},\t{k}' for k, v in a.items() if _has_shape(v))
            _logger.warning(f'Inconsistent dimensions for object: \n{sizes}')
        return a

    def to_df(self) -> pl.DataFrame:
        """Return the attributes as a polars DataFrame (see :func:`dataframe`)."""
        return dataframe(self)

    @staticmethod
    def from_df(df) -> AlfBunch:
        """Build a bunch from a table, merging ``x_0``/``x_1`` column pairs into ``(n, 2)`` arrays.

        Parameters
        ----------
        df : polars.DataFrame or pandas.DataFrame
            The table. As in ONE, all columns are taken from one 2-D array, so they share a
            dtype (integers become floats next to float columns).

        Returns
        -------
        AlfBunch
        """
        values = df.to_numpy()
        data = dict(zip(list(df.columns), values.T, strict=True))
        split_keys = sorted(x for x in data if _SPLIT_COLUMN.match(x))
        for x1, x2 in zip(*[iter(split_keys)] * 2, strict=False):
            data[x1[:-2]] = np.c_[data.pop(x1), data.pop(x2)]
        return AlfBunch(data)


def dataframe(adict: dict) -> pl.DataFrame:
    """Convert a bunch with consistent sizes into a polars DataFrame.

    2-D attributes become ``<key>_<i>`` columns, at most 10 per attribute; attributes with more
    than two dimensions are skipped with a warning.

    Raises
    ------
    ValueError
        The attribute sizes are inconsistent.
    """
    if check_dimensions(adict) != 0:
        raise ValueError('Can only convert to DataFrame objects with consistent size')
    columns: dict[str, Any] = {}
    for k, v in adict.items():
        v = np.asarray(v)
        if v.ndim == 1:
            columns[k] = v
        elif v.ndim == 2 and v.shape[1] == 1:
            columns[k] = v[:, 0]
        elif v.ndim == 2:
            for i in range(min(v.shape[1], 10)):
                columns[f'{k}_{i}'] = v[:, i]
        else:
            _logger.warning(f"{k} attribute is 3D or more and won't convert to dataframe")
    return pl.DataFrame(columns)


def _find_metadata(file_alf, sidecars: dict | None = None) -> ALFPath | None:
    """The metadata sidecar of a file: first of ``<p0>.<p1>*.metadata*.json`` in its folder.

    ``sidecars`` caches, per folder, the sorted names that could be sidecars at all, so that
    loading an object lists each folder once instead of globbing it once per file.
    """
    file_alf = ALFPath(file_alf)
    folder = file_alf.parent
    if sidecars is None:
        sidecars = {}
    if folder not in sidecars:
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        sidecars[folder] = sorted(n for n in names if fnmatch(n, '*.metadata*.json'))
    ns, obj = file_alf.name.split('.')[:2]
    pattern = f'{ns}.{obj}*.metadata*.json'
    return next((folder / n for n in sidecars[folder] if fnmatch(n, pattern)), None)


def read_ts(filename) -> tuple[np.ndarray, np.ndarray]:
    """Load an attribute and its object's times (``times*`` attribute, same extension).

    Parameters
    ----------
    filename : str or pathlib.Path
        An ALF file, e.g. ``_ibl_wheel.position.npy``.

    Returns
    -------
    numpy.ndarray
        Timestamps, interpolated to one per sample when stored as ``(2, 2)`` sync points.
    numpy.ndarray
        The values (flattened if ``(n, 1)``).

    Raises
    ------
    FileNotFoundError
        No single matching times file.
    """
    filename = ensure_alf_path(filename)
    _, obj, attr, *_, ext = filename.dataset_name_parts
    try:
        (time_file,), _ = filter_by(filename.parent, object=obj, attribute='times*', extension=ext)
        if not time_file:
            raise AssertionError(filename)
    except (ValueError, AssertionError):
        name = spec.to_alf(obj, attr, ext)
        raise FileNotFoundError(name + ' not found! No time-scale for ' + str(filename)) from None
    ts = np.load(filename.parent / time_file)
    val = np.load(filename)
    return ts2vec(ts, val.shape[0]), _ensure_flat(val)


def _ensure_flat(arr: np.ndarray) -> np.ndarray:
    """Flatten an ``(n, 1)`` array; other shapes (and unpickled non-arrays) are unchanged."""
    if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.shape[1] == 1:
        # A view: the array is a private copy or a copy-on-write map, so nobody shares it.
        return arr.reshape(-1)
    return arr


def ts2vec(ts: np.ndarray, n_samples: int) -> np.ndarray:
    """Expand timestamps to one per sample.

    Parameters
    ----------
    ts : numpy.ndarray
        A vector (returned unchanged), an ``(n, 1)`` array (flattened) or ``(m, 2)``
        ``[sample, time]`` sync points (linearly interpolated).
    n_samples : int
        Number of samples.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        The array is neither 1-D nor has 1 or 2 columns.
    """
    if len(ts.shape) == 1:
        return ts
    if ts.ndim == 2 and ts.shape[1] == 1:
        return ts.flatten()
    if ts.ndim > 2 or ts.shape[1] != 2:
        raise ValueError('Array shape should be (2, 2)')
    return np.interp(np.arange(n_samples), ts[:, 0], ts[:, 1])


def check_dimensions(dico: dict) -> int:
    """Check ALF size consistency: first-axis sizes must be equal or 1.

    Keys starting with ``timestamps`` may also be ``(2, 2)`` sync points.

    Parameters
    ----------
    dico : dict
        Attribute name to data.

    Returns
    -------
    int
        0 for consistent dimensions, 1 otherwise.
    """
    first = [
        v.shape[0] for k, v in dico.items() if _has_shape(v) and not k.startswith('timestamps')
    ]
    for k, v in dico.items():
        if not (k.startswith('timestamps') and isinstance(v, np.ndarray)):
            continue
        if v.ndim == 1 or (v.ndim == 2 and v.shape[1] == 1):
            first.append(v.shape[0])
        elif v.ndim > 1 and v.shape != (2, 2):
            return 1
    ok = len(first) == 0 or set(first).issubset({max(first), 1})
    return int(not ok)


# --- reading one file ----------------------------------------------------------------------


def _read_parquet(path: Path) -> pl.DataFrame:
    """A parquet table without the pandas index columns (which pandas would make the index)."""
    import pyarrow.parquet as pq

    # ParquetFile.read skips the dataset machinery of read_table: 0.08 ms instead of 0.4 ms on
    # the small table files an object holds.
    table = pq.ParquetFile(path).read(use_threads=False)
    meta = table.schema.metadata or {}
    if b'pandas' in meta:
        index = json.loads(meta[b'pandas']).get('index_columns', [])
        drop = [c for c in index if isinstance(c, str) and c in table.column_names]
        if drop:
            table = table.drop_columns(drop)
    return pl.from_arrow(table.replace_schema_metadata(None))


def _read_text_table(path: Path, separator: str):
    frame = pl.read_csv(path, separator=separator)
    return frame.to_series() if frame.width == 1 else frame


def _read_yaml(path: Path):
    try:
        import yaml
    except ModuleNotFoundError as e:  # pragma: no cover - PyYAML is usually installed
        raise ModuleNotFoundError(f'{path.name} requires PyYAML to load') from e
    with open(path) as f:
        return yaml.safe_load(f)


def _read_json(path: Path):
    try:
        with open(path) as f:
            return json.loads(f.read())
    except Exception as e:  # ONE logs any failure and returns None
        _logger.error(e)
        return None


def _read_jsonable(path: Path) -> list:
    with open(path) as f:
        return [json.loads(line) for line in f]


def _read_npz(path: Path):
    arr = np.load(path)
    if set(arr.files) == {'arr_0'}:
        with arr:  # the archive stays open otherwise, until the garbage collector finds it
            return arr['arr_0']
    return arr  # read lazily by the caller, as ONE returns it


def _read_sparse(path: Path):
    try:
        import sparse
    except ModuleNotFoundError:
        warnings.warn(f'{path.name} requires the pydata sparse package to load.', stacklevel=3)
        return ALFPath(path)
    return sparse.load_npz(path)


_READERS = {
    '.csv': partial(_read_text_table, separator=','),
    '.ssv': partial(_read_text_table, separator=' '),
    '.tsv': partial(_read_text_table, separator='\t'),
    '.htsv': partial(_read_text_table, separator='\t'),
    '.json': _read_json,
    '.jsonable': _read_jsonable,
    '.npz': _read_npz,
    '.pqt': _read_parquet,
    '.yml': _read_yaml,
    '.yaml': _read_yaml,
    '.sparse_npz': _read_sparse,
}


def load_file_content(fil, mmap: bool = True, allow_pickle: bool = False):
    """Read a file according to its (last, case-sensitive) extension.

    Parameters
    ----------
    fil : str or pathlib.Path
        The file. A falsy value returns None.
    mmap : bool
        Memory-map large ``.npy`` files copy-on-write (constant time whatever the size; see
        :func:`alf_fast._npy.load_npy`). If false, read every file into memory like ONE.
    allow_pickle : bool
        Load ``.npy`` files holding Python objects, which unpickles them and so can run code
        (ONE always does). By default such a file raises ``ValueError``.

    Returns
    -------
    object
        ``.npy``: writable ndarray (``np.memmap`` when mapped; ``(n, 1)`` flattened);
        ``.npz``: the array if the archive holds only ``arr_0``, else the ``NpzFile``;
        ``.pqt``: polars DataFrame;
        ``.csv``/``.ssv``/``.tsv``/``.htsv``: polars DataFrame, or Series for one column;
        ``.json``: parsed JSON (None and a logged error if invalid); ``.jsonable``: list, one
        item per line; ``.yaml``/``.yml``: parsed YAML; empty file: None; any other extension:
        the file's :class:`ALFPath`.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        A ``.npy`` file is invalid or truncated, or holds objects without `allow_pickle`.
    """
    if not fil:
        return None
    path = Path(fil)
    if path.stat().st_size == 0:
        return None
    if path.suffix == '.npy':
        return _ensure_flat(load_npy(path, mmap=mmap, allow_pickle=allow_pickle))
    reader = _READERS.get(path.suffix)
    return reader(path) if reader else ALFPath(path)


# --- listing and selecting files ------------------------------------------------------------


def _ls(alfpath, object=None, **kwargs) -> tuple[list[ALFPath], list[tuple]]:
    """The object's files in a folder (or the folder of a file) and their name parts.

    Raises
    ------
    ALFObjectNotFound
        Nothing matches, or the path does not exist.
    """
    alfpath = ALFPath(alfpath)
    if not alfpath.exists():
        files_alf = attributes = None
    elif alfpath.is_dir():
        if object is None:
            files_alf, attributes = filter_by(alfpath, **kwargs)
        else:
            files_alf, attributes = filter_by(alfpath, object=object, **kwargs)
    else:
        object = alfpath.object
        alfpath = alfpath.parent
        files_alf, attributes = filter_by(alfpath, object=object, **kwargs)
    if not files_alf:
        err_str = f'object "{object}"' if object else 'ALF files'
        raise ALFObjectNotFound(f'No {err_str} found in {alfpath}')
    return [alfpath.joinpath(f) for f in files_alf], attributes


def iter_sessions(root_dir, pattern: str = '*') -> Iterator[ALFPath]:
    """Yield the session folders under a folder, in lexicographical order.

    Parameters
    ----------
    root_dir : str or pathlib.Path
        The folder to search; yielded first if it is itself a session folder.
    pattern : str
        Glob for the recursive search, e.g. ``'*/Subjects/*/????-??-??/*'`` to go faster.

    Yields
    ------
    ALFPath
    """
    if spec.is_session_path(root_dir):
        yield ALFPath(root_dir)
    for p in sorted(Path(root_dir).rglob(pattern)):
        if p.is_dir() and spec.is_session_path(p):
            yield ALFPath(p)


def iter_datasets(session_path) -> Iterator[ALFPath]:
    """Yield every file with two or more dots under a session, relative to it, sorted.

    As in ONE, names are not checked against the ALF specification.
    """
    for dataset in ALFPath(session_path).iter_datasets(recursive=True):
        yield dataset.relative_to(session_path)


def exists(alfpath, object, attributes=None, **kwargs) -> bool:
    """Whether an object (and optionally all the given attributes) exists in a folder.

    Parameters
    ----------
    alfpath : str or pathlib.Path
        The folder.
    object : str
        The ALF object.
    attributes : str or list of str, optional
        Attributes that must all be present.
    **kwargs
        Other name parts to filter by, and ``wildcards``.

    Returns
    -------
    bool
    """
    try:
        _, found = _ls(alfpath, object, **kwargs)
    except (FileNotFoundError, ALFObjectNotFound):
        return False
    if not attributes:
        return True
    if isinstance(attributes, str):
        attributes = [attributes]
    return set(attributes).issubset({part[2] for part in found})


def _attribute_keys(parts: list[tuple], short_keys: bool) -> list[str]:
    """``attribute[_timescale][.extra]`` for each file (extra parts left out with short keys)."""
    keys = [p[2] if not p[3] else '_'.join(p[2:4]) for p in parts]
    if not short_keys:
        keys = ['.'.join(filter(None, (k, p[4]))) for k, p in zip(keys, parts, strict=True)]
    return keys


def _merge_table(out: AlfBunch, bunch: type[AlfBunch] = AlfBunch) -> None:
    """Replace a ``table`` attribute by its columns, renamed with the key's suffix."""
    table_key = next(filter(_TABLE_KEY.match, out), None)
    if not table_key:
        return
    table = out.pop(table_key)
    suffix = table_key[5:]

    def rename(field: str) -> str:
        return field[:-2] + suffix + field[-2:] if _SPLIT_COLUMN.match(field) else field + suffix

    if isinstance(table, pl.DataFrame):
        table = table.rename({c: rename(c) for c in table.columns})
    else:  # a pandas frame from a caller, or an .npy table: fails like ONE
        table = table.rename(columns=rename)
    out.update(bunch.from_df(table))


def load_object(
    alfpath,
    object=None,
    short_keys: bool = False,
    mmap: bool = True,
    allow_pickle: bool = False,
    **kwargs,
):
    """Load all attributes of an ALF object into an :class:`AlfBunch`.

    Parameters
    ----------
    alfpath : str, pathlib.Path or list
        A folder (then `object` is required), one file of the object, or a list of files of a
        single object (used as given; filters are ignored).
    object : str or list of str, optional
        The object to load.
    short_keys : bool
        Leave extra name parts out of the keys (``feedback_times`` instead of
        ``feedback_times.raw``).
    mmap : bool
        Memory-map large ``.npy`` files (see :func:`load_file_content`).
    allow_pickle : bool
        Load ``.npy`` files holding Python objects (see :func:`load_file_content`).
    **kwargs
        ``wildcards`` and name-part filters (``namespace``, ``attribute``, ``timescale``,
        ``extra``, ``extension``), as for :func:`filter_by`.

    Returns
    -------
    AlfBunch
        One key per attribute: ``attribute[_timescale][.extra]``. A ``table`` attribute is
        expanded into its columns, a metadata sidecar with ``columns`` splits its array, and
        ``(2, 2)`` timestamps are interpolated when the sizes are consistent.

    Raises
    ------
    ValueError
        A folder was given without an object.
    ALFObjectNotFound
        No file matches.
    AssertionError
        Two files give the same key (e.g. two namespaces); restrict the filters.
    """
    read = partial(load_file_content, allow_pickle=allow_pickle)
    return _load_object(alfpath, object, short_keys, mmap, read, AlfBunch, **kwargs)


def _load_object(alfpath, object, short_keys, mmap, read, bunch, **kwargs):
    """:func:`load_object` reading each file with `read` into a `bunch` (both faces share it)."""
    if isinstance(alfpath, (Path, str)):
        if Path(alfpath).is_dir() and object is None:
            raise ValueError('If a directory is provided, the object name should be provided too')
        files_alf, parts = _ls(alfpath, object, **kwargs)
    else:  # a list of files lets a caller mix revisions
        files_alf = [ALFPath(x) for x in alfpath]
        parts = [x.dataset_name_parts for x in files_alf]
        if len({p[1] for p in parts}) != 1:
            raise AssertionError
        object = parts[0][1]
    keys = _attribute_keys(parts, short_keys)
    if len(set(keys)) != len(keys):
        raise AssertionError(
            f'multiple object {object} with the same attribute in {alfpath}, '
            'restrict parts/namespace'
        )
    out = bunch({})
    sidecars: dict = {}
    for fil, key in zip(files_alf, keys, strict=True):
        meta_file = _find_metadata(fil, sidecars)
        if meta_file == fil:  # the sidecar itself: read with its data file
            continue
        out[key] = read(fil, mmap=mmap)
        if meta_file:
            meta = read(meta_file)
            if 'columns' in meta.keys():
                out.update({v: out[key][::, k] for k, v in enumerate(meta['columns'])})
                out.pop(key)
                meta.pop('columns')
            if meta:
                out[key + 'metadata'] = meta
    _merge_table(out, bunch)
    status = out.check_dimensions
    timeseries = [k for k in out if 'timestamps' in k]
    if timeseries and len(out) > len(timeseries) and status == 0:
        n_samples = next(
            v for k, v in out.items() if not any(x in k for x in ('timestamps', 'meta'))
        ).shape[0]
        for key in timeseries:
            out[key] = ts2vec(out[key], n_samples)
    if status != 0:
        sizes = '\n'.join(f'{v.shape},\t{k}' for k, v in out.items() if _has_shape(v))
        _logger.warning(f'Inconsistent dimensions for object: {object} \n{sizes}')
    return out


def filter_by(alf_path, wildcards: bool = True, **kwargs) -> tuple[list[ALFPath], list[tuple]]:
    """List a folder's files (with two or more dots) whose name parts pass all the filters.

    Parameters
    ----------
    alf_path : str or pathlib.Path
        The folder (not searched recursively).
    wildcards : bool
        Match with shell globs (whole name part) if true, else with ``re.match`` (prefix).
    **kwargs
        ``namespace``, ``object``, ``attribute``, ``timescale``, ``extra``, ``extension``. A
        list means any of its items. None matches only an absent part. ``extra`` is a dot
        string or list whose items must all be among the file's extra parts (no wildcards).

    Returns
    -------
    list of ALFPath
        File names relative to `alf_path`, sorted.
    list of tuple
        Their six name parts.

    Raises
    ------
    TypeError
        An unknown keyword.
    """
    alf_files = [f.relative_to(alf_path) for f in ALFPath(alf_path).iter_datasets()]
    attributes = [f.parse_alf_name() for f in alf_files]
    if kwargs:
        invalid = kwargs.keys() - set(_FILE_PARTS)
        if invalid:
            raise TypeError(
                f'{__name__}() got an unexpected keyword argument "{set(invalid).pop()}"'
            )
        if 'extra' in kwargs and isinstance(kwargs['extra'], str):
            kwargs['extra'] = kwargs['extra'].split('.')
        keep = [
            all(_part_match(attr[k], v, wildcards, k == 'extra') for k, v in kwargs.items())
            for attr in attributes
        ]
        alf_files = [f for f, ok in zip(alf_files, keep, strict=True) if ok]
        attributes = [a for a, ok in zip(attributes, keep, strict=True) if ok]
    return alf_files, [tuple(attr.values()) for attr in attributes]


def _part_match(part, pattern, wildcards: bool, is_extra: bool) -> bool:
    if pattern is None or part is None:
        return pattern is part
    if is_extra:
        return all(elem in part.split('.') for elem in pattern if elem)
    if not isinstance(pattern, str):
        if wildcards:
            return any(_part_match(part, x, wildcards, False) for x in pattern)
        return re.match('|'.join(pattern), part) is not None
    return fnmatch(part, pattern) if wildcards else re.match(pattern, part) is not None


# --- writing and housekeeping (outside the One read path) ---------------------------------


def save_object_npy(alfpath, dico, object, parts=None, namespace=None, timescale=None) -> list:
    """Save each attribute of a dict as ``[_ns_]object.attribute[_ts][.parts].npy``.

    Raises
    ------
    ValueError
        The attribute sizes are inconsistent.
    """
    alfpath = ALFPath(alfpath)
    if check_dimensions(dico) != 0:
        raise ValueError(
            'Dimensions are not consistent to save all arrays in ALF format: '
            + str([(k, v.shape) for k, v in dico.items()])
        )
    out_files = []
    for k, v in dico.items():
        out_file = alfpath / spec.to_alf(
            object, k, 'npy', extra=parts, namespace=namespace, timescale=timescale
        )
        np.save(out_file, v)
        out_files.append(out_file)
    return out_files


def save_metadata(file_alf, dico) -> ALFPath:
    """Write ``<stem>.metadata.json`` next to an ALF file and return its path."""
    file_alf = ALFPath(file_alf)
    if not file_alf.is_dataset():  # ONE's assert names the method without calling it
        raise AssertionError(f'ALF filename not valid: {file_alf.name}')
    file_meta_data = file_alf.parent / (file_alf.stem + '.metadata.json')
    with open(file_meta_data, 'w+') as fid:
        fid.write(json.dumps(dico, indent=1))
    return file_meta_data


def next_num_folder(session_date_folder) -> str:
    """The next free session number in a date folder, zero-padded (``'001'`` if none)."""
    folder = Path(session_date_folder)
    if not folder.exists():
        return '001'
    numbers = [
        int(x.name)
        for x in folder.iterdir()
        if x.is_dir() and not x.name.startswith('.') and x.name.isdigit()
    ]
    out = f'{max(numbers or [0]) + 1:03d}'
    if len(out) != 3:
        raise AssertionError('ALF spec does not support session numbers > 999')
    return out


def remove_empty_folders(folder) -> None:
    """Remove empty sub-folders, deepest first (the folder itself included if it ends empty)."""
    for f in sorted((x for x in Path(folder).rglob('*') if x.is_dir()), reverse=True):
        try:
            f.rmdir()
        except OSError:
            continue


def find_variants(file_list, namespace=True, timescale=True, extra=True, extension=True) -> dict:
    """Map each file to the other files of the same dataset (other revisions or variants).

    Parameters
    ----------
    file_list : list of str or pathlib.Path
        Full ALF paths.
    namespace, timescale, extra, extension : bool
        If true, files differing in that part are not variants.

    Returns
    -------
    dict
        Input path to a list of variant paths.
    """
    flags = {
        'namespace': namespace,
        'timescale': timescale,
        'extra': extra,
        'extension': extension,
    }
    fixed = ('lab', 'subject', 'date', 'number', 'collection', 'object', 'attribute')
    to_compare = (*fixed, *(k for k, v in flags.items() if v))
    duplicates = {}
    for f in map(ALFPath, file_list):
        parts = f.parse_alf_path()
        pattern = f'*{parts["object"]}.{parts["attribute"]}*'
        parent = f.without_revision().parent
        globbed = chain.from_iterable(map(parent.glob, (pattern, '#*#/' + pattern)))
        same = [
            x
            for x in globbed
            if all(parts[k] == x.parse_alf_path()[k] for k in to_compare) and x != f
        ]
        duplicates[f] = same
    return duplicates
