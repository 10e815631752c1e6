"""``alf_fast.check`` and ``alf-fast check``: every rule fires where it should and nowhere else,
on the generated broken and edge-case trees; a clean IBL-like tree reports nothing."""

import json
import os
import subprocess
import sys

import pytest

from _trees import BAD_NAMES, BROKEN_CASES, build_broken_tree, build_edge_tree
from alf_fast import check
from alf_fast._check import RULES
from alf_fast._corpus import build_ibl_tree
from alf_fast.cache import make_parquet_db
from conftest import one_make_parquet_db

GOOD = 'mylab/Subjects/SWC_001/2023-01-01/001'

#: Every finding expected on each broken tree, as (rule, path relative to the root).
BROKEN_FINDINGS = {
    **{case: {('not_alf_name', f'{GOOD}/{BAD_NAMES[case]}')} for case in BAD_NAMES},
    # In BAD_NAMES too, but there the folders are wrong, not the file name.
    'invalid_collection': {('invalid_folder', f'{GOOD}/sub dir/obj.attr.npy')},
    'collection_after_revision': {('invalid_folder', f'{GOOD}/alf/#v1#/sub/a.b.npy')},
    'empty_session': {('empty_session', 'mylab/Subjects/SWC_002/2023-01-02/001')},
    'session_without_datasets': {('empty_session', 'mylab/Subjects/SWC_002/2023-01-02/001')},
    'only_empty_sessions': {('empty_session', GOOD), ('empty_session', 'sub/2020-01-01/001')},
    'invalid_date': {('invalid_date', 'sub/2020-13-45/001')},
    'nested_session': {('nested_session', f'{GOOD}/raw/SWC_002/2020-01-02/002')},
    'duplicate_session_id': {('hidden_session_copy', '.trash')},
    'dangling_symlink': {('dangling_link', f'{GOOD}/alf/dangling.link.npy')},
    'subjects_under_root': {('session_layout', 'Subjects/sub/2020-01-01/001')},
    'unpadded_number': {('unpadded_number', 'KS005/2022-12-31/1')},
    'unpadded_and_padded': {
        ('unpadded_number', 'KS005/2022-12-31/1'),
        ('duplicate_number', 'KS005/2022-12-31/1'),
        ('duplicate_number', 'KS005/2022-12-31/001'),
    },
    'no_sessions': {
        ('outside_session', 'sub/2020-01-01/x.y.npy'),
        ('outside_session', 'sub/a.b.npy'),
        ('outside_session', 'c.d.npy'),
    },
    'empty_tree': set(),
    'root_is_session': {('session_layout', '.')},
    'symlinked_session': set(),
}


def found(report):
    return {(f.rule, f.path) for f in report.findings}


def test_every_broken_case_has_expectations():
    assert set(BROKEN_FINDINGS) == set(BROKEN_CASES)


@pytest.mark.parametrize('case', BROKEN_CASES)
def test_broken_trees(tmp_path, case):
    root = build_broken_tree(tmp_path / 'data', case)
    report = check(root)
    assert found(report) == BROKEN_FINDINGS[case]
    assert report.ok == (not BROKEN_FINDINGS[case])
    for f in report.findings:
        assert f.fix == RULES[f.rule][2] and f.severity == 'error'


def test_not_alf_names_say_which_part_fails(tmp_path):
    messages = {}
    for case in BAD_NAMES:
        root = build_broken_tree(tmp_path / case, case)
        (finding,) = check(root).findings
        messages[case] = finding.message
    assert messages == {
        'hidden_file_name': 'starts with "." (hidden file)',
        'space_in_name': "object 'bad name' contains a space",
        'pyc_name': "attribute 'cpython-311' contains '-'",
        'trailing_dot_name': 'ends with "."',
        'combining_mark_name': "object 'tri\u0301als' contains U+0301 (COMBINING ACUTE ACCENT)",
        'invalid_collection': "collection folder 'sub dir' contains a space",
        'collection_after_revision': "folder 'sub' after the revision folder '#v1#'",
    }


