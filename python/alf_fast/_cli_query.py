"""``alf-fast search`` and ``alf-fast ls``: query cache tables from a terminal.

``search`` prints one matching session per line (eid, then ``lab/subject/date/number``), newest
first, as :meth:`alf_fast.One.search` orders them; ``ls`` prints a session's datasets. Both
take ``--json`` for machine-readable output.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ['register']


def _one(args: argparse.Namespace):
    from alf_fast import One

    return One(cache_dir=args.root, tables_dir=args.tables_dir)


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
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, 'item'):  # numpy scalars
        return value.item()
    return str(value)


def _ls(args: argparse.Namespace) -> int:
    one = _one(args)
    eid = one.to_eid(args.session)
    if eid is None:
        raise LookupError(f'no session in the cache tables for {args.session!r}')
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


def register(subparsers: Any) -> None:
    """Add the ``search`` and ``ls`` sub-commands to the ``alf-fast`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers`` returned.
    """
    search = subparsers.add_parser(
        'search', help='list the sessions matching search terms, newest first'
    )
    search.add_argument('root', help='the data folder (holding the cache tables)')
    search.add_argument('--subject', nargs='+', help='regex searched in the subject (any)')
    search.add_argument('--lab', nargs='+', help='regex searched in the lab (any)')
    search.add_argument('--projects', nargs='+', help='regex searched in the projects (any)')
    search.add_argument('--task-protocol', nargs='+', help='regex searched in the protocol')
    search.add_argument('--number', nargs='+', help='session number(s)')
    search.add_argument(
        '--dataset', nargs='+', help='dataset file name regex(es); all must be present'
    )
    search.add_argument(
        '--date-range', nargs=2, metavar=('START', 'END'), help="inclusive; '-' leaves it open"
    )
    search.add_argument('--qc', help='highest dataset QC accepted (default FAIL)')
    search.add_argument(
        '--literal', action='store_true', help='match strings literally, not as regexes'
    )
    search.add_argument('--tables-dir', help='where the tables are (default: ROOT)')
    search.add_argument('--json', action='store_true', help='print JSON records')
    search.set_defaults(func=_search)

    ls = subparsers.add_parser('ls', help="list a session's datasets")
    ls.add_argument('root', help='the data folder (holding the cache tables)')
    ls.add_argument('session', help='eid, session path or reference (2023-01-01_1_subject)')
    ls.add_argument('--tables-dir', help='where the tables are (default: ROOT)')
    ls.add_argument('--json', action='store_true', help='print JSON records')
    ls.set_defaults(func=_ls)
