"""Differential tests of alf_fast.path against one.alf.path.

Paths come from a seeded generator that mixes valid and broken session, collection, revision and
file name parts. Every function and ``ALFPath`` member is called on both libraries with the same
arguments and the whole outcome is compared: the normalised result (path class name and string,
tuple, dict) or the exception class name and message.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import one.alf.exceptions as one_exc
import one.alf.path as one_path
import pytest

from _differential import outcome
from alf_fast import path as our_path
from alf_fast.exceptions import ALFInvalid

SEED = 777


def compare(cases):
    """`cases` yields (label, ours, theirs) with zero-argument callables; return mismatches."""
    bad, total = [], 0
    for label, ours, theirs in cases:
        total += 1
        a, b = outcome(ours), outcome(theirs)
        if a != b:
            bad.append((label, a, b))
    assert total, 'no cases generated'
    return bad, total


def assert_same(cases):
    bad, total = compare(cases)
    assert not bad, f'{len(bad)} of {total} differ, e.g. {bad[:5]}'


# --- generator ------------------------------------------------------------------------------


def pick(rng: random.Random, common: list, odd: list, p_odd: float = 0.15):
    return rng.choice(odd if rng.random() < p_odd else common)


def uuid4_string(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def alf_paths(seed: int = SEED, n: int = 3000) -> list[str]:
    """Full, session-relative, folder and bare-name paths, valid and invalid."""
    rng = random.Random(seed)
    roots = ['', '/', '/data/', '/mnt/s0/Data/', 'C:/data/', 'x/y/']
    odd_roots = ['a b/', '//', 'ü/', '2020-01-01/001/', '#v1#/']
    labs = ['', '', 'mainenlab/Subjects/', 'lab_1/Subjects/', 'lab-x/Subjects/']
    odd_labs = ['mylab/subjects/', 'lab x/Subjects/', 'läb/Subjects/', 'Subjects/', '/Subjects/']
    subjects = ['SWC_001', 'KS005', 'sub', 'sub.1-a', 'sübject', 'ZM²']
    odd_subjects = ['sub#1', 'sub ject', '', '.sub', 'Subjects']
    dates = ['2023-01-01', '2020-02-29', '2023-12-31']
    odd_dates = ['2021-02-29', '2020-02-30', '2023-13-45', '2023-1-1', '٢٠٢٣-٠١-٠١', '20230101']
    numbers = ['1', '01', '001', '001', '002', '12', '999']
    odd_numbers = ['0001', '1000', '٠٠١', '²', '1a', '']
    collections = ['', '', 'alf', 'alf/probe00', 'raw_ephys_data/probe01', '.hidden', 'ålf']
    odd_collections = ['sub dir', 'a#b', 'al.f', 'alf//probe', 'alf/#v1#/sub']
    revisions = ['', '', '#v1#', '#2023-01-01#', '#v1.2-a#']
    odd_revisions = ['#bad rev#', '##', '#v1', '#a#b#', '#ü#', '#v1#/#v2#']
    names = ['spikes.times.npy', '_ibl_trials.goCue_times_bpod.csv', 'obj.attr.raw.v12.npy']
    names += ['_ns_obj.attr_ts.x.npy', 'channels._phy_ids.csv', 'wheel.timestamps.npy']
    names += ['obj.attr.npy.bak', 'trials.intervals.2622b17c-9408-4910-99cb-abf16d9225b9.npy']
    odd_names = ['README', 'notes.txt', '.hidden.x.npy', 'bad name.x.npy', 'x.y.z.', 'obj..npy']
    odd_names += ['spike_train.npy', 'obj.attr-x.npy', 'a.b', '001', 'obj.attr.NPY']
    paths = []
    for _ in range(n):
        session = pick(rng, labs, odd_labs) + pick(rng, subjects, odd_subjects) + '/'
        session += pick(rng, dates, odd_dates) + '/' + pick(rng, numbers, odd_numbers)
        collection = pick(rng, collections, odd_collections)
        revision = pick(rng, revisions, odd_revisions)
        name = pick(rng, names, odd_names, 0.25)
        if rng.random() < 0.2:
            name = name.replace('.npy', f'.{uuid4_string(rng)}.npy')
        folders = [f for f in (collection, revision) if f]
        kind = rng.random()
        if kind < 0.45:  # full dataset path
            parts = [pick(rng, roots, odd_roots) + session, *folders, name]
        elif kind < 0.65:  # session-relative dataset path
            parts = [*folders, name]
        elif kind < 0.9:  # session or collection folder
            parts = [pick(rng, roots, odd_roots) + session, *folders]
        else:  # bare name
            parts = [name]
        path = '/'.join(parts)
        if rng.random() < 0.05:
            path += '/'
        if rng.random() < 0.05:
            path = path.replace('/', '\\')
        paths.append(path)
    return paths


PATHS = alf_paths()
UUID_STRING = '2622b17c-9408-4910-99cb-abf16d9225b9'


def test_generator_is_deterministic_and_mixed():
    assert alf_paths() == PATHS
    valid = sum(map(one_path.PureALFPath.is_valid_alf, PATHS))
    assert 0.3 * len(PATHS) < valid < 0.9 * len(PATHS)


def relative_part(path: str) -> str:
    """The part after the first session match, or the path itself."""
    m = our_path._SESSION_RE.search(path)
    return path[m.end() :].lstrip('/') if m else path


# --- functions ------------------------------------------------------------------------------

FLAG_COMBOS = [(False, True), (True, True), (False, False), (True, False)]
PARSERS = ['rel_path_parts', 'session_path_parts', 'folder_parts', 'full_path_parts']


@pytest.mark.parametrize('name', PARSERS)
@pytest.mark.parametrize(('as_dict', 'assert_valid'), FLAG_COMBOS)
def test_parsers_match_one(name, as_dict, assert_valid):
    ours, theirs = getattr(our_path, name), getattr(one_path, name)
    inputs = PATHS + [relative_part(p) for p in PATHS[::3]] + ['', '/', '.', 'a/b/c']
    inputs += [PurePosixPath(p) for p in PATHS[::7]] + [PureWindowsPath(p) for p in PATHS[::11]]

    def cases():
        for p in inputs:
            args = (p, as_dict, assert_valid)
            yield p, lambda a=args: ours(*a), lambda a=args: theirs(*a)

    assert_same(cases())


def path_inputs(paths):
    """Each path as str, then as pure POSIX and Windows paths for a subset."""
    yield from paths
    yield from (PurePosixPath(p) for p in paths[::5])
    yield from (PureWindowsPath(p) for p in paths[::9])


@pytest.mark.parametrize(
    'name', ['get_session_path', 'get_alf_path', 'remove_uuid_string', 'without_revision']
)
def test_one_argument_functions_match_one(name):
    ours, theirs = getattr(our_path, name), getattr(one_path, name)
    inputs = [*path_inputs(PATHS), None, '', '/', '001/x/2020-01-01']
    assert_same((p, lambda p=p: ours(p), lambda p=p: theirs(p)) for p in inputs)


def test_padded_sequence_matches_one():
    inputs = [*path_inputs(PATHS), Path('sub/2020-01-01/1/a.b.c'), '001/x/2020-01-01']
    ours, theirs = our_path.padded_sequence, one_path.padded_sequence
    assert_same((p, lambda p=p: ours(p), lambda p=p: theirs(p)) for p in inputs)


def test_add_uuid_string_matches_one():
    rng = random.Random(SEED + 1)
    v1 = uuid.UUID(int=rng.getrandbits(128), version=1)
    pool = [UUID_STRING, UUID_STRING.upper(), uuid.UUID(UUID_STRING), 'x', v1, 5]

    def cases():
        for p in path_inputs(PATHS):
            u = rng.choice([*pool, uuid4_string(rng)])
            strict = rng.random() < 0.5
            yield (
                (p, u, strict),
                lambda a=(p, u, strict): our_path.add_uuid_string(*a),
                lambda a=(p, u, strict): one_path.add_uuid_string(*a),
            )

    assert_same(cases())


def test_ensure_alf_path_matches_one():
    inputs = [*path_inputs(PATHS[:300]), Path('a/b'), PATHS[:5], iter(['a', Path('b')]), 5, None]
    inputs += [b'ab', one_path.PurePosixALFPath('x'), our_path.PureALFPath('y')]
    ours, theirs = our_path.ensure_alf_path, one_path.ensure_alf_path

    def cases():
        for p in inputs:
            a = b = p
            if isinstance(p, Iterator):  # a one-shot iterator: give each library its own
                items = list(p)
                a, b = iter(items), iter(items)
            yield p, lambda a=a: ours(a), lambda b=b: theirs(b)

    assert_same(cases())


# --- PureALFPath members --------------------------------------------------------------------

PROPERTIES = ['lab', 'subject', 'date', 'sequence', 'collection', 'revision', 'namespace']
PROPERTIES += ['object', 'attribute', 'timescale', 'extra', 'session_parts', 'alf_parts']
PROPERTIES += ['dataset_name_parts']

# method name -> list of (args, kwargs)
METHOD_CALLS = {
    'is_dataset': [()],
    'is_session_path': [()],
    'is_valid_alf': [()],
    'session_path': [()],
    'session_path_short': [(), (True,)],
    'without_lab': [()],
    'relative_to_lab': [()],
    'relative_to_session': [()],
    'parse_alf_path': [(), (False,)],
    'parse_alf_name': [(), (False,)],
    'with_lab': [('newlab',), ('lab-x',), ('',), ('lab\n',), ('läb', True), ('lab', True)],
    'with_subject': [('newsub',), ('sub.1-a',), ('',), ('a/b',), ('sü',)],
    'with_date': [
        ('2024-02-03',),
        (datetime.date(2024, 2, 3),),
        (datetime.datetime(2024, 2, 3, 4, 5),),
        ('2024-2-3',),
        (None,),
        ('2024-13-45',),
    ],
    'with_sequence': [(7,), ('7',), (' 12 ',), (1000,), (-1,), (None,), ('',), ('٧',), (7.0,)],
    'with_padded_sequence': [()],
    'with_object': [('newObj',), ('x_y',), ('',), ('a/b',)],
    'with_namespace': [('ns',), ('',), (None,), ('n_s',)],
    'with_attribute': [('newAttr',), ('x_times',), ('',)],
    'with_timescale': [('bpod',), ('',), (None,), ('a_b',)],
    'with_extra': [('raw',), ('a.b', True), ('',), ('.x.', True), (['a', 'b'],), ((), True)],
    'with_extension': [('npy',), ('.npy',), ('',), ('n py',), ('ü',)],
    'with_collection': [
        ('alf',),
        ('alf/probe00',),
        ('/alf/',),
        ('',),
        (None,),
        ('a b',),
        (PurePosixPath('x/y'),),
    ],
    'with_revision': [('v1',), ('2023-01-01',), ('',), ('a b',), ('#v1#',)],
    'without_revision': [()],
    'with_uuid': [(UUID_STRING,), (UUID_STRING.upper(),), (uuid.UUID(UUID_STRING), True)],
    'without_uuid': [()],
}


def member_cases(cls_name: str, paths, calls=METHOD_CALLS, properties=PROPERTIES):
    """Cases calling each member on our and ONE's `cls_name` built from the same path."""
    ours_cls, theirs_cls = getattr(our_path, cls_name), getattr(one_path, cls_name)
    for p in paths:
        for prop in properties:
            yield (
                (p, prop),
                lambda p=p, m=prop: getattr(ours_cls(p), m),
                lambda p=p, m=prop: getattr(theirs_cls(p), m),
            )
        for method, arg_lists in calls.items():
            for args in arg_lists:
                yield (
                    (p, method, args),
                    lambda p=p, m=method, a=args: getattr(ours_cls(p), m)(*a),
                    lambda p=p, m=method, a=args: getattr(theirs_cls(p), m)(*a),
                )


