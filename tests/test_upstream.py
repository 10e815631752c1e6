"""Run ONE-api's own test modules against the compatible face, ``alf_fast.one``.

The upstream tests are not part of this project. Point ``ALF_FAST_UPSTREAM_TESTS`` at a checkout
of https://github.com/int-brain-lab/ONE (the folder holding ``one/tests``) to run them; without
it this module is skipped.

The runner copies ``one/tests`` into a temporary package, rewrites its imports of ``one.api``,
``one.alf.*``, ``one.converters`` and ``one.util`` to ``alf_fast.one`` (names that the
compatible face does not have, such as ``OneAlyx``, stay imported from ONE-api, as do
``one.params`` and ``one.webclient``), and runs the local-mode modules twice in subprocesses:
as they are, on ONE-api, and rewritten. Every test that passes on ONE-api must pass on
``alf_fast.one``, except those listed in :data:`EXCLUDED` with the reason.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

UPSTREAM = os.environ.get('ALF_FAST_UPSTREAM_TESTS')
needs_upstream = pytest.mark.skipif(
    not UPSTREAM,
    reason='set ALF_FAST_UPSTREAM_TESTS to a checkout of int-brain-lab/ONE to run its tests',
)

#: The local-mode tests of ONE-api: pytest node ids relative to ``one/tests``.
SELECTION = [
    'alf/test_alf_io.py',
    'alf/test_alf_path.py',
    'alf/test_alf_spec.py',
    'alf/test_cache.py',
    'test_converters.py::TestConverters',
    'test_converters.py::TestAlyx2Path',
    'test_converters.py::TestWrappers',
    'test_one.py::TestONECache',
]

_PRIVATE_INDEXER = "calls ONE's private indexer helpers (_make_sessions_df, _metadata, ...)"
#: Tests that pass on ONE-api and are not expected to pass here, with the reason.
EXCLUDED: dict[str, str] = {
    'TestALFParse.test_add_uuid': (
        "asserts logs on the path module's __name__; alf_fast.one.alf.path is alf_fast.path, "
        "which logs under ONE's logger name 'one.alf.path'"
    ),
    'TestALFSpec.test_describe': "compares ONE's own description prose; ours is our wording",
    'TestONECache.test_load_cache': "mocks one.api.load_tables, an internal of ONE's One",
    'TestONECache.test_one_search': "edits a QC value of _cache['datasets'] in place (.loc)",
    'TestONEParquet.test_datasets_df': _PRIVATE_INDEXER,
    'TestONEParquet.test_parquet': _PRIVATE_INDEXER,
    'TestONEParquet.test_parse': _PRIVATE_INDEXER,
    'TestONEParquet.test_remove_missing_datasets': _PRIVATE_INDEXER,
    'TestONEParquet.test_sessions_df': _PRIVATE_INDEXER,
    'TestONEParquet.tests_db': _PRIVATE_INDEXER,
}

_PACKAGE = 'upstream_one_tests'
_MODULES = ('api', 'alf', 'converters', 'util')
_REFERENCE = re.compile(r'(?<![\w.\'"])one\.(' + '|'.join(_MODULES) + r')\b')
_TESTS_REFERENCE = re.compile(r'(?<![\w.])one\.tests\b')


_QUOTED = re.compile(r"(['\"])(one\.(?:" + '|'.join(_MODULES) + r')\b[\w.]*)\1')


def _patch_target(match: re.Match) -> str:
    """Point a quoted ``one.<module>.<attribute>`` (a mock.patch target) at alf_fast; a quoted
    module name alone is a logger name and stays ONE's."""
    quote, name = match.groups()
    try:
        is_module = importlib.util.find_spec(name) is not None
    except ImportError:
        is_module = False
    return match.group(0) if is_module else f'{quote}alf_fast.{name}{quote}'


def _ours(module: str) -> object | None:
    """The compatible face's module ``alf_fast.<module>``, or None if it has none."""
    try:
        return importlib.import_module(f'alf_fast.{module}')
    except ImportError:
        return None


