"""Shared fixtures: fixture trees from the contract and ONE-api reference instances.

Only fixtures live here; helpers that test modules import are in ``_differential.py``.
"""

import shutil
from pathlib import Path

import pytest

from _differential import one_make_parquet_db


@pytest.fixture(params=['python', 'polars'])
def filter_engine(request, monkeypatch):
    """Run a test with each of filter_datasets' two paths forced (see SMALL_FRAME_ROWS)."""
    from alf_fast import _filters

    rows = 10**9 if request.param == 'python' else 0
    monkeypatch.setattr(_filters, 'SMALL_FRAME_ROWS', rows)
    return request.param


@pytest.fixture(scope='session')
def f_template(tmp_path_factory) -> Path:
    """Fixture F (contract 0.2) indexed by ONE-api with the pinned namespace. Do not modify."""
    from _trees import build_fixture_f

    root = tmp_path_factory.mktemp('F') / 'F'
    build_fixture_f(root)
    one_make_parquet_db(root)
    return root


@pytest.fixture
def f_root(f_template, tmp_path) -> Path:
    """A private copy of fixture F and its ONE-made tables, free to modify."""
    dest = tmp_path / 'F'
    shutil.copytree(f_template, dest, symlinks=True)
    return dest


@pytest.fixture
def one_ref(f_template):
    """ONE-api's ``One`` on the shared fixture F (read-only use)."""
    from one.api import One

    return One(cache_dir=f_template, mode='local')


@pytest.fixture
def one_fast(f_template):
    """alf_fast's ``One`` on the shared fixture F (read-only use)."""
    from alf_fast import One

    return One(cache_dir=f_template)
