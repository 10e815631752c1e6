"""Differential check of the compatible face, ``alf_fast.one``, against ONE-api 3.6.1.

Every public local-mode call runs in both on the same ONE-made tables, and the results must be
of ONE's own types: pandas frames with ONE's index, column order and dtypes, pandas Series
records named by their index, ``uuid.UUID`` ids, numpy arrays. Nothing is normalised except
the documented differences (README, "Differences from ONE-api"), which are listed where used.
"""

from __future__ import annotations

import datetime
import logging
import subprocess
import sys
import uuid
import warnings
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import pytest

from _differential import assert_same_error, call

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'  # mylab/SWC_001/2023-01-01/001
EID3 = '49d5521b-23f4-37f0-b62e-2ba0b6bbd9bf'  # mylab/SWC_002/2023-01-02/001 (table.pqt)
KS005 = '20a22258-9680-38d6-b9de-0597a3c5bc1d'
UNKNOWN = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'


def assert_exact(ours, theirs, where='result'):
    """Equal values of the same types, recursively (frames and series with their dtypes)."""
    if isinstance(theirs, pd.DataFrame):
        assert type(ours) is pd.DataFrame, f'{where}: {type(ours)} is not a pandas DataFrame'
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    elif isinstance(theirs, pd.Series):
        assert type(ours) is pd.Series, f'{where}: {type(ours)} is not a pandas Series'
        pd.testing.assert_series_equal(ours, theirs, check_exact=True)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), where
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, where
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict), f'{where}: {type(ours)} is not a dict'
        assert list(ours) == list(theirs), where
        for key in theirs:
            assert_exact(ours[key], theirs[key], f'{where}[{key!r}]')
    elif isinstance(theirs, PurePath):
        # Our ALFPath classes are not ONE's: the same class names, methods and values.
        assert type(ours).__name__ == type(theirs).__name__, (where, type(ours), type(theirs))
        assert str(ours) == str(theirs), where
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_exact(a, b, f'{where}[{i}]')
    else:
        assert type(ours) is type(theirs), (where, type(ours), type(theirs))
        assert ours == theirs or (ours != ours and theirs != theirs), (where, ours, theirs)


def same(ref, fast, method, *args, **kwargs):
    """Call `method` on both; the values (or the errors) must be the same."""
    theirs = call(getattr(ref, method), *args, **kwargs)
    ours = call(getattr(fast, method), *args, **kwargs)
    if theirs.error is not None:
        assert_same_error(theirs, ours)
        return None
    assert ours.error is None, ours.error
    assert_exact(ours.value, theirs.value, f'{method}{args}')
    return ours.value


@pytest.fixture
def pair(f_template):
    from one.api import One as RefOne

    from alf_fast.one.api import One

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return RefOne(cache_dir=f_template, mode='local'), One(cache_dir=f_template)


@pytest.fixture(autouse=True)
def quiet_logs(caplog):
    caplog.set_level(logging.CRITICAL, logger='one')


# --- construction and tables -----------------------------------------------------------------


def test_cache_tables_are_ones(pair):
    ref, fast = pair
    for name in ('sessions', 'datasets'):
        assert_exact(fast._cache[name], ref._cache[name], name)
        assert_exact(getattr(fast._cache, name), getattr(ref._cache, name), name)
    assert set(fast._cache['_meta']) == set(ref._cache['_meta'])
    assert repr(fast).replace('alf_fast', 'one') == repr(ref)


def test_assigning_a_pandas_table(pair):
    """Scripts narrow ``one._cache`` with pandas; the engine then works on the new table."""
    ref, fast = pair
    for one in pair:
        datasets = one._cache['datasets']
        one._cache['datasets'] = datasets[datasets['rel_path'].str.startswith('alf/')]
    assert_exact(fast._cache['datasets'], ref._cache['datasets'])
    same(ref, fast, 'list_datasets', EID)
    same(ref, fast, 'search', datasets='wheel.position.npy')


# --- searching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'subject': 'SWC'},
        {'lab': 'mylab', 'number': 1},
        {'date_range': ['2023-01-01', '2023-01-02']},
        {'datasets': '_ibl_trials.intervals.npy'},
        {'datasets': ['spikes.times.npy', 'spikes.clusters.npy']},
        {'bad_term': 1},
    ],
)
def test_search(pair, kwargs):
    ref, fast = pair
    same(ref, fast, 'search', **kwargs)
    same(ref, fast, 'search', details=True, **kwargs)


