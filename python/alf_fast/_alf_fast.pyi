"""Type stubs for the Rust extension (checked against the built module by mypy.stubtest)."""

from collections.abc import Callable
from os import PathLike
from typing import Any, Literal, Protocol, TypedDict, final

__all__ = [
    'STABLE_NAMESPACE',
    'MergedWalk',
    '__version__',
    'build_profile',
    'index_tree',
    'is_valid_filename',
    'md5_paths',
    'merge_walk_parts',
    'rel_path_parts',
    'session_path_parts',
    'walk_shard',
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
    progress: Callable[[int, int, int, int, int], Any] | None = None,
) -> _IndexResult:
    """Walk ``root`` (GIL released) and build the sessions and datasets tables.

    ``threads`` is capped at ``max(64, cores)``. ``progress(files, folders, files_hashed,
    bytes_hashed, bytes_to_hash)`` is called about five times a second (``bytes_to_hash`` is 0
    until the walk ends, and without hashing). ``issues`` are ``(path, kind,
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

class _RecordBatch:
    """A pyo3-arrow RecordBatch: pass it to ``pyarrow.record_batch``."""

    def __arrow_c_array__(self, requested_schema: object | None = None) -> object: ...

class _ArrowArrayLike(Protocol):
    def __arrow_c_array__(self, requested_schema: object | None = None) -> object: ...

def walk_shard(
    root: str | PathLike[str],
    seeds: list[str] | None,
    *,
    threads: int = 1,
    ids: Literal['stable', 'strings', 'namespace'] = 'stable',
    namespace: str | None = None,
) -> tuple[_RecordBatch, _RecordBatch, _RecordBatch]:
    """Walk the entries ``seeds`` below ``root`` (``None``: the whole root) as a walk of the
    whole tree would; returns the part's (sessions, datasets, issues) batches."""

@final
class MergedWalk:
    """A walk merged from shards, waiting for its hashes before becoming tables."""

    def __len__(self) -> int: ...
    def files(self) -> _RecordBatch:
        """``(path, size, mtime_ns)`` of every dataset, in the order ``finish`` expects
        hashes."""

    def finish(
        self,
        *,
        ids: Literal['stable', 'strings', 'namespace'] = 'stable',
        namespace: str | None = None,
        hashes: bytes | None = None,
    ) -> _IndexResult:
        """The tables, as ``index_tree`` returns them; ``hashes``: 16 bytes per file."""

def merge_walk_parts(
    root: str | PathLike[str],
    parts: list[tuple[_ArrowArrayLike, _ArrowArrayLike, _ArrowArrayLike]],
) -> MergedWalk:
    """Merge the parts of ``walk_shard`` into the walk of the whole tree."""

def md5_paths(
    paths: list[str], sizes: list[int], mtimes_ns: list[int], *, threads: int = 1
) -> bytes:
    """The md5 digests (16 bytes each, concatenated) of ``paths``, expected at the walk's
    sizes and mtimes; ``OSError`` naming the first file that cannot be read, vanished or
    changed."""
