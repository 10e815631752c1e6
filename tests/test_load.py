"""Differential tests of One.load_* on fixture F, filesystem checks and deliberate differences."""

import logging
import os
import re
import uuid
import warnings
from pathlib import Path

import numpy as np
import one.alf.exceptions as one_exc
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _differential import (
    alf_warning_count,
    assert_same_data,
    assert_same_error,
    assert_same_revision_warnings,
    both,
)
from alf_fast.exceptions import (
    ALFMultipleObjectsFound,
    ALFObjectNotFound,
    ALFWarning,
)

# Every test runs on both paths of filter_datasets (Python lists and polars).
pytestmark = pytest.mark.usefixtures('filter_engine')

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
EID3 = '49d5521b-23f4-37f0-b62e-2ba0b6bbd9bf'
KS005 = '20a22258-9680-38d6-b9de-0597a3c5bc1d'
CHOICE_ID = '321d80da-1066-3783-b115-93d955401cda'
INTERVALS_ID = 'f5734d66-78e2-3c34-bb06-b7159f7c84ea'
UNORDERED = {'ALFMultipleCollectionsFound', 'ALFMultipleObjectsFound', 'ALFMultipleRevisionsFound'}


@pytest.fixture(autouse=True)
def quiet_logs(caplog):
    caplog.set_level(logging.CRITICAL, logger='one')
    yield


def assert_same_load(ref, fast, unordered_paths=False):
    if ref.error is not None:
        assert_same_error(ref, fast, unordered=ref.error_class in UNORDERED)
    else:
        assert fast.error is None, repr(fast.error)
        if unordered_paths:
            assert sorted(map(str, fast.value)) == sorted(map(str, ref.value))
        else:
            assert_same_data(ref.value, fast.value)
    assert_same_revision_warnings(ref, fast)
    assert alf_warning_count(fast.warnings) <= 1


LOAD_OBJECT = [
    ((EID, 'trials'), {}),
    ((EID, 'trials'), {'revision': '2023-02-15'}),
    ((EID, 'trials'), {'revision': ''}),
    ((EID, 'trials'), {'revision': '2000'}),
    ((EID, 'trials'), {'attribute': ['int*', 'choice']}),
    ((EID, 'trials'), {'attribute': 'goCue_times'}),
    ((EID, 'trials'), {'timescale': 'bpod'}),
    ((EID, 'trials'), {'namespace': 'ibl'}),
    ((EID, 'trials'), {'collection': 'alf', 'extension': 'npy'}),
    ((EID, 'spikes'), {}),
    ((EID, 'spikes'), {'collection': 'alf/probe00'}),
    ((EID, 'spikes'), {'collection': 'alf/probe01', 'attribute': 'times'}),
    ((EID, 'wheel'), {}),
    ((EID, 'wheel'), {'download_only': True}),
    ((EID, '*'), {'collection': 'alf'}),
    ((EID, 'Trials'), {}),
    ((EID, 'nope'), {}),
    ((EID, 'trials'), {'collection': 'nope'}),
    ((EID3, 'trials'), {}),
    ((uuid.UUID(EID3), 'trials'), {'attribute': 'intervals', 'check_hash': False}),
    (('mylab/Subjects/SWC_001/2023-01-01/002', 'trials'), {}),
    (('2023-01-01_1_SWC_001', 'wheel'), {}),
    (('foo/2020-01-01/001', 'trials'), {}),
    (('not-an-eid', 'trials'), {}),
    ((str(uuid.UUID(int=5)), 'trials'), {}),
    ((EID, 'experiment'), {}),
    ((EID, 'taskData'), {'collection': 'raw_behavior_data'}),
]


@pytest.mark.parametrize('args, kwargs', LOAD_OBJECT, ids=repr)
def test_load_object(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'load_object', *args, **kwargs)
    assert_same_load(ref, fast, unordered_paths=kwargs.get('download_only', False))


def test_load_object_regex_mode(one_ref, one_fast):
    one_ref.wildcards = one_fast.wildcards = False
    try:
        for obj, kwargs in (
            ('tri.*', {'collection': 'alf'}),
            ('spikes', {'collection': '.*01'}),
            ('trials', {'attribute': 'int.*'}),
        ):
            assert_same_load(*both(one_ref, one_fast, 'load_object', EID, obj, **kwargs))
    finally:
        one_ref.wildcards = one_fast.wildcards = True


