"""Type stubs for the Rust extension (checked against the built module by mypy.stubtest)."""

from collections.abc import Callable
from os import PathLike
from typing import Any, Literal, TypedDict

__all__ = [
    'STABLE_NAMESPACE',
    '__version__',
    'build_profile',
    'index_tree',
    'is_valid_filename',
    'rel_path_parts',
    'session_path_parts',
]

__version__: str
build_profile: Literal['debug', 'release']
STABLE_NAMESPACE: str

class _RecordBatchStream:
    """A pyo3-arrow RecordBatchReader: pass it to ``pyarrow.RecordBatchReader.from_stream``
    (once)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class _IndexResult(TypedDict):
    root: str
    sessions: _RecordBatchStream
    datasets: _RecordBatchStream
    n_datasets: int
    issues: list[tuple[str, str, str]]
    skipped: list[tuple[str, str, str]]
    bytes: int

def index_tree(
    root: str | PathLike[str],
    *,
    threads: int = 0,
    hash_files: bool = False,
    ids: Literal['stable', 'strings', 'namespace'] = 'stable',
    namespace: str | None = None,
    progress: Callable[[int, int, int, int], Any] | None = None,
) -> _IndexResult:
    """Walk ``root`` (GIL released) and build the sessions and datasets tables.

    ``threads`` is capped at ``max(64, cores)``. ``progress(files, folders, files_hashed,
    bytes_hashed)`` is called about five times a second. ``issues`` are ``(path, kind,
    message)`` with kind one of ``unreadable``, ``vanished``, ``bad_session_folder``,
    ``duplicate_session``, ``not_a_file``, ``not_utf8``, ``link_loop``, ``changing``;
    ``skipped`` holds the ``not_alf`` names. Raises ``FileNotFoundError``/``NotADirectoryError``
    for a bad root, ``OSError`` naming the file when hashing fails, ``KeyboardInterrupt`` when
    interrupted (checked between chunks of a file), ``RuntimeError`` when a thread cannot start
    or panics (with the reason).
    """

def rel_path_parts(
    paths: list[str],
) -> list[
    tuple[
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
    ]
    | None
]:
    """(collection, revision, namespace, object, attribute, timescale, extra, extension) per
    relative path, or None where it is not valid ALF."""

def session_path_parts(
    paths: list[str], anchored: bool = True
) -> list[tuple[str | None, str, str, str] | None]:
    """(lab, subject, date, number) of the session each path ends with (``anchored``) or
    contains, else None."""

def is_valid_filename(names: list[str]) -> list[bool]:
    """Whether each name is a valid ALF file name."""
