"""Identifier conversions, ``get_details``, construction, ``setup`` and ``ONE()`` against ONE-api.

Outputs are compared with ONE-api's on the same tables. Where ONE returns a pandas Series we
return a dict of the same entries, and a polars frame for a pandas frame; those comparisons go
through ``Series.to_dict()`` and ``reset_index()``.
"""

import datetime
import shutil
import sys
import types
import uuid
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from _differential import one_make_parquet_db, outcome

EID = uuid.UUID('e70388ad-6bfe-37d0-a200-ebeeab6833fb')  # SWC_001 2023-01-01 001
KS5 = uuid.UUID('20a22258-9680-38d6-b9de-0597a3c5bc1d')  # KS005/2022-12-31/1 (no lab, unpadded)


def same(ours, theirs, name, *args, **kwargs):
    got = outcome(getattr(ours, name), *args, **kwargs)
    assert got == outcome(getattr(theirs, name), *args, **kwargs)
    return got


TO_EID = [
    EID,
    str(EID),
    'https://alyx.example.org/sessions/e70388ad-6bfe-37d0-a200-ebeeab6833fb',
    'SWC_001/2023-01-01/1',
    'otherlab/Subjects/SWC_001/2023-01-01/001',
    'KS005/2022-12-31/001',
    'nobody/2020-01-01/001',
    '11111111-1111-4111-8111-111111111111',
    'E70388AD-6BFE-37D0-A200-EBEEAB6833FB',
    'e70388ad6bfe37d0a200ebeeab6833fb',
    '17966688-e83c-11f1-a175-02fc00000001',
    '2023-01-01_1_SWC_001',
    '2023-01-01_001_SWC_001',
    '2020-01-01_1_nobody',
    {'subject': 'SWC_001', 'date': '2023-01-01', 'sequence': 1},
    {'subject': 'SWC_001', 'date': '2023-01-01', 'number': 1},
    {'subject': 'SWC_001', 'date': '2023-01-01', 'number': 1, 'lab': 'mylab'},
    {'subject': 'SWC_001', 'start_time': '2023-01-01T10:00', 'number': 2, 'lab': 'x'},
    ['e70388ad-6bfe-37d0-a200-ebeeab6833fb', '2023-01-01_1_SWC_001', None],
    (EID, 'SWC_002/2023-01-02/001'),
    None,
    5,
    'foo',
]


@pytest.mark.parametrize('value', TO_EID, ids=lambda v: repr(v)[:50])
def test_to_eid(one_fast, one_ref, value):
    same(one_fast, one_ref, 'to_eid', value)


def test_to_eid_paths(one_fast, one_ref, f_template):
    session = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001'
    for value in (session, session / 'alf/_ibl_trials.choice.npy', str(session), Path('x/y')):
        same(one_fast, one_ref, 'to_eid', value)
    assert one_fast.to_eid(id=session) == EID


@pytest.mark.parametrize(
    'value',
    [EID, str(EID), 'foo', uuid.uuid1(), uuid.UUID(int=7, version=4), [EID, EID]],
    ids=repr,
)
def test_eid2path(one_fast, one_ref, value):
    same(one_fast, one_ref, 'eid2path', value)


def test_eid2path_returns_alf_path(one_fast):
    from alf_fast.path import ALFPath

    assert isinstance(one_fast.eid2path(EID), ALFPath)


def test_eid2path_finds_folder_on_disk(one_fast, one_ref, f_template):
    """Deliberate difference: ONE pads the number ('.../001'), a folder that does not exist."""
    assert one_ref.eid2path(KS5) == f_template / 'KS005/2022-12-31/001'
    assert one_fast.eid2path(KS5) == f_template / 'KS005/2022-12-31/1'
    assert one_fast.eid2path(KS5).is_dir()


