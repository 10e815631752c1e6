"""The ``alf-fast`` command: build cache tables, run the demo, search and list from a terminal."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings

from alf_fast._progress import human_bytes


def _setup(args) -> int:
    from alf_fast._progress import StderrProgress
    from alf_fast.cache import build_cache

    progress = None if args.quiet else StderrProgress()
    try:
        report = build_cache(
            args.root,
            out_dir=args.out,
            hash_ids=not args.string_ids,
            hash_files=args.hash,
            lab=args.lab,
            threads=args.threads,
            progress=progress,
            namespace=args.namespace,
            allow_empty=args.allow_empty,
        )
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        warned = sum(kind != 'not_alf' for _, kind, _ in report.issues)
        rate = report.datasets / report.seconds if report.seconds else 0
        print(
            f'Indexed {report.root}: {report.sessions:,} sessions, {report.datasets:,} datasets '
            f'({human_bytes(report.bytes)}) in {report.seconds:.2f} s ({rate:,.0f} files/s)'
        )
        print(f'  warnings: {warned}, non-ALF files skipped: {len(report.skipped):,}')
        print(f'  tables: {report.sessions_path}, {report.datasets_path}')
    return 0


def _demo(args) -> int:
    from alf_fast._demo import run_demo

    return run_demo(args.dir)


def _parser() -> argparse.ArgumentParser:
    from alf_fast import _cli_query

    parser = argparse.ArgumentParser(
        prog='alf-fast', description='Fast ONE cache tables, search and loading for ALF trees.'
    )
    parser.add_argument('-v', '--verbose', action='store_true', help='log debug messages')
    sub = parser.add_subparsers(dest='command', required=True)

    setup = sub.add_parser('setup', help="index an ALF tree into ONE's cache tables")
    setup.add_argument('root', help='folder to index')
    setup.add_argument('--hash', action='store_true', help='store the md5 of every file')
    setup.add_argument('--out', help='folder for the tables (default: ROOT)')
    setup.add_argument('--lab', help='lab name for sessions not under <lab>/Subjects')
    setup.add_argument('--threads', type=int, help='threads (default: one per core)')
    setup.add_argument('--quiet', action='store_true', help='no progress line or summary')
    setup.add_argument(
        '--string-ids', action='store_true', help="ONE's hash_ids=False: ids are paths"
    )
    setup.add_argument('--namespace', help="ONE's id scheme under this UUID namespace")
    setup.add_argument(
        '--allow-empty',
        action='store_true',
        help='replace tables that list sessions even if the tree now holds none',
    )
    setup.set_defaults(func=_setup)

    demo = sub.add_parser('demo', help='build, index, search and load a small demo tree')
    demo.add_argument('dir', nargs='?', help='where to build it (default: a temporary folder)')
    demo.set_defaults(func=_demo)

    _cli_query.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``alf-fast`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format='%(levelname)s %(name)s: %(message)s',
    )
    if getattr(args, 'quiet', False):
        warnings.simplefilter('ignore')
    start = time.perf_counter()
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        print('alf-fast: interrupted', file=sys.stderr)
        return 130
    except (OSError, ValueError, TypeError, LookupError) as e:
        print(f'alf-fast: error: {e}', file=sys.stderr)
        return 1
    logging.getLogger(__name__).debug('%s took %.3f s', args.command, time.perf_counter() - start)
    return code


if __name__ == '__main__':
    sys.exit(main())
