"""Differential tests of alf_fast._filters against one.util (filter_datasets and revisions)."""

import fnmatch
import random
import re

import pandas as pd
import polars as pl
import pytest
from one import util as one_util

from _differential import (
    alf_warning_count,
    assert_same_error,
    assert_same_revision_warnings,
    call,
    rel_paths,
)
from alf_fast import _filters
from alf_fast._filters import (
    filter_datasets,
    filter_revision_last_before,
    index_last_before,
)
from alf_fast._patterns import to_rust, translate_glob
from alf_fast._tables import QC_ENUM
from alf_fast.exceptions import ALFMultipleRevisionsFound, ALFWarning
from alf_fast.spec import QC, QC_LEVELS

# Every test runs on both paths of filter_datasets (Python lists and polars).
pytestmark = pytest.mark.usefixtures('filter_engine')

EID = 'e70388ad-6bfe-37d0-a200-ebeeab6833fb'
UNORDERED = {'ALFMultipleCollectionsFound', 'ALFMultipleRevisionsFound'}


def make_pair(rel_paths_, qc=None, default_revision=None, eids=None):
    """The same datasets table as ONE (pandas, (eid, id) index) and alf_fast (polars) see it."""
    n = len(rel_paths_)
    data = {
        'eid': eids or ['e'] * n,
        'id': [f'd{i:03d}' for i in range(n)],
        'rel_path': list(rel_paths_),
        'file_size': [1] * n,
        'hash': [''] * n,
        'exists': [True] * n,
        'qc': qc or ['NOT_SET'] * n,
    }
    if default_revision is not None:
        data['default_revision'] = default_revision
    ref = pd.DataFrame(data)
    ref['qc'] = ref['qc'].astype(pd.CategoricalDtype(list(QC_LEVELS), ordered=True))
    ref['rel_path'] = ref['rel_path'].astype('str')
    ref = ref.set_index(['eid', 'id'])
    fast = pl.DataFrame(data).with_columns(pl.col('qc').cast(QC_ENUM))
    return ref, fast


def compare(ref_frame, fast_frame, kwargs, order_matters=True):
    ref = call(one_util.filter_datasets, ref_frame, **kwargs)
    fast = call(filter_datasets, fast_frame, **kwargs)
    if ref.error is not None or fast.error is not None:
        assert_same_error(ref, fast, unordered=ref.error_class in UNORDERED)
        if ref.error_class == 'ALFMultipleObjectsFound':
            assert fast.message() == ref.message()
    else:
        a, b = rel_paths(ref.value), rel_paths(fast.value)
        assert b == a if order_matters else sorted(b) == sorted(a)
        assert ('revision' in fast.value.columns) == ('revision' in ref.value.columns)
        if 'revision' in ref.value.columns:
            assert fast.value.get_column('revision').to_list() == ref.value['revision'].tolist()
    assert_same_revision_warnings(ref, fast)
    assert alf_warning_count(fast.warnings) <= 1
    return ref, fast


# --- on fixture F ----------------------------------------------------------------------------

F_CASES = [
    {},
    {'filename': '*'},
    {'filename': ''},
    {'filename': '_ibl_trials.intervals.npy'},
    {'filename': '*trials.intervals*'},
    {'filename': '*probe00*'},
    {'filename': '*spikes.times.npy'},
    {'filename': 'alf/_ibl_trials.intervals.npy'},
    {'filename': '*.np?'},
    {'filename': '*[!y].npy'},
    {'filename': ['*wheel*', '*choice*']},
    {'filename': {'object': ['wheel', 'spikes'], 'attribute': 'times'}},
    {'filename': {'attribute': '*times'}},
    {'filename': {'extra': 'npy'}},
    {'filename': {'timescale': ''}},
    {'filename': {'namespace': ''}},
    {'filename': {'namespace': 'ibl'}},
    {'filename': {'namespace': None, 'object': 'trials'}},
    {'filename': {'collection': 'alf', 'object': 'obj'}},
    {'filename': {'lab': 'x', 'object': 'wheel'}},
    {'collection': 'alf'},
    {'collection': ''},
    {'collection': 'alf*'},
    {'collection': []},
    {'collection': ['alf/probe00', 'raw*']},
    {'collection': ('alf/probe00', 'raw*')},
    {'revision': '2023*', 'revision_last_before': False},
    {'revision': '', 'revision_last_before': False},
    {'revision': ['2023-02*', '2023-03-01'], 'revision_last_before': False},
    {'revision': '2023-02-15'},
    {'revision': ''},
    {'revision': '2000'},
    {'revision': 'w'},
    {'filename': '_ibl_trials.intervals.npy', 'collection': 'alf'},
    {'filename': '_ibl_trials.intervals.npy', 'collection': 'alf', 'revision': '2023-02-15'},
    {'filename': 'spikes.times.npy'},
    {'filename': '_ibl_trials.*', 'collection': 'alf'},
    {'filename': '*', 'collection': 'alf'},
    {'qc': 'PASS'},
    {'qc': 'NOT_SET', 'ignore_qc_not_set': True},
]


