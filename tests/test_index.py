"""The indexer against ONE-api's ``make_parquet_db``: same rows, same layout, tables each side
can read, and the deliberate differences where ONE-api writes tables it cannot load."""

import json
import shutil
import uuid
import warnings

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from _differential import NS, one_make_parquet_db
from alf_fast import make_parquet_db
from alf_fast._alf_fast import STABLE_NAMESPACE

SESSION_KEY = ['lab', 'subject', 'date', 'number']


def build_both(root, tmp_path, namespace=NS, **kwargs):
    """Index ``root`` with ONE-api and with alf_fast into two folders; return both pairs of
    tables as pandas reads them."""
    one_dir, ours_dir = tmp_path / 'one_tables', tmp_path / 'our_tables'
    one_dir.mkdir()
    ours_dir.mkdir()
    one_make_parquet_db(root, out_dir=one_dir, **kwargs)
    if kwargs.get('hash_ids', True):
        kwargs['namespace'] = namespace
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        make_parquet_db(root, out_dir=ours_dir, **kwargs)
    read = lambda d: tuple(pd.read_parquet(d / f'{t}.pqt') for t in ('sessions', 'datasets'))  # noqa: E731
    return read(one_dir), read(ours_dir)


def natural(sessions: pd.DataFrame, datasets: pd.DataFrame):
    """Both tables keyed by natural keys instead of ids, sorted, ids dropped."""
    ses = sessions.reset_index()
    ds = datasets.reset_index().merge(
        ses[['id', *SESSION_KEY]].rename(columns={'id': 'eid'}), on='eid'
    )
    ses = ses.drop(columns='id').sort_values(SESSION_KEY).reset_index(drop=True)
    ds = (
        ds.drop(columns=['eid', 'id'])[[*SESSION_KEY, 'rel_path', 'file_size', 'exists', 'qc']]
        .sort_values([*SESSION_KEY, 'rel_path'])
        .reset_index(drop=True)
    )
    return ses, ds


# Rows ONE-api writes for fixture F that we deliberately do not: `sub dir/obj.attr.npy` has an
# invalid collection and ONE records it as `obj.attr.npy`, a file that does not exist.
F_ONE_ONLY = {'obj.attr.npy'}


def test_fixture_f_same_tables_under_ones_namespace(f_template, tmp_path):
    (one_ses, one_ds), (ses, ds) = build_both(f_template, tmp_path)
    pd.testing.assert_frame_equal(ses, one_ses)
    # Ids are ONE's, row for row; only the broken row and the hash differ.
    kept = one_ds[~one_ds['rel_path'].isin(F_ONE_ONLY)]
    assert set(one_ds['rel_path']) - set(ds['rel_path']) == F_ONE_ONLY
    pd.testing.assert_frame_equal(ds.drop(columns='hash'), kept.drop(columns='hash'))
    assert (kept['hash'] == '').all()
    # No hash computed: a null-typed column, read as None by pandas 2 and 3 alike, which is
    # what makes ONE-api skip its md5 check (ONE's '' makes it hash every file on each load).
    assert ds['hash'].map(lambda h: h is None).all()


def test_fixture_f_contract_ids(f_template, tmp_path):
    _, (ses, ds) = build_both(f_template, tmp_path)
    assert ses.loc['e70388ad-6bfe-37d0-a200-ebeeab6833fb', 'subject'] == 'SWC_001'
    assert ses.loc['20a22258-9680-38d6-b9de-0597a3c5bc1d', 'lab'] == ''
    row = ds.loc[('e70388ad-6bfe-37d0-a200-ebeeab6833fb', '013ddfdc-cb26-3b1d-be0a-09d3b8272f0b')]
    assert row['rel_path'] == '.hiddendir/foo.bar.npy'


def test_parquet_schema_and_metadata_match_one(f_template, tmp_path):
    build_both(f_template, tmp_path)
    for table in ('sessions', 'datasets'):
        one_schema = pq.read_schema(tmp_path / 'one_tables' / f'{table}.pqt')
        our_schema = pq.read_schema(tmp_path / 'our_tables' / f'{table}.pqt')
        if table == 'datasets':  # a hash not computed is null-typed (see above)
            assert our_schema.field('hash').type == pa.null()
            our_schema, one_schema = (
                s.remove(s.get_field_index('hash')) for s in (our_schema, one_schema)
            )
        assert our_schema.remove_metadata() == one_schema.remove_metadata()
        one_meta = json.loads(one_schema.metadata[b'one_metadata'])
        our_meta = json.loads(our_schema.metadata[b'one_metadata'])
        assert our_meta.keys() == one_meta.keys()
        assert our_meta['origin'] == str(f_template.resolve())
        one_pandas = json.loads(one_schema.metadata[b'pandas'])
        our_pandas = json.loads(our_schema.metadata[b'pandas'])
        # Every key pandas writes; the two versions name the writers, not the layout.
        assert our_pandas.keys() == one_pandas.keys()
        assert our_pandas['attributes'] == one_pandas['attributes']
        for key in ('index_columns', 'columns', 'column_indexes'):
            assert _except_hash(our_pandas[key]) == _except_hash(one_pandas[key])


