"""Build an IBL-like ALF tree for benchmarks.

Usage::

    python benches/make_tree.py ROOT --files 74000 [--content npy] [--seed 0] [--labs 5]

Prints the counts returned by :func:`alf_fast._corpus.build_ibl_tree` and the seconds taken.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    from alf_fast._corpus import build_ibl_tree
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'python'))
    from alf_fast._corpus import build_ibl_tree


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the tree and print its counts; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', type=Path, help='folder to build in (must be empty or missing)')
    parser.add_argument('--files', type=int, required=True, help='number of files to write')
    parser.add_argument('--content', choices=('empty', 'npy'), default='empty')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--labs', type=int, default=None, help='number of labs (default: 11)')
    parser.add_argument('--threads', type=int, default=None, help='writer threads')
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error('--files must be at least 1')
    # Building into a used folder would mix two trees and make the counts wrong.
    if args.root.exists() and any(args.root.iterdir()):
        parser.error(f'{args.root} is not empty')
    t0 = time.perf_counter()
    counts = build_ibl_tree(
        args.root, args.files, args.content, seed=args.seed, labs=args.labs, threads=args.threads
    )
    seconds = time.perf_counter() - t0
    print(' '.join(f'{k}={v}' for k, v in counts.items()) + f' seconds={seconds:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
