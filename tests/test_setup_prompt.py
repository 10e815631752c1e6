"""``One.setup`` as ONE documents it, but never prompting without a terminal: a batch job
keeps the existing tables (or uses the current folder) and is told so, instead of failing
with ``EOFError``."""

import io
import subprocess
import sys
import warnings

import numpy as np
import pytest

from alf_fast import One

TIMEOUT = 120


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'data'
    alf = root / 'lab/Subjects/sub/2024-01-01/001/alf'
    alf.mkdir(parents=True)
    np.save(alf / '_ibl_trials.choice.npy', np.zeros(3))
    return root


def no_terminal(monkeypatch):
    monkeypatch.setattr(sys, 'stdin', io.StringIO('y\n'))  # an answer nobody typed

    def input(prompt=''):
        raise AssertionError(f'prompted without a terminal: {prompt}')

    monkeypatch.setattr('builtins.input', input)


def test_existing_tables_are_kept_without_a_terminal(tree, monkeypatch):
    One.setup(tree, silent=True)
    before = (tree / 'sessions.pqt').stat().st_mtime_ns
    no_terminal(monkeypatch)
    with pytest.warns(UserWarning, match=r'cache tables exist in .*data and there is no terminal'):
        one = One.setup(tree)
    assert (tree / 'sessions.pqt').stat().st_mtime_ns == before
    assert len(one.search()) == 1


def test_silent_neither_asks_nor_warns(tree, monkeypatch):
    One.setup(tree, silent=True)
    no_terminal(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(One.setup(tree, silent=True).search()) == 1


def test_no_folder_and_no_terminal_uses_the_current_folder(tree, monkeypatch):
    no_terminal(monkeypatch)
    monkeypatch.chdir(tree)
    with pytest.warns(UserWarning, match='no cache_dir given and no terminal to ask'):
        one = One.setup()
    assert len(one.search()) == 1 and (tree / 'sessions.pqt').is_file()


def test_batch_job_does_not_crash(tree):
    """The issue's case: stdin is not a terminal and tables exist."""
    code = (
        'from alf_fast import One\n'
        f'One.setup({str(tree)!r}, silent=True)\n'
        f'One.setup({str(tree)!r})\n'
    )
    out = subprocess.run(
        [sys.executable, '-c', code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert out.returncode == 0, out.stderr
    assert 'EOFError' not in out.stderr and 'kept them' in out.stderr
