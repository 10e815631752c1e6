"""The benchmark suite's report: ``results.md`` and ``results.png`` from the results dict.

Also run on its own through ``suite.py --render results.json``, so the files can be rewritten
from a saved run without measuring again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _timing import fmt_bytes, fmt_count, fmt_seconds
from _worker import COMPAT, LIBS


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