def test_search_bad_pattern(pair):
    """Documented: a malformed pattern raises InvalidPattern (a ValueError and an re.error)
    naming it; ONE-api lets pyarrow's ArrowInvalid through."""
    import re

    ref, fast = pair
    assert call(ref.search, subject='[').error is not None
    with pytest.raises(re.error, match=r"'\[' for search term \"subject\""):
        fast.search(subject='[')


def test_sessions(pair):
    ref, fast = pair
    same(ref, fast, 'list_subjects')
    same(ref, fast, 'search_terms')
    for eid in (EID, uuid.UUID(KS005)):
        same(ref, fast, 'get_details', eid)
        same(ref, fast, 'get_details', eid, full=True)
    same(ref, fast, 'get_details', UNKNOWN)


# --- listing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'details': True},
        {'collection': 'alf', 'details': True},
        {'filename': '*intervals*', 'details': True},
        {'revision': '2023-02-01', 'details': True},
        {'details': True, 'keep_eid_index': True},
        {'qc': 'PASS', 'details': True},
    ],
)
def test_list_datasets(pair, kwargs):
    ref, fast = pair
    same(ref, fast, 'list_datasets', EID, **kwargs)
    same(ref, fast, 'list_datasets', None, **kwargs)


def test_list_collections_and_revisions(pair):
    ref, fast = pair
    for method in ('list_collections', 'list_revisions'):
        same(ref, fast, method, EID)
        same(ref, fast, method, EID, details=True)
        same(ref, fast, method, details=True)
    same(ref, fast, 'list_datasets', [EID, EID3], details=True)


# --- conversions -----------------------------------------------------------------------------


def test_conversions(pair, f_template):
    ref, fast = pair
    session = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001'
    same(ref, fast, 'to_eid', EID)
    same(ref, fast, 'to_eid', session)
    same(ref, fast, 'eid2path', EID)
    same(ref, fast, 'path2eid', session)
    same(ref, fast, 'path2record', session)
    same(ref, fast, 'path2record', session / 'alf/_ibl_trials.choice.npy')
    same(ref, fast, 'path2record', [session, session / 'alf/_ibl_trials.choice.npy'])
    same(ref, fast, 'eid2ref', EID)
    same(ref, fast, 'eid2ref', EID, as_dict=False)
    same(ref, fast, 'ref2eid', '2023-01-01_1_SWC_001')
    same(ref, fast, 'ref2path', '2023-01-01_1_SWC_001')
    same(ref, fast, 'path2ref', session)
    same(ref, fast, 'is_exp_ref', '2023-01-01_1_SWC_001')
    same(ref, fast, 'ref2dict', '2023-01-01_1_SWC_001')
    same(ref, fast, 'dict2ref', {'subject': 'a', 'date': '2020-01-01', 'sequence': '1'})
    # Records as ONE gives them (Series named (eid, id), frames) are accepted back.
    record = ref.list_datasets(EID, details=True, keep_eid_index=True).iloc[0]
    assert fast.record2path(record) == ref.record2path(record)
    frame = ref.list_datasets(EID, details=True, keep_eid_index=True)
    assert fast.record2path(frame) == ref.record2path(frame)
    assert fast.record2path(fast.path2record(session / 'alf/_ibl_trials.choice.npy')) == (
        session / 'alf/_ibl_trials.choice.npy'
    )


# --- loading ---------------------------------------------------------------------------------


def test_loads(pair):
    ref, fast = pair
    same(ref, fast, 'load_object', EID, 'trials', collection='alf', revision='2023-02-01')
    same(ref, fast, 'load_dataset', EID, '_ibl_trials.choice.npy')
    same(ref, fast, 'load_datasets', EID, ['_ibl_trials.choice.npy', 'wheel.position.npy'])
    same(ref, fast, 'load_collection', EID, 'alf/probe00')
    same(ref, fast, 'load_object', EID, 'nothing')
    same(ref, fast, 'load_dataset', UNKNOWN, 'x.y.npy')


def test_load_table_file(pair):
    """``.pqt`` contents are pandas frames, as ONE reads them."""
    ref, fast = pair
    same(ref, fast, 'load_dataset', EID3, '_ibl_trials.table.pqt')
    frame = ref.list_datasets(EID3, details=True, keep_eid_index=True)
    same(ref, fast, 'load_datasets', EID3, frame)


