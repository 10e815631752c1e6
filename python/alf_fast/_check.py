"""``alf_fast.check``: a validator for ALF trees and data releases.

It walks the tree with the indexer (so at the walk's speed), then applies rules to what the walk
found and reported: every file and folder that ONE would skip, misindex, crash on or be unable
to load later is an *error*; departures from the conventions ONE's specification documents are
*warnings*. With ``tables_dir`` it also checks existing cache tables against the tree, which is
what a data release must pass before it is published.

Rules are defined once, in :data:`RULES`, with the fix shown to the user.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ['RULES', 'CheckReport', 'Finding', 'check']

#: rule -> (severity, what is wrong, how to fix it).
RULES: dict[str, tuple[str, str, str]] = {
    'not_alf_name': (
        'error',
        'file name with two or more dots that is not a valid ALF name; ONE-api indexes it '
        'with a null path and then cannot load its tables',
        'rename it to [_namespace_]object.attribute[_timescale][.extra].extension, or move '
        'it out of the session',
    ),
    'invalid_folder': (
        'error',
        'file below a folder that is not a valid ALF collection or revision; ONE-api records '
        'it under a path that does not exist',
        'collections use letters, digits, "_", "-", "." only; a #revision# folder must be '
        'the last folder before the file',
    ),
    'unpadded_number': (
        'error',
        'session number not zero-padded to three digits; ONE looks for the folder as NNN '
        'and cannot load its files',
        'rename the folder to its three-digit form (1 -> 001)',
    ),
    'duplicate_number': (
        'error',
        'two session folders with the same number spelled differently (1 and 001); '
        'ONE-api cannot load either',
        'merge them into the three-digit folder',
    ),
    'invalid_date': (
        'error',
        'session-like folder whose date is not a real date; it is not indexed (ONE-api fails)',
        'rename the date folder to a real YYYY-MM-DD date',
    ),
    'invalid_session_number': (
        'error',
        'session-like folder whose number is not ASCII digits; it is not indexed',
        'rename the number folder to three ASCII digits',
    ),
    'nested_session': (
        'error',
        'session folder inside another session; ONE-api fails to index the tree',
        'move the inner session out to its own subject/date/number folder',
    ),
    'duplicate_session': (
        'error',
        'second session folder with the same session id (lab/subject/date/number); only the '
        'first is indexed (ONE-api fails)',
        'remove or rename one of the two copies',
    ),
    'dashed_lab': (
        'error',
        'lab folder name with characters other than letters, digits and "_"; ONE records '
        'only the part after the last such character and cannot find the files',
        'rename the lab folder (e.g. "lab-x" -> "lab_x")',
    ),
    'session_layout': (
        'error',
        'session folder not at [lab/Subjects/]subject/date/number below the root; ONE '
        'rebuilds the path from the tables and cannot find its files',
        'move the session to <root>/<lab>/Subjects/<subject>/<date>/<NNN> or '
        '<root>/<subject>/<date>/<NNN>',
    ),
    'hidden_session_copy': (
        'error',
        'hidden folder outside any session that holds session folders; they are not indexed '
        '(ONE-api indexes them too, doubling or breaking the tables)',
        'remove the hidden copy, or move it outside the data root',
    ),
    'empty_session': (
        'error',
        'session folder without any ALF dataset; ONE-api fails to index a tree with one',
        'add its datasets or remove the folder',
    ),
    'dangling_link': (
        'error',
        'symbolic link whose target does not exist; ONE-api fails on it',
        'fix or remove the link',
    ),
    'unreadable': (
        'error',
        'file or folder that cannot be read (permissions, I/O error); ONE-api fails on it',
        'fix its permissions or remove it',
    ),
    'outside_session': (
        'error',
        'ALF-named file outside any session folder; it is not indexed',
        'move it into a session folder, or rename it if it is not a dataset',
    ),
    'namespace': (
        'warning',
        'leading "_" without a namespace ("_ns_object..."); ONE parses the name differently '
        'from what was probably meant',
        'write namespaces as _<letters/digits>_ (e.g. _ibl_trials.intervals.npy) or drop the '
        'leading "_"',
    ),
    'timescale': (
        'warning',
        '"_timestamps" after an attribute is parsed as a timescale named "timestamps", not as '
        'the timestamps attribute',
        'use the attribute "timestamps" (object.timestamps.ext) or camelCase '
        '(object.attrTimestamps.ext)',
    ),
    'revision_order': (
        'warning',
        'revisions of one collection whose plain-string order (the order ONE uses to pick '
        'the latest) differs from their numeric order, e.g. v9 after v10',
        'zero-pad version numbers (v09, v10) or use dates (YYYY-MM-DD) as revision names',
    ),
    'missing_on_disk': (
        'error',
        'dataset in the tables that is not in the tree',
        'rebuild the tables (alf-fast setup ROOT --update) or restore the file',
    ),
    'missing_from_tables': (
        'error',
        'dataset in the tree that is not in the tables',
        'rebuild the tables (alf-fast setup ROOT --update)',
    ),
    'size_mismatch': (
        'error',
        'file size differs from the tables',
        'rebuild the tables (alf-fast setup ROOT --hash --update) or restore the file',
    ),
    'md5_mismatch': (
        'error',
        'file content differs from the md5 in the tables',
        'rebuild the tables (alf-fast setup ROOT --hash --update) or restore the file',
    ),
    'tables_unreadable': (
        'error',
        'cache tables that cannot be read',
        'rebuild them (alf-fast setup ROOT)',
    ),
}

#: The folder of a session nested in a session, from a dataset's relative path.
_SESSION_IN_PATH = r'^((?:[^/]+/)*?[^/]+/\d{4}-\d{2}-\d{2}/\d{1,3})/'
_DIGITS = re.compile(r'\d+')
#: A file name that starts with a proper namespace, ``_<letters/digits>_<object>``.
_GOOD_NAMESPACE = r'(?:^|/)_[A-Za-z0-9]+_[^_./][^/]*$'
#: ``object.attribute_timestamps...``: ONE splits off "timestamps" as a timescale.
_TIMESTAMPS = r'(?:^|/)[^/.]+\.(?:_[a-z]+_)?[a-zA-Z0-9]+_timestamps[_.][^/]*$'
#: How many folders to search inside one hidden folder for a session copy.
_HIDDEN_SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class Finding:
    """One problem: the path, the rule it breaks, and a message saying what and why."""

    path: str
    rule: str
    message: str = ''

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    @property
    def fix(self) -> str:
        return RULES[self.rule][2]


@dataclass
class CheckReport:
    """The result of :func:`check`. ``ok`` is True when there is no error (warnings allowed)."""

    root: Path
    tables_dir: Path | None
    sessions: int
    datasets: int
    seconds: float
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == 'error']

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == 'warning']

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        """Number of findings per rule, in :data:`RULES` order."""
        c = Counter(f.rule for f in self.findings)
        return {rule: c[rule] for rule in RULES if c[rule]}

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def to_dict(self) -> dict:
        return {
            'root': str(self.root),
            'tables_dir': str(self.tables_dir) if self.tables_dir else None,
            'sessions': self.sessions,
            'datasets': self.datasets,
            'seconds': round(self.seconds, 3),
            'ok': self.ok,
            'errors': len(self.errors),
            'warnings': len(self.warnings),
            'counts': self.counts(),
            'findings': [
                {**asdict(f), 'severity': f.severity, 'fix': f.fix} for f in self.findings
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    def summary(self, limit: int | None = 5) -> str:
        """Human summary grouped by rule: counts, what is wrong and how to fix it, and the
        first ``limit`` paths of each rule (all when None)."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        tables = f', tables {self.tables_dir}' if self.tables_dir else ''
        head = (
            f'{self.root}{tables}: {self.sessions:,} sessions, {self.datasets:,} datasets '
            f'checked in {self.seconds:.2f} s'
        )
        if not self.findings:
            return f'{head}\nno problems found'
        lines = [head, f'{n_err:,} error(s), {n_warn:,} warning(s)']
        for rule, count in self.counts().items():
            severity, what, fix = RULES[rule]
            lines += ['', f'{severity.upper()} {rule} ({count:,}): {what}', f'  fix: {fix}']
            shown = self.by_rule(rule)
            if limit is not None:
                shown = shown[:limit]
            for f in shown:
                lines.append(f'  {f.path}' + (f': {f.message}' if f.message else ''))
            if len(shown) < count:
                lines.append(f'  ... and {count - len(shown):,} more (--all lists every path)')
        return '\n'.join(lines)