LOAD_DATASET = [
    ((EID, '_ibl_trials.intervals.npy'), {}),
    ((EID, '_ibl_trials.intervals.npy'), {'revision': ''}),
    ((EID, '_ibl_trials.intervals.npy'), {'revision': '2000'}),
    ((EID, '_ibl_trials.intervals.npy'), {'revision': '2023-02-15'}),
    ((EID, '_ibl_trials.intervals'), {}),
    ((EID, 'alf/#2023-02-01#/_ibl_trials.intervals.npy'), {}),
    ((EID, 'alf/_ibl_trials.intervals.npy'), {}),
    ((EID, 'trials.intervals'), {}),
    ((EID, '*trials.intervals'), {}),
    ((EID, 'spikes.times.npy'), {}),
    ((EID, 'spikes.times.npy'), {'collection': 'alf/probe01'}),
    ((EID, '_ibl_trials.*'), {}),
    ((EID, 'alf/_ibl_trials.intervals.npy'), {'collection': 'alf'}),
    ((EID, 'alf/_ibl_trials.intervals.npy'), {'revision': '2020'}),
    ((EID, {'object': 'spikes', 'attribute': 'times', 'collection': 'alf/probe00'}), {}),
    ((EID, {'object': 'spikes', 'attribute': 'times'}), {}),
    ((EID, {'object': 'wheel', 'attribute': 'position'}), {}),
    ((EID, '_ibl_experiment.description.yaml'), {}),
    ((EID, '_iblrig_taskData.raw.jsonable'), {}),
    ((EID, 'obj.attr.npy'), {}),
    ((EID, 'obj.attr.npy.bak'), {}),
    ((EID, 'nope.npy'), {}),
    ((EID, '_ibl_trials.choice.npy'), {'download_only': True}),
    ((EID3, '_ibl_trials.table.pqt'), {}),
    ((EID3, 'nope'), {}),
    ((UNKNOWN := '11111111-1111-4111-8111-111111111111', 'x.y.npy'), {}),
]


@pytest.mark.parametrize('args, kwargs', LOAD_DATASET, ids=repr)
def test_load_dataset(one_ref, one_fast, args, kwargs):
    assert_same_load(*both(one_ref, one_fast, 'load_dataset', *args, **kwargs))


LOAD_DATASETS = [
    ((EID, ['_ibl_trials.choice.npy', '_ibl_trials.goCue_times.npy']), {}),
    ((EID, ['_ibl_trials.choice', 'wheel.position']), {'download_only': True}),
    ((EID, ['nope.npy', '_ibl_trials.choice.npy']), {}),
    ((EID, ['nope.npy', '_ibl_trials.choice.npy']), {'assert_present': False}),
    ((EID, ['nope.x.npy']), {'collections': 'alf', 'revisions': '2023-01-01'}),
    ((EID, ['spikes.times.npy']), {'collections': ['a', 'b']}),
    (
        (EID, ['spikes.times.npy', 'spikes.clusters.npy']),
        {'collections': ['alf/probe00', 'alf/probe01']},
    ),
    ((EID, ['_ibl_trials.intervals.npy']), {'revisions': '2023-02-15'}),
    ((EID, ['_ibl_trials.choice.npy', {'object': 'wheel'}]), {}),
    ((EID, '_ibl_trials.choice.npy'), {}),
    ((EID, []), {}),
    ((EID, ['alf/probe00/spikes.times.npy', 'alf/#2023-02-01#/_ibl_trials.intervals.npy']), {}),
    ((EID, ['alf/probe00/spikes.times.npy']), {'collections': 'alf'}),
    ((EID, [{'object': 'wheel', 'attribute': 'position', 'extension': 'npy'}]), {}),
    ((EID, ['spikes.times.npy']), {}),
    ((UNKNOWN, ['x.y.npy']), {}),
    ((UNKNOWN, ['x.y.npy']), {'assert_present': False}),
]


@pytest.mark.parametrize('args, kwargs', LOAD_DATASETS, ids=repr)
def test_load_datasets(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'load_datasets', *args, **kwargs)
    if ref.error is None and fast.error is None:
        data_ref, records_ref = ref.value
        data_fast, records_fast = fast.value
        if isinstance(records_ref, list):
            assert_same_data(data_ref, data_fast)
            assert records_fast == records_ref
        else:  # an empty frame
            assert data_fast is data_ref is None and records_fast.height == len(records_ref) == 0
        assert_same_revision_warnings(ref, fast)
    else:
        assert_same_load(ref, fast)


