"""Fault injection on the write path: kill -9 at fixed and random points of a build, concurrent
builds whose lock holders die, an unreadable root, a full disk.

After each fault the tables in the folder are a matching pair (one build id) that alf_fast and
ONE-api both load, holding either the previous tree or the new one; the next run leaves no
temporary file behind; nothing waits for a dead process. Builds that are killed run in a child
process under a timeout, so a hang fails the test instead of stalling CI.

``ALF_FAST_FAULT_TRIALS`` raises the number of random kills (default 6) and
``ALF_FAST_FAULT_REPORT=file`` appends one JSON line per trial, for the reliability table.
"""

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alf_fast import One
from alf_fast._commit import FAULT_ENV, INTENT_NAME, build_id
from alf_fast._corpus import build_ibl_tree
from alf_fast._lock import TableLock
from alf_fast.cache import build_cache

TIMEOUT = 60  # seconds for any child process: far above a build of these trees
SESSION = 'mylab/Subjects/SWC_009/2024-01-01/{:03d}/alf/_ibl_trials.choice.npy'

BUILD = """
import sys, warnings
warnings.simplefilter('ignore')
from alf_fast.cache import build_cache
root, out, hashed = sys.argv[1:4]
print('ready', flush=True)
build_cache(root, out_dir=out or None, hash_files=hashed == '1')
"""

COUNTER = """
import os, signal, sys, time
from pathlib import Path
from alf_fast._lock import TableLock
folder, rounds, die_at = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
counter = folder / 'counter'
for i in range(rounds):
    with TableLock(folder, timeout=30):
        value = int(counter.read_text())
        time.sleep(0.002)  # widen the window in which a second holder would lose an update
        if i == die_at:
            os.kill(os.getpid(), signal.SIGKILL)
        counter.write_text(str(value + 1))
"""


def record(fault, outcome, **extra):
    """Append a trial's outcome to $ALF_FAST_FAULT_REPORT (for the README table)."""
    path = os.environ.get('ALF_FAST_FAULT_REPORT')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps({'fault': fault, 'outcome': outcome, **extra}) + '\n')


