"""Differential tests of One.list_datasets / list_collections / list_revisions on fixture F."""

import uuid

import polars as pl
import pyarrow.parquet as pq
import pytest

from _differential import (
    assert_same_error,
    assert_same_frame,
    both,
    call,
    frame_columns,
    rel_paths,
)
from alf_fast.exceptions import ALFError

# Every test runs on both paths of filter_datasets (Python lists and polars).
pytestmark = pytest.mark.usefixtures('filter_engine')

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
EID2 = '0d3507cd-f190-39bb-9111-17bb3ac2b05e'
UNKNOWN = '11111111-1111-4111-8111-111111111111'


def assert_same_listing(ref, fast, ordered=True):
    if ref.error is not None:
        assert_same_error(ref, fast)
        return
    assert fast.error is None, fast.error
    if isinstance(ref.value, list):
        assert fast.value == ref.value if ordered else sorted(fast.value) == sorted(ref.value)
    elif isinstance(ref.value, dict):
        assert list(fast.value) == list(ref.value)
        for k in ref.value:
            assert_same_frame(ref.value[k], fast.value[k], ordered=ordered)
    else:
        assert_same_frame(ref.value, fast.value, ordered=ordered)


LIST_DATASETS = [
    ((EID,), {}),
    ((), {}),
    ((None,), {'details': True, 'filename': '*wheel*'}),
    ((EID,), {'filename': 'trials*'}),
    ((EID,), {'filename': '*trials.intervals*'}),
    ((EID,), {'filename': 'alf/_ibl_trials.intervals.npy'}),
    ((EID,), {'filename': '*probe00*'}),
    ((EID,), {'filename': '*spikes.times.npy'}),
    ((EID,), {'filename': {'object': ['wheel', 'spikes'], 'attribute': 'times'}}),
    ((EID,), {'filename': {'attribute': '*times'}}),
    ((EID,), {'filename': {'extra': 'npy'}}),
    ((EID,), {'filename': {'timescale': ''}}),
    ((EID,), {'collection': 'alf'}),
    ((EID,), {'collection': ''}),
    ((EID,), {'collection': 'alf*'}),
    ((EID,), {'revision': '2023-02-15'}),
    ((EID,), {'revision': '2023*'}),
    ((EID,), {'revision': ''}),
    ((EID,), {'details': True, 'collection': 'alf/probe00'}),
    ((EID,), {'details': True, 'keep_eid_index': True, 'filename': '*wheel*'}),
    ((uuid.UUID(EID),), {'qc': 'PASS'}),
    ((uuid.uuid4(),), {}),
    ((UNKNOWN,), {'details': True}),
    (('2023-01-01_1_SWC_001',), {'collection': 'alf/probe01'}),
    (('mylab/Subjects/SWC_001/2023-01-01/001',), {'filename': '*.yaml'}),
    (('foo/2020-01-01/001',), {}),
    (('not-an-eid',), {}),
    (([EID, EID2],), {}),
    (([EID, EID2],), {'details': True}),
    (([EID, UNKNOWN],), {}),
    ((EID,), {'qc': 'bad'}),
    ((EID,), {'default_revisions_only': True}),
    ((EID,), {'query_type': 'remote'}),
]


@pytest.mark.parametrize('args, kwargs', LIST_DATASETS, ids=repr)
def test_list_datasets(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'list_datasets', *args, **kwargs)
    assert_same_listing(ref, fast)


@pytest.mark.parametrize(
    'kwargs',
    [
        {'filename': '_ibl_trials.choice'},
        {'filename': 'trials.choice.npy'},
        {'filename': r'_ibl_trials\..*'},
        {'collection': '*probe*'},
        {'collection': 'alf/probe0[01]'},
        {'revision': '2023-0[23]-01'},
    ],
    ids=repr,
)
def test_list_datasets_regex_mode(one_ref, one_fast, kwargs):
    one_ref.wildcards = one_fast.wildcards = False
    try:
        ref, fast = both(one_ref, one_fast, 'list_datasets', EID, **kwargs)
    finally:
        one_ref.wildcards = one_fast.wildcards = True
    assert_same_listing(ref, fast)


def test_list_datasets_details_columns(one_fast):
    frame = one_fast.list_datasets(EID, details=True)
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns[:2] == ['id', 'rel_path']
    kept = one_fast.list_datasets(EID, details=True, keep_eid_index=True)
    assert kept.columns[:2] == ['eid', 'id']


def test_unknown_session_gives_empty_frame(one_ref, one_fast):
    """ONE's quirk: an unknown eid lists an empty *DataFrame*, even with details=False."""
    fast = one_fast.list_datasets(UNKNOWN)
    assert isinstance(fast, pl.DataFrame) and fast.height == 0
    assert frame_columns(fast) == frame_columns(one_ref.list_datasets(UNKNOWN))