LOAD_COLLECTION = [
    ((EID, 'alf'), {}),
    ((EID, 'alf'), {'object': 'wheel'}),
    ((EID, 'alf'), {'attribute': 'times'}),
    ((EID, 'alf/probe00'), {}),
    ((EID, 'alf/probe0*'), {}),
    ((EID, ''), {}),
    ((EID, 'nope'), {}),
    ((EID, 'alf'), {'object': 'nope'}),
    ((EID, 'alf'), {'download_only': True}),
    ((EID3, 'alf'), {}),
    ((EID3, 'alf'), {'attribute': 'intervals'}),
]


@pytest.mark.parametrize('args, kwargs', LOAD_COLLECTION, ids=repr)
def test_load_collection(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'load_collection', *args, **kwargs)
    if kwargs.get('download_only') and ref.error is None:
        assert isinstance(fast.value, tuple)
    if ref.error_class == 'AssertionError':  # the message lists files in set order
        assert fast.error_class == 'AssertionError'
        return
    assert_same_load(ref, fast, unordered_paths=kwargs.get('download_only', False))


@pytest.mark.parametrize(
    'dset_id',
    [
        uuid.UUID(CHOICE_ID),
        CHOICE_ID,
        CHOICE_ID.upper(),
        uuid.uuid4(),
        'bad',
        uuid.UUID(INTERVALS_ID),
    ],
    ids=repr,
)
def test_load_dataset_from_id(one_ref, one_fast, dset_id):
    assert_same_load(*both(one_ref, one_fast, 'load_dataset_from_id', dset_id))


def test_load_dataset_from_id_details(one_ref, one_fast):
    data_ref, rec_ref = one_ref.load_dataset_from_id(CHOICE_ID, details=True)
    data_fast, rec_fast = one_fast.load_dataset_from_id(CHOICE_ID, details=True)
    assert_same_data(data_ref, data_fast)
    assert {k: rec_fast[k] for k in rec_ref.index} == rec_ref.to_dict()
    assert (rec_fast['eid'], rec_fast['id']) == rec_ref.name
    path = one_fast.load_dataset_from_id(CHOICE_ID, download_only=True)
    assert str(path) == str(one_ref.load_dataset_from_id(CHOICE_ID, download_only=True))


def test_load_dataset_from_int_pair(one_fast):
    pair = np.frombuffer(uuid.UUID(CHOICE_ID).bytes, dtype=np.int64)
    np.testing.assert_array_equal(one_fast.load_dataset_from_id(pair), [1, -1, 1, 1, -1])


# --- filesystem checks ---------------------------------------------------------------------------


def make_pair(root):
    from one.api import One as OneRef

    from alf_fast import One

    return OneRef(cache_dir=root, mode='local'), One(cache_dir=root)


def test_missing_file(f_root):
    ref, fast = make_pair(f_root)
    target = f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    target.rename(target.with_suffix('.tmp'))
    a, b = both(ref, fast, 'load_dataset', EID, '_ibl_trials.choice.npy')
    assert_same_load(a, b)
    assert b.error.message == 'Dataset not found'
    row = fast._cache['datasets'].filter(pl.col('id') == CHOICE_ID)
    assert row.get_column('exists').to_list() == [False]
    assert fast._cache['_meta']['modified_time'] is not None
    assert 'alf/_ibl_trials.choice.npy' in fast.list_datasets(EID)  # still listed
    assert_same_load(*both(ref, fast, 'load_object', EID, 'trials', attribute='choice'))
    target.with_suffix('.tmp').rename(target)
    np.testing.assert_array_equal(
        fast.load_dataset(EID, '_ibl_trials.choice.npy'), [1, -1, 1, 1, -1]
    )
    row = fast._cache['datasets'].filter(pl.col('id') == CHOICE_ID)
    assert row.get_column('exists').to_list() == [True, True, True][: row.height]


