"""Progress reporting of long builds: a live line on a terminal, a line every 10 s in a log."""

import io
import os
import select
import subprocess
import sys
import time

import pytest

from alf_fast import make_parquet_db
from alf_fast._progress import LOG_INTERVAL, StderrProgress, human_bytes, human_seconds
from alf_fast.cache import Progress

TIMEOUT = 120
MIB = 2**20


def sparse_tree(root, mib=600):
    """One session holding a sparse file: no disk used, but md5 needs about a second."""
    session = root / 'sub/2020-01-01/001'
    session.mkdir(parents=True)
    with open(session / 'big.data.bin', 'wb') as f:
        f.truncate(mib * MIB)
    return root


def walk(files, seconds, folders=0):
    return Progress(files, folders, 0, 0, seconds)


def hashing(done, total, seconds, files=100):
    return Progress(files, 10, 0, done, seconds, bytes_to_hash=total)


def test_callback_is_called_while_rust_works(tmp_path):
    sparse_tree(tmp_path)
    seen = []
    make_parquet_db(tmp_path, hash_files=True, progress=seen.append)
    assert seen, 'no progress report during a ~1 s build'
    assert all(isinstance(p, Progress) for p in seen)
    assert [p.seconds for p in seen] == sorted(p.seconds for p in seen)
    assert seen[-1].files == 1
    assert any(0 < p.bytes_hashed <= 600 * MIB for p in seen)
    # the hash pass knows its total from its first report on
    hashing_reports = [p for p in seen if p.bytes_hashed]
    assert hashing_reports and all(p.bytes_to_hash == 600 * MIB for p in hashing_reports)


def test_live_line_is_rewritten():
    out = io.StringIO()
    line = StderrProgress(stream=out, delay=0.5, live=True)
    line(walk(10, 0.1, folders=2))
    assert out.getvalue() == ''  # quiet for short runs
    line(walk(12_000, 2, folders=300))
    assert out.getvalue() == '\r12,000 files found (6,000/s), 300 folders\x1b[K'
    line(walk(13_000, 2.2, folders=310))
    assert out.getvalue().count('\r') == 2 and '\n' not in out.getvalue()
    line.close()
    assert out.getvalue().endswith('\n')


def test_log_gets_a_line_every_10_seconds():
    """Not a terminal: plain lines, at most one per LOG_INTERVAL, however often we are called."""
    out = io.StringIO()
    line = StderrProgress(stream=out)  # StringIO is not a terminal
    assert not line.live and LOG_INTERVAL == 10
    for tick in range(1, 126):  # 25 s of reports, five a second
        line(walk(tick * 100, tick * 0.2))
    lines = out.getvalue().splitlines(keepends=True)
    assert len(lines) == 3  # at 0.6 s, 10.6 s and 20.6 s
    assert all(x.endswith('\n') and '\r' not in x and '\x1b' not in x for x in lines)
    line.close()
    assert len(out.getvalue().splitlines()) == 3  # nothing to end


def test_hashing_shows_done_total_percent_rate_and_time_left():
    out = io.StringIO()
    line = StderrProgress(stream=out, live=True, delay=0)
    line(walk(100, 1.0))  # the walk: 100 files/s
    line(hashing(0, 1000 * MIB, 1.0))  # the hash pass starts: no rate yet
    assert out.getvalue().split('\r')[-1] == (
        '100 files found; hashed 0 B of 1000.0 MiB (0%)\x1b[K'
    )
    line(hashing(250 * MIB, 1000 * MIB, 3.5))  # 100 MiB/s for 2.5 s
    last = out.getvalue().split('\r')[-1]
    assert last == (
        '100 files found; hashed 250.0 MiB of 1000.0 MiB (25%), 100.0 MiB/s, 0:08 left\x1b[K'
    )


def test_walk_rate_does_not_decay_while_hashing():
    line = StderrProgress(stream=io.StringIO(), live=True, delay=0)
    line(walk(1000, 1.0))
    line(hashing(10, 100, 50.0, files=1000))
    assert line._walk_rate == 1000  # not 1000 / 50
    assert line.line(walk(1000, 50.0)).startswith('1,000 files found (1,000/s)')


def test_human_units():
    assert [human_bytes(n) for n in (5, 1536, 3 * 2**30)] == ['5 B', '1.5 KiB', '3.0 GiB']
    assert [human_seconds(s) for s in (0, 75, 3725)] == ['0:00', '1:15', '1:02:05']


def _run_with_stderr_on_a_terminal(code: str) -> str:
    """Run `code` in a new Python with stderr on a pseudo-terminal; return what it wrote."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, '-c', code], stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=TIMEOUT)
    finally:
        proc.kill()
        os.close(master)
    assert proc.returncode == 0
    return b''.join(chunks).decode()


@pytest.mark.skipif(sys.platform == 'win32', reason='needs a pseudo-terminal')
def test_progress_true_ends_its_line_on_a_terminal(tmp_path):
    sparse_tree(tmp_path)
    code = (
        'import sys\n'
        'from alf_fast import make_parquet_db\n'
        f'make_parquet_db({str(tmp_path)!r}, hash_files=True, progress=True)\n'
        'sys.stderr.write("END")\n'
    )
    err = _run_with_stderr_on_a_terminal(code)
    assert '\r' in err and 'hashed' in err, err
    before_end = err[: err.index('END')]
    assert before_end.endswith('\n'), repr(err[-200:])


def test_progress_in_a_log_is_plain_lines(tmp_path):
    """stderr is a pipe (a log file, a batch job): lines, no carriage returns."""
    sparse_tree(tmp_path)
    code = (
        'from alf_fast import make_parquet_db\n'
        f'make_parquet_db({str(tmp_path)!r}, hash_files=True, progress=True)\n'
    )
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=TIMEOUT
    )
    seconds = time.monotonic() - start
    assert out.returncode == 0, out.stderr
    assert '\r' not in out.stderr and '\x1b' not in out.stderr
    # at most one line per 10 s (about one line in all, unless the machine is very busy)
    assert len(out.stderr.splitlines()) <= 1 + seconds / LOG_INTERVAL
    assert all('of 600.0 MiB' in line for line in out.stderr.splitlines())
