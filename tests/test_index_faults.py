"""Trees ONE-api indexes into tables it cannot load (contract 1.6, 2.9, 10), bad arguments and
faults during a build. For each broken tree: what ONE-api does (so the test notices if ONE-api
changes), what we do instead, and that both ONE-api and alf_fast can open what we wrote."""

import os
import re
import shutil
import subprocess
import sys
import threading
import warnings
from unittest.mock import ANY

import pandas as pd
import polars as pl
import pytest

from _differential import one_make_parquet_db
from _trees import BAD_NAMES, BROKEN_CASES, BROKEN_EXPECTED, build_broken_tree
from alf_fast import make_parquet_db
from alf_fast._lock import TableLock
from alf_fast.cache import build_cache

GOOD = 'mylab/Subjects/SWC_001/2023-01-01/001'


def build(tmp_path, case):
    return build_broken_tree(tmp_path / case, case)


def ours(root, **kwargs):
    """Our build with warnings recorded; returns (report, sessions, datasets, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        report = build_cache(root, **kwargs)
    ses = pd.read_parquet(report.sessions_path)
    ds = pd.read_parquet(report.datasets_path)
    return report, ses, ds, [str(w.message) for w in caught]


def one_api_opens(root):
    """ONE-api opens our tables, lists and searches them without error."""
    from one.api import One

    one = One(cache_dir=root, mode='local')
    one.list_datasets()
    return one.search()


@pytest.mark.parametrize('case', BROKEN_CASES)
def test_one_api_still_fails_where_the_contract_says(tmp_path, case):
    """Pins ONE-api's behaviour on each broken tree, so the differences below stay justified."""
    stage, error = BROKEN_EXPECTED[case]
    root = build(tmp_path, case)
    if stage == 'index':
        with pytest.raises(Exception) as info:
            one_make_parquet_db(root)
        assert type(info.value).__name__ == error or error in [
            c.__name__ for c in type(info.value).__mro__
        ]
    elif stage == 'tables':
        one_make_parquet_db(root)
        from one.api import One

        with pytest.raises(ValueError):
            One(cache_dir=root, mode='local')
    else:
        one_make_parquet_db(root)


NON_ALF = BAD_NAMES


@pytest.mark.parametrize('case', sorted(NON_ALF))
def test_non_alf_paths_are_skipped_and_reported(tmp_path, case):
    root = build(tmp_path, case)
    report, ses, ds, caught = ours(root)
    assert len(ses) == 1
    assert ds['rel_path'].tolist() == ['alf/_ibl_trials.intervals.npy']
    assert report.skipped == [(str(root.resolve() / GOOD / NON_ALF[case]), 'not_alf', ANY)]
    # skipped names are logged at debug level, not warned: they never reach `issues`
    assert report.issues == [] and caught == []
    assert len(one_api_opens(root)) == 1


@pytest.mark.parametrize('case', ['empty_session', 'session_without_datasets'])
def test_a_session_without_datasets_is_still_a_session(tmp_path, case):
    root = build(tmp_path, case)
    _, ses, ds, _ = ours(root)
    assert sorted(ses['subject']) == ['SWC_001', 'SWC_002']
    assert len(ds) == 1
    assert len(one_api_opens(root)) == 2


def test_only_empty_sessions_warns_no_datasets_and_tables_load(tmp_path):
    root = build(tmp_path, 'only_empty_sessions')
    _, ses, ds, caught = ours(root)
    assert len(ses) == 2 and len(ds) == 0
    assert any('No datasets found' in m for m in caught)
    assert len(one_api_opens(root)) == 2


@pytest.mark.parametrize('case', ['no_sessions', 'empty_tree'])
def test_no_sessions_warns_and_writes_loadable_empty_tables(tmp_path, case):
    root = build(tmp_path, case)
    _, ses, ds, caught = ours(root)
    assert len(ses) == 0 and len(ds) == 0
    assert any('No sessions found' in m and str(root.resolve()) in m for m in caught)
    # ONE-api's own empty tables read back with a zero-category qc, which breaks its
    # list_datasets (contract 2.9); ours use a string qc when there are no rows.
    assert list(ds.index.names) == ['eid', 'id']
    assert one_api_opens(root) == []
    one_make_parquet_db(root)
    from one.api import One

    with pytest.raises(TypeError):
        One(cache_dir=root, mode='local').list_datasets()