def test_load_dataset_from_id(pair):
    ref, fast = pair
    dset_id = ref.list_datasets(EID, filename='_ibl_trials.choice.npy', details=True).index[0]
    same(ref, fast, 'load_dataset_from_id', dset_id, details=True)
    same(ref, fast, 'load_dataset_from_id', str(dset_id), download_only=True)


def test_loaded_arrays_are_writable(pair):
    """ONE returns writable arrays; scripts write into them (``x[np.isnan(x)] = 0``)."""
    ref, fast = pair
    for one in pair:
        data = one.load_dataset(EID, '_ibl_trials.choice.npy')
        data[0] = 7
        with pytest.warns(Warning, match='Multiple revisions'):  # ONE's, from this fixture
            trials = one.load_object(EID, 'trials', collection='alf', revision='2023-02-01')
        trials['intervals'] *= -1
    again = fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert_exact(again, ref.load_dataset(EID, '_ibl_trials.choice.npy'))  # files untouched


def test_record_loaded_and_save_loaded_ids(pair, tmp_path):
    ref, fast = pair
    for one in pair:
        one._tables_dir = tmp_path
        one.record_loaded = True
        one.load_dataset(EID, '_ibl_trials.choice.npy')
        one.load_dataset(EID3, '_ibl_trials.table.pqt')
    for sessions_only in (True, False):
        ids, file = fast.save_loaded_ids(sessions_only=sessions_only, clear_list=False)
        ref_ids, ref_file = ref.save_loaded_ids(sessions_only=sessions_only, clear_list=False)
        assert sorted(ids) == sorted(ref_ids)
        assert sorted(pd.read_csv(file).iloc[:, 0]) == sorted(pd.read_csv(ref_file).iloc[:, 0])
    fast.save_loaded_ids()
    with pytest.warns(UserWarning, match='No datasets loaded'):
        assert fast.save_loaded_ids() == ([], None)


def test_save_cache(f_root):
    """Modified tables are saved in ONE's format: ONE-api reads them back."""
    from one.api import One as RefOne

    from alf_fast.one.api import One

    fast = One(cache_dir=f_root)
    fast.save_cache()  # not modified: nothing written
    assert not list(f_root.glob('.*.tmp'))
    datasets = fast._cache['datasets']
    changed = datasets.assign(exists=datasets['rel_path'].str.startswith('alf/'))
    fast._cache['datasets'] = changed
    fast.save_cache()  # as in ONE, assigning a table does not mark the cache modified
    assert One(cache_dir=f_root)._cache['datasets']['exists'].all()
    fast._cache['_meta']['modified_time'] = datetime.datetime.now()
    fast.save_cache()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ref = RefOne(cache_dir=f_root, mode='local')
    assert_exact(ref._cache['datasets'], changed)
    assert_exact(One(cache_dir=f_root)._cache['datasets'], changed)


# --- modules ---------------------------------------------------------------------------------


def test_module_layout():
    """Every public name of ONE's local-mode modules exists under alf_fast.one."""
    import importlib

    modules = {
        'api': ['One', 'ONE'],
        'alf.cache': [
            'make_parquet_db',
            'load_tables',
            'merge_tables',
            'remove_missing_datasets',
            'remove_table_files',
            'default_cache',
            'cast_index_object',
            'QC_TYPE',
            'EMPTY_DATASETS_FRAME',
            'EMPTY_SESSIONS_FRAME',
            'SESSIONS_COLUMNS',
            'DATASETS_COLUMNS',
        ],
        'alf.io': [*importlib.import_module('alf_fast.io').__all__],
        'alf.spec': ['SPEC_DESCRIPTION', 'describe', 'QC', 'regex', 'is_valid', 'to_alf'],
        'alf.path': ['ALFPath', 'get_session_path', 'rel_path_parts', 'session_path_parts'],
        'alf.exceptions': ['ALFError', 'ALFObjectNotFound', 'ALFMultipleObjectsFound'],
        'converters': ['session_record2path', 'path_from_dataset', 'one_path_from_dataset'],
        'util': ['filter_datasets', 'filter_revision_last_before', 'autocomplete'],
    }
    for module, names in modules.items():
        ours = importlib.import_module(f'alf_fast.one.{module}')
        theirs = importlib.import_module(f'one.{module}')
        for name in names:
            assert hasattr(ours, name), f'alf_fast.one.{module}.{name}'
            assert hasattr(theirs, name), f'one.{module}.{name} (the check is stale)'


