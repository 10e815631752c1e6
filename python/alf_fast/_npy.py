"""Loading ``.npy`` files quickly and safely: small ones read, large ones mapped copy-on-write.

``np.load`` costs about 150 µs a file: it resolves the real path component by component and
parses the header with ``ast.literal_eval``. Loading an object means opening a dozen files, so
that overhead dominates. Here the header numpy writes is matched by one strict regular
expression (a subset of numpy's grammar: anything else goes to ``np.load``, so together they
accept exactly what numpy accepts) and the data are read or mapped directly.

Mapping pays only for large files, and it has a price: a file truncated by another process while
mapped kills the interpreter with ``SIGBUS`` on the next access to the lost pages, and a
same-size rewrite in place changes the pages not yet written to. So files below
:data:`MAP_MIN_BYTES` are read into memory (as fast as mapping at that size), and larger ones are
mapped copy-on-write (``MAP_PRIVATE``): writing into the array works as with ``np.load`` and
never reaches the file.

Object arrays (and files numpy would read as pickles) are refused unless the caller passes
``allow_pickle=True``: unpickling a file runs any code it holds.
"""

from __future__ import annotations

import math
import mmap as _mmap
import os
import re
import struct

import numpy as np

__all__ = ['MAP_MIN_BYTES', 'load_npy']

#: Files at least this large are memory-mapped when mapping is asked for; smaller ones are read.
#: Measured on the reference machine (benches/npy_threshold.py): reading a warm 4 MiB file costs
#: about 0.3 ms, a small fraction of what any use of its 4 MiB costs, while mapping needs no
#: copy and maps lazily, which pays for larger files, typically read in part.
MAP_MIN_BYTES = 4 << 20

_MAGIC = b'\x93NUMPY'
_PEEK = 256
_MAX_HEADER = 10000  # numpy's default max_header_size: longer headers go to np.load
# The header numpy writes (`numpy.lib.format._wrap_header`): the dict's repr with sorted keys,
# a simple dtype string, a shape of non-negative Python ints, padded with spaces and one newline.
_INT = r'(?:0|[1-9][0-9]*)'
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[<>|=]?[a-zA-Z][0-9]*(?:\[[0-9]*[a-zA-Z]+\])?)', "
    r"'fortran_order': (?P<fortran>True|False), "
    rf"'shape': \((?P<shape>|{_INT},|{_INT}(?:, {_INT})+)\), \}} *\n?"
)

_PICKLE_HINT = (
    'loading it means unpickling, which can run any code the file holds; '
    'pass allow_pickle=True only if you trust this file'
)


def load_npy(path, mmap: bool = True, allow_pickle: bool = False) -> np.ndarray:
    """Load the array in the ``.npy`` file `path`, as ``np.load`` does.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    mmap : bool
        Map the file copy-on-write if it holds at least :data:`MAP_MIN_BYTES` (an
        ``np.memmap``); smaller files, and every file when false, are read into memory.
    allow_pickle : bool
        Load object arrays (and files numpy reads as pickles), which unpickles them.

    Returns
    -------
    numpy.ndarray
        A writable array; an ``np.memmap`` when mapped (writes never reach the file).

    Raises
    ------
    ValueError
        The file is not a valid ``.npy`` file, is shorter than its header says, or holds
        objects and `allow_pickle` is false. The message names the file.
    """
    with open(path, 'rb') as f:
        parsed = _parse_header(f)
        if parsed is None:
            return _numpy_load(path, mmap, allow_pickle)
        dtype, shape, fortran, offset = parsed
        size = os.fstat(f.fileno()).st_size
        nbytes = dtype.itemsize * math.prod(shape)  # Python ints: a crafted shape cannot wrap
        order = 'F' if fortran else 'C'
        if nbytes == 0:
            return np.empty(shape, dtype, order=order)
        if size < offset + nbytes:
            raise ValueError(_truncated(path, nbytes, size - offset))
        if mmap and size >= MAP_MIN_BYTES:
            return _map(f, path, dtype, shape, order, offset)
        f.seek(offset)
        flat = np.empty(nbytes, np.uint8)
        got = f.readinto(flat)
        if got != nbytes:  # the file shrank since fstat
            raise ValueError(_truncated(path, nbytes, got))
    return flat.view(dtype).reshape(shape, order=order)


def _parse_header(f) -> tuple[np.dtype, tuple[int, ...], bool, int] | None:
    """The dtype, shape, Fortran flag and data offset of a header numpy writes; else None."""
    head = f.read(_PEEK)
    if len(head) < 12 or not head.startswith(_MAGIC) or head[7] != 0:
        return None
    major = head[6]
    if major == 1:
        (length,), start = struct.unpack('<H', head[8:10]), 10
    elif major in (2, 3):
        (length,), start = struct.unpack('<I', head[8:12]), 12
    else:
        return None
    if length > _MAX_HEADER:
        return None
    raw = head[start : start + length]
    if len(raw) < length:
        raw += f.read(length - len(raw))
        if len(raw) < length:
            return None
    try:
        text = raw.decode('utf-8' if major == 3 else 'latin1')
    except UnicodeDecodeError:
        return None
    match = _HEADER.fullmatch(text)
    if match is None:
        return None
    try:
        dtype = np.dtype(match['descr'])
    except TypeError:
        return None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        return None
    shape = tuple(int(x) for x in match['shape'].split(',') if x)
    return dtype, shape, match['fortran'] == 'True', start + length


def _map(f, path, dtype: np.dtype, shape: tuple, order: str, offset: int) -> np.memmap:
    """A copy-on-write ``np.memmap`` of the data in the open file `f`."""
    buffer = _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_COPY)
    array = np.ndarray(shape, dtype, buffer=buffer, offset=offset, order=order)
    mapped = array.view(np.memmap)
    # What np.memmap(mode='c') records, without its second open and path resolution.
    mapped._mmap, mapped.offset, mapped.mode = buffer, offset, 'c'
    mapped.filename = os.path.abspath(path)
    return mapped


def _numpy_load(path, mmap: bool, allow_pickle: bool):
    """``np.load`` for headers the fast path does not take, with errors that name the file."""
    try:
        if mmap and os.stat(path).st_size >= MAP_MIN_BYTES:
            try:
                return np.load(path, mmap_mode='c', allow_pickle=allow_pickle)
            except ValueError as err:
                if 'memory-mapped' not in str(err) and 'mmap' not in str(err):
                    raise
                # object arrays and empty data cannot be mapped: read them
        return np.load(path, allow_pickle=allow_pickle)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as err:  # numpy's header parser also raises SyntaxError, TokenError, ...
        message = str(err)
        if 'Object arrays cannot be loaded' in message:
            raise ValueError(f'{path}: the array holds Python objects; {_PICKLE_HINT}') from None
        if 'pickled data' in message:
            raise ValueError(f'{path}: not a .npy array but a pickle; {_PICKLE_HINT}') from None
        raise ValueError(f'{path}: not a readable .npy file: {message}') from err


def _truncated(path, want: int, have: int) -> str:
    return f'{path}: truncated .npy file: its header needs {want} data bytes, it holds {have}'