def check(
    root_dir, tables_dir=None, hash: bool = False, threads: int | None = None
) -> CheckReport:
    """Validate an ALF tree (and optionally its cache tables) without building anything.

    Parameters
    ----------
    root_dir : str, pathlib.Path
        The tree to check.
    tables_dir : str, pathlib.Path, optional
        A folder holding ``sessions.pqt`` and ``datasets.pqt`` to check against the tree
        (datasets missing on disk or from the tables, size mismatches).
    hash : bool
        With ``tables_dir``, also compare the md5 of every file against the tables' ``hash``
        (rows without a hash are skipped).
    threads : int, optional
        Threads for the walk and hashing (default: one per core).

    Returns
    -------
    CheckReport

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        ``root_dir`` or ``tables_dir`` is missing or not a folder.
    """
    from alf_fast.cache import _check_dir, index_tree

    start = time.perf_counter()
    root = _check_dir(root_dir, 'root directory').resolve()
    tables = _check_dir(tables_dir, 'tables directory') if tables_dir is not None else None
    if hash and tables is None:
        raise ValueError('hash=True needs tables_dir: it compares files with the tables')
    sessions, reader, raw = index_tree(root, hash_ids=False, threads=threads)
    datasets = reader.read_all()
    root_str = raw['root']
    ctx = _Context(Path(root_str), sessions, datasets)
    findings: list[Finding] = []
    findings += _walker_findings(ctx, raw)
    findings += _session_findings(ctx)
    findings += _dataset_findings(ctx)
    if tables is not None:
        findings += _table_findings(ctx, tables, hash, threads)
    return CheckReport(
        root=root,
        tables_dir=tables,
        sessions=sessions.num_rows,
        datasets=datasets.num_rows,
        seconds=time.perf_counter() - start,
        findings=findings,
    )


