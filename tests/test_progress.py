"""Progress reporting of long builds."""

import io

from alf_fast import make_parquet_db
from alf_fast._progress import StderrProgress, human_bytes
from alf_fast.cache import Progress


def test_callback_is_called_while_rust_works(tmp_path):
    session = tmp_path / 'sub/2020-01-01/001'
    session.mkdir(parents=True)
    # A sparse 600 MiB file: no disk used, but md5 needs about a second to read it.
    with open(session / 'big.data.bin', 'wb') as f:
        f.truncate(600 * 2**20)
    seen = []
    make_parquet_db(tmp_path, hash_files=True, progress=seen.append)
    assert seen, 'no progress report during a ~1 s build'
    assert all(isinstance(p, Progress) for p in seen)
    assert [p.seconds for p in seen] == sorted(p.seconds for p in seen)
    assert seen[-1].files == 1
    assert any(0 < p.bytes_hashed <= 600 * 2**20 for p in seen)


def test_stderr_line():
    out = io.StringIO()
    line = StderrProgress(stream=out, delay=0.5)
    line(Progress(files=10, folders=2, files_hashed=0, bytes_hashed=0, seconds=0.1))
    assert out.getvalue() == ''  # quiet for short runs
    line(Progress(files=12_000, folders=300, files_hashed=5, bytes_hashed=3 * 2**20, seconds=2))
    assert out.getvalue() == (
        '\r12,000 files found (6,000/s), 300 folders, hashed 5 files / 3.0 MiB\x1b[K'
    )
    line.close()
    assert out.getvalue().endswith('\n')


def test_human_bytes():
    assert [human_bytes(n) for n in (5, 1536, 3 * 2**30)] == ['5 B', '1.5 KiB', '3.0 GiB']
