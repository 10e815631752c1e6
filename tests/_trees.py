"""ALF trees built for the tests: contract fixture F, naming edge cases, and broken trees.

Every builder writes the same bytes for the same arguments, so differential tests against ONE-api
see identical inputs on every machine.

- :func:`build_fixture_f`: fixture F of the behavioural contract (section 0.2).
- :func:`build_edge_tree`: naming and layout edge cases that ONE-api indexes without error.
- :func:`build_broken_tree`: one small tree per ONE-api failure mode (:data:`BROKEN_CASES`).

The IBL-like generator the demo and the benchmarks use stays in ``alf_fast._corpus``; its file
writers are shared from there.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from alf_fast._corpus import _npy, _pqt, _write_bytes

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