@pytest.mark.parametrize('wildcards', [True, False], ids=['glob', 'regex'])
@pytest.mark.parametrize('assert_unique', [True, False], ids=['unique', 'all'])
@pytest.mark.parametrize('case', F_CASES, ids=repr)
def test_filter_datasets_fixture_f(one_ref, one_fast, case, wildcards, assert_unique):
    if not wildcards and isinstance(case.get('filename'), str) and '[!' in case['filename']:
        case = {'filename': '.*[^y]\\.npy'}  # the regex spelling of the glob
    kwargs = {'assert_unique': assert_unique, 'wildcards': wildcards, **case}
    compare(one_ref._cache['datasets'], one_fast._cache['datasets'], kwargs)


# --- the documented examples (contract 5.9.4) ---------------------------------------------------

DF_PATHS = [
    'alf/obj.attr.npy',
    'alf/#2023-02-01#/obj.attr.npy',
    'alf/#2023-03-01#/obj.attr.npy',
    'alf/#v1#/obj.attr.npy',
    'alf/obj.other.npy',
    'alf/probe00/obj.attr.npy',
    'obj.attr.npy',
]


@pytest.mark.parametrize(
    'args, kwargs',
    [
        (('obj.attr.npy',), {}),
        (('obj.attr.npy', 'alf'), {}),
        (('obj.attr.npy', 'alf', '2023-02-15'), {}),
        (('obj.attr.npy', 'alf', '2022'), {}),
        (('obj.attr.npy', 'alf', ''), {}),
        (('obj.attr.npy', 'alf', 'w'), {}),
        (('obj.attr.npy', 'alf', None), {'revision_last_before': False}),
        (('obj.*', 'alf'), {}),
        ((None,), {'assert_unique': False}),
        (('obj.attr.npy', 'alf'), {'assert_unique': False}),
    ],
)
def test_filter_datasets_examples(args, kwargs):
    ref_df, fast_df = make_pair(DF_PATHS)
    names = ('filename', 'collection', 'revision')
    compare(ref_df, fast_df, {**dict(zip(names, args, strict=False)), **kwargs})


@pytest.mark.parametrize(
    'flags, revision',
    [
        ([False, True, False, False], None),
        ([False, True, False, False], '2023-03-05'),
        ([False, True, True, False], None),
        ([False, False, False, False], None),
        ([True, False, False, False], '2023-02-15'),
    ],
)
@pytest.mark.parametrize('assert_unique', [True, False])
def test_default_revision_column(flags, revision, assert_unique):
    paths = [*DF_PATHS[:4], 'alf/obj.other.npy']
    ref_df, fast_df = make_pair(paths, default_revision=[*flags, False])
    kwargs = {'filename': 'obj.attr.npy', 'collection': 'alf', 'revision': revision}
    compare(ref_df, fast_df, {**kwargs, 'assert_unique': assert_unique})


def test_default_revision_several_defaults_message():
    _, fast_df = make_pair(DF_PATHS[:4], default_revision=[False, True, True, False])
    with pytest.raises(ALFMultipleRevisionsFound) as info:
        filter_datasets(fast_df, 'obj.attr.npy', 'alf')
    assert info.value.message == '"2023-02-01", "2023-03-01"'


@pytest.mark.parametrize(
    'qc, ignore',
    [
        ('NOT_SET', False),
        ('PASS', True),
        ('CRITICAL', True),
        (30, False),
        ('40', False),
        ('warning', False),
        (QC.PASS, False),
    ],
)
def test_qc_thresholds(qc, ignore):
    levels = ['PASS', 'WARNING', 'FAIL', 'CRITICAL', 'NOT_SET', 'NOT_SET', 'PASS']
    ref_df, fast_df = make_pair(DF_PATHS, qc=levels)
    kwargs = {
        'qc': qc,
        'ignore_qc_not_set': ignore,
        'assert_unique': False,
        'revision_last_before': False,
    }
    compare(ref_df, fast_df, kwargs)