def test_eid2path_lab_not_on_disk(tmp_path):
    """Deliberate difference: tables recording a lab absent from the tree (``lab=`` or
    ``Subjects/`` under the root) still resolve to the existing folders."""
    from one.api import One as OneRef

    from alf_fast import One

    root = tmp_path / 'rootlab'
    (root / 'Subjects/sub/2020-01-01/001').mkdir(parents=True)
    (root / 'Subjects/sub/2020-01-01/001/a.b.npy').write_bytes(b'x')
    (root / 'other/2020-01-02/002').mkdir(parents=True)
    (root / 'other/2020-01-02/002/c.d.npy').write_bytes(b'x')
    one_make_parquet_db(root)
    ours, theirs = One(cache_dir=root), OneRef(cache_dir=root, mode='local')
    rootlab = theirs.search(lab='rootlab')
    assert not theirs.eid2path(rootlab[0]).exists()  # ONE: <root>/rootlab/Subjects/...
    assert ours.eid2path(rootlab[0]) == root / 'Subjects/sub/2020-01-01/001'
    assert sorted(p.relative_to(root).as_posix() for p in ours.eid2path(ours.search())) == [
        'Subjects/sub/2020-01-01/001',
        'other/2020-01-02/002',
    ]


@pytest.mark.parametrize(
    'value',
    [
        'KS005/2022-12-31/001',
        'KS005/2022-12-31/1',
        'foo/bar',
        'x/SWC_002/2023-01-02/01/alf',
        ['SWC_001/2023-01-01/002', 'a/b'],
    ],
    ids=repr,
)
def test_path2eid(one_fast, one_ref, value):
    same(one_fast, one_ref, 'path2eid', value)


@pytest.mark.parametrize(
    'kwargs',
    [{}, {'as_dict': False}, {'as_dict': False, 'parse': False}, {'parse': False}],
    ids=repr,
)
def test_eid2ref(one_fast, one_ref, kwargs):
    same(one_fast, one_ref, 'eid2ref', EID, **kwargs)
    if kwargs == {}:
        # the column's numpy scalar, as in ONE
        assert type(one_fast.eid2ref(EID)['sequence']) is np.uint16
    same(one_fast, one_ref, 'eid2ref', [EID, KS5], **kwargs)


def test_eid2ref_unknown(one_fast, one_ref):
    got = same(one_fast, one_ref, 'eid2ref', uuid.UUID(int=7, version=4))
    assert got[:2] == ('raise', 'ALFObjectNotFound')


@pytest.mark.parametrize(
    'ref',
    [
        '2023-01-01_1_SWC_001',
        ['2023-01-01_1_SWC_001', '2023-01-01_2_SWC_001'],
        {'subject': 'ZM_1', 'date': datetime.date(2023, 1, 1), 'sequence': 3},
        '2023-01-01_1_SWC',
        '2023-01-01_1_S',
    ],
    ids=repr,
)
def test_ref2eid_and_ref2path(one_fast, one_ref, ref):
    same(one_fast, one_ref, 'ref2eid', ref)
    same(one_fast, one_ref, 'ref2path', ref)


@pytest.mark.parametrize(
    'path',
    [
        '/x/sub/2023-01-01/02',
        '/x/SWC_001/2023-01-01/001',
        'sub.1/2020-01-01/1',
        'x',
        Path('a/KS-5/2021-01-01/12/alf'),
        ['/x/SWC_001/2023-01-01/001', '/y'],
    ],
    ids=repr,
)
@pytest.mark.parametrize('kwargs', [{}, {'as_dict': False}, {'parse': False}], ids=repr)
def test_path2ref(one_fast, one_ref, path, kwargs):
    same(one_fast, one_ref, 'path2ref', path, **kwargs)


@pytest.mark.parametrize(
    'ref',
    [
        '2023-01-01_1_my_sub_name',
        '2023-01-01_001_S',
        ['2023-01-01_1_a', '2022-02-02_2_b'],
        {'date': '2023-01-01', 'sequence': '002', 'subject': 's'},
    ],
    ids=repr,
)
@pytest.mark.parametrize('parse', [True, False])
def test_ref2dict(one_fast, one_ref, ref, parse):
    same(one_fast, one_ref, 'ref2dict', ref, parse=parse)


@pytest.mark.parametrize(
    'ref',
    [
        {'subject': 'S', 'date': '2023-01-01', 'sequence': 1},
        {'subject': 'S', 'date': '2023-01-01', 'sequence': '1'},
        {'subject': 'S', 'date': datetime.date(2023, 1, 1), 'number': 1},
        {'subject': 'S', 'start_time': '2023-01-01T12:00:00', 'number': '001'},
        {'subject': 'S', 'start_time': datetime.datetime(2023, 1, 1, 9), 'sequence': 4},
        {},
        None,
        [{'subject': 'S', 'date': '2020-01-01', 'sequence': '2'}],
    ],
    ids=repr,
)
def test_dict2ref(one_fast, one_ref, ref):
    same(one_fast, one_ref, 'dict2ref', ref)


