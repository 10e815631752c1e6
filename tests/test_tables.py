"""Loading cache tables (``alf_fast._tables``) against ``one.alf.cache.load_tables``.

ONE's frames are pandas with an ``(eid, id)`` / ``id`` index of ``UUID`` objects; ours are polars
with those levels as leading string columns. The comparisons convert ONE's side accordingly.
Old and unusual formats are written here with pyarrow, as other tools would write them.
"""

import datetime
import json
import logging
import re
import shutil
import uuid
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _differential import one_make_parquet_db
from alf_fast._tables import DATASETS_SCHEMA, QC_ENUM, SESSIONS_SCHEMA, Bunch, load_tables
from alf_fast.exceptions import ALFWarning

ONE_FIXTURES = Path(__import__('one').__file__).parent / 'tests' / 'fixtures'
META = {'date_created': '2024-05-06 07:08', 'origin': 'test'}


def one_load(folder):
    from one.alf.cache import load_tables as one_load_tables

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return one_load_tables(folder)


def as_rows(frame_pd, columns):
    """A ONE (pandas) table as a list of row tuples: index levels first, ids as strings."""
    flat = frame_pd.reset_index()
    out = []
    for row in flat[columns].itertuples(index=False):
        out.append(
            tuple(
                str(v) if isinstance(v, uuid.UUID) else (None if v is None or v != v else v)
                for v in row
            )
        )
    return out


def write(path, columns, meta=META, pandas_index=None):
    """Write a parquet table from a dict of pyarrow arrays, with ONE's metadata key."""
    table = pa.table(columns)
    schema_meta = {}
    if meta is not None:
        schema_meta[b'one_metadata'] = json.dumps(meta).encode()
    if pandas_index is not None:
        schema_meta[b'pandas'] = json.dumps({'index_columns': pandas_index}).encode()
    pq.write_table(table.replace_schema_metadata(schema_meta), path)


def ids(*names):
    return [str(uuid.uuid3(uuid.NAMESPACE_DNS, n)) for n in names]


def test_fixture_f_schema_and_content(f_template):
    ours = load_tables(f_template)
    theirs = one_load(f_template)
    assert dict(ours.sessions.schema) == SESSIONS_SCHEMA
    assert dict(ours.datasets.schema) == DATASETS_SCHEMA
    assert list(ours) == list(theirs) == ['datasets', 'sessions', '_meta']
    ses_cols = list(SESSIONS_SCHEMA)
    assert ours.sessions.rows() == as_rows(theirs.sessions, ses_cols)
    ds_cols = ['eid', 'id', 'rel_path', 'file_size', 'hash', 'exists']
    assert ours.datasets.select(ds_cols).rows() == as_rows(theirs.datasets, ds_cols)
    assert ours.datasets['qc'].cast(pl.String).to_list() == theirs.datasets['qc'].tolist()


def test_meta_record(f_template):
    ours, theirs = load_tables(f_template), one_load(f_template)
    meta = ours['_meta']
    assert set(meta) == set(theirs['_meta'])
    assert meta['created_time'] == theirs['_meta']['created_time']
    assert isinstance(meta['loaded_time'], datetime.datetime)
    assert meta['modified_time'] is None and meta['saved_time'] is None
    assert meta['raw'] == theirs['_meta']['raw']


def test_bunch():
    from iblutil.util import Bunch as IblBunch

    b = Bunch(a=1)
    b.b = 2
    assert b == {'a': 1, 'b': 2} and b.a == 1
    assert isinstance(b, IblBunch)
    assert b.copy() == b and isinstance(b.copy(), Bunch)
    assert b.copy(deep=True) == b


def test_one_test_fixtures_old_format():
    """ONE-api's own fixtures: int-pair ids, `project`, no `qc`, `session_path`, float sizes."""
    with pytest.warns(ALFWarning, match='1 datasets share the eid/id of another file'):
        ours = load_tables(ONE_FIXTURES)
    theirs = one_load(ONE_FIXTURES)
    assert list(ours.sessions.columns) == list(SESSIONS_SCHEMA)
    assert ours.sessions.rows() == as_rows(theirs.sessions, list(SESSIONS_SCHEMA))
    assert list(ours.datasets.columns) == list(DATASETS_SCHEMA)
    cols = ['eid', 'id', 'rel_path', 'hash', 'exists']
    assert ours.datasets.select(cols).rows() == as_rows(theirs.datasets, cols)
    sizes = [None if v != v else int(v) for v in theirs.datasets['file_size']]
    assert ours.datasets['file_size'].to_list() == sizes
    assert ours.datasets['qc'].dtype == QC_ENUM
    assert set(ours.datasets['qc'].to_list()) == {'NOT_SET'}


