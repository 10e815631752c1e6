"""Time ``alf_fast.One`` against ``one.api.One`` on a synthetic cache of a million datasets.

The tables are written in ONE-api's own format (pandas metadata, ``(eid, id)`` index, ordered
``qc`` dictionary, ``one_metadata``), so both libraries read the same files. Each operation is
timed ``--repeat`` times per library in the same run and the median is reported, with a check
that both returned the same eids.

Usage::

    PYTHONPATH=python python benches/one_api_timing.py [--rows 1000000] [--repeat 5] [--dir D]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

NS = uuid.UUID('5b6c7d8e-0000-11ee-8000-000000000000')
QC = ['NOT_SET', 'PASS', 'WARNING', 'FAIL', 'CRITICAL']

BASE = [
    'alf/_ibl_trials.table.pqt',
    'alf/_ibl_trials.intervals.npy',
    'alf/_ibl_trials.choice.npy',
    'alf/_ibl_trials.feedbackType.npy',
    'alf/_ibl_trials.goCue_times.npy',
    'alf/_ibl_trials.stimOn_times.npy',
    'alf/_ibl_trials.response_times.npy',
    'alf/_ibl_trials.firstMovement_times.npy',
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
]
PROBE = [
    'spikes.times.npy',
    'spikes.clusters.npy',
    'spikes.amps.npy',
    'spikes.depths.npy',
    'clusters.channels.npy',
    'clusters.depths.npy',
    'clusters.metrics.pqt',
    'channels.localCoordinates.npy',
    'channels.rawInd.npy',
    'channels.brainLocationIds_ccf_2017.npy',
]


def session_files(n_probes: int) -> list[str]:
    files = list(BASE)
    for p in range(n_probes):
        files += [f'alf/probe0{p}/pykilosort/{name}' for name in PROBE]
    return files


def build_tables(out: Path, rows: int) -> tuple[int, int]:
    """Write sessions.pqt and datasets.pqt with about `rows` datasets; return the counts."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    layouts = {n: session_files(n) for n in range(3)}
    sessions, eids, rel_paths = [], [], []
    subjects = [
        f'{p}{i:03d}' for p in ('KS', 'NYU-', 'CSH_ZAD_', 'SWC_', 'ZM_') for i in range(100)
    ]
    labs = ['cortexlab', 'angelakilab', 'churchlandlab', 'hoferlab', 'mainenlab']
    start = datetime.date(2018, 1, 1)
    i = 0
    while len(rel_paths) < rows:
        subject = subjects[i % len(subjects)]
        lab = labs[i % len(subjects) // 100]
        date = start + datetime.timedelta(days=int(i // len(subjects)) * 2)
        number = 1 + int(rng.random() < 0.05)
        string_id = f'{lab}/{subject}/{date}/{number:03d}'
        eid = str(uuid.uuid3(NS, string_id))
        sessions.append((eid, lab, subject, date, number, '_iblrig_tasks_ephysChoiceWorld', ''))
        files = layouts[int(rng.integers(0, 3))][: rows - len(rel_paths)]
        eids += [eid] * len(files)
        rel_paths += files
        i += 1
    ses = pd.DataFrame(
        sessions, columns=['id', 'lab', 'subject', 'date', 'number', 'task_protocol', 'projects']
    )
    ses = ses.astype({'number': np.uint16}).set_index('id').sort_index()
    unique = {p: str(uuid.uuid3(NS, p)) for p in set(rel_paths)}
    qc_codes = rng.choice(5, size=len(rel_paths), p=[0.9, 0.05, 0.03, 0.015, 0.005])
    ds = pd.DataFrame(
        {
            'eid': eids,
            'id': [unique[p] for p in rel_paths],
            'rel_path': rel_paths,
            'file_size': pd.array(rng.integers(0, 10**8, len(rel_paths)), dtype='UInt64'),
            'hash': '',
            'exists': True,
            'qc': pd.Categorical.from_codes(qc_codes, dtype=pd.CategoricalDtype(QC, ordered=True)),
        }
    )
    ds = ds.set_index(['eid', 'id']).sort_index()
    meta = json.dumps({'date_created': '2024-01-01 00:00', 'origin': str(out)}).encode()
    for name, frame in (('sessions', ses), ('datasets', ds)):
        table = pa.Table.from_pandas(frame)
        table = table.replace_schema_metadata({b'one_metadata': meta, **table.schema.metadata})
        pq.write_table(table, out / f'{name}.pqt')
    return len(ses), len(ds)


def median_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--dir', help='where to write the tables (default: a temporary folder)')
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix='alf-fast-bench-') as tmp:
        out = Path(args.dir or tmp)
        out.mkdir(parents=True, exist_ok=True)
        n_ses, n_ds = build_tables(out, args.rows)
        print(f'tables: {n_ses:,} sessions, {n_ds:,} datasets in {out}')

        import one.api

        import alf_fast

        libraries = {
            'ONE-api': lambda: one.api.One(cache_dir=out, mode='local'),
            'alf_fast': lambda: alf_fast.One(cache_dir=out),
        }
        names = ['_ibl_trials.table.pqt', 'spikes.times.npy']
        operations = {
            'One(cache_dir)': None,
            "search(subject='^KS0[0-4]')": lambda o: o.search(subject='^KS0[0-4]'),
            f'search(datasets={names})': lambda o: o.search(datasets=names),
        }
        results: dict[str, dict[str, float]] = {op: {} for op in operations}
        answers: dict[str, dict[str, object]] = {op: {} for op in operations}
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for lib, make in libraries.items():
                results['One(cache_dir)'][lib], instance = median_time(make, args.repeat)
                for op, fn in operations.items():
                    if fn is not None:
                        results[op][lib], answers[op][lib] = median_time(
                            lambda fn=fn, instance=instance: fn(instance), args.repeat
                        )

    print(f'\nmedian of {args.repeat} runs (seconds)\n')
    print('| operation | ONE-api | alf_fast | speed-up | same result |')
    print('|---|---:|---:|---:|:---:|')
    for op, row in results.items():
        same = answers[op].get('ONE-api') == answers[op].get('alf_fast') if answers[op] else '-'
        ratio = row['ONE-api'] / row['alf_fast']
        print(f'| {op} | {row["ONE-api"]:.4f} | {row["alf_fast"]:.4f} | {ratio:.0f}x | {same} |')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