def test_pure_posix_members_match_one():
    assert_same(member_cases('PurePosixALFPath', PATHS[::2]))


def test_pure_windows_members_match_one():
    assert_same(member_cases('PureWindowsALFPath', PATHS[1::6]))


def test_pure_alf_path_is_posix_here():
    p = our_path.PureALFPath('a', 'b')
    assert type(p) is our_path.PurePosixALFPath
    assert isinstance(p, our_path.PureALFPath) and isinstance(p, PurePosixPath)
    assert not isinstance(p, Path)
    q = our_path.ALFPath('a')
    assert type(q) is our_path.PosixALFPath and isinstance(q, Path)
    assert isinstance(q, our_path.PureALFPath)
    # Derived paths keep the ALF class.
    assert type(q.parent) is our_path.PosixALFPath
    assert type(p / 'c') is our_path.PurePosixALFPath
    assert type(our_path.PosixALFPath('x').with_name('y')) is our_path.PosixALFPath


def test_static_style_calls_match_one():
    def cases():
        for p in PATHS[::3]:
            for cls, method in [
                ('PureALFPath', 'is_valid_alf'),
                ('PureALFPath', 'is_session_path'),
                ('ALFPath', 'is_valid_alf'),
                ('ALFPath', 'with_padded_sequence'),
            ]:
                ours = getattr(getattr(our_path, cls), method)
                theirs = getattr(getattr(one_path, cls), method)
                yield (cls, method, p), lambda f=ours, p=p: f(p), lambda f=theirs, p=p: f(p)

    assert_same(cases())