def test_search_on_one_fixtures():
    from one.api import One as OneRef

    from alf_fast import One

    with pytest.warns(ALFWarning, match='1 datasets share the eid/id of another file'):
        ours = One(cache_dir=ONE_FIXTURES)
    theirs = OneRef(cache_dir=ONE_FIXTURES, mode='local')
    for kwargs in (
        {},
        {'subject': 'KS'},
        {'projects': 'brainwide'},
        {'lab': 'cortex'},
        {'datasets': '_ibl_wheel.timestamps.npy'},
        {'date': ['2019-06-01', None]},
    ):
        assert ours.search(**kwargs) == theirs.search(**kwargs)


def test_tables_without_pandas_metadata(tmp_path):
    """As polars writes them: the index is rebuilt from the columns whose name contains 'id'."""
    eids = ids('s1', 's2')
    write(
        tmp_path / 'sessions.pqt',
        {
            'lab': ['l', 'l'],
            'subject': ['b', 'a'],
            'date': pa.array([datetime.date(2020, 1, 2), datetime.date(2020, 1, 1)]),
            'number': pa.array([1, 2], pa.int64()),
            'task_protocol': ['', ''],
            'projects': ['', ''],
            'id': eids,
        },
    )
    write(
        tmp_path / 'datasets.pqt',
        {
            'rel_path': ['a.b.npy', 'c.d.npy'],
            'file_size': pa.array([1, 2], pa.uint64()),
            'hash': [None, None],
            'exists': [True, True],
            'qc': pa.array(['NOT_SET', 'PASS']).dictionary_encode(),
            'id': ids('a.b.npy', 'c.d.npy'),
            'eid': eids,
        },
    )
    ours, theirs = load_tables(tmp_path), one_load(tmp_path)
    assert ours.sessions.columns[0] == 'id' and ours.datasets.columns[:2] == ['eid', 'id']
    assert ours.sessions['id'].to_list() == [str(x) for x in theirs.sessions.index]
    assert ours.sessions['number'].dtype == pl.Int64
    assert ours.datasets.sort('rel_path')['qc'].to_list() == ['NOT_SET', 'PASS']
    assert ours.datasets['id'].to_list() == [str(i) for _, i in theirs.datasets.index]


def test_missing_index_column(tmp_path):
    write(tmp_path / 'other.pqt', {'a': [1]})
    with pytest.raises(KeyError, match='Failed to set index'):
        load_tables(tmp_path)


def test_invalid_and_extra_tables(f_template, tmp_path, caplog):
    for name in ('sessions.pqt', 'datasets.pqt'):
        shutil.copy(f_template / name, tmp_path / name)
    write(tmp_path / 'junk.pqt', {'id': ['x']}, meta=None)
    write(tmp_path / 'junk2.pqt', {'id': ['x']}, meta={'origin': 'x'})
    write(tmp_path / 'other.pqt', {'id': ids('b', 'a'), 'value': [1, 2]})
    with caplog.at_level(logging.WARNING):
        ours = load_tables(tmp_path)
    theirs = one_load(tmp_path)
    assert set(ours) == set(theirs) == {'datasets', 'sessions', '_meta', 'other'}
    assert 'junk.pqt does not appear to be a valid table. Skipping' in caplog.text
    assert 'junk2.pqt' in caplog.text
    assert ours['_meta']['raw']['junk'] == {} and ours['_meta']['raw']['junk2'] == {'origin': 'x'}
    assert ours.other['id'].to_list() == sorted(ids('b', 'a'))  # sorted by index, as ONE


def test_no_tables(tmp_path):
    from alf_fast import One

    with pytest.warns(UserWarning, match=f'No cache tables found in {tmp_path}'):
        one = One(cache_dir=tmp_path)
    assert dict(one._cache.sessions.schema) == SESSIONS_SCHEMA
    assert dict(one._cache.datasets.schema) == DATASETS_SCHEMA
    assert one._cache['_meta']['loaded_time'] is None
    assert one.search() == [] and one.list_subjects() == []
    assert one.eid2path(uuid.uuid4()) is None and one.path2eid('a/2020-01-01/001') is None
    with pytest.warns(UserWarning, match='No cache tables'):
        One(cache_dir=tmp_path / 'does-not-exist')


