"""Dataset rows whose ``rel_path`` leaves the session folder are refused by every load (8.13c).

A crafted or corrupted datasets table can hold an absolute ``rel_path`` or one with ``..``
components; joined to the session folder it names any file on the machine. ONE-api reads it.
Here a file outside the tree is planted where such a row points, and every load path must refuse
the row with an error naming it, without reading the file.
"""

import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alf_fast import One
from alf_fast._rel_paths import check_rel_path, check_session_row
from alf_fast.exceptions import ALFWarning

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
CHOICE_ID = '321d80da-1066-3783-b115-93d955401cda'
SESSION = 'mylab/Subjects/SWC_001/2023-01-01/001'
CHOICE = 'alf/_ibl_trials.choice.npy'


def plant(f_root, tmp_path, kind):
    """Point the choice row of EID outside the tree, at a file that exists there."""
    outside = tmp_path / 'outside' / 'alf'
    outside.mkdir(parents=True)
    np.save(outside / '_ibl_trials.choice.npy', np.array([666]))
    if kind == 'absolute':
        rel = str(outside / '_ibl_trials.choice.npy')
    elif kind == 'dotdot':
        depth = len((f_root / SESSION).relative_to(tmp_path).parts)
        rel = '/'.join(['..'] * depth) + '/outside/alf/_ibl_trials.choice.npy'
    else:  # a '..' inside the collection, still leaving the session
        depth = len((f_root / SESSION).relative_to(tmp_path).parts)
        rel = 'alf/' + '../' * (depth + 1) + 'outside/alf/_ibl_trials.choice.npy'
    assert (f_root / SESSION / rel).resolve() == (outside / '_ibl_trials.choice.npy').resolve()
    path = f_root / 'datasets.pqt'
    table = pq.read_table(path)
    eids = table.column('eid').to_pylist()
    paths = table.column('rel_path').to_pylist()
    hit = [str(e) == EID and p == CHOICE for e, p in zip(eids, paths, strict=True)]
    assert sum(hit) == 1
    paths = [rel if h else p for p, h in zip(paths, hit, strict=True)]
    i = table.schema.get_field_index('rel_path')
    table = table.set_column(i, table.schema.field(i), pa.array(paths, table.schema.field(i).type))
    pq.write_table(table, path)
    return rel


CALLS = {
    'load_dataset': lambda one, rel: one.load_dataset(EID, '_ibl_trials.choice.npy'),
    'load_dataset_rel_path': lambda one, rel: one.load_dataset(EID, rel),
    'load_dataset_download_only': lambda one, rel: one.load_dataset(
        EID, '_ibl_trials.choice.npy', download_only=True
    ),
    # Another row of the object in 'alf' makes two collections unless one is chosen; the
    # choice attribute alone, since the intervals (several revisions) would add a warning.
    'load_object': lambda one, rel: one.load_object(
        EID, 'trials', collection=_collection(rel), attribute='choice'
    ),
    'load_object_download_only': lambda one, rel: one.load_object(
        EID, 'trials', collection=_collection(rel), attribute='choice', download_only=True
    ),
    'load_collection': lambda one, rel: one.load_collection(
        EID, '*', object='trials', attribute='choice'
    ),
    'load_datasets': lambda one, rel: one.load_datasets(EID, ['_ibl_trials.choice.npy']),
    'load_datasets_rel_path': lambda one, rel: one.load_datasets(EID, [rel]),
    'load_dataset_from_id': lambda one, rel: one.load_dataset_from_id(CHOICE_ID, eid=EID),
    'load_dataset_from_id_pair': lambda one, rel: one.load_dataset_from_id((EID, CHOICE_ID)),
}


def _collection(rel: str) -> str:
    return rel.rsplit('/', 1)[0]


@pytest.mark.parametrize('kind', ['absolute', 'dotdot', 'dotdot_in_collection'])
@pytest.mark.parametrize('call', sorted(CALLS))
def test_rows_leaving_the_session_are_refused(f_root, tmp_path, kind, call):
    rel = plant(f_root, tmp_path, kind)
    one = One(cache_dir=f_root)
    listed = one.list_datasets(EID)
    assert rel in listed  # the row is there: only reading it is refused
    with pytest.raises(ValueError, match='leaves the session folder') as info:
        CALLS[call](one, rel)
    assert f'eid={EID}' in str(info.value) and repr(rel) in str(info.value)


