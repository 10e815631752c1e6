"""Indexer benchmark: alf_fast's ``make_parquet_db`` against ONE-api's, ``find`` and ``md5sum``.

Measures, in one run, median of ``--runs`` (at least 3) with a warm file cache:

- a ~74,000-file IBL-like tree, hash off: alf_fast vs ONE-api;
- the same layout with real ``.npy`` content, hash on: alf_fast vs ``md5sum`` run as two
  parallel processes over the same files (and ONE-api, capped: it hashes about 9 files/s);
- a 1,000,000-file tree, hash off: alf_fast vs ``find ROOT -type f -printf '%s %p\\n'`` (the
  walk floor) and ONE-api;
- the peak memory (max RSS) of every alf_fast and ONE-api run.

Each build runs in its own process, so peak memory is that build's alone.

Usage::

    python benches/setup_bench.py --data /scratch/alf-bench [--runs 3] [--cap-minutes 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from _bench_trees import ensure_tree
from _timing import machine_info, run_capped, summarize
from _worker import SCRIPT as WORKER

HERE = Path(__file__).parent


def measured(cmd: list[str], timeout: float) -> dict[str, Any]:
    """One capped run of ``cmd``: its seconds and peak RSS (MB), or ``dnf`` after ``timeout``.

    A build child (the suite's worker) reports the time of the call alone, so interpreter
    start-up and imports (about 0.5 s, the same for both libraries) are not counted; its peak
    RSS does include them. A shell command is timed whole.
    """
    c = run_capped(cmd, timeout)
    if c.status == 'dnf':
        return {'dnf': True, 'seconds': None, 'peak_mb': None}
    if c.status != 'ok':
        raise RuntimeError(f'{cmd} failed: {c.stderr[-2000:]}')
    seconds = c.lines[-1]['seconds'] if c.lines else c.wall
    return {'dnf': False, 'seconds': seconds, 'peak_mb': (c.peak_rss or 0) / 2**20}


def build(impl: str, root: Path, hash_files: bool, timeout: float) -> dict[str, Any]:
    lib = 'alf_fast' if impl == 'alf_fast' else 'ONE-api'
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, str(WORKER), 'setup', lib, str(root), out, str(int(hash_files))]
        return measured(cmd, timeout)


def shell(cmd: str, timeout: float) -> dict[str, Any]:
    return measured(['sh', '-c', cmd], timeout)


def repeat(fn, runs: int) -> dict[str, Any]:
    """Median, min and max of ``runs`` calls of ``fn``; stops at the first that did not
    finish (it would not finish the next time either)."""
    results = []
    for _ in range(runs):
        r = fn()
        results.append(r)
        if r['dnf']:
            break
    done = [r['seconds'] for r in results if not r['dnf']]
    peaks = [r['peak_mb'] for r in results if not r['dnf']]
    stats = summarize(done)
    return {
        'runs': done,
        'dnf': any(r['dnf'] for r in results),
        'median': stats['median'],
        'min': stats['min'],
        'max': stats['max'],
        'peak_mb': max(peaks) if peaks else None,
    }


def tree(data: Path, n_files: int, content: str) -> tuple[Path, dict[str, int]]:
    """The tree of ``n_files`` (built once per ``--data`` folder) and its counts."""
    info = ensure_tree(data, n_files, content, None)
    return Path(info['root']), info['counts']


def md5sum_cmd(root: Path) -> str:
    # Two parallel md5sum processes over the same files alf_fast hashes.
    return (
        f"find {root} -type f -name '*.*.*' ! -name '.*' -print0 | "
        'xargs -0 -P2 -n 1000 md5sum > /dev/null'
    )


def ratio(a, b):
    return a['median'] / b['median'] if a['median'] and b['median'] else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', type=Path, help='where the trees are built')
    parser.add_argument('--render', type=Path, help='only rewrite setup.md from this setup.json')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--cap-minutes', type=float, default=10.0)
    parser.add_argument(
        '--hash-cap-minutes',
        type=float,
        default=2.0,
        help='cap for ONE-api hashing the whole small tree (it hashes ~9 files/s; its rate is '
        'measured on a 1,000-file tree)',
    )
    parser.add_argument('--small', type=int, default=74_000, help='files in the small tree')
    parser.add_argument('--large', type=int, default=1_000_000, help='files in the large tree')
    parser.add_argument('--out', type=Path, default=HERE / 'results')
    parser.add_argument(
        '--skip-one-large',
        action='store_true',
        help='do not run ONE-api on the large tree (benches/suite.py measures it too)',
    )
    args = parser.parse_args(argv)
    if args.render:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / 'setup.md').write_text(report(json.loads(args.render.read_text())))
        return 0
    if args.data is None:
        parser.error('--data is required')
    cap = args.cap_minutes * 60
    args.data.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)

    trees = {}
    small, trees['small'] = tree(args.data, args.small, 'empty')
    small_npy, trees['small_npy'] = tree(args.data, args.small, 'npy')
    large, trees['large'] = tree(args.data, args.large, 'empty')
    subset, trees['subset_npy'] = tree(args.data, 100, 'npy')
    for root in (small, small_npy, large, subset):  # warm the file cache
        shell(f"find {root} -type f -printf '%s %p\\n' > /dev/null", cap)
    for root in (small_npy, subset):
        shell(f'find {root} -type f -print0 | xargs -0 cat > /dev/null', cap)

    r = {
        'machine': machine_info(HERE.parent),
        'trees': trees,
        'runs': args.runs,
        'cap_minutes': args.cap_minutes,
        'hash_cap_minutes': args.hash_cap_minutes,
    }
    n = args.runs
    print('small tree, hash off', flush=True)
    r['small_alf'] = repeat(lambda: build('alf_fast', small, False, cap), n)
    r['small_one'] = repeat(lambda: build('one', small, False, cap), n)
    r['small_find'] = repeat(
        lambda: shell(f"find {small} -type f -printf '%s %p\\n' > /dev/null", cap), n
    )
    print('small tree with content, hash on', flush=True)
    r['hash_alf'] = repeat(lambda: build('alf_fast', small_npy, True, cap), n)
    r['hash_md5sum'] = repeat(lambda: shell(md5sum_cmd(small_npy), cap), n)
    hash_cap = args.hash_cap_minutes * 60
    r['hash_one'] = repeat(lambda: build('one', small_npy, True, hash_cap), 1)
    r['hash_one_subset'] = repeat(lambda: build('one', subset, True, cap), n)
    r['hash_alf_subset'] = repeat(lambda: build('alf_fast', subset, True, cap), n)
    print('large tree, hash off', flush=True)
    r['large_find'] = repeat(
        lambda: shell(f"find {large} -type f -printf '%s %p\\n' > /dev/null", cap), n
    )
    r['large_alf'] = repeat(lambda: build('alf_fast', large, False, cap), n)
    skipped = {'runs': [], 'dnf': False, 'median': None, 'min': None, 'max': None, 'peak_mb': None}
    if args.skip_one_large:
        r['large_one'] = dict(skipped, skipped=True)
    else:
        r['large_one'] = repeat(lambda: build('one', large, False, cap), n)

    (args.out / 'setup.json').write_text(json.dumps(r, indent=2))
    (args.out / 'setup.md').write_text(report(r))
    print(report(r))
    return 0


def fmt(x, unit=' s'):
    return '—' if x is None else f'{x:.2f}{unit}'


def cell(m):
    if m.get('skipped'):
        return 'not run here (see suite.py results)'
    if m['dnf'] and m['median'] is None:
        return 'did not finish'
    return f'{fmt(m["median"])} ({fmt(m["min"], "")}–{fmt(m["max"], "")})'


def report(r) -> str:
    t = r['trees']
    one_hash = (
        f'did not finish within {r["hash_cap_minutes"]:g} min'
        if r['hash_one']['dnf']
        else fmt(r['hash_one']['median'])
    )
    rate = lambda files, m: f'{files / m["median"]:,.0f} files/s' if m['median'] else '—'  # noqa: E731
    lines = [
        f'Machine: {machine_line(r["machine"])}. Median (min–max) of {r["runs"]} runs, warm '
        'cache.',
        '',
        '| case | alf_fast | reference | ratio | alf_fast peak RSS |',
        '|---|---|---|---|---|',
        f'| {t["small"]["files"]:,} files, hash off | {cell(r["small_alf"])} | ONE-api '
        f'{cell(r["small_one"])} | **{fmt_ratio(ratio(r["small_one"], r["small_alf"]))} faster** '
        f'| {r["small_alf"]["peak_mb"]:.0f} MB |',
        f'| {t["small"]["files"]:,} files, hash off | {cell(r["small_alf"])} | `find` '
        f'{cell(r["small_find"])} | {fmt_ratio(ratio(r["small_alf"], r["small_find"]))} of '
        f"find's time | |",
        f'| {t["small_npy"]["files"]:,} files ({t["small_npy"]["bytes"] / 2**20:.0f} MiB), '
        f'hash on | {cell(r["hash_alf"])} | 2× `md5sum` {cell(r["hash_md5sum"])} | '
        f"{fmt_ratio(ratio(r['hash_md5sum'], r['hash_alf']))} of md5sum's throughput | "
        f'{r["hash_alf"]["peak_mb"]:.0f} MB |',
        f'| {t["small_npy"]["files"]:,} files, hash on | {cell(r["hash_alf"])} | ONE-api '
        f'{one_hash} | | |',
        f'| {t["subset_npy"]["files"]:,} files, hash on | {cell(r["hash_alf_subset"])} | ONE-api '
        f'{cell(r["hash_one_subset"])} ({rate(t["subset_npy"]["files"], r["hash_one_subset"])}) '
        f'| **{fmt_ratio(ratio(r["hash_one_subset"], r["hash_alf_subset"]))} faster** | |',
        f'| {t["large"]["files"]:,} files, hash off | {cell(r["large_alf"])} | `find` '
        f'{cell(r["large_find"])} | {fmt_ratio(ratio(r["large_alf"], r["large_find"]))} of '
        f"find's time | {r['large_alf']['peak_mb']:.0f} MB |",
        large_one_row(r),
        '',
        f'alf_fast files/s: {rate(t["small"]["files"], r["small_alf"])} '
        f'({t["small"]["files"]:,}), {rate(t["large"]["files"], r["large_alf"])} '
        f'({t["large"]["files"]:,}); ONE-api: {rate(t["small"]["files"], r["small_one"])}, '
        f'{rate(t["large"]["files"], r["large_one"])}.',
        '',
    ]
    return '\n'.join(lines)


def machine_line(m: dict[str, Any]) -> str:
    """Cores, memory, CPU and versions, from ``machine_info`` (or an older setup.json's own
    flat record, so ``--render`` still reads results written before the two were shared)."""
    if 'versions' not in m:
        return (
            f'{m["cores"]} cores, {m["memory_gib"]} GiB, {m["cpu"]}; ONE-api {m["ONE-api"]}, '
            f'alf_fast {m["alf_fast"]}'
        )
    v = m['versions']
    return (
        f'{m["cores"]} cores, {(m["memory_bytes"] or 0) / 2**30:.1f} GiB, {m["cpu_model"]}; '
        f'ONE-api {v["ONE-api"]}, alf_fast {v["alf-fast"]}'
    )


def large_one_row(r) -> str:
    t, one, alf = r['trees'], r['large_one'], r['large_alf']
    head = f'| {t["large"]["files"]:,} files, hash off | {cell(alf)} | ONE-api '
    if one.get('skipped'):
        return head + 'not run here: see `results.md` of `benches/suite.py` | | |'
    return (
        head + f'{cell(one)} (peak {fmt(one["peak_mb"], " MB")}) | '
        f'**{fmt_ratio(ratio(one, alf))} faster** | |'
    )


def fmt_ratio(x):
    return '—' if x is None else f'{x:.2f}×' if x < 10 else f'{x:.0f}×'


if __name__ == '__main__':
    sys.exit(main())