def test_size_mismatch_is_logged(f_root, caplog):
    _, fast = make_pair(f_root)
    target = f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.goCue_times.npy'
    np.save(target, np.arange(7.0))
    for check_hash in (True, False):
        caplog.clear()
        caplog.set_level(logging.WARNING, logger='one')
        data = fast.load_dataset(EID, '_ibl_trials.goCue_times.npy', check_hash=check_hash)
        np.testing.assert_array_equal(data, np.arange(7.0))
        assert [r.getMessage() for r in caplog.records] == [
            'local file size mismatch on dataset: '
            'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.goCue_times.npy'
        ]


def test_md5_checked_when_table_has_hashes(f_root, caplog):
    from _differential import one_make_parquet_db

    one_make_parquet_db(f_root, hash_files=True)
    _, fast = make_pair(f_root)
    target = f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    caplog.set_level(logging.WARNING, logger='one')
    fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert not caplog.records
    np.save(target, np.array([2, 2, 2, 2, 2]))  # same size, other bytes
    data = fast.load_dataset(EID, '_ibl_trials.choice.npy')
    np.testing.assert_array_equal(data, [2, 2, 2, 2, 2])
    assert [r.getMessage() for r in caplog.records] == [
        'local md5 mismatch on dataset: '
        'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    ]
    caplog.clear()
    fast.load_dataset(EID, '_ibl_trials.choice.npy', check_hash=False)
    assert not caplog.records


def test_empty_hash_skips_md5(one_ref, one_fast, caplog, monkeypatch):
    """Deliberate: ONE md5s every file whose hash is '' (and logs a mismatch); we skip it."""
    import alf_fast._listing as listing

    calls = []
    monkeypatch.setattr(listing, '_md5', lambda p: calls.append(p) or '')
    caplog.set_level(logging.WARNING, logger='one')
    one_fast.load_object(EID, 'wheel')
    assert calls == [] and not caplog.records
    caplog.clear()
    caplog.set_level(logging.WARNING, logger='one')
    one_ref.load_object(EID, 'wheel')
    assert any('md5 mismatch' in r.getMessage() for r in caplog.records)


def test_null_hash_and_size_are_skipped(f_root, caplog):
    """Deliberate: ONE raises TypeError on a null file_size; we skip the size check."""
    path = f_root / 'datasets.pqt'
    table = pq.read_table(path)
    nulls = pa.nulls(table.num_rows)
    table = table.set_column(1, 'file_size', nulls.cast(pa.uint64()))
    table = table.set_column(2, 'hash', nulls.cast(pa.string()))
    pq.write_table(table, path)
    from alf_fast import One

    caplog.set_level(logging.WARNING, logger='one')
    data = One(cache_dir=f_root).load_object(EID, 'wheel')
    np.testing.assert_array_equal(data['position'], np.arange(4.0))
    assert not caplog.records


def test_record_loaded(f_root):
    from alf_fast import One

    fast = One(cache_dir=f_root)
    fast.record_loaded = True
    fast.load_dataset(EID, '_ibl_trials.choice.npy')
    fast.load_object(EID, 'wheel')
    loaded = fast._cache['_loaded_datasets']
    assert uuid.UUID(CHOICE_ID) in set(loaded) and len(loaded) == 3


def test_revision_env_var(one_fast, monkeypatch):
    monkeypatch.setenv('ONE_REVISION_LAST_BEFORE', '2023-02-15')
    np.testing.assert_array_equal(
        one_fast.load_dataset(EID, '_ibl_trials.intervals.npy')[0], [1, 1]
    )
    with pytest.raises(ValueError, match='ONE_REVISION_LAST_BEFORE'):
        one_fast.load_datasets(EID, ['alf/_ibl_trials.choice.npy'])


# --- memory mapping ------------------------------------------------------------------------------


def test_loaded_arrays_are_writable_like_one(one_ref, one_fast, f_template):
    """Issue 7.3: ONE scripts write into loaded arrays; the files must not change."""
    before = {p: p.read_bytes() for p in f_template.rglob('*.npy')}
    for one in (one_ref, one_fast):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            trials = one.load_object(EID, 'trials')
        # ONE names every trials dataset, alf_fast the one in several revisions
        assert any(re.match('No default revision .*intervals', str(w.message)) for w in caught)
        for value in trials.values():
            assert value.flags.writeable
            value[np.isnan(value)] = 0
            value *= -1
            value.sort(axis=0)
        data = one.load_dataset(EID, '_ibl_trials.choice.npy')
        data[0] = 3
        (listed,), _ = one.load_datasets(EID, ['_ibl_trials.choice.npy'])
        listed[0] = 3
        one.load_dataset_from_id(CHOICE_ID)[0] = 3
        one.load_collection(EID, 'alf', object='wheel')['wheel']['position'][0] = 3
    assert {p: p.read_bytes() for p in f_template.rglob('*.npy')} == before


def test_large_datasets_mapped_copy_on_write(one_fast, f_template, monkeypatch):
    from alf_fast import _npy

    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 0)  # fixture F's files all count as large
    path = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    before = path.read_bytes()
    data = one_fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert isinstance(data, np.memmap) and data.mode == 'c' and data.flags.writeable
    data[:] = 9
    assert path.read_bytes() == before
    with pytest.warns(ALFWarning, match='No default revision .*intervals'):
        trials = one_fast.load_object(EID, 'trials')
    assert all(isinstance(v, np.memmap) and v.flags.writeable for v in trials.values())


