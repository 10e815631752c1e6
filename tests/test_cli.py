"""The ``alf-fast`` command: output, one-line failures and exit codes (0 found, 1 nothing
matched, 2 usage or input error)."""

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest

from alf_fast.cli import main

README = Path(__file__).parents[1] / 'README.md'
TIMEOUT = 120


def run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, '-m', 'alf_fast.cli', *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        **kwargs,
    )


def fails(out, code: int, message: str):
    """`out` failed with `code` and exactly one stderr line matching `message` (a regex)."""
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert re.fullmatch(message, lines[0]), lines[0]
    assert out.stdout == ''


@pytest.fixture
def indexed(f_root):
    """Fixture F with tables written by alf-fast setup."""
    out = run('setup', str(f_root), '--quiet')
    assert out.returncode == 0, out.stderr
    return f_root


# --- setup -------------------------------------------------------------------------------


def test_setup_prints_summary_and_writes_tables(f_root, tmp_path):
    out = run('setup', str(f_root), '--out', str(tmp_path), '--hash', '--threads', '2')
    assert out.returncode == 0, out.stderr
    assert re.search(r'5 sessions, 21 datasets \(.*\) in [\d.]+ s', out.stdout)
    assert 'non-ALF files skipped: 1' in out.stdout
    ds = pd.read_parquet(tmp_path / 'datasets.pqt')
    assert ds['hash'].str.len().eq(32).all()


def test_setup_quiet_prints_nothing(f_root):
    out = run('setup', str(f_root), '--quiet')
    assert out.returncode == 0 and out.stdout == '' and out.stderr == ''


def test_setup_missing_root(tmp_path):
    missing = tmp_path / 'missing'
    fails(
        run('setup', str(missing)), 2, f'alf-fast: error: root directory does not exist: {missing}'
    )


def test_setup_missing_out_dir(f_root, tmp_path, capsys):
    assert main(['setup', str(f_root), '--out', str(tmp_path / 'nope')]) == 2
    err = capsys.readouterr().err
    assert err == f'alf-fast: error: output directory does not exist: {tmp_path / "nope"}\n'


def test_setup_root_is_a_file(tmp_path):
    file = tmp_path / 'f.txt'
    file.write_text('x')
    fails(
        run('setup', str(file)), 2, f'alf-fast: error: root directory is not a directory: {file}'
    )


def test_setup_bad_threads():
    out = run('setup', '.', '--threads', '0')
    assert out.returncode == 2
    assert 'argument --threads: must be at least 1, got 0' in out.stderr.splitlines()[-1]


def test_setup_prints_each_warning_once(tmp_path):
    root = tmp_path / 'root'
    good = root / 'sub/2020-01-01/001/alf'
    good.mkdir(parents=True)
    (good / 'obj.attr.npy').write_bytes(b'')
    bad = root / 'sub/2020-13-45/001/alf'  # an impossible date: warned about, not indexed
    bad.mkdir(parents=True)
    (bad / 'obj.attr.npy').write_bytes(b'')
    out = run('setup', str(root))
    assert out.returncode == 0, out.stderr
    warned = [line for line in out.stderr.splitlines() if '2020-13-45' in line]
    assert len(warned) == 1, out.stderr
    assert warned[0].startswith('alf-fast: warning: ')
    assert 'cli.py' not in out.stderr and 'warnings.warn' not in out.stderr
    assert 'warnings: 1,' in out.stdout


def test_setup_of_an_empty_tree_warns_once(tmp_path):
    out = run('setup', str(tmp_path))
    assert out.returncode == 0
    assert out.stderr == f'alf-fast: warning: No sessions found in {tmp_path}\n'


# --- search ------------------------------------------------------------------------------


def test_search_lists_sessions(indexed):
    out = run('search', str(indexed), '--dataset', '_ibl_trials.choice.npy')
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines and all(
        re.fullmatch(r'[0-9a-f-]{36}  \S+/\d{4}-\d\d-\d\d/\d{3}', x) for x in lines
    )
    assert out.stderr == ''


def test_search_json(indexed):
    out = run('search', str(indexed), '--subject', 'SWC_001', '--json')
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert records and {r['subject'] for r in records} == {'SWC_001'}


def test_search_without_tables(tmp_path):
    fails(
        run('search', str(tmp_path)),
        2,
        re.escape(f'alf-fast: error: no cache tables in {tmp_path}: ')
        + re.escape(f'run `alf-fast setup {tmp_path}` first'),
    )


def test_search_missing_folder(tmp_path):
    missing = tmp_path / 'nope'
    fails(
        run('search', str(missing)), 2, f'alf-fast: error: data folder does not exist: {missing}'
    )


def test_search_no_match(indexed):
    out = run('search', str(indexed), '--subject', 'nobody')
    fails(out, 1, r"alf-fast: no session matches \(subject=\['nobody'\]\) in .*")


def test_search_qc_choices(indexed):
    out = run('search', str(indexed), '--qc', 'bad')
    assert out.returncode == 2 and out.stdout == ''
    assert out.stderr.splitlines()[-1] == (
        "alf-fast search: error: argument --qc: invalid choice: 'BAD' "
        "(choose from 'NOT_SET', 'PASS', 'WARNING', 'FAIL', 'CRITICAL')"
    ) or out.stderr.splitlines()[-1] == (
        "alf-fast search: error: argument --qc: invalid choice: 'BAD' "
        '(choose from NOT_SET, PASS, WARNING, FAIL, CRITICAL)'
    )
    assert 'NOT_SET,PASS,WARNING,FAIL,CRITICAL' in run('search', '--help').stdout.replace(
        ' ', ''
    ).replace('\n', '')


