"""Indexing on a Dask cluster (``make_parquet_db(client=...)``): the same tables, issues and
warnings as a single-process build, on a LocalCluster of two single-threaded worker
processes started here; faults (a worker killed mid-run, a shard or file that cannot be read);
the planners; Dask staying optional."""

from __future__ import annotations

import faulthandler
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from _trees import BROKEN_CASES, build_broken_tree, build_edge_tree
from alf_fast._corpus import build_ibl_tree
from alf_fast._dask import PER_FILE_BYTES, plan_hash_chunks, plan_shards
from alf_fast.cache import build_cache

distributed = pytest.importorskip('distributed')

#: Seconds after which a hung test kills the run (with every thread's traceback).
HANG_TIMEOUT = 240


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(HANG_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _cluster(**kwargs):
    options = dict(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=':0',
        worker_dashboard_address=':0',
    )
    options.update(kwargs)
    return distributed.LocalCluster(**options)


@pytest.fixture(scope='module')
def client():
    faulthandler.dump_traceback_later(HANG_TIMEOUT, exit=True)
    with _cluster() as cluster, distributed.Client(cluster, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
        yield c
    faulthandler.cancel_dump_traceback_later()


def build(root, out, client=None, **kwargs):
    """A build with its warnings; returns (tables, issues, skipped, warnings, progress)."""
    out.mkdir(parents=True, exist_ok=True)
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        report = build_cache(root, out_dir=out, client=client, progress=seen.append, **kwargs)
    tables = {name: pq.read_table(out / f'{name}.pqt') for name in ('sessions', 'datasets')}
    messages = [f'{w.category.__name__}: {w.message}' for w in caught]
    return tables, report.issues, report.skipped, messages, seen


def assert_same_build(root, tmp_path, client, **kwargs):
    """Single-process and distributed builds agree; returns the distributed progress."""
    single = build(root, tmp_path / 'single', **kwargs)
    dist = build(root, tmp_path / 'dist', client, **kwargs)
    for name in ('sessions', 'datasets'):
        assert dist[0][name].equals(single[0][name]), name
        # Every build has its own build id; the rest of the metadata is ONE's.
        meta = [
            {k: v for k, v in t[0][name].schema.metadata.items() if k != b'alf_fast'}
            for t in (dist, single)
        ]
        assert meta[0] == meta[1]
    assert dist[1:4] == single[1:4]
    return dist[4]


# -- identical tables ---------------------------------------------------------------------------


@pytest.mark.parametrize('case', BROKEN_CASES)
def test_broken_trees_build_the_same(tmp_path, client, case):
    root = build_broken_tree(tmp_path / 'tree', case)
    assert_same_build(root, tmp_path, client)


def test_edge_tree_builds_the_same(tmp_path, client):
    root = tmp_path / 'tree'
    build_edge_tree(root)
    for ids in ({}, {'hash_ids': False}):
        progress = assert_same_build(
            root, tmp_path / str(len(ids)), client, hash_files=True, **ids
        )
        assert progress[-1].tasks > 1


@pytest.fixture(scope='module')
def ibl_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ibl') / 'tree'
    build_ibl_tree(root, 3000, content='npy', labs=3)
    return root


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'hash_files': True},
        {'hash_ids': False},
        {'namespace': '6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'hash_files': True},
        {'lab': 'cortexlab', 'threads': 2},
    ],
    ids=['stable', 'md5', 'strings', 'namespace-md5', 'lab-threads'],
)
def test_ibl_tree_builds_the_same(tmp_path, client, ibl_root, kwargs):
    root, n_files = ibl_root, 3000
    if 'lab' in kwargs:
        # lab= fills the lab of lab-less sessions (subject folders right under the root).
        root, n_files = tmp_path / 'tree', 1500
        build_ibl_tree(tmp_path / 'x', n_files, labs=[kwargs['lab']])
        (tmp_path / 'x' / kwargs['lab'] / 'Subjects').rename(root)
    progress = assert_same_build(root, tmp_path, client, **kwargs)
    assert progress[-1].tasks > 1, 'the tree was not sharded'
    assert progress[-1].tasks_done == progress[-1].tasks
    if kwargs.get('hash_files'):
        assert progress[-1].files_hashed == n_files
        assert progress[-1].bytes_hashed > 0