def test_qc_on_string_column():
    _, fast_df = make_pair(
        DF_PATHS, qc=['PASS', 'FAIL', 'CRITICAL', 'NOT_SET', 'PASS', 'PASS', 'WARNING']
    )
    plain = fast_df.with_columns(pl.col('qc').cast(pl.String))
    kwargs = {'qc': 'WARNING', 'assert_unique': False, 'revision_last_before': False}
    assert rel_paths(filter_datasets(plain, **kwargs)) == rel_paths(
        filter_datasets(fast_df, **kwargs)
    )


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'kwargs',
    [
        {'collection': '*probe*'},
        {'filename': '(?i)WHEEL.*'},
        {'filename': '[a'},
        {'filename': {'object': '(unclosed'}},
        {'revision': '+', 'revision_last_before': False},
        {'filename': {'foo': 'x'}},
        {'filename': {'object': 'a', 'bar': None}},
        {'qc': 'bad'},
        {'qc': 5},
        {'qc': None},
    ],
    ids=repr,
)
def test_errors_match_one(one_ref, one_fast, kwargs):
    kwargs = {'assert_unique': False, **kwargs}
    ref = call(one_util.filter_datasets, one_ref._cache['datasets'], **kwargs)
    fast = call(filter_datasets, one_fast._cache['datasets'], **kwargs)
    assert_same_error(ref, fast)
    if isinstance(ref.error, re.error):
        assert str(fast.error) == str(ref.error)


@pytest.mark.parametrize('wildcards', [True, False])
@pytest.mark.parametrize(
    'kwargs', [{'collection': 5}, {'filename': 3}, {'filename': {'object': True}}], ids=repr
)
def test_wrong_types_raise_type_error(one_ref, one_fast, kwargs, wildcards):
    ref = call(one_util.filter_datasets, one_ref._cache['datasets'], wildcards=wildcards, **kwargs)
    fast = call(filter_datasets, one_fast._cache['datasets'], wildcards=wildcards, **kwargs)
    assert ref.error_class == fast.error_class == 'TypeError'


# --- pattern engines -----------------------------------------------------------------------------


def test_glob_translation_is_python_311():
    rng = random.Random(0)
    alphabet = list('ab*?[]!-\\^&~|./#_é')
    for _ in range(5000):
        glob = ''.join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        assert translate_glob(glob) == fnmatch.translate(glob), glob
        assert re.compile(translate_glob(glob, atomic=False))  # the Rust-bound form compiles


EXTRA_PATHS = [
    'a b/x.y.npy',
    'alf/é.t.npy',
    'ü/_ns_obj.attr_bpod.x1.x2.npy',
    'x/y.z.npy\n',
    '_a_.b.c',
    '__x.y.z',
    'alf/spikes.times.NPY',
    'ü²/a.b.c',
    'alf/#v1#/_ibl_trials.intervals.npy',
]


@pytest.mark.parametrize('ascii_only', [True, False], ids=['ascii', 'unicode'])
def test_random_patterns_match_one(one_ref, ascii_only):
    """Random globs and regexes (look-around, back-references, classes...) give ONE's rows."""
    extra = (
        [p for p in EXTRA_PATHS if p.isascii() and '\n' not in p] if ascii_only else EXTRA_PATHS
    )
    paths = one_ref._cache['datasets']['rel_path'].tolist() + extra
    ref_df, fast_df = make_pair(paths)
    rng = random.Random(1 if ascii_only else 2)
    globs = [*'ab*?[]!-^./#_', 'alf', 'npy', 'spikes', 'times', 'é', '²', '\\']
    tokens = r'\w \d \s \b alf npy (?<=_) (?=s) (?i) (?P<x>a) (?P=x) \Z \A'
    tokens += r' [[:alpha:]] é (?>a) *+ \n {2}'
    regexes = [*'ab.*+?[]^$|()-\\/#_,2', *tokens.split()]
    for _ in range(400):
        wildcards = rng.random() < 0.5
        pattern = ''.join(
            rng.choice(globs if wildcards else regexes) for _ in range(rng.randint(0, 6))
        )
        slot = rng.choice(['filename', 'collection', 'revision', 'object', 'attribute'])
        if slot in ('object', 'attribute'):
            kwargs = {'filename': {slot: pattern}}
        elif slot == 'revision':
            kwargs = {'revision': pattern, 'revision_last_before': False}
        else:
            kwargs = {slot: pattern}
        if slot == 'filename' and ('{' in pattern or '}' in pattern):
            continue  # deliberate difference, tested below
        kwargs.update(wildcards=wildcards, assert_unique=False)
        ref = call(one_util.filter_datasets, ref_df, **kwargs)
        fast = call(filter_datasets, fast_df, **kwargs)
        assert fast.error_class == ref.error_class, (kwargs, ref.error, fast.error)
        if ref.error is None:
            assert sorted(rel_paths(fast.value)) == sorted(rel_paths(ref.value)), kwargs


def test_posix_class_follows_re2_like_one(one_ref, one_fast):
    # On all-ASCII tables pandas hands these patterns to RE2, which reads POSIX classes.
    for kwargs in (
        {'filename': '[[:alpha:]]+\\.position\\.npy'},
        {'filename': '.*[[:digit:]]+.*'},
    ):
        compare(
            one_ref._cache['datasets'],
            one_fast._cache['datasets'],
            {'assert_unique': False, **kwargs},
        )