def test_search_qc_any_case(indexed):
    out = run('search', str(indexed), '--qc', 'pass')
    assert out.returncode in (0, 1) and 'error' not in out.stderr


def test_search_number_is_checked_by_argparse(indexed):
    out = run('search', str(indexed), '--number', 'x')
    assert out.returncode == 2
    assert out.stderr.splitlines()[-1] == (
        "alf-fast search: error: argument --number: invalid int value: 'x'"
    )


def test_search_bad_pattern(indexed):
    out = run('search', str(indexed), '--subject', '(')
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith('alf-fast: error: ') and "'('" in out.stderr


# --- ls ----------------------------------------------------------------------------------


def test_ls_session(indexed):
    out = run('ls', str(indexed), 'mylab/Subjects/SWC_001/2023-01-01/001')
    assert out.returncode == 0, out.stderr
    assert 'alf/_ibl_trials.choice.npy' in out.stdout


def test_ls_malformed_id(indexed):
    out = run('ls', str(indexed), 'not-an-id')
    fails(out, 2, r"alf-fast: error: not a session id: 'not-an-id'; give an eid .*")


def test_ls_unknown_eid(indexed):
    eid = str(uuid.uuid4())
    out = run('ls', str(indexed), eid)
    fails(out, 1, f"alf-fast: error: no session '{eid}' in the cache tables of {indexed}: .*")
    assert '_ibl_trials.intervals' not in out.stderr


def test_ls_unknown_path(indexed):
    out = run('ls', str(indexed), 'mylab/Subjects/nobody/2023-01-01/001')
    fails(out, 1, r"alf-fast: error: no session 'mylab/Subjects/nobody/2023-01-01/001' .*")


def test_ls_unknown_reference(indexed):
    out = run('ls', str(indexed), '2001-01-01_1_nobody')
    fails(out, 1, r"alf-fast: error: no session '2001-01-01_1_nobody' in the cache tables .*")


def test_ls_without_tables(tmp_path):
    out = run('ls', str(tmp_path), str(uuid.uuid4()))
    fails(out, 2, r'alf-fast: error: no cache tables in .*: run `alf-fast setup .*` first')


# --- the command itself --------------------------------------------------------------------


def test_version():
    from alf_fast import __version__

    out = run('--version')
    assert out.returncode == 0 and out.stdout == f'alf-fast {__version__}\n'


def test_bare_command_shows_help():
    out = run()
    assert out.returncode == 0 and out.stderr == ''
    assert out.stdout.startswith('usage: alf-fast')
    for command in ('setup', 'search', 'ls', 'demo', 'exit status'):
        assert command in out.stdout


def test_unknown_command():
    out = run('frobnicate')
    assert out.returncode == 2
    assert "invalid choice: 'frobnicate'" in out.stderr.splitlines()[-1]


def test_broken_pipe_is_quiet(indexed):
    """`alf-fast search ... | head`: the reader is gone before we write."""
    proc = subprocess.Popen(
        [sys.executable, '-m', 'alf_fast.cli', 'search', str(indexed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert err.decode() == ''
    assert proc.returncode == 141


def test_main_returns_exit_code(f_root, tmp_path, capsys):
    assert main(['search', str(tmp_path)]) == 2
    assert 'no cache tables' in capsys.readouterr().err


# --- demo and the README's commands ------------------------------------------------------


def test_readme_demo_command_runs(tmp_path):
    """The README's first command, after its install step: `alf-fast demo`."""
    assert 'python3 -m pip install . && alf-fast demo' in README.read_text()
    out = run('demo', cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ('index it', 'search(datasets=', "load_object(eid, 'trials')", 'demo finished'):
        assert step in out.stdout
    assert re.search(r'fraction correct: 0\.\d\d', out.stdout)
    assert 'has been removed' in out.stdout and 'alf-fast demo alf-demo' in out.stdout
    assert out.stderr == ''  # no warning on a first load
    assert list(tmp_path.iterdir()) == []


def test_demo_keeps_its_tree(tmp_path):
    out = run('demo', '--keep', cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    kept = Path(re.search(r'kept in (\S+)\. Try:', out.stdout).group(1))
    try:
        assert (kept / 'sessions.pqt').is_file()
    finally:
        import shutil

        shutil.rmtree(kept.parent)


def test_demo_refuses_a_folder_in_use(tmp_path):
    (tmp_path / 'x').write_text('mine')
    fails(
        run('demo', str(tmp_path)), 2, f'alf-fast: error: demo folder is not empty: {tmp_path}; .*'
    )


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).parents[1] / '.ci/run').read_text()
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in README.read_text()
    assert "python3 -m pip install -e '.[test]'" in ci and 'python3 -m pytest' in ci


def test_readme_documents_the_exit_codes():
    from alf_fast import cli

    text = README.read_text()
    for code in (cli.FOUND, cli.NOT_FOUND, cli.USAGE, cli.INTERRUPTED, cli.BROKEN_PIPE):
        assert re.search(rf'^\| {code} \| ', text, re.M), code
