"""Benchmark suite: alf_fast against ONE-api, side by side, on generated IBL-like ALF trees.

For each size (number of files) the suite builds a tree with ``alf_fast._corpus.build_ibl_tree``
and measures, for both libraries, in the same run:

- ``make_parquet_db`` with ``hash_files=False`` (every size) and ``hash_files=True`` (sizes up
  to 100,000, on a tree with real ``.npy`` content), each run in a fresh subprocess whose peak
  resident memory is read from the kernel (``os.wait4``);
- ``One()`` construction, five searches, ``list_datasets``, ``load_object`` and
  ``load_dataset``, each library on the tables it built itself, in a worker subprocess;
- the raw walk floor, ``find ROOT -type f -printf '%s %p\\n' > /dev/null``.

Every call is capped (``--cap-minutes`` per run; a call that hits the cap is recorded as "did
not finish", never extrapolated), and the answers of the two libraries are compared through
natural keys (``lab/Subjects/subject/date/number``), so each case gets a ``correct`` flag.
Results go to ``results.json``, ``results.md`` and ``results.png`` in ``--out``.

Usage::

    python benches/suite.py [--sizes 10000 100000 1000000] [--runs 3] [--cap-minutes 10]
                            [--quick] [--out benches/results] [--data DIR] [--skip-one]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _timing import (
    fmt_bytes,
    fmt_count,
    fmt_seconds,
    machine_info,
    run_capped,
    summarize,
    time_command,
)

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parents[1]
LIBS = ('ONE-api', 'alf_fast')
#: The compatible face (pandas types, ``alf_fast.one.api.One``): timed for the calls, on the
#: tables alf_fast built.
COMPAT = 'alf_fast.one'
SEED = 0
#: Default largest tree with a hashing setup (such trees hold real data: ~9 KB a file).
HASH_MAX = 100_000
#: ``--quick``: sizes and hash limit (ONE-api hashes ~8 files/s, see the README).
QUICK_SIZES = [200, 2_000, 10_000]
QUICK_HASH_MAX = 200
#: Files of real ``.npy`` data written over the first sessions of every tree (for the loads).
OVERLAY_FILES = 200
DATASETS = ['_ibl_trials.choice.npy', '_ibl_wheel.position.npy']
LOAD_DATASET = '_ibl_wheel.position.npy'
# Disk needed per file, measured on build_ibl_tree output (folders of empty files; npy data),
# and per row of the four datasets tables (two libraries, hash off and on).
EMPTY_BYTES_PER_FILE = 700
NPY_BYTES_PER_FILE = 9_500
TABLE_BYTES_PER_FILE = 4 * 80
TREE_VERSION = 1

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


def log(msg: str) -> None:
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


# ---------------------------------------------------------------------------------------------
# Subprocess workers (run as `python suite.py _setup ...` / `python suite.py _calls ...`)
# ---------------------------------------------------------------------------------------------


def _quiet() -> None:
    import logging
    import warnings

    warnings.simplefilter('ignore')
    logging.disable(logging.CRITICAL)


def _emit(**kwargs: Any) -> None:
    print(json.dumps(kwargs), flush=True)


def _child_setup(lib: str, root: str, out: str, hash_files: str) -> int:
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


def _child_calls(spec_path: str, start: str) -> int:
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

    def make():
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


# ---------------------------------------------------------------------------------------------
# Trees
# ---------------------------------------------------------------------------------------------


def _build(root: Path, files: int, content: str) -> dict[str, Any]:
    from alf_fast._corpus import build_ibl_tree

    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    counts = build_ibl_tree(root, files, content, seed=SEED)
    return {'counts': counts, 'build_seconds': time.perf_counter() - t0}


def overlay_tree(data: Path, files: int) -> tuple[Path, str | None]:
    """A small npy tree: the first sessions of every tree of the same seed, with real data.

    ``build_ibl_tree`` plans sessions in order from the seed, so the first ``files`` files of a
    tree of any size are these paths; copying this tree over an empty one gives exactly the
    bytes ``content='npy'`` would have written there. Returns the tree and the first session
    (natural key) whose trials and wheel objects are complete, the one that is loaded.
    """
    root = data / f'overlay_{files}'
    marker = data / f'overlay_{files}.json'
    if not (marker.exists() and root.is_dir()):
        _build(root, files, 'npy')
        marker.write_text('{}')
    for ses in sorted(p for p in root.glob('*/Subjects/*/*/*') if p.is_dir()):
        if (ses / 'alf' / LOAD_DATASET).exists() and (
            ses / '_ibl_experiment.description.yaml'
        ).exists():
            return root, ses.relative_to(root).as_posix()
    return root, None


def ensure_tree(data: Path, files: int, content: str, overlay: Path | None) -> dict[str, Any]:
    """Build (or reuse, with ``--data``) the tree of ``files`` files."""
    root = data / f'ibl_{content}_{files}'
    marker = data / f'ibl_{content}_{files}.json'
    if marker.exists() and root.is_dir():
        info = json.loads(marker.read_text())
        if info.get('version') == TREE_VERSION and info.get('overlay') == (overlay is not None):
            info['reused'] = True
            return info
    marker.unlink(missing_ok=True)
    info = _build(root, files, content)
    if overlay is not None:
        shutil.copytree(overlay, root, dirs_exist_ok=True)
    info.update(
        root=str(root),
        files=files,
        content=content,
        seed=SEED,
        overlay=overlay is not None,
        version=TREE_VERSION,
    )
    marker.write_text(json.dumps(info))
    info['reused'] = False
    return info


def remove_tree(info: dict[str, Any]) -> None:
    shutil.rmtree(info['root'], ignore_errors=True)
    Path(info['root'] + '.json').unlink(missing_ok=True)


def disk_problem(data: Path, files: int, hash_max: int) -> str | None:
    """Why a size cannot be run on this disk, or None."""
    need = files * (EMPTY_BYTES_PER_FILE + TABLE_BYTES_PER_FILE)
    if files <= hash_max:
        need += files * NPY_BYTES_PER_FILE
    free = shutil.disk_usage(data).free
    if free < 1.5 * need + (1 << 30):
        return (
            f'skipped: needs about {fmt_bytes(need)} (+50 % and 1 GiB margin), '
            f'{fmt_bytes(free)} free in {data}'
        )
    st = os.statvfs(data)
    inodes = int(files * 1.3) * (2 if files <= hash_max else 1)
    if st.f_files and st.f_favail < inodes:
        return f'skipped: needs about {inodes:,} inodes, {st.f_favail:,} free in {data}'
    return None


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def find_cmd(root: str) -> list[str]:
    return ['find', root, '-type', 'f', '-printf', '%s %p\\n']


def measure_find(root: str, runs: int) -> dict[str, Any]:
    """Time the raw walk floor; the first, untimed walk warms the file cache."""
    try:
        time_command(find_cmd(root))
        times = [time_command(find_cmd(root)) for _ in range(runs)]
    except Exception as err:
        return {'status': 'error', 'note': str(err), 'runs': [], **summarize([])}
    return {'status': 'ok', 'runs': times, **summarize(times)}


def warm_contents(root: str) -> None:
    """Read every file once (untimed), so hashing setups start from a warm page cache."""
    time_command(['find', root, '-type', 'f', '-exec', 'cat', '{}', '+'])


def measure_setup(
    lib: str, root: str, out: Path, hash_files: bool, runs: int, cap: float, files: int
) -> dict[str, Any]:
    """``runs`` runs of ``make_parquet_db`` into ``out``, each in a fresh, capped subprocess."""
    res: dict[str, Any] = {'status': 'ok', 'runs': [], 'peak_rss': [], 'baseline_rss': []}
    res['note'] = None
    for _ in range(runs):
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        cmd = [sys.executable, str(SCRIPT), '_setup', lib, root, str(out), str(int(hash_files))]
        c = run_capped(cmd, cap)
        if c.status == 'dnf':
            res['status'], res['note'] = 'dnf', f'did not finish within {cap / 60:g} min'
            break
        if c.status != 'ok' or not c.lines:
            res['status'], res['note'] = 'error', c.stderr.strip()[-1500:] or 'no output'
            break
        res['runs'].append(c.lines[-1]['seconds'])
        res['peak_rss'].append(c.peak_rss)
        res['baseline_rss'].append(c.lines[-1]['rss_baseline'])
    ok = res['status'] == 'ok'
    res.update(summarize(res['runs'] if ok else []))
    res['peak_rss_max'] = max(res['peak_rss']) if ok and res['peak_rss'] else None
    res['files_per_second'] = files / res['median'] if ok and res['median'] else None
    detail = fmt_seconds(res['median']) if ok else ''.join((res['note'] or '').splitlines()[-1:])
    log(f'  {lib}: {res["status"]} {detail}')
    return res


def compare_tables(a: Path, b: Path, with_hash: bool) -> dict[str, Any]:
    """Same sessions (natural keys) and same datasets (path, size[, hash]) in two table dirs."""
    import polars as pl

    def load(d: Path) -> tuple[int, pl.DataFrame]:
        ses = pl.read_parquet(
            d / 'sessions.pqt', columns=['id', 'lab', 'subject', 'date', 'number']
        )
        key = pl.format(
            '{}/Subjects/{}/{}/{}',
            'lab',
            'subject',
            pl.col('date').cast(pl.String),
            pl.col('number').cast(pl.String).str.pad_start(3, '0'),
        )
        ses = ses.select('id', key.alias('key'))
        cols = ['eid', 'rel_path', 'file_size'] + (['hash'] if with_hash else [])
        ds = pl.read_parquet(d / 'datasets.pqt', columns=cols)
        rows = ds.join(ses, left_on='eid', right_on='id', how='left').drop('eid')
        return ses.height, rows.sort('key', 'rel_path').select('key', *cols[1:])

    try:
        (sa, ra), (sb, rb) = load(a), load(b)
    except Exception as err:
        return {'equal': False, 'note': f'{type(err).__name__}: {err}'}
    equal = sa == sb and ra.height == rb.height and ra.equals(rb)
    return {'equal': equal, 'sessions': [sa, sb], 'datasets': [ra.height, rb.height]}


def measure_calls(spec: dict[str, Any], spec_file: Path, cap: float) -> dict[str, Any]:
    """All calls of one library; a call that hits the cap is recorded and the rest go on."""
    spec_file.write_text(json.dumps(spec))
    res: dict[str, dict[str, Any]] = {
        c: {'status': None, 'runs': [], 'answer': None, 'note': None} for c in CALL_IDS
    }
    workers: list[dict[str, Any]] = []
    start = 0
    while start < len(CALL_IDS):
        cmd = [sys.executable, str(SCRIPT), '_calls', str(spec_file), str(start)]
        c = run_capped(cmd, cap, reset_on_line=True)
        workers.append({'start': CALL_IDS[start], 'status': c.status, 'peak_rss': c.peak_rss})
        for line in c.lines:
            call = line.get('call')
            if call not in res:
                continue
            if 'seconds' in line:
                res[call]['runs'].append(line['seconds'])
            elif 'answer' in line:
                res[call]['status'], res[call]['answer'] = 'ok', line['answer']
            elif 'error' in line:
                res[call]['status'], res[call]['note'] = 'error', line['error']
        pending = [x for x in CALL_IDS[start:] if res[x]['status'] is None]
        if not pending:
            break
        if res['one']['status'] not in (None, 'ok'):
            for x in pending:
                res[x]['status'], res[x]['note'] = 'not run', 'One() did not succeed'
            break
        first = pending[0]
        if c.status == 'dnf':
            res[first]['status'] = 'dnf'
            res[first]['note'] = f'did not finish within {cap / 60:g} min'
        else:
            res[first]['status'] = 'error'
            res[first]['note'] = c.stderr.strip()[-1500:] or f'worker exited {c.returncode}'
        if first == 'one':
            for x in CALL_IDS[CALL_IDS.index(first) + 1 :]:
                if res[x]['status'] is None:
                    res[x]['status'], res[x]['note'] = 'not run', 'One() did not succeed'
            break
        start = CALL_IDS.index(first) + 1
    for r in res.values():
        r.update(summarize(r['runs'] if r['status'] == 'ok' else []))
    return {'calls': res, 'workers': workers}


def call_labels(spec: dict[str, Any]) -> dict[str, str]:
    return {c: label.format(**spec) for c, label in CALLS}


def not_run(note: str) -> dict[str, Any]:
    return {'status': 'not run', 'runs': [], 'note': note, **summarize([])}


# ---------------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------------


def run_size(files: int, args: argparse.Namespace, data: Path, keep: bool) -> dict[str, Any]:
    cap = args.cap_minutes * 60
    libs = ('alf_fast',) if args.skip_one else ('alf_fast', 'ONE-api')
    entry: dict[str, Any] = {'files': files, 'cases': [], 'notes': []}

    n_overlay = min(files, OVERLAY_FILES)
    overlay, load_session = overlay_tree(data, n_overlay)
    log(f'{files:,} files: tree')
    tree = ensure_tree(data, files, 'empty', overlay)
    log(f'  {"reused" if tree["reused"] else "built in " + fmt_seconds(tree["build_seconds"])}')
    root = tree['root']
    entry['tree'] = {k: v for k, v in tree.items() if k != 'version'}
    entry['sessions'] = tree['counts']['sessions']
    entry['load_session'] = load_session
    entry['notes'].append(
        f'empty files; real .npy data (content="npy", identical bytes) written over the first '
        f'{n_overlay} files, i.e. the sessions that are loaded ({load_session})'
    )

    log(f'{files:,} files: find floor')
    entry['find'] = measure_find(root, args.runs)

    tables = data / f'tables_{files}'
    outs = {lib: tables / f'{lib}_hash0' for lib in libs}
    case: dict[str, Any] = {'case': 'setup', 'kind': 'setup', 'hash_files': False, 'results': {}}
    for lib in libs:
        log(f'{files:,} files: make_parquet_db {lib} (hash off) x{args.runs}')
        case['results'][lib] = measure_setup(lib, root, outs[lib], False, args.runs, cap, files)
    case['correct'], case['check'] = None, None
    if len(libs) > 1 and all(r['status'] == 'ok' for r in case['results'].values()):
        check = compare_tables(outs['ONE-api'], outs['alf_fast'], with_hash=False)
        case['correct'], case['check'] = check['equal'], check
    entry['cases'].append(case)

    spec_base = {
        'root': root,
        'runs': args.runs,
        'load_session': load_session,
        'load_dataset': LOAD_DATASET,
        'datasets': DATASETS,
    }
    if load_session:
        _, _, subject, date, _ = load_session.split('/')
        prefix = re.sub(r'\d+$', '', subject)
        day = datetime.date.fromisoformat(date)
        spec_base['subject'] = subject
        spec_base['regex'] = f'^{re.escape(prefix)}0[0-4]'
        spec_base['date_range'] = [
            (day - datetime.timedelta(days=180)).isoformat(),
            (day + datetime.timedelta(days=180)).isoformat(),
        ]
    else:
        spec_base.update(
            subject='KS001', regex='^KS0[0-4]', date_range=['2019-01-01', '2019-12-31']
        )
    entry['query'] = {k: spec_base[k] for k in ('subject', 'regex', 'date_range', 'datasets')}
    entry['labels'] = call_labels(spec_base)
    per_lib: dict[str, dict[str, Any]] = {}
    call_libs = (*libs, COMPAT)
    for lib in call_libs:
        tdir = outs.get(lib, outs['alf_fast'])
        if lib in case['results'] and case['results'][lib]['status'] != 'ok':
            if case['results']['alf_fast']['status'] != 'ok':
                per_lib[lib] = {'calls': {c: not_run('no tables') for c in CALL_IDS}}
                log(f'{files:,} files: no tables for the calls of {lib}')
                continue
            tdir = outs['alf_fast']
            entry['notes'].append(f'{lib} calls read the tables built by alf_fast')
        log(f'{files:,} files: One() and calls, {lib}')
        spec = {**spec_base, 'lib': lib, 'tables': str(tdir)}
        per_lib[lib] = measure_calls(spec, tables / f'spec_{lib}.json', cap)
    entry['call_workers'] = {lib: per_lib[lib].get('workers') for lib in call_libs}
    for call in CALL_IDS:
        results = {lib: per_lib[lib]['calls'][call] for lib in call_libs}
        correct = None
        if len(libs) > 1 and all(r['status'] == 'ok' for r in results.values()):
            answers = [r['answer'] for r in results.values()]
            correct = all(a == answers[0] for a in answers)
        entry['cases'].append(
            {'case': call, 'kind': 'call', 'results': results, 'correct': correct}
        )

    if files <= args.hash_max:
        log(f'{files:,} files: npy tree')
        npy = ensure_tree(data, files, 'npy', None)
        log(f'  {"reused" if npy["reused"] else "built in " + fmt_seconds(npy["build_seconds"])}')
        warm_contents(npy['root'])
        entry['npy_tree'] = {k: v for k, v in npy.items() if k != 'version'}
        outs_h = {lib: tables / f'{lib}_hash1' for lib in libs}
        case = {'case': 'setup_hash', 'kind': 'setup', 'hash_files': True, 'results': {}}
        for lib in libs:
            log(f'{files:,} files: make_parquet_db {lib} (hash on) x{args.runs}')
            case['results'][lib] = measure_setup(
                lib, npy['root'], outs_h[lib], True, args.runs, cap, files
            )
        case['correct'], case['check'] = None, None
        if len(libs) > 1 and all(r['status'] == 'ok' for r in case['results'].values()):
            check = compare_tables(outs_h['ONE-api'], outs_h['alf_fast'], with_hash=True)
            case['correct'], case['check'] = check['equal'], check
        entry['cases'].append(case)
        if not keep:
            remove_tree(npy)
    if not keep:
        remove_tree(tree)
        shutil.rmtree(tables, ignore_errors=True)
    return entry


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return '—'
    if r['status'] == 'ok':
        return fmt_seconds(r['median'])
    if r['status'] == 'dnf':
        return f'**{r["note"]}**'
    return r['status']


def _range(r: dict[str, Any] | None) -> str:
    if r is None or r['status'] != 'ok':
        return '—'
    return f'{fmt_seconds(r["min"])} – {fmt_seconds(r["max"])}'


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if a is None or b is None or a['status'] != 'ok' or b['status'] != 'ok' or not b['median']:
        return '—'
    ratio = a['median'] / b['median']
    return f'{ratio:.1f}×' if ratio >= 1 else f'{ratio:.2g}×'


def _flag(correct: bool | None) -> str:
    return {True: 'yes', False: '**NO**', None: '—'}[correct]


def write_markdown(report: dict[str, Any], path: Path) -> None:
    m = report['machine']
    v = m['versions']
    s = report['suite']
    lines = [
        '# alf_fast vs ONE-api: benchmark suite',
        '',
        '![setup and call times](results.png)',
        '',
        f'- Machine: {m["cpu_model"]}, {m["cores"]} cores ({m["usable_cores"]} usable), '
        f'{fmt_bytes(m["memory_bytes"])} RAM, {m["os"]}',
        f'- Python {m["python"]}; alf_fast {v["alf-fast"]}, ONE-api {v["ONE-api"]}, '
        f'polars {v["polars"]}, pyarrow {v["pyarrow"]}, numpy {v["numpy"]}, '
        f'pandas {v["pandas"]}; commit {m["git_commit"]}'
        f'{" (with uncommitted changes)" if m.get("git_dirty") else ""}',
        f'- Run {s["started"]} ({fmt_seconds(s["wall_seconds"])}): `{s["command"]}`',
        f'- {s["runs"]} run(s) per measurement, median shown (min – max beside calls; every '
        f'run in results.json); cap {s["cap_minutes"]:g} min per run of a call.',
        '',
    ]
    for note in report['notes']:
        lines.append(f'- Note: {note}')
    for skip in report['skipped_sizes']:
        lines.append(f'- {skip["files"]:,} files: {skip["reason"]}')
    lines += [
        '',
        '## Setup: `make_parquet_db`',
        '',
        'Hash off on a tree of empty files; hash on (md5 of every file) on a tree of the same '
        'layout with real `.npy` data. Peak memory is the maximum RSS of the whole setup '
        'process (Python, imports and the call).',
        '',
        '| files | sessions | hash | find floor | ONE-api | alf_fast | speed-up | '
        'alf_fast / find | ONE-api files/s | alf_fast files/s | ONE-api peak RSS | '
        'alf_fast peak RSS | correct |',
        '|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
    ]
    for size in report['sizes']:
        find = size['find']
        for case in size['cases']:
            if case['kind'] != 'setup':
                continue
            one, fast = case['results'].get('ONE-api'), case['results'].get('alf_fast')
            floor = find['median'] if find['status'] == 'ok' else None
            over = '—'
            if floor and fast and fast['status'] == 'ok':
                over = f'{fast["median"] / floor:.1f}×'
            lines.append(
                f'| {size["files"]:,} | {size["sessions"]:,} | '
                f'{"on" if case["hash_files"] else "off"} | '
                f'{fmt_seconds(floor) if not case["hash_files"] else "—"} | '
                f'{_cell(one)} | {_cell(fast)} | {_ratio(one, fast)} | '
                f'{over if not case["hash_files"] else "—"} | '
                f'{fmt_count(one and one.get("files_per_second"))} | '
                f'{fmt_count(fast and fast.get("files_per_second"))} | '
                f'{fmt_bytes(one and one.get("peak_rss_max"))} | '
                f'{fmt_bytes(fast and fast.get("peak_rss_max"))} | {_flag(case["correct"])} |'
            )
    for size in report['sizes']:
        q = size['query']
        lines += [
            '',
            f'## Calls at {size["files"]:,} files ({size["sessions"]:,} sessions)',
            '',
            f'Session loaded: `{size["load_session"]}`; subject {q["subject"]!r}, regex '
            f'{q["regex"]!r}, date range {q["date_range"]}. Each library reads the tables it '
            f'built (hash off); `{COMPAT}` (the compatible face: pandas types) reads those '
            'alf_fast built.',
            '',
            '| call | ONE-api | ONE-api min – max | alf_fast | alf_fast min – max | '
            f'speed-up | {COMPAT} | {COMPAT} min – max | speed-up | correct |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
        ]
        for case in size['cases']:
            if case['kind'] != 'call':
                continue
            one, fast = case['results'].get('ONE-api'), case['results'].get('alf_fast')
            compat = case['results'].get(COMPAT)
            label = size['labels'][case['case']].replace('|', '\\|')
            lines.append(
                f'| `{label}` | {_cell(one)} | {_range(one)} | {_cell(fast)} | '
                f'{_range(fast)} | {_ratio(one, fast)} | {_cell(compat)} | {_range(compat)} | '
                f'{_ratio(one, compat)} | {_flag(case["correct"])} |'
            )
        problems = [
            f'{case["case"]} ({lib}): {r["status"]}: {r["note"].strip().splitlines()[-1]}'
            for case in size['cases']
            for lib, r in case['results'].items()
            if r['status'] not in ('ok', 'dnf') and (r.get('note') or '').strip()
        ]
        if problems:
            lines += ['', 'Failures:', '']
            lines += [f'- {p[:400]}' for p in problems]
    lines.append('')
    path.write_text('\n'.join(lines))


def write_plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    sizes = report['sizes']
    styles = {
        'alf_fast': ('tab:orange', 'o'),
        'ONE-api': ('tab:blue', 's'),
        COMPAT: ('tab:green', '^'),
    }
    for lib in LIBS:
        color, marker = styles[lib]
        for hash_files, ls in ((False, '-'), (True, '--')):
            xs, ys, dnf = [], [], []
            for size in sizes:
                for case in size['cases']:
                    r = case['results'].get(lib)
                    if case['kind'] == 'setup' and case['hash_files'] == hash_files and r:
                        if r['status'] == 'ok':
                            xs.append(size['files'])
                            ys.append(r['median'])
                        elif r['status'] == 'dnf':
                            dnf.append(size['files'])
            label = f'{lib} make_parquet_db' + (' (hash on, npy tree)' if hash_files else '')
            face = 'none' if hash_files else color
            if xs:
                ax1.plot(xs, ys, ls, color=color, marker=marker, mfc=face, label=label)
            if dnf:
                cap = report['suite']['cap_minutes'] * 60
                ax1.plot(
                    dnf,
                    [cap] * len(dnf),
                    'x',
                    color=color,
                    ms=10,
                    label=f'{label}: did not finish within {cap / 60:g} min',
                )
    xs = [s['files'] for s in sizes if s['find']['status'] == 'ok']
    ys = [s['find']['median'] for s in sizes if s['find']['status'] == 'ok']
    if xs:
        ax1.plot(xs, ys, ':', color='gray', marker='^', label='find -type f (walk floor)')
    ax1.set_xscale('log')
    ax1.set_yscale('log')
    ax1.set_xlabel('files in the tree')
    ax1.set_ylabel('seconds (median)')
    ax1.set_title('Setup: make_parquet_db vs files')
    ax1.grid(True, which='both', alpha=0.3)
    ax1.legend(fontsize=8)

    # Query latencies at the largest size.
    both = [
        s
        for s in sizes
        if all(
            any(
                c['kind'] == 'call' and c['results'].get(lib, {}).get('status') == 'ok'
                for c in s['cases']
            )
            for lib in LIBS
        )
    ]
    if sizes:
        size = (both or sizes)[-1]
        calls = [c for c in size['cases'] if c['kind'] == 'call']
        plotted = (*LIBS, COMPAT)
        width = 0.8 / len(plotted)
        for i, lib in enumerate(plotted):
            color = styles[lib][0]
            xs, ys = [], []
            for j, case in enumerate(calls):
                r = case['results'].get(lib)
                if r and r['status'] == 'ok' and r['median']:
                    xs.append(j + (i - (len(plotted) - 1) / 2) * width)
                    ys.append(r['median'])
                elif r and r['status'] != 'ok':
                    x = j + (i - (len(plotted) - 1) / 2) * width
                    ax2.text(
                        x,
                        0.02,
                        r['status'],
                        rotation=90,
                        fontsize=7,
                        color=color,
                        transform=ax2.get_xaxis_transform(),
                    )
            if xs:
                ax2.bar(xs, ys, width=width, color=color, label=lib)
        ax2.set_xticks(range(len(calls)))
        ax2.set_xticklabels([c['case'] for c in calls], rotation=35, ha='right', fontsize=8)
        ax2.set_yscale('log')
        ax2.set_ylabel('seconds (median)')
        ax2.set_title(f'Calls at {size["files"]:,} files')
        ax2.grid(True, axis='y', which='both', alpha=0.3)
        ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', help='tree sizes in files')
    parser.add_argument('--runs', type=int, help='runs per measurement (default 3)')
    parser.add_argument('--cap-minutes', type=float, default=10.0, help='cap per run of a call')
    parser.add_argument(
        '--hash-max',
        type=int,
        help=f'largest size with a hash-on setup (default {HASH_MAX:,}, quick {QUICK_HASH_MAX})',
    )
    parser.add_argument(
        '--quick', action='store_true', help='200, 2,000 and 10,000 files, 1 run (CI check)'
    )
    parser.add_argument('--out', type=Path, default=REPO / 'benches' / 'results')
    parser.add_argument('--data', type=Path, help='keep and reuse the trees here')
    parser.add_argument('--skip-one', action='store_true', help='alf_fast and find only')
    parser.add_argument(
        '--render', type=Path, help='only rewrite results.md/.png in --out from this JSON'
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or QUICK_SIZES
        args.runs = args.runs or 1
        args.hash_max = QUICK_HASH_MAX if args.hash_max is None else args.hash_max
    args.hash_max = HASH_MAX if args.hash_max is None else args.hash_max
    args.sizes = sorted(set(args.sizes or [10_000, 100_000, 1_000_000]))
    args.runs = args.runs or 3
    if args.runs < 1 or min(args.sizes) < 1 or args.cap_minutes <= 0:
        parser.error('--runs, --sizes and --cap-minutes must be positive')
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '_setup':
        return _child_setup(*argv[1:])
    if argv and argv[0] == '_calls':
        return _child_calls(*argv[1:])
    args = parse_args(argv)
    if args.render:
        report = json.loads(args.render.read_text())
        args.out.mkdir(parents=True, exist_ok=True)
        write_markdown(report, args.out / 'results.md')
        write_plot(report, args.out / 'results.png')
        return 0
    started = datetime.datetime.now().astimezone()
    t0 = time.perf_counter()
    keep = args.data is not None
    data = args.data or Path(tempfile.mkdtemp(prefix='alf_fast_suite_'))
    data.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        'suite': {
            'command': ' '.join(['python', 'benches/suite.py', *argv]),
            'started': started.isoformat(timespec='seconds'),
            'sizes': args.sizes,
            'runs': args.runs,
            'cap_minutes': args.cap_minutes,
            'quick': args.quick,
            'hash_max': args.hash_max,
            'skip_one': args.skip_one,
            'data': str(data) if keep else None,
        },
        'machine': machine_info(REPO),
        'notes': [
            'Each library builds its own tables and its calls read them; ids differ between '
            'the libraries, so answers are compared through natural keys.',
            'Setup runs and call workers are fresh subprocesses; import time is excluded.',
            'Calls have no untimed warm-up run: min is the warm time, max includes first-call '
            'costs.',
            'ONE-api tables store an empty hash, so ONE-api loads also md5 the loaded files; '
            'alf_fast tables store a null hash (no check).',
        ],
        'sizes': [],
        'skipped_sizes': [],
    }
    if args.runs < 3:
        report['notes'].append(f'only {args.runs} run(s) per measurement: not for publication')
    if not args.skip_one and any(f <= args.hash_max for f in args.sizes):
        report['notes'].append(
            'ONE-api hashes each file with iblutil.io.hashfile.md5, which allocates and '
            'zero-fills a 256 MiB buffer per file, whatever its size: its hash-on setup is '
            'bound by that, not by reading.'
        )
    if args.skip_one:
        report['notes'].append('ONE-api skipped (--skip-one): no correctness check')
    try:
        for files in args.sizes:
            problem = disk_problem(data, files, args.hash_max)
            if problem:
                log(f'{files:,} files: {problem}')
                report['skipped_sizes'].append({'files': files, 'reason': problem})
                continue
            report['sizes'].append(run_size(files, args, data, keep))
    finally:
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
    report['suite']['finished'] = (
        datetime.datetime.now().astimezone().isoformat(timespec='seconds')
    )
    report['suite']['wall_seconds'] = time.perf_counter() - t0
    (args.out / 'results.json').write_text(json.dumps(report, indent=1, default=str))
    write_markdown(report, args.out / 'results.md')
    write_plot(report, args.out / 'results.png')
    flags = [c['correct'] for s in report['sizes'] for c in s['cases']]
    bad = sum(f is False for f in flags)
    log(f'wrote {args.out}/results.{{json,md,png}}; {bad} incorrect case(s) of {len(flags)}')
    return 1 if bad else 0


if __name__ == '__main__':
    raise SystemExit(main())
