"""The tree generators (``alf_fast._corpus`` and ``tests/_trees.py``): determinism, counts,
and that ONE-api indexes and loads what they build (or fails exactly where ``BROKEN_EXPECTED``
says)."""

import hashlib
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from _differential import one_make_parquet_db as index
from _differential import pinned_namespace
from _trees import (
    BROKEN_CASES,
    BROKEN_EXPECTED,
    build_broken_tree,
    build_edge_tree,
    build_fixture_f,
)
from alf_fast._corpus import DEFAULT_LABS, build_demo_tree, build_ibl_tree

REPO = Path(__file__).resolve().parents[1]


def one_api(root):
    from one.api import One

    return One(cache_dir=root, mode='local')


def load(one, method, *args, **kwargs):
    """``one.<method>(*args, **kwargs)`` quietly and without md5 checks.

    The tables' ``hash`` column is ``''``, so by default ONE-api computes and logs a mismatching
    md5 for every file it loads, reading each through a 256 MiB buffer (0.1 s a file).
    """
    return quiet(getattr(one, method), *args, check_hash=False, **kwargs)


def quiet(fn, *args, **kwargs):
    """Call ``fn`` without ONE's per-file md5-mismatch logs and revision warnings."""
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return fn(*args, **kwargs)
    finally:
        logging.disable(logging.NOTSET)