# --- ALFPath members against a real tree ----------------------------------------------------

TREE_FILES = [
    'lab/Subjects/sub/2023-01-01/001/alf/spikes.times.npy',
    'lab/Subjects/sub/2023-01-01/001/alf/#v1#/spikes.times.npy',
    'lab/Subjects/sub/2023-01-01/001/alf/probe00/_ibl_trials.goCue_times_bpod.csv',
    'lab/Subjects/sub/2023-01-01/001/.hidden.x.npy',
    'lab/Subjects/sub/2023-01-01/001/bad name.x.npy',
    'lab/Subjects/sub/2023-01-01/001/README',
    'lab/Subjects/sub/2023-01-01/001/notes.txt',
    'lab/Subjects/sub/2023-01-01/001/x.y.z.',
    'sub2/2023-01-02/1/obj.attr.raw.npy',
    'sub2/2023-01-02/002',  # a file named like a session folder
    'sub2/2023-01-02/1/sub dir/obj.attr.npy',
]
TREE_DIRS = ['lab/Subjects/sub/2023-01-01/001/dir.like.dataset', 'sub3/2023-01-03/001/alf']


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp('alf_tree')
    for rel in TREE_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b'')
    for rel in TREE_DIRS:
        (root / rel).mkdir(parents=True, exist_ok=True)
    return root


