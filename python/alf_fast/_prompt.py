"""Questions on the terminal, and what to do when there is no one to ask."""

from __future__ import annotations

import sys

__all__ = ['ask', 'interactive']


def interactive() -> bool:
    """Whether stdin is a terminal someone can answer on."""
    stdin = sys.stdin
    try:
        return stdin is not None and not stdin.closed and stdin.isatty()
    except (AttributeError, ValueError):  # replaced or detached streams
        return False


def ask(question: str) -> str | None:
    """Ask `question` on stdin; ``None`` when stdin is not a terminal.

    A batch job, a pipe or a notebook kernel without a terminal would otherwise block or fail
    with ``EOFError`` on ``input()``.
    """
    if not interactive():
        return None
    try:
        return input(question)
    except EOFError:  # Ctrl-D: no answer
        return ''