def _rewrite_import(node: ast.stmt) -> str | None:
    """The replacement of an import of ONE, or None to keep the line as it is."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        module = node.module
        if module == 'one.tests' or module.startswith('one.tests.'):
            return None  # handled by the text rewrite
        if module != 'one' and not module.startswith('one.'):
            return None
        ours = _ours(module)
        if ours is None:
            return None
        mine, theirs = [], []
        for alias in node.names:
            name = alias.name
            found = hasattr(ours, name) or _ours(f'{module}.{name}') is not None
            text = name if alias.asname is None else f'{name} as {alias.asname}'
            (mine if found else theirs).append(text)
        lines = []
        if mine:
            lines.append(f'from alf_fast.{module} import {", ".join(mine)}')
        if theirs:
            lines.append(f'from {module} import {", ".join(theirs)}')
        return '; '.join(lines)
    if isinstance(node, ast.Import):
        parts = []
        for alias in node.names:
            name = alias.name
            if name.startswith('one.') and _ours(name) is not None and alias.asname:
                parts.append(f'import alf_fast.{name} as {alias.asname}')
            elif name.startswith('one.') and _ours(name) is not None:
                parts.append(f'import alf_fast.{name}')
            else:
                parts.append(f'import {name}' + (f' as {alias.asname}' if alias.asname else ''))
        return '; '.join(parts)
    return None


def rewrite(source: str, package: str = _PACKAGE, face: bool = True) -> str:
    """Point a test module's imports and dotted references at ``alf_fast.one`` (unless not
    `face`) and its imports of ``one.tests`` at `package`."""
    if not face:
        return _TESTS_REFERENCE.sub(package, source)
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    for node in sorted(ast.walk(tree), key=lambda n: -getattr(n, 'lineno', 0)):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        new = _rewrite_import(node)
        if new is None:
            continue
        start, end = node.lineno - 1, node.end_lineno or node.lineno
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        lines[start:end] = [indent + new + '\n']
    out = []
    for line in ''.join(lines).splitlines(keepends=True):
        if not line.lstrip().startswith(('from ', 'import ')):
            # Dotted uses after `import one.alf.io`, and mock.patch targets.
            line = _REFERENCE.sub(lambda m: 'alf_fast.' + m.group(0), line)
            line = _QUOTED.sub(_patch_target, line)
        out.append(line)
    return _TESTS_REFERENCE.sub(package, ''.join(out))


def _run(tests_dir: Path, workdir: Path, name: str) -> dict[str, str]:
    """Run the selection with pytest in a subprocess; return each test's outcome."""
    report = workdir / f'{name}.xml'
    args = [str(tests_dir / s) for s in SELECTION]
    # The package is imported from its parent folder (rootdir), whatever the caller's path.
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(workdir), *sys.path[1:]])}
    subprocess.run(
        [
            sys.executable,
            '-m',
            'pytest',
            '-q',
            '-p',
            'no:cacheprovider',
            '-o',
            'addopts=',
            f'--rootdir={workdir}',
            f'--junitxml={report}',
            *args,
        ],
        cwd=workdir,
        env=env,
        timeout=1800,
        capture_output=True,
        check=False,
    )
    outcomes = {}
    for case in ET.parse(report).getroot().iter('testcase'):
        key = f'{case.get("classname", "").split(".")[-1]}.{case.get("name")}'
        kinds = {child.tag for child in case}
        outcome = 'passed'
        for kind in ('failure', 'error', 'skipped'):
            if kind in kinds:
                outcome = kind
        outcomes[key] = outcome
    return outcomes


def _prepare(source: Path, work: Path, package: str, face: bool) -> Path:
    target = work / package / package
    shutil.copytree(source, target)
    for path in target.rglob('*.py'):
        path.write_text(rewrite(path.read_text(), package, face))
    return target


@pytest.fixture(scope='module')
def upstream_results(tmp_path_factory):
    source = Path(UPSTREAM or '') / 'one' / 'tests'
    assert source.is_dir(), f'{source} does not exist'
    work = tmp_path_factory.mktemp('upstream')
    results = []
    for package, face in (('one_tests_as_is', False), (_PACKAGE, True)):
        tests_dir = _prepare(source, work, package, face)
        results.append(_run(tests_dir, tests_dir.parent, package))
    return tuple(results)


def test_rewrite_points_imports_at_the_compatible_face():
    source = (
        'import one.alf.io as alfio\n'
        'from one.api import ONE, One, OneAlyx\n'
        'from one import converters\n'
        'from one.tests import util\n'
        'import one.params\n'
        "x = one.alf.io.load_object; p = mock.patch('one.api.One.search')\n"
    )
    out = rewrite(source)
    assert 'import alf_fast.one.alf.io as alfio' in out
    assert 'from alf_fast.one.api import ONE, One; from one.api import OneAlyx' in out
    assert 'from alf_fast.one import converters' in out
    assert f'from {_PACKAGE} import util' in out and 'import one.params' in out
    assert 'alf_fast.one.alf.io.load_object' in out and "'alf_fast.one.api.One.search'" in out


@needs_upstream
def test_upstream_tests_pass(upstream_results):
    theirs, ours = upstream_results
    passing = {k for k, v in theirs.items() if v == 'passed'}
    failing = sorted(k for k in passing if ours.get(k) != 'passed' and k not in EXCLUDED)
    counts = {
        'ONE-api passed': len(passing),
        'alf_fast.one passed': sum(v == 'passed' for v in ours.values()),
        'excluded': len(EXCLUDED),
    }
    print(counts)
    assert not failing, f'{len(failing)} upstream tests fail on alf_fast.one: {failing}'
    stale = sorted(k for k in EXCLUDED if ours.get(k) == 'passed' or k not in passing)
    assert not stale, f'excluded tests that pass here or no longer pass on ONE-api: {stale}'