class _Context:
    """What the rules share: the walk's tables and helpers to name paths."""

    def __init__(self, root: Path, sessions: pa.Table, datasets: pa.Table):
        self.root = root
        self.prefix = str(root).rstrip('/') + '/'
        self.sessions = sessions
        self.datasets = datasets
        self.session_paths = sessions.column('path').to_pylist()
        self.session_ids = sessions.column('id').to_pylist()
        self.folder_of = dict(zip(self.session_ids, self.session_paths, strict=True))
        self._folders = set(self.session_paths)

    def rel(self, path: str) -> str:
        """``path`` relative to the root (the root itself is ``'.'``)."""
        if path == str(self.root):
            return '.'
        return path[len(self.prefix) :] if path.startswith(self.prefix) else path

    def session_of(self, path: str) -> str | None:
        """The session folder holding ``path``, if any."""
        folders = self._folders
        p = path
        while True:
            parent = os.path.dirname(p)
            if parent == p:
                return None
            if parent in folders:
                return parent
            p = parent


# ---------------------------------------------------------------------------------------------
# What the walker reported
# ---------------------------------------------------------------------------------------------


def _walker_findings(ctx: _Context, raw: dict) -> list[Finding]:
    out = []
    bad_folders = []
    for path, kind, message in raw['issues']:
        rel = ctx.rel(path)
        if kind == 'bad_session_folder':
            bad_folders.append(path + '/')
            rule = 'invalid_date' if 'real date' in message else 'invalid_session_number'
            out.append(Finding(rel, rule, message.split(': ', 1)[-1]))
        elif kind == 'duplicate_session':
            out.append(Finding(rel, 'duplicate_session', message.split(': ', 1)[-1]))
        elif message.startswith('broken symbolic link'):
            target = _link_target(path)
            out.append(Finding(rel, 'dangling_link', f'points to {target}' if target else ''))
        else:  # unreadable or vanished during the walk
            out.append(Finding(rel, 'unreadable', message))
    for path, _kind, message in raw['skipped']:
        session = ctx.session_of(path)
        within = path[len(session) + 1 :] if session else os.path.basename(path)
        if message.startswith('skipped: folder names'):
            out.append(Finding(ctx.rel(path), 'invalid_folder', _why_bad_folders(within)))
        else:
            name = os.path.basename(path)
            out.append(Finding(ctx.rel(path), 'not_alf_name', _why_not_alf(name)))
    for path, kind, _message in raw.get('notes', ()):
        if kind == 'hidden_folder':
            inside = _first_session_in(path)
            if inside:
                out.append(
                    Finding(
                        ctx.rel(path),
                        'hidden_session_copy',
                        f'holds session folders, e.g. {os.path.relpath(inside, path)}',
                    )
                )
        elif not any(path.startswith(b) for b in bad_folders):
            # Files below a folder already reported as a bad session are explained there.
            out.append(Finding(ctx.rel(path), 'outside_session'))
    return out


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ''