def spawn(root, out='', hashed=False, fault=None):
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.Popen(
        [sys.executable, '-c', BUILD, str(root), str(out), '1' if hashed else '0'],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_all(procs, what):
    """Wait for every child under one deadline and return their exit codes and stderr; on
    timeout kill them all and fail."""
    deadline = time.monotonic() + TIMEOUT
    results = []
    try:
        for proc in procs:
            _, stderr = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results.append((proc.returncode, stderr))
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
            proc.communicate()
        pytest.fail(f'{what} did not finish within {TIMEOUT} s')
    return results


def run_build(root, out='', hashed=False, fault=None):
    return finish_all([spawn(root, out, hashed, fault)], f'a build (fault {fault})')[0]


def add_session(root, number):
    path = Path(root) / SESSION.format(number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'x' * number)


def debris(folder):
    # The update state beside hashed tables is committed with them, not debris.
    return sorted(
        p.name
        for p in Path(folder).iterdir()
        if p.name.startswith('.') and p.name != '.alf_fast_state.parquet'
    )


def n_sessions_loaded(root, folder):
    """Open the folder with alf_fast (which finishes a pending commit), check that the pair
    matches, that ONE-api loads it too, and return the number of sessions."""
    from one.api import One as OneApi

    ours = One(root, tables_dir=folder)
    ids = {build_id(Path(folder) / f'{t}.pqt') for t in ('sessions', 'datasets')}
    assert len(ids) == 1, f'mixed pair: {ids}'
    theirs = OneApi(cache_dir=root, tables_dir=folder, mode='local')
    n = len(ours.search())
    assert len(theirs.search()) == n
    # Every dataset row belongs to a listed session, in both readers.
    assert set(ours._cache['datasets']['eid']) <= set(ours._cache['sessions']['id'])
    assert len(theirs.list_datasets()) == len(ours.list_datasets())
    return n


@pytest.fixture
def tree(f_root):
    """Fixture F with tables built by alf_fast (one build id), plus the session count."""
    build_cache(f_root)
    return f_root, len(One(f_root).search())


# ------------------------------------------------------------------------------------------
# kill -9 at each step of a build
# ------------------------------------------------------------------------------------------

#: Where a kill leaves the folder: the tables a reader gets afterwards (previous or new).
POINTS = {
    'locked': 'previous',  # right after the lock is taken
    'written': 'previous',  # both tables staged, no intent record yet
    'intent': 'new',  # intent record durable, nothing renamed
    'between-renames': 'new',  # sessions.pqt replaced, datasets.pqt not yet
    'renamed': 'new',  # both replaced, intent record still there
    'committed': 'new',  # intent removed, lock not yet released
}


@pytest.mark.parametrize('point', POINTS)
def test_kill_at_each_commit_step(tree, point):
    root, before = tree
    add_session(root, 1)
    old = build_id(root / 'datasets.pqt')
    code, stderr = run_build(root, fault=point)
    assert code == -signal.SIGKILL, stderr
    pending = (root / INTENT_NAME).exists()
    assert pending == (point in ('intent', 'between-renames', 'renamed'))
    if point == 'between-renames':
        # Why the intent record and the build ids matter: on disk the two files now come
        # from different builds, and ONE-api would read them as they are.
        assert build_id(root / 'datasets.pqt') == old != build_id(root / 'sessions.pqt')
    expected = before + 1 if POINTS[point] == 'new' else before
    # Two ways out of the same state: alf_fast's One on a copy finishes a pending commit (or
    # reads the previous pair) by itself ...
    copy = root.parent / 'copy'
    shutil.copytree(root, copy, symlinks=True)
    assert n_sessions_loaded(copy, copy) == expected
    assert not (copy / INTENT_NAME).exists()
    # ... and the next build on the original gets the lock (it would time out waiting for a
    # lock that outlived its holder), finishes or discards what was left and cleans up.
    build_cache(root)
    assert debris(root) == []
    assert n_sessions_loaded(root, root) == before + 1
    record(f'kill at {point}', 'previous' if expected == before else 'new', pending=pending)


def test_pending_commit_in_a_folder_we_cannot_lock_is_only_checked(tree, monkeypatch):
    """Read-only tables folder: One cannot finish the commit, so it refuses the mixed pair
    (after a kill between the renames) instead of reading it."""
    from alf_fast import _commit

    root, before = tree
    add_session(root, 1)
    code, _ = run_build(root, fault='between-renames')
    assert code == -signal.SIGKILL

    def read_only(self):
        raise PermissionError(13, 'cannot create the lock file: Permission denied', 'x')

    monkeypatch.setattr(_commit.TableLock, 'acquire', read_only)
    with pytest.raises(ValueError, match='different builds'):
        One(root)
    assert (root / INTENT_NAME).exists()
    monkeypatch.undo()
    assert n_sessions_loaded(root, root) == before + 1  # writable again: finished


def test_mixed_pair_is_refused_naming_both_files(tree):
    """A mixed pair without a record to finish it (e.g. files copied by hand) is an error."""
    root, _ = tree
    old_sessions = (root / 'sessions.pqt').read_bytes()
    add_session(root, 1)
    build_cache(root)
    (root / 'sessions.pqt').write_bytes(old_sessions)
    with pytest.raises(ValueError, match='different builds') as info:
        One(root)
    assert str(root / 'sessions.pqt') in str(info.value)
    assert str(root / 'datasets.pqt') in str(info.value)


def test_tables_without_build_id_still_load(f_root):
    """ONE-api's tables carry no build id; nor does one of ours next to one of ONE-api's."""
    from _differential import one_make_parquet_db

    assert build_id(f_root / 'sessions.pqt') is None
    n = len(One(f_root).search())
    build_cache(f_root)
    assert build_id(f_root / 'sessions.pqt') is not None
    out = f_root.parent / 'one'
    out.mkdir()
    one_make_parquet_db(f_root, out_dir=out)
    shutil.copy(out / 'datasets.pqt', f_root / 'datasets.pqt')
    assert len(One(f_root).search()) == n


# ------------------------------------------------------------------------------------------
# kill -9 at random moments
# ------------------------------------------------------------------------------------------


#: Ctrl-C and SIGTERM too: an interrupt lets Python clean up, SIGTERM (no handler) does not.
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)