def test_invalid_date_folder_is_reported_and_the_rest_indexed(tmp_path):
    root = build(tmp_path, 'invalid_date')
    report, ses, _, caught = ours(root)
    assert ses['subject'].tolist() == ['SWC_001']
    bad = str(root.resolve() / 'sub/2020-13-45/001')
    assert [(p, k) for p, k, _ in report.issues] == [(bad, 'bad_session_folder')]
    assert len(caught) == 1 and bad in caught[0] and 'not a real date' in caught[0]


def test_nested_session_belongs_to_the_outer_session(tmp_path):
    root = build(tmp_path, 'nested_session')
    _, ses, ds, _ = ours(root)
    assert ses['subject'].tolist() == ['SWC_001']
    assert sorted(ds['rel_path']) == [
        'alf/_ibl_trials.intervals.npy',
        'raw/SWC_002/2020-01-02/002/alf/x.y.npy',
    ]
    assert len(one_api_opens(root)) == 1


def test_hidden_copies_of_the_tree_are_not_searched(tmp_path):
    root = build(tmp_path, 'duplicate_session_id')
    report, ses, ds, caught = ours(root)
    assert len(ses) == 1 and len(ds) == 1
    assert report.issues == [] and caught == []


def test_duplicate_session_ids_keep_the_first_and_warn(tmp_path):
    root = tmp_path / 'dup'
    for parent in ('a', 'b'):
        (root / parent / 'sub/2020-01-01/001/alf').mkdir(parents=True)
        (root / parent / 'sub/2020-01-01/001/alf/x.y.npy').write_bytes(b'x')
    report, ses, ds, caught = ours(root)
    assert len(ses) == 1 and len(ds) == 1
    second = str(root.resolve() / 'b/sub/2020-01-01/001')
    assert [(p, k) for p, k, _ in report.issues] == [(second, 'duplicate_session')]
    assert second in caught[0]


def test_broken_symlink_is_reported_by_path(tmp_path):
    root = build(tmp_path, 'dangling_symlink')
    report, _, ds, caught = ours(root)
    assert ds['rel_path'].tolist() == ['alf/_ibl_trials.intervals.npy']
    link = str(root.resolve() / GOOD / 'alf/dangling.link.npy')
    assert [p for p, _, _ in report.issues] == [link]
    assert link in caught[0] and 'broken symbolic link' in caught[0]


def test_lab_above_the_root_is_not_recorded(tmp_path):
    root = build(tmp_path, 'subjects_under_root')
    _, ses, _, _ = ours(root)
    row = ses.set_index('subject').loc['sub']
    assert row['lab'] == ''  # ONE-api records the root folder's name, which is not on disk


def test_unpadded_numbers_index_like_one(tmp_path):
    root = build(tmp_path, 'unpadded_and_padded')
    one_make_parquet_db(root, out_dir=tmp_path)
    _, ses, _, _ = ours(root)
    one_ses = pd.read_parquet(tmp_path / 'sessions.pqt')
    assert sorted(ses['number']) == sorted(one_ses['number']) == [1, 1, 1]


@pytest.mark.parametrize('case', ['root_is_session', 'symlinked_session'])
def test_sessions_like_one(tmp_path, case):
    root = build(tmp_path, case)
    out = tmp_path / 'one'
    out.mkdir()
    one_make_parquet_db(root, out_dir=out)
    _, ses, ds, _ = ours(root)
    one_ses, one_ds = (pd.read_parquet(out / f'{t}.pqt') for t in ('sessions', 'datasets'))
    cols = ['lab', 'subject', 'date', 'number']
    assert sorted(map(tuple, ses[cols].values)) == sorted(map(tuple, one_ses[cols].values))
    assert sorted(ds['rel_path']) == sorted(one_ds['rel_path'])


