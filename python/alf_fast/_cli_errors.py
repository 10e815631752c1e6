"""Exit codes of the ``alf-fast`` command and the error that carries one.

Kept apart from :mod:`alf_fast.cli` so that ``python -m alf_fast.cli``, where that module runs
as ``__main__``, and the sub-command modules share one class.
"""

from __future__ import annotations

__all__ = ['BROKEN_PIPE', 'FOUND', 'INTERRUPTED', 'NOT_FOUND', 'USAGE', 'CliError']

#: Exit codes: 0, 1 and 2 as grep uses them; 130 and 141 as for SIGINT and SIGPIPE.
FOUND, NOT_FOUND, USAGE = 0, 1, 2
INTERRUPTED, BROKEN_PIPE = 130, 141


class CliError(Exception):
    """A failure to report as one line on stderr with an exit code (2 unless told)."""

    def __init__(self, message: str, code: int = USAGE):
        super().__init__(message)
        self.code = code