def test_sibling_rows_still_load(f_root, tmp_path):
    plant(f_root, tmp_path, 'dotdot')
    one = One(cache_dir=f_root)
    with pytest.warns(ALFWarning, match='No default revision .*intervals'):
        data = one.load_dataset(EID, '_ibl_trials.intervals.npy')
    assert data.shape == (5, 2)


@pytest.mark.parametrize(
    'rel',
    [
        '/etc/passwd',
        '\\\\server\\share\\x.y.npy',
        '\\x.y.npy',
        'C:/x.y.npy',
        'c:x.y.npy',
        '..',
        '../x.y.npy',
        'alf/..',
        'alf/../../x.y.npy',
        'alf\\..\\..\\x.y.npy',
        'alf/x.y.npy\0',
        '',
        None,
    ],
)
def test_check_rel_path_refuses(rel):
    with pytest.raises(ValueError, match='eid=abc') as info:
        check_rel_path(rel, 'abc')
    assert repr(rel) in str(info.value)


@pytest.mark.parametrize(
    'rel',
    [
        'x.y.npy',
        'alf/x.y.npy',
        'alf/#2020-01-01#/x.y.npy',
        'alf/..x.y.npy',
        'alf/x..y.npy',
        '.hidden/x.y.npy',
        './alf/x.y.npy',
        'alf/probe00/pykilosort/spikes.times.npy',
    ],
)
def test_check_rel_path_accepts(rel):
    assert check_rel_path(rel, 'abc') is rel


def test_link_inside_the_tree_is_followed(f_root, tmp_path):
    """Only the table's text is checked: a link the tree owner made to other storage loads."""
    elsewhere = tmp_path / 'other_disk'
    elsewhere.mkdir()
    target = f_root / SESSION / CHOICE
    moved = elsewhere / 'choice.npy'
    os.replace(target, moved)
    target.symlink_to(moved)
    one = One(cache_dir=f_root)
    np.testing.assert_array_equal(one.load_dataset(EID, '_ibl_trials.choice.npy'), np.load(moved))


def plant_session(f_root, tmp_path, subject):
    """Point the session EID at a folder outside the tree holding a copy of its data."""
    source = f_root / SESSION
    dest = (f_root / 'mylab' / 'Subjects' / subject / '2023-01-01' / '001').resolve()
    assert not dest.is_relative_to(f_root.resolve())
    dest.parent.mkdir(parents=True)
    shutil.copytree(source, dest)
    shutil.rmtree(source)
    np.save(dest / CHOICE, np.array([666]))
    path = f_root / 'sessions.pqt'
    table = pq.read_table(path)
    ids = [str(x) for x in table.column('id').to_pylist()]
    subjects = table.column('subject').to_pylist()
    subjects = [subject if i == EID else s for i, s in zip(ids, subjects, strict=True)]
    i = table.schema.get_field_index('subject')
    field = table.schema.field(i)
    pq.write_table(table.set_column(i, field, pa.array(subjects, field.type)), path)


@pytest.mark.parametrize('subject', ['../../../outside', '../../..'])
@pytest.mark.parametrize('call', sorted(CALLS))
def test_sessions_leaving_the_tree_are_refused(f_root, tmp_path, subject, call):
    plant_session(f_root, tmp_path, subject)
    one = One(cache_dir=f_root)
    with pytest.raises(ValueError, match='is not a folder name') as info:
        CALLS[call](one, CHOICE)
    assert f'id={EID}' in str(info.value) and f'subject={subject!r}' in str(info.value)


@pytest.mark.parametrize(
    ('record', 'ok'),
    [
        ({'lab': 'mylab', 'subject': 'SWC_001', 'number': 1}, True),
        ({'lab': None, 'subject': 'KS005', 'number': '001'}, True),
        ({'lab': '', 'subject': 'a.b-c d', 'number': 2}, True),
        ({'lab': '..', 'subject': 'x', 'number': 1}, False),
        ({'lab': 'l', 'subject': '/etc', 'number': 1}, False),
        ({'lab': 'l', 'subject': 'a\\..\\b', 'number': 1}, False),
        ({'lab': 'l', 'subject': 'x', 'number': '../1'}, False),
        ({'lab': 'C:', 'subject': 'x', 'number': 1}, False),
    ],
)
def test_check_session_row(record, ok):
    if ok:
        assert check_session_row(record) is record
    else:
        with pytest.raises(ValueError, match='is not a folder name'):
            check_session_row(record)