def _except_hash(items):
    return [c for c in items if not (isinstance(c, dict) and c.get('name') == 'hash')]


def test_string_ids_match_one(f_template, tmp_path):
    (one_ses, one_ds), (ses, ds) = build_both(f_template, tmp_path, hash_ids=False)
    pd.testing.assert_frame_equal(ses, one_ses)
    kept = one_ds[~one_ds['rel_path'].isin(F_ONE_ONLY)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ds.drop(columns='hash'), kept.drop(columns='hash'))


def test_md5_matches_one(f_template, tmp_path):
    (_, one_ds), (_, ds) = build_both(f_template, tmp_path, hash_files=True)
    one_hash = one_ds.set_index('rel_path', append=True)['hash']
    our_hash = ds.set_index('rel_path', append=True)['hash']
    assert len(our_hash) == len(one_hash) - 1
    assert our_hash.str.fullmatch('[0-9a-f]{32}').all()
    pd.testing.assert_series_equal(our_hash, one_hash.loc[our_hash.index])


def test_default_stable_ids_match_one_by_natural_keys(f_template, tmp_path):
    (one_ses, one_ds), _ = build_both(f_template, tmp_path)
    out = tmp_path / 'stable'
    out.mkdir()
    make_parquet_db(f_template, out_dir=out)
    ses, ds = (pd.read_parquet(out / f'{t}.pqt') for t in ('sessions', 'datasets'))
    one_nat_ses, one_nat_ds = natural(one_ses, one_ds)
    nat_ses, nat_ds = natural(ses, ds)
    pd.testing.assert_frame_equal(nat_ses, one_nat_ses)
    one_nat_ds = one_nat_ds[~one_nat_ds['rel_path'].isin(F_ONE_ONLY)].reset_index(drop=True)
    pd.testing.assert_frame_equal(nat_ds, one_nat_ds)


def test_stable_ids_are_reproducible_unique_and_documented(f_template, tmp_path):
    copy = tmp_path / 'elsewhere' / 'F'
    shutil.copytree(f_template, copy)
    tables = []
    for root in (f_template, copy, copy):
        out = tmp_path / uuid.uuid4().hex
        out.mkdir()
        make_parquet_db(root, out_dir=out)
        tables.append([pd.read_parquet(out / f'{t}.pqt') for t in ('sessions', 'datasets')])
    for ses, ds in tables[1:]:
        pd.testing.assert_frame_equal(ses, tables[0][0])
        pd.testing.assert_frame_equal(ds, tables[0][1])
    ses, ds = tables[0]
    assert ds.index.get_level_values('id').is_unique
    # The scheme the README documents.
    ns = uuid.UUID(STABLE_NAMESPACE)
    assert ns == uuid.uuid5(uuid.NAMESPACE_DNS, 'ids.alf-fast')
    eid = str(uuid.uuid3(ns, 'mylab/SWC_001/2023-01-01/001'))
    did = str(uuid.uuid3(ns, 'mylab/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'))
    assert ses.loc[eid, 'subject'] == 'SWC_001'
    assert ds.loc[(eid, did), 'rel_path'] == 'alf/_ibl_trials.choice.npy'
    assert uuid.UUID(eid).version == 3


def test_one_api_loads_and_searches_our_tables(f_root):
    from one.api import One as OneAPI

    make_parquet_db(f_root)
    one = OneAPI(cache_dir=f_root, mode='local')
    assert len(one.search()) == 5
    eid = one.search(subject='SWC_001', number=1)[0]
    assert isinstance(eid, uuid.UUID)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        trials = one.load_object(eid, 'trials', collection='alf')
    assert trials['choice'].tolist() == [1, -1, 1, 1, -1]
    assert one._cache['datasets']['qc'].cat.categories.tolist() == [
        'NOT_SET',
        'PASS',
        'WARNING',
        'FAIL',
        'CRITICAL',
    ]


def test_in_place_rebuild_replaces_tables_and_leaves_no_temporaries(f_root):
    make_parquet_db(f_root)
    make_parquet_db(f_root, hash_files=True)
    hidden = sorted(p.name for p in f_root.iterdir() if p.is_file() and p.name.startswith('.'))
    # A hashed build keeps the modification times an update needs (alf_fast._update).
    assert hidden == ['.alf_fast_state.parquet']
    assert pd.read_parquet(f_root / 'datasets.pqt')['hash'].notna().all()


def test_returns_paths_like_one(f_root, tmp_path):
    ses, ds = make_parquet_db(str(f_root), out_dir=str(tmp_path))
    assert (ses, ds) == (tmp_path / 'sessions.pqt', tmp_path / 'datasets.pqt')


def test_threads_do_not_change_the_tables(f_template, tmp_path):
    results = []
    for threads in (1, 2, 7):
        out = tmp_path / str(threads)
        out.mkdir()
        make_parquet_db(f_template, out_dir=out, threads=threads)
        results.append([pq.read_table(out / f'{t}.pqt') for t in ('sessions', 'datasets')])
    for other in results[1:]:
        assert other[0].equals(results[0][0]) and other[1].equals(results[0][1])
