"""Shared fixtures: fixture trees from the contract and ONE-api reference instances.

Differential tests build their tables with ONE-api's own ``make_parquet_db`` under a pinned id
namespace (contract 0.3), so ONE-api and alf_fast read byte-identical tables and any difference
in results comes from the code under test, not from the ids.
"""

import contextlib
import shutil
import uuid
import warnings
from pathlib import Path
from unittest import mock

import pytest

#: The namespace the contract's examples were made with.
NS = uuid.UUID('5b6c7d8e-0000-11ee-8000-000000000000')


@contextlib.contextmanager
def pinned_namespace(ns: uuid.UUID = NS):
    """Make ONE-api's ``make_parquet_db`` use ``ns`` instead of a fresh ``uuid1()``."""
    import one.alf.cache

    with mock.patch.object(one.alf.cache.uuid, 'uuid1', return_value=ns):
        yield ns


def one_make_parquet_db(root, **kwargs):
    """ONE-api's indexer on ``root`` with the pinned namespace, warnings silenced."""
    from one.alf.cache import make_parquet_db

    with pinned_namespace(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return make_parquet_db(root, **kwargs)


@pytest.fixture(params=['python', 'polars'])
def filter_engine(request, monkeypatch):
    """Run a test with each of filter_datasets' two paths forced (see SMALL_FRAME_ROWS)."""
    from alf_fast import _filters

    rows = 10**9 if request.param == 'python' else 0
    monkeypatch.setattr(_filters, 'SMALL_FRAME_ROWS', rows)
    return request.param


def outcome(fn, *args, **kwargs):
    """The result of a call, or ``(exception class name, message)`` if it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return fn(*args, **kwargs)
    except Exception as e:
        return type(e).__name__, str(e)


@pytest.fixture(scope='session')
def f_template(tmp_path_factory) -> Path:
    """Fixture F (contract 0.2) indexed by ONE-api with the pinned namespace. Do not modify."""
    from alf_fast._corpus import build_fixture_f

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
