"""Helpers of the benchmark suite (``benches/suite.py``): statistics, capped subprocesses,
machine information and number formatting. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    'Capped',
    'fmt_bytes',
    'fmt_count',
    'fmt_seconds',
    'machine_info',
    'run_capped',
    'summarize',
    'time_command',
]

# ru_maxrss is in kibibytes on Linux and in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == 'darwin' else 1024


def summarize(runs: list[float]) -> dict[str, Any]:
    """Median, min and max of ``runs`` (all ``None`` when there is none)."""
    if not runs:
        return {'median': None, 'min': None, 'max': None, 'n': 0}
    return {
        'median': statistics.median(runs),
        'min': min(runs),
        'max': max(runs),
        'n': len(runs),
    }


@dataclass
class Capped:
    """What a capped subprocess did.

    ``status`` is ``'ok'`` (exit 0), ``'error'`` (another exit status) or ``'dnf'`` (killed
    after ``cap`` seconds without progress). ``lines`` holds every line it printed on stdout
    that parsed as JSON; ``peak_rss`` is the kernel's maximum resident set size of the process
    (bytes), read with ``os.wait4``.
    """

    status: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    returncode: int | None = None
    peak_rss: int | None = None
    wall: float = 0.0
    stderr: str = ''


def _reader(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def run_capped(cmd: list[str], cap: float, reset_on_line: bool = False) -> Capped:
    """Run ``cmd``, killing it (and its process group) if it takes longer than ``cap`` seconds.

    With ``reset_on_line``, the cap applies between two lines of output instead of to the whole
    run, so a worker that prints one line per measurement is capped per measurement.
    """
    with tempfile.TemporaryFile(mode='w+') as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        lines: queue.Queue = queue.Queue()
        thread = threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True)
        thread.start()
        parsed: list[dict[str, Any]] = []
        deadline = time.monotonic() + cap
        killed = False
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                killed = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                break
            if line is None:
                break
            with contextlib.suppress(ValueError):
                parsed.append(json.loads(line))
            if reset_on_line:
                deadline = time.monotonic() + cap
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        thread.join(timeout=5)
        proc.stdout.close()
        err.seek(0)
        stderr = err.read()
    if killed:
        state = 'dnf'
    else:
        state = 'ok' if proc.returncode == 0 else 'error'
    return Capped(
        status=state,
        lines=parsed,
        returncode=proc.returncode,
        peak_rss=usage.ru_maxrss * _RSS_UNIT,
        wall=wall,
        stderr=stderr[-4000:],
    )


def time_command(cmd: list[str]) -> float:
    """Wall seconds of one run of ``cmd`` (output discarded); raises if it fails."""
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t0


def _cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        for line in Path('/proc/meminfo').read_text().splitlines():
            if line.startswith('MemTotal:'):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    except (ValueError, OSError, AttributeError):
        return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git(repo: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ['git', '-C', str(repo), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def machine_info(repo: Path | None = None) -> dict[str, Any]:
    """Cores, memory, CPU model, OS and the versions of everything measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        'cores': os.cpu_count(),
        'usable_cores': usable,
        'memory_bytes': _memory_bytes(),
        'cpu_model': _cpu_model(),
        'os': platform.platform(),
        'kernel': platform.release(),
        'python': platform.python_version(),
        'python_implementation': platform.python_implementation(),
        'versions': {
            name: _version(name)
            for name in ('alf-fast', 'ONE-api', 'polars', 'pyarrow', 'numpy', 'pandas')
        },
        'git_commit': (_git(repo, 'rev-parse', 'HEAD') or None) if repo else None,
        'git_dirty': bool(_git(repo, 'status', '--porcelain', '--untracked-files=no'))
        if repo
        else None,
    }


def fmt_seconds(s: float | None) -> str:
    """``0.00042`` -> ``'420 µs'``, ``1.5`` -> ``'1.50 s'``, ``None`` -> ``'—'``."""
    if s is None:
        return '—'
    if s < 1e-3:
        return f'{s * 1e6:.0f} µs'
    if s < 1:
        return f'{s * 1e3:.3g} ms'
    if s < 100:
        return f'{s:.3g} s'
    return f'{s:.0f} s'


def fmt_bytes(n: float | None) -> str:
    """Bytes in binary units: ``1536`` -> ``'1.5 KiB'``."""
    if n is None:
        return '—'
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024 or unit == 'GiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024
    return f'{n:.1f} TiB'  # pragma: no cover


def fmt_count(n: float | None) -> str:
    """``1234567`` -> ``'1,234,567'``."""
    return '—' if n is None else f'{n:,.0f}'
