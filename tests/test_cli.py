"""The ``alf-fast`` command and the README's commands."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from alf_fast.cli import main

README = Path(__file__).parents[1] / 'README.md'


def run(*args):
    return subprocess.run(
        [sys.executable, '-m', 'alf_fast.cli', *args], capture_output=True, text=True
    )


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


def test_setup_errors_name_the_path(tmp_path):
    missing = tmp_path / 'missing'
    out = run('setup', str(missing))
    assert out.returncode == 1
    assert out.stderr.strip() == f'alf-fast: error: root directory does not exist: {missing}'
    assert 'Traceback' not in out.stderr


def test_main_returns_exit_code(f_root, tmp_path, capsys):
    assert main(['setup', str(f_root), '--out', str(tmp_path / 'nope')]) == 1
    assert 'output directory does not exist' in capsys.readouterr().err


def test_readme_demo_command_runs(tmp_path):
    """The README's first command, after its install step: `alf-fast demo`."""
    assert 'python3 -m pip install . && alf-fast demo' in README.read_text()
    out = run('demo', str(tmp_path / 'demo'))
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ('index it', 'search(datasets=', "load_object(eid, 'trials')", 'demo finished'):
        assert step in out.stdout
    assert re.search(r'fraction correct: 0\.\d\d', out.stdout)


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).parents[1] / '.ci/run').read_text()
    assert "python3 -m pip install -e '.[test]' && python3 -m pytest" in README.read_text()
    assert "python3 -m pip install -e '.[test]'" in ci and 'python3 -m pytest' in ci
