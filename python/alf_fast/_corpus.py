"""Deterministic ALF trees for tests, benchmarks and the ``alf-fast demo`` command.

Every builder writes the same bytes for the same arguments, so trees can be rebuilt instead of
shipped, and differential tests against ONE-api see identical inputs on every machine.

- :func:`build_fixture_f`: fixture F of the behavioural contract (section 0.2).
- :func:`build_edge_tree`: naming and layout edge cases that ONE-api indexes without error.
- :func:`build_broken_tree`: one small tree per ONE-api failure mode (:data:`BROKEN_CASES`).
- :func:`build_ibl_tree`: an IBL-like tree of any size, empty files or real ``.npy`` data.
- :func:`build_demo_tree`: a small IBL-like tree with plausible behaviour data.

Only numpy and the standard library are needed, except for the Parquet files (``.pqt``), which
are written with pyarrow, imported when first needed.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    'BAD_NAMES',
    'BROKEN_CASES',
    'BROKEN_EXPECTED',
    'DEFAULT_LABS',
    'build_broken_tree',
    'build_demo_tree',
    'build_edge_tree',
    'build_fixture_f',
    'build_ibl_tree',
]

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_CLOEXEC', 0)
# Creating files relative to an open session folder skips resolving the long absolute path for
# every file, which is most of the cost of an empty tree. Windows has no dir_fd.
_DIR_FD = (
    hasattr(os, 'O_DIRECTORY') and os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd
)


# ---------------------------------------------------------------------------------------------
# Serialisation helpers
# ---------------------------------------------------------------------------------------------


def _npy(arr: Any) -> bytes:
    """Return the bytes ``np.save`` writes for ``arr``."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def _pqt(columns: dict[str, Any]) -> bytes:
    """Return a Parquet file holding ``columns``, written by pyarrow without pandas metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({k: np.asarray(v) for k, v in columns.items()})
    # ONE-api reads .pqt datasets with iblutil.io.parquet.load, which raises TypeError on a
    # file whose schema has no key-value metadata at all (pandas always writes some).
    table = table.replace_schema_metadata({'origin': 'alf_fast._corpus'})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ---------------------------------------------------------------------------------------------
# Fixture F
# ---------------------------------------------------------------------------------------------


def build_fixture_f(root: str | os.PathLike[str]) -> Path:
    """Build fixture F of the contract (section 0.2) under ``root``.

    Identical to the contract's builder except that the Parquet table is written by pyarrow
    (pandas is not a runtime dependency), so its size differs from the contract's example.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to build in. Created if missing. Should be empty.

    Returns
    -------
    pathlib.Path
        ``root`` as a Path.
    """
    root = Path(root)
    s1 = root / 'mylab/Subjects/SWC_001/2023-01-01/001'
    (s1 / 'alf').mkdir(parents=True)
    np.save(s1 / 'alf/_ibl_trials.intervals.npy', np.arange(10.0).reshape(5, 2))
    np.save(s1 / 'alf/_ibl_trials.choice.npy', np.array([1, -1, 1, 1, -1]))
    np.save(s1 / 'alf/_ibl_trials.goCue_times.npy', np.arange(5.0))
    np.save(s1 / 'alf/_ibl_trials.stimOn_times_bpod.npy', np.arange(5.0) + 0.5)
    (s1 / 'alf/#2023-02-01#').mkdir()
    np.save(s1 / 'alf/#2023-02-01#/_ibl_trials.intervals.npy', np.ones((5, 2)))
    (s1 / 'alf/#2023-03-01#').mkdir()
    np.save(s1 / 'alf/#2023-03-01#/_ibl_trials.intervals.npy', np.ones((5, 2)) * 2)
    np.save(s1 / 'alf/wheel.position.npy', np.arange(4.0))
    np.save(s1 / 'alf/wheel.timestamps.npy', np.array([[0, 10.0], [3, 13.0]]))
    for p in ('probe00', 'probe01'):
        (s1 / 'alf' / p).mkdir()
        np.save(s1 / 'alf' / p / 'spikes.times.npy', np.arange(3.0))
        np.save(s1 / 'alf' / p / 'spikes.clusters.npy', np.array([0, 1, 0]))
    (s1 / 'raw_behavior_data').mkdir()
    (s1 / 'raw_behavior_data/_iblrig_taskData.raw.jsonable').write_text('{"a": 1}\n{"a": 2}\n')
    (s1 / '_ibl_experiment.description.yaml').write_text('devices:\n  cam: 1\n')
    (s1 / 'notalf.txt').write_text('x')
    (s1 / 'README').write_text('x')
    (s1 / 'spike_train.npy').write_text('x')
    (s1 / '.hiddendir').mkdir()
    (s1 / '.hiddendir/foo.bar.npy').write_text('x')
    (s1 / 'sub dir').mkdir()
    (s1 / 'sub dir/obj.attr.npy').write_text('x')
    (s1 / 'obj.attr.npy.bak').write_text('x')

    s2 = root / 'mylab/Subjects/SWC_001/2023-01-01/002'
    (s2 / 'alf').mkdir(parents=True)
    np.save(s2 / 'alf/_ibl_trials.intervals.npy', np.zeros((3, 2)))
    s3 = root / 'mylab/Subjects/SWC_002/2023-01-02/001'
    (s3 / 'alf').mkdir(parents=True)
    np.save(s3 / 'alf/_ibl_trials.intervals.npy', np.zeros((4, 2)))
    (s3 / 'alf/_ibl_trials.table.pqt').write_bytes(
        _pqt({'a': np.array([1, 2], dtype=np.int64), 'b': np.array([3.0, 4.0])})
    )
    s4 = root / 'KS005/2022-12-31/1'
    s4.mkdir(parents=True)
    np.save(s4 / 'wheel.position.npy', np.arange(3.0))
    s5 = root / 'otherlab/Subjects/ZM_1/2023-01-01/003'
    (s5 / 'alf').mkdir(parents=True)
    np.save(s5 / 'alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    return root


# ---------------------------------------------------------------------------------------------
# Edge-case tree
# ---------------------------------------------------------------------------------------------


class _TreeWriter:
    """Write files below ``root`` and count them the way ONE-api's indexer would.

    Sessions must be declared before their files so that each file can be classified as a
    dataset (below a session, at least two dots in its name) or not.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sessions: list[str] = []
        self.unloadable: list[str] = []
        self.files = 0
        self.datasets = 0
        self.bytes = 0

    def session(self, rel: str, loadable: bool = True) -> str:
        (self.root / rel).mkdir(parents=True, exist_ok=True)
        self.sessions.append(rel)
        if not loadable:
            self.unloadable.append(rel)
        return rel

    def _count(self, rel: str) -> None:
        self.files += 1
        in_session = any(rel.startswith(s + '/') for s in self.sessions)
        if in_session and rel.rsplit('/', 1)[-1].count('.') >= 2:
            self.datasets += 1

    def file(self, rel: str, data: bytes | None = None) -> None:
        if data is None:
            # Distinct small sizes (0 to 16 bytes) so file_size columns are worth comparing.
            digest = hashlib.md5(rel.encode()).digest()
            data = digest[: len(rel.encode()) % 17]
        _write_bytes(self.root / rel, data)
        self.bytes += len(data)
        self._count(rel)

    def npy(self, rel: str, arr: Any) -> None:
        self.file(rel, _npy(arr))

    def symlink(self, rel: str, target_rel: str, is_dir: bool = False) -> None:
        """Link ``rel`` to ``target_rel`` (both relative to root) with a relative link."""
        link = self.root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        target = os.path.relpath(self.root / target_rel, link.parent)
        os.symlink(target, link, target_is_directory=is_dir)
        if not is_dir:
            # ONE-api counts a link to a file as a dataset; it never descends into linked dirs.
            self._count(rel)


