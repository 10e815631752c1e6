"""The progress line of long indexing runs: live on a terminal, a line every 10 s in a log.

Our own ~80 lines rather than tqdm, rich or Rust's indicatif, compared for this job:

- tqdm writes ``\\r`` updates into a log file as it does on a terminal (or, with
  ``disable=None``, nothing at all), never a plain line now and then, and knows one total
  while a build has two phases (a walk of unknown length, then a hash pass of known bytes);
- rich's ``Progress`` draws nothing on a non-terminal until it stops, and brings a large
  dependency (pygments, markdown-it) into a package whose runtime needs are numpy, polars and
  pyarrow;
- indicatif would draw from Rust straight to file descriptor 2, so a notebook, pytest's
  capture or a caller's ``sys.stderr`` would not see it, and the ``progress=callable`` API
  needs the counters in Python anyway.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ['StderrProgress', 'human_bytes', 'human_seconds']

#: Seconds between two lines when the stream is not a terminal (a log file, a batch job).
LOG_INTERVAL = 10.0


def human_bytes(n: float) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if n < 1024 or unit == 'TiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024
    raise AssertionError('unreachable')


def human_seconds(s: float) -> str:
    """``75`` → ``'1:15'``, ``3725`` → ``'1:02:05'``."""
    s = round(s)
    hours, rest = divmod(s, 3600)
    minutes, seconds = divmod(rest, 60)
    return f'{hours}:{minutes:02d}:{seconds:02d}' if hours else f'{minutes}:{seconds:02d}'


class StderrProgress:
    """Callable for ``make_parquet_db(progress=...)`` writing a progress line to a stream.

    On a terminal the line is rewritten in place about five times a second; on anything else
    (a log file, a SLURM job's output) a full line is written at most every
    :data:`LOG_INTERVAL` seconds, so a log holds a few lines, not hundreds of carriage
    returns. Nothing is written for runs shorter than `delay` seconds. While hashing, the line
    shows bytes done of total, percent, rate and time left. Call :meth:`close` at the end.

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default: ``sys.stderr`` at the time of the call).
    delay : float
        Seconds of quiet before the first line.
    live : bool, optional
        Rewrite one line in place; default: whether `stream` is a terminal.
    interval : float, optional
        Least seconds between two lines; default 0 when `live`, else :data:`LOG_INTERVAL`.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        delay: float = 0.5,
        live: bool | None = None,
        interval: float | None = None,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        if live is None:
            isatty = getattr(self.stream, 'isatty', None)
            live = bool(isatty and isatty())
        self.live = live
        self.interval = (0.0 if live else LOG_INTERVAL) if interval is None else interval
        self.shown = False
        self._last = float('-inf')
        self._walk_rate = 0.0
        # (seconds, bytes hashed) at the first report of the hash pass: the rate is measured
        # from there, since the walk's seconds say nothing about hashing speed.
        self._hash_start: tuple[float, int] | None = None

    def __call__(self, p) -> None:
        hashing = getattr(p, 'bytes_to_hash', 0) > 0
        if hashing and self._hash_start is None:
            # The walk is over: its rate stays as it was instead of decaying while we hash.
            self._hash_start = (p.seconds, p.bytes_hashed)
        if not hashing:
            self._walk_rate = p.files / p.seconds if p.seconds else 0.0
        if p.seconds < self.delay or p.seconds - self._last < self.interval:
            return
        self._last = p.seconds
        line = self.line(p)
        if self.live:
            self.stream.write(f'\r{line}\x1b[K')
        else:
            self.stream.write(f'{line}\n')
        self.stream.flush()
        self.shown = True

    def line(self, p) -> str:
        """The progress text for the counters `p` (a :class:`alf_fast.cache.Progress`)."""
        walked = f'{p.files:,} files found ({self._walk_rate:,.0f}/s), {p.folders:,} folders'
        if getattr(p, 'tasks', 0):
            # A build on a Dask cluster counts files per finished shard, not folders.
            walked = f'{p.tasks_done:,}/{p.tasks:,} Dask tasks done, {p.files:,} files found'
        total = getattr(p, 'bytes_to_hash', 0)
        if not total:
            if p.files_hashed or p.bytes_hashed:
                walked += f', hashed {p.files_hashed:,} files / {human_bytes(p.bytes_hashed)}'
            return walked
        done = min(p.bytes_hashed, total)
        start_s, start_bytes = self._hash_start or (0.0, 0)
        elapsed = p.seconds - start_s
        rate = (done - start_bytes) / elapsed if elapsed > 0 else 0.0
        line = (
            f'{p.files:,} files found; hashed {human_bytes(done)} of {human_bytes(total)} '
            f'({100 * done / total:.0f}%)'
        )
        if rate <= 0:  # no rate, nor time left, until bytes were hashed in measurable time
            return line
        return f'{line}, {human_bytes(rate)}/s, {human_seconds((total - done) / rate)} left'

    def close(self) -> None:
        """End the progress line, if one was shown on a terminal."""
        if self.shown and self.live:
            self.stream.write('\n')
            self.stream.flush()
        self.shown = False
