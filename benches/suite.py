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

This module is the orchestration (trees, capped runs, correctness checks, the results dict).
The measured calls run in ``_worker.py`` child processes, the markdown and plot are written by
``_report.py``, and the trees are built and reused by ``_bench_trees.py``.

Usage::

    python benches/suite.py [--sizes 10000 100000 1000000] [--runs 3] [--cap-minutes 10]
                            [--quick] [--out benches/results] [--data DIR] [--skip-one]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench_trees import build_tree, ensure_tree, remove_tree
from _report import write_markdown, write_plot
from _timing import fmt_bytes, fmt_seconds, machine_info, run_capped, summarize, time_command
from _worker import CALL_IDS, CALLS, COMPAT
from _worker import SCRIPT as WORKER

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parents[1]
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


def log(msg: str) -> None:
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


# ---------------------------------------------------------------------------------------------
# Trees
# ---------------------------------------------------------------------------------------------


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
        build_tree(root, files, 'npy')
        marker.write_text('{}')
    for ses in sorted(p for p in root.glob('*/Subjects/*/*/*') if p.is_dir()):
        if (ses / 'alf' / LOAD_DATASET).exists() and (
            ses / '_ibl_experiment.description.yaml'
        ).exists():
            return root, ses.relative_to(root).as_posix()
    return root, None


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
        cmd = [sys.executable, str(WORKER), 'setup', lib, root, str(out), str(int(hash_files))]
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
        cmd = [sys.executable, str(WORKER), 'calls', str(spec_file), str(start)]
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
