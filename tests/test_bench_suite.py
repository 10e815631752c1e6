"""The benchmark suite (``benches/suite.py``) still runs end to end and agrees with ONE-api.

A tiny ``--quick``-like invocation in a subprocess: 150 files, one run, hash on included (ONE-api
hashes about 8 files a second, so larger trees would be slow). No timing is asserted.
"""

import json
import subprocess
import sys
from pathlib import Path

# The suite needs both; they are test dependencies (pyproject's `test` extra), so a missing one
# must fail here rather than skip.
import matplotlib  # noqa: F401
import one.api  # noqa: F401
import pytest

SUITE = Path(__file__).resolve().parents[1] / 'benches' / 'suite.py'


@pytest.fixture(scope='module')
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp('suite_out')
    cmd = [sys.executable, str(SUITE), '--sizes', '150', '--runs', '1', '--hash-max', '150']
    cmd += ['--cap-minutes', '2', '--out', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


libs_setup = ('ONE-api', 'alf_fast')


def test_json_is_complete(results):
    report = json.loads((results / 'results.json').read_text())
    machine = report['machine']
    assert machine['cores'] >= 1 and machine['cpu_model']
    for name in ('alf-fast', 'ONE-api', 'polars', 'pyarrow', 'numpy'):
        assert machine['versions'][name], name
    assert not report['skipped_sizes']
    (size,) = report['sizes']
    assert size['files'] == 150 and size['sessions'] >= 1
    assert size['find']['status'] == 'ok' and len(size['find']['runs']) == 1
    cases = {c['case']: c for c in size['cases']}
    assert {'setup', 'setup_hash', 'one', 'load_object', 'load_dataset'} <= set(cases)
    assert {'list_details', 'get_details'} <= set(cases)
    assert sum(c['kind'] == 'call' for c in size['cases']) == 11
    for case in size['cases']:
        libs = ('ONE-api', 'alf_fast', 'alf_fast.one') if case['kind'] == 'call' else libs_setup
        for lib in libs:
            r = case['results'][lib]
            assert r['status'] == 'ok', (case['case'], lib, r.get('note'))
            assert len(r['runs']) == 1 and r['min'] <= r['median'] <= r['max']
        if case['kind'] == 'setup':
            assert all(r['peak_rss_max'] > 0 for r in case['results'].values())
            assert all(r['files_per_second'] > 0 for r in case['results'].values())


def test_every_case_is_correct(results):
    report = json.loads((results / 'results.json').read_text())
    flags = {c['case']: c['correct'] for s in report['sizes'] for c in s['cases']}
    assert flags and all(flag is True for flag in flags.values()), flags


def test_markdown_is_well_formed(results):
    text = (results / 'results.md').read_text()
    assert text.startswith('# ') and '## Setup' in text and '## Calls at 150 files' in text
    tables = [line for line in text.splitlines() if line.startswith('|')]
    assert tables
    header_cells = None
    for line in tables:
        cells = line.count('|')
        if line.startswith('| files') or line.startswith('| call'):
            header_cells = cells
        assert cells == header_cells, line
    assert '**NO**' not in text


def test_png_is_an_image(results):
    data = (results / 'results.png').read_bytes()
    assert data.startswith(b'\x89PNG\r\n\x1a\n') and len(data) > 10_000