def snapshot(root):
    """``{relative path: ('file', md5) | ('link', target)}`` for everything below ``root``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ('link', os.readlink(p))
            else:
                out[rel] = ('file', hashlib.md5(Path(p).read_bytes()).hexdigest())
    return out


def on_disk(root):
    """Files (and links to files) below ``root``, their total size (links not followed)."""
    n = size = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            n += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return n, size


# ------------------------------------------------------------------------------------------
# Fixture F
# ------------------------------------------------------------------------------------------

F_FILES = {
    'mylab/Subjects/SWC_001/2023-01-01/001/' + p
    for p in (
        'alf/_ibl_trials.intervals.npy',
        'alf/_ibl_trials.choice.npy',
        'alf/_ibl_trials.goCue_times.npy',
        'alf/_ibl_trials.stimOn_times_bpod.npy',
        'alf/#2023-02-01#/_ibl_trials.intervals.npy',
        'alf/#2023-03-01#/_ibl_trials.intervals.npy',
        'alf/wheel.position.npy',
        'alf/wheel.timestamps.npy',
        'alf/probe00/spikes.times.npy',
        'alf/probe00/spikes.clusters.npy',
        'alf/probe01/spikes.times.npy',
        'alf/probe01/spikes.clusters.npy',
        'raw_behavior_data/_iblrig_taskData.raw.jsonable',
        '_ibl_experiment.description.yaml',
        'notalf.txt',
        'README',
        'spike_train.npy',
        '.hiddendir/foo.bar.npy',
        'sub dir/obj.attr.npy',
        'obj.attr.npy.bak',
    )
} | {
    'mylab/Subjects/SWC_001/2023-01-01/002/alf/_ibl_trials.intervals.npy',
    'mylab/Subjects/SWC_002/2023-01-02/001/alf/_ibl_trials.intervals.npy',
    'mylab/Subjects/SWC_002/2023-01-02/001/alf/_ibl_trials.table.pqt',
    'KS005/2022-12-31/1/wheel.position.npy',
    'otherlab/Subjects/ZM_1/2023-01-01/003/alf/_ibl_trials.intervals.npy',
}


def test_fixture_f_has_the_contract_files(tmp_path):
    root = build_fixture_f(tmp_path / 'F')
    assert root == tmp_path / 'F'
    assert set(snapshot(root)) == F_FILES
    s1 = root / 'mylab/Subjects/SWC_001/2023-01-01/001'
    assert (s1 / 'alf/_ibl_trials.intervals.npy').stat().st_size == 208
    assert (s1 / 'alf/_ibl_trials.choice.npy').stat().st_size == 168
    np.testing.assert_array_equal(np.load(s1 / 'alf/wheel.timestamps.npy'), [[0, 10.0], [3, 13.0]])
    import pyarrow.parquet as pq

    table = pq.read_table(root / 'mylab/Subjects/SWC_002/2023-01-02/001/alf/_ibl_trials.table.pqt')
    assert table.to_pydict() == {'a': [1, 2], 'b': [3.0, 4.0]}
    assert str(table.schema.field('a').type) == 'int64'


def test_fixture_f_ids_match_the_contract(tmp_path):
    import pandas as pd

    root = build_fixture_f(tmp_path / 'F')
    index(root)
    ses = pd.read_parquet(root / 'sessions.pqt')
    ds = pd.read_parquet(root / 'datasets.pqt').reset_index()
    assert sorted(ses.index) == [
        '0d3507cd-f190-39bb-9111-17bb3ac2b05e',
        '20a22258-9680-38d6-b9de-0597a3c5bc1d',
        '49d5521b-23f4-37f0-b62e-2ba0b6bbd9bf',
        '7e3f46d9-7ff9-3bfe-a36f-f2ee7b81cc00',
        'e70388ad-6bfe-37d0-a200-ebeeab6833fb',
    ]
    s1 = ds[ds['eid'] == 'e70388ad-6bfe-37d0-a200-ebeeab6833fb']
    assert len(s1) == 17
    ids = dict(zip(s1['rel_path'], s1['id'], strict=True))
    assert ids['obj.attr.npy'] == 'a048d3ec-49d8-332a-883c-38cdcfd20201'
    assert ids['.hiddendir/foo.bar.npy'] == '013ddfdc-cb26-3b1d-be0a-09d3b8272f0b'
    assert len(ds) == 22
    # A table written by pyarrow alone must still be readable by ONE-api's loader.
    one = one_api(root)
    trials = load(one, 'load_object', '49d5521b-23f4-37f0-b62e-2ba0b6bbd9bf', 'trials')
    np.testing.assert_array_equal(trials['a'], [1.0, 2.0])


# ------------------------------------------------------------------------------------------
# Edge tree
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def edge(tmp_path_factory):
    root = tmp_path_factory.mktemp('edge') / 'E'
    info = build_edge_tree(root)
    index(root)
    return root, info


def test_edge_tree_counts_match_disk_and_one_api(edge):
    import pandas as pd

    root, info = edge
    n_files, _ = on_disk(root)
    assert info['files'] == n_files - 2  # minus the two tables ONE-api just wrote
    ses = pd.read_parquet(root / 'sessions.pqt')
    ds = pd.read_parquet(root / 'datasets.pqt')
    assert info['sessions'] == len(ses) == len(info['session_paths'])
    assert info['datasets'] == len(ds)
    assert ds['rel_path'].notna().all()
    for rel in info['session_paths']:
        assert (root / rel).is_dir()
    assert set(info['unloadable_sessions']) < set(info['session_paths'])


def test_edge_tree_has_the_advertised_cases(edge):
    root, info = edge
    files = set(snapshot(root))
    s = 'cortexlab/Subjects/KS023/2019-12-10/001'
    for rel in (
        f'{s}/alf/probe00/pykilosort/spikes.times.npy',
        f'{s}/alf/#2023-01-01#/_ibl_trials.intervals.npy',
        f'{s}/alf/#v1#/_ibl_trials.intervals.npy',
        f'{s}/.hiddendir/foo.bar.npy',
        f'{s}/Obj.Attr.NPY',
        f'{s}/README',
        f'{s}/alf/linked.times.npy',
        'zürichlab/Subjects/sübject/2022-01-01/001/alf/tríals.intervals.npy',
        'extra/notalab/2020-01-01/001/alf/_ibl_trials.intervals.npy',
        'KS005/2022-12-31/001/wheel.position.npy',
        'README.md',
    ):
        assert rel in files, rel
    assert os.path.islink(root / s / 'alf/linked.times.npy')
    assert os.path.islink(root / s / 'alf/linked.dir.d')
    labs = {p.split('/Subjects/')[0] for p in info['session_paths'] if '/Subjects/' in p}
    assert len(labs) >= 5
    assert any('/Subjects/' not in p for p in info['session_paths'])


def test_edge_tree_loads_in_one_api(edge):
    root, info = edge
    one = one_api(root)
    assert len(one.search()) == info['sessions']
    eid = one.path2eid(root / 'cortexlab/Subjects/KS023/2019-12-10/001')
    trials = load(one, 'load_object', eid, 'trials', collection='alf')
    np.testing.assert_array_equal(trials['intervals'], np.ones((5, 2)) * 2)  # #v1# wins
    assert trials['goCue_times_bpod'].shape == (5,)
    eid = one.path2eid(root / 'zürichlab/Subjects/sübject/2022-01-01/001')
    assert load(one, 'load_dataset', eid, 'tríals.intervals.npy').shape == (2, 2)


# ------------------------------------------------------------------------------------------
# Broken trees
# ------------------------------------------------------------------------------------------


def test_broken_cases_are_listed():
    assert BROKEN_CASES == tuple(BROKEN_EXPECTED)
    assert {s for s, _ in BROKEN_EXPECTED.values()} <= {'index', 'tables', 'load', 'warn', 'ok'}
    with pytest.raises(ValueError, match='unknown case'):
        build_broken_tree('/nonexistent', 'nope')


GOOD = 'mylab/Subjects/SWC_001/2023-01-01/001'
GOOD_FILE = f'{GOOD}/alf/_ibl_trials.intervals.npy'
STRUCTURE = {
    'hidden_file_name': {GOOD_FILE, f'{GOOD}/alf/.hidden.x.npy'},
    'space_in_name': {GOOD_FILE, f'{GOOD}/alf/bad name.x.npy'},
    'pyc_name': {GOOD_FILE, f'{GOOD}/__pycache__/m.cpython-311.pyc'},
    'trailing_dot_name': {GOOD_FILE, f'{GOOD}/alf/x.y.z.'},
    'combining_mark_name': {GOOD_FILE, f'{GOOD}/alf/tri\u0301als.intervals.npy'},
    'invalid_collection': {GOOD_FILE, f'{GOOD}/sub dir/obj.attr.npy'},
    'collection_after_revision': {GOOD_FILE, f'{GOOD}/alf/#v1#/sub/a.b.npy'},
    'empty_session': {GOOD_FILE},
    'session_without_datasets': {
        GOOD_FILE,
        'mylab/Subjects/SWC_002/2023-01-02/001/README',
        'mylab/Subjects/SWC_002/2023-01-02/001/alf/notes.txt',
    },
    'only_empty_sessions': set(),
    'invalid_date': {GOOD_FILE, 'sub/2020-13-45/001/alf/x.y.npy'},
    'nested_session': {GOOD_FILE, f'{GOOD}/raw/SWC_002/2020-01-02/002/alf/x.y.npy'},
    'duplicate_session_id': {GOOD_FILE, f'.trash/{GOOD}/alf/x.y.npy'},
    'dangling_symlink': {GOOD_FILE, f'{GOOD}/alf/dangling.link.npy'},
    'subjects_under_root': {GOOD_FILE, 'Subjects/sub/2020-01-01/001/alf/x.y.npy'},
    'unpadded_number': {GOOD_FILE, 'KS005/2022-12-31/1/alf/x.y.npy'},
    'unpadded_and_padded': {
        GOOD_FILE,
        'KS005/2022-12-31/1/alf/x.y.npy',
        'KS005/2022-12-31/001/alf/x.y.npy',
    },
    'no_sessions': {'sub/2020-01-01/x.y.npy', 'sub/a.b.npy', 'c.d.npy'},
    'empty_tree': set(),
    'root_is_session': {'alf/_ibl_trials.intervals.npy'},
    'symlinked_session': {GOOD_FILE, 'mylab/Subjects/SWC_001/2023-01-01/002'},
}


def test_every_broken_case_has_a_structure_check():
    assert set(STRUCTURE) == set(BROKEN_CASES)


@pytest.mark.parametrize('case', BROKEN_CASES)
def test_broken_tree_structure(tmp_path, case):
    root = build_broken_tree(tmp_path / case, case)
    assert set(snapshot(root)) == STRUCTURE[case]
    if case == 'root_is_session':
        assert root == tmp_path / case / 'sub/2020-01-01/001'
    else:
        assert root == tmp_path / case
    if case == 'empty_session':
        assert list((root / 'mylab/Subjects/SWC_002/2023-01-02/001').iterdir()) == []
    if case == 'only_empty_sessions':
        assert (root / GOOD).is_dir() and (root / 'sub/2020-01-01/001').is_dir()


def _raises(fn, name):
    # Matched by name so that pandas and ONE exception classes need not be imported here.
    with pytest.raises(Exception) as info:
        quiet(fn)
    assert name in [c.__name__ for c in type(info.value).__mro__], info.value


@pytest.mark.parametrize('case', BROKEN_CASES)
def test_one_api_behaves_as_broken_expected_says(tmp_path, case):
    stage, name = BROKEN_EXPECTED[case]
    root = build_broken_tree(tmp_path / case, case)
    if stage == 'index':
        _raises(lambda: index(root), name)
        return
    if stage == 'warn':
        import one.alf.cache

        with pinned_namespace():
            with pytest.warns(RuntimeWarning, match='No sessions found'):
                one.alf.cache.make_parquet_db(root)
        return
    index(root)
    if stage == 'tables':
        _raises(lambda: one_api(root), name)
        return
    one = one_api(root)
    eids = one.search()
    if stage == 'ok':
        for eid in eids:
            for rel in one.list_datasets(eid):
                load(one, 'load_dataset', eid, rel)
        return
    # stage == 'load': the good session loads, the broken part does not.
    good = (
        None if case in ('unpadded_and_padded', 'root_is_session') else one.path2eid(root / GOOD)
    )
    if good is not None:
        load(one, 'load_dataset', good, 'alf/_ibl_trials.intervals.npy')
    if case in ('invalid_collection', 'collection_after_revision'):
        bad = 'obj.attr.npy' if case == 'invalid_collection' else 'a.b.npy'
        _raises(lambda: one.load_dataset(good, bad, check_hash=False), name)
    elif case == 'subjects_under_root':
        eid = next(e for e in eids if e != good)
        _raises(lambda: one.load_dataset(eid, 'alf/x.y.npy', check_hash=False), name)
    elif case == 'unpadded_number':
        eid = next(e for e in eids if e != good)
        _raises(lambda: one.load_dataset(eid, 'alf/x.y.npy', check_hash=False), name)
    elif case == 'root_is_session':
        _raises(
            lambda: one.load_dataset(eids[0], 'alf/_ibl_trials.intervals.npy', check_hash=False),
            name,
        )
    elif case == 'unpadded_and_padded':
        _raises(lambda: one.path2eid(root / 'KS005/2022-12-31/001'), name)


# ------------------------------------------------------------------------------------------
# IBL-like trees
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(('n', 'content'), [(3000, 'empty'), (300, 'npy')])
def test_ibl_tree_is_deterministic(tmp_path, n, content):
    # 3000 files is over one 64-session batch, so threaded and serial writers are compared.
    a = build_ibl_tree(tmp_path / 'a', n, content, seed=3)
    b = build_ibl_tree(tmp_path / 'b', n, content, seed=3, threads=1)
    build_ibl_tree(tmp_path / 'c', n, content, seed=4)
    assert a == b
    assert snapshot(tmp_path / 'a') == snapshot(tmp_path / 'b')
    assert snapshot(tmp_path / 'a') != snapshot(tmp_path / 'c')


@pytest.mark.parametrize(('n', 'content'), [(1, 'empty'), (10, 'npy'), (1234, 'empty')])
def test_ibl_tree_counts_match_disk(tmp_path, n, content):
    counts = build_ibl_tree(tmp_path, n, content, labs=3)
    assert on_disk(tmp_path) == (n, counts['bytes'])
    assert counts['files'] == counts['datasets'] == n
    sessions = {p.parent for p in tmp_path.rglob('_ibl_trials.intervals.npy')}
    sessions = {p.parent for p in sessions if p.name == 'alf'}
    assert counts['sessions'] == len(sessions)
    labs = {p.name for p in tmp_path.iterdir()}
    assert counts['labs'] == len(labs) and labs <= set(DEFAULT_LABS[:3])
    if content == 'empty':
        assert counts['bytes'] == 0


def test_ibl_tree_layout(tmp_path):
    counts = build_ibl_tree(tmp_path, 74_000 // 20, labs=['cortexlab'])
    # About 37 files per session.
    assert 33 < counts['files'] / counts['sessions'] < 41
    sessions = sorted(tmp_path.glob('cortexlab/Subjects/*/*/*'))
    assert len(sessions) == counts['sessions']
    first = sessions[0]
    assert first.name == '001'
    assert first.parent.name[:2] in ('20',)
    assert (first / 'alf/_ibl_trials.goCue_times.npy').exists()
    assert (first / 'raw_behavior_data/_iblrig_taskData.raw.jsonable').exists()
    assert any(tmp_path.rglob('#20*#'))
    assert any(tmp_path.rglob('probe01'))
    assert any(p.name == '002' for p in sessions)
    with pytest.raises(ValueError, match='n_files'):
        build_ibl_tree(tmp_path / 'x', 0)
    with pytest.raises(ValueError, match='content'):
        build_ibl_tree(tmp_path / 'x', 5, 'csv')


@pytest.fixture(scope='module')
def ibl_npy(tmp_path_factory):
    root = tmp_path_factory.mktemp('ibl') / 'T'
    counts = build_ibl_tree(root, 500, 'npy')
    index(root)
    return root, counts


def test_ibl_npy_tree_indexes_and_loads_in_one_api(ibl_npy):
    root, counts = ibl_npy
    one = one_api(root)
    eids = one.search()
    assert len(eids) == counts['sessions']
    assert len(one._cache['datasets']) == counts['datasets']
    for eid in eids:
        trials = load(one, 'load_object', eid, 'trials', collection='alf')
        n = len(trials['choice'])
        assert n >= 300
        assert all(len(v) == n for v in trials.values()), eid
        assert set(np.unique(trials['choice'])) <= {-1.0, 0.0, 1.0}
        assert np.all(np.diff(trials['intervals'][:, 0]) > 0)
        assert set(np.unique(trials['feedbackType'])) <= {-1, 1}


def test_ibl_npy_objects_load_with_one_alf_io(ibl_npy):
    from one.alf.io import load_object

    root, _ = ibl_npy
    ses = next(p.parent.parent for p in sorted(root.rglob('probe00')))
    trials = quiet(load_object, ses / 'alf', 'trials')
    assert trials.check_dimensions == 0
    assert 'intervals_bpod' in trials and 'quiescencePeriod' in trials
    wheel = quiet(load_object, ses / 'alf', 'wheel')
    assert wheel.check_dimensions == 0
    assert np.all(np.diff(wheel['timestamps']) >= 0)
    spikes = quiet(load_object, ses / 'alf/probe00', 'spikes')
    assert spikes.check_dimensions == 0
    clusters = quiet(load_object, ses / 'alf/probe00', 'clusters')
    assert clusters.check_dimensions == 0
    assert spikes['clusters'].max() < len(clusters['depths'])


# ------------------------------------------------------------------------------------------
# Demo tree and CLI
# ------------------------------------------------------------------------------------------


def test_demo_tree(tmp_path):
    root = build_demo_tree(tmp_path / 'demo')
    assert snapshot(root) == snapshot(build_demo_tree(tmp_path / 'again'))
    index(root)
    one = one_api(root)
    eids = one.search()
    assert len(eids) == 20
    assert len(one.list_subjects()) == 6
    assert len(set(one._cache['sessions']['lab'])) == 3
    assert len(list(root.rglob('#*#'))) == 1
    assert len(list(root.rglob('probe00'))) == 1
    for eid in eids:
        trials = load(one, 'load_object', eid, 'trials')
        assert set(np.unique(trials['choice'])) <= {-1.0, 0.0, 1.0}
        assert np.all(np.diff(trials['intervals'], axis=0) > 0)
        wheel = load(one, 'load_object', eid, 'wheel')
        assert np.all(np.diff(wheel['timestamps']) >= 0)


def test_make_tree_cli(tmp_path):
    script = REPO / 'benches/make_tree.py'
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / 't'), '--files', '100', '--seed', '2'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'files=100' in out and 'datasets=100' in out and 'seconds=' in out
    assert on_disk(tmp_path / 't')[0] == 100
    again = subprocess.run(
        [sys.executable, str(script), str(tmp_path / 't'), '--files', '5'],
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0 and 'not empty' in again.stderr
