"""The Rust parser used by the indexer against ONE-api's regular expressions, over the same
thousands of generated names and paths the Python mirrors are tested with."""

import random

import one.alf.path as one_path
import one.alf.spec as one_spec

from alf_fast import _alf_fast
from test_path import PATHS, relative_part
from test_spec import NAMES, SESSIONS


# Python's `$` also matches before a final newline; the Rust parser deliberately does not
# (such names are not real files worth indexing), so those are compared as invalid.
def newline_free(values):
    return [v for v in values if not v.endswith('\n')]


def rel_paths():
    """Relative dataset paths: the generated names under generated collections and revisions,
    plus the relative parts of the generated full paths."""
    rng = random.Random(99)
    collections = ['', 'alf', 'alf/probe00', '.hidden', 'ålf', 'sub dir', 'a#b', 'alf//probe']
    revisions = ['', '#v1#', '#2023-01-01#', '#bad rev#', '##', '#ü#', '#v1#/#v2#']
    out = []
    for name in NAMES:
        folders = [f for f in (rng.choice(collections), rng.choice(revisions)) if f]
        out.append('/'.join([*folders, name]))
    out += [relative_part(p) for p in PATHS]
    return newline_free(out)


def test_is_valid_filename_matches_one():
    names = newline_free(NAMES)
    assert len(names) > 3000
    assert _alf_fast.is_valid_filename(names) == [one_spec.is_valid(n) for n in names]
    assert 0.2 * len(names) < sum(map(one_spec.is_valid, names)) < 0.9 * len(names)


def test_rel_path_parts_match_one():
    paths = rel_paths()
    ours = _alf_fast.rel_path_parts(paths)
    theirs = [one_path.rel_path_parts(p, assert_valid=False) for p in paths]
    theirs = [None if all(v is None for v in t) else t for t in theirs]
    mismatches = [(p, o, t) for p, o, t in zip(paths, ours, theirs, strict=True) if o != t]
    assert mismatches == []
    assert sum(t is not None for t in theirs) > 1000


def test_session_parts_match_one():
    paths = newline_free(SESSIONS + PATHS)
    # is_session_path strips slashes at both ends first; the walker never passes any.
    anchored = _alf_fast.session_path_parts([p.strip('/') for p in paths], anchored=True)
    searched = _alf_fast.session_path_parts(paths, anchored=False)
    for path, a, s in zip(paths, anchored, searched, strict=True):
        parts = one_path.session_path_parts(path, assert_valid=False)
        assert s == (None if parts[1] is None else parts), path
        assert (a is not None) == one_spec.is_session_path(path.strip('/')), path


def test_the_indexer_uses_this_parser(tmp_path):
    """A name ONE rejects only through Python's \\w (a combining accent) is skipped."""
    from alf_fast.cache import build_cache

    session = tmp_path / 'sub/2020-01-01/001'
    session.mkdir(parents=True)
    (session / 'tri\u0301als.intervals.npy').write_bytes(b'')
    (session / 'tríals.intervals.npy').write_bytes(b'')
    report = build_cache(tmp_path)
    assert report.datasets == 1 and len(report.skipped) == 1
