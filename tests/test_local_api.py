"""The rest of ONE's local API on the polars face: saving tables and loaded ids, merging
tables, the util and converters modules, ONE(mode='local')."""

from __future__ import annotations

import datetime
import logging
import subprocess
import sys
import uuid
import warnings

import polars as pl
import pytest

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
UNKNOWN = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'


def test_save_cache_round_trip(f_root):
    """Saved tables are ONE's format: ONE-api and we read back what was saved."""
    from one.api import One as RefOne

    from alf_fast import One

    one = One(cache_dir=f_root)
    before = (f_root / 'datasets.pqt').stat().st_mtime_ns
    one.save_cache()  # not modified since loaded: nothing written
    assert (f_root / 'datasets.pqt').stat().st_mtime_ns == before
    datasets = one._cache['datasets']
    one._engine.set_table('datasets', datasets.with_columns(exists=pl.col('eid') == EID))
    one.save_cache()
    assert not list(f_root.glob('.*.tmp')) and not (f_root / '.alf_fast.lock').exists()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ref = RefOne(cache_dir=f_root, mode='local')
    eids = {str(e) for e, _ in ref._cache['datasets'].index[ref._cache['datasets']['exists']]}
    assert eids == {EID}
    again = One(cache_dir=f_root)._cache['datasets']
    assert again.equals(one._cache['datasets'])
    assert one._cache['_meta']['saved_time'] is not None


def test_save_cache_merges_into_existing(f_root, tmp_path):
    """Without clobber, rows of the tables on disk that we do not hold are kept."""
    from alf_fast import One

    one = One(cache_dir=f_root)
    full = one._cache['datasets'].height
    one._engine.set_table('datasets', one._cache['datasets'].filter(pl.col('eid') == EID))
    one.save_cache()
    assert One(cache_dir=f_root)._cache['datasets'].height == full
    one._cache['_meta']['modified_time'] = datetime.datetime.now()
    one.save_cache(clobber=True)
    assert One(cache_dir=f_root)._cache['datasets'].height < full


def test_save_on_delete(f_root):
    """ONE_SAVE_ON_DELETE=1 saves modified tables when a One is deleted (read at import)."""
    code = (
        'import polars as pl\n'
        'from alf_fast import One\n'
        f'one = One(cache_dir={str(f_root)!r})\n'
        "t = one._cache['datasets']\n"
        "one._engine.set_table('datasets', t.with_columns(exists=pl.lit(False)))\n"
        'del one\n'
    )
    env = {**__import__('os').environ, 'ONE_SAVE_ON_DELETE': '1'}
    subprocess.run([sys.executable, '-c', code], env=env, timeout=120, check=True)
    from alf_fast import One

    assert not One(cache_dir=f_root)._cache['datasets'].get_column('exists').any()


def test_save_loaded_ids(one_fast, tmp_path):
    one_fast._tables_dir = tmp_path
    one_fast.record_loaded = True
    one_fast.load_dataset(EID, '_ibl_trials.choice.npy')
    ids, file = one_fast.save_loaded_ids(sessions_only=True, clear_list=False)
    assert list(ids) == [uuid.UUID(EID)]
    assert pl.read_csv(file).to_dict(as_series=False) == {'session_uuid': [EID]}
    ids, file = one_fast.save_loaded_ids()
    assert len(ids) == 1 and file.name.endswith('_loaded_dataset_uuids.csv')
    with pytest.warns(UserWarning, match='No datasets loaded'):
        assert one_fast.save_loaded_ids() == ([], None)


def test_merge_tables(f_template):
    from alf_fast.cache import load_tables, merge_tables

    cache = load_tables(f_template)
    table = cache['datasets']
    first = table.row(0, named=True)
    update = pl.DataFrame([{**first, 'exists': False}, {**first, 'id': UNKNOWN.upper()}])
    assert merge_tables(cache, datasets=update.drop('hash'), origin='test') is not None
    merged = cache['datasets']
    assert merged.height == table.height + 1
    assert merged.filter(pl.col('id') == first['id'], pl.col('eid') == first['eid'])[
        'exists'
    ].to_list() == [False]
    assert merged.filter(pl.col('id') == UNKNOWN)['hash'].to_list() == [None]
    assert merged.get_column('eid').is_sorted()
    assert 'test' in cache['_meta']['raw']['datasets']['origin']
    with pytest.raises(KeyError, match='not in cache'):
        merge_tables(cache, other=update)
    with pytest.raises(AssertionError):
        merge_tables(cache, strict=True, datasets=update.drop('hash'))


def test_util_and_converters_modules():
    import alf_fast.converters as converters
    import alf_fast.util as util
    from alf_fast import _filters

    assert util.filter_datasets is _filters.filter_datasets
    assert util.ensure_list('a') == ['a'] and util.ensure_list(['a']) == ['a']
    assert util.autocomplete('subj', ('subject', 'lab')) == 'subject'
    record = {'lab': None, 'subject': 's', 'date': datetime.date(2020, 1, 2), 'number': 3}
    assert str(converters.session_record2path(record)) == 's/2020-01-02/003'
    fr = {'data_repository_path': '/r/', 'relative_path': 's/2020-01-02/003/a.b.npy'}
    assert str(converters.path_from_filerecord(fr, '/d')) == '/d/r/s/2020-01-02/003/a.b.npy'


def test_one_factory_local(f_template):
    from alf_fast import ONE, One

    ONE.cache_clear()
    one = ONE(mode='local', cache_dir=f_template)
    assert isinstance(one, One) and one.search()
    ONE.cache_clear()


def test_loggers_are_ones(one_fast, caplog):
    """Logging configured for ONE captures the polars face's messages too."""
    caplog.set_level(logging.WARNING, logger='one')
    datasets = one_fast._cache['datasets']
    one_fast._engine.set_table('datasets', datasets.with_columns(hash=pl.lit('0' * 32)))
    one_fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert {r.name for r in caplog.records if 'md5' in r.getMessage()} == {'one.api'}