def test_edge_tree(tmp_path):
    root = tmp_path / 'edge'
    build_edge_tree(root)
    report = check(root)
    s = 'cortexlab/Subjects/KS023/2019-12-10/001'
    outside = {
        'root.level.npy',
        'cortexlab/lab.level.npy',
        'cortexlab/Subjects/subjects.level.npy',
        'cortexlab/Subjects/KS023/subject.level.npy',
        'cortexlab/Subjects/KS023/2019-12-10/date.level.npy',
        'KS099/2020-01-01/0001/alf/x.y.npy',
        'KS099/2020-01-01/notanumber/x.y.npy',
        '_shared/target.data.bin',
    }
    assert found(report) == {
        *(('outside_session', p) for p in outside),
        ('hidden_session_copy', '.trash'),
        ('unpadded_number', 'KS006/2022-01-01/2'),
        ('unpadded_number', 'KS006/2022-01-01/05'),
        ('session_layout', 'extra/notalab/2020-01-01/001'),
        ('session_layout', 'mylab/subjects/lcsub/2020-01-01/001'),
        ('dashed_lab', 'lab-x/Subjects/dashsub/2020-01-01/001'),
        ('namespace', f'{s}/_obj.attr.npy'),
        ('namespace', f'{s}/__ns__obj.attr.npy'),
        ('timescale', f'{s}/obj.attr_timestamps.npy'),
    }
    by_path = {f.path: f for f in report.findings}
    assert by_path[f'{s}/_obj.attr.npy'].message == "ONE reads namespace 'ob', object 'j'"
    assert by_path['lab-x/Subjects/dashsub/2020-01-01/001'].message.startswith(
        "ONE records lab 'x'"
    )
    assert by_path['KS006/2022-01-01/2'].message == 'ONE looks for 002'
    assert not report.ok


def test_clean_ibl_tree_reports_nothing(tmp_path):
    root = tmp_path / 'ibl'
    build_ibl_tree(root, 3000, seed=1)
    report = check(root)
    assert report.findings == []
    assert report.ok and report.datasets == 3000
    assert 'no problems found' in report.summary()


def test_revision_order_warning(tmp_path):
    s = tmp_path / 'sub/2020-01-01/001'
    for rev in ('v9', 'v10', '2023-01-01'):
        (s / f'alf/#{rev}#').mkdir(parents=True)
        (s / f'alf/#{rev}#/obj.attr.npy').write_bytes(b'x')
    (s / 'alf/#v2#').mkdir()  # empty revision folders do not count
    report = check(tmp_path)
    assert [(f.rule, f.path, f.message) for f in report.findings] == [
        (
            'revision_order',
            'sub/2020-01-01/001/alf',
            "#v10# sorts before #v9#, so ONE takes 'v9' as the latest",
        )
    ]
    assert report.ok and len(report.warnings) == 1


@pytest.fixture
def release(tmp_path):
    root = tmp_path / 'rel'
    build_ibl_tree(root, 200, content='npy', seed=2)
    make_parquet_db(root, hash_files=True)
    return root


def test_tables_of_an_unchanged_tree_pass(release):
    report = check(release, tables_dir=release, hash=True)
    assert report.findings == []


def test_tables_against_a_changed_tree(release):
    files = sorted(p for p in release.rglob('*.npy'))
    gone, grown, same_size, new = files[0], files[1], files[2], files[3].with_name('obj.new.npy')
    gone.unlink()
    grown.write_bytes(grown.read_bytes() + b'more')
    data = bytearray(same_size.read_bytes())
    data[-1] ^= 0xFF
    same_size.write_bytes(bytes(data))
    new.write_bytes(b'x')
    rel = lambda p: p.relative_to(release).as_posix()  # noqa: E731
    without_hash = check(release, tables_dir=release)
    assert found(without_hash) == {
        ('missing_on_disk', rel(gone)),
        ('size_mismatch', rel(grown)),
        ('missing_from_tables', rel(new)),
    }
    with_hash = check(release, tables_dir=release, hash=True)
    assert found(with_hash) == found(without_hash) | {('md5_mismatch', rel(same_size))}


