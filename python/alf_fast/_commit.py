"""Replacing the table pair as one recoverable commit, and checking a pair before it is read.

A build writes each table to a hidden temporary file beside its destination and fsyncs it.
It then writes an *intent record*, ``.alf_fast.commit``, naming the build and the renames
still to do, and makes it durable (temporary file, fsync, rename, fsync of the folder) before
the first table is replaced. After the renames the folder is fsynced and the record removed.
A process killed at any point therefore leaves either the previous pair (no record yet) or a
record from which the next build, or the next ``One()`` on the folder, finishes the renames
(rolls forward). Every table of one build carries the same build id in its parquet footer, so
a reader can tell a matching pair from a mixed one; ONE-api ignores the key.

Callers hold the folder's :class:`~alf_fast._lock.TableLock` while writing or recovering.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import signal
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alf_fast._lock import TableLock

__all__ = [
    'FAULT_ENV',
    'INTENT_NAME',
    'build_id',
    'check_pair',
    'prepare_load',
    'recover',
    'remove_debris',
    'write_tables',
]

_logger = logging.getLogger(__name__)

#: The footer key holding ``{"build_id": ...}``.
BUILD_KEY = b'alf_fast'
INTENT_NAME = '.alf_fast.commit'
PAIR = ('sessions.pqt', 'datasets.pqt')
#: Test hook: the name of a commit step at which the process kills itself with SIGKILL, so a
#: fault test can stop a build at an exact point (see ``fault_point``).
FAULT_ENV = 'ALF_FAST_FAULT'
#: How long ``One()`` waits for a build that holds the lock while a commit is pending.
LOAD_LOCK_TIMEOUT = 10.0

# A staged table, ``.<table>.<pid>.tmp``, and a staged intent record.
_STAGED = re.compile(r'^\.(?P<dest>[^/\\]+\.pqt)\.\d+\.tmp$')
_STAGED_INTENT = re.compile(r'^' + re.escape(INTENT_NAME) + r'\.\d+\.tmp$')


def fault_point(name: str) -> None:
    """Kill this process (SIGKILL: no cleanup runs) if ``$ALF_FAST_FAULT`` names this step."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as err:
        # Some file systems (CIFS, some FUSE and network mounts) cannot fsync a folder; the
        # renames are still atomic there, only their durability is theirs to give.
        if not (directory and err.errno in (errno.EINVAL, errno.ENOTSUP, errno.EBADF)):
            raise
    finally:
        os.close(fd)


def _staged_name(dest: Path) -> Path:
    return dest.with_name(f'.{dest.name}.{os.getpid()}.tmp')


def _write_error(err: OSError, dest: Path) -> OSError:
    """The error to raise when writing ``dest`` failed: it names the table, says what the
    system said (pyarrow's own text does not name the file) and that nothing was replaced."""
    reason = os.strerror(err.errno) if err.errno else str(err)
    return type(err)(
        err.errno, f'{reason}: cannot write {dest} (the previous tables are left unchanged)'
    )