def test_corrupt_file(f_template, tmp_path):
    from alf_fast import One

    shutil.copy(f_template / 'sessions.pqt', tmp_path / 'sessions.pqt')
    (tmp_path / 'datasets.pqt').write_bytes(b'not a parquet file')
    with pytest.raises(ValueError, match=r'datasets\.pqt is not a readable parquet table'):
        One(cache_dir=tmp_path)


def test_empty_tree_tables(tmp_path):
    """ONE's tables for a tree without sessions: RangeIndex and a qc with no categories."""
    from alf_fast import One

    one_make_parquet_db(tmp_path)
    one = One(cache_dir=tmp_path)
    assert dict(one._cache.datasets.schema) == DATASETS_SCHEMA
    assert one._cache.sessions.height == 0 and one.search(datasets='x') == []


def qc_variant(f_root, kind):
    """Rewrite F's datasets.pqt with the qc column stored another way (contract 2.11)."""
    table = pq.read_table(f_root / 'datasets.pqt')
    qc = table.column('qc').cast(pa.string())
    if kind == 'unordered':
        qc = qc.dictionary_encode()
    elif kind == 'used-only':
        qc = pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(len(table), 'int8')), pa.array(['NOT_SET']), ordered=True
                )
            ]
        )
    table = table.set_column(table.schema.get_field_index('qc'), 'qc', qc)
    pq.write_table(table, f_root / 'datasets.pqt')


@pytest.mark.parametrize('kind', ['string', 'unordered', 'used-only'])
def test_qc_stored_differently(f_root, kind):
    """Deliberate difference: any qc encoding becomes the ordered enum, so QC filters work
    (ONE compares strings lexicographically or raises TypeError)."""
    from one.api import One as OneRef

    from alf_fast import One

    qc_variant(f_root, kind)
    ours = One(cache_dir=f_root)
    assert ours._cache.datasets['qc'].dtype == QC_ENUM
    assert len(ours.search(datasets='.*intervals.*')) == 4
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        theirs = OneRef(cache_dir=f_root, mode='local')
        try:
            found = theirs.search(datasets='.*intervals.*')
        except TypeError:
            found = None
    assert found != ours.search(datasets='.*intervals.*') or kind == 'used-only'


def test_string_dates(f_root):
    """Deliberate difference: string dates are parsed, so path2eid works (ONE: None)."""
    from one.api import One as OneRef

    from alf_fast import One

    table = pq.read_table(f_root / 'sessions.pqt')
    i = table.schema.get_field_index('date')
    table = table.set_column(i, 'date', table.column('date').cast(pa.string()))
    pq.write_table(table, f_root / 'sessions.pqt')
    ours, theirs = One(cache_dir=f_root), OneRef(cache_dir=f_root, mode='local')
    assert ours._cache.sessions['date'].dtype == pl.Date
    assert ours.search(date='2023-01-01') == theirs.search(date='2023-01-01')
    assert theirs.path2eid('SWC_002/2023-01-02/001') is None
    assert ours.path2eid('SWC_002/2023-01-02/001') is not None


def test_uppercase_unsorted_ids(tmp_path):
    """Upper-case UUIDs are lower-cased (ONE casts them to UUID) and rows sorted by id."""
    from one.api import One as OneRef

    from alf_fast import One

    eids = ids('s1', 's2', 's3')
    upper = [eids[1].upper(), eids[0], eids[2].upper()]
    write(
        tmp_path / 'sessions.pqt',
        {
            'lab': ['l'] * 3,
            'subject': ['a', 'b', 'c'],
            'date': pa.array([datetime.date(2020, 1, d) for d in (1, 2, 3)]),
            'number': pa.array([1, 1, 1], pa.uint16()),
            'task_protocol': [''] * 3,
            'projects': [''] * 3,
            'id': pa.array(upper, pa.large_string()),
        },
    )
    ours, theirs = One(cache_dir=tmp_path), OneRef(cache_dir=tmp_path, mode='local')
    assert ours._cache.sessions['id'].to_list() == sorted(eids)
    assert ours.search() == theirs.search()
    assert ours.get_details(eids[1])['subject'] == 'a'