def _first_session_in(folder: str) -> str | None:
    """The first session-shaped folder (``subject/YYYY-MM-DD/N``) below ``folder``."""
    seen = 0
    for dirpath, dirnames, _ in os.walk(folder):
        seen += 1
        if seen > _HIDDEN_SCAN_LIMIT:
            return None
        parts = dirpath.split('/')
        if (
            len(parts) >= 3
            and re.fullmatch(r'\d{1,3}', parts[-1])
            and re.fullmatch(r'\d{4}-\d{2}-\d{2}', parts[-2])
            and len(dirpath) > len(folder) + len(parts[-1]) + len(parts[-2]) + 2
        ):
            return dirpath
        dirnames.sort()
    return None


def _bad_chars(text: str, allowed: str) -> str:
    """The characters of ``text`` that do not match the regex class ``allowed``, described."""
    bad = []
    for ch in dict.fromkeys(text):
        if not re.fullmatch(f'[{allowed}]', ch):
            name = unicodedata.name(ch, '')
            bad.append(repr(ch) if not name or (ch.isprintable() and ch != ' ') else name)
            if ch == ' ':
                bad[-1] = 'a space'
            elif unicodedata.combining(ch):
                bad[-1] = f'U+{ord(ch):04X} ({name})'
    return ', '.join(bad)


def _why_not_alf(name: str) -> str:
    """Which part of a file name breaks ALF's pattern, in words."""
    if name.startswith('.'):
        return 'starts with "." (hidden file)'
    if name.endswith('.'):
        return 'ends with "."'
    if '..' in name:
        return 'has an empty part ("..")'
    parts = name.split('.')
    first, attribute, extension = parts[0], parts[1], parts[-1]
    extras = parts[2:-1]
    obj = re.sub(r'^_[A-Za-z0-9]+_', '', first) if first.startswith('_') else first
    checks = (
        ('object', obj, r'\w'),
        ('attribute', attribute, r'\w'),
        *(('extra part', e, r'\w-') for e in extras),
        ('extension', extension, r'\w'),
    )
    for what, text, allowed in checks:
        bad = _bad_chars(text, allowed)
        if bad:
            return f'{what} {text!r} contains {bad}'
        if not text:
            return f'{what} is empty'
    if not re.fullmatch(r'(?:_[a-z]+_)?[a-zA-Z0-9]+(?:_\w+)?', attribute):
        return f'attribute {attribute!r} must start with letters or digits'
    return "does not match ONE's file name pattern"