def test_lab_argument_fills_lab_less_sessions_and_rejects_conflicts(tmp_path, f_root):
    root = build(tmp_path, 'unpadded_number')
    with pytest.raises(ValueError, match=r"lab name conflict.*'mylab'"):
        make_parquet_db(root, lab='otherlab')
    make_parquet_db(root, lab='mylab')
    ses = pd.read_parquet(root / 'sessions.pqt')
    assert ses['lab'].tolist() == ['mylab', 'mylab']


# ------------------------------------------------------------------------------------------
# Bad arguments and faults
# ------------------------------------------------------------------------------------------


def test_missing_root(tmp_path):
    missing = tmp_path / 'nope'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        make_parquet_db(missing)


def test_root_is_a_file(tmp_path):
    f = tmp_path / 'file.txt'
    f.write_text('x')
    with pytest.raises(NotADirectoryError, match=re.escape(str(f))):
        make_parquet_db(f)


def test_missing_out_dir(f_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='output directory'):
        make_parquet_db(f_root, out_dir=tmp_path / 'missing')


@pytest.mark.parametrize('threads', [0, -1, 1.5, 'x'])
def test_bad_threads(f_root, threads):
    with pytest.raises(ValueError, match='threads'):
        make_parquet_db(f_root, threads=threads)


def test_unreadable_file_while_hashing_names_it_and_keeps_old_tables(f_root):
    make_parquet_db(f_root)
    before = {p.name: p.read_bytes() for p in f_root.glob('*.pqt')}
    # /proc/self/mem stats as an empty regular file but any read fails, even for root.
    bad = f_root / GOOD / 'alf/broken.file.npy'
    os.symlink('/proc/self/mem', bad)
    with pytest.raises(OSError, match=r'broken\.file\.npy'):
        make_parquet_db(f_root, hash_files=True)
    assert {p.name: p.read_bytes() for p in f_root.glob('*.pqt')} == before
    assert [p.name for p in f_root.iterdir() if p.name.startswith('.')] == []


def test_unreadable_folder_is_reported_and_walk_carries_on(f_root):
    """Run the build without the capability that lets root read anything."""
    locked = f_root / 'mylab/Subjects/SWC_002/2023-01-02/001/alf'
    locked.chmod(0)
    try:
        code = (
            'import warnings, json; from alf_fast.cache import build_cache\n'
            'with warnings.catch_warnings(record=True) as w:\n'
            '    warnings.simplefilter("always")\n'
            f'    r = build_cache({str(f_root)!r})\n'
            'print(json.dumps([r.datasets, r.issues, [str(x.message) for x in w]]))\n'
        )
        cmd = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search']
        out = subprocess.run(
            [*cmd, sys.executable, '-c', code], capture_output=True, text=True, check=True
        )
    finally:
        locked.chmod(0o755)
    import json

    n_datasets, issues, caught = json.loads(out.stdout)
    assert [(p, k) for p, k, _ in issues] == [(str(locked.resolve()), 'unreadable')]
    assert 'Permission denied' in issues[0][2]
    assert str(locked.resolve()) in caught[0]
    assert n_datasets == 19  # fixture F has 21 ALF datasets, two are in the locked folder


def test_concurrent_builds_do_not_interleave(f_root):
    errors = []

    def run():
        try:
            make_parquet_db(f_root)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(pd.read_parquet(f_root / 'datasets.pqt')) == 21
    assert not (f_root / '.alf_fast.lock').exists()


def test_lock_held_by_a_live_process_times_out(tmp_path):
    with TableLock(tmp_path), pytest.raises(TimeoutError, match=r'\.alf_fast\.lock') as info:
        with TableLock(tmp_path, timeout=0.2):
            pass
    assert f'process {os.getpid()}' in str(info.value)