def test_mmap_off(f_template, monkeypatch):
    from alf_fast import One, _npy

    monkeypatch.setattr(_npy, 'MAP_MIN_BYTES', 0)
    fast = One(cache_dir=f_template, mmap=False)
    data = fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert type(data) is np.ndarray and data.flags.writeable
    data, _ = fast.load_datasets(EID, ['_ibl_trials.choice.npy'])
    assert type(data[0]) is np.ndarray
    assert isinstance(fast.load_dataset(EID, '_ibl_trials.choice.npy', mmap=True), np.memmap)


def test_mmap_per_call(one_fast):
    with pytest.warns(ALFWarning, match='No default revision .*intervals'):
        trials = one_fast.load_object(EID, 'trials', mmap=False)
    assert all(type(v) is np.ndarray for v in trials.values())
    wheel = one_fast.load_collection(EID, 'alf', object='wheel', mmap=False)['wheel']
    assert type(wheel['position']) is np.ndarray
    data = one_fast.load_dataset_from_id(CHOICE_ID, mmap=False)
    assert type(data) is np.ndarray and data.flags.writeable


# --- deliberate differences ----------------------------------------------------------------------


def test_short_keys(one_ref, one_fast, f_root):
    """ONE: load_object(..., short_keys=True) raises TypeError. Fixed."""
    with pytest.raises(TypeError):
        one_ref.load_object(EID, 'trials', short_keys=True)
    folder = f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/alf'
    np.save(folder / '_ibl_trials.feedback_times.raw.npy', np.arange(5.0))
    from _differential import one_make_parquet_db
    from alf_fast import One

    one_make_parquet_db(f_root)
    fast = One(cache_dir=f_root)
    with pytest.warns(ALFWarning, match='No default revision .*intervals'):
        assert 'feedback_times.raw' in fast.load_object(EID, 'trials')
    with pytest.warns(ALFWarning, match='No default revision .*intervals'):
        short = fast.load_object(EID, 'trials', short_keys=True)
    assert 'feedback_times' in short and 'feedback_times.raw' not in short


def test_load_collection_revision(one_ref, one_fast):
    """ONE uses the revision as a collection pattern (ALFObjectNotFound). Fixed."""
    with pytest.raises(one_exc.ALFObjectNotFound):
        one_ref.load_collection(EID, 'alf', revision='2023-02-01')
    with pytest.warns(ALFWarning, match='Multiple revisions: "", "2023-02-01"'):
        data = one_fast.load_collection(EID, 'alf', revision='2023-02-01')
    np.testing.assert_array_equal(data['trials']['intervals'], np.ones((5, 2)))
    data = one_fast.load_collection(EID, 'alf', revision='2000')
    np.testing.assert_array_equal(data['trials']['intervals'][0], [0.0, 1.0])


def test_load_dataset_from_shared_id(one_ref, one_fast):
    """ONE: any id shared by several sessions raises. Pair it with an eid instead."""
    with pytest.raises(one_exc.ALFMultipleObjectsFound, match='Duplicate dataset IDs'):
        one_ref.load_dataset_from_id(INTERVALS_ID)
    with pytest.raises(ALFMultipleObjectsFound, match='pass eid='):
        one_fast.load_dataset_from_id(INTERVALS_ID)
    data = one_fast.load_dataset_from_id(INTERVALS_ID, eid=EID3)
    np.testing.assert_array_equal(data, np.zeros((4, 2)))
    data = one_fast.load_dataset_from_id((uuid.UUID(EID), uuid.UUID(INTERVALS_ID)))
    np.testing.assert_array_equal(data, np.arange(10.0).reshape(5, 2))