def test_random_kills(tmp_path):
    """Signal builds (hashing or not) at random moments of a build of a 2,000-file tree."""
    trials = int(os.environ.get('ALF_FAST_FAULT_TRIALS', '6'))
    rng = random.Random(int(os.environ.get('ALF_FAST_FAULT_SEED', '0')))
    root = tmp_path / 'tree'
    build_ibl_tree(root, 2000, content='empty')
    build_cache(root)
    sessions = len(One(root).search())
    # How long a build takes once the child has started: kills land in [0, 1.3 x that].
    start = time.perf_counter()
    build_cache(root, hash_files=True)
    span = time.perf_counter() - start
    for trial in range(trials):
        add_session(root, trial + 1)
        proc = spawn(root, hashed=bool(trial % 2))
        # The child says when its imports are done, so that the delay falls in the build.
        if not select.select([proc.stdout], [], [], TIMEOUT)[0]:
            finish_all([proc], 'a child that never got ready')
        assert proc.stdout.readline() == 'ready\n'
        delay = rng.uniform(0, 1.3 * span)
        sig = SIGNALS[trial % len(SIGNALS)]
        time.sleep(delay)
        proc.send_signal(sig)
        finish_all([proc], f'a build sent {sig.name}')
        pending = (root / INTENT_NAME).exists()
        left = debris(root)
        found = n_sessions_loaded(root, root)
        assert found in (sessions, sessions + 1)
        outcome = 'new' if found == sessions + 1 else 'previous'
        record(
            f'random {sig.name}',
            outcome,
            code=proc.returncode,
            delay=round(delay, 4),
            pending=pending,
            debris=left,
        )
        # Bring the tables up to date in process: the next run must leave no debris.
        build_cache(root)
        assert debris(root) == []
        sessions += 1


# ------------------------------------------------------------------------------------------
# concurrent builds and the lock
# ------------------------------------------------------------------------------------------


def test_lock_excludes_across_processes_and_survives_killed_holders(tmp_path):
    """Four processes increment a counter under the lock; two die holding it. No update may
    be lost, and nobody waits for the dead."""
    (tmp_path / 'counter').write_text('0')
    plan = [(25, -1), (25, 7), (25, -1), (25, 12)]
    procs = [
        subprocess.Popen([sys.executable, '-c', COUNTER, str(tmp_path), str(n), str(die)])
        for n, die in plan
    ]
    codes = [c for c, _ in finish_all(procs, 'lock users (one waiting for the dead?)')]
    assert codes == [0, -signal.SIGKILL, 0, -signal.SIGKILL]
    expected = sum(n if die < 0 else die for n, die in plan)
    assert int((tmp_path / 'counter').read_text()) == expected
    # A holder that died last leaves the (unlocked) file; the next user removes it.
    with TableLock(tmp_path, timeout=1):
        pass
    assert not (tmp_path / '.alf_fast.lock').exists()
    record('concurrent lock holders, 2 of 4 killed holding it', 'no lost update', rounds=100)


def test_concurrent_builds_with_killed_holders(tree):
    root, before = tree
    add_session(root, 1)
    faults = [None, 'locked', None, 'between-renames']
    procs = [spawn(root, fault=f) for f in faults]
    codes = [c for c, _ in finish_all(procs, 'concurrent builds (one waiting for the dead?)')]
    assert [c == -signal.SIGKILL for c in codes] == [f is not None for f in faults]
    assert n_sessions_loaded(root, root) == before + 1
    build_cache(root)
    assert debris(root) == []
    record('4 concurrent builds, 2 killed', 'matching new pair')


# ------------------------------------------------------------------------------------------
# unreadable root, disk full
# ------------------------------------------------------------------------------------------


