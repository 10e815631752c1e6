"""The ``alf-fast`` command: build cache tables, run the demo, search and list from a terminal.

Exit codes follow grep: 0 found (or done), 1 nothing matched, 2 usage or input error; 130 when
interrupted and 141 when the reader of our output went away (``alf-fast search ... | head``),
as for a command killed by SIGPIPE. Every failure is one line on stderr, ``alf-fast: error:
...``, naming the path or argument and what to do next.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
import warnings

from alf_fast import _cli_check
from alf_fast._cli_errors import (
    BROKEN_PIPE,
    FOUND,
    INTERRUPTED,
    NOT_FOUND,
    USAGE,
    CliError,
)
from alf_fast._progress import human_bytes

__all__ = ['BROKEN_PIPE', 'FOUND', 'INTERRUPTED', 'NOT_FOUND', 'USAGE', 'CliError', 'main']


def _setup(args: argparse.Namespace) -> int:
    from alf_fast._progress import StderrProgress
    from alf_fast.cache import build_cache

    progress = None if args.quiet else StderrProgress()
    client, where = None, ''
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            if args.scheduler:
                from alf_fast._dask import connect

                client = connect(args.scheduler)
                where = f' on {len(client.nthreads())} Dask workers'
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
                client=client,
                update=args.update,
            )
        finally:
            if progress is not None:
                progress.close()
            if client is not None:
                client.close()
    serious = [(path, message) for path, _kind, message in report.issues]
    if not args.quiet:
        for path, message in serious:
            _warn(f'{path}: {message}')
        # The indexer also sums the paths above up in one Python warning: print each thing once.
        for w in caught:
            text = str(w.message)
            if not any(path in text for path, _ in serious):
                _warn(text)
        rate = report.datasets / report.seconds if report.seconds else 0
        print(
            f'Indexed {report.root}{where}: {report.sessions:,} sessions, '
            f'{report.datasets:,} datasets ({human_bytes(report.bytes)}) in '
            f'{report.seconds:.2f} s ({rate:,.0f} files/s)'
        )
        print(f'  warnings: {len(serious)}, non-ALF files skipped: {len(report.skipped):,}')
        print(f'  tables: {report.sessions_path}, {report.datasets_path}')
        _cli_check.print_update(args, report)
    return FOUND


def _warn(text: str) -> None:
    print(f'alf-fast: warning: {text}', file=sys.stderr)


def _demo(args: argparse.Namespace) -> int:
    from alf_fast._demo import run_demo

    return run_demo(args.dir, keep=args.keep)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid int value: {text!r}') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be at least 1, got {value}')
    return value


def _add_setup(sub) -> None:
    setup = sub.add_parser(
        'setup',
        help="index an ALF tree into ONE's cache tables",
        description="Index an ALF tree into ONE's cache tables (sessions.pqt, datasets.pqt).",
    )
    setup.add_argument('root', help='folder to index')
    setup.add_argument('--hash', action='store_true', help='store the md5 of every file')
    setup.add_argument('--out', help='folder for the tables (default: ROOT)')
    setup.add_argument('--lab', help='lab name for sessions not under <lab>/Subjects')
    setup.add_argument('--threads', type=_positive_int, help='threads (default: one per core)')
    setup.add_argument(
        '--quiet', action='store_true', help='no progress, warnings or summary; errors only'
    )
    setup.add_argument(
        '--string-ids', action='store_true', help="ONE's hash_ids=False: ids are paths"
    )
    setup.add_argument('--namespace', help="ONE's id scheme under this UUID namespace")
    setup.add_argument(
        '--allow-empty',
        action='store_true',
        help='replace tables that list sessions even if the tree now holds none',
    )
    setup.add_argument(
        '--scheduler',
        metavar='ADDRESS',
        help='walk and hash on this Dask cluster (e.g. tcp://host:8786; needs alf-fast[dask]); '
        '--threads is then per Dask task',
    )
    _cli_check.add_update_option(setup)
    setup.set_defaults(func=_setup)


def _add_demo(sub) -> None:
    demo = sub.add_parser(
        'demo',
        help='build, index, search and load a small demo tree',
        description='Build a small IBL-like tree, index it, search it and load from it, timing '
        'each step. With DIR the tree stays there for the README quick start.',
    )
    demo.add_argument(
        'dir', nargs='?', help='where to build it and keep it (default: a temporary folder)'
    )
    demo.add_argument(
        '--keep', action='store_true', help='keep the temporary tree and print where it is'
    )
    demo.set_defaults(func=_demo)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version('alf-fast')
    except PackageNotFoundError:  # run from a source tree that was never installed
        from alf_fast import __version__

        return str(__version__)


def _parser() -> argparse.ArgumentParser:
    from alf_fast import _cli_query

    parser = argparse.ArgumentParser(
        prog='alf-fast',
        description='Fast ONE cache tables, search and loading for ALF trees.',
        epilog='exit status: 0 found (or done), 1 nothing matched, 2 usage or input error, '
        '130 interrupted, 141 output pipe closed. To report a problem, see "Reporting problems" '
        'in the README.',
    )
    parser.add_argument('--version', action='version', version=f'%(prog)s {_version()}')
    parser.add_argument('-v', '--verbose', action='store_true', help='log debug messages')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    # One small function per sub-command, so a new one is one more line here.
    for add in (
        _add_setup,
        _cli_query.add_search,
        _cli_query.add_ls,
        _add_demo,
        _cli_check.register,
    ):
        add(sub)
    return parser


@contextlib.contextmanager
def _logging_to_stderr(verbose: bool):
    """Log to stderr as ``alf-fast: LEVEL: ...`` while a command runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('alf-fast: %(levelname)s: %(name)s: %(message)s'))
    root, ours = logging.getLogger(), logging.getLogger('alf_fast')
    saved = root.level, ours.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    # Library warnings reach the user once, through the warnings machinery (see _setup), not
    # a second time as log lines; -v shows everything.
    ours.setLevel(logging.NOTSET if verbose else logging.ERROR)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        ours.setLevel(saved[1])


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # One line, without the source location: a user of the command never sees our code.
    _warn(str(message))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``alf-fast`` command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return FOUND
    start = time.perf_counter()
    try:
        with _logging_to_stderr(args.verbose), warnings.catch_warnings():
            warnings.simplefilter('ignore' if getattr(args, 'quiet', False) else 'default')
            warnings.showwarning = _show_warning
            code = args.func(args)
            sys.stdout.flush()
            log = logging.getLogger(__name__)
            log.debug('%s took %.3f s', args.command, time.perf_counter() - start)
    except KeyboardInterrupt:
        print('alf-fast: interrupted', file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader stopped (`| head`): say nothing, and keep the interpreter from failing
        # again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except CliError as e:
        print(f'alf-fast: error: {e}', file=sys.stderr)
        return e.code
    except (OSError, ValueError, TypeError, LookupError, AssertionError) as e:
        print(f'alf-fast: error: {_one_line(e)}', file=sys.stderr)
        return USAGE
    return code


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return ' '.join(text.split())


if __name__ == '__main__':
    sys.exit(main())