def build_id(path: Path) -> str | None:
    """The build id in a table's footer, or None (a table ONE-api or an older alf_fast wrote)."""
    raw = pq.read_schema(path).metadata or {}
    try:
        value = json.loads(raw[BUILD_KEY])['build_id']
    except (KeyError, ValueError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _with_build_id(schema: pa.Schema, build: str) -> pa.Schema:
    meta = dict(schema.metadata or {})
    meta[BUILD_KEY] = json.dumps({'build_id': build}).encode()
    return schema.with_metadata(meta)


def _write_intent(folder: Path, build: str, renames: list[tuple[Path, Path]]) -> Path:
    intent = folder / INTENT_NAME
    staged = folder / f'{INTENT_NAME}.{os.getpid()}.tmp'
    record = {'build_id': build, 'renames': [[tmp.name, dest.name] for tmp, dest in renames]}
    try:
        with open(staged, 'w') as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(staged, intent)
    except OSError as err:
        staged.unlink(missing_ok=True)
        raise _write_error(err, intent) from err
    _fsync(folder, directory=True)
    return intent


def _finish(folder: Path, intent: Path, renames: list[tuple[Path, Path]]) -> None:
    for i, (tmp, dest) in enumerate(renames):
        if i:
            fault_point('between-renames')
        os.replace(tmp, dest)
    fault_point('renamed')
    _fsync(folder, directory=True)
    intent.unlink()
    _fsync(folder, directory=True)


def write_tables(tables: dict[Path, tuple[pa.Schema, Iterable]]) -> str:
    """Write tables given as a schema and an iterable of batches or tables, and replace the
    destinations as one commit (see the module notes). Returns the build id.

    All destinations must be in one folder, whose lock the caller holds. Batches are written
    as they come, so a large table is never in memory whole. A failure before the commit
    (disk full, an error from the batches) removes the temporary files and raises, naming the
    destination; the previous tables are untouched.
    """
    from alf_fast._parquet import write_table

    folders = {dest.parent for dest in tables}
    if len(folders) != 1:
        raise ValueError(f'tables to commit together must share a folder, got {folders}')
    folder = folders.pop()
    build = uuid.uuid4().hex
    staged: list[tuple[Path, Path]] = []
    committing = False
    # Errors raised while producing the batches (a file that cannot be hashed) are not write
    # errors and keep their own message.
    source_errors: list[BaseException] = []

    def tracked(parts):
        try:
            yield from parts
        except BaseException as err:
            source_errors.append(err)
            raise

    try:
        for dest, (schema, parts) in tables.items():
            tmp = _staged_name(dest)
            staged.append((tmp, dest))
            try:
                write_table(tmp, _with_build_id(schema, build), tracked(parts))
                _fsync(tmp)
            except OSError as err:
                if err in source_errors:
                    raise
                raise _write_error(err, dest) from err
        fault_point('written')
        intent = _write_intent(folder, build, staged)
        # From here on the staged files belong to the intent record: if a rename fails, the
        # next build or load finishes the commit from them.
        committing = True
        fault_point('intent')
        _finish(folder, intent, staged)
    finally:
        if not committing:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
    return build


def _read_intent(intent: Path) -> tuple[str, list[tuple[Path, Path]]] | None:
    """The build id and renames of an intent record, or None if it is not a valid one."""
    try:
        record = json.loads(intent.read_text())
        build = record['build_id']
        pairs = [(str(a), str(b)) for a, b in record['renames']]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    folder = intent.parent
    renames = []
    for tmp, dest in pairs:
        match = _STAGED.match(tmp)
        # Only ever rename a staged table onto the table it was staged for, in this folder.
        if match is None or match['dest'] != dest:
            return None
        renames.append((folder / tmp, folder / dest))
    return str(build), renames


def recover(folder: Path) -> bool:
    """Finish an interrupted commit in ``folder`` if one is pending; True if one was.

    The caller holds the folder's lock.
    """
    intent = folder / INTENT_NAME
    if not intent.exists():
        return False
    parsed = _read_intent(intent)
    if parsed is None:
        _logger.warning('%s: not a valid commit record; removed', intent)
        intent.unlink(missing_ok=True)
        return True
    build, renames = parsed
    pending = [(tmp, dest) for tmp, dest in renames if tmp.exists()]
    for tmp, dest in renames:
        if (tmp, dest) not in pending and (not dest.exists() or _safe_build_id(dest) != build):
            _logger.warning(
                '%s: the interrupted commit of build %s cannot be completed: %s is missing',
                intent,
                build,
                tmp,
            )
    if pending:
        _logger.warning(
            '%s: completing the commit of build %s interrupted by a previous run', folder, build
        )
    _finish(folder, intent, pending)
    return True


def _safe_build_id(path: Path) -> str | None:
    try:
        return build_id(path)
    except Exception:  # an unreadable table has no build id we can trust
        return None


def remove_debris(folder: Path) -> list[Path]:
    """Remove staged files left by builds that died before their commit; returns them.

    The caller holds the folder's lock and has run :func:`recover`, so no staged file in the
    folder can belong to a live build or to a pending commit.
    """
    removed = []
    for entry in os.scandir(folder):
        if _STAGED.match(entry.name) or _STAGED_INTENT.match(entry.name):
            path = Path(entry.path)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    if removed:
        _logger.info(
            '%s: removed %d temporary file(s) left by an interrupted build', folder, len(removed)
        )
    return removed


def check_pair(folder: Path) -> None:
    """Raise ``ValueError`` naming both files if the tables in ``folder`` come from two builds.

    Tables without a build id (written by ONE-api, by an older alf_fast, or rewritten by
    pandas) are not checked; an unreadable table is left for the loader to report.
    """
    paths = [folder / name for name in PAIR]
    if not all(p.is_file() for p in paths):
        return
    ids = [_safe_build_id(p) for p in paths]
    if ids[0] and ids[1] and ids[0] != ids[1]:
        raise ValueError(
            f'{paths[0]} and {paths[1]} come from different builds ({ids[0]} and {ids[1]}): '
            'an alf_fast setup was interrupted while replacing them. Run the setup again '
            'to rebuild them.'
        )


def prepare_load(folder: str | os.PathLike) -> None:
    """Before tables are read: finish a pending commit if any, then refuse a mixed pair.

    Finishing needs the lock and write access; if either is missing (a read-only folder, a
    live build still holding the lock) the pair is only checked.
    """
    folder = Path(folder)
    if (folder / INTENT_NAME).exists():
        try:
            with TableLock(folder, timeout=LOAD_LOCK_TIMEOUT):
                recover(folder)
        except OSError as err:
            _logger.warning('%s: cannot complete an interrupted commit: %s', folder, err)
    check_pair(folder)