def test_cache_module(f_template, tmp_path):
    import one.alf.cache as theirs

    import alf_fast.one.alf.cache as ours

    for name in ('EMPTY_DATASETS_FRAME', 'EMPTY_SESSIONS_FRAME'):
        assert_exact(getattr(ours, name), getattr(theirs, name))
    assert ours.QC_TYPE == theirs.QC_TYPE
    assert ours.DATASETS_COLUMNS.keys() == theirs.DATASETS_COLUMNS.keys()
    assert ours.SESSIONS_COLUMNS.keys() == theirs.SESSIONS_COLUMNS.keys()
    tables, ref_tables = ours.load_tables(f_template), theirs.load_tables(f_template)
    for name in ('sessions', 'datasets'):
        assert_exact(tables[name], ref_tables[name])
    # merge_tables: update one row and add another, in both.
    new = ref_tables['datasets'].iloc[:2].copy()
    new.loc[new.index[0], 'exists'] = False
    new.index = pd.MultiIndex.from_tuples(
        [new.index[0], (new.index[1][0], uuid.UUID(UNKNOWN))], names=['eid', 'id']
    )
    for module, cache in ((ours, tables), (theirs, ref_tables)):
        assert module.merge_tables(cache, datasets=new.copy(), origin='test') is not None
    assert_exact(tables['datasets'], ref_tables['datasets'])
    assert tables['_meta']['raw']['datasets']['origin'] == {str(f_template), 'test'}


