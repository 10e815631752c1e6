"""Ids given by users: one normaliser, which lower-cases real UUIDs and nothing else."""

import uuid

import numpy as np
import pytest

from alf_fast import One, make_parquet_db
from alf_fast._corpus import build_demo_tree
from alf_fast._engine import id_key, id_out

# hash_ids=False ids of 36 characters: a session of the demo tree and a dataset added to it.
SESSION = 'churchlandlab/CSHL045/2020-02-26/001'
DATASET = 'alf/_ibl_trials.goCueTriggerTime.npy'


@pytest.fixture(scope='module')
def string_ids(tmp_path_factory):
    root = build_demo_tree(tmp_path_factory.mktemp('ids') / 'demo')
    np.save(root / 'churchlandlab/Subjects/CSHL045/2020-02-26/001' / DATASET, np.arange(3.0))
    make_parquet_db(root, hash_ids=False)
    return One(cache_dir=root)


def test_id_key():
    text = 'AB2B5BF6-8C4A-4C1B-9F3E-0123456789AB'
    assert id_key(text) == text.lower() == id_key(uuid.UUID(text))
    assert id_key(SESSION) == SESSION and id_key(DATASET) == DATASET
    assert id_key('x' * 36) == 'x' * 36
    assert id_out(text.lower()) == uuid.UUID(text) and id_out(SESSION) == SESSION


def test_36_character_session_id(string_ids):
    one = string_ids
    assert len(SESSION) == 36
    assert SESSION in one.search(subject='CSHL045')
    datasets = one.list_datasets(SESSION)
    assert 'alf/_ibl_trials.choice.npy' in datasets
    assert one.list_datasets(SESSION, details=True).height == len(datasets)
    trials = one.load_object(SESSION, 'trials', collection='alf')
    assert trials['choice'].size > 0
    assert one.get_details(SESSION)['subject'] == 'CSHL045'


def test_36_character_dataset_id(string_ids):
    assert len(DATASET) == 36
    data = string_ids.load_dataset_from_id(DATASET, eid=SESSION)
    np.testing.assert_array_equal(data, np.arange(3.0))
    with pytest.raises(ValueError):
        string_ids.load_dataset_from_id('not a dataset id')