def _why_bad_folders(within: str) -> str:
    """Which folder between the session and the file is not a valid collection/revision."""
    folders = within.split('/')[:-1]
    for i, folder in enumerate(folders):
        if folder.startswith('#') and folder.endswith('#') and len(folder) > 1:
            if i < len(folders) - 1:
                return f'folder {folders[i + 1]!r} after the revision folder {folder!r}'
            bad = _bad_chars(folder[1:-1], r'\w.-')
            if bad:
                return f'revision {folder!r} contains {bad}'
        else:
            bad = _bad_chars(folder, r'\w.-')
            if bad:
                return f'collection folder {folder!r} contains {bad}'
    return 'not a valid collection/revision'


# ---------------------------------------------------------------------------------------------
# Session folders
# ---------------------------------------------------------------------------------------------


def _session_findings(ctx: _Context) -> list[Finding]:
    out = []
    s = ctx.sessions
    labs = s.column('lab').to_pylist()
    subjects = s.column('subject').to_pylist()
    dates = [str(d) for d in s.column('date').to_pylist()]
    numbers = s.column('number').to_pylist()
    by_number = defaultdict(list)
    for path, lab, subject, date, number in zip(
        ctx.session_paths, labs, subjects, dates, numbers, strict=True
    ):
        rel = ctx.rel(path)
        parts = rel.split('/')
        unpadded = len(os.path.basename(path)) != 3
        if unpadded:
            out.append(Finding(rel, 'unpadded_number', f'ONE looks for {number:03d}'))
        by_number[(lab, subject, date, number)].append(rel)
        dashed = len(parts) >= 5 and parts[-4] == 'Subjects' and parts[-5] != lab and lab
        if dashed:
            out.append(
                Finding(
                    rel,
                    'dashed_lab',
                    f'ONE records lab {lab!r} and looks for {lab}/Subjects/{subject}/...',
                )
            )
            continue
        expected = f'{subject}/{date}/{number:03d}'
        if lab:
            expected = f'{lab}/Subjects/{expected}'
        padded = '/'.join([*parts[:-1], f'{number:03d}']) if rel != '.' else '.'
        if padded != expected:
            out.append(Finding(rel, 'session_layout', f'ONE looks for <root>/{expected}'))
    for rels in by_number.values():
        if len(rels) > 1:
            for rel in rels:
                others = ', '.join(r for r in rels if r != rel)
                out.append(Finding(rel, 'duplicate_number', f'same session as {others}'))
    used = set(ctx.datasets.column('eid').unique().to_pylist())
    for eid, path in zip(ctx.session_ids, ctx.session_paths, strict=True):
        if eid not in used:
            out.append(Finding(ctx.rel(path), 'empty_session'))
    return out


# ---------------------------------------------------------------------------------------------
# Datasets: nested sessions and naming conventions
# ---------------------------------------------------------------------------------------------


def _rows(table: pa.Table, pattern: str, column: str = 'rel_path') -> pa.Table:
    """The rows of ``table`` whose ``column`` matches the (RE2) ``pattern``."""
    return table.filter(pc.match_substring_regex(table.column(column), pattern))


