"""Time list_datasets, load_object and load_dataset: alf_fast vs ONE-api on a 1M-row cache.

A real IBL-like tree with data (``build_ibl_tree(..., 'npy')``) is indexed by ONE-api's own
``make_parquet_db``; synthetic sessions (datasets that are not on disk) are then appended to
both tables, in ONE's format, until the datasets table has ``--rows`` rows. Both packages read
the same files; each call is timed ``--repeat`` times on one real session and the median
reported, with a check that both return the same data.

ONE-made tables store ``hash=''``, so ONE md5-hashes every file it loads (and logs a mismatch);
alf_fast skips the md5 check for an empty hash. The ``check_hash=False`` rows compare the two
without that difference.

Usage: ``python benches/load_timing.py [--rows 1000000] [--files 20000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return [str(uuid.UUID(bytes=row.tobytes())) for row in raw]


def _rewrite(path: Path, extra: pa.Table, keys: list[str]) -> None:
    """Append rows to a ONE table, keeping its schema, pandas index and ONE metadata."""
    table = pq.read_table(path)
    extra = extra.select(table.column_names).cast(table.schema)
    merged = pa.concat_tables([table, extra]).sort_by([(k, 'ascending') for k in keys])
    pq.write_table(merged.replace_schema_metadata(table.schema.metadata), path)


def give_tables_metadata(root: Path) -> None:
    """Give every data ``.pqt`` schema metadata: iblutil's reader (ONE) fails without any."""
    for path in root.rglob('*.pqt'):
        table = pq.read_table(path)
        if table.schema.metadata is None:
            pq.write_table(table.replace_schema_metadata({'one_metadata': '{}'}), path)


def add_synthetic_rows(root: Path, total_rows: int, seed: int = 0) -> None:
    """Grow ``datasets.pqt`` to `total_rows` rows with fake sessions copying a real layout."""
    datasets = pq.read_table(root / 'datasets.pqt')
    need = total_rows - datasets.num_rows
    if need <= 0:
        return
    first = datasets.column('eid')[0]
    layout = datasets.filter(pc.equal(datasets.column('eid'), first))
    per_session = layout.num_rows
    n_sessions = -(-need // per_session)
    rng = np.random.default_rng(seed)
    eids = _uuids(rng, n_sessions)
    reps = np.tile(np.arange(per_session), n_sessions)[:need]
    eid_col = np.repeat(np.array(eids, dtype=object), per_session)[:need]
    rows = {
        'eid': eid_col,
        'id': _uuids(rng, need),
        'rel_path': layout.column('rel_path').take(pa.array(reps)),
        'file_size': layout.column('file_size').take(pa.array(reps)),
        'hash': layout.column('hash').take(pa.array(reps)),
        'exists': layout.column('exists').take(pa.array(reps)),
        'qc': layout.column('qc').take(pa.array(reps)),
    }
    _rewrite(root / 'datasets.pqt', pa.table(rows), ['eid', 'id'])
    days = rng.integers(0, 3000, n_sessions)
    sessions = {
        'id': eids,
        'lab': ['synlab'] * n_sessions,
        'subject': [f'SYN_{i // 50:05d}' for i in range(n_sessions)],
        'date': pa.array(np.datetime64('2015-01-01', 'D') + days.astype('timedelta64[D]')),
        'number': pa.array(np.ones(n_sessions, dtype=np.uint16)),
        'task_protocol': [''] * n_sessions,
        'projects': [''] * n_sessions,
    }
    _rewrite(root / 'sessions.pqt', pa.table(sessions), ['id'])


def median_time(fn, repeat: int, warm_up: bool = True) -> tuple[float, object]:
    """Median wall time of `repeat` calls, after one untimed call (caches, page cache)."""
    if warm_up:
        fn()
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def same(a, b) -> bool:
    if isinstance(a, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        nan = a.dtype.kind in 'fc'
        return a.shape == b.shape and np.array_equal(np.asarray(b), a, equal_nan=nan)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--files', type=int, default=20_000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--root', type=Path, default=None, help='reuse/keep the tree here')
    args = parser.parse_args()

    from one.alf.cache import make_parquet_db as one_make_parquet_db
    from one.api import One as OneRef

    from alf_fast import One
    from alf_fast._corpus import build_ibl_tree

    logging.disable(logging.WARNING)  # ONE logs an md5 mismatch per file (hash is '')
    warnings.simplefilter('ignore')
    tmp = None if args.root else tempfile.TemporaryDirectory(prefix='alf_bench_')
    root = args.root or Path(tmp.name)
    if not (root / 'datasets.pqt').exists():
        t0 = time.perf_counter()
        build_ibl_tree(root, args.files, 'npy')
        give_tables_metadata(root)
        one_make_parquet_db(root)
        add_synthetic_rows(root, args.rows)
        print(f'corpus built in {time.perf_counter() - t0:.1f} s')
    n_rows = pq.read_metadata(root / 'datasets.pqt').num_rows

    t_ref, ref = median_time(lambda: OneRef(cache_dir=root, mode='local'), 1, False)
    t_fast, fast = median_time(lambda: One(cache_dir=root), 1, False)
    sessions = ref._cache['sessions']
    real = [e for e in sessions.index[sessions['lab'] != 'synlab']]
    eid = next(e for e in real if ref.list_datasets(e, filename='_ibl_trials.table.pqt'))
    print(f'{n_rows:,} datasets rows; session {eid}; {args.repeat} runs, median')
    print(f'{"operation":<46} {"ONE-api":>10} {"alf_fast":>10} {"speed-up":>9}  same')
    print(
        f'{"One(cache_dir) (load tables, 1 run)":<46} {t_ref * 1e3:>8.1f}ms '
        f'{t_fast * 1e3:>8.1f}ms {t_ref / t_fast:>8.1f}x'
    )

    def row(label, call_ref, call_fast, compare=same):
        a, out_a = median_time(call_ref, args.repeat)
        b, out_b = median_time(call_fast, args.repeat)
        ok = compare(out_a, out_b)
        print(f'{label:<46} {a * 1e3:>8.2f}ms {b * 1e3:>8.2f}ms {a / b:>8.1f}x  {ok}')

    row('list_datasets(eid)', lambda: ref.list_datasets(eid), lambda: fast.list_datasets(eid))
    row(
        'list_datasets(eid, collection="alf")',
        lambda: ref.list_datasets(eid, collection='alf'),
        lambda: fast.list_datasets(eid, collection='alf'),
    )
    row(
        'list_datasets() (whole table)',
        lambda: ref.list_datasets(),
        lambda: fast.list_datasets(),
        lambda a, b: sorted(a) == sorted(b),
    )
    row(
        "load_object(eid, 'trials')",
        lambda: ref.load_object(eid, 'trials'),
        lambda: fast.load_object(eid, 'trials'),
    )
    row(
        "load_object(eid, 'trials', check_hash=False)",
        lambda: ref.load_object(eid, 'trials', check_hash=False),
        lambda: fast.load_object(eid, 'trials', check_hash=False),
    )
    name = '_ibl_trials.intervals.npy'
    row(
        f"load_dataset(eid, '{name}')",
        lambda: ref.load_dataset(eid, name, collection='alf'),
        lambda: fast.load_dataset(eid, name, collection='alf'),
    )
    row(
        'load_dataset(..., check_hash=False)',
        lambda: ref.load_dataset(eid, name, collection='alf', check_hash=False),
        lambda: fast.load_dataset(eid, name, collection='alf', check_hash=False),
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