def test_lock_file_of_a_dead_process_is_not_waited_for(tmp_path):
    import socket

    proc = subprocess.run(
        [sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True
    )
    (tmp_path / '.alf_fast.lock').write_text(f'{socket.gethostname()} {proc.stdout.strip()}\n')
    with TableLock(tmp_path, timeout=0.2):
        pass
    assert not (tmp_path / '.alf_fast.lock').exists()


def test_empty_lock_file_left_by_a_kill_is_not_waited_for(tmp_path):
    """A kill between creating the lock file and writing into it left an empty file, which
    the pid-file lock took for a live holder (issue 8.3)."""
    (tmp_path / '.alf_fast.lock').write_bytes(b'')
    with TableLock(tmp_path, timeout=0.2):
        pass
    assert not (tmp_path / '.alf_fast.lock').exists()


def test_lock_file_of_a_live_process_on_a_full_disk(tmp_path, monkeypatch):
    """Recording the holder is best effort: a lock taken on a full disk still works."""

    def no_space(fd, data):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'write', no_space)
    with TableLock(tmp_path):
        monkeypatch.undo()
        with pytest.raises(TimeoutError, match='another process'):
            TableLock(tmp_path, timeout=0.1).acquire()


def test_lock_in_an_unwritable_folder_names_it(tmp_path):
    missing = tmp_path / 'missing'
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing / '.alf_fast.lock'))):
        TableLock(missing).acquire()


# ------------------------------------------------------------------------------------------
# out_dir='', allow_empty, an unreadable or empty root (issue 8.5, 8.12)
# ------------------------------------------------------------------------------------------


def test_empty_out_dir_means_the_root_as_in_one(f_root, tmp_path, monkeypatch):
    elsewhere = tmp_path / 'cwd'
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (f_root / 'sessions.pqt').unlink()
    one_make_parquet_db(f_root, out_dir='')
    assert (f_root / 'sessions.pqt').exists() and list(elsewhere.iterdir()) == []
    (f_root / 'sessions.pqt').unlink()
    assert make_parquet_db(f_root, out_dir='') == (
        f_root / 'sessions.pqt',
        f_root / 'datasets.pqt',
    )
    assert (f_root / 'sessions.pqt').exists() and list(elsewhere.iterdir()) == []


@pytest.mark.parametrize('during_walk', [False, True])
def test_unreadable_root_is_an_error_naming_it(f_root, during_walk):
    """Found before the walk, or by the walk when the root became unreadable after the check
    (then even with allow_empty, which is about trees that are empty, not unreadable)."""
    saved = {p.name: p.read_bytes() for p in f_root.glob('*.pqt')}
    out = f_root.parent / 'out'
    out.mkdir()
    for name, data in saved.items():
        (out / name).write_bytes(data)
    f_root.chmod(0)
    try:
        code = 'import pathlib, alf_fast.cache as c\n'
        if during_walk:
            code += 'c._check_root = lambda r: pathlib.Path(r).resolve()\n'
        code += f'c.build_cache({str(f_root)!r}, out_dir={str(out)!r}, allow_empty={during_walk})'

        cmd = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search']
        proc = subprocess.run(
            [*cmd, sys.executable, '-c', code], capture_output=True, text=True, timeout=60
        )
    finally:
        f_root.chmod(0o755)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('PermissionError') and str(f_root) in last and 'cannot be read' in last
    assert {p.name: p.read_bytes() for p in out.glob('*.pqt')} == saved


@pytest.fixture
def indexed_then_emptied(f_root, tmp_path):
    """Tables listing F's sessions, and F's root now empty (as an unmounted mount point)."""
    out = tmp_path / 'tables'
    out.mkdir()
    make_parquet_db(f_root, out_dir=out)
    for child in f_root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    return f_root, out


def test_empty_tree_does_not_replace_tables_with_sessions(indexed_then_emptied):
    root, out = indexed_then_emptied
    saved = {p.name: p.read_bytes() for p in out.glob('*.pqt')}
    with pytest.raises(FileNotFoundError, match='allow_empty=True') as info:
        make_parquet_db(root, out_dir=out)
    assert str(root.resolve()) in str(info.value) and str(out / 'sessions.pqt') in str(info.value)
    assert {p.name: p.read_bytes() for p in out.glob('*.pqt')} == saved
    assert [p.name for p in out.iterdir() if p.name.startswith('.')] == []


