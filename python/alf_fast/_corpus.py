"""Deterministic IBL-like ALF trees for the benchmarks and the ``alf-fast demo`` command.

Every builder writes the same bytes for the same arguments, so trees can be rebuilt instead of
shipped, and timings compare like with like on every machine. (The test trees, fixture F and the
edge and broken trees, live with the tests in ``tests/_trees.py``.)

- :func:`build_ibl_tree`: an IBL-like tree of any size, empty files or real ``.npy`` data.
- :func:`build_demo_tree`: a small IBL-like tree with plausible behaviour data.

Only numpy and the standard library are needed, except for the Parquet files (``.pqt``), which
are written with pyarrow, imported when first needed.
"""

from __future__ import annotations

import datetime
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
    'DEFAULT_LABS',
    'build_demo_tree',
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