def test_int_pair_ids_without_pandas_metadata(tmp_path):
    """Old integer-pair ids are turned into UUID strings like ONE's _cache_int2str."""
    from one.api import One as OneRef

    from alf_fast import One

    pairs = [np.frombuffer(uuid.UUID(e).bytes, dtype=np.int64) for e in ids('s1', 's2')]
    write(
        tmp_path / 'sessions.pqt',
        {
            'lab': ['l', 'l'],
            'subject': ['a', 'b'],
            'date': pa.array([datetime.date(2020, 1, 1)] * 2),
            'number': pa.array([1, 2], pa.int64()),
            'task_protocol': ['', ''],
            'project': ['p', 'q'],
            'id_0': pa.array([p[0] for p in pairs]),
            'id_1': pa.array([p[1] for p in pairs]),
        },
    )
    ours, theirs = One(cache_dir=tmp_path), OneRef(cache_dir=tmp_path, mode='local')
    assert ours._cache.sessions['id'].to_list() == sorted(ids('s1', 's2'))
    assert (
        ours._cache.sessions['projects'].to_list() == theirs._cache.sessions['projects'].tolist()
    )
    assert ours.search(projects='q') == theirs.search(projects='q')


def test_project_kept_for_new_tables(tmp_path):
    meta = {**META, 'min_api_version': '2.0.0'}
    write(tmp_path / 'sessions.pqt', {'id': ids('s'), 'subject': ['a'], 'project': ['p']}, meta)
    with pytest.warns(ALFWarning) as caught:
        sessions = load_tables(tmp_path).sessions
    missing = {re.search(r"no '(\w+)' column", str(w.message))[1] for w in caught}
    assert missing == {'date', 'number'}
    assert 'project' in sessions.columns and sessions['projects'].to_list() == [None]


def test_load_cache(f_template, tmp_path):
    from alf_fast import One

    with pytest.warns(UserWarning):
        one = One(cache_dir=tmp_path)
    with pytest.raises(NotImplementedError, match='clobber=False not implemented yet'):
        one.load_cache(clobber=False)
    loaded = one.load_cache(tables_dir=f_template)
    assert isinstance(loaded, datetime.datetime)
    assert one._tables_dir == f_template and one.cache_dir == tmp_path
    assert len(one.search()) == 5
    # Data paths resolve against cache_dir, never tables_dir (as in ONE).
    assert str(one.eid2path(one.search()[0])).startswith(str(tmp_path))


def test_no_memory_map(f_template):
    from alf_fast import One

    assert One(cache_dir=f_template, mmap=False).search() == One(cache_dir=f_template).search()


def test_tables_from_alf_fast_indexer(f_template, tmp_path):
    """Our indexer writes null hashes; they load with the same schema."""
    pytest.importorskip('alf_fast._alf_fast')
    from alf_fast import make_parquet_db

    root = tmp_path / 'F'
    shutil.copytree(f_template, root)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        make_parquet_db(root)
    cache = load_tables(root)
    assert dict(cache.sessions.schema) == SESSIONS_SCHEMA
    assert dict(cache.datasets.schema) == DATASETS_SCHEMA
    assert cache.sessions.height == 5


def test_no_large_table_warning(tmp_path, monkeypatch):
    """Deliberate difference: ONE warns above 1e6 dataset rows; we never do."""
    from alf_fast import api
    from alf_fast._tables import default_cache

    n = 1_000_001
    big = pl.DataFrame(
        {
            name: pl.repeat(value, n, dtype=dtype, eager=True)
            for name, (value, dtype) in {
                'eid': ('e', pl.String),
                'id': ('i', pl.String),
                'rel_path': ('a.b.npy', pl.String),
                'file_size': (1, pl.UInt64),
                'hash': (None, pl.String),
                'exists': (True, pl.Boolean),
                'qc': ('NOT_SET', QC_ENUM),
            }.items()
        }
    )

    def fake_load(folder, **kwargs):
        cache = default_cache()
        cache['datasets'] = big
        cache['_meta']['loaded_time'] = datetime.datetime.now()
        return cache

    monkeypatch.setattr(api, 'load_tables', fake_load)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        one = api.One(cache_dir=tmp_path)
    assert one._cache.datasets.height == n


def test_qc_levels_have_one_definition_that_the_rust_indexer_agrees_with(tmp_path):
    """The qc categories the Rust indexer writes are spec.QC_LEVELS, in order, and the order is
    the enum's values (so code comparisons compare levels)."""
    from alf_fast._alf_fast import index_tree
    from alf_fast.spec import QC, QC_LEVELS

    assert [QC[name] for name in QC_LEVELS] == sorted(QC)
    session = tmp_path / 'lab' / 'Subjects' / 'S1' / '2020-01-01' / '001' / 'alf'
    session.mkdir(parents=True)
    (session / 'trials.choice.npy').write_bytes(b'')
    import pyarrow as pa

    out = index_tree(str(tmp_path))
    datasets = pa.RecordBatchReader.from_stream(out['datasets']).read_all()
    assert datasets.column('qc').chunk(0).dictionary.to_pylist() == list(QC_LEVELS)
