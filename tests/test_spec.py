"""Differential tests of alf_fast.spec (and the file-name parsers) against one.alf.spec.

Every input comes from a seeded generator, so a failure names an input that can be replayed.
Each case compares the whole outcome: the normalised return value, or the exception class name
and message.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import uuid
import warnings
from enum import IntEnum
from pathlib import PurePosixPath, PureWindowsPath

import one.alf.exceptions as one_exc
import one.alf.path as one_path
import one.alf.spec as one_spec
import pytest

from _differential import outcome
from alf_fast import exceptions as our_exc
from alf_fast import path as our_path
from alf_fast import spec as our_spec

SEED = 20240601
# Characters that stress the parsers: separators, Unicode letters and marks, non-ASCII digits.
ODD_CHARS = [' ', '#', '.', '_', '-', '/', '\\', 'ü', 'í', '\u0301', '²', '٣', '$', '\n', 'A', '0']


def mismatches(cases, ours, theirs):
    """Run both callables on every (args, kwargs) case; return the differing cases."""
    bad = []
    for args, kwargs in cases:
        a, b = outcome(ours, *args, **kwargs), outcome(theirs, *args, **kwargs)
        if a != b:
            bad.append((args, kwargs, a, b))
    return bad


def assert_same(cases, ours, theirs):
    bad = mismatches(cases, ours, theirs)
    assert not bad, f'{len(bad)} of {len(cases)} differ, e.g. {bad[:5]}'


# --- generators -----------------------------------------------------------------------------


def mutate(rng: random.Random, s: str) -> str:
    """Apply one random character-level change."""
    i = rng.randrange(len(s) + 1)
    kind = rng.randrange(7)
    if kind == 0:
        return s[:i] + rng.choice(ODD_CHARS) + s[i:]
    if kind == 1 and s:
        return s[: min(i, len(s) - 1)] + s[min(i, len(s) - 1) + 1 :]
    if kind == 2:
        return s.replace('.', '..', 1)
    if kind == 3:
        return s + rng.choice(['.', '\n', ' ', '_'])
    if kind == 4:
        return rng.choice(['.', '_', '__', ' ', '#']) + s
    if kind == 5 and s:
        j = min(i, len(s) - 1)
        return s[:j] + s[j].swapcase() + s[j + 1 :]
    return s[:i] + rng.choice(ODD_CHARS) + rng.choice(ODD_CHARS) + s[i:]


def random_uuid(rng: random.Random, version: int = 4) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=version)


def pick(rng: random.Random, common: list, odd: list, p_odd: float = 0.15):
    """Choose from `odd` with probability `p_odd`, else from `common`."""
    return rng.choice(odd if rng.random() < p_odd else common)


def file_names(seed: int = SEED, n: int = 4000) -> list[str]:
    """Dataset file names, about half valid, from part pools plus character-level mutations."""
    rng = random.Random(seed)
    namespaces = ['', '', '', '_ibl_', '_iblrig_', '_spikeglx_', '_ns1_']
    odd_namespaces = ['_', '__', '_name_space_', '_Ü_', '__ns__', '_x-y_', '_ns', 'ns_']
    objects = ['trials', 'spikes', 'spike_train', 'wheelMoves', 'obj', 'o', 'tríals', 'Obj']
    objects += ['ephysData_g0_t0', 'sübject', 'ns_obj', 'OBJ', '0', 'e\u0301vent', 'obj²', 'obj٣']
    odd_objects = ['_obj', 'ob j', 'o#b', '', 'obj-x', '.hidden', 'ob.j', 'o/b', 'o\\b']
    attributes = ['times', 'intervals', 'goCue_times', 'stim_intervals', 'attr_foo', 'timestamps']
    attributes += ['x_times_y', '_phy_ids', 'attr', 'ATTR', 'a1', 'imec0', '_ns_attr_times']
    attributes += ['times_', '_times', 'x_intervals_']
    odd_attributes = ['_Phy_ids', 'attr-x', '', 'a²', 'atträ', 'a٣', 'a b']
    timescales = [None, None, None, 'bpod', 'ephysClock', 'foo_bar', 'clk²', 'tíme', 'times']
    timescales += ['intervals', '_']
    odd_timescales = ['ts-x', '', 'a b', 't#']
    extras = ['raw', 'v12', 'a-b', 'x.y', 'ü', 'npy', '٣', '-', 'x\u0301', 'A']
    extras += ['2622b17c-9408-4910-99cb-abf16d9225b9']
    odd_extras = ['', ' ', '#', 'a b', '/']
    extensions = ['npy', 'npy', 'NPY', 'csv', 'bak', 'json', 'ü', '²', 'pqt', 'ssv', '0']
    extensions += ['e\u0301']
    odd_extensions = ['', 'n-py', 'npy ', 'npy\n', 'npy.', 'n#y']
    names = []
    for _ in range(n):
        name = pick(rng, namespaces, odd_namespaces) + pick(rng, objects, odd_objects)
        name += '.' + pick(rng, attributes, odd_attributes)
        timescale = pick(rng, timescales, odd_timescales)
        if timescale is not None:
            name += '_' + timescale
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            extra = str(random_uuid(rng)) if rng.random() < 0.1 else None
            name += '.' + (extra or pick(rng, extras, odd_extras))
        name += '.' + pick(rng, extensions, odd_extensions)
        while rng.random() < 0.2:
            name = mutate(rng, name)
        names.append(name)
    names += ['', '.', '..', 'a.b', 'a.b.c', '...', 'a..c', '.a.b', 'a.b.', '_.a.b', '__.a.b']
    return names


def session_paths(seed: int = SEED + 1, n: int = 2500) -> list[str]:
    """Session-like folder paths, valid and invalid, with roots, labs and odd numbers."""
    rng = random.Random(seed)
    roots = ['', '', '/', '/data/', 'C:/data/', '/mnt/s0/Data/', 'a b/', 'x/', '//', 'ü/']
    labs = ['mainenlab', 'lab-x', 'lab_1', 'läb', 'lab x', 'SWC', 'l²', '']
    lab_folders = ['', '', '{}/Subjects/', '{}/Subjects/', '{}/subjects/', '{}/Subjects//']
    subjects = ['SWC_001', 'KS005', 'KS005', 'sub', 'sub', 'sub.1-a', 'sübject', 'sub#1']
    subjects += ['sub ject', '', 'ZM²']
    subjects += ['.sub', 'sub.', 'Subjects', 'a\u0301']
    dates = ['2023-01-01'] * 8 + ['2020-02-29', '2021-02-29', '2020-02-30', '2023-13-45']
    dates += ['2023-1-1', '٢٠٢٣-٠١-٠١', '20230101', '2023-01-01x', '0000-00-00', '2023-01-01 ']
    numbers = ['1', '01', '001', '001', '001', '002', '003', '0001', '12', '999', '1000']
    numbers += ['٠٠١', '²', '1a', '', '0']
    tails = [''] * 10 + ['/', '/alf', '/alf/', '/alf/probe00', '//', '/#v1#', '/001']
    paths = []
    for _ in range(n):
        lab = rng.choice(lab_folders).format(rng.choice(labs))
        path = rng.choice(roots) + lab + rng.choice(subjects) + '/' + rng.choice(dates)
        path += '/' + rng.choice(numbers) + rng.choice(tails)
        if rng.random() < 0.1:
            path = path.replace('/', '\\')
        if rng.random() < 0.1:
            path = mutate(rng, path)
        paths.append(path)
    return paths


NAMES = file_names()
SESSIONS = session_paths()


def test_generators_are_deterministic_and_mixed():
    assert file_names() == NAMES and session_paths() == SESSIONS
    valid = sum(map(one_spec.is_valid, NAMES))
    assert 0.2 * len(NAMES) < valid < 0.8 * len(NAMES)
    valid = sum(map(one_spec.is_session_path, SESSIONS))
    assert 0.2 * len(SESSIONS) < valid < 0.8 * len(SESSIONS)


# --- module constants and regex -------------------------------------------------------------


def test_templates_and_defaults_match_one():
    for name in ['SESSION_SPEC', 'COLLECTION_SPEC', 'FILE_SPEC', 'REL_PATH_SPEC', 'FULL_SPEC']:
        assert getattr(our_spec, name) == getattr(one_spec, name), name
    assert our_spec._DEFAULT == one_spec._DEFAULT
    assert our_spec.path_pattern() == one_spec.path_pattern()


@pytest.mark.parametrize(
    'spec_str',
    [
        one_spec.SESSION_SPEC,
        one_spec.COLLECTION_SPEC,
        one_spec.FILE_SPEC,
        one_spec.REL_PATH_SPEC,
        one_spec.FULL_SPEC,
        '{lab}/Subjects/',
        '^{revision}$',
        '{subject}/{date}/{number}/' + one_spec.COLLECTION_SPEC,
        r'{lab}\d{4}',
        'no fields',
    ],
)
def test_regex_matches_one(spec_str):
    overrides = [
        {},
        {'object': 'trials'},
        {'object': None},
        {'attribute': 'x', 'extension': ''},
        {'foo': 'x'},
        {'lab': 'x', 'bad': 'y', 'worse': 'z'},
    ]
    cases = [((spec_str,), kw) for kw in overrides]
    assert_same(cases, our_spec.regex, one_spec.regex)
    assert our_spec.regex().pattern == one_spec.regex().pattern


def test_regex_unknown_field_message():
    with pytest.raises(KeyError, match='Unknown field "foo"'):
        our_spec.regex(our_spec.FILE_SPEC, object='x', foo='y')


# --- validators -----------------------------------------------------------------------------


def test_is_valid_matches_one():
    cases = [((name,), {}) for name in NAMES]
    cases += [((PurePosixPath('a.b.c'),), {}), ((None,), {}), ((b'a.b.c',), {})]
    assert_same(cases, our_spec.is_valid, one_spec.is_valid)


@pytest.mark.parametrize('as_dict', [False, True])
@pytest.mark.parametrize('assert_valid', [True, False])
def test_filename_parts_matches_one(as_dict, assert_valid):
    cases = [((name, as_dict, assert_valid), {}) for name in NAMES]
    assert_same(cases, our_path.filename_parts, one_path.filename_parts)


def test_is_session_path_matches_one():
    cases = [((p,), {}) for p in SESSIONS]
    cases += [((PurePosixPath(p),), {}) for p in SESSIONS[:500]]
    cases += [((PureWindowsPath(p),), {}) for p in SESSIONS[:500]]
    cases += [((None,), {}), ((b'sub/2020-01-01/001',), {}), ((1,), {})]
    assert_same(cases, our_spec.is_session_path, one_spec.is_session_path)


def uuid_like_values(seed: int = SEED + 2) -> list:
    rng = random.Random(seed)
    values: list = [None, True, False, 3.5, -1, 0, 2**128, b'', b'x' * 16, bytearray(16), '']
    values += ['not-a-uuid', '00000000-0000-0000-0000-000000000000', uuid.UUID(int=0)]
    for _ in range(150):
        u = random_uuid(rng, rng.choice([1, 2, 3, 4, 5]))
        s = str(u)
        values += [u, s, s.upper(), u.hex, '{' + s + '}', 'urn:uuid:' + s, ' ' + s, u.int]
        values += [u.bytes, s[:-1], s.replace('-', '', 1)]
    return values


@pytest.mark.parametrize('versions', [None, (4, 3), (1,), (), (3, 4, 5)])
def test_is_uuid_matches_one(versions):
    kwargs = {} if versions is None else {'versions': versions}
    cases = [((v,), kwargs) for v in uuid_like_values()]
    assert_same(cases, our_spec.is_uuid, one_spec.is_uuid)


def test_is_uuid_string_matches_one():
    cases = [((v,), {}) for v in uuid_like_values()]
    assert_same(cases, our_spec.is_uuid_string, one_spec.is_uuid_string)


# --- builders -------------------------------------------------------------------------------


def to_alf_cases(seed: int = SEED + 3, n: int = 3000) -> list:
    rng = random.Random(seed)
    objects = ['trials', 'spikes', 'wheel moves', 'wheel_moves', 'Wheel', 'ROIs', 'mpci ROIs']
    objects += ['_obj', 'ob.j', '', None, 'passive_RFM', 'FooBarBaz', 'a  b', 'ünicode word']
    attributes = ['times', 'stim on_times', 'goCue_times', 'stimOn_timestamps', 'foo_intervals']
    attributes += ['passive_RFM', 'FooBarBaz', 'a.b', '', 'x_y_z', 'motion energy', '_times']
    attributes += ['times_bpod', 'Hello world', 'ROI_times']
    extensions = ['npy', '.npy', '', None, '..npy', 'n.py', 'NPY', '.']
    namespaces = [None, '', 'ibl', 'i_bl', 'ib.l', ('ibl',), '_ibl']
    timescales = [None, '', 'bpod', 'ephys clock', ('ephys clock', 'minutes'), ('', 'x'), ['a_b']]
    timescales += ['a.b', ('a.b',), 'ROIs clock', ('',)]
    extras = [None, '', 'raw', 'raw.v12', ('raw', 'v12'), ['x'], '.x.', ('',), 'a..b']
    cases = []
    for _ in range(n):
        args = (rng.choice(objects), rng.choice(attributes), rng.choice(extensions))
        kwargs = {}
        for key, pool in [('namespace', namespaces), ('timescale', timescales), ('extra', extras)]:
            if rng.random() < 0.6:
                kwargs[key] = rng.choice(pool)
        cases.append((args, kwargs))
    return cases


def test_to_alf_matches_one():
    assert_same(to_alf_cases(), our_spec.to_alf, one_spec.to_alf)


def camel_strings(seed: int, alphabet: str, n: int = 1500) -> list[str]:
    rng = random.Random(seed)
    return [''.join(rng.choices(alphabet, k=rng.randrange(12))) for _ in range(n)]


def test_dromedary_matches_one():
    strings = camel_strings(SEED + 4, 'aBcRO s_Iü\t')
    strings += ['Hello world', 'motion_energy', 'passive_RFM', 'FooBarBaz', 'mpci ROIs', None]
    assert_same([((s,), {}) for s in strings], our_spec._dromedary, one_spec._dromedary)


@pytest.mark.parametrize('capitalize', [False, True])
def test_readable_alf_matches_one(capitalize):
    strings = camel_strings(SEED + 5, 'aBcDsRO0I1 _ü')
    strings += ['sparseNoise', 'someROIDataset', 'ROIs', 'trialsROIsTable', 'x', 'A']
    cases = [((s,), {'capitalize': capitalize}) for s in strings]
    assert_same(cases, our_spec.readableALF, one_spec.readableALF)


# --- QC -------------------------------------------------------------------------------------


def test_qc_members_match_one():
    assert [(m.name, m.value) for m in our_spec.QC] == [(m.name, m.value) for m in one_spec.QC]
    assert issubclass(our_spec.QC, IntEnum)
    assert our_spec.QC.FAIL == one_spec.QC.FAIL and our_spec.QC(40) is our_spec.QC.FAIL


def test_qc_validate_matches_one():
    values = [*our_spec.QC, *one_spec.QC, *range(-1, 61), '40', '٤٠', '²', 'fail', 'FAIL']
    values += ['Fail', 'not_set', 'NOT SET', '', ' 40', None, 40.0, 35.0, True, '40.0', 'ß']
    values += ['critical', 'pass', 'warning ', b'40', [40]]
    cases = [((v,), {}) for v in values]
    assert_same(cases, our_spec.QC.validate, one_spec.QC.validate)
    with pytest.raises(ValueError, match=r'^35 is not a valid QC$'):
        our_spec.QC.validate(35)
    with pytest.raises(ValueError, match=r'^None is not a valid QC$'):
        our_spec.QC.validate(None)


# --- contract 1.7.1 examples ----------------------------------------------------------------


def test_contract_file_name_examples():
    fp = our_path.filename_parts
    extras = 'spikes.times_ephysClock.raw.v12.npy'
    expected = {
        '_ibl_trials.goCue_times_bpod.csv': ('ibl', 'trials', 'goCue_times', 'bpod', None, 'csv'),
        extras: (None, 'spikes', 'times', 'ephysClock', 'raw.v12', 'npy'),
        '_obj.attr.npy': ('ob', 'j', 'attr', None, None, 'npy'),
        '__ns__obj.attr.npy': (None, 'ns__obj', 'attr', None, None, 'npy'),
        '_name_space_obj.attr.npy': ('name', 'space_obj', 'attr', None, None, 'npy'),
        'obj.attr_timestamps.npy': (None, 'obj', 'attr', 'timestamps', None, 'npy'),
        'obj.x_times_y_z.npy': (None, 'obj', 'x_times', 'y_z', None, 'npy'),
        'obj._ns_attr_times_bpod.a.b.npy': (None, 'obj', '_ns_attr_times', 'bpod', 'a.b', 'npy'),
    }
    for name, parts in expected.items():
        assert our_spec.is_valid(name)
        assert fp(name) == parts, name
    names = ['spike_train.npy', 'obj.attr', 'obj.attr-x.npy', '.hidden.x.npy', 'wheel moves.x.npy']
    names += ['obj..npy', 'a.b_.npy', 'obj.attr.npy.bak', 'Obj.Attr.NPY']
    assert [our_spec.is_valid(x) for x in names] == [False] * 7 + [True, True]
    assert our_spec.is_valid('channels._phy_ids.csv')
    assert our_spec.is_valid('tríals.times.npy') and not our_spec.is_valid('trials.tímes.npy')
    assert our_spec.is_valid('obj.attr.npy\n')  # `$` matches before a final newline, as in ONE


def test_contract_builder_examples():
    to_alf = our_spec.to_alf
    timescale = ('ephys clock', 'minutes')
    assert to_alf('trials', 'stim on_times', 'npy', timescale=timescale) == (
        'trials.stimOn_times_ephysClock_minutes.npy'
    )
    assert to_alf('wheel', 'timestamps', 'npy', 'ibl', 'bpod', ('raw', 'v12')) == (
        '_ibl_wheel.timestamps_bpod.raw.v12.npy'
    )
    assert our_spec.readableALF('someROIDataset', capitalize=True) == 'Some ROI dataset'
    assert our_spec._dromedary('mpci ROIs') == 'mpciROIs'
    with pytest.raises(TypeError, match='An extension must be provided'):
        to_alf('a', 'b', '')
    with pytest.raises(ValueError, match='must not contain a period'):
        to_alf('a', 'b.c', 'npy')


def test_contract_uuid_and_qc_examples():
    s = '2622b17c-9408-4910-99cb-abf16d9225b9'
    assert our_spec.is_uuid_string(s)
    assert not our_spec.is_uuid_string(s.upper())
    assert not our_spec.is_uuid_string(uuid.UUID(s))
    assert our_spec.is_uuid(uuid.UUID(s)) and not our_spec.is_uuid(uuid.uuid1())
    assert our_spec.QC.validate('fail') is our_spec.QC.FAIL
    assert our_spec.QC.validate('40') is our_spec.QC.FAIL


# --- exceptions -----------------------------------------------------------------------------

EXCEPTION_NAMES = [
    'ALFError',
    'AlyxSubjectNotFound',
    'ALFObjectNotFound',
    'ALFMultipleObjectsFound',
    'ALFMultipleCollectionsFound',
    'ALFMultipleRevisionsFound',
    'ALFInvalid',
]


@pytest.mark.parametrize('name', EXCEPTION_NAMES)
def test_exception_is_caught_by_one_except_clause(name):
    ours, theirs = getattr(our_exc, name), getattr(one_exc, name)
    assert issubclass(ours, theirs)
    assert issubclass(ours, our_exc.ALFError) and issubclass(ours, one_exc.ALFError)
    assert issubclass(ours, ValueError) == issubclass(theirs, ValueError)
    # Each of ONE's ancestors that is an ALF error is matched by our class of the same name.
    for base in theirs.__mro__:
        if base.__module__ == one_exc.__name__:
            assert issubclass(ours, getattr(our_exc, base.__name__))
    with pytest.raises(theirs):
        raise ours('x')
    try:
        raise ours('x')
    except one_exc.ALFError as e:
        assert e.message == 'x'


def test_path_parsers_raise_catchable_alf_invalid():
    for catch in (ValueError, one_exc.ALFInvalid, one_exc.ALFError, our_exc.ALFInvalid):
        with pytest.raises(catch) as info:
            our_path.filename_parts('foo.bar')
        assert info.value.message == 'foo.bar'


@pytest.mark.parametrize('name', EXCEPTION_NAMES)
@pytest.mark.parametrize(
    ('args', 'kwargs'),
    [
        ((), {}),
        (('msg',), {}),
        (('a', 'b'), {}),
        ((uuid.UUID(int=1),), {}),
        ((PurePosixPath('a/b'),), {}),
        ((1, None), {}),
        (('',), {}),
        (('x',), {'terse': True}),
        ((), {'terse': True}),
    ],
)
def test_exception_formatting_matches_one(name, args, kwargs):
    ours = getattr(our_exc, name)(*args, **kwargs)
    theirs = getattr(one_exc, name)(*args, **kwargs)
    assert str(ours) == str(theirs)
    assert ours.args == theirs.args == args
    assert (ours.message, ours.terse) == (theirs.message, theirs.terse)
    assert type(ours).explanation == type(theirs).explanation


def test_exception_format_examples():
    assert str(our_exc.ALFError()) == ''
    assert str(our_exc.ALFError('msg')) == 'msg \n  '
    assert str(our_exc.ALFError('a', 'b')) == '"a", "b" \n  '
    assert str(our_exc.ALFError(uuid.UUID(int=1))) == (
        '"00000000-0000-0000-0000-000000000001" \n  '
    )
    assert str(our_exc.ALFObjectNotFound('x', terse=True)) == 'x'
    assert isinstance(our_exc.ALFInvalid('p'), ValueError)
    assert str(our_exc.ALFInvalid('p')).startswith('p \n The file path')


def test_alf_warning_matches_one_filters():
    assert issubclass(our_exc.ALFWarning, Warning)
    assert issubclass(our_exc.ALFWarning, one_exc.ALFWarning)
    with warnings.catch_warnings():
        warnings.simplefilter('error', one_exc.ALFWarning)
        with pytest.raises(one_exc.ALFWarning):
            warnings.warn('revision', our_exc.ALFWarning, stacklevel=1)


def test_exceptions_without_one_installed(monkeypatch):
    # A None entry in sys.modules makes `import one.alf.exceptions` raise ImportError.
    monkeypatch.setitem(sys.modules, 'one.alf.exceptions', None)
    loader = importlib.util.spec_from_file_location('_exc_no_one', our_exc.__file__)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    assert module._one_exceptions is None
    mro = [c.__name__ for c in module.ALFInvalid.__mro__]
    assert mro == ['ALFInvalid', 'ALFError', 'ValueError', 'Exception', 'BaseException', 'object']
    assert module.ALFWarning.__mro__[1] is Warning
    assert not issubclass(module.ALFObjectNotFound, one_exc.ALFError)
    for name in EXCEPTION_NAMES:
        ours, theirs = getattr(module, name)('a', 'b'), getattr(one_exc, name)('a', 'b')
        assert str(ours) == str(theirs)
