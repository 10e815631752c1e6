"""The README's quick start runs as written, on the tree ``alf-fast demo`` leaves behind."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / 'README.md'
TIMEOUT = 300


def section(title: str) -> str:
    text = README.read_text()
    match = re.search(rf'^## {re.escape(title)}\n(.*?)(?=^## )', text, re.M | re.S)
    assert match, f'no "## {title}" section in the README'
    return match.group(1)


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf'^```{language}\n(.*?)^```', text, re.M | re.S)


@pytest.fixture(scope='module')
def quick_start(tmp_path_factory):
    """Run the quick start's shell block, with `alf-fast` as this Python's module."""
    cwd = tmp_path_factory.mktemp('quick-start')
    (shell,) = code_blocks(section('Quick start'), 'bash')
    script = f'set -e\nalf-fast() {{ "{sys.executable}" -m alf_fast.cli "$@"; }}\n{shell}'
    out = subprocess.run(
        ['bash', '-c', script], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )
    return cwd, out


def test_quick_start_shell_block(quick_start):
    cwd, out = quick_start
    assert out.returncode == 0, out.stdout + out.stderr
    assert (cwd / 'alf-demo' / 'sessions.pqt').is_file()
    assert re.search(r'^[0-9a-f-]{36}  cortexlab/KS01[45]/', out.stdout, re.M)  # search
    assert 'alf/_ibl_trials.choice.npy' in out.stdout  # ls
    assert out.stderr == ''


def test_quick_start_python_block(quick_start):
    cwd, _ = quick_start
    (code,) = code_blocks(section('Quick start'), 'python')
    out = subprocess.run(
        [sys.executable, '-W', 'error', '-c', code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r'7 sessions; \d+ trials in the newest\n', out.stdout), out.stdout
    assert out.stderr == ''


def pyproject_value(key: str) -> str:
    # tomllib is 3.11+; the one-line values we check need no TOML parser.
    return re.search(rf'^{key} = (.*)$', (ROOT / 'pyproject.toml').read_text(), re.M)[1]


def test_license_matches_pyproject():
    assert pyproject_value('license') == '{ text = "MIT" }'
    assert (ROOT / 'LICENSE').read_text().startswith('MIT License\n')


def test_readme_names_the_toolchain_versions():
    """The versions the README asks for are the ones the build files declare."""
    prerequisites = section('Prerequisites')
    python = pyproject_value('requires-python').strip('"')
    rust = re.search(r'^rust-version = "(.*)"', (ROOT / 'Cargo.toml').read_text(), re.M)[1]
    assert f'`requires-python = "{python}"`' in prerequisites
    assert f'{rust} or newer' in prerequisites
    assert 'rustup' in prerequisites and 'python3 -m venv' in prerequisites


def test_one_abi3_wheel_for_every_supported_python():
    """The wheel's stable-ABI floor is the oldest Python that pyproject accepts."""
    oldest = re.fullmatch(r'>=3\.(\d+)', pyproject_value('requires-python').strip('"'))[1]
    cargo = (ROOT / 'rust/alf-py/Cargo.toml').read_text()
    assert f'abi3 = ["pyo3/abi3-py3{oldest}"]' in cargo
    assert pyproject_value('features') == '["abi3"]'
    assert f'cp3{oldest}-abi3' in section('Two commands')
