"""Loading ``.npy`` files (``alf_fast._npy``) against ``np.load``.

Both sides of the size threshold are tested: small files are read into memory, large ones are
mapped copy-on-write. ``small``/``big`` set the threshold so that the same arrays take either
path. Whatever the path, the result must equal ``np.load``'s (values, dtype, shape, memory
order), be writable, and never write back to the file.
"""

import signal
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from _differential import call
from alf_fast import _npy
from alf_fast._npy import load_npy

ARRAYS = {
    'f8_2d': np.arange(10.0).reshape(5, 2),
    'i8': np.array([1, -1, 1]),
    'bool': np.array([True, False]),
    'u1_3d': np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
    'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    'big_endian': np.arange(4, dtype='>i4'),
    'big_endian_fortran': np.asfortranarray(np.arange(6, dtype='>f8').reshape(3, 2)),
    'scalar': np.array(3.5),
    'unicode': np.array(['a', 'bcd']),
    'bytes': np.array([b'ab', b'c']),
    'complex': np.array([1 + 2j, -3j]),
    'float16': np.array([1.5, 2.5], dtype=np.float16),
    'datetime': np.array(['2020-01-01', '2021-06-30'], dtype='datetime64[D]'),
    'timedelta': np.array([1, 2], dtype='timedelta64[10s]'),
    'void': np.array([b'abcd'], dtype='V4'),
    'empty': np.zeros((0, 3)),
    'empty_fortran': np.asfortranarray(np.zeros((2, 0))),
    'structured': np.array([(1, 2.0)], dtype=[('a', 'i4'), ('b', 'f8')]),
    'nested_structured': np.zeros(2, dtype=[('p', 'f4', (2,)), ('q', [('r', '>i2')])]),
    'subarray': np.zeros(3, dtype=('f8', (2,))),
    'long_shape': np.zeros((1,) * 30),
}
PICKLED = {
    'object': np.array([{'a': 1}, None], dtype=object),
    'structured_object': np.array([(1, 'x')], dtype=[('a', 'i4'), ('b', 'O')]),
}


@pytest.fixture(params=['read', 'map'])
def path_kind(request, monkeypatch):
    """Run a test with every file read (threshold above any size) or every file mapped."""
    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 1 << 62 if request.param == 'read' else 0)
    return request.param


def same_as_np_load(got, want):
    assert type(got) in (np.ndarray, np.memmap)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.flags.c_contiguous == want.flags.c_contiguous
    assert got.flags.f_contiguous == want.flags.f_contiguous
    if want.dtype.hasobject:
        assert got.tolist() == want.tolist()
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('name', sorted(ARRAYS))
def test_same_array_as_np_load(tmp_path, path_kind, name):
    path = tmp_path / f'{name}.npy'
    np.save(path, ARRAYS[name])
    before = path.read_bytes()
    want = np.load(path)
    got = load_npy(path)
    same_as_np_load(got, want)
    mapped = path_kind == 'map' and want.size > 0
    assert isinstance(got, np.memmap) == mapped
    if mapped:
        assert got.mode == 'c' and str(got.filename) == str(path)
    # Writable like np.load's arrays; writing never reaches the file.
    assert got.flags.writeable
    if got.size:
        got.reshape(-1)[0] = got.reshape(-1)[-1]
        got[...] = np.zeros((), dtype=got.dtype)
    del got
    assert path.read_bytes() == before


@pytest.mark.parametrize('name', sorted(ARRAYS))
def test_no_mmap_always_reads(tmp_path, monkeypatch, name):
    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 0)
    path = tmp_path / f'{name}.npy'
    np.save(path, ARRAYS[name])
    got = load_npy(path, mmap=False)
    same_as_np_load(got, np.load(path))
    assert type(got) is np.ndarray and got.flags.writeable