@pytest.mark.parametrize(
    'ref',
    [
        '2023-01-01_1_S',
        '2023-01-01_0001_S',
        '2023-01-01_1_S/extra',
        'x2023-01-01_1_S',
        {'subject': 'S', 'date': '2023-01-01', 'sequence': 1},
        {'subject': 'S'},
        5,
        ['2023-01-01_1_S', 'no'],
    ],
    ids=repr,
)
def test_is_exp_ref(one_fast, one_ref, ref):
    same(one_fast, one_ref, 'is_exp_ref', ref)


def test_get_details(one_fast, one_ref):
    ours, theirs = one_fast.get_details(EID), one_ref.get_details(EID)
    assert isinstance(ours, dict)
    assert ours == theirs.to_dict()
    assert {k: type(v) for k, v in ours.items()} == {k: type(theirs[k]) for k in theirs.index}
    assert one_fast.get_details('2023-01-01_1_SWC_001') == ours


def test_get_details_full(one_fast, one_ref):
    ours = one_fast.get_details(EID, full=True)
    theirs = one_ref.get_details(EID, full=True).reset_index()
    assert isinstance(ours, pl.DataFrame)
    assert ours.columns == list(theirs.columns)
    assert ours['id'].to_list() == [str(x) for x in theirs['id']]
    assert ours['rel_path'].to_list() == theirs['rel_path'].tolist()
    assert ours['date'].to_list() == theirs['date'].tolist()
    assert ours['qc'].cast(pl.String).to_list() == theirs['qc'].astype(str).tolist()


def test_get_details_full_without_datasets(tmp_path):
    from alf_fast import One

    root = tmp_path / 'T'
    (root / 'sub/2020-01-01/001').mkdir(parents=True)
    (root / 'sub/2020-01-01/001/a.b.npy').write_bytes(b'x')
    one_make_parquet_db(root)
    one = One(cache_dir=root)
    one._cache['datasets'] = one._cache['datasets'].clear()
    frame = one.get_details(one.search()[0], full=True)
    assert frame.height == 1 and frame['id'].null_count() == 1
    assert frame['subject'].to_list() == ['sub']


@pytest.mark.parametrize(
    'value',
    ['foo/2020-01-01/001', uuid.UUID(int=1, version=4), 'x', str(uuid.UUID(int=1, version=4))],
    ids=repr,
)
def test_get_details_errors(one_fast, one_ref, value):
    same(one_fast, one_ref, 'get_details', value)


def test_get_details_duplicate_session(one_fast):
    from alf_fast.exceptions import ALFMultipleObjectsFound

    sessions = one_fast._cache['sessions']
    one_fast._cache['sessions'] = pl.concat([sessions, sessions.head(1)]).sort('id')
    try:
        with pytest.raises(ALFMultipleObjectsFound, match='Multiple sessions'):
            one_fast.get_details(uuid.UUID(sessions['id'][0]))
    finally:
        one_fast._cache['sessions'] = sessions


def test_path2record_session(one_fast, one_ref, f_template):
    session = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001'
    ours, theirs = one_fast.path2record(session), one_ref.path2record(session)
    assert ours == {'id': theirs.name, **theirs.to_dict()}
    same(one_fast, one_ref, 'path2record', 'SWC_001/2023-01-01/001')  # lab-less: None
    ks5 = one_fast.path2record(f_template / 'KS005/2022-12-31/1')
    assert ks5['id'] == KS5 and ks5 == {'id': KS5, **one_ref.path2record('KS005/2022-12-31/1')}


def test_path2record_dataset(one_fast, one_ref, f_template):
    path = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    ours, theirs = one_fast.path2record(path), one_ref.path2record(path)
    assert (ours['eid'], ours['id']) == theirs.name
    assert ours['rel_path'] == theirs['rel_path'] and ours['file_size'] == theirs['file_size']
    assert one_fast.record2path(ours) == one_ref.record2path(theirs) == path
    missing = path.with_name('nope.x.npy')
    same(one_fast, one_ref, 'path2record', missing)
    same(one_fast, one_ref, 'path2record', '/x/y.z.npy')


