"""Differential tests of alf_fast.io against one.alf.io, plus memory mapping."""

import json
import logging

import numpy as np
import one.alf.exceptions as one_exc
import one.alf.io as oio
import pandas as pd
import polars as pl
import pytest

from _differential import assert_same_data, assert_same_error, call
from alf_fast import io as fio
from alf_fast.exceptions import ALFObjectNotFound
from alf_fast.path import ALFPath


@pytest.fixture
def alf_dir(tmp_path):
    """The folder of contract 6.10.6 plus one file of every extension ONE reads."""
    p = tmp_path / 'mylab/Subjects/SUB/2023-01-01/001/alf'
    p.mkdir(parents=True)
    np.save(p / '_ibl_trials.intervals.npy', np.arange(6.0).reshape(3, 2))
    np.save(p / '_ibl_trials.choice.npy', np.array([1, -1, 1]))
    np.save(p / '_ibl_trials.stimOn_times_bpod.npy', np.arange(3.0))
    np.save(p / '_ibl_trials.feedback_times.raw.npy', np.arange(3.0))
    pd.DataFrame(
        {
            'contrastLeft': [1.0, 0.5, 0.0],
            'probabilityLeft': [0.2, 0.5, 0.8],
            'rewardVolume_0': [1.0, 2.0, 3.0],
            'rewardVolume_1': [4.0, 5.0, 6.0],
        }
    ).to_parquet(p / '_ibl_trials.table.pqt')
    np.save(p / 'clusters.metrics.npy', np.arange(6).reshape(3, 2))
    np.save(p / 'clusters.depths.npy', np.arange(3.0))
    (p / 'clusters.metrics.metadata.json').write_text(
        json.dumps({'columns': ['amp', 'snr'], 'units': 'uV'})
    )
    pd.DataFrame({'a': [1, 2], 'b_0': [1, 2], 'b_1': [3, 4]}).to_parquet(
        p / 'tab.table_clock.x.pqt'
    )
    np.save(p / 'wheel.position.npy', np.arange(5.0))
    np.save(p / 'wheel.timestamps.npy', np.array([[0, 10.0], [4, 14.0]]))
    np.save(p / 'spikes.times.npy', np.arange(4.0))
    np.save(p / 'spikes.amps.npy', np.ones((4, 1)))
    np.save(p / 'obj.attr.npy', np.arange(2))
    np.save(p / '_ns_obj.attr.npy', np.arange(2))
    files = p / 'files'
    files.mkdir()
    (files / 'a.t2.csv').write_text('x\n1\n2\n')
    (files / 'a.t3.csv').write_text('x,y\n1,2.5\n3,4.5\n')
    (files / 'a.s.ssv').write_text('x y\n1 2\n')
    (files / 'a.t.tsv').write_text('x\ty\n1\t2\n')
    (files / 'a.h.htsv').write_text('x\ty\n1\t2\n')
    (files / 'a.bad.json').write_text('{not json')
    (files / 'a.good.json').write_text('{"k": [1, 2]}')
    (files / 'a.j.jsonable').write_text('{"a": 1}\n{"a": 2}\n')
    (files / 'a.y.yaml').write_text('devices:\n  cam: 1\n')
    (files / 'a.y2.yml').write_text('- 1\n- 2\n')
    np.savez(files / 'a.z2.npz', x=np.arange(2), y=np.arange(3))
    np.savez(files / 'a.z1.npz', np.arange(4))
    (files / 'a.b.bin').write_bytes(b'\x00' * 8)
    (files / 'a.c.cbin').write_bytes(b'\x00' * 8)
    (files / 'a.m.mp4').write_bytes(b'\x00' * 8)
    (files / 'a.u.NPY').write_bytes(b'\x00' * 8)
    (files / 'a.p.parquet').write_bytes(b'\x00' * 8)
    (files / 'a.empty.npy').write_bytes(b'')
    np.save(files / 'a.col.npy', np.arange(3.0).reshape(3, 1))
    np.save(files / 'a.obj.npy', np.array([{'a': 1}, None], dtype=object))
    np.save(files / 'a.none.npy', np.zeros((0,)))
    pd.DataFrame({'v': [1, 2]}, index=pd.Index([5, 6], name='idx')).to_parquet(files / 'a.i.pqt')
    (files / 'a.sp.sparse_npz').write_bytes(b'\x00' * 8)
    return p