def test_lookaround_falls_back_to_python(one_ref, one_fast):
    kwargs = {'filename': r'.*(?<=wheel)\.position\.npy', 'assert_unique': False}
    _, fast = compare(one_ref._cache['datasets'], one_fast._cache['datasets'], kwargs)
    assert sorted(rel_paths(fast.value)) == ['alf/wheel.position.npy', 'wheel.position.npy']


def test_rust_pattern_semantics():
    assert to_rust('a$').text.endswith(r'(?:\n?\z))')  # Python's $ also before a final \n
    assert to_rust(r'a$\n').inner_dollar
    paths = pl.Series(['ab', 'ab\n', 'a\nb'])
    mask = _filters.match_paths(paths, r'ab$\n?')
    assert mask.to_list() == [bool(re.match(r'ab$\n?', p)) for p in paths]


# --- revision helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    'revisions, revision',
    [
        ([], '2020'),
        (['', '2023-02-01', '2023-03-01'], None),
        (['', '2023-02-01'], '2023-02-15'),
        (['2023-02-01'], '2000'),
        (['b', 'a', 'b'], None),
        (['', 'v1', '2023'], 'w'),
        ([''], ''),
    ],
)
def test_index_last_before(revisions, revision):
    assert index_last_before(revisions, revision) == one_util.index_last_before(
        revisions, revision
    )


@pytest.mark.parametrize('assert_consistent', [False, True])
@pytest.mark.parametrize('revision', [None, '2023-02-15', '2000'])
def test_filter_revision_last_before(revision, assert_consistent):
    ref_df, fast_df = make_pair(DF_PATHS)
    ref = call(
        one_util.filter_revision_last_before,
        ref_df.copy(),
        revision,
        assert_consistent=assert_consistent,
    )
    fast = call(
        filter_revision_last_before, fast_df, revision, assert_consistent=assert_consistent
    )
    if ref.error is not None:
        assert_same_error(ref, fast, unordered=True)
    else:
        assert rel_paths(fast.value) == rel_paths(ref.value)
    assert_same_revision_warnings(ref, fast)


# --- deliberate differences ----------------------------------------------------------------------


def test_filename_list_keeps_prefix_for_every_item(one_ref, one_fast):
    """ONE: only the first item gets the collection prefix (contract 5.6 [BUG]). Fixed."""
    names = ['_ibl_trials.choice.npy', '_ibl_trials.goCue_times.npy']
    kwargs = {'collection': 'alf', 'assert_unique': False, 'wildcards': True}
    ref = one_util.filter_datasets(one_ref._cache['datasets'], names, **kwargs)
    fast = filter_datasets(one_fast._cache['datasets'], names, **kwargs)
    assert rel_paths(ref) == ['alf/_ibl_trials.choice.npy']
    assert sorted(rel_paths(fast)) == [
        'alf/_ibl_trials.choice.npy',
        'alf/_ibl_trials.goCue_times.npy',
    ]


@pytest.mark.parametrize(
    'wildcards, pattern', [(False, r'_ibl_trials\.\w{6}\.npy'), (True, '_ibl_trials.choice.np[y]')]
)
def test_braces_are_pattern_text(one_ref, one_fast, wildcards, pattern):
    """ONE passes the file-name pattern through str.format (KeyError on '{6}'). Fixed."""
    kwargs = {'wildcards': wildcards, 'assert_unique': False, 'revision_last_before': False}
    fast = filter_datasets(one_fast._cache['datasets'], pattern, **kwargs)
    assert rel_paths(fast) == ['alf/_ibl_trials.choice.npy']
    with pytest.raises(KeyError):
        one_util.filter_datasets(one_ref._cache['datasets'], r'\w{6}', wildcards=False)


def test_one_warning_per_call(one_fast):
    datasets = one_fast._cache['datasets']
    with pytest.warns(ALFWarning) as caught:
        filter_datasets(datasets, {'object': 'trials'}, 'alf', assert_unique=False)
    assert len(caught) == 1
    # only intervals exists in several revisions (ONE would name every trials dataset)
    assert str(caught[0].message) == (
        'No default revision for dataset alf/_ibl_trials.intervals.npy; using most recent\n'
        'Multiple revisions: "", "2023-03-01"'
    )


def test_single_dataset_warning_is_ones_message(one_fast):
    with pytest.warns(ALFWarning) as caught:
        filter_datasets(
            one_fast._cache['datasets'].filter(pl.col('eid') == EID),
            '_ibl_trials.intervals.npy',
            'alf',
            wildcards=True,
        )
    (message,) = (str(w.message) for w in caught)
    assert re.fullmatch(
        r'No default revision for dataset alf/(#[\d-]+#/)?_ibl_trials.intervals.npy; '
        'using most recent',
        message,
    )
