"""The indexer through Python under hostile input and faults (issue 8 points 1, 6, 7, 10, 12;
issue 9 defect 2): special files named like datasets, Ctrl-C inside one large file, a tree
changing during hashed builds, a panicking or unstartable thread, absurd thread counts, crafted
and non-UTF-8 names, link loops. Anything that could hang runs in a subprocess with a timeout.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import warnings

import pyarrow.parquet as pq
import pytest

from alf_fast.cache import build_cache

SESSION = 'lab/Subjects/s1/2020-01-01/001'
TIMEOUT = 60

# Runs build_cache in a child and prints what it found, or the exception it raised.
_CHILD = """
import json, sys, warnings
from alf_fast.cache import build_cache
kwargs = json.loads(sys.argv[2])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    try:
        r = build_cache(sys.argv[1], **kwargs)
    except BaseException as e:
        print(json.dumps({'error': type(e).__name__, 'message': str(e)}))
        sys.exit(0)
print(json.dumps({'datasets': r.datasets, 'issues': r.issues,
                  'warnings': [str(w.message) for w in caught]}))
"""


def build_in_child(root, env=None, **kwargs):
    """``build_cache(root, **kwargs)`` in a subprocess that must finish within TIMEOUT."""
    out = subprocess.run(
        [sys.executable, '-c', _CHILD, str(root), json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def good_tree(root, n=3):
    for i in range(n):
        path = root / SESSION / f'alf/obj{i}.attr.npy'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'x' * i)
    return root


def test_special_files_are_reported_by_path_and_never_opened(tmp_path, monkeypatch):
    alf = good_tree(tmp_path).resolve() / SESSION / 'alf'
    fifo, sock, zero = alf / 'fifo.times.npy', alf / 'socket.times.npy', alf / 'zero.times.npy'
    os.mkfifo(fifo)
    server = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(alf)  # a socket's path is limited to 108 bytes: bind it relative
    server.bind(sock.name)
    zero.symlink_to('/dev/zero')
    try:
        got = build_in_child(tmp_path, hash_files=True)
    finally:
        server.close()
    assert got['datasets'] == 3
    reported = sorted((p, kind) for p, kind, _ in got['issues'])
    assert reported == [(str(p), 'not_a_file') for p in (fifo, sock, zero)]
    assert all(str(p) in got['warnings'][0] for p in (fifo, sock, zero))


def test_ctrl_c_stops_a_hashed_build_inside_one_large_file(tmp_path):
    big = good_tree(tmp_path) / SESSION / 'alf/big.times.bin'
    with open(big, 'wb') as f:
        f.truncate(64 << 30)  # sparse: 64 GiB of zeros that take no disk, a minute to read
    code = (
        'import sys\n'
        'from alf_fast import make_parquet_db\n'
        'def progress(p):\n'
        '    if p.bytes_hashed:\n'
        '        print("hashing", flush=True)\n'
        'try:\n'
        f'    make_parquet_db({str(tmp_path)!r}, hash_files=True, progress=progress, threads=1)\n'
        'except KeyboardInterrupt:\n'
        '    print("KeyboardInterrupt", flush=True)\n'
        '    sys.exit(3)\n'
    )
    child = subprocess.Popen(
        [sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == 'hashing'
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 3, err
    assert out.strip().endswith('KeyboardInterrupt')
    assert list(tmp_path.glob('*.pqt')) == []


def _content(size):
    """What the writer puts in a file of ``size`` bytes: a function of the size, so that a row
    whose hash is not the md5 of ``_content(file_size)`` mixes two versions of a file."""
    return bytes([size % 251]) * size


def test_a_tree_changing_during_hashed_builds(tmp_path):
    alf = tmp_path / SESSION / 'alf'
    alf.mkdir(parents=True)
    paths = [alf / f'obj{i}.attr.bin' for i in range(16)]
    for p in paths:
        p.write_bytes(_content(1000))
    stop = threading.Event()

    def writer():
        x = 1
        while not stop.is_set():
            x = (x * 1103515245 + 12345) % (1 << 31)
            path, size = paths[x % len(paths)], (x >> 8) % 200_000
            if x % 3 == 0:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(_content(size))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(8):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                report = build_cache(tmp_path, hash_files=True, threads=2)
            table = pq.read_table(report.datasets_path).to_pylist()
            changing = {p for p, kind, _ in report.issues if kind == 'changing'}
            for row in table:
                if row['hash'] is None:
                    assert str(alf.resolve() / row['rel_path'].split('/')[-1]) in changing
                else:
                    expected = hashlib.md5(_content(row['file_size'])).hexdigest()
                    assert row['hash'] == expected, row
    finally:
        stop.set()
        thread.join(timeout=TIMEOUT)


@pytest.mark.parametrize(
    ('fault', 'hash_files', 'expected'),
    [
        ('panic:alf', False, r'injected panic at .*/alf'),
        ('panic:obj1.attr.npy', True, r'injected panic at .*/obj1\.attr\.npy'),
        ('spawn:1', False, 'cannot start thread alf-walk-1'),
    ],
)
def test_a_failing_thread_is_an_error_with_its_reason_not_a_hang(
    tmp_path, fault, hash_files, expected
):
    import re

    good_tree(tmp_path)
    got = build_in_child(
        tmp_path, env={'ALF_FAST_TEST_FAULT': fault}, hash_files=hash_files, threads=4
    )
    assert got.get('error') == 'RuntimeError', got
    assert re.search(expected, got['message']), got['message']
    assert list(tmp_path.glob('*.pqt')) == []


@pytest.mark.parametrize('threads', [10**6, 10**30])
def test_an_absurd_thread_count_is_capped(tmp_path, threads):
    good_tree(tmp_path)
    got = build_in_child(tmp_path, threads=threads, hash_files=True)
    assert got.get('datasets') == 3, got


def test_crafted_names_are_reported_by_path(tmp_path):
    root = good_tree(tmp_path).resolve()
    newline = root / 'S\n2/2020-01-01/001'
    (newline / 'alf').mkdir(parents=True)
    (newline / 'alf/a.b.npy').write_bytes(b'')
    (root / '2/2020-01-01/002').mkdir(parents=True)
    (root / '2/2020-01-01/002/a.b.npy').write_bytes(b'')
    raw = os.fsencode(root) + b'/lab\xff/Subjects/s9/2020-01-01/001'
    os.makedirs(raw)
    with open(raw + b'/a.b.npy', 'wb'):
        pass
    loop = root / 'lab/Subjects/s1/2020-01-02/001'
    loop.parent.mkdir(parents=True)
    loop.symlink_to(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        report = build_cache(root)
    assert report.sessions == 2  # s1's session and 2/2020-01-01/002, not a subject '2' twice
    kinds = {p: kind for p, kind, _ in report.issues}
    assert kinds == {
        str(newline): 'bad_session_folder',
        f'{root}/lab\ufffd': 'not_utf8',  # shown lossily
        str(loop): 'link_loop',
    }
    (message,) = [str(w.message) for w in caught]
    assert message.startswith('3 path(s)')
    assert 'S\\n2' in message  # the subject folder's name, escaped