LOAD_OBJECT = [
    ('trials', {}),
    ('trials', {'short_keys': True}),
    ('trials', {'timescale': None}),
    ('trials', {'attribute': ['int*', 'choice']}),
    ('trials', {'namespace': 'ibl', 'extra': 'raw'}),
    ('clusters', {}),
    ('tab', {}),
    ('wheel', {}),
    ('spikes', {}),
    ('obj', {}),
    ('obj', {'namespace': 'ns'}),
    ('nope', {}),
    ('wh.*', {'wildcards': False}),
    (None, {}),
    ('trials', {'foo': 1}),
]


@pytest.mark.parametrize('obj, kwargs', LOAD_OBJECT, ids=repr)
@pytest.mark.parametrize('mmap', [True, False])
def test_load_object(alf_dir, obj, kwargs, mmap):
    ref = call(oio.load_object, alf_dir, obj, **kwargs)
    fast = call(fio.load_object, alf_dir, obj, mmap=mmap, **kwargs)
    if ref.error is not None:
        assert fast.error_class == ref.error_class
        assert str(fast.error).replace('alf_fast.io', 'one.alf.io') == str(ref.error)
    else:
        assert fast.error is None, fast.error
        assert list(fast.value) == list(ref.value)
        assert_same_data(dict(ref.value), dict(fast.value))


def test_load_object_from_file_and_list(alf_dir):
    assert_same_data(
        oio.load_object(alf_dir / 'wheel.position.npy'),
        fio.load_object(alf_dir / 'wheel.position.npy'),
    )
    files = [alf_dir / 'spikes.times.npy', alf_dir / 'spikes.amps.npy']
    assert_same_data(oio.load_object(files), fio.load_object(files))
    with pytest.raises(AssertionError):
        fio.load_object([alf_dir / 'spikes.times.npy', alf_dir / 'wheel.position.npy'])
    with pytest.raises(ALFObjectNotFound, match='No object "x" found'):
        fio.load_object(alf_dir / 'missing', 'x')


def test_inconsistent_dimensions_logged(alf_dir, caplog):
    np.save(alf_dir / 'spikes.depths.npy', np.arange(7.0))
    caplog.set_level(logging.WARNING)
    out = fio.load_object(alf_dir, 'spikes')
    assert out.check_dimensions == 1
    assert 'Inconsistent dimensions for object: spikes' in caplog.text


FILES = [
    'a.t2.csv',
    'a.t3.csv',
    'a.s.ssv',
    'a.t.tsv',
    'a.h.htsv',
    'a.bad.json',
    'a.good.json',
    'a.j.jsonable',
    'a.y.yaml',
    'a.y2.yml',
    'a.z1.npz',
    'a.b.bin',
    'a.c.cbin',
    'a.m.mp4',
    'a.u.NPY',
    'a.p.parquet',
    'a.empty.npy',
    'a.col.npy',
    'a.none.npy',
    'a.i.pqt',
    'missing.x.npy',
]


@pytest.mark.parametrize('name', FILES)
@pytest.mark.parametrize('mmap', [True, False])
def test_load_file_content(alf_dir, name, mmap, caplog):
    path = alf_dir / 'files' / name
    caplog.set_level(logging.ERROR)
    ref = call(oio.load_file_content, path)
    fast = call(fio.load_file_content, path, mmap=mmap)
    if ref.error is not None:
        assert_same_error(ref, fast)
    else:
        assert_same_data(ref.value, fast.value)


def test_load_file_content_special(alf_dir):
    files = alf_dir / 'files'
    assert fio.load_file_content(None) is None and fio.load_file_content('') is None
    with fio.load_file_content(files / 'a.z2.npz') as npz:  # an open archive, as in ONE
        assert sorted(npz.files) == ['x', 'y']
    with pytest.raises(ValueError, match=r'a\.obj\.npy: the array holds Python objects'):
        fio.load_file_content(files / 'a.obj.npy')  # deliberate difference: ONE unpickles
    obj = fio.load_file_content(files / 'a.obj.npy', allow_pickle=True)
    assert type(obj) is np.ndarray and obj[0] == {'a': 1}
    with pytest.warns(UserWarning, match='requires the pydata sparse package'):
        assert isinstance(fio.load_file_content(files / 'a.sp.sparse_npz'), ALFPath)
    with pytest.raises(Exception) as info:
        fio.load_file_content(files / 'a.b.bin'.replace('.bin', '.npy'))
    assert type(info.value).__name__ in ('FileNotFoundError',)