def test_path2record_uuid_in_name(one_fast, one_ref):
    single = '/x/_ibl_trials.choice.321d80da-1066-3783-b115-93d955401cda.npy'
    ours, theirs = one_fast.path2record(single), one_ref.path2record(single)
    assert (ours['eid'], ours['id']) == theirs.name
    shared = '/x/_ibl_trials.intervals.f5734d66-78e2-3c34-bb06-b7159f7c84ea.npy'
    ours, theirs = one_fast.path2record(shared), one_ref.path2record(shared)
    assert isinstance(ours, pl.DataFrame) and ours.height == len(theirs) == 4
    assert one_fast.path2record('/x/a.b.11111111-1111-4111-8111-111111111111.npy') is None


def test_record2path(one_fast, one_ref, f_template):
    frame = one_fast.get_details(EID, full=True)
    paths = one_fast.record2path(frame)
    assert paths == one_ref.record2path(one_ref.get_details(EID, full=True)[frame.columns[2:7]])
    # All exist but ONE's row for `sub dir/obj.attr.npy`, indexed as `obj.attr.npy`.
    assert [p.name for p in paths if not p.exists()] == ['obj.attr.npy']
    # ONE's own records (pandas Series named (eid, id)) are accepted too.
    record = one_ref.get_details(EID, full=True).iloc[0]
    assert one_fast.record2path(record) == one_ref.record2path(record)
    with pytest.raises(TypeError, match='record must be'):
        one_fast.record2path(5)
    with pytest.raises(AssertionError):
        one_fast.record2path({'rel_path': 'a.b.npy'})
    unknown = {'eid': uuid.UUID(int=3, version=4), 'id': 'x', 'rel_path': 'a.b.npy'}
    with pytest.raises(ValueError, match='Failed to determine session path'):
        one_fast.record2path(unknown)


def test_remote_only(one_fast, one_ref, f_template):
    path = f_template / 'mylab/Subjects/SWC_001/2023-01-01/001/alf/_ibl_trials.choice.npy'
    same(one_fast, one_ref, 'path2url', path)
    same(one_fast, one_ref, 'path2url', '/x/y')


def test_construction(f_template):
    from one.api import One as OneRef

    from alf_fast import One

    for cache_dir in (f_template, str(f_template)):
        ours, theirs = One(cache_dir=cache_dir), OneRef(cache_dir=cache_dir, mode='local')
        assert repr(ours) == repr(theirs)
        assert type(ours.cache_dir) is type(theirs.cache_dir)
        assert ours._tables_dir == theirs._tables_dir
        assert (ours.mode, ours.wildcards, ours.offline) == ('local', True, True)
        assert (ours.record_loaded, ours.uuid_filenames) == (False, False)
        assert ours.search_terms() == theirs.search_terms()
    with pytest.raises(ValueError, match='Mode "foo" not recognized'):
        One(cache_dir=f_template, mode='foo')
    remote = One(cache_dir=f_template, mode='remote')
    assert remote._cache['sessions'].height == 0 and remote.offline


def test_default_cache_dir(monkeypatch, tmp_path):
    """Without cache_dir: ONE's configured default, read without writing (deliberate)."""
    from alf_fast import api

    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setattr(api.Path, 'home', lambda: tmp_path)
    assert api._default_cache_dir() == tmp_path / 'Downloads' / 'ONE'
    assert not (tmp_path / '.one').exists()
    (tmp_path / '.one').mkdir()
    (tmp_path / '.one' / '.caches').write_text('{"CLIENT_MAP": {"a": "/data/a"}, "DEFAULT": "a"}')
    assert api._default_cache_dir() == Path('/data/a')
    with pytest.warns(UserWarning, match='No cache tables'):
        one = api.One()
    assert one.cache_dir == Path('/data/a')