def test_unreadable_root_is_an_error_and_keeps_the_tables(tree):
    """Without the capabilities that let root read anything, as a user would run it."""
    root, _ = tree
    out = root.parent / 'out'
    out.mkdir()
    build_cache(root, out_dir=out)
    saved = {p.name: p.read_bytes() for p in out.glob('*.pqt')}
    root.chmod(0)
    try:
        cmd = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search']
        proc = subprocess.run(
            [
                *cmd,
                sys.executable,
                '-m',
                'alf_fast.cli',
                'setup',
                str(root),
                '--out',
                str(out),
                '--quiet',
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        root.chmod(0o755)
    assert proc.returncode == 2, proc.stderr  # an input error (README: exit status)
    assert str(root) in proc.stderr and 'cannot be read' in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert {p.name: p.read_bytes() for p in out.glob('*.pqt')} == saved
    assert debris(out) == []
    record('unreadable root', 'error naming the root, tables kept')


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / 'mnt'
    mnt.mkdir()
    proc = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', str(mnt)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if proc.returncode:
        pytest.skip(f'cannot mount a small tmpfs here: {proc.stderr.strip()}')
    try:
        yield mnt
    finally:
        subprocess.run(['umount', '-l', str(mnt)], capture_output=True, timeout=TIMEOUT)


def fill(folder, leave):
    """Fill the file system of `folder`, then free `leave` bytes."""
    filler = folder / 'filler'
    with open(filler, 'wb', buffering=0) as f:
        try:
            while True:
                f.write(b'\0' * 4096)
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))
    return filler


@pytest.mark.parametrize('leave', [0, 4096, 12288])
def test_disk_full_names_the_path_and_keeps_the_tables(f_root, small_tmpfs, leave):
    build_cache(f_root, out_dir=small_tmpfs)
    n_sessions = len(One(f_root, tables_dir=small_tmpfs).search())
    saved = {p.name: p.read_bytes() for p in small_tmpfs.glob('*.pqt')}
    add_session(f_root, 1)
    filler = fill(small_tmpfs, leave)
    try:
        build_cache(f_root, out_dir=small_tmpfs, hash_files=True)
    except OSError as err:
        assert err.errno == 28
        assert str(small_tmpfs) in str(err) and 'No space left on device' in str(err)
        assert {p.name: p.read_bytes() for p in small_tmpfs.glob('*.pqt')} == saved
        outcome = 'error naming the table, previous tables kept'
    else:
        outcome = 'build fitted'
    assert debris(small_tmpfs) == []
    filler.unlink()
    build_cache(f_root, out_dir=small_tmpfs)
    assert debris(small_tmpfs) == []
    assert n_sessions_loaded(f_root, small_tmpfs) == n_sessions + 1
    record(f'disk full ({leave} bytes free)', outcome)


def test_an_error_from_the_batches_keeps_its_message(tmp_path):
    """Only the writer's own errors are reworded as 'cannot write <table>'."""
    import pyarrow as pa

    from alf_fast._commit import write_tables

    schema = pa.schema([pa.field('x', pa.int64())])

    def batches():
        yield pa.record_batch([pa.array([1])], schema=schema)
        raise PermissionError(13, 'Permission denied', '/data/x.y.npy')

    with pytest.raises(PermissionError, match=r'/data/x\.y\.npy') as info:
        write_tables({tmp_path / 'sessions.pqt': (schema, batches())})
    assert 'cannot write' not in str(info.value)
    assert debris(tmp_path) == []


def test_a_write_error_names_the_table(tmp_path, monkeypatch):
    import pyarrow as pa

    from alf_fast import _parquet
    from alf_fast._commit import write_tables

    def full(path, schema, parts):
        raise OSError(28, 'Error writing bytes to file. Detail: [errno 28] No space left')

    monkeypatch.setattr(_parquet, 'write_table', full)
    schema = pa.schema([pa.field('x', pa.int64())])
    with pytest.raises(OSError, match='No space left on device: cannot write') as info:
        write_tables({tmp_path / 'datasets.pqt': (schema, [])})
    assert info.value.errno == 28 and str(tmp_path / 'datasets.pqt') in str(info.value)
    assert debris(tmp_path) == []


def test_folder_fsync_refused_by_the_file_system_is_not_an_error(f_root, monkeypatch):
    """Some file systems (network ones) answer fsync on a folder with EINVAL: the renames are
    done and the build succeeds."""
    real = os.fsync

    def fsync(fd):
        if os.path.isdir(f'/proc/self/fd/{fd}'):
            raise OSError(22, 'Invalid argument')
        return real(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    build_cache(f_root)
    assert build_id(f_root / 'sessions.pqt') == build_id(f_root / 'datasets.pqt') is not None
    assert debris(f_root) == []