def test_tables_built_by_one_api_match_by_natural_keys(tmp_path):
    root = tmp_path / 'one'
    build_ibl_tree(root, 150, content='npy', seed=4)
    one_make_parquet_db(root, hash_files=False)
    assert check(root, tables_dir=root).findings == []


def test_unreadable_tables(tmp_path):
    root = tmp_path / 'data'
    build_ibl_tree(root, 50, seed=5)
    (root / 'sessions.pqt').write_bytes(b'not parquet')
    (root / 'datasets.pqt').write_bytes(b'not parquet')
    report = check(root, tables_dir=root)
    assert [f.rule for f in report.findings] == ['tables_unreadable']


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing'):
        check(tmp_path / 'missing')
    with pytest.raises(ValueError, match='tables_dir'):
        check(tmp_path, hash=True)


def run_cli(*args):
    return subprocess.run(
        [sys.executable, '-m', 'alf_fast.cli', 'check', *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_exit_codes_summary_and_json(tmp_path):
    clean = tmp_path / 'clean'
    build_ibl_tree(clean, 100, seed=6)
    out = run_cli(clean)
    assert out.returncode == 0 and 'no problems found' in out.stdout

    broken = build_broken_tree(tmp_path / 'broken', 'no_sessions')
    out = run_cli(broken, '--limit', '1')
    assert out.returncode == 1
    assert 'ERROR outside_session (3)' in out.stdout
    assert '... and 2 more (--all lists every path)' in out.stdout
    out = run_cli(broken, '--all')
    assert 'c.d.npy' in out.stdout and 'sub/a.b.npy' in out.stdout and '... and' not in out.stdout
    out = run_cli(broken, '--json')
    data = json.loads(out.stdout)
    assert out.returncode == 1
    assert data['counts'] == {'outside_session': 3} and data['errors'] == 3
    paths = {f['path'] for f in data['findings']}
    assert paths == {'c.d.npy', 'sub/a.b.npy', 'sub/2020-01-01/x.y.npy'}
    assert all(f['fix'] == RULES['outside_session'][2] for f in data['findings'])

    assert run_cli(tmp_path / 'missing').returncode == 2
    assert run_cli(clean, '--hash').returncode == 2
    assert run_cli(clean, '--tables', tmp_path / 'nowhere').returncode == 2
    assert run_cli(clean, '--bogus').returncode == 2


def test_cli_tables_default_to_root(tmp_path):
    root = tmp_path / 'data'
    build_ibl_tree(root, 100, content='npy', seed=7)
    make_parquet_db(root, hash_files=True)
    assert run_cli(root, '--tables', '--hash').returncode == 0
    victim = next(root.rglob('*.npy'))
    os.remove(victim)
    out = run_cli(root, '--tables')
    assert out.returncode == 1 and 'missing_on_disk' in out.stdout


def test_unreadable_folder(tmp_path):
    """Run without the capability that lets root read anything."""
    root = build_broken_tree(tmp_path / 'data', 'empty_session')
    locked = root / GOOD / 'alf'
    locked.chmod(0)
    try:
        code = (
            'import json; from alf_fast import check\n'
            f'r = check({str(root)!r})\n'
            'print(json.dumps([(f.rule, f.path, f.message) for f in r.findings]))\n'
        )
        cmd = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search']
        out = subprocess.run(
            [*cmd, sys.executable, '-c', code],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    finally:
        locked.chmod(0o755)
    findings = json.loads(out.stdout)
    assert {(rule, path) for rule, path, _ in findings} == {
        ('unreadable', f'{GOOD}/alf'),
        # Its only dataset could not be seen, so the session looks empty too.
        ('empty_session', GOOD),
        ('empty_session', 'mylab/Subjects/SWC_002/2023-01-02/001'),
    }
    assert 'Permission denied' in next(m for rule, _, m in findings if rule == 'unreadable')
