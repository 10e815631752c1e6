"""'No default revision' only for a dataset that really exists in several revisions.

ONE warns for every dataset of a table without a ``default_revision`` column (every local
table), revisions or not; alf_fast warns only where the choice of revision matters.
"""

import re
import uuid
import warnings

import numpy as np
import polars as pl
import pytest

from alf_fast import One, make_parquet_db
from alf_fast._filters import filter_datasets
from alf_fast.exceptions import ALFWarning


@pytest.fixture(scope='module')
def one(tmp_path_factory):
    root = tmp_path_factory.mktemp('revisions')
    for number in ('001', '002'):  # the same names in two sessions are not two revisions
        alf = root / f'lab/Subjects/sub/2024-01-01/{number}/alf'
        (alf / '#2024-02-01#').mkdir(parents=True)
        for name in ('_ibl_trials.choice.npy', '_ibl_trials.intervals.npy'):
            np.save(alf / name, np.zeros(3))
        np.save(alf / '#2024-02-01#/_ibl_trials.intervals.npy', np.ones(3))
        np.save(alf / '_ibl_wheel.position.npy', np.zeros(3))
    make_parquet_db(root)
    return One(root)


@pytest.mark.parametrize('engine', ['python', 'polars'])
def test_only_datasets_in_several_revisions(one, engine, monkeypatch):
    from alf_fast import _filters

    monkeypatch.setattr(_filters, 'SMALL_FRAME_ROWS', 10**9 if engine == 'python' else 0)
    datasets = one._cache['datasets']
    with pytest.warns(ALFWarning) as caught:
        filter_datasets(datasets, {'object': 'trials'}, 'alf', assert_unique=False)
    (message,) = (str(w.message) for w in caught)
    assert re.fullmatch(
        r'No default revision for dataset alf/(#2024-02-01#/)?_ibl_trials.intervals.npy; '
        r'using most recent(\nMultiple revisions: .*)?',
        message,
    )
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        out = filter_datasets(datasets, {'object': 'wheel'}, 'alf', assert_unique=False)
    assert out.height == 1  # one row per relative path, as in ONE


def test_loading_without_revisions_is_quiet(one):
    eid = one.search(number=1)[0]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(one.load_object(eid, 'wheel')['position']) == 3
        assert len(one.load_dataset(eid, '_ibl_trials.choice.npy')) == 3
    with pytest.warns(ALFWarning, match='No default revision for dataset .*intervals'):
        trials = one.load_object(eid, 'trials')
    assert trials['intervals'].tolist() == [1.0] * 3  # the most recent revision
    assert isinstance(eid, uuid.UUID) and isinstance(one._cache['datasets'], pl.DataFrame)