@pytest.mark.parametrize('version', [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize('name', ['f8_2d', 'fortran', 'big_endian', 'scalar', 'structured'])
def test_header_versions(tmp_path, path_kind, version, name):
    path = tmp_path / 'v.npy'
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, ARRAYS[name], version=version)
    assert path.read_bytes()[6] == version[0]
    got = load_npy(path)
    same_as_np_load(got, np.load(path))
    assert got.flags.writeable


def test_unicode_field_name_needs_version_3(tmp_path, path_kind):
    array = np.zeros(2, dtype=[('δ', 'f8')])
    path = tmp_path / 'u.npy'
    with pytest.warns(UserWarning, match='Stored array in format 3.0'):  # numpy's own note
        np.save(path, array)
    assert path.read_bytes()[6] == 3
    same_as_np_load(load_npy(path), np.load(path))


# --- refusing pickles ------------------------------------------------------------------------


@pytest.mark.parametrize('name', sorted(PICKLED))
def test_object_arrays_refused_by_default(tmp_path, path_kind, name):
    path = tmp_path / f'{name}.npy'
    np.save(path, PICKLED[name], allow_pickle=True)
    with pytest.raises(ValueError, match='allow_pickle=True') as info:
        load_npy(path)
    assert str(path) in str(info.value) and 'Python objects' in str(info.value)
    got = load_npy(path, allow_pickle=True)
    same_as_np_load(got, np.load(path, allow_pickle=True))
    assert type(got) is np.ndarray and got.flags.writeable


def test_pickle_named_npy_refused(tmp_path):
    """A pickle file named .npy: numpy would unpickle it with allow_pickle=True (ONE does)."""
    import pickle

    path = tmp_path / 'evil.npy'
    path.write_bytes(pickle.dumps({'a': 1}))
    with pytest.raises(ValueError, match='pickle') as info:
        load_npy(path)
    assert str(path) in str(info.value)
    assert load_npy(path, allow_pickle=True) == {'a': 1}


# --- the header grammar: exactly numpy's --------------------------------------------------------


def raw_npy(header: str, data: bytes = b'', version: int = 1, minor: int = 0) -> bytes:
    """An .npy file with a hand-written header (padded as numpy pads it)."""
    encoded = header.encode('utf-8' if version == 3 else 'latin1')
    size = struct.calcsize('<H' if version == 1 else '<I')
    pad = -(6 + 2 + size + len(encoded) + 1) % 64
    encoded += b' ' * pad + b'\n'
    length = struct.pack('<H' if version == 1 else '<I', len(encoded))
    return b'\x93NUMPY' + bytes([version, minor]) + length + encoded + data


EIGHT = np.arange(12, dtype='<f8').tobytes()
HEADERS = {
    # numpy rejects these
    'shape_without_comma': "{'descr': '<f8', 'fortran_order': False, 'shape': (1 2), }",
    'shape_leading_zero': "{'descr': '<f8', 'fortran_order': False, 'shape': (012,), }",
    'shape_negative': "{'descr': '<f8', 'fortran_order': False, 'shape': (-12,), }",
    'shape_float': "{'descr': '<f8', 'fortran_order': False, 'shape': (12.0,), }",
    'shape_not_tuple': "{'descr': '<f8', 'fortran_order': False, 'shape': 12, }",
    'fortran_int': "{'descr': '<f8', 'fortran_order': 0, 'shape': (12,), }",
    'extra_key': "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), 'x': 1, }",
    'missing_key': "{'descr': '<f8', 'shape': (12,), }",
    'bad_descr': "{'descr': '<q9', 'fortran_order': False, 'shape': (12,), }",
    'not_a_dict': "['<f8', False, (12,)]",
    'unclosed': "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), ",
    # numpy accepts these: not what it writes, but valid Python literals
    'no_spaces': "{'descr':'<f8','fortran_order':False,'shape':(12,)}",
    'keys_reordered': "{'shape': (3, 4), 'fortran_order': True, 'descr': '<f8'}",
    'double_quotes': '{"descr": "<f8", "fortran_order": False, "shape": (2, 6), }',
    'tab_and_newlines': "{'descr': '<f8',\n\t'fortran_order': False, 'shape': (12,)}",
    'shape_spaces': "{'descr': '<f8', 'fortran_order': False, 'shape': ( 4 ,  3 ), }",
    'trailing_comment': "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), } # x",
    'descr_list': "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (12,), }",
    'descr_native': "{'descr': 'f8', 'fortran_order': False, 'shape': (12,), }",
    'python2_long': "{'descr': '<f8', 'fortran_order': False, 'shape': (12L,), }",
}


@pytest.mark.parametrize('version', [1, 3])
@pytest.mark.parametrize('name', sorted(HEADERS))
def test_header_grammar_is_numpys(tmp_path, path_kind, name, version):
    path = tmp_path / 'h.npy'
    path.write_bytes(raw_npy(HEADERS[name], EIGHT, version=version))
    want, got = call(np.load, path), call(load_npy, path)
    if want.error is not None:
        # numpy's header parser raises ValueError, or a tokenizer/syntax error from ast
        assert isinstance(got.error, ValueError), got.error
        assert 'h.npy' in str(got.error)
    else:
        assert got.error is None, f'numpy reads {name}, we refused it: {got.error}'
        same_as_np_load(got.value, want.value)


@pytest.mark.parametrize('magic', [bytes([1, 1]), bytes([4, 0]), bytes([0, 0])])
def test_unknown_versions_rejected(tmp_path, magic):
    path = tmp_path / 'v.npy'
    good = raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (12,), }", EIGHT)
    path.write_bytes(good[:6] + magic + good[8:])
    with pytest.raises(ValueError):
        np.load(path)
    with pytest.raises(ValueError, match=r'v\.npy'):
        load_npy(path)


