"""A live progress line on stderr for long indexing runs."""

from __future__ import annotations

import sys


def human_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if n < 1024 or unit == 'TiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024
    raise AssertionError('unreachable')


class StderrProgress:
    """Callable for ``make_parquet_db(progress=...)`` that rewrites one line on stderr.

    Nothing is printed for runs shorter than ``delay`` seconds, so small trees stay quiet.
    """

    def __init__(self, stream=None, delay: float = 0.5):
        self.stream = stream or sys.stderr
        self.delay = delay
        self.shown = False

    def __call__(self, p) -> None:
        if p.seconds < self.delay:
            return
        rate = p.files / p.seconds if p.seconds else 0.0
        line = f'{p.files:,} files found ({rate:,.0f}/s), {p.folders:,} folders'
        if getattr(p, 'tasks', 0):
            # A build on a Dask cluster counts files per finished shard, not folders.
            line = f'{p.tasks_done:,}/{p.tasks:,} Dask tasks done, {p.files:,} files found'
        if p.files_hashed or p.bytes_hashed:
            line += f', hashed {p.files_hashed:,} files / {human_bytes(p.bytes_hashed)}'
        self.stream.write(f'\r{line}\x1b[K')
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """End the progress line, if one was shown."""
        if self.shown:
            self.stream.write('\n')
            self.stream.flush()
            self.shown = False