def test_allow_empty_replaces_them(indexed_then_emptied):
    root, out = indexed_then_emptied
    with pytest.warns(RuntimeWarning, match='No sessions found'):
        make_parquet_db(root, out_dir=out, allow_empty=True)
    assert len(pd.read_parquet(out / 'sessions.pqt')) == 0


def test_cli_refuses_and_allows_an_empty_tree(indexed_then_emptied):
    root, out = indexed_then_emptied
    cli = [sys.executable, '-m', 'alf_fast.cli', 'setup', str(root), '--out', str(out), '--quiet']
    proc = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and '--allow-empty' in proc.stderr  # an input error
    assert 'Traceback' not in proc.stderr
    proc = subprocess.run([*cli, '--allow-empty'], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(out / 'sessions.pqt')) == 0


# ------------------------------------------------------------------------------------------
# The hash column as ONE-api reads it (issue 8.14)
# ------------------------------------------------------------------------------------------


def one_api_md5_calls(root, hash_files, caplog):
    """Run ONE-api's filesystem check (what every load runs first) on datasets of F in tables
    we built; count md5 computations, mismatch warnings and files found."""
    from unittest import mock

    import one.api
    from one.api import One as OneApi

    make_parquet_db(root, hash_files=hash_files)
    ref = OneApi(cache_dir=root, mode='local')
    md5 = mock.Mock(wraps=one.api.hashfile.md5)
    with mock.patch.object(one.api.hashfile, 'md5', md5), caplog.at_level('WARNING'):
        # A few rows: ONE-api hashes through a 256 MiB buffer per file, which is slow.
        files = ref._check_filesystem(ref._cache['datasets'].iloc[:4])
    mismatches = [r for r in caplog.records if 'md5 mismatch' in r.getMessage()]
    return md5.call_count, len(mismatches), sum(f is not None for f in files)


def test_one_api_skips_the_md5_check_of_tables_built_without_hashes(f_root, caplog):
    """Under pandas 3 a null string reads as NaN, which ONE-api takes for a hash; a
    null-typed column reads as None under pandas 2 and 3, and ONE-api skips None."""
    assert one_api_md5_calls(f_root, False, caplog)[:2] == (0, 0)
    assert pd.read_parquet(f_root / 'datasets.pqt')['hash'].map(lambda h: h is None).all()


def test_one_api_checks_the_md5_of_tables_built_with_hashes(f_root, caplog):
    """The counterpart, showing that the count above can see a check: every file is hashed
    once, none mismatches."""
    calls, mismatches, n = one_api_md5_calls(f_root, True, caplog)
    assert calls == n > 0 and mismatches == 0


def test_our_one_reads_a_null_typed_hash_as_null(f_root):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    make_parquet_db(f_root)
    assert str(pq.read_schema(f_root / 'datasets.pqt').field('hash').type) == 'null'
    from alf_fast import One

    # The column's pandas metadata is what pandas itself writes for a column of None.
    ours = json.loads(pq.read_schema(f_root / 'datasets.pqt').metadata[b'pandas'])['columns']
    nones = pa.Table.from_pandas(pd.DataFrame({'hash': pd.Series([None], dtype=object)}))
    expected = json.loads(nones.schema.metadata[b'pandas'])['columns'][0]
    assert next(c for c in ours if c['name'] == 'hash') == expected
    datasets = One(f_root)._cache['datasets']
    assert datasets['hash'].dtype == pl.String and datasets['hash'].null_count() == len(datasets)


def test_a_hash_value_is_never_dropped_into_a_null_column():
    import pyarrow as pa

    from alf_fast import _parquet

    schema = _parquet.one_schema('datasets', 1, {}, hashed=False)
    row = {f.name: pa.array([None], pa.string()) for f in schema}
    row['hash'] = pa.array(['d41d8cd98f00b204e9800998ecf8427e'])
    with pytest.raises(ValueError, match="'hash' has values"):
        _parquet.conform(pa.table(row), schema)
    row['hash'] = pa.array([None], pa.string())
    assert _parquet.conform(pa.table(row), schema).column('hash').type == pa.null()