def test_remove_missing_datasets(f_root, capsys):
    """Deliberate fix: ONE lists every dataset (it tests the column's index, not its values);
    we list only the files the tables do not have, and unlisted session folders."""
    import alf_fast.one.alf.cache as ours

    extra = f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/extra.file.npy'
    extra.write_bytes(b'')
    lost = f_root / 'mylab/Subjects/SWC_009/2023-01-01/001/alf/lost.file.npy'
    lost.parent.mkdir(parents=True)
    lost.write_bytes(b'')
    empty = f_root / 'mylab/Subjects/SWC_010/2023-01-01/001'
    empty.mkdir(parents=True)
    found = ours.remove_missing_datasets(f_root, dry=True)
    # As in ONE: files at the top of each session, and session folders not in the table.
    assert found == sorted([extra, lost.parents[1], empty])
    assert extra.exists()
    ours.remove_missing_datasets(f_root, dry=False)
    # Folders are removed only when empty, with their emptied parents.
    assert not extra.exists() and lost.exists() and not empty.parents[1].exists()
    assert (f_root / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy').exists()
    assert (f_root / 'KS005/2022-12-31/1/wheel.position.npy').exists()  # unpadded, in the table


def test_io_tables_are_pandas(f_template):
    from one.alf import io as theirs

    from alf_fast.one.alf import io as ours

    session = f_template / 'mylab/Subjects/SWC_002/2023-01-02/001/alf'
    table = session / '_ibl_trials.table.pqt'
    assert_exact(ours.load_file_content(table), theirs.load_file_content(table))
    trials = ours.load_object(session, 'trials')
    ref_trials = theirs.load_object(session, 'trials')
    assert isinstance(trials, ours.AlfBunch)
    assert_exact(dict(trials), dict(ref_trials))
    ours_df, ref_df = call(trials.to_df), call(ref_trials.to_df)
    assert_same_error(ref_df, ours_df)  # inconsistent sizes in this fixture
    trials.pop('intervals'), ref_trials.pop('intervals')
    assert_exact(trials.to_df(), ref_trials.to_df())
    for sep, ext in ((',', 'csv'), ('\t', 'tsv')):
        path = f_template.parent / f'obj.attr.{ext}'
        path.write_text(f'a{sep}b\n1{sep}x\n2{sep}y\n')
        assert_exact(ours.load_file_content(path), theirs.load_file_content(path))
        path.write_text('a\n1\n2\n')
        assert_exact(ours.load_file_content(path), theirs.load_file_content(path))


def test_util_filter_datasets(pair):
    import one.util as theirs

    import alf_fast.one.util as ours

    ref, _ = pair
    datasets = ref._cache['datasets']
    for kwargs in (
        {'filename': '*intervals*', 'wildcards': True, 'assert_unique': False},
        {'collection': 'alf', 'revision_last_before': False},
        {'filename': {'object': 'spikes'}, 'collection': 'alf/probe00', 'assert_unique': False},
        {'filename': '_ibl_trials.intervals.npy', 'collection': 'alf'},
    ):
        ours_out = call(ours.filter_datasets, datasets, **kwargs)
        ref_out = call(theirs.filter_datasets, datasets, **kwargs)
        if ref_out.error is not None:
            assert_same_error(ref_out, ours_out, unordered=True)
        else:
            assert_exact(ours_out.value, ref_out.value, str(kwargs))
    for value in ('2020-01-01', ['2020-01-01'], ['2020-01-01', None], [None, '2021-02-03']):
        assert ours.validate_date_range(value) == theirs.validate_date_range(value)


def test_converters_and_spec(capsys):
    import one.alf.spec as their_spec
    import one.converters as theirs

    import alf_fast.one.alf.spec as our_spec
    import alf_fast.one.converters as ours

    record = {'lab': 'l', 'subject': 's', 'date': '2020-01-01', 'number': 2}
    for root in (None, '/data'):
        assert_exact(
            ours.session_record2path(record, root), theirs.session_record2path(record, root)
        )
    dset = {
        'url': 'https://alyx/datasets/' + UNKNOWN,
        'file_records': [
            {
                'data_repository': 'r',
                'data_repository_path': '/repo/',
                'relative_path': 'l/Subjects/s/2020-01-01/002/alf/a.b.npy',
                'data_url': 'https://x',
            }
        ],
    }
    for kwargs in ({}, {'uuid': True}, {'root_path': '/data'}, {'repository': 'r'}):
        assert ours.path_from_dataset(dset, **kwargs) == theirs.path_from_dataset(dset, **kwargs)
    assert ours.one_path_from_dataset(dset, '/d') == theirs.one_path_from_dataset(dset, '/d')
    # Our own wording of each part; the same parts and the same printed layout.
    assert our_spec.SPEC_DESCRIPTION.keys() == their_spec.SPEC_DESCRIPTION.keys()
    for part in ('collection', 'extra'):
        our_spec.describe(part)
        ours_lines = capsys.readouterr().out.splitlines()
        their_spec.describe(part)
        their_lines = capsys.readouterr().out.splitlines()
        assert ours_lines[:4] == their_lines[:4]
    with pytest.raises(ValueError, match='Unknown ALF part'):
        our_spec.describe('bad')


def test_factory_and_setup(f_template, tmp_path):
    from alf_fast.one.api import ONE, One

    one = ONE(mode='local', cache_dir=f_template)
    assert isinstance(one, One) and isinstance(one._cache['datasets'], pd.DataFrame)
    with pytest.raises(ValueError, match='base_url'):
        ONE(base_url='https://alyx.org', cache_dir=f_template)
    ONE.cache_clear()
    set_up = One.setup(f_template, silent=True)
    assert isinstance(set_up, One) and isinstance(set_up._cache.sessions, pd.DataFrame)


def test_logs_use_ones_logger_names(f_root, caplog):
    """Logging set up for ONE (``logging.getLogger('one')``) captures our messages."""
    from alf_fast.one.api import One

    table = f_root / 'datasets.pqt'
    fast = One(cache_dir=f_root)
    datasets = fast._cache['datasets']
    fast._cache['datasets'] = datasets.assign(hash='0' * 32)
    caplog.set_level(logging.WARNING, logger='one')
    fast.load_dataset(EID, '_ibl_trials.choice.npy')
    assert [r.name for r in caplog.records if 'md5 mismatch' in r.getMessage()] == ['one.api']
    assert table.exists()


def test_missing_pandas_names_the_extra(tmp_path):
    """Without pandas, importing the compatible face says which extra to install."""
    code = (
        'import sys; sys.modules["pandas"] = None\n'
        'import alf_fast\n'
        'try:\n'
        '    import alf_fast.one.api\n'
        'except ImportError as e:\n'
        '    print(e)\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "pip install 'alf-fast[pandas]'" in out.stdout


def test_compat_face_paths_are_alfpaths(pair, f_template):
    ref, fast = pair
    path = fast.load_dataset(EID, '_ibl_trials.choice.npy', download_only=True)
    assert type(path).__name__ == 'PosixALFPath'
    assert Path(path) == Path(ref.load_dataset(EID, '_ibl_trials.choice.npy', download_only=True))