def test_listing_ignores_exists_flag(one_fast, f_root):
    """Datasets flagged missing are still listed (contract 5.2.6)."""
    from alf_fast import One

    table = pq.read_table(f_root / 'datasets.pqt')
    exists = pl.from_arrow(table.column('exists')).not_()
    pq.write_table(table.set_column(3, 'exists', exists.to_arrow()), f_root / 'datasets.pqt')
    fast = One(cache_dir=f_root)
    assert fast.list_datasets(EID) == one_fast.list_datasets(EID)


LIST_COLLECTIONS = [
    ((), {}),
    ((EID,), {}),
    ((EID,), {'filename': 'spikes*'}),
    ((EID,), {'revision': '2023-03-01'}),
    ((EID,), {'details': True, 'collection': 'alf*'}),
    ((), {'details': True, 'collection': 'alf/probe0*'}),
    ((UNKNOWN,), {}),
    (('foo/2020-01-01/001',), {}),
    ((EID,), {'filename': {'extension': 'yaml'}}),
]


@pytest.mark.parametrize('args, kwargs', LIST_COLLECTIONS, ids=repr)
def test_list_collections(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'list_collections', *args, **kwargs)
    assert_same_listing(ref, fast)


LIST_REVISIONS = [
    ((), {}),
    ((EID,), {}),
    ((EID,), {'revision': '2023-03*'}),
    ((EID,), {'filename': '*wheel*'}),
    ((EID,), {'filename': {'object': 'trials'}}),
    ((EID,), {'collection': 'alf', 'details': True}),
    ((EID,), {'revision': ['2023-02*']}),
    ((UNKNOWN,), {}),
]


@pytest.mark.parametrize('args, kwargs', LIST_REVISIONS, ids=repr)
def test_list_revisions(one_ref, one_fast, args, kwargs):
    ref, fast = both(one_ref, one_fast, 'list_revisions', *args, **kwargs)
    assert_same_listing(ref, fast)


def _set_qc(root, levels: dict[str, str]):
    """Rewrite the datasets table of `root` with the given QC per rel_path of session EID."""
    path = root / 'datasets.pqt'
    table = pq.read_table(path)
    frame = table.to_pandas().copy(deep=True)
    for rel_path, level in levels.items():
        mask = (frame.index.get_level_values('eid') == EID) & (frame['rel_path'] == rel_path)
        frame.loc[mask, 'qc'] = level
    import pyarrow as pa

    out = pa.Table.from_pandas(frame).replace_schema_metadata(table.schema.metadata)
    pq.write_table(out, path)


QC_LEVELS = {
    'alf/_ibl_trials.choice.npy': 'PASS',
    'alf/_ibl_trials.goCue_times.npy': 'WARNING',
    'alf/_ibl_trials.intervals.npy': 'FAIL',
    'alf/wheel.position.npy': 'CRITICAL',
}


@pytest.mark.parametrize(
    'kwargs',
    [
        {'qc': 'NOT_SET'},
        {'qc': 'PASS', 'ignore_qc_not_set': True},
        {'qc': 'CRITICAL', 'ignore_qc_not_set': True},
        {},
        {'qc': 30},
        {'qc': 'warning'},
    ],
    ids=repr,
)
def test_qc_thresholds(f_root, kwargs):
    from one.api import One as OneRef

    from alf_fast import One

    _set_qc(f_root, QC_LEVELS)
    ref, fast = OneRef(cache_dir=f_root, mode='local'), One(cache_dir=f_root)
    a = call(ref.list_datasets, EID, collection='alf', **kwargs)
    b = call(fast.list_datasets, EID, collection='alf', **kwargs)
    assert_same_listing(a, b)
    assert_same_listing(*both(ref, fast, 'list_collections', EID))  # default QC filter applies
    assert_same_listing(*both(ref, fast, 'list_revisions', EID))


def test_default_revisions_only_needs_column(one_fast):
    with pytest.raises(ALFError, match='No default revisions specified'):
        one_fast.list_datasets(EID, default_revisions_only=True)


def test_default_revisions_only(f_root):
    from one.api import One as OneRef

    from alf_fast import One

    path = f_root / 'datasets.pqt'
    table = pq.read_table(path)
    rel = table.column('rel_path').to_pylist()
    flags = [not p.startswith('alf/#2023-02-01#') for p in rel]
    import pyarrow as pa

    pq.write_table(table.append_column('default_revision', pa.array(flags)), path)
    ref, fast = OneRef(cache_dir=f_root, mode='local'), One(cache_dir=f_root)
    a, b = both(ref, fast, 'list_datasets', EID, default_revisions_only=True)
    assert_same_listing(a, b)
    assert 'alf/#2023-02-01#/_ibl_trials.intervals.npy' not in b.value


def test_list_datasets_without_eid_is_table_order(one_ref, one_fast):
    assert one_fast.list_datasets() == one_ref.list_datasets()
    assert rel_paths(one_fast.list_datasets(details=True)) == rel_paths(
        one_ref.list_datasets(details=True)
    )
