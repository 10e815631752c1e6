"""Distributed indexer benchmark: ``make_parquet_db(client=...)`` on a Dask LocalCluster.

Measures, in one run, median of ``--runs`` (at least 3), warm file cache, runs interleaved:

- a ``--files`` (default 1,000,000) empty-file IBL-like tree, hash off: a LocalCluster of 2
  single-threaded worker processes, the same with 1 worker, and the single-process build
  (alf_fast's default threads, in a child process);
- a ``--hash-files`` (default 74,000) file tree with real ``.npy`` content, hash on: 2 workers
  against the single-process build;
- per-task costs from Dask's task stream (walk: files per second per task; md5: bytes per
  second per task) and the client's share (planning, merge, writing), for the scaling model in
  the README.

Clusters are started once, before timing; each timed build includes planning, the tasks, the
transfer of the parts, the merge and writing the tables.

Usage::

    python benches/distributed_bench.py --data /scratch/alf-bench [--runs 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).parent

SINGLE = """
import sys, time, warnings
warnings.simplefilter('ignore')
from alf_fast import make_parquet_db
root, out, hash_files = sys.argv[1:4]
start = time.perf_counter()
make_parquet_db(root, out_dir=out, hash_files=hash_files == '1')
print(time.perf_counter() - start)
"""


def single(root: Path, hash_files: bool) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, '-c', SINGLE, str(root), out, '1' if hash_files else '0']
        res = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=3600)
        return float(res.stdout.strip().splitlines()[-1])


def distributed_build(client, root: Path, hash_files: bool) -> dict:
    from alf_fast.cache import build_cache

    client.get_task_stream(start=time.time())  # reset nothing; mark the start
    t0 = time.time()
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        start = time.perf_counter()
        build_cache(root, out_dir=out, client=client, hash_files=hash_files)
        seconds = time.perf_counter() - start
    tasks = client.get_task_stream(start=t0)
    return {'seconds': seconds, 'tasks': _task_costs(tasks)}


def _task_costs(stream: list[dict]) -> dict:
    """Busy seconds of each task kind, from Dask's task stream."""
    out: dict[str, list[float]] = {}
    for t in stream:
        key = str(t['key'])
        kind = (
            'walk' if key.startswith('alf-walk') else 'md5' if key.startswith('alf-md5') else None
        )
        if kind is None:
            continue
        compute = [s for s in t['startstops'] if s['action'] == 'compute']
        out.setdefault(kind, []).extend(s['stop'] - s['start'] for s in compute)
    return {k: {'n': len(v), 'sum_s': sum(v), 'max_s': max(v)} for k, v in out.items()}


def ensure_tree(root: Path, n_files: int, content: str) -> dict:
    from alf_fast._corpus import build_ibl_tree

    marker = root / '.bench-tree.json'
    if marker.exists():
        return json.loads(marker.read_text())
    root.mkdir(parents=True, exist_ok=True)
    counts = build_ibl_tree(root, n_files, content=content)
    marker.write_text(json.dumps(counts))
    return counts


#: Assumptions of the scaling model (stated in the README with the projection).
MODEL = {
    'files': 100_000_000,
    'bytes': 500e12,
    'cores_per_node': 16,
    'fs_metadata_ops_per_s': 200_000,  # getdents+stat the filesystem serves to all clients
    'fs_bandwidth_bytes_per_s': 50e9,  # aggregate read bandwidth of the filesystem
    'node_bandwidth_bytes_per_s': 2.5e9,  # one node's network link (25 GbE)
}


