"""Dataset-name patterns: ONE's glob translation and a Python-regex to Rust-regex converter.

ONE matches ``rel_path`` strings with Python regular expressions built from shell globs
(``fnmatch.translate`` of Python 3.11) or from the user's own regexes. polars evaluates regexes
with the Rust ``regex`` crate, which differs from Python's ``re`` in syntax and in a few
semantics. Rather than hand the user's text to Rust, each pattern is parsed with Python's own
parser (so every construct means what it means to ``re``) and re-emitted in Rust syntax:

* ``\\w``, ``\\d`` and ``\\s`` become explicit classes computed from Python's ``re`` itself,
  because the Rust classes follow UTS#18 and disagree with Python on some code points;
* a trailing ``$`` becomes ``\\n?\\z`` (Python's ``$`` also matches before a final newline);
* constructs Rust cannot express (look-around, back-references, atomic groups, possessive
  repeats, the ASCII flag) raise :class:`Unsupported`, and the caller falls back to ``re``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

try:  # Python >= 3.11
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

__all__ = ['Unsupported', 'to_rust', 'translate_glob']

_STAR = object()
# Never matches: stands in for the look-ahead `(?!)` that fnmatch emits for an empty range.
_NOTHING = r'[^\x00-\U0010ffff]'


class Unsupported(ValueError):
    """The pattern uses a construct that the Rust regex engine cannot reproduce."""


def _glob_tokens(pat: str) -> list:
    """First pass of Python 3.11's ``fnmatch.translate``: regex pieces and star markers."""
    res: list = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        i += 1
        if c == '*':
            if not res or res[-1] is not _STAR:
                res.append(_STAR)
        elif c == '?':
            res.append('.')
        elif c == '[':
            j = i
            if j < n and pat[j] == '!':
                j += 1
            if j < n and pat[j] == ']':
                j += 1
            while j < n and pat[j] != ']':
                j += 1
            if j >= n:
                res.append('\\[')
                continue
            stuff = pat[i:j]
            if '-' not in stuff:
                stuff = stuff.replace('\\', r'\\')
            else:
                chunks = []
                k = i + 2 if pat[i] == '!' else i + 1
                while True:
                    k = pat.find('-', k, j)
                    if k < 0:
                        break
                    chunks.append(pat[i:k])
                    i = k + 1
                    k += 3
                chunk = pat[i:j]
                if chunk:
                    chunks.append(chunk)
                else:
                    chunks[-1] += '-'
                # A descending range is invalid in re: fnmatch drops it.
                for k in range(len(chunks) - 1, 0, -1):
                    if chunks[k - 1][-1] > chunks[k][0]:
                        chunks[k - 1] = chunks[k - 1][:-1] + chunks[k][1:]
                        del chunks[k]
                stuff = '-'.join(s.replace('\\', r'\\').replace('-', r'\-') for s in chunks)
            stuff = re.sub(r'([&~|])', r'\\\1', stuff)
            i = j + 1
            if not stuff:
                res.append(None)  # empty range: matches nothing
            elif stuff == '!':
                res.append('.')
            else:
                if stuff[0] == '!':
                    stuff = '^' + stuff[1:]
                elif stuff[0] in ('^', '['):
                    stuff = '\\' + stuff
                res.append(f'[{stuff}]')
        else:
            res.append(re.escape(c))
    return res