def build_edge_tree(root: str | os.PathLike[str]) -> dict[str, Any]:
    """Build a tree of ALF edge cases that ONE-api indexes without error.

    Every case here leaves ONE-api's ``make_parquet_db`` working and its tables loadable by
    ``one.api.One`` (no null ``rel_path``, no empty session, no invalid date, no nested or
    duplicate session), so the tree can be used whole in differential tests of the indexer.
    Some sessions are indexed but their files cannot be loaded by ONE (unpadded numbers,
    sessions outside a ``lab/Subjects`` folder, ``lab-x`` lab folders); they are listed under
    ``'unloadable_sessions'``.

    Cases covered: several labs (one non-ASCII), lab-less sessions, sessions below folders that
    are not labs (``extra/``, hidden ``.trash/``, lowercase ``subjects/``), ``lab-x`` lab
    folders, session numbers ``000``/``001``/``010``/``999``/``05``/``2``, leap-day and
    20th-century dates, subjects with ``-``, ``.`` and non-ASCII letters, nested and deep
    collections, collections with dots, dashes, capitals and leading ``.``/``_`` (row-order
    cases), revisions (``#2023-01-01#``, ``#v1#``, a revision directly under the session, a
    revision inside a nested collection), namespaces, timescales, extras, attribute namespaces,
    uppercase extensions, names with three or more dots, a 200-character attribute,
    ``obj².attr.npy`` (``²`` is ``\\w`` in Python but not in Rust's ``regex``), empty files,
    files with fewer than two dots, files outside sessions (root, lab, ``Subjects``, subject
    and date folders, a ``0001`` folder), symbolic links to files inside and outside the
    session, and a symbolic link to a directory (not descended into).

    Parameters
    ----------
    root : str or os.PathLike
        Folder to build in. Created if missing. Should be empty.

    Returns
    -------
    dict
        ``sessions`` (count), ``files`` (non-directory entries written, symbolic links
        included), ``datasets`` (rows ONE-api's indexer makes), ``bytes`` (bytes written),
        ``session_paths`` (sorted session folders relative to root) and ``unloadable_sessions``
        (those whose datasets ONE cannot load).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    t = _TreeWriter(root)

    # A fully featured session: trials loadable with revisions, and the naming cases.
    s = t.session('cortexlab/Subjects/KS023/2019-12-10/001')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.arange(10.0).reshape(5, 2))
    t.npy(f'{s}/alf/_ibl_trials.choice.npy', np.array([1.0, -1, 0, 1, -1]))
    t.npy(f'{s}/alf/_ibl_trials.goCue_times.npy', np.arange(5.0) + 0.2)
    t.npy(f'{s}/alf/_ibl_trials.goCue_times_bpod.npy', np.arange(5.0) + 0.25)
    t.npy(f'{s}/alf/_ibl_trials.stimOn_times.npy', np.arange(5.0) + 0.1)
    t.npy(f'{s}/alf/#2023-01-01#/_ibl_trials.intervals.npy', np.ones((5, 2)))
    t.npy(f'{s}/alf/#v1#/_ibl_trials.intervals.npy', np.ones((5, 2)) * 2)
    t.npy(f'{s}/alf/_ibl_wheel.position.npy', np.cumsum(np.ones(8)))
    t.npy(f'{s}/alf/_ibl_wheel.timestamps.npy', np.arange(8.0) / 10)
    for name in ('times', 'clusters', 'amps', 'depths'):
        t.npy(f'{s}/alf/probe00/pykilosort/spikes.{name}.npy', np.arange(6.0))
    t.npy(f'{s}/alf/probe00/pykilosort/#2024-05-06#/spikes.times.npy', np.arange(6.0) + 1)
    t.npy(f'{s}/alf/probe00/spikes.times_ephysClock.raw.v12.npy', np.arange(3.0))
    t.npy(f'{s}/alf/probe00/spikes.times.{uuid.UUID(int=7)}.npy', np.arange(3.0))
    t.file(f'{s}/alf/probe00/channels._phy_ids.csv', b'ids\n0\n1\n')
    t.file(f'{s}/#v1#/_ibl_experiment.description.yaml', b'devices: {}\n')
    t.file(f'{s}/_ibl_experiment.description.yaml', b'devices:\n  cameras: {}\n')
    t.file(f'{s}/raw_behavior_data/_iblrig_taskData.raw.jsonable', b'{"a": 1}\n')
    t.npy(f'{s}/_name_space_obj.attr.npy', np.zeros(2))
    t.npy(f'{s}/__ns__obj.attr.npy', np.zeros(2))
    t.npy(f'{s}/_obj.attr.npy', np.zeros(2))
    t.npy(f'{s}/obj.attr.npy', np.zeros(2))
    t.file(f'{s}/obj.attr.npy.bak')
    t.npy(f'{s}/obj.attr.extra-part.npy', np.zeros(2))
    t.npy(f'{s}/obj.attr_timestamps.npy', np.zeros(2))
    t.npy(f'{s}/obj.x_times_y_z.npy', np.zeros(2))
    t.npy(f'{s}/obj._ns_attr_times_bpod.a.b.npy', np.zeros(2))
    t.file(f'{s}/Obj.Attr.NPY', _npy(np.zeros(2)))
    t.file(f'{s}/obj.{"a" * 200}.npy')
    t.file(f'{s}/_iblrig_leftCamera.raw.mp4', b'')
    t.file(f'{s}/_ibl_sessions.table.pqt', b'')
    t.file(f'{s}/.hiddendir/foo.bar.npy', b'x')
    t.file(f'{s}/README', b'x')
    t.file(f'{s}/notes.txt', b'x')
    t.file(f'{s}/spike_train.npy', b'x')
    t.file(f'{s}/alf/x.npy', b'x')
    t.file('_shared/target.data.bin', b'0123456789')
    t.symlink(f'{s}/alf/linked.times.npy', f'{s}/alf/_ibl_trials.goCue_times.npy')
    t.symlink(f'{s}/alf/outside.link.bin', '_shared/target.data.bin')
    t.symlink(f'{s}/alf/linked.dir.d', f'{s}/raw_behavior_data', is_dir=True)

    s = t.session('cortexlab/Subjects/KS023/2019-12-10/002')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((3, 2)))
    s = t.session('cortexlab/Subjects/KS024/2020-02-29/010')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((4, 2)))
    t.file(f'{s}/raw_ephys_data/probe00/_spikeglx_ephysData_g0_t0.imec0.ap.cbin')
    t.file(f'{s}/raw_ephys_data/probe00/_spikeglx_ephysData_g0_t0.imec0.ap.meta')

    s = t.session('hoferlab/Subjects/SWC_043/2020-09-21/000')
    deep = '/'.join(f'd{i}' for i in range(12))
    t.file(f'{s}/raw_ephys_data/probe00/{deep}/_spikeglx_sync.times.probe00.npy')
    t.npy(f'{s}/alf/probe01/iblsorter/#2024-01-01#/clusters.depths.npy', np.arange(4.0))
    t.npy(f'{s}/alf/probe01/iblsorter/clusters.depths.npy', np.arange(4.0))

    # Collections whose component-wise and whole-string sort orders differ (contract 2.8).
    s = t.session('churchlandlab/Subjects/CSHL045/2021-03-15/999')
    for coll in ('alf', 'alf-x', 'alf.d', 'Alf', '_alf', 'alf/dir.with.dots', 'alf/a-b/c.d'):
        t.npy(f'{s}/{coll}/x.y.npy', np.zeros(1))
    t.npy(f'{s}/x.y.npy', np.zeros(1))

    s = t.session('zürichlab/Subjects/sübject/2022-01-01/001')
    t.npy(f'{s}/alf/tríals.intervals.npy', np.zeros((2, 2)))
    t.npy(f'{s}/alfé/obj².attr.npy', np.zeros(2))
    t.npy(f'{s}/alf/µspikes.times.npy', np.zeros(2))

    s = t.session('angelakilab/Subjects/NYU-01/2021-06-01/001')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('angelakilab/Subjects/sub.ject-2/2021-06-02/001')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))

    # A larger session, so per-session batching is exercised.
    s = t.session('danlab/Subjects/DY_001/2020-01-01/001')
    for i in range(60):
        t.npy(f'{s}/alf/obj{i:02d}.attr.npy', np.full(3, float(i)))

    # Lab-less sessions.
    s = t.session('KS005/2022-12-31/001')
    t.npy(f'{s}/wheel.position.npy', np.arange(3.0))
    s = t.session('KS005/2023-01-01/001')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('sub.ject/1999-12-31/001')
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))

    # Indexed, but ONE rebuilds their paths as <root>/[lab/Subjects/]subject/date/NNN.
    s = t.session('KS006/2022-01-01/2', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('KS006/2022-01-01/05', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('extra/notalab/2020-01-01/001', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('.trash/trashsub/2020-01-01/001', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('mylab/subjects/lcsub/2020-01-01/001', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))
    s = t.session('lab-x/Subjects/dashsub/2020-01-01/001', loadable=False)
    t.npy(f'{s}/alf/_ibl_trials.intervals.npy', np.zeros((2, 2)))

    # Files that are not below any session folder.
    for rel in (
        'README.md',
        'root.level.npy',
        'cortexlab/lab.level.npy',
        'cortexlab/Subjects/subjects.level.npy',
        'cortexlab/Subjects/KS023/subject.level.npy',
        'cortexlab/Subjects/KS023/2019-12-10/date.level.npy',
        'KS099/2020-01-01/0001/alf/x.y.npy',
        'KS099/2020-01-01/notanumber/x.y.npy',
    ):
        t.file(rel)

    return {
        'sessions': len(t.sessions),
        'files': t.files,
        'datasets': t.datasets,
        'bytes': t.bytes,
        'session_paths': sorted(t.sessions),
        'unloadable_sessions': sorted(t.unloadable),
    }


# ---------------------------------------------------------------------------------------------
# Broken trees
# ---------------------------------------------------------------------------------------------

#: ONE-api's behaviour on each broken tree, as ``(stage, name)``. ``stage`` is where it goes
#: wrong: ``'index'`` (``make_parquet_db`` raises ``name``), ``'tables'`` (tables are written
#: but ``One(...)`` raises ``name``), ``'load'`` (``One`` opens, but loading the datasets named
#: in :func:`build_broken_tree`'s notes fails with ``name``), ``'warn'`` (``make_parquet_db``
#: warns ``name`` and writes empty tables) or ``'ok'`` (indexes and loads; unusual only).
BROKEN_EXPECTED: dict[str, tuple[str, str]] = {
    'hidden_file_name': ('tables', 'ValueError'),
    'space_in_name': ('tables', 'ValueError'),
    'pyc_name': ('tables', 'ValueError'),
    'trailing_dot_name': ('tables', 'ValueError'),
    'combining_mark_name': ('tables', 'ValueError'),
    'invalid_collection': ('load', 'ALFObjectNotFound'),
    'collection_after_revision': ('load', 'ALFObjectNotFound'),
    'empty_session': ('index', 'AssertionError'),
    'session_without_datasets': ('index', 'AssertionError'),
    'only_empty_sessions': ('index', 'AssertionError'),
    'invalid_date': ('index', 'ValueError'),
    'nested_session': ('index', 'ValueError'),
    'duplicate_session_id': ('index', 'ValueError'),
    'dangling_symlink': ('index', 'FileNotFoundError'),
    'subjects_under_root': ('load', 'ALFObjectNotFound'),
    'unpadded_number': ('load', 'ALFObjectNotFound'),
    'unpadded_and_padded': ('load', 'AssertionError'),
    'no_sessions': ('warn', 'RuntimeWarning'),
    'empty_tree': ('warn', 'RuntimeWarning'),
    'root_is_session': ('load', 'ALFObjectNotFound'),
    'symlinked_session': ('ok', ''),
}

#: Names accepted by :func:`build_broken_tree`.
BROKEN_CASES: tuple[str, ...] = tuple(BROKEN_EXPECTED)

_GOOD = 'mylab/Subjects/SWC_001/2023-01-01/001'

#: The offending file of each non-ALF case of :func:`build_broken_tree`, relative to the good
#: session.
BAD_NAMES: dict[str, str] = {
    'hidden_file_name': 'alf/.hidden.x.npy',
    'space_in_name': 'alf/bad name.x.npy',
    'pyc_name': '__pycache__/m.cpython-311.pyc',
    'trailing_dot_name': 'alf/x.y.z.',
    'combining_mark_name': 'alf/tri\u0301als.intervals.npy',
    'invalid_collection': 'sub dir/obj.attr.npy',
    'collection_after_revision': 'alf/#v1#/sub/a.b.npy',
}


def build_broken_tree(root: str | os.PathLike[str], case: str) -> Path:
    """Build a small tree showing one of ONE-api's failure modes (contract 1.6, 2.9, 10).

    Each tree holds one ordinary session (``mylab/Subjects/SWC_001/2023-01-01/001`` with
    ``alf/_ibl_trials.intervals.npy``) plus the offending element, so that the failure can be
    attributed to that element. :data:`BROKEN_EXPECTED` says what ONE-api does with each.

    Cases:

    - ``hidden_file_name``, ``space_in_name``, ``pyc_name``, ``trailing_dot_name``,
      ``combining_mark_name``: a file with two or more dots whose name is not valid ALF
      (``.hidden.x.npy``, ``bad name.x.npy``, ``__pycache__/m.cpython-311.pyc``, ``x.y.z.``,
      ``tri\\u0301als.intervals.npy`` with a combining accent, which is ``\\w`` for Rust's
      ``regex`` but not for Python's ``re``). Row with null ``rel_path``.
    - ``invalid_collection`` (``sub dir/obj.attr.npy``), ``collection_after_revision``
      (``alf/#v1#/sub/a.b.npy``): the collection is dropped from ``rel_path``.
    - ``empty_session``: an empty session folder next to the good one.
    - ``session_without_datasets``: a session holding only ``README`` and ``notes.txt``.
    - ``only_empty_sessions``: two empty session folders and nothing else.
    - ``invalid_date``: a session under the date folder ``2020-13-45``.
    - ``nested_session``: ``.../001/raw/SWC_002/2020-01-02/002`` inside the good session.
    - ``duplicate_session_id``: ``.trash/mylab/Subjects/SWC_001/2023-01-01/001`` copies the
      good session's string id.
    - ``dangling_symlink``: ``alf/dangling.link.npy`` points nowhere.
    - ``subjects_under_root``: ``Subjects/sub/2020-01-01/001`` directly under ``root``; the
      root's name becomes the lab.
    - ``unpadded_number``: ``KS005/2022-12-31/1``.
    - ``unpadded_and_padded``: ``KS005/2022-12-31/1`` and ``KS005/2022-12-31/001``.
    - ``no_sessions``: files, but no session folder. ``empty_tree``: nothing at all.
    - ``root_is_session``: returns ``root/sub/2020-01-01/001``, which is itself a session. It
      is indexed, but ONE looks for its files in ``<it>/sub/2020-01-01/001``.
    - ``symlinked_session``: ``.../2023-01-01/002`` is a link to ``001``; ONE-api indexes it
      as a second session with the same files.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to build in. Created if missing. Should be empty.
    case : str
        One of :data:`BROKEN_CASES`.

    Returns
    -------
    pathlib.Path
        The folder to index: ``root``, except for ``root_is_session``.

    Raises
    ------
    ValueError
        Unknown ``case``.
    """
    if case not in BROKEN_EXPECTED:
        raise ValueError(f'unknown case {case!r}; expected one of {BROKEN_CASES}')
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if case in ('empty_tree',):
        return root
    if case == 'root_is_session':
        ses = root / 'sub/2020-01-01/001'
        _write_bytes(ses / 'alf/_ibl_trials.intervals.npy', _npy(np.zeros((2, 2))))
        return ses
    good = root / _GOOD
    if case not in ('only_empty_sessions', 'no_sessions'):
        _write_bytes(good / 'alf/_ibl_trials.intervals.npy', _npy(np.zeros((2, 2))))

    if case in BAD_NAMES:
        _write_bytes(good / BAD_NAMES[case], _npy(np.zeros(2)))
    elif case == 'empty_session':
        (root / 'mylab/Subjects/SWC_002/2023-01-02/001').mkdir(parents=True)
    elif case == 'session_without_datasets':
        ses = root / 'mylab/Subjects/SWC_002/2023-01-02/001'
        _write_bytes(ses / 'README', b'x')
        _write_bytes(ses / 'alf/notes.txt', b'x')
    elif case == 'only_empty_sessions':
        (root / 'mylab/Subjects/SWC_001/2023-01-01/001').mkdir(parents=True)
        (root / 'sub/2020-01-01/001').mkdir(parents=True)
    elif case == 'invalid_date':
        _write_bytes(root / 'sub/2020-13-45/001/alf/x.y.npy', _npy(np.zeros(2)))
    elif case == 'nested_session':
        _write_bytes(good / 'raw/SWC_002/2020-01-02/002/alf/x.y.npy', _npy(np.zeros(2)))
    elif case == 'duplicate_session_id':
        _write_bytes(root / '.trash' / _GOOD / 'alf/x.y.npy', _npy(np.zeros(2)))
    elif case == 'dangling_symlink':
        os.symlink('does_not_exist.npy', good / 'alf/dangling.link.npy')
    elif case == 'subjects_under_root':
        _write_bytes(root / 'Subjects/sub/2020-01-01/001/alf/x.y.npy', _npy(np.zeros(2)))
    elif case == 'unpadded_number':
        _write_bytes(root / 'KS005/2022-12-31/1/alf/x.y.npy', _npy(np.zeros(2)))
    elif case == 'unpadded_and_padded':
        _write_bytes(root / 'KS005/2022-12-31/1/alf/x.y.npy', _npy(np.zeros(2)))
        _write_bytes(root / 'KS005/2022-12-31/001/alf/x.y.npy', _npy(np.zeros(3)))
    elif case == 'no_sessions':
        _write_bytes(root / 'sub/2020-01-01/x.y.npy', b'x')
        _write_bytes(root / 'sub/a.b.npy', b'x')
        _write_bytes(root / 'c.d.npy', b'x')
    elif case == 'symlinked_session':
        os.symlink('001', good.parent / '002', target_is_directory=True)
    return root


# ---------------------------------------------------------------------------------------------
# Plausible IBL data
# ---------------------------------------------------------------------------------------------


def _trials(rng: np.random.Generator, n: int, t0: float = 0.0) -> dict[str, np.ndarray]:
    """Trial arrays of a biased-choice-world session with ``n`` trials."""
    contrasts = np.array([1.0, 0.25, 0.125, 0.0625, 0.0])
    # Unbiased first 90 trials, then blocks of 20 to 100 trials alternating 0.2 and 0.8.
    p_left = np.full(n, 0.5)
    i, p = 90, rng.choice([0.2, 0.8])
    while i < n:
        length = int(rng.integers(20, 100))
        p_left[i : i + length] = p
        i, p = i + length, 1.0 - p
    left = rng.random(n) < p_left
    contrast = contrasts[rng.integers(0, contrasts.size, n)]
    contrast_left = np.where(left, contrast, np.nan)
    contrast_right = np.where(left, np.nan, contrast)
    # IBL convention: turning the wheel CW (choice -1) brings a left stimulus to the centre.
    correct_choice = np.where(left, 1.0, -1.0)
    nogo = rng.random(n) < 0.05
    correct = ~nogo & (rng.random(n) < 0.8 + 0.15 * contrast)
    choice = np.where(nogo, 0.0, np.where(correct, correct_choice, -correct_choice))
    feedback_type = np.where(correct, 1, -1).astype(np.int64)
    reaction = np.where(nogo, 60.0, np.clip(rng.lognormal(-0.7, 0.6, n), 0.08, 20.0))
    stim_delay = rng.uniform(0.1, 0.2, n)
    post = np.where(correct, 1.0, 2.0)
    duration = stim_delay + reaction + 0.05 + post
    gap = rng.uniform(0.5, 1.5, n)
    start = t0 + np.concatenate([[0.0], np.cumsum(duration + gap)[:-1]])
    stim_on = start + stim_delay
    go_cue = stim_on + rng.uniform(0.0, 0.005, n)
    response = stim_on + reaction
    first_move = np.where(nogo, np.nan, stim_on + reaction * rng.uniform(0.3, 0.9, n))
    feedback = response + 0.05
    return {
        'intervals': np.column_stack([start, start + duration]),
        'choice': choice,
        'feedbackType': feedback_type,
        'goCue_times': go_cue,
        'stimOn_times': stim_on,
        'response_times': response,
        'feedback_times': feedback,
        'firstMovement_times': first_move,
        'contrastLeft': contrast_left,
        'contrastRight': contrast_right,
        'probabilityLeft': p_left,
        'rewardVolume': np.where(correct, 1.5, 0.0),
    }


def _wheel(rng: np.random.Generator, m: int, t_end: float) -> dict[str, np.ndarray]:
    """Wheel position (radians, random walk) sampled at ``m`` irregular times in [0, t_end]."""
    timestamps = np.sort(rng.uniform(0.0, t_end, m))
    position = np.cumsum(rng.normal(0.0, 0.02, m))
    k = max(1, m // 50)
    onsets = np.sort(rng.choice(timestamps[:-1], k, replace=False))
    return {
        'wheel.position': position,
        'wheel.timestamps': timestamps,
        'wheelMoves.intervals': np.column_stack([onsets, onsets + rng.uniform(0.1, 0.8, k)]),
        'wheelMoves.peakAmplitude': rng.normal(0.0, 0.3, k),
    }


def _spikes(rng: np.random.Generator, n_spikes: int, t_end: float) -> dict[str, np.ndarray]:
    """Spike-sorting output for one probe: spikes, clusters and channels objects."""
    n_clusters = int(rng.integers(20, 60))
    cluster_depths = rng.uniform(0.0, 3840.0, n_clusters)
    clusters = rng.integers(0, n_clusters, n_spikes)
    channels = np.arange(384)
    return {
        'spikes.times': np.sort(rng.uniform(0.0, t_end, n_spikes)),
        'spikes.clusters': clusters,
        'spikes.amps': rng.lognormal(-9.5, 0.4, n_spikes),
        'spikes.depths': cluster_depths[clusters] + rng.normal(0.0, 10.0, n_spikes),
        'clusters.channels': (cluster_depths // 20 * 2).astype(np.int64),
        'clusters.depths': cluster_depths,
        'channels.localCoordinates': np.column_stack(
            [np.tile([43.0, 11.0, 59.0, 27.0], 96), channels // 2 * 20.0]
        ),
        'channels.rawInd': channels,
    }


_DESCRIPTION = (
    b'devices:\n  cameras:\n    left:\n      collection: raw_video_data\n'
    b'      sync_label: audio\n  neuropixel:\n    probe00:\n      model: 3B2\n'
    b'procedures:\n- Behavior training/tasks\nprojects:\n- ibl_neuropixel_brainwide_01\n'
    b'sync:\n  bpod:\n    collection: raw_behavior_data\n'
    b'tasks:\n- _biasedChoiceWorld:\n    collection: raw_behavior_data\n'
    b'    sync_label: bpod\nversion: 1.0.0\n'
)
_SETTINGS = (
    b'{"PYBPOD_PROTOCOL": "_iblrig_tasks_biasedChoiceWorld6.6.2", "IBLRIG_VERSION": "7.2.3",'
    b' "STIM_GAIN": 4.0, "REWARD_AMOUNT_UL": 1.5}\n'
)
# An ``ftyp`` box only: enough for tools that sniff the file type, not a playable video.
_MP4 = b'\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom'

# ---------------------------------------------------------------------------------------------
# IBL-like tree of any size
# ---------------------------------------------------------------------------------------------

#: Labs used by :func:`build_ibl_tree` when ``labs`` is not given.
DEFAULT_LABS: tuple[str, ...] = (
    'angelakilab',
    'churchlandlab',
    'cortexlab',
    'danlab',
    'hausserlab',
    'hoferlab',
    'mainenlab',
    'mrsicflogellab',
    'steinmetzlab',
    'wittenlab',
    'zadorlab',
)
_SUBJECT_PREFIX = {
    'angelakilab': 'NYU-',
    'churchlandlab': 'CSHL',
    'cortexlab': 'KS',
    'danlab': 'DY_',
    'hausserlab': 'PL',
    'hoferlab': 'SWC_',
    'mainenlab': 'ZM_',
    'mrsicflogellab': 'SWC_MF',
    'steinmetzlab': 'NR_',
    'wittenlab': 'ibl_witten_',
    'zadorlab': 'CSH_ZAD_',
}

_TRIALS_NPY = (
    'intervals',
    'choice',
    'feedbackType',
    'goCue_times',
    'stimOn_times',
    'response_times',
    'feedback_times',
    'firstMovement_times',
    'contrastLeft',
    'contrastRight',
    'probabilityLeft',
    'rewardVolume',
)
# Trials first, so that a session cut short by ``n_files`` still holds a whole-looking object
# and at least one dataset.
_BEHAVIOUR_FILES = (
    *(f'alf/_ibl_trials.{a}.npy' for a in _TRIALS_NPY),
    'alf/_ibl_trials.table.pqt',
    'alf/_ibl_wheel.position.npy',
    'alf/_ibl_wheel.timestamps.npy',
    'alf/_ibl_wheelMoves.intervals.npy',
    'alf/_ibl_wheelMoves.peakAmplitude.npy',
    'alf/_ibl_leftCamera.times.npy',
    'alf/_ibl_leftCamera.dlc.pqt',
    'alf/licks.times.npy',
    'raw_behavior_data/_iblrig_taskData.raw.jsonable',
    'raw_behavior_data/_iblrig_taskSettings.raw.json',
    'raw_video_data/_iblrig_leftCamera.raw.mp4',
    '_ibl_experiment.description.yaml',
)
_PROBE_FILES = (
    'spikes.times.npy',
    'spikes.clusters.npy',
    'spikes.amps.npy',
    'spikes.depths.npy',
    'clusters.channels.npy',
    'clusters.depths.npy',
    'clusters.metrics.pqt',
    'clusters.uuids.csv',
    'channels.localCoordinates.npy',
    'channels.rawInd.npy',
)
_REVISIONS = ('2023-04-20', '2024-05-06')
_REVISION_FILES = ('_ibl_trials.intervals.npy', '_ibl_trials.table.pqt')
# With P(0, 1, 2 probes) = (.15, .45, .40) and 10 % revised sessions, a session averages
# 24 + 10 * 1.25 + 0.2 = 36.7 files: 74,000 files is about 2,000 sessions.
_PROBE_P = (0.15, 0.45, 0.40)
_REVISION_P = 0.1
_N_VARIANTS = 8


def _layout(n_probes: int, revision: str | None) -> tuple[str, ...]:
    files = list(_BEHAVIOUR_FILES)
    for p in range(n_probes):
        files.extend(f'alf/probe{p:02d}/{f}' for f in _PROBE_FILES)
    if revision:
        files.extend(f'alf/#{revision}#/{f}' for f in _REVISION_FILES)
    return tuple(files)


def _session_content(rng: np.random.Generator, n_trials: int) -> dict[str, bytes]:
    """Bytes of every file any layout can hold, for one session of ``n_trials`` trials."""
    tr = _trials(rng, n_trials, t0=float(rng.uniform(5.0, 30.0)))
    t_end = float(tr['intervals'][-1, 1] + 10.0)
    out = {f'alf/_ibl_trials.{k}.npy': _npy(v) for k, v in tr.items()}
    table = {
        'intervals_bpod_0': tr['intervals'][:, 0] - 0.01,
        'intervals_bpod_1': tr['intervals'][:, 1] - 0.01,
        'stimOff_times': tr['feedback_times'] + 1.0,
        'goCueTrigger_times': tr['goCue_times'] - 0.002,
        'quiescencePeriod': rng.uniform(0.4, 0.7, n_trials),
    }
    out['alf/_ibl_trials.table.pqt'] = _pqt(table)
    for k, v in _wheel(rng, 2000, t_end).items():
        out[f'alf/_ibl_{k}.npy'] = _npy(v)
    frames = 300
    cam = np.linspace(0.0, t_end, frames)
    out['alf/_ibl_leftCamera.times.npy'] = _npy(cam)
    dlc = {}
    for part in ('nose_tip', 'paw_l', 'pupil_top_r'):
        dlc[f'{part}_x'] = rng.uniform(0, 640, frames)
        dlc[f'{part}_y'] = rng.uniform(0, 512, frames)
        dlc[f'{part}_likelihood'] = rng.uniform(0.5, 1.0, frames)
    out['alf/_ibl_leftCamera.dlc.pqt'] = _pqt(dlc)
    out['alf/licks.times.npy'] = _npy(np.sort(rng.uniform(0.0, t_end, 200)))
    lines = [
        json.dumps({'trial_num': i + 1, 'contrast': float(np.nan_to_num(c, nan=0.0))})
        for i, c in enumerate(tr['contrastLeft'][:20])
    ]
    out['raw_behavior_data/_iblrig_taskData.raw.jsonable'] = '\n'.join([*lines, '']).encode()
    out['raw_behavior_data/_iblrig_taskSettings.raw.json'] = _SETTINGS
    out['raw_video_data/_iblrig_leftCamera.raw.mp4'] = _MP4
    out['_ibl_experiment.description.yaml'] = _DESCRIPTION
    for p in range(2):
        sp = _spikes(rng, 1500, t_end)
        coll = f'alf/probe{p:02d}'
        for k, v in sp.items():
            out[f'{coll}/{k}.npy'] = _npy(v)
        nc = sp['clusters.depths'].size
        metrics = {
            'cluster_id': np.arange(nc, dtype=np.int64),
            'firing_rate': np.bincount(sp['spikes.clusters'], minlength=nc) / t_end,
            'amp_median': rng.lognormal(-9.5, 0.3, nc),
            'label': rng.choice([0.0, 1 / 3, 2 / 3, 1.0], nc),
        }
        out[f'{coll}/clusters.metrics.pqt'] = _pqt(metrics)
        uuids = [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(nc)]
        out[f'{coll}/clusters.uuids.csv'] = '\n'.join(['uuids', *uuids, '']).encode()
    shifted = tr['intervals'] + rng.uniform(-0.005, 0.005, tr['intervals'].shape)
    table_rev = {k: v + 0.001 for k, v in table.items()}
    for rev in _REVISIONS:
        out[f'alf/#{rev}#/_ibl_trials.intervals.npy'] = _npy(shifted)
        out[f'alf/#{rev}#/_ibl_trials.table.pqt'] = _pqt(table_rev)
    return out


def _plan_sessions(
    rng: np.random.Generator, n_files: int, labs: Sequence[str]
) -> tuple[list[tuple[str, tuple[str, ...], int]], int]:
    """Choose session folders and layouts until they hold ``n_files`` files in total.

    Returns ``[(session_rel_path, files, variant), ...]`` and the number of subjects. The last
    session's file list is cut so that the total is exactly ``n_files``.
    """
    layouts: dict[tuple[int, str | None], tuple[str, ...]] = {}
    counters: dict[str, int] = {}
    plan: list[tuple[str, tuple[str, ...], int]] = []
    total = 0
    n_subjects = 0
    epoch = datetime.date(2018, 6, 1).toordinal()
    while total < n_files:
        lab = labs[int(rng.integers(len(labs)))]
        prefix = _SUBJECT_PREFIX.get(lab, lab[:3].upper() + '_')
        counters[prefix] = counters.get(prefix, 0) + 1
        subject = f'{prefix}{counters[prefix]:03d}'
        n_subjects += 1
        day = epoch + int(rng.integers(0, 6 * 365))
        for _ in range(int(rng.integers(15, 90))):
            day += int(rng.integers(1, 5))
            date = datetime.date.fromordinal(day).isoformat()
            # Now and then a second (rarely a third) session on the same day.
            n_same_day = 1 + int(rng.random() < 0.05) + int(rng.random() < 0.01)
            for number in range(1, n_same_day + 1):
                n_probes = int(rng.choice(3, p=_PROBE_P))
                revision = None
                if rng.random() < _REVISION_P:
                    revision = _REVISIONS[int(rng.integers(len(_REVISIONS)))]
                key = (n_probes, revision)
                if key not in layouts:
                    layouts[key] = _layout(n_probes, revision)
                files = layouts[key][: n_files - total]
                variant = int(rng.integers(_N_VARIANTS))
                plan.append((f'{lab}/Subjects/{subject}/{date}/{number:03d}', files, variant))
                total += len(files)
                if total >= n_files:
                    return plan, n_subjects
    return plan, n_subjects


def _dirs_of(files: Iterable[str]) -> list[str]:
    """Folders (relative, parents first) needed to hold ``files``."""
    seen: dict[str, None] = {}
    for f in files:
        parts = f.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            seen.setdefault('/'.join(parts[:i]), None)
    return list(seen)


def _write_session(session: str, dirs: Sequence[str], files: Sequence[tuple[str, bytes]]) -> None:
    """Create one session folder, its subfolders and its files with few system calls."""
    try:
        os.mkdir(session)
    except FileNotFoundError:
        os.makedirs(session, exist_ok=True)
    except FileExistsError:
        pass
    if not _DIR_FD:
        for d in dirs:
            os.makedirs(os.path.join(session, d), exist_ok=True)
        for rel, data in files:
            with open(os.path.join(session, rel), 'wb') as fh:
                fh.write(data)
        return
    dfd = os.open(session, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for d in dirs:
            try:
                os.mkdir(d, dir_fd=dfd)
            except FileExistsError:
                pass
        for rel, data in files:
            fd = os.open(rel, _FILE_FLAGS, 0o644, dir_fd=dfd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
    finally:
        os.close(dfd)


def build_ibl_tree(
    root: str | os.PathLike[str],
    n_files: int,
    content: str = 'empty',
    seed: int = 0,
    labs: Sequence[str] | int | None = None,
    threads: int | None = None,
) -> dict[str, int]:
    """Build an IBL-like tree ``lab/Subjects/subject/YYYY-MM-DD/00N/...`` of ``n_files`` files.

    Each session holds the usual IBL datasets: trials (12 ``.npy`` attributes and a ``.pqt``
    table), wheel and wheel moves, left camera times and DLC table, licks, raw task data and
    settings, a raw video and the experiment description, then 0, 1 or 2 probes
    (``alf/probe0N/``: spikes, clusters, channels) and, in one session out of ten, a revision
    folder ``alf/#2023-04-20#/`` or ``alf/#2024-05-06#/`` with trials intervals and table.
    Sessions average about 37 files (74,000 files is about 2,000 sessions); the last session
    is cut short so that the tree holds exactly ``n_files`` files. Subjects (``KS001``,
    ``NYU-012``, ``CSH_ZAD_004``...) have 15 to 90 sessions every 1 to 4 days from 2018 on,
    with an occasional second session (``002``) on the same day.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to build in. Created if missing. Should be empty.
    n_files : int
        Number of files to write (at least 1). All of them are ALF datasets.
    content : {'empty', 'npy'}
        ``'empty'``: zero-byte files, for indexing benchmarks. ``'npy'``: real data, for
        loading; all arrays of one object agree in length, so ``one.alf.io.load_object``
        works on every object. Each session takes the data of one of 8 precomputed variants.
    seed : int
        Seed of the layout and of the data. Same arguments, same bytes.
    labs : sequence of str or int, optional
        Lab folder names (each must match ``\\w+``), or the number of :data:`DEFAULT_LABS` to
        use. Default: all of :data:`DEFAULT_LABS`.
    threads : int, optional
        Writer threads. Default: twice the CPU count, at most 8; file creation releases the
        GIL, so threads overlap their system calls.

    Returns
    -------
    dict
        ``sessions``, ``files``, ``datasets`` (rows ONE's indexer makes, here equal to
        ``files``), ``bytes`` (total size written), ``subjects`` and ``labs``.

    Raises
    ------
    ValueError
        ``n_files`` below 1, an unknown ``content`` or an empty ``labs``.
    """
    if n_files < 1:
        raise ValueError('n_files must be at least 1')
    if content not in ('empty', 'npy'):
        raise ValueError(f"content must be 'empty' or 'npy', not {content!r}")
    if labs is None:
        labs = DEFAULT_LABS
    elif isinstance(labs, int):
        labs = DEFAULT_LABS[:labs]
    labs = tuple(labs)
    if not labs:
        raise ValueError('labs must not be empty')
    rng = np.random.default_rng(seed)
    plan, n_subjects = _plan_sessions(rng, n_files, labs)

    if content == 'npy':
        data_rng = np.random.default_rng((seed, 1))
        n_trials = data_rng.integers(300, 900, _N_VARIANTS)
        variants = [_session_content(data_rng, int(n)) for n in n_trials]
    else:
        variants = [{}] * _N_VARIANTS

    root_s = os.fspath(Path(root).absolute())
    os.makedirs(root_s, exist_ok=True)
    # Sessions share a handful of layouts and variants: build each (folders, files) list once.
    # The plan keeps every layout tuple alive, so id() is a stable key.
    cache: dict[tuple[int, int], tuple[list[str], list[tuple[str, bytes]], int]] = {}
    jobs: list[tuple[str, list[str], list[tuple[str, bytes]]]] = []
    n_bytes = 0
    for ses, files, variant in plan:
        key = (id(files), variant)
        if key not in cache:
            blobs = variants[variant]
            items = [(f, blobs.get(f, b'')) for f in files]
            cache[key] = (_dirs_of(files), items, sum(len(b) for _, b in items))
        dirs, items, size = cache[key]
        n_bytes += size
        jobs.append((os.path.join(root_s, ses), dirs, items))

    if threads is None:
        threads = min(8, 2 * (os.cpu_count() or 1))
    # Batches of consecutive sessions keep each subject's folders in one thread mostly.
    batch = 64
    chunks = [jobs[i : i + batch] for i in range(0, len(jobs), batch)]

    def run(chunk: list[tuple[str, list[str], list[tuple[str, bytes]]]]) -> None:
        for job in chunk:
            _write_session(*job)

    if threads <= 1 or len(chunks) == 1:
        for chunk in chunks:
            run(chunk)
    else:
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(run, chunks):
                pass

    return {
        'sessions': len(plan),
        'files': n_files,
        'datasets': n_files,
        'bytes': n_bytes,
        'subjects': n_subjects,
        'labs': len({ses.split('/', 1)[0] for ses, _, _ in plan}),
    }


# ---------------------------------------------------------------------------------------------
# Demo tree
# ---------------------------------------------------------------------------------------------

_DEMO_SESSIONS = (
    ('cortexlab', 'KS014', ('2019-10-01', '2019-10-02', '2019-10-04', '2019-10-07')),
    ('cortexlab', 'KS015', ('2019-11-11', '2019-11-12', '2019-11-14')),
    ('churchlandlab', 'CSHL045', ('2020-02-24', '2020-02-25', '2020-02-26', '2020-02-27')),
    ('churchlandlab', 'CSHL047', ('2020-03-02', '2020-03-03', '2020-03-04')),
    ('hoferlab', 'SWC_043', ('2020-09-14', '2020-09-15', '2020-09-16')),
    ('hoferlab', 'SWC_052', ('2021-01-18', '2021-01-19')),
)


def build_demo_tree(root: str | os.PathLike[str]) -> Path:
    """Build the small tree used by ``alf-fast demo``.

    Three labs, six subjects, 20 sessions (``CSHL045`` has two sessions on 2020-02-26) with
    plausible trials (``choice`` in {-1, 0, 1}, increasing ``intervals``, ``feedbackType``
    ±1...) and wheel data (a random-walk position with increasing timestamps). The first
    ``KS014`` session also has one probe (``alf/probe00``: spikes and clusters), and the
    first ``CSHL045`` session has a revision ``alf/#2024-05-06#/_ibl_trials.intervals.npy``.
    Only numpy is needed.

    Parameters
    ----------
    root : str or os.PathLike
        Folder to build in. Created if missing. Should be empty.

    Returns
    -------
    pathlib.Path
        ``root`` as a Path.
    """
    root = Path(root)
    rng = np.random.default_rng(20240506)
    sessions = []
    for lab, subject, dates in _DEMO_SESSIONS:
        for date in dates:
            sessions.append(f'{lab}/Subjects/{subject}/{date}/001')
            if subject == 'CSHL045' and date == '2020-02-26':
                sessions.append(f'{lab}/Subjects/{subject}/{date}/002')
    for i, rel in enumerate(sessions):
        ses = root / rel
        n = int(rng.integers(250, 700))
        tr = _trials(rng, n, t0=float(rng.uniform(5.0, 30.0)))
        for k, v in tr.items():
            _write_bytes(ses / f'alf/_ibl_trials.{k}.npy', _npy(v))
        t_end = float(tr['intervals'][-1, 1] + 10.0)
        for k, v in _wheel(rng, 3000, t_end).items():
            _write_bytes(ses / f'alf/_ibl_{k}.npy', _npy(v))
        _write_bytes(ses / '_ibl_experiment.description.yaml', _DESCRIPTION)
        _write_bytes(ses / 'raw_behavior_data/_iblrig_taskSettings.raw.json', _SETTINGS)
        if i == 0:
            sp = _spikes(rng, 5000, t_end)
            for k in ('spikes.times', 'spikes.clusters', 'spikes.amps', 'spikes.depths'):
                _write_bytes(ses / f'alf/probe00/{k}.npy', _npy(sp[k]))
            for k in ('clusters.channels', 'clusters.depths'):
                _write_bytes(ses / f'alf/probe00/{k}.npy', _npy(sp[k]))
        if rel.startswith('churchlandlab/Subjects/CSHL045/2020-02-24'):
            revised = tr['intervals'] + rng.uniform(-0.005, 0.005, tr['intervals'].shape)
            _write_bytes(ses / 'alf/#2024-05-06#/_ibl_trials.intervals.npy', _npy(revised))
    return root
