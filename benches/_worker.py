"""The benchmark suite's child worker: the measured calls, run in a fresh process.

``benches/suite.py`` (the orchestration) runs this script once per measurement, so every
timing starts from a clean interpreter and the kernel's peak RSS is that process's alone:

- ``python _worker.py setup LIB ROOT OUT HASH``: time one ``make_parquet_db`` call;
- ``python _worker.py calls SPEC.json START``: construct ``One`` and time the calls of
  :data:`CALLS` from index ``START`` on (a call that hits the cap kills the worker; the suite
  starts a new one after it).

Each prints one JSON line per result on stdout; the suite parses those lines. Answers are
summarised through natural keys (``lab/Subjects/subject/date/number``) so that the two
libraries, whose ids differ, can be compared.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
#: The libraries compared, as named in the results.
LIBS = ('ONE-api', 'alf_fast')
#: The compatible face (pandas types, ``alf_fast.one.api.One``): timed for the calls, on the
#: tables alf_fast built.
COMPAT = 'alf_fast.one'

#: (id, label template) of the timed calls, in the order they run.
CALLS = (
    ('one', 'One()'),
    ('search_subject', 'search(subject={subject!r})'),
    ('search_regex', 'search(subject={regex!r})'),
    ('search_datasets', 'search(datasets={datasets!r})'),
    ('search_dates', 'search(date_range={date_range!r})'),
    ('search_combined', 'search(subject, date_range, datasets)'),
    ('list_datasets', 'list_datasets(eid)'),
    ('list_details', 'list_datasets(eid, details=True)'),
    ('get_details', 'get_details(eid)'),
    ('load_object', "load_object(eid, 'trials')"),
    ('load_dataset', 'load_dataset(eid, {load_dataset!r})'),
)
CALL_IDS = tuple(c for c, _ in CALLS)


def _quiet() -> None:
    import logging
    import warnings

    warnings.simplefilter('ignore')
    logging.disable(logging.CRITICAL)


def _emit(**kwargs: Any) -> None:
    print(json.dumps(kwargs), flush=True)


def child_setup(lib: str, root: str, out: str, hash_files: str) -> int:
    """Time one ``make_parquet_db`` call; print its seconds and the RSS before it."""
    import resource

    _quiet()
    if lib == 'alf_fast':
        from alf_fast import make_parquet_db
    else:
        from one.alf.cache import make_parquet_db
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    make_parquet_db(root, out_dir=out, hash_files=hash_files == '1')
    seconds = time.perf_counter() - t0
    unit = 1 if sys.platform == 'darwin' else 1024
    _emit(seconds=seconds, rss_baseline=baseline * unit)
    return 0


def _session_keys(tables: Path) -> dict[str, str]:
    """Session id -> ``lab/Subjects/subject/date/number`` (the natural key), from the table."""
    import pyarrow.parquet as pq

    t = pq.read_table(tables / 'sessions.pqt', columns=['id', 'lab', 'subject', 'date', 'number'])
    cols = [t.column(c).to_pylist() for c in ('id', 'lab', 'subject', 'date', 'number')]
    return {
        str(i): f'{lab}/Subjects/{subject}/{date}/{int(number):03d}'
        for i, lab, subject, date, number in zip(*cols, strict=True)
    }


def _digest(items: list[str]) -> dict[str, Any]:
    """Count, sha1 and first items of a sorted list of strings (kept small in the JSON)."""
    items = sorted(items)
    sha = hashlib.sha1('\n'.join(items).encode()).hexdigest()
    return {'count': len(items), 'sha1': sha, 'first': items[:3]}


def _array(value: Any) -> dict[str, Any]:
    import numpy as np

    a = np.asarray(value)
    if a.dtype == object:
        data = repr(a.tolist()).encode()
    else:
        data = np.ascontiguousarray(a).tobytes()
    return {'shape': list(a.shape), 'dtype': str(a.dtype), 'sha1': hashlib.sha1(data).hexdigest()}


def _summary(call: str, out: Any, keys: dict[str, str]) -> Any:
    """What must agree between the libraries, independent of their ids and types."""
    if call.startswith('search'):
        return _digest([keys.get(str(e), f'unknown id {e}') for e in out])
    if call == 'list_datasets':
        return _digest([str(x) for x in out])
    if call == 'list_details':  # a pandas or a polars frame: the same rows
        return _digest([str(x) for x in out['rel_path']])
    if call == 'get_details':
        return f'{out["lab"]}/{out["subject"]}/{out["date"]}/{int(out["number"]):03d}'
    if call == 'load_object':
        return {str(k): _array(v) for k, v in sorted(out.items())}
    if call == 'load_dataset':
        return _array(out)
    raise ValueError(call)


def child_calls(spec_path: str, start: str) -> int:
    """Construct ``One`` and time the calls from index ``start`` on; one JSON line per run."""
    _quiet()
    spec = json.loads(Path(spec_path).read_text())
    root, tables, runs = spec['root'], Path(spec['tables']), spec['runs']
    if spec['lib'] == 'alf_fast':
        from alf_fast import One

        kwargs: dict[str, Any] = {}
    elif spec['lib'] == COMPAT:
        from alf_fast.one.api import One

        kwargs = {}
    else:
        from one.api import One

        kwargs = {'mode': 'local'}

    def make() -> Any:
        return One(cache_dir=root, tables_dir=tables, **kwargs)

    keys = _session_keys(tables)
    by_key = {v: k for k, v in keys.items()}
    eid = by_key.get(spec['load_session'] or '')
    sub, dates, names = spec['subject'], spec['date_range'], spec['datasets']
    fns = {
        'search_subject': lambda o: o.search(subject=sub),
        'search_regex': lambda o: o.search(subject=spec['regex']),
        'search_datasets': lambda o: o.search(datasets=names),
        'search_dates': lambda o: o.search(date_range=dates),
        'search_combined': lambda o: o.search(subject=sub, date_range=dates, datasets=names),
        'list_datasets': lambda o: o.list_datasets(eid),
        'list_details': lambda o: o.list_datasets(eid, details=True),
        'get_details': lambda o: o.get_details(eid),
        'load_object': lambda o: o.load_object(eid, 'trials'),
        'load_dataset': lambda o: o.load_dataset(eid, spec['load_dataset']),
    }
    one = None
    for index, call in enumerate(CALL_IDS):
        if index < int(start):
            continue
        if call == 'one':
            try:
                for run in range(runs):
                    t0 = time.perf_counter()
                    one = make()
                    _emit(call=call, run=run, seconds=time.perf_counter() - t0)
                cache = one._cache
                answer = {'sessions': len(cache['sessions']), 'datasets': len(cache['datasets'])}
                _emit(call=call, answer=answer)
            except Exception as err:
                _emit(call=call, error=f'{type(err).__name__}: {err}')
                return 1
            continue
        if one is None:
            one = make()
            _emit(event='ready')
        if eid is None and call not in ('one',) and not call.startswith('search'):
            _emit(call=call, error=f'session {spec["load_session"]!r} not in the tables')
            continue
        try:
            out = None
            for run in range(runs):
                t0 = time.perf_counter()
                out = fns[call](one)
                _emit(call=call, run=run, seconds=time.perf_counter() - t0)
            _emit(call=call, answer=_summary(call, out, keys))
        except Exception as err:
            _emit(call=call, error=f'{type(err).__name__}: {err}'[:2000])
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == 'setup' and len(argv) == 5:
        return child_setup(*argv[1:])
    if argv and argv[0] == 'calls' and len(argv) == 3:
        return child_calls(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    raise SystemExit(main())
