"""Object ``.npy`` files are refused unless the caller opts in (issue 8.13a).

ONE-api loads every ``.npy`` with ``allow_pickle=True``, so loading data you did not produce can
run code. alf_fast refuses such a file with an error naming it; ``allow_pickle=True`` (per call,
or ``One(allow_pickle=True)``) loads it as ONE does.
"""

import logging

import numpy as np
import pytest

from alf_fast import One

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
CHOICE_ID = '321d80da-1066-3783-b115-93d955401cda'
CHOICE = 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
OBJECTS = np.array([{'side': 'left'}, None, 3], dtype=object)

CALLS = {
    'load_dataset': lambda one, **kw: one.load_dataset(EID, '_ibl_trials.choice.npy', **kw),
    'load_datasets': lambda one, **kw: one.load_datasets(EID, ['_ibl_trials.choice.npy'], **kw)[0][
        0
    ],
    'load_dataset_from_id': lambda one, **kw: one.load_dataset_from_id(CHOICE_ID, eid=EID, **kw),
    # attribute='choice': the intervals, in several revisions, would add a revision warning
    'load_object': lambda one, **kw: one.load_object(EID, 'trials', attribute='choice', **kw)[
        'choice'
    ],
    'load_collection': lambda one, **kw: one.load_collection(
        EID, 'alf', object='trials', attribute='choice', **kw
    )['trials']['choice'],
}


@pytest.fixture
def pickled_tree(f_root, caplog):
    caplog.set_level(logging.CRITICAL)  # the size check logs a mismatch: the file changed
    np.save(f_root / CHOICE, OBJECTS, allow_pickle=True)
    return f_root


@pytest.mark.parametrize('call', sorted(CALLS))
def test_refused_by_default_and_loaded_on_request(pickled_tree, call):
    one = One(cache_dir=pickled_tree)
    with pytest.raises(ValueError, match='allow_pickle=True') as info:
        CALLS[call](one)
    assert str(pickled_tree / CHOICE) in str(info.value)
    assert CALLS[call](one, allow_pickle=True).tolist() == OBJECTS.tolist()
    trusting = One(cache_dir=pickled_tree, allow_pickle=True)
    assert CALLS[call](trusting).tolist() == OBJECTS.tolist()
    with pytest.raises(ValueError, match='allow_pickle=True'):
        CALLS[call](trusting, allow_pickle=False)


def test_one_api_unpickles(pickled_tree):
    """The difference documented in the README: ONE-api loads the objects without asking."""
    from one.api import One as OneApi

    ref = OneApi(cache_dir=pickled_tree, mode='local')
    assert ref.load_dataset(EID, '_ibl_trials.choice.npy').tolist() == OBJECTS.tolist()