@lru_cache(maxsize=1024)
def translate_glob(pat: str, atomic: bool = True) -> str:
    """Translate a shell glob exactly as Python 3.11's ``fnmatch.translate`` does.

    Parameters
    ----------
    pat : str
        A shell pattern (``*``, ``?``, ``[seq]``, ``[!seq]``).
    atomic : bool
        If true, the output is character for character that of Python 3.11 (atomic groups and
        ``(?!)``). If false, atomic groups become plain groups and ``(?!)`` a class that matches
        nothing: a form the Rust converter accepts. Both match the same strings, because
        ``.*?`` followed by a fixed-length piece finds its earliest match either way.

    Returns
    -------
    str
        The regex, wrapped as ``(?s:...)\\Z``.
    """
    if not isinstance(pat, str):
        raise TypeError(f'a glob pattern must be a str, not {type(pat).__name__}')
    toks = [('(?!)' if atomic else _NOTHING) if t is None else t for t in _glob_tokens(pat)]
    out: list[str] = []
    i, n = 0, len(toks)
    while i < n and toks[i] is not _STAR:
        out.append(toks[i])
        i += 1
    while i < n:
        i += 1  # the star
        if i == n:
            out.append('.*')
            break
        fixed = []
        while i < n and toks[i] is not _STAR:
            fixed.append(toks[i])
            i += 1
        fixed_s = ''.join(fixed)
        if i == n:
            out.append('.*' + fixed_s)
        else:
            out.append(f'(?>.*?{fixed_s})' if atomic else f'(?:.*?{fixed_s})')
    return f'(?s:{"".join(out)})\\Z'


# --- Python regex -> Rust regex ----------------------------------------------------------


@cache
def _python_class(category: str) -> str:
    """Body of a Rust class equal to Python's ``\\w``, ``\\d`` or ``\\s`` on ``str``."""
    every = ''.join(map(chr, range(0x110000)))
    return ''.join(
        f'\\x{{{m.start():x}}}'
        if m.end() - m.start() == 1
        else f'\\x{{{m.start():x}}}-\\x{{{m.end() - 1:x}}}'
        for m in re.finditer(f'\\{category}+', every)
    )


def _category(code) -> str:
    table = {
        _c.CATEGORY_WORD: ('w', False),
        _c.CATEGORY_NOT_WORD: ('w', True),
        _c.CATEGORY_DIGIT: ('d', False),
        _c.CATEGORY_NOT_DIGIT: ('d', True),
        _c.CATEGORY_SPACE: ('s', False),
        _c.CATEGORY_NOT_SPACE: ('s', True),
    }
    if code not in table:
        raise Unsupported(f'category {code}')
    name, negated = table[code]
    return f'[{"^" if negated else ""}{_python_class(name)}]'


def _char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    if 0xD800 <= code <= 0xDFFF:
        raise Unsupported('surrogate code point')
    return f'\\x{{{code:x}}}'


_FLAG_LETTERS = ((re.IGNORECASE, 'i'), (re.MULTILINE, 'm'), (re.DOTALL, 's'))


def _flag_text(add: int, remove: int) -> str:
    if (add | remove) & (re.ASCII | re.LOCALE):
        raise Unsupported('ASCII/LOCALE flag')
    on = ''.join(ch for f, ch in _FLAG_LETTERS if add & f)
    off = ''.join(ch for f, ch in _FLAG_LETTERS if remove & f)
    return on + ('-' + off if off else '')