def _dataset_findings(ctx: _Context) -> list[Finding]:
    # pyarrow's RE2 kernels, not polars: importing polars would cost more than these scans.
    # Each pattern is a quick reject for nearly every row; Python only sees the matches.
    ds = ctx.datasets.select(['eid', 'rel_path'])
    out = []
    seen = set()
    for eid, rel in _pairs(_rows(ds, _SESSION_IN_PATH)):
        inner = re.match(_SESSION_IN_PATH, rel).group(1)  # type: ignore[union-attr]
        if (eid, inner) not in seen:
            seen.add((eid, inner))
            folder = ctx.rel(f'{ctx.folder_of[eid]}/{inner}')
            out.append(Finding(folder, 'nested_session', f'inside {ctx.rel(ctx.folder_of[eid])}'))
    leading = _rows(ds, r'(?:^|/)_[^/]*$')
    odd_namespace = leading.filter(
        pc.invert(pc.match_substring_regex(leading.column('rel_path'), _GOOD_NAMESPACE))
    )
    for rule, rows in (('namespace', odd_namespace), ('timescale', _rows(ds, _TIMESTAMPS))):
        for eid, rel in _pairs(rows):
            where = ctx.rel(f'{ctx.folder_of[eid]}/{rel}')
            out.append(Finding(where, rule, _convention(rule, rel)))
    groups = defaultdict(dict)
    for eid, rel in _pairs(_rows(ds, r'#[^/#]+#/[^/]+$')):
        collection, _, revision = rel.rpartition('#/')[0].rpartition('#')
        groups[(eid, collection.rstrip('/'))][revision] = None
    for (eid, collection), revs in groups.items():
        pair = _misordered(list(revs))
        if pair:
            where = '/'.join(p for p in (ctx.rel(ctx.folder_of[eid]), collection) if p)
            out.append(
                Finding(
                    where,
                    'revision_order',
                    f'#{pair[0]}# sorts before #{pair[1]}#, so ONE takes {pair[1]!r} as the '
                    'latest',
                )
            )
    return out


def _pairs(rows: pa.Table):
    return zip(rows.column('eid').to_pylist(), rows.column('rel_path').to_pylist(), strict=True)


def _convention(rule: str, rel: str) -> str:
    from alf_fast._alf_fast import rel_path_parts

    parts = rel_path_parts([rel])[0]
    if parts is None:
        return ''
    _, _, namespace, obj, attribute, timescale, _, _ = parts
    if rule == 'namespace':
        return f'ONE reads namespace {namespace!r}, object {obj!r}'
    return f'ONE reads attribute {attribute!r}, timescale {timescale!r}'


def _natural(text: str) -> list:
    return [(0, int(t), '') if t.isdigit() else (1, 0, t) for t in re.split(r'(\d+)', text) if t]


def _misordered(revisions: list[str]) -> tuple[str, str] | None:
    """Two revisions, string-order neighbours, whose numeric order is the reverse: the first
    is numerically later but sorts earlier (``('v10', 'v9')``)."""
    by_string = sorted(revisions)
    for a, b in itertools.pairwise(by_string):
        if _natural(a) > _natural(b):
            return a, b
    return None


# ---------------------------------------------------------------------------------------------
# Tables against the tree
# ---------------------------------------------------------------------------------------------