@pytest.fixture
def fake_indexer(monkeypatch):
    """Replace alf_fast.cache with ONE's indexer (pinned namespace) and record the calls."""
    calls = []

    def make_parquet_db(root_dir, **kwargs):
        calls.append((Path(root_dir), kwargs))
        return one_make_parquet_db(root_dir, **kwargs)

    module = types.ModuleType('alf_fast.cache')
    module.make_parquet_db = make_parquet_db
    monkeypatch.setitem(sys.modules, 'alf_fast.cache', module)
    return calls


@pytest.fixture
def bare_f(f_template, tmp_path):
    root = tmp_path / 'F'
    shutil.copytree(f_template, root)
    for name in ('sessions.pqt', 'datasets.pqt'):
        (root / name).unlink()
    return root


def test_setup_builds_tables(bare_f, fake_indexer, one_ref):
    from alf_fast import One

    one = One.setup(bare_f, silent=True)
    assert fake_indexer == [(bare_f, {})]
    assert one.search() == one_ref.search() and isinstance(one.cache_dir, Path)


def test_setup_existing_tables(f_root, fake_indexer, monkeypatch):
    from alf_fast import One

    One.setup(f_root, silent=True)  # silent: existing tables kept, never rebuilt
    answers = iter(['Y', 'yes', 'y'])
    prompts = []
    monkeypatch.setattr('alf_fast._prompt.interactive', lambda: True)
    monkeypatch.setattr('builtins.input', lambda p: prompts.append(p) or next(answers))
    One.setup(f_root)
    One.setup(str(f_root))
    assert fake_indexer == []
    One.setup(f_root, hash_ids=True)  # only an exact 'y' rebuilds
    assert fake_indexer == [(f_root, {'hash_ids': True})]
    assert prompts[0] == f'Cache tables exist for {f_root}, overwrite? [y/N]'


def test_setup_prompts_for_folder(bare_f, fake_indexer, monkeypatch):
    from alf_fast import One

    monkeypatch.setattr('alf_fast._prompt.interactive', lambda: True)
    monkeypatch.setattr('builtins.input', lambda prompt: str(bare_f))
    assert len(One.setup().search()) == 5
    monkeypatch.chdir(bare_f)
    monkeypatch.setattr('builtins.input', lambda prompt: '')
    assert One.setup(silent=False)._tables_dir == bare_f


def test_setup_missing_folder(tmp_path):
    from alf_fast import One

    with pytest.raises(AssertionError, match='does not exist'):
        One.setup(tmp_path / 'nope', silent=True)


def test_setup_out_dir(bare_f, tmp_path, fake_indexer):
    """Deliberate fix: ONE opens the result on cache_dir and finds no tables there."""
    from alf_fast import One

    out = tmp_path / 'tables'
    out.mkdir()
    one = One.setup(bare_f, silent=True, out_dir=out)
    assert fake_indexer == [(bare_f, {'out_dir': out})]
    assert one._tables_dir == out and one.cache_dir == bare_f and len(one.search()) == 5
    assert one.eid2path(one.search()[0]).is_dir()


def test_one_factory(f_template):
    from alf_fast.api import ONE, One

    one = ONE(cache_dir=f_template)
    assert isinstance(one, One) and one.mode == 'local'
    assert ONE(cache_dir=f_template) is one
    with pytest.raises(ValueError, match='not recognized'):
        ONE(mode='x', cache_dir=f_template)
    with pytest.raises(ValueError, match='base_url'):
        ONE(base_url='https://alyx.org', cache_dir=f_template)
    ONE.cache_clear()


def test_string_id_conversions(f_template, tmp_path):
    """hash_ids=False: string ids in and out, eid2path rejects them, as in ONE."""
    from one.api import One as OneRef

    from alf_fast import One

    root = tmp_path / 'F'
    shutil.copytree(f_template, root)
    one_make_parquet_db(root, hash_ids=False)
    ours, theirs = One(cache_dir=root), OneRef(cache_dir=root, mode='local')
    for value in ('KS005/2022-12-31/1', 'mylab/Subjects/SWC_001/2023-01-01/001'):
        same(ours, theirs, 'to_eid', value)
        assert ours.to_eid(value) is not None
    eid = ours.to_eid('KS005/2022-12-31/1')
    assert eid == 'KS005/2022-12-31/1'
    same(ours, theirs, 'eid2path', eid)
    assert ours.get_details(eid) == theirs.get_details(eid).to_dict()
