"""The lock that keeps two builds from writing the same tables folder at once.

The lock is an OS advisory lock (``flock``) on ``.alf_fast.lock`` in the tables folder. The
kernel drops it when its holder exits for any reason, kill -9 included, so there is no stale
lock to detect and no takeover to race: a waiter simply gets the lock once the holder is gone.
On NFS, Linux maps ``flock`` to the server's POSIX locks, so builds on two hosts exclude each
other too.

The file itself is removed on release, so the folder holds nothing between builds. Removing a
lock file is only safe with care: a waiter may already have the old file open and be granted
the lock on it after the holder unlinks it, while a newcomer creates and locks a new file at
the same path. So the holder unlinks the file *before* unlocking, and whoever is granted the
lock checks that the path still names the very file it locked; if not, it starts over.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

__all__ = ['LOCK_NAME', 'TableLock']

LOCK_NAME = '.alf_fast.lock'
_POLL_SECONDS = 0.05


class TableLock:
    """An exclusive lock on a tables folder, held in a ``with`` block.

    Parameters
    ----------
    folder : pathlib.Path
        The folder holding (or about to hold) the tables.
    timeout : float
        Seconds to wait for another holder before raising :class:`TimeoutError`.

    Raises
    ------
    TimeoutError
        Another live process (or another lock object of this one) kept the lock for
        ``timeout`` seconds. The message names the lock file and the holder.
    OSError
        The lock file cannot be created (for example a read-only folder), naming it.
    """

    def __init__(self, folder: str | os.PathLike, timeout: float = 60.0):
        self.path = Path(folder) / LOCK_NAME
        self.timeout = timeout
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            text = self.path.read_text().split()
        except OSError:
            text = []
        if len(text) >= 2:
            return f'process {text[1]} on {text[0]}'
        return 'another process'

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise type(err)(
                err.errno, f'cannot create the lock file: {err.strerror}', str(self.path)
            ) from None

    def _try_lock(self) -> int | None:
        """The locked descriptor of the file now at ``self.path``, or None if it is held."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        mine = os.fstat(fd)
        if now is None or (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
            # The previous holder removed this file after we opened it: what we locked is no
            # longer the lock.
            os.close(fd)
            return -1
        return fd

    def acquire(self) -> TableLock:
        """Take the lock, waiting up to ``timeout`` seconds; returns self."""
        if self._fd is not None:
            raise RuntimeError(f'{self.path}: lock already held by this object')
        deadline = time.monotonic() + self.timeout
        while True:
            fd = self._try_lock()
            if fd is not None and fd >= 0:
                break
            if fd is None:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f'{self.path}: another alf_fast setup ({self._holder()}) has been '
                        f'writing tables in this folder for more than {self.timeout:g} s; '
                        'try again when it has finished',
                    )
                time.sleep(_POLL_SECONDS)
        self._fd = fd
        self._write_holder(fd)
        return self

    @staticmethod
    def _write_holder(fd: int) -> None:
        # Who holds the lock is only shown in messages: failing to record it (a full disk)
        # must not fail the build.
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f'{socket.gethostname()} {os.getpid()}\n'.encode())
        except OSError:
            pass

    def release(self) -> None:
        """Remove the lock file and unlock it (in that order, see the module notes)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def __enter__(self) -> TableLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