def _table_findings(ctx: _Context, tables: Path, hash: bool, threads: int | None) -> list[Finding]:
    import polars as pl

    from alf_fast._tables import load_tables

    fn_dsets = tables / 'datasets.pqt'
    missing = [n for n in ('sessions.pqt', 'datasets.pqt') if not (tables / n).is_file()]
    if missing:
        return [Finding(str(tables), 'tables_unreadable', f'no {" or ".join(missing)}')]
    try:
        # ONE's loader semantics: any layout ONE-api reads (old formats included) checks.
        loaded = load_tables(tables)
    except (OSError, ValueError, pa.ArrowException) as e:
        return [Finding(str(tables), 'tables_unreadable', str(e))]
    t_ses = loaded['sessions'].to_arrow()
    t_ds = loaded['datasets'].select(['eid', 'rel_path', 'file_size', 'hash', 'exists'])

    # Sessions are matched by their natural key, so tables with other ids (ONE-api's random
    # ones) compare too; a tree session without a lab folder also matches a table row whose
    # lab came from `lab=`.
    def key(subject, date, number):
        return f'{subject}/{str(date)[:10]}/{-1 if number is None else int(number)}'

    walk_full, walk_short, walk_any = {}, {}, {}
    s = ctx.sessions
    for eid, lab, subject, date, number in zip(
        *(s.column(c).to_pylist() for c in ('id', 'lab', 'subject', 'date', 'number')),
        strict=True,
    ):
        k = key(subject, date, number)
        (walk_full if lab else walk_short)[f'{lab}/{k}' if lab else k] = eid
        walk_any.setdefault(k, eid)
    table_to_walk = {}
    for tid, lab, subject, date, number in zip(
        *(t_ses.column(c).to_pylist() for c in ('id', 'lab', 'subject', 'date', 'number')),
        strict=True,
    ):
        k = key(subject, date, number)
        match = walk_full.get(f'{lab}/{k}') if lab else None
        table_to_walk[str(tid)] = match or walk_short.get(k) or (None if lab else walk_any.get(k))

    walk = pl.DataFrame(ctx.datasets.select(['eid', 'rel_path', 'file_size']))
    tab = t_ds
    mapping = pl.DataFrame(
        {'eid': list(table_to_walk), 'weid': list(table_to_walk.values())},
        schema={'eid': pl.String, 'weid': pl.String},
    )
    tab = (
        tab.with_columns(pl.col('eid').cast(pl.String))
        .join(mapping, on='eid', how='left')
        .filter(pl.col('exists').fill_null(True))
    )
    joined = walk.rename({'eid': 'weid'}).join(
        tab.rename({'file_size': 'table_size'}),
        on=['weid', 'rel_path'],
        how='full',
        coalesce=False,
    )
    out = []

    def path_of(weid, rel, teid=None):
        if weid is not None:
            return ctx.rel(f'{ctx.folder_of[weid]}/{rel}')
        return f'<session {teid}>/{rel}'

    missing_disk = joined.filter(pl.col('weid').is_null() | pl.col('file_size').is_null())
    for row in missing_disk.select(['weid_right', 'rel_path_right', 'eid']).iter_rows():
        weid, rel, teid = row
        where = path_of(weid, rel, teid) if weid else f'session {teid}: {rel}'
        out.append(Finding(where, 'missing_on_disk', f'listed in {fn_dsets.name}'))
    missing_tab = joined.filter(pl.col('rel_path_right').is_null())
    for weid, rel in missing_tab.select(['weid', 'rel_path']).iter_rows():
        out.append(Finding(path_of(weid, rel), 'missing_from_tables'))
    both = joined.filter(
        pl.col('file_size').is_not_null() & pl.col('rel_path_right').is_not_null()
    )
    same_size = pl.col('table_size').cast(pl.UInt64) == pl.col('file_size')
    sizes = both.filter(pl.col('table_size').is_not_null() & ~same_size)
    for weid, rel, size, tsize in sizes.select(
        ['weid', 'rel_path', 'file_size', 'table_size']
    ).iter_rows():
        out.append(Finding(path_of(weid, rel), 'size_mismatch', f'{size} bytes, tables {tsize}'))
    if hash:
        from alf_fast._alf_fast import md5_files

        todo = both.filter(
            (pl.col('hash').is_not_null())
            & (pl.col('hash') != '')
            & (pl.col('table_size').is_null() | same_size)
        ).select(['weid', 'rel_path', 'hash'])
        rows = list(todo.iter_rows())
        digests = md5_files([f'{ctx.folder_of[w]}/{r}' for w, r, _ in rows], threads=threads or 0)
        for (weid, rel, expected), got in zip(rows, digests, strict=True):
            if got is None:
                message = 'could not be hashed (vanished, not a regular file or kept changing)'
                out.append(Finding(path_of(weid, rel), 'md5_mismatch', message))
            elif got != expected.lower():
                message = f'{got}, tables {expected}'
                out.append(Finding(path_of(weid, rel), 'md5_mismatch', message))
    return out