class _Emitter:
    """Walks a parsed Python pattern and writes the equivalent Rust pattern."""

    def __init__(self, names: dict[int, str], keep_groups: bool):
        self.names = names
        self.keep_groups = keep_groups
        self.inner_dollar = False  # a `$` followed by more pattern: exact only without newlines
        self.boundary = False  # `\b`/`\B`: Unicode word boundaries differ slightly

    def seq(self, items, terminal: bool, multiline: bool) -> str:
        last = len(items) - 1
        return ''.join(
            self.node(op, av, terminal and i == last, multiline)
            for i, (op, av) in enumerate(items)
        )

    def node(self, op, av, terminal: bool, multiline: bool) -> str:
        if op is _c.LITERAL:
            return _char(av)
        if op is _c.NOT_LITERAL:
            return f'[^{_char(av)}]'
        if op is _c.ANY:
            return '.'
        if op is _c.IN:
            return self.klass(av)
        if op is _c.CATEGORY:
            return _category(av)
        if op is _c.BRANCH:
            return '(?:' + '|'.join(self.seq(b, terminal, multiline) for b in av[1]) + ')'
        if op is _c.SUBPATTERN:
            group, add, remove, body = av
            if add & re.MULTILINE:
                multiline = True
            if remove & re.MULTILINE:
                multiline = False
            inner = self.seq(body, terminal, multiline)
            flags = _flag_text(add, remove)
            if self.keep_groups and group is not None and group in self.names:
                inner = f'(?P<{self.names[group]}>{inner})'
                return f'(?{flags}:{inner})' if flags else inner
            return f'(?{flags}:{inner})'
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, body = av
            text = '(?:' + self.seq(body, False, multiline) + ')'
            if hi is _c.MAXREPEAT:
                quant = {0: '*', 1: '+'}.get(lo, f'{{{lo},}}')
            elif lo == hi:
                quant = f'{{{lo}}}'
            elif (lo, hi) == (0, 1):
                quant = '?'
            else:
                quant = f'{{{lo},{hi}}}'
            return text + quant + ('?' if op is _c.MIN_REPEAT else '')
        if op is _c.AT:
            return self.at(av, terminal, multiline)
        raise Unsupported(str(op))

    def at(self, code, terminal: bool, multiline: bool) -> str:
        if code is _c.AT_BEGINNING:
            return '^'
        if code is _c.AT_BEGINNING_STRING:
            return r'\A'
        if code is _c.AT_END_STRING:
            return r'\z'
        if code is _c.AT_END:
            if multiline:
                return '$'  # both engines: before any newline or at the end
            if terminal:
                return r'(?:\n?\z)'
            self.inner_dollar = True
            return r'\z'
        if code in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            self.boundary = True
            return r'\b' if code is _c.AT_BOUNDARY else r'\B'
        raise Unsupported(str(code))

    def klass(self, items) -> str:
        negate = ''
        body = []
        for op, av in items:
            if op is _c.NEGATE:
                negate = '^'
            elif op is _c.LITERAL:
                body.append(_char(av))
            elif op is _c.RANGE:
                lo, hi = av
                if lo <= 0xDFFF and hi >= 0xD800 and (lo >= 0xD800 or hi <= 0xDFFF):
                    raise Unsupported('surrogate range')
                body.append(f'\\x{{{lo:x}}}-\\x{{{hi:x}}}')
            elif op is _c.CATEGORY:
                body.append(_category(av))  # a nested class: Rust takes the union
            else:
                raise Unsupported(str(op))
        if not body:
            raise Unsupported('empty class')
        return f'[{negate}{"".join(body)}]'


class RustPattern:
    """A Python pattern re-expressed for the Rust engine.

    Attributes
    ----------
    text : str
        The Rust pattern, anchored at the start like ``re.match``.
    inner_dollar : bool
        The pattern has a ``$`` with more pattern after it; exact only if no string contains a
        newline.
    boundary : bool
        The pattern uses ``\\b`` or ``\\B``; exact only on ASCII strings.
    """

    __slots__ = ('boundary', 'inner_dollar', 'text')

    def __init__(self, text: str, inner_dollar: bool, boundary: bool):
        self.text = text
        self.inner_dollar = inner_dollar
        self.boundary = boundary


@lru_cache(maxsize=512)
def to_rust(pattern: str, keep_groups: bool = False) -> RustPattern:
    """Convert a Python regex into a Rust regex with the same ``re.match`` semantics.

    Parameters
    ----------
    pattern : str
        A pattern that Python's ``re`` compiles.
    keep_groups : bool
        If true, named groups stay capturing (for ``str.extract_groups``); all other groups
        become non-capturing.

    Returns
    -------
    RustPattern

    Raises
    ------
    Unsupported
        The pattern uses a construct the Rust engine cannot reproduce.
    """
    parsed = _parser.parse(pattern)
    state = parsed.state
    flags = state.flags & ~(re.UNICODE | re.VERBOSE | re.DEBUG)
    names = {v: k for k, v in state.groupdict.items()}
    emitter = _Emitter(names, keep_groups)
    body = emitter.seq(list(parsed), True, bool(flags & re.MULTILINE))
    lead = _flag_text(flags, 0)
    text = (f'(?{lead})' if lead else '') + rf'\A(?:{body})'
    return RustPattern(text, emitter.inner_dollar, emitter.boundary)
