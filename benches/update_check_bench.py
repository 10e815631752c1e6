"""Incremental update and ``check`` benchmark, next to plain setups of the same trees.

Measured in one run, median of ``--runs`` (at least 3), warm file cache, each call in its own
process (the child times the call alone, not interpreter start-up). The calls being compared
run in rounds, one of each per round, so that load from other jobs falls on all of them alike:

- a ~74,000-file IBL-like tree with real ``.npy`` content, hashed tables, then 1% of the
  files modified and 1% new files added: ``update`` (hash on) against a hash-off setup and a
  full hashed rebuild of the same tree. Before each update run the previous tables are put
  back, so every run re-hashes the same 2%;
- a 1,000,000-file tree without changes: ``update`` (of hashed tables, and of hash-off
  tables) against a plain (hash-off) setup;
- the same 1,000,000-file tree: ``check`` and ``check --tables`` against a plain setup.

Usage::

    python benches/update_check_bench.py --data /scratch/alf-bench [--runs 3] [--large N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from setup_bench import ensure_tree, machine, run_child

HERE = Path(__file__).parent
STATE_FILES = ('sessions.pqt', 'datasets.pqt', '.alf_fast_state.parquet')

CHILD = """
import sys, time, warnings
warnings.simplefilter('ignore')
op, root, out = sys.argv[1:4]
from alf_fast.cache import build_cache
from alf_fast import check
start = time.perf_counter()
if op == 'setup':
    build_cache(root, out_dir=out)
elif op == 'setup_hash':
    build_cache(root, out_dir=out, hash_files=True)
elif op == 'update_hash':
    r = build_cache(root, out_dir=out, hash_files=True, update=True)
    assert r.update.full_rebuild is None, r.update.full_rebuild
elif op == 'update':
    r = build_cache(root, out_dir=out, update=True)
    assert r.update.full_rebuild is None, r.update.full_rebuild
elif op == 'first_update':
    build_cache(root, out_dir=out, update=True)
elif op == 'check':
    check(root)
elif op == 'check_tables':
    check(root, tables_dir=out)