def test_unpadded_session_folder_loads(one_ref, one_fast):
    """ONE rebuilds KS005/2022-12-31/1 as .../001 and never finds it. We find the folder."""
    with pytest.raises(one_exc.ALFObjectNotFound, match='not found on disk'):
        one_ref.load_object(KS005, 'wheel')
    np.testing.assert_array_equal(one_fast.load_object(KS005, 'wheel')['position'], np.arange(3.0))
    wheel_id = uuid.UUID('89c156be-4ee2-3017-9e7e-ae8f46bbebca')
    with pytest.raises(one_exc.ALFObjectNotFound):
        one_ref.load_dataset_from_id(wheel_id)
    np.testing.assert_array_equal(one_fast.load_dataset_from_id(wheel_id), np.arange(3.0))


def test_relative_path_matching_several(one_ref, one_fast):
    """ONE: 'too many values to unpack'. We raise ALFMultipleObjectsFound."""
    with pytest.raises(ValueError, match='too many values'):
        one_ref.load_dataset(EID, 'alf/_ibl_trials.*.npy')
    with pytest.warns(UserWarning, match='Wildcards should not be used'):
        with pytest.raises(ALFMultipleObjectsFound):
            one_fast.load_dataset(EID, 'alf/_ibl_trials.*.npy')


def test_one_revision_warning_per_call(one_ref, one_fast):
    ref, fast = both(one_ref, one_fast, 'load_object', EID, 'trials')
    assert alf_warning_count(ref.warnings) == 5
    assert alf_warning_count(fast.warnings) == 1
    ref, fast = both(
        one_ref,
        one_fast,
        'load_datasets',
        EID,
        ['_ibl_trials.choice.npy', '_ibl_trials.intervals.npy'],
    )
    assert alf_warning_count(ref.warnings) == 2 and alf_warning_count(fast.warnings) == 1
    assert_same_revision_warnings(ref, fast)


def test_missing_dict_item_is_named(one_ref, one_fast):
    """ONE: TypeError building the message of a dict item without extension. Fixed."""
    with pytest.raises(TypeError):
        one_ref.load_datasets(EID, [{'object': 'nope', 'attribute': 'x'}])
    assert issubclass(ALFObjectNotFound, one_exc.ALFObjectNotFound)  # except clauses keep working
    with pytest.raises(ALFObjectNotFound, match="'object': 'nope'"):
        one_fast.load_datasets(EID, [{'object': 'nope', 'attribute': 'x'}])


def test_records_show_exists_on_disk(f_root):
    """ONE's records show the stale flag on the first call; ours what the call found."""
    _, fast = make_pair(f_root)
    _, records = fast.load_datasets(EID, ['obj.attr.npy'], assert_present=False)
    assert records[0]['exists'] is False


def test_frames_are_polars(one_fast):
    table = one_fast.load_dataset(EID3, '_ibl_trials.table.pqt')
    assert isinstance(table, pl.DataFrame) and table.columns == ['a', 'b']
    assert os.fspath(one_fast.load_dataset(EID3, '_ibl_trials.table.pqt', download_only=True))
    assert Path(one_fast.cache_dir).exists()


def test_table_without_schema_metadata(f_root, caplog):
    """A .pqt without any schema metadata: iblutil's reader (ONE) raises TypeError; we load it.

    The table columns join the object after the other attributes, integers promoted to float
    because the table also has a float column (ONE's quirk, kept).
    """
    path = f_root / 'mylab/Subjects/SWC_002/2023-01-02/001/alf/_ibl_trials.table.pqt'
    pq.write_table(pq.read_table(path).replace_schema_metadata(None), path)
    ref, fast = make_pair(f_root)
    with pytest.raises(TypeError):
        ref.load_object(EID3, 'trials')
    caplog.set_level(logging.WARNING, logger='one')
    trials = fast.load_object(EID3, 'trials')
    assert list(trials) == ['intervals', 'a', 'b']
    np.testing.assert_array_equal(trials['intervals'], np.zeros((4, 2)))
    np.testing.assert_array_equal(trials['a'], [1.0, 2.0])
    np.testing.assert_array_equal(trials['b'], [3.0, 4.0])
    assert 'Inconsistent dimensions for object: trials' in caplog.text