def scaling_model(inputs: dict, nodes: tuple[int, ...] = (1, 4, 16, 64)) -> list[dict]:
    """Projected build time of ``MODEL['files']`` files / ``MODEL['bytes']`` bytes on N nodes.

    walk = files / min(N x cores x measured walk rate per task thread, filesystem metadata
    rate); merge = files x measured client share (planning, transfer, merge, writing: it does
    not shrink with N); md5 = bytes / min(N x cores x measured md5 rate per task thread,
    N x node link, filesystem bandwidth).
    """
    m = MODEL
    rows = []
    for n in nodes:
        threads = n * m['cores_per_node']
        walk_rate = min(
            threads * inputs['walk_files_per_s_per_task_thread'], m['fs_metadata_ops_per_s']
        )
        md5_rate = min(
            threads * inputs['md5_bytes_per_s_per_task_thread'],
            n * m['node_bandwidth_bytes_per_s'],
            m['fs_bandwidth_bytes_per_s'],
        )
        walk = m['files'] / walk_rate
        merge = m['files'] / 1e6 * inputs['client_share_s_per_million_files']
        md5 = m['bytes'] / md5_rate
        rows.append({'nodes': n, 'walk_s': walk, 'merge_s': merge, 'md5_s': md5})
    return rows


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', type=Path, required=True, help='folder for the trees')
    parser.add_argument('--files', type=int, default=1_000_000)
    parser.add_argument('--hash-files', type=int, default=74_000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--out', type=Path, default=HERE / 'results')
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error('--runs must be at least 3 (medians)')
    import distributed

    big = args.data / f'ibl-{args.files}-empty'
    npy = args.data / f'ibl-{args.hash_files}-npy'
    counts_big = ensure_tree(big, args.files, 'empty')
    counts_npy = ensure_tree(npy, args.hash_files, 'npy')
    # Warm the file cache.
    single(big, False)
    single(npy, True)

    opts = dict(processes=True, threads_per_worker=1, dashboard_address=None)
    runs: dict[str, list] = {k: [] for k in ('single', 'two', 'one', 'md5_single', 'md5_two')}
    with (
        distributed.LocalCluster(n_workers=2, **opts) as two_cluster,
        distributed.Client(two_cluster) as two,
        distributed.LocalCluster(n_workers=1, **opts) as one_cluster,
        distributed.Client(one_cluster) as one,
    ):
        for i in range(args.runs):
            runs['single'].append({'seconds': single(big, False)})
            runs['two'].append(distributed_build(two, big, False))
            runs['one'].append(distributed_build(one, big, False))
            runs['md5_single'].append({'seconds': single(npy, True)})
            runs['md5_two'].append(distributed_build(two, npy, True))
            print(
                f'run {i + 1}: '
                + ', '.join(f'{k} {v[-1]["seconds"]:.2f} s' for k, v in runs.items())
            )

    med = {k: median([r['seconds'] for r in v]) for k, v in runs.items()}
    walk_two = [r['tasks']['walk'] for r in runs['two']]
    md5_two = [r['tasks'].get('md5', {}) for r in runs['md5_two']]
    per_task_files_s = args.files / median([w['sum_s'] for w in walk_two])
    busy_two = median([w['sum_s'] for w in walk_two]) / 2
    result = {
        'machine': {
            'platform': platform.platform(),
            'cpus': os.cpu_count(),
            'note': 'shared with other jobs; ratios are from the same run',
        },
        'trees': {'big': counts_big, 'npy': counts_npy},
        'runs': runs,
        'median_s': med,
        'targets': {
            'speedup_2_vs_1_worker': med['one'] / med['two'],
            'two_workers_vs_single_process': med['two'] / med['single'],
            'md5_throughput_two_vs_single': med['md5_single'] / med['md5_two'],
        },
        'model_inputs': {
            'walk_files_per_s_per_task_thread': per_task_files_s,
            'client_share_s_per_million_files': (med['two'] - busy_two) * 1e6 / args.files,
            'md5_bytes_per_s_per_task_thread': counts_npy['bytes']
            / max(1e-9, median([m.get('sum_s', 0.0) for m in md5_two])),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / 'distributed.json').write_text(json.dumps(result, indent=2))
    t = result['targets']
    m = result['model_inputs']
    md = [
        f'# Distributed indexer ({args.runs} runs, medians; '
        f'machine shared, {os.cpu_count()} cores)',
        '',
        '| build | median s |',
        '|---|---:|',
        *(f'| {k} | {v:.2f} |' for k, v in med.items()),
        '',
        f'- 2 workers vs 1 worker: {t["speedup_2_vs_1_worker"]:.2f}x faster',
        f'- 2 workers / single process: {t["two_workers_vs_single_process"]:.2f}x the time',
        f'- md5 throughput, 2 workers / single process: {t["md5_throughput_two_vs_single"]:.0%}',
        f'- walk: {m["walk_files_per_s_per_task_thread"]:,.0f} files/s per task thread; '
        f'client share {m["client_share_s_per_million_files"]:.2f} s per million files; '
        f'md5 {m["md5_bytes_per_s_per_task_thread"] / 2**20:,.0f} MiB/s per task thread',
    ]
    result['model'] = {'assumptions': MODEL, 'rows': scaling_model(m)}
    (args.out / 'distributed.json').write_text(json.dumps(result, indent=2))
    md += [
        '',
        f'Projection for {MODEL["files"]:,} files / {MODEL["bytes"] / 1e12:,.0f} TB '
        f'({MODEL["cores_per_node"]} single-threaded workers per node):',
        '',
        '| nodes | walk | merge + write (client) | md5 | total hash off | total hash on |',
        '|---:|---:|---:|---:|---:|---:|',
        *(
            f'| {r["nodes"]} | {r["walk_s"] / 60:.0f} min | {r["merge_s"] / 60:.0f} min '
            f'| {r["md5_s"] / 3600:.1f} h | {(r["walk_s"] + r["merge_s"]) / 60:.0f} min '
            f'| {(r["walk_s"] + r["merge_s"] + r["md5_s"]) / 3600:.1f} h |'
            for r in result['model']['rows']
        ),
    ]
    (args.out / 'distributed.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))
    return 0


if __name__ == '__main__':
    sys.exit(main())