def tree_paths(root: Path) -> list[str]:
    found = sorted(str(p) for p in root.rglob('*'))
    return [str(root), *found, str(root / 'missing/2023-01-01/001/a.b.c')]


def test_concrete_members_match_one_on_disk(tree):
    calls = {
        **METHOD_CALLS,
        'iter_datasets': [(), (True,)],
    }
    assert_same(member_cases('ALFPath', tree_paths(tree), calls=calls))


def test_iter_datasets_yields_every_non_directory_two_dot_name(tree):
    session = our_path.ALFPath(tree / 'lab/Subjects/sub/2023-01-01/001')
    names = [p.relative_to(session).as_posix() for p in session.iter_datasets(recursive=True)]
    # Like ONE, invalid ALF names are included; directories and one-dot names are not.
    assert names == [
        '.hidden.x.npy',
        'alf/#v1#/spikes.times.npy',
        'alf/probe00/_ibl_trials.goCue_times_bpod.csv',
        'alf/spikes.times.npy',
        'bad name.x.npy',
        'x.y.z.',
    ]
    assert all(type(p) is our_path.PosixALFPath for p in session.iter_datasets())


# --- contract 1.5 / 1.7.2 examples ----------------------------------------------------------


def test_contract_session_examples():
    from alf_fast.spec import is_session_path

    p = 'lab-x/Subjects/sub/2023-01-01/001'
    assert is_session_path(p)
    assert our_path.session_path_parts(p) == ('x', 'sub', '2023-01-01', '001')
    checks = ['SWC_001/2023-01-01/1', 'SWC_001/2023-01-01/0001', 'SWC_001/2023-13-45/001']
    checks += ['sub/2023-01-01/001/alf', 'C:\\data\\sub\\2023-01-01\\001']
    checks += ['/data/mylab/Subjects/SWC_001/2023-01-01/001/']
    assert [is_session_path(c) for c in checks] == [True, False, True, False, False, True]
    sp = our_path.session_path_parts('mylab/subjects/sub/2023-01-01/001')
    assert sp == (None, 'sub', '2023-01-01', '001')
    assert our_path.session_path_parts('/x/sub/2023-01-01/0012')[3] == '001'


