"""Validation must hold under ``python -O``, which strips ``assert`` statements."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / 'python' / 'alf_fast'


def test_the_package_validates_without_assert_statements():
    found = [
        f'{path.relative_to(PACKAGE)}:{node.lineno}'
        for path in sorted(PACKAGE.rglob('*.py'))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Assert)
    ]
    assert found == [], 'assert statements vanish under python -O: raise instead'


OPTIMISED = """
import sys, tempfile, pathlib
from alf_fast import io
folder = pathlib.Path(tempfile.mkdtemp())
try:
    io.save_metadata(folder / 'not-an-alf-name.txt', {'a': 1})
except AssertionError as err:
    print('raised', err)
for n in range(1, 1000):
    (folder / f'{n:03d}').mkdir()
try:
    io.next_num_folder(folder)
except AssertionError as err:
    print('raised', err)
"""


@pytest.mark.parametrize('flags', [[], ['-O']], ids=['plain', 'optimised'])
def test_checks_raise_under_python_O(flags):
    out = subprocess.run(
        [sys.executable, *flags, '-c', OPTIMISED],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert out == [
        'raised ALF filename not valid: not-an-alf-name.txt',
        'raised ALF spec does not support session numbers > 999',
    ]