def test_header_longer_than_the_peek(tmp_path, path_kind):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (12,), }" + ' ' * 600
    path = tmp_path / 'long.npy'
    path.write_bytes(raw_npy(header, EIGHT))
    same_as_np_load(load_npy(path), np.load(path))


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize('keep', [0, 5, 11, 60, 200])
def test_truncated_file_names_the_path(tmp_path, path_kind, keep):
    path = tmp_path / 'short.npy'
    np.save(path, np.arange(100.0))
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(ValueError) as info:
        load_npy(path)
    assert str(path) in str(info.value)


def test_shape_too_large_for_int64(tmp_path, path_kind):
    """2**62 * 2**62 * 8 bytes wraps to 0 in int64: the file must not load as empty."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
    path = tmp_path / 'huge.npy'
    path.write_bytes(raw_npy(header, EIGHT))
    with pytest.raises(ValueError, match=r'huge\.npy'):
        load_npy(path)
    with pytest.raises(ValueError):
        np.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_npy(tmp_path / 'none.npy')


# --- what mapping means for files that change (subprocesses: a SIGBUS kills the process) -------

TRUNCATE_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from alf_fast import _npy, io

    path, threshold = sys.argv[1], int(sys.argv[2])
    _npy.MAP_MIN_BYTES = threshold
    np.save(path, np.arange(100_000.0))
    data = io.load_file_content(path)  # the default: mmap=True
    os.truncate(path, 0)  # as another process re-saving the file would
    print(float(data.sum()), type(data).__name__)
    """
)


def run_truncation(tmp_path, threshold: int) -> subprocess.CompletedProcess:
    path = tmp_path / 'x.y.npy'
    return subprocess.run(
        [sys.executable, '-c', TRUNCATE_SCRIPT, str(path), str(threshold)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_small_file_truncated_after_load_does_not_crash(tmp_path):
    """The default threshold: an 800 kB file is read, so truncating it later is harmless."""
    assert 800_128 < _npy.MAP_MIN_BYTES
    done = run_truncation(tmp_path, _npy.MAP_MIN_BYTES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(float(np.arange(100_000.0).sum())), 'ndarray']


def test_mapped_file_truncated_after_load_is_sigbus(tmp_path):
    """Why small files are read: the same load, mapped, dies on the next access (README)."""
    done = run_truncation(tmp_path, 0)
    assert done.returncode == -signal.SIGBUS, (done.returncode, done.stdout, done.stderr)


def test_mapped_file_replaced_by_rename_keeps_its_data(tmp_path, monkeypatch):
    """The safe way to re-save a large file: write a new one and rename it over the old."""
    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 0)
    path = tmp_path / 'x.y.npy'
    np.save(path, np.arange(1000.0))
    data = load_npy(path)
    assert isinstance(data, np.memmap)
    tmp = tmp_path / 'x.y.tmp.npy'
    np.save(tmp, np.zeros(10))
    tmp.replace(path)
    np.testing.assert_array_equal(data, np.arange(1000.0))


def test_copy_on_write_keeps_writes_private(tmp_path, monkeypatch):
    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 0)
    path = tmp_path / 'x.y.npy'
    np.save(path, np.arange(10.0))
    first, second = load_npy(path), load_npy(path)
    first *= -1
    first.sort()
    np.testing.assert_array_equal(second, np.arange(10.0))
    np.testing.assert_array_equal(np.load(path), np.arange(10.0))
    assert first.flush() is None  # np.memmap's API still works on a private map


def test_default_threshold_is_measured_value():
    """MAP_MIN_BYTES is documented in the README; keep the two in step."""
    from pathlib import Path

    readme = (Path(__file__).parents[1] / 'README.md').read_text()
    assert _npy.MAP_MIN_BYTES == 4 << 20 and '4 MiB' in readme
