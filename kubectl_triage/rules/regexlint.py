"""Patterns that make `re` backtrack without bound, found before a rule is accepted.

Python's `re` backtracks: `(a+)+$` takes exponential time on "aaaa…!", and a search pattern
that opens with an unbounded repeat (`\\w*Timeout`, `\\d+/\\d+ nodes`) is retried at every
position of a long run of word characters or digits, quadratic in its length. Log lines
are written by whoever reaches the service, so a user's rule (~/.config/kubectl-triage/
rules.yaml is loaded by every command) and every built-in one must be free of both shapes;
records.py cuts lines to 64 KiB, which bounds what is left. Imports `re` only.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT))


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` can take more than linear time on a hostile line, or None."""
    try:
        parsed = _p.parse(pattern, re.IGNORECASE)
    except re.error:
        return None  # the caller's compile reports it
    if _nested(list(parsed), inside_unbounded=False):
        return "a repeat inside an unbounded repeat (like (a+)+) can take exponential time"
    for first in _openings(list(parsed)):
        if _unbounded(first):
            return ("it opens with an unbounded repeat, retried at every position of a long "
                    "line: drop it, or anchor it with \\b")
    return None


def _unbounded(item: tuple[Any, Any]) -> bool:
    op, av = item
    return op in _REPEATS and av[1] == _c.MAXREPEAT


def _openings(items: list[Any]) -> list[tuple[Any, Any]]:
    """The first element of every way the pattern can start (through groups and branches)."""
    if not items:
        return []
    op, av = items[0]
    if op == _c.SUBPATTERN:
        return _openings(list(av[-1]))
    if op == _c.BRANCH:
        return [first for branch in av[1] for first in _openings(list(branch))]
    return [items[0]]


def _nested(items: list[Any], *, inside_unbounded: bool) -> bool:
    """An unbounded repeat inside another whose body has no fixed character to split the
    ways it can match ((a+)+, (\\w+\\s?)*); `(?:\\w+\\.)*` is safe: each turn ends in '.'."""
    for op, av in items:
        if op in _REPEATS:
            unbounded = av[1] == _c.MAXREPEAT
            body = list(av[2])
            if unbounded and inside_unbounded:
                return True
            inner = inside_unbounded or (unbounded and not _has_separator(body))
            if _nested(body, inside_unbounded=inner):
                return True
        elif op == _c.SUBPATTERN:
            if _nested(list(av[-1]), inside_unbounded=inside_unbounded):
                return True
        elif op == _c.BRANCH and any(
            _nested(list(b), inside_unbounded=inside_unbounded) for b in av[1]
        ):
            return True
    return False


def _has_separator(body: list[Any]) -> bool:
    """A literal character every turn of the repeat must match."""
    for op, av in body:
        if op == _c.LITERAL:
            return True
        if op == _c.SUBPATTERN and _has_separator(list(av[-1])):
            return True
    return False
