"""``alf-fast search`` and ``alf-fast ls``: query cache tables from a terminal.

``search`` prints one matching session per line (eid, then ``lab/subject/date/number``), newest
first, as :meth:`alf_fast.One.search` orders them; ``ls`` prints a session's datasets. Both
take ``--json`` for machine-readable output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ['add_ls', 'add_search']

#: ONE's dataset QC levels, best first.
from alf_fast.spec import QC_LEVELS


def _one(args: argparse.Namespace):
    from alf_fast import One
    from alf_fast._cli_errors import CliError

    root = Path(args.root)
    if not root.is_dir():
        what = 'is not a folder' if root.exists() else 'does not exist'
        raise CliError(f'data folder {what}: {root}')
    tables = Path(args.tables_dir) if args.tables_dir else root
    if not (tables / 'sessions.pqt').is_file():
        hint = f' --out {tables}' if args.tables_dir else ''
        raise CliError(f'no cache tables in {tables}: run `alf-fast setup {root}{hint}` first')
    return One(cache_dir=root, tables_dir=args.tables_dir)


def _session_label(record: dict[str, Any]) -> str:
    lab = f'{record["lab"]}/' if record.get('lab') else ''
    return f'{lab}{record["subject"]}/{record["date"]}/{int(record["number"]):03d}'


def _search(args: argparse.Namespace) -> int:
    terms: dict[str, Any] = {}
    for name in ('subject', 'lab', 'number', 'dataset', 'projects', 'task_protocol'):
        values = getattr(args, name)
        if values:
            terms['datasets' if name == 'dataset' else name] = values
    if args.date_range:
        start, end = (None if d in ('', '-') else d for d in args.date_range)
        terms['date_range'] = [start, end]
    if args.qc:
        terms['dataset_qc_lte'] = args.qc
    one = _one(args)
    one.wildcards = not args.literal
    eids, records = one.search(details=True, **terms)
    records = records or []
    if args.json:
        out = [
            {'eid': str(eid), **{k: _jsonable(v) for k, v in rec.items()}}
            for eid, rec in zip(eids, records, strict=True)
        ]
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        for eid, rec in zip(eids, records, strict=True):
            print(f'{eid}  {_session_label(rec)}')
    if not eids:
        from alf_fast._cli_errors import NOT_FOUND

        shown = ', '.join(f'{k}={v!r}' for k, v in terms.items()) or 'no terms'
        print(f'alf-fast: no session matches ({shown}) in {args.root}', file=sys.stderr)
        return NOT_FOUND
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, 'item'):  # numpy scalars
        return value.item()
    return str(value)


def _eid(one, text: str, root: str):
    """The eid of `text` (eid, session path or reference), or a one-line error saying whether
    the text is malformed or names a session that is not in the tables."""
    from alf_fast._cli_errors import NOT_FOUND, CliError

    try:
        eid = one.to_eid(text)
    except (ValueError, AssertionError):
        eid = None
        if not one.is_exp_ref(text):
            raise CliError(
                f'not a session id: {text!r}; give an eid (a UUID), a session path '
                '(subject/2023-01-01/001) or a reference (2023-01-01_1_subject)'
            ) from None
    if eid is None or one.eid2path(eid) is None:
        raise CliError(
            f'no session {text!r} in the cache tables of {root}: `alf-fast search {root}` '
            'lists them (or re-run `alf-fast setup` if the tree changed)',
            code=NOT_FOUND,
        )
    return eid


def _ls(args: argparse.Namespace) -> int:
    one = _one(args)
    eid = _eid(one, args.session, args.root)
    import polars as pl

    # A session without datasets comes back as one row with null dataset columns.
    frame = one.get_details(eid, full=True).filter(pl.col('id').is_not_null())
    if args.json:
        columns = ['id', 'rel_path', 'file_size', 'hash', 'exists', 'qc']
        rows = frame.select(c for c in columns if c in frame.columns).sort('rel_path')
        json.dump([{k: _jsonable(v) for k, v in r.items()} for r in rows.to_dicts()], sys.stdout)
        print()
    else:
        for rel_path, size in frame.sort('rel_path').select('rel_path', 'file_size').rows():
            print(f'{"" if size is None else size:>12}  {rel_path}')
    return 0


def _qc_level(text: str) -> str:
    return text.upper()


def _add_tables_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('root', help='the data folder (holding the cache tables)')
    parser.add_argument('--tables-dir', help='where the tables are (default: ROOT)')
    parser.add_argument('--json', action='store_true', help='print JSON records')


def add_search(subparsers: Any) -> None:
    """Add the ``search`` sub-command to the ``alf-fast`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.
    """
    search = subparsers.add_parser(
        'search',
        help='list the sessions matching search terms, newest first',
        description='List the sessions matching all the given terms, newest first: one line '
        'per session (eid, lab/subject/date/number). Exit status 1 when none matches.',
    )
    _add_tables_options(search)
    search.add_argument('--subject', nargs='+', help='regex searched in the subject (any)')
    search.add_argument('--lab', nargs='+', help='regex searched in the lab (any)')
    search.add_argument('--projects', nargs='+', help='regex searched in the projects (any)')
    search.add_argument('--task-protocol', nargs='+', help='regex searched in the protocol')
    search.add_argument('--number', nargs='+', type=int, help='session number(s)')
    search.add_argument(
        '--dataset', nargs='+', help='dataset file name regex(es); all must be present'
    )
    search.add_argument(
        '--date-range', nargs=2, metavar=('START', 'END'), help="inclusive; '-' leaves it open"
    )
    search.add_argument(
        '--qc',
        type=_qc_level,
        choices=QC_LEVELS,
        help='highest dataset QC accepted (any case; default: FAIL)',
    )
    search.add_argument(
        '--literal', action='store_true', help='match strings literally, not as regexes'
    )
    search.set_defaults(func=_search)


def add_ls(subparsers: Any) -> None:
    """Add the ``ls`` sub-command to the ``alf-fast`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.
    """
    ls = subparsers.add_parser(
        'ls',
        help="list a session's datasets",
        description="List a session's datasets (size in bytes, relative path).",
    )
    _add_tables_options(ls)
    ls.add_argument('session', help='eid, session path or reference (2023-01-01_1_subject)')
    ls.set_defaults(func=_ls)
