"""``alf-fast check`` and the ``--update`` option of ``alf-fast setup``.

``check`` exits 0 when the tree (and tables) have no error, 1 when they do and 2 on bad usage
(missing folders, bad options), so that it can be a step in CI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ['add_update_option', 'print_update', 'register']

_EXIT_CLEAN, _EXIT_ERRORS, _EXIT_USAGE = 0, 1, 2


def add_update_option(setup: argparse.ArgumentParser) -> None:
    """``--update`` and ``-v`` on ``alf-fast setup``."""
    setup.add_argument(
        '--update',
        action='store_true',
        help='reuse the md5 of files unchanged since the last build; hash only new and '
        'changed files',
    )
    setup.add_argument(
        '-v',
        '--verbose',
        dest='list_changes',
        action='store_true',
        help='with --update, list every session and dataset added, removed or modified',
    )


def print_update(args: argparse.Namespace, report) -> None:
    """The update summary under ``setup``'s own (when ``--update`` was given)."""
    if report.update is None or args.quiet:
        return
    verbose = getattr(args, 'list_changes', False) or getattr(args, 'verbose', False)
    for line in report.update.lines(verbose=verbose):
        print(f'  {line}')


def _check(args: argparse.Namespace) -> int:
    from alf_fast._check import check

    root = Path(args.root)
    tables = None
    if args.tables is not None:
        tables = Path(args.tables) if args.tables else root
    for what, folder in (('root', root), ('tables folder', tables)):
        if folder is not None and not folder.is_dir():
            problem = 'is not a directory' if folder.exists() else 'does not exist'
            print(f'alf-fast check: error: {what} {problem}: {folder}', file=sys.stderr)
            return _EXIT_USAGE
    if args.hash and tables is None:
        print('alf-fast check: error: --hash needs --tables', file=sys.stderr)
        return _EXIT_USAGE
    report = check(root, tables_dir=tables, hash=args.hash, threads=args.threads)
    if args.json:
        print(report.to_json())
    else:
        print(report.summary(limit=None if args.all else args.limit))
    return _EXIT_CLEAN if report.ok else _EXIT_ERRORS


def register(sub) -> None:
    """Add the ``check`` sub-command."""
    p = sub.add_parser(
        'check',
        help='validate an ALF tree (and its cache tables) for ONE',
        description='Report every file and folder ONE would skip, misindex, crash on or be '
        'unable to load, with the rule broken and how to fix it. Exit status: 0 clean '
        '(warnings allowed), 1 errors found, 2 bad usage.',
    )
    p.add_argument('root', help='folder to check')
    p.add_argument(
        '--tables',
        nargs='?',
        const='',
        metavar='DIR',
        help='also check the cache tables in DIR (default: ROOT) against the tree',
    )
    p.add_argument('--hash', action='store_true', help='with --tables, also compare md5s')
    p.add_argument('--all', action='store_true', help='list every path of every rule')
    p.add_argument('--limit', type=int, default=5, help='paths listed per rule (default: 5)')
    p.add_argument('--json', action='store_true', help='print the report as JSON')
    p.add_argument('--threads', type=int, help='threads (default: one per core)')
    p.set_defaults(func=_check)
