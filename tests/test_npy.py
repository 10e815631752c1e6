"""The fast ``.npy`` memory-mapping against ``np.load``."""

import numpy as np
import pytest

from alf_fast._npy import map_npy

ARRAYS = {
    'f8_2d': np.arange(10.0).reshape(5, 2),
    'i8': np.array([1, -1, 1]),
    'bool': np.array([True, False]),
    'u1_3d': np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
    'fortran': np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    'big_endian': np.arange(4, dtype='>i4'),
    'scalar': np.array(3.5),
    'unicode': np.array(['a', 'bcd']),
    'datetime': np.array(['2020-01-01', '2021-06-30'], dtype='datetime64[D]'),
    'empty': np.zeros((0, 3)),
    'object': np.array([{'a': 1}, None], dtype=object),
    'structured': np.array([(1, 2.0)], dtype=[('a', 'i4'), ('b', 'f8')]),
    'long_shape': np.zeros((1,) * 30),
}


@pytest.mark.parametrize('name', sorted(ARRAYS))
def test_same_array_as_np_load(tmp_path, name):
    path = tmp_path / f'{name}.npy'
    np.save(path, ARRAYS[name], allow_pickle=True)
    got = map_npy(path)
    want = np.load(path, allow_pickle=True)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.hasobject:
        assert got.tolist() == want.tolist()
    else:
        np.testing.assert_array_equal(got, want)
        assert got.flags.f_contiguous == want.flags.f_contiguous
    if want.size and not want.dtype.hasobject:
        assert isinstance(got, np.memmap) and not got.flags.writeable


def test_version_2_header(tmp_path):
    path = tmp_path / 'v2.npy'
    array = np.arange(5.0)
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, array, version=(2, 0))
    got = map_npy(path)
    assert isinstance(got, np.memmap)
    np.testing.assert_array_equal(got, array)


def test_truncated_file_falls_back_to_numpy_error(tmp_path):
    path = tmp_path / 'short.npy'
    np.save(path, np.arange(100.0))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError):
        map_npy(path)