def test_contract_relative_path_examples():
    parts = our_path.rel_path_parts('alf/probe00/#2023-01-01#/_ibl_spikes.times_ephys.raw.npy')
    assert parts == ('alf/probe00', '2023-01-01', 'ibl', 'spikes', 'times', 'ephys', 'raw', 'npy')
    with pytest.raises(ALFInvalid):
        our_path.rel_path_parts('alf/#v1#/sub/x.y.npy')


def test_contract_builder_examples():
    got = our_path.get_session_path('/a/2020-01-01/001/b/2021-01-01/002/x.y.z')
    assert got == Path('/a/2020-01-01/001') and type(got) is type(Path())
    assert our_path.get_session_path('sub/2020-02-30/001') is None
    inputs = ['etc/subj/2021-01-21/001', 'a b/file.attr.ext', 'alf/#rev#/sub/a.b.npy']
    inputs += ['#v1#/a.b.npy', 'foo/bar', '/data/root/Subjects/sub/2020-01-01/001']
    expected = ['subj/2021-01-21/001', 'file.attr.ext', 'a.b.npy', '#v1#/a.b.npy', None]
    expected += ['root/Subjects/sub/2020-01-01/001']
    assert [our_path.get_alf_path(p) for p in inputs] == expected
    p = our_path.PureALFPath('lab/Subjects/sub/2020-01-01/001/alf/#v1#/_ns_obj.attr_ts.x.npy')
    seven = p.with_sequence(7)
    assert type(seven) is our_path.PurePosixALFPath
    assert str(seven) == 'lab/Subjects/sub/2020-01-01/007/alf/#v1#/_ns_obj.attr_ts.x.npy'
    assert (p.lab, p.subject, p.date, p.sequence) == ('lab', 'sub', '2020-01-01', '001')
    assert (p.collection, p.revision, p.namespace, p.object) == ('alf', 'v1', 'ns', 'obj')
    assert (p.attribute, p.timescale, p.extra) == ('attr', 'ts', 'x')
    assert our_path.PureALFPath('a/b').lab == ''


def test_contract_uuid_and_padding_examples():
    name = f'/p/trials.intervals.{UUID_STRING}.npy'
    assert our_path.add_uuid_string('/p/trials.intervals.npy', UUID_STRING) == Path(name)
    assert our_path.remove_uuid_string(name) == Path('/p/trials.intervals.npy')
    with pytest.raises(ValueError, match='Should provide a valid UUID v4'):
        our_path.add_uuid_string('/p/a.b.npy', UUID_STRING.upper())
    padded = our_path.padded_sequence('/d/subject/2023-01-01/1/_ibl_experiment.description.yaml')
    assert padded == Path('/d/subject/2023-01-01/001/_ibl_experiment.description.yaml')
    assert type(padded) is our_path.PosixALFPath
    with pytest.raises(ValueError, match='must include a valid ALF session path'):
        our_path.padded_sequence('a/b')
    got = our_path.without_revision('/l/Subjects/s/2023-01-01/001/c/#r#/o.a.e')
    assert got == Path('/l/Subjects/s/2023-01-01/001/c/o.a.e')


def test_invalid_path_errors_are_one_alf_invalid():
    with pytest.raises(one_exc.ALFInvalid):
        our_path.full_path_parts('sub/2023-01-01/001/alf/probe00')
    with pytest.raises(ValueError):
        our_path.PureALFPath('foo.bar').with_namespace('x')
