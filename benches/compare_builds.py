"""Time two builds of the extension on the same tree, e.g. the abi3 one against a
version-specific one, in alternating fresh processes.

    python benches/compare_builds.py A.so B.so --data DIR [--files 74000] [--runs 8]

Each build is put in a private copy of ``python/alf_fast`` (under ``DIR/builds``), as
``_alf_fast.abi3.so`` when its file name says ``abi3``, else under this interpreter's suffix.
Each run, in a new process, times ``index_tree`` (the walk and the Arrow tables),
``make_parquet_db`` (tables written), the per-item binding calls ``rel_path_parts`` and
``is_valid_filename`` over every relative path, and ``One()`` plus a dataset search. Prints
the median and the minimum of each, and the ratio B/A of both.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / 'python' / 'alf_fast'
CASES = ('index_tree', 'make_parquet_db', 'rel_path_parts', 'is_valid_filename', 'one_search')

_RUN = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import alf_fast._alf_fast as ext
from alf_fast import One, make_parquet_db
from alf_fast.cache import index_tree
tree, out = sys.argv[2], sys.argv[3]

def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start

res = {'so': ext.__file__}
res['index_tree'] = timed(lambda: index_tree(tree, threads=2)[1].read_all())
res['make_parquet_db'] = timed(lambda: make_parquet_db(tree, out_dir=out, threads=2))
import polars as pl
paths = pl.read_parquet(out + '/datasets.pqt').get_column('rel_path').to_list()
names = [p.rsplit('/', 1)[-1] for p in paths]
res['rel_path_parts'] = timed(lambda: ext.rel_path_parts(paths))
res['is_valid_filename'] = timed(lambda: ext.is_valid_filename(names))
res['one_search'] = timed(
    lambda: One(tree, tables_dir=out).search(datasets=['_ibl_trials.choice.npy'])
)
print(json.dumps(res))
"""


def _install(so: Path, dest: Path) -> Path:
    """A copy of the package with `so` as its extension; returns the folder to put on sys.path."""
    if dest.exists():
        shutil.rmtree(dest)
    pkg = dest / 'alf_fast'
    shutil.copytree(PACKAGE, pkg, ignore=shutil.ignore_patterns('*.so', '__pycache__'))
    # A file named for the stable ABI gets its suffix, any other this interpreter's own.
    suffix = '.abi3.so' if 'abi3' in so.name else importlib.machinery.EXTENSION_SUFFIXES[0]
    shutil.copy(so, pkg / f'_alf_fast{suffix}')
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('a', type=Path, help='first build (the reference)')
    parser.add_argument('b', type=Path, help='second build')
    parser.add_argument('--data', type=Path, required=True, help='work folder')
    parser.add_argument('--files', type=int, default=74_000, help='files in the tree')
    parser.add_argument('--runs', type=int, default=8, help='runs of each build')
    args = parser.parse_args()

    tree, out = args.data / 'tree', args.data / 'out'
    if not tree.exists():
        sys.path.insert(0, str(PACKAGE.parent))
        from alf_fast._corpus import build_ibl_tree

        build_ibl_tree(tree, args.files)
    out.mkdir(parents=True, exist_ok=True)
    roots = {
        'a': _install(args.a, args.data / 'builds' / 'a'),
        'b': _install(args.b, args.data / 'builds' / 'b'),
    }
    results: dict[str, list[dict]] = {'a': [], 'b': []}
    for _ in range(args.runs):
        for key, root in roots.items():
            cmd = [sys.executable, '-c', _RUN, str(root), str(tree), str(out)]
            line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            results[key].append(json.loads(line))
    print(f'{args.runs} runs each, alternating; a = {args.a}, b = {args.b}')
    head = ('case', 'a median', 'b median', 'b/a', 'a min', 'b min', 'b/a')
    print('{:<20}{:>10}{:>10}{:>7}{:>9}{:>9}{:>7}'.format(*head))
    for case in CASES:
        a = [r[case] * 1e3 for r in results['a']]
        b = [r[case] * 1e3 for r in results['b']]
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f'{case:<20}{ma:>10.1f}{mb:>10.1f}{mb / ma:>7.2f}'
            f'{min(a):>9.1f}{min(b):>9.1f}{min(b) / min(a):>7.2f}'
        )


if __name__ == '__main__':
    main()