def test_npy_small_read_large_mapped_all_writable(alf_dir):
    """Small files are read, large ones mapped copy-on-write: all writable, the file untouched."""
    from alf_fast._npy import MAP_MIN_BYTES

    data = fio.load_file_content(alf_dir / 'wheel.position.npy')
    assert type(data) is np.ndarray and data.flags.writeable
    flat = fio.load_file_content(alf_dir / 'files' / 'a.col.npy')
    assert type(flat) is np.ndarray and flat.shape == (3,)
    eager = fio.load_file_content(alf_dir / 'wheel.position.npy', mmap=False)
    assert type(eager) is np.ndarray and eager.flags.writeable
    big = alf_dir / 'big.data.npy'
    np.save(big, np.arange(MAP_MIN_BYTES // 8 + 1, dtype=float).reshape(-1, 1))
    before = big.read_bytes()
    mapped = fio.load_file_content(big)
    assert isinstance(mapped, np.memmap) and mapped.shape == (MAP_MIN_BYTES // 8 + 1,)
    mapped[np.isnan(mapped)] = 0
    mapped *= -1
    mapped.sort()
    assert mapped[0] == -(MAP_MIN_BYTES // 8) and big.read_bytes() == before
    eager = fio.load_file_content(big, mmap=False)
    assert type(eager) is np.ndarray and eager[1] == 1
    obj = fio.load_object(alf_dir, 'wheel')
    obj.position[:] = 7  # ONE scripts do this
    np.testing.assert_array_equal(
        fio.load_object(alf_dir, 'wheel').position, np.load(alf_dir / 'wheel.position.npy')
    )


def test_tables_are_polars(alf_dir):
    files = alf_dir / 'files'
    assert isinstance(fio.load_file_content(files / 'a.t3.csv'), pl.DataFrame)
    assert isinstance(fio.load_file_content(files / 'a.t2.csv'), pl.Series)
    table = fio.load_file_content(files / 'a.i.pqt')
    assert table.columns == ['v']  # the pandas index column is not a column
    assert isinstance(fio.load_object(alf_dir, 'wheel').to_df(), pl.DataFrame)


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'object': 'wh*'},
        {'object': ['^wh', 'spi'], 'wildcards': False},
        {'object': 'obj', 'extra': None},
        {'extra': 'raw'},
        {'timescale': 'bpod'},
        {'object': 'wh', 'wildcards': False},
        {'attribute': ['times', 'position']},
        {'namespace': None},
        {'bad_key': 1},
        {'extension': 'json'},
    ],
    ids=repr,
)
def test_filter_by(alf_dir, kwargs):
    ref = call(oio.filter_by, alf_dir, **kwargs)
    fast = call(fio.filter_by, alf_dir, **kwargs)
    if ref.error is not None:
        assert fast.error_class == ref.error_class
        assert str(fast.error).replace('alf_fast.io', 'one.alf.io') == str(ref.error)
    else:
        assert [str(x) for x in fast.value[0]] == [str(x) for x in ref.value[0]]
        assert fast.value[1] == ref.value[1]


def test_exists(alf_dir):
    for args, kwargs in [
        (('wheel',), {}),
        (('wheel', 'position'), {}),
        (('wheel', ['position', 'x']), {}),
        (('nope',), {}),
        (('trials',), {'namespace': 'ibl'}),
    ]:
        assert fio.exists(alf_dir, *args, **kwargs) == oio.exists(alf_dir, *args, **kwargs)
    assert fio.exists(alf_dir / 'nothing', 'wheel') is False


def test_iter_sessions_and_datasets(alf_dir):
    root = alf_dir.parents[4]
    (root / 'other/2020-01-01/002').mkdir(parents=True)
    assert list(map(str, fio.iter_sessions(root))) == list(map(str, oio.iter_sessions(root)))
    session = alf_dir.parent
    assert list(map(str, fio.iter_sessions(session))) == [str(session)]
    assert list(map(str, fio.iter_datasets(session))) == list(map(str, oio.iter_datasets(session)))


@pytest.mark.parametrize(
    'ts, n',
    [
        (np.arange(3.0), 3),
        (np.arange(3.0).reshape(3, 1), 3),
        (np.array([[0, 0.0], [9, 1.0]]), 10),
        (np.zeros((2, 3)), 2),
        (np.zeros((2, 2, 2)), 2),
    ],
)
def test_ts2vec(ts, n):
    ref, fast = call(oio.ts2vec, ts, n), call(fio.ts2vec, ts, n)
    if ref.error is not None:
        assert_same_error(ref, fast)
    else:
        np.testing.assert_array_equal(fast.value, ref.value)


@pytest.mark.parametrize(
    'dico',
    [
        {},
        {'a': np.zeros(3), 'b': np.zeros((3, 2))},
        {'a': np.zeros(3), 'b': np.zeros(4)},
        {'a': np.zeros(3), 'b': np.zeros(1)},
        {'a': np.zeros(5), 'timestamps': np.zeros((2, 2))},
        {'a': np.zeros(5), 'timestamps': np.zeros((3, 2))},
        {'timestamps': np.zeros(4), 'a': [1]},
    ],
    ids=lambda d: str({k: np.shape(v) for k, v in d.items()}),
)
def test_check_dimensions(dico):
    assert fio.check_dimensions(dico) == oio.check_dimensions(dico)


def test_read_ts(alf_dir):
    for name in ('spikes.amps.npy', 'wheel.position.npy'):  # times; (2, 2) timestamps
        for a, b in zip(oio.read_ts(alf_dir / name), fio.read_ts(alf_dir / name), strict=True):
            np.testing.assert_array_equal(a, b)
    np.save(alf_dir / 'wheel.times.npy', np.arange(5.0))
    for name in ('clusters.depths.npy', 'wheel.position.npy'):  # no times; two candidates
        ref, fast = call(oio.read_ts, alf_dir / name), call(fio.read_ts, alf_dir / name)
        assert_same_error(ref, fast)


def test_alfbunch(alf_dir):
    a = fio.AlfBunch({'x': np.arange(3), 'y': [1]})
    b = oio.AlfBunch({'x': np.arange(3), 'y': [1]})
    assert_same_data(dict(b.append(b)), dict(a.append(a)))
    assert a.x is a['x']
    with pytest.raises(NotImplementedError):
        a.append({'z': 1})
    frame = fio.AlfBunch({'x': np.arange(3), 'm': np.ones((3, 12))}).to_df()
    assert frame.columns == ['x', *[f'm_{i}' for i in range(10)]]
    back = fio.AlfBunch.from_df(pl.DataFrame({'t_0': [1.0], 't_1': [2.0], 'u': [3.0]}))
    np.testing.assert_array_equal(back['t'], [[1.0, 2.0]])
    from_pandas = fio.AlfBunch.from_df(pd.DataFrame({'t_0': [1.0], 't_1': [2.0]}))
    np.testing.assert_array_equal(from_pandas['t'], [[1.0, 2.0]])
    with pytest.raises(ValueError, match='consistent size'):
        fio.dataframe({'a': np.zeros(2), 'b': np.zeros(3)})


def test_writers_and_housekeeping(tmp_path):
    dico = {'times': np.arange(3.0), 'amps': np.ones(3)}
    files = fio.save_object_npy(tmp_path, dico, 'spikes', namespace='ibl')
    assert sorted(p.name for p in files) == ['_ibl_spikes.amps.npy', '_ibl_spikes.times.npy']
    with pytest.raises(ValueError, match='Dimensions are not consistent'):
        fio.save_object_npy(tmp_path, {'a': np.zeros(2), 'b': np.zeros(3)}, 'x')
    meta = fio.save_metadata(files[0], {'columns': ['a']})
    assert json.loads(meta.read_text()) == {'columns': ['a']}
    assert fio.next_num_folder(tmp_path / 'none') == '001'
    (tmp_path / 'd' / '002').mkdir(parents=True)
    (tmp_path / 'd' / '.009').mkdir()
    assert fio.next_num_folder(tmp_path / 'd') == oio.next_num_folder(tmp_path / 'd') == '003'
    (tmp_path / 'e/f/g').mkdir(parents=True)
    fio.remove_empty_folders(tmp_path / 'e')
    assert not (tmp_path / 'e/f').exists()


def test_find_variants(alf_dir):
    (alf_dir / '#2023-01-01#').mkdir()
    np.save(alf_dir / '#2023-01-01#' / 'wheel.position.npy', np.arange(2))
    files = [alf_dir / 'wheel.position.npy', alf_dir / 'obj.attr.npy']
    ref = oio.find_variants(files)
    fast = fio.find_variants(files)
    assert {str(k): sorted(map(str, v)) for k, v in fast.items()} == {
        str(k): sorted(map(str, v)) for k, v in ref.items()
    }
    ref = oio.find_variants(files, namespace=False)
    fast = fio.find_variants(files, namespace=False)
    assert {str(k): sorted(map(str, v)) for k, v in fast.items()} == {
        str(k): sorted(map(str, v)) for k, v in ref.items()
    }


def test_errors_are_one_compatible():
    assert issubclass(ALFObjectNotFound, one_exc.ALFObjectNotFound)
