"""Incremental re-indexing (``update=True``): the result equals a full rebuild, only new and
changed files are hashed, and anything the update cannot trust means a full rebuild."""

import hashlib
import os
import shutil
import subprocess
import sys
import warnings

import pyarrow.parquet as pq
import pytest

from alf_fast import _update
from alf_fast._corpus import build_ibl_tree
from alf_fast.cache import build_cache, make_parquet_db
from conftest import one_make_parquet_db


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'data'
    build_ibl_tree(root, 300, content='npy', seed=3)
    return root


def tables(folder):
    """Both tables' contents (metadata aside: it holds the creation time)."""
    return {
        name: pq.read_table(folder / f'{name}.pqt').replace_schema_metadata(None)
        for name in ('sessions', 'datasets')
    }


def session_paths(root):
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.glob('*/Subjects/*/*/*')
        if p.is_dir() and (p / 'alf').exists()
    )


def change_tree(root):
    """Modify, add and remove files and sessions; return what the summary should say."""
    sessions = session_paths(root)
    s0, s1, gone = sessions[0], sessions[1], sessions[-1]
    name0 = s0.replace('/Subjects/', '/')
    # Modified: new content and size.
    (root / s0 / 'alf/_ibl_wheel.position.npy').write_bytes(b'changed content')
    # Modified with the same size: only the mtime tells.
    same = root / s1 / 'alf/_ibl_trials.choice.npy'
    data = bytearray(same.read_bytes())
    data[-1] ^= 0xFF
    same.write_bytes(bytes(data))
    st = same.stat()
    os.utime(same, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    # Added: a file in an existing session and a new session.
    (root / s0 / 'alf/_ibl_extra.new.npy').write_bytes(b'new file')
    new_session = 'newlab/Subjects/NEW_001/2024-01-01/001'
    (root / new_session / 'alf').mkdir(parents=True)
    (root / new_session / 'alf/spikes.times.npy').write_bytes(b'12345')
    # Removed: a file and a whole session.
    (root / s0 / 'alf/licks.times.npy').unlink()
    shutil.rmtree(root / gone)
    return {
        's0': name0,
        's1': s1.replace('/Subjects/', '/'),
        'gone': gone.replace('/Subjects/', '/'),
        'new': 'newlab/NEW_001/2024-01-01/001',
    }


def test_update_equals_a_full_rebuild_and_hashes_only_changes(tree, tmp_path):
    make_parquet_db(tree, hash_files=True)
    n_gone = sum(1 for p in (tree / session_paths(tree)[-1]).rglob('*') if p.is_file())
    names = change_tree(tree)

    report = build_cache(tree, hash_files=True, update=True)
    full = tmp_path / 'full'
    full.mkdir()
    make_parquet_db(tree, out_dir=full, hash_files=True)
    assert tables(tree) == tables(full)

    u = report.update
    assert u.full_rebuild is None
    assert u.sessions_added == [names['new']]
    assert u.sessions_removed == [names['gone']]
    assert u.datasets_added == sorted(
        [f'{names["s0"]}/alf/_ibl_extra.new.npy', f'{names["new"]}/alf/spikes.times.npy']
    )
    assert u.datasets_modified == sorted(
        [f'{names["s0"]}/alf/_ibl_wheel.position.npy', f'{names["s1"]}/alf/_ibl_trials.choice.npy']
    )
    removed = [d for d in u.datasets_removed if not d.startswith(names['gone'])]
    assert removed == [f'{names["s0"]}/alf/licks.times.npy']
    assert len(u.datasets_removed) == n_gone + 1
    # Only the two modified and two new files were read.
    assert u.files_hashed == 4
    assert u.bytes_hashed == len(b'changed content') + len(b'new file') + 5 + (
        (tree / names['s1'].replace('/', '/Subjects/', 1) / 'alf/_ibl_trials.choice.npy')
        .stat()
        .st_size
    )
    # The same-size change got its new md5.
    ds = pq.read_table(tree / 'datasets.pqt').to_pylist()
    choice = [d for d in ds if d['rel_path'] == 'alf/_ibl_trials.choice.npy']
    path = tree / names['s1'].replace('/', '/Subjects/', 1) / 'alf/_ibl_trials.choice.npy'
    assert hashlib.md5(path.read_bytes()).hexdigest() in {d['hash'] for d in choice}


def test_a_second_update_without_changes_hashes_nothing(tree):
    make_parquet_db(tree, hash_files=True)
    before = tables(tree)
    report = build_cache(tree, hash_files=True, update=True)
    assert tables(tree) == before
    u = report.update
    assert (u.files_hashed, u.sessions_added, u.datasets_removed, u.datasets_modified) == (
        0,
        [],
        [],
        [],
    )


@pytest.mark.parametrize(
    ('first', 'then', 'reason'),
    [
        ({'hash_files': False}, {'hash_files': True}, 'hash_files: False before, True now'),
        ({'hash_files': True, 'hash_ids': False}, {'hash_files': True}, 'ids:'),
        (
            {'hash_files': True, 'namespace': '5b6c7d8e-0000-11ee-8000-000000000000'},
            {'hash_files': True},
            'namespace:',
        ),
        ({'hash_files': True, 'lab': 'mylab'}, {'hash_files': True}, 'lab:'),
    ],
)
def test_other_options_mean_a_full_rebuild_with_a_message(tree, tmp_path, first, then, reason):
    if first.get('hash_files') is False:
        # A hash-off build keeps no state unless it is itself an update.
        first = {**first, 'update': True}
    if 'lab' in first:
        tree = tmp_path / 'flat'
        for day in (1, 2):
            (tree / f'SUBJ/2020-01-0{day}/001/alf').mkdir(parents=True)
            (tree / f'SUBJ/2020-01-0{day}/001/alf/_ibl_wheel.position.npy').write_bytes(b'12')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        build_cache(tree, **first)
    next(tree.rglob('_ibl_wheel.position.npy')).write_bytes(b'x')
    with pytest.warns(_update.FullRebuildWarning, match=reason) as caught:
        report = build_cache(tree, update=True, **then)
    assert str(tree) in str(caught[0].message)
    assert reason in report.update.full_rebuild
    full = tmp_path / 'full'
    full.mkdir()
    make_parquet_db(tree, out_dir=full, **then)
    assert tables(tree) == tables(full)


def test_tables_built_by_one_api_are_rebuilt(tree, tmp_path):
    one_make_parquet_db(tree, hash_files=False)
    with pytest.warns(_update.FullRebuildWarning, match='not built by alf_fast'):
        build_cache(tree, hash_files=True, update=True)
    full = tmp_path / 'full'
    full.mkdir()
    make_parquet_db(tree, out_dir=full, hash_files=True)
    assert tables(tree) == tables(full)


def test_a_sidecar_from_other_tables_is_not_trusted(tree, tmp_path):
    other = tmp_path / 'other'
    other.mkdir()
    make_parquet_db(tree, out_dir=other, hash_files=True)
    make_parquet_db(tree, hash_files=True)
    shutil.copy(other / _update.STATE_NAME, tree / _update.STATE_NAME)
    with pytest.warns(_update.FullRebuildWarning, match='belongs to other tables'):
        build_cache(tree, hash_files=True, update=True)
    (tree / _update.STATE_NAME).unlink()
    with pytest.warns(_update.FullRebuildWarning, match='is missing'):
        build_cache(tree, hash_files=True, update=True)


def test_update_of_hashed_tables_keeps_hashing(tree):
    make_parquet_db(tree, hash_files=True)
    (tree / session_paths(tree)[0] / 'alf/_ibl_wheel.position.npy').write_bytes(b'x')
    report = build_cache(tree, update=True)  # hash_files left at its default, False
    assert report.update.files_hashed == 1
    hashes = pq.read_table(tree / 'datasets.pqt').column('hash')
    assert hashes.null_count == 0
    assert hashlib.md5(b'x').hexdigest() in hashes.to_pylist()


def test_first_update_is_a_quiet_full_build(tree):
    with warnings.catch_warnings():
        warnings.simplefilter('error', _update.FullRebuildWarning)
        report = build_cache(tree, hash_files=True, update=True)
    assert report.update.full_rebuild.startswith('no previous tables')
    assert report.update.lines() == [f'full rebuild: {report.update.full_rebuild}']


def test_failed_or_interrupted_update_leaves_the_previous_tables(tree, monkeypatch):
    make_parquet_db(tree, hash_files=True)
    before = {p.name: p.read_bytes() for p in tree.iterdir() if p.is_file()}
    (tree / session_paths(tree)[0] / 'alf/_ibl_wheel.position.npy').write_bytes(b'x')
    # /proc/self/mem stats as an empty file, but reading it fails even for root.
    os.symlink('/proc/self/mem', tree / session_paths(tree)[1] / 'alf/broken.file.npy')
    with pytest.raises(OSError, match=r'broken\.file\.npy'):
        make_parquet_db(tree, hash_files=True, update=True)
    (tree / session_paths(tree)[1] / 'alf/broken.file.npy').unlink()

    import alf_fast._alf_fast

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(alf_fast._alf_fast, 'md5_files', interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_parquet_db(tree, hash_files=True, update=True)
    after = {p.name: p.read_bytes() for p in tree.iterdir() if p.is_file()}
    assert after == before


def test_md5_files_binding(tmp_path):
    from alf_fast._alf_fast import md5_files

    a, b = tmp_path / 'a.b.c', tmp_path / 'd.e.f'
    a.write_bytes(b'hello')
    b.write_bytes(b'')
    calls = []
    got = md5_files([a, str(b)], threads=2, progress=lambda *x: calls.append(x))
    assert got == ['5d41402abc4b2a76b9719d911017c592', 'd41d8cd98f00b204e9800998ecf8427e']
    assert md5_files([]) == []
    # Files that vanished or are not regular files are not hashed, and say so with None.
    os.mkfifo(tmp_path / 'fifo.x.y')
    assert md5_files([tmp_path / 'missing.x.y', a, tmp_path / 'fifo.x.y']) == [
        None,
        '5d41402abc4b2a76b9719d911017c592',
        None,
    ]
    # A file that cannot be read stops the pass with an error naming it.
    os.symlink('/proc/self/mem', tmp_path / 'broken.x.y')
    with pytest.raises(OSError, match=r'broken\.x\.y'):
        md5_files([a, tmp_path / 'broken.x.y'])


def _one_api_details(folder):
    from one.api import One as OneApi

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        one = OneApi(cache_dir=folder, mode='local')
        eid = one.search()[0]
        return one, one.list_datasets(eid, details=True)


def test_state_sidecar_leaves_one_api_tables_unchanged_an_extra_column_would_not(tree, tmp_path):
    """The persistence decision: ONE-api loads both forms, but an ``mtime_ns`` column would
    show up in what ONE returns; the sidecar does not."""
    make_parquet_db(tree, hash_files=True)
    assert (tree / _update.STATE_NAME).exists()
    one, details = _one_api_details(tree)
    plain = tmp_path / 'plain'
    plain.mkdir()
    make_parquet_db(tree, out_dir=plain)
    _, plain_details = _one_api_details(plain)
    assert list(details.columns) == list(plain_details.columns)
    assert 'mtime_ns' not in one._cache['datasets'].columns
    assert one.load_dataset(one.search()[0], '_ibl_trials.choice.npy') is not None

    # The alternative: the same tables with the mtimes as an extra column.
    extra = tmp_path / 'extra'
    extra.mkdir()
    shutil.copy(tree / 'sessions.pqt', extra)
    ds = pq.read_table(tree / 'datasets.pqt')
    mtimes = pq.read_table(tree / _update.STATE_NAME).column('mtime_ns')
    pq.write_table(ds.append_column('mtime_ns', mtimes), extra / 'datasets.pqt')
    one_x, details_x = _one_api_details(extra)
    assert 'mtime_ns' in details_x.columns
    assert 'mtime_ns' in one_x._cache['datasets'].columns


def test_one_setup_update(tree):
    from alf_fast import One

    One.setup(tree, silent=True, hash_files=True)
    (tree / session_paths(tree)[0] / 'alf/_ibl_wheel.position.npy').write_bytes(b'x')
    one = One.setup(tree, silent=True, hash_files=True, update=True)
    eid = one.path2eid(tree / session_paths(tree)[0])
    ds = one.list_datasets(eid, details=True)
    row = ds.filter(ds['rel_path'] == 'alf/_ibl_wheel.position.npy')
    assert row['hash'].to_list() == [hashlib.md5(b'x').hexdigest()]


def test_cli_update_summary_and_listing(tree):
    def run(*args):
        return subprocess.run(
            [sys.executable, '-m', 'alf_fast.cli', 'setup', str(tree), '--hash', *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    run()
    names = change_tree(tree)
    out = run('--update', '-v')
    assert 'sessions: 1 added, 1 removed; datasets: 2 added' in out
    assert 're-hashed 4 files' in out
    assert f'  session added: {names["new"]}' in out
    assert f'  dataset modified: {names["s0"]}/alf/_ibl_wheel.position.npy' in out
    quiet = run('--update')
    assert 're-hashed 0 files' in quiet
    assert 'session added' not in quiet


def test_update_does_not_import_pandas(tree):
    """pyarrow imports pandas on its first conversion of Python values, which would cost more
    than a small update of a large tree; the update path makes arrays from buffers instead."""
    make_parquet_db(tree, hash_files=True)
    change_tree(tree)
    code = (
        'import sys; from alf_fast.cache import build_cache\n'
        f'r = build_cache({str(tree)!r}, hash_files=True, update=True)\n'
        'assert r.update.files_hashed == 4 and r.update.full_rebuild is None\n'
        'r = build_cache(' + repr(str(tree)) + ', hash_files=True, update=True)\n'
        'assert r.update.files_hashed == 0\n'
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == 'False'