print(time.perf_counter() - start)
"""


def child(op: str, root: Path, out: Path, timeout: float) -> dict:
    return run_child([sys.executable, '-c', CHILD, op, str(root), str(out)], timeout)


def fresh(op: str, root: Path, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as out:
        return child(op, root, Path(out), timeout)


def restored(op: str, root: Path, saved: Path, timeout: float) -> dict:
    """Run ``op`` on a tables folder holding a copy of ``saved`` (the previous build)."""
    with tempfile.TemporaryDirectory() as out:
        for name in STATE_FILES:
            if (saved / name).exists():
                shutil.copy2(saved / name, out)
        return child(op, root, Path(out), timeout)


def mutate(root: Path, fraction: float) -> dict:
    """Modify ``fraction`` of the files (new content, new size) and add as many new ones."""
    files = sorted(p for p in root.rglob('*.*.*') if p.is_file() and not p.name.startswith('.'))
    step = max(1, round(1 / fraction))
    modified = files[::step]
    for i, p in enumerate(modified):
        p.write_bytes(p.read_bytes() + i.to_bytes(8, 'little'))
        new = p.with_name(f'bench.added{i}.npy')
        new.write_bytes(p.read_bytes()[:4096])
    return {'files': len(files), 'modified': len(modified), 'added': len(modified)}


def interleaved(fns: dict, runs: int) -> dict:
    """Median, min and max of ``runs`` calls of each function, run in rounds (one call of each
    per round) so that load from other jobs on a shared machine falls on all of them alike."""
    times: dict = {k: [] for k in fns}
    peaks: dict = {k: [] for k in fns}
    for _ in range(runs):
        for key, fn in fns.items():
            r = fn()
            if r['dnf']:
                raise RuntimeError(f'{key} did not finish within the cap')
            times[key].append(r['seconds'])
            peaks[key].append(r['peak_mb'])
    return {
        k: {
            'runs': v,
            'median': statistics.median(v),
            'min': min(v),
            'max': max(v),
            'peak_mb': max(peaks[k]),
        }
        for k, v in times.items()
    }


def ratio(a: dict, b: dict) -> float | None:
    return a['median'] / b['median'] if a['median'] and b['median'] else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', type=Path, required=True, help='where the trees are built')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--small', type=int, default=74_000)
    parser.add_argument('--large', type=int, default=1_000_000)
    parser.add_argument('--cap-minutes', type=float, default=10.0)
    parser.add_argument('--out', type=Path, default=HERE / 'results')
    parser.add_argument('--skip-small', action='store_true')
    parser.add_argument('--skip-large', action='store_true')
    args = parser.parse_args(argv)
    cap = args.cap_minutes * 60
    args.data.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    res: dict = {'machine': machine(), 'runs': args.runs, 'small': None, 'large': None}

    if not args.skip_small:
        small = args.data / f'ibl_{args.small}_npy_update'
        ensure_tree(small, args.small, 'npy')
        saved = args.data / f'tables_{args.small}_before'
        saved.mkdir(exist_ok=True)
        stamp = small / '.mutated.json'
        if not stamp.exists():
            child('setup_hash', small, saved, cap)
            stamp.write_text(json.dumps(mutate(small, 0.01)))
        fresh('setup', small, cap)  # warm the file cache
        r = interleaved(
            {
                'update': lambda: restored('update_hash', small, saved, cap),
                'setup_hash_off': lambda: fresh('setup', small, cap),
                'full_hashed': lambda: fresh('setup_hash', small, cap),
            },
            args.runs,
        )
        r['tree'] = json.loads(stamp.read_text())
        r['update_vs_hash_off'] = ratio(r['update'], r['setup_hash_off'])
        r['full_vs_update'] = ratio(r['full_hashed'], r['update'])
        res['small'] = r
        print(json.dumps({'small': r}, indent=1), flush=True)

    if not args.skip_large:
        large = args.data / f'ibl_{args.large}'
        ensure_tree(large, args.large, 'empty')
        hashed = args.data / f'tables_{args.large}_hashed'
        plain = args.data / f'tables_{args.large}_plain'
        for folder, op in ((hashed, 'setup_hash'), (plain, 'first_update')):
            if not (folder / '.alf_fast_state.parquet').exists():
                folder.mkdir(exist_ok=True)
                child(op, large, folder, cap)
        fresh('setup', large, cap)
        r = interleaved(
            {
                'setup': lambda: fresh('setup', large, cap),
                'update_hashed': lambda: restored('update_hash', large, hashed, cap),
                'update_hash_off': lambda: restored('update', large, plain, cap),
                'check': lambda: fresh('check', large, cap),
                'check_tables': lambda: restored('check_tables', large, hashed, cap),
            },
            args.runs,
        )
        for key in ('update_hashed', 'update_hash_off', 'check', 'check_tables'):
            r[f'{key}_vs_setup'] = ratio(r[key], r['setup'])
        res['large'] = r
        print(json.dumps({'large': r}, indent=1), flush=True)

    (args.out / 'update_check.json').write_text(json.dumps(res, indent=1))
    (args.out / 'update_check.md').write_text(report(res, args))
    print(report(res, args))
    return 0


def report(res: dict, args) -> str:
    def s(x):
        return f'{x["median"]:.2f} s' if x and x.get('median') else 'n/a'

    def x(v):
        return f'{v:.2f}×' if v else 'n/a'

    lines = [
        '# Incremental update and check',
        '',
        f'Median of {res["runs"]} runs (in rounds: one of each call per round), warm file '
        'cache, each call in its own process; '
        f'machine: {res["machine"]["cores"]} cores, {res["machine"]["cpu"]} (shared with '
        'other jobs while measuring, so ratios from the same run matter more than times).',
        '',
    ]
    if res['small']:
        r = res['small']
        t = r['tree']
        lines += [
            f'{t["files"]:,}-file IBL-like tree with content; {t["modified"]:,} files '
            f'modified and {t["added"]:,} added:',
            '',
            '| run | time | ratio |',
            '|---|---:|---:|',
            f'| setup, hash off | {s(r["setup_hash_off"])} | 1 |',
            f'| `--update` (hash on) | {s(r["update"])} | {x(r["update_vs_hash_off"])} of '
            'hash-off setup |',
            f'| full hashed rebuild | {s(r["full_hashed"])} | {x(r["full_vs_update"])} of '
            'update |',
            '',
        ]
    if res['large']:
        r = res['large']
        lines += [
            f'{args.large:,}-file tree, no change:',
            '',
            '| run | time | vs plain setup |',
            '|---|---:|---:|',
            f'| setup (hash off) | {s(r["setup"])} | 1 |',
            f'| `--update` of hashed tables | {s(r["update_hashed"])} | '
            f'{x(r["update_hashed_vs_setup"])} |',
            f'| `--update` of hash-off tables | {s(r["update_hash_off"])} | '
            f'{x(r["update_hash_off_vs_setup"])} |',
            f'| `check` | {s(r["check"])} | {x(r["check_vs_setup"])} |',
            f'| `check --tables` | {s(r["check_tables"])} | {x(r["check_tables_vs_setup"])} |',
            '',
        ]
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