def test_lab_conflict_is_reported_as_without_a_cluster(tmp_path, client, ibl_root):
    with pytest.raises(ValueError, match='lab name conflict'):
        build(ibl_root, tmp_path / 'out', client, lab='otherlab')


# -- faults -------------------------------------------------------------------------------------


def test_worker_killed_mid_run_gives_the_same_tables(tmp_path, ibl_root):
    single = build(ibl_root, tmp_path / 'single', hash_files=True)
    with _cluster() as cluster, distributed.Client(cluster, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
        pids = c.run(os.getpid)
        killed = []

        def kill_one(p):
            # At the first md5 task done: the other md5 tasks are queued or running.
            if killed or p.files_hashed == 0:
                return
            busy = [a for a, keys in c.processing().items() if keys] or list(pids)
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(pids[busy[0]])

        out = tmp_path / 'dist'
        out.mkdir()
        build_cache(ibl_root, out_dir=out, client=c, hash_files=True, progress=kill_one)
        assert killed
        c.wait_for_workers(2, timeout=60)
        assert killed[0] not in c.run(os.getpid).values()
    for name in ('sessions', 'datasets'):
        assert pq.read_table(out / f'{name}.pqt').equals(single[0][name])


def test_unreadable_file_while_hashing_fails_naming_it(tmp_path, client, ibl_root):
    root = tmp_path / 'tree'
    shutil.copytree(ibl_root, root, symlinks=True)
    build_cache(root)
    before = {p.name: p.read_bytes() for p in root.glob('*.pqt')}
    session = next(root.glob('*/Subjects/*/*/00?'))
    # /proc/self/mem stats as an empty regular file but any read fails, even for root.
    os.symlink('/proc/self/mem', session / 'alf/broken.file.npy')
    with pytest.raises(OSError, match=r'broken\.file\.npy'):
        build_cache(root, client=client, hash_files=True)
    assert {p.name: p.read_bytes() for p in root.glob('*.pqt')} == before
    assert not (root / '.alf_fast.lock').exists()


def test_unreadable_file_in_a_dropped_duplicate_session_is_not_an_error(tmp_path, client):
    """md5 tasks start before the merge knows which duplicate sessions it drops; a file that
    cannot be hashed there must not fail a build that a single process completes."""
    root = build_broken_tree(tmp_path / 'tree', 'unpadded_number')
    dup = root / 'x/mylab/Subjects/SWC_001/2023-01-01/001/alf'
    dup.mkdir(parents=True)
    os.symlink('/proc/self/mem', dup / 'broken.file.npy')
    assert_same_build(root, tmp_path, client, hash_files=True)
    _, issues, *_ = build(root, tmp_path / 'again', hash_files=True)
    assert [k for _, k, _ in issues] == ['duplicate_session']


def test_missing_root_on_the_workers_fails_naming_it(tmp_path, client):
    """The client sees a tree the workers do not (here: gone after planning)."""
    from alf_fast import _dask

    root = build_broken_tree(tmp_path / 'tree', 'unpadded_and_padded').resolve()
    shards = plan_shards(root, 4)
    shutil.rmtree(root)
    future = client.submit(
        _dask._walk_task, str(root), list(shards[0].seeds), 1, {'ids': 'stable'}
    )
    with pytest.raises(FileNotFoundError, match=str(root)):
        future.result(timeout=60)


def _setpriv() -> list[str]:
    return ['setpriv', '--bounding-set', '-dac_override,-dac_read_search']


@pytest.mark.skipif(shutil.which('setpriv') is None, reason='needs setpriv (util-linux)')
def test_shard_the_workers_cannot_read_fails_and_keeps_the_tables(tmp_path, ibl_root):
    """A worker without root's read-anything capability cannot read a subject folder that
    the client (root) can: the build fails naming it and the previous tables stay."""
    root = tmp_path / 'tree'
    shutil.copytree(ibl_root, root, symlinks=True)
    build_cache(root)
    before = {p.name: p.read_bytes() for p in root.glob('*.pqt')}
    subject = sorted(root.glob('*/Subjects/*'))[0]
    with distributed.LocalCluster(n_workers=0, dashboard_address=':0') as cluster:
        worker = subprocess.Popen(
            [
                *_setpriv(),
                sys.executable,
                '-m',
                'distributed.cli.dask_worker',
                cluster.scheduler_address,
                '--nthreads',
                '1',
                '--no-nanny',
                '--no-dashboard',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with distributed.Client(cluster, timeout=60) as c:
                c.wait_for_workers(1, timeout=60)
                subject.chmod(0)
                try:
                    with pytest.raises(PermissionError, match=str(subject.resolve())):
                        build_cache(root, client=c)
                finally:
                    subject.chmod(0o755)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert {p.name: p.read_bytes() for p in root.glob('*.pqt')} == before


# -- planners -----------------------------------------------------------------------------------


def test_hash_plan_balances_bytes_not_files():
    # One subject with a few huge raw files next to many small behaviour files.
    huge, small = 10**12, 10**4
    sizes = [small] * 5000 + [huge] * 4 + [small] * 5000
    ranges = plan_hash_chunks(sizes, 8)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(sizes)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    costs = [sum(sizes[a:b]) + PER_FILE_BYTES * (b - a) for a, b in ranges]
    # Each huge file is a task of its own; the small files are not lumped with them.
    assert sorted(costs)[-4:] == [huge + PER_FILE_BYTES] * 4
    assert len(ranges) <= 2 * 8 + 4


def test_hash_plan_splits_many_small_files_evenly():
    ranges = plan_hash_chunks([0] * 1000, 4)
    assert [b - a for a, b in ranges] == [250] * 4
    assert plan_hash_chunks([], 4) == []
    assert plan_hash_chunks([5] * 10, 4, max_files=2) == [(i, i + 2) for i in range(0, 10, 2)]


def test_shard_plan_covers_the_top_of_the_tree(tmp_path):
    root = tmp_path / 'tree'
    build_ibl_tree(root, 2000, labs=2)
    (root / '.snapshot').mkdir()
    (root / 'loose.file.npy').write_bytes(b'')
    shards = plan_shards(root, 6)
    assert len(shards) == 6
    seeds = [s for shard in shards for s in shard.seeds]
    assert seeds == sorted(seeds) and len(set(seeds)) == len(seeds)
    # Listed down to the subjects (or their dates), never into a session, never hidden.
    rels = [Path(s).relative_to(root.resolve()).parts for s in seeds]
    assert all(len(r) >= 3 and r[1] == 'Subjects' for r in rels)
    assert all(len(r) <= 4 for r in rels)
    assert shards[0].label.startswith(os.path.join(*rels[0]))


def test_shard_plan_of_a_session_root_is_the_whole_root(tmp_path):
    root = build_broken_tree(tmp_path / 'tree', 'root_is_session')
    assert [s.seeds for s in plan_shards(root, 8)] == [None]


# -- optional dependency and command line -------------------------------------------------------


def test_importing_alf_fast_does_not_import_dask():
    code = (
        'import sys, alf_fast, alf_fast.cache, alf_fast.api, alf_fast.cli\n'
        'alf_fast.make_parquet_db\n'
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == '[]'


def test_missing_dask_names_the_extra(tmp_path):
    root = build_broken_tree(tmp_path / 'tree', 'unpadded_number')
    code = (
        'import sys\n'
        "sys.modules['distributed'] = None\n"
        'from alf_fast import make_parquet_db\n'
        'try:\n'
        f'    make_parquet_db({str(root)!r}, client=object())\n'
        'except ImportError as e:\n'
        '    print(e)\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "pip install 'alf-fast[dask]'" in out.stdout
    assert not list(root.glob('*.pqt'))


def test_client_must_be_a_dask_client(tmp_path):
    root = build_broken_tree(tmp_path / 'tree', 'unpadded_number')
    with pytest.raises(TypeError, match=r'dask\.distributed\.Client'):
        build_cache(root, client='tcp://127.0.0.1:8786')


def test_cli_setup_on_a_scheduler(tmp_path, client, ibl_root, capsys):
    from alf_fast.cli import main

    single = build(ibl_root, tmp_path / 'single')
    out = tmp_path / 'cli'
    out.mkdir()
    start = time.monotonic()
    code = main(
        ['setup', str(ibl_root), '--out', str(out), '--scheduler', client.scheduler.address]
    )
    assert code == 0, capsys.readouterr().err
    assert time.monotonic() - start < HANG_TIMEOUT
    assert 'on 2 Dask workers' in capsys.readouterr().out
    for name in ('sessions', 'datasets'):
        assert pq.read_table(out / f'{name}.pqt').equals(single[0][name])


def test_progress_line_counts_dask_tasks():
    import io

    from alf_fast._progress import StderrProgress
    from alf_fast.cache import Progress

    stream = io.StringIO()
    show = StderrProgress(stream, delay=0, live=True)
    show(Progress(1200, 0, 0, 0, 1.0, tasks_done=3, tasks=8))
    show(Progress(1200, 0, 40, 3 * 2**20, 2.0, tasks_done=1, tasks=8))
    lines = stream.getvalue().split('\r')[1:]
    assert lines[0].startswith('3/8 Dask tasks done, 1,200 files found')
    assert 'hashed 40 files / 3.0 MiB' in lines[1]


UNREADABLE_BOTH = """
import json, sys, warnings
import distributed
from alf_fast.cache import build_cache
import pyarrow.parquet as pq

def run(root, out, client=None):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        r = build_cache(root, out_dir=out, client=client)
    ds = pq.read_table(r.datasets_path).to_pydict()
    return [r.issues, [str(x.message) for x in w], ds]

if __name__ == '__main__':
    root, single, dist = sys.argv[1:4]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=':0'
    ) as cluster, distributed.Client(cluster) as client:
        print(json.dumps([run(root, single), run(root, dist, client)]))
"""


@pytest.mark.skipif(shutil.which('setpriv') is None, reason='needs setpriv (util-linux)')
def test_folders_nobody_can_read_are_the_same_warnings(tmp_path, ibl_root):
    """Client and workers without root's read-anything capability: a subject folder (a shard
    entry) and a collection inside a session that cannot be read are warnings naming them,
    exactly as in a single-process build."""
    import json

    root = tmp_path / 'tree'
    shutil.copytree(ibl_root, root, symlinks=True)
    subject = sorted(root.glob('*/Subjects/*'))[-1]
    collection = sorted(root.glob('*/Subjects/*/*/00?/alf'))[0]
    script = tmp_path / 'run.py'
    script.write_text(UNREADABLE_BOTH)
    (tmp_path / 'single').mkdir()
    (tmp_path / 'dist').mkdir()
    subject.chmod(0)
    collection.chmod(0)
    try:
        out = subprocess.run(
            [
                *_setpriv(),
                sys.executable,
                str(script),
                str(root),
                *(str(tmp_path / d) for d in ('single', 'dist')),
            ],
            capture_output=True,
            text=True,
            timeout=HANG_TIMEOUT - 30,
        )
    finally:
        subject.chmod(0o755)
        collection.chmod(0o755)
    assert out.returncode == 0, out.stderr[-3000:]
    single, dist = json.loads(out.stdout.strip().splitlines()[-1])
    assert dist == single
    assert [(p, k) for p, k, _ in single[0]] == [
        (str(p.resolve()), 'unreadable') for p in sorted([subject, collection])
    ]
