"""The prefilter's literals of a rule, derived from its regexes: never written by hand.

For each pattern, a set of lower-case strings one of which every match contains; a log line
that holds none of a rule's literals cannot match it, so the prefilter (scan.py) never parses
it. The analysis walks the parsed regex (`re`'s own parser) as Russ Cox's trigram index does:
each piece of the regex gets the exact strings it matches (while they are few), the strings
its matches start and end with, and strings every match contains; a sequence crosses its
pieces' sets, so `status(?:_code)?[=:] ?503` yields `status=503`, `status_code: 503` …,
not the `status` that half of all access logs hold. Among the sets that are certain, the one
whose strings occur least in rules/normal-traffic.txt wins, then the longest shortest string
(up to 7 characters), then the fewest strings. When nothing of 3+ characters is certain
(`\\d+`, `.*`), the answer is None and the rule is read on every line (see RuleSet).

Imports the standard library only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, reduce
from importlib import resources

try:  # the regex parser moved in 3.11; its API is the same
    import re._constants as sre_c  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # Python 3.10
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MIN_LITERAL = 3  # shorter literals would make the prefilter hit on most lines
# Sets larger than this are summarised (exact strings -> what they start/end with): 168 keeps
# the status-code forms of three codes (`status=502`, `statusCode": 504`, …) exact.
_MAX_SET = 168
_MAX_CLASS = 4  # [_ -] is three strings; \w or [a-z] is any character
_MAX_COPIES = 3  # (ab){1,3} is expanded; (ab){1,9} is summarised
# Characters: a literal this long is rare enough in normal traffic; past it, fewer strings
# count more (the scan's trie stays small): ` configured`, not 30 spellings of the phrase.
_LONG = 7
_RARE_MIN = 5  # characters: shorter strings are never counted as rare

_EMPTY = frozenset({""})


@dataclass(frozen=True)
class _Info:
    """What a piece of a regex matches; "" in a set means "nothing certain"."""

    exact: frozenset[str] | None  # every string it can match, when few; None: too many
    prefix: frozenset[str]  # every match starts with one of these
    suffix: frozenset[str]  # every match ends with one of these
    inner: frozenset[str]  # every match contains one of these

    @staticmethod
    def of_exact(strings: frozenset[str]) -> _Info:
        if len(strings) > _MAX_SET:
            return _Info(None, _EMPTY, _EMPTY, _EMPTY)
        # What all of them start or end with is one string every match holds: ` configured`
        # of the 30 spellings of `no (?:pubsub|state store|…)s? (?:is |are )?configured`.
        ends = frozenset({_common_end(strings)}) if len(strings) > 1 else strings
        starts = frozenset({_common_start(strings)}) if len(strings) > 1 else strings
        return _Info(strings, strings, strings, _best([strings, starts, ends]))

    def with_inner(self, *others: frozenset[str]) -> _Info:
        return _Info(self.exact, self.prefix, self.suffix, _best([self.inner, *others]))

    def starts(self) -> frozenset[str]:
        return self.exact if self.exact is not None else self.prefix

    def ends(self) -> frozenset[str]:
        return self.exact if self.exact is not None else self.suffix

    def contains(self) -> frozenset[str]:
        return self.inner  # never worse than `exact`: it starts as `exact`


_ANY = _Info(None, _EMPTY, _EMPTY, _EMPTY)  # one unknown character, or anything at all
_NOTHING = _Info(_EMPTY, _EMPTY, _EMPTY, _EMPTY)  # zero-width: anchors, \b, lookarounds


# Derived sets by pattern text: filled by required_literals, or from the cache (rules/cache.py).
_KNOWN: dict[str, frozenset[str] | None] = {}


def remember(known: dict[str, list[str] | None]) -> None:
    """Take derived sets from a cache entry (lists, as marshal keeps them)."""
    for pattern, words in known.items():
        _KNOWN[pattern] = None if words is None else frozenset(words)


def known_of(patterns: Iterable[str]) -> dict[str, list[str] | None]:
    """The derived sets of these patterns, for a cache entry."""
    out: dict[str, list[str] | None] = {}
    for pattern in patterns:
        words = required_literals(pattern)
        out[pattern] = None if words is None else sorted(words)
    return out


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which every match of `pattern` contains, or None."""
    if pattern not in _KNOWN:
        _KNOWN[pattern] = _derive(pattern)
    return _KNOWN[pattern]


def _derive(pattern: str) -> frozenset[str] | None:
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    info = _sequence(list(parsed))
    best = _best([info.contains(), info.starts(), info.ends()])
    return best if _score(best) >= MIN_LITERAL else None


def _score(strings: frozenset[str]) -> int:
    """A set is as selective as its shortest string."""
    return min(map(len, strings)) if strings else 0


def _best(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    # Not in normal traffic first (`404 not found` rather than `http request: `); then the
    # longest shortest string, up to _LONG: beyond it a longer string hardly hits fewer
    # lines, and fewer strings keep the prefilter's trie small (`datacontenttype` rather
    # than 64 spellings of `["data", "datacontenttype", "id"`).
    return max(sets, key=lambda s: (-_hits(s), min(_score(s), _LONG), -len(s), _score(s)))


def _hits(strings: frozenset[str]) -> int:
    """How often the set occurs in normal traffic (fewer is better)."""
    text = common_text()
    if _score(strings) < _RARE_MIN:
        # A short string (`429`) is absent from a few dozen sample lines by chance, not by
        # rarity: it counts as hitting everything.
        return len(text)
    return sum(text.count(s) for s in strings)


@cache
def common_text() -> str:
    """rules/normal-traffic.txt, lower-case, without its comment lines."""
    raw = resources.files(__package__).joinpath("normal-traffic.txt").read_text("utf-8")
    return "\n".join(ln for ln in raw.lower().splitlines() if not ln.startswith("#"))


def _common_start(strings: frozenset[str]) -> str:
    return os.path.commonprefix(list(strings))


def _common_end(strings: frozenset[str]) -> str:
    return os.path.commonprefix([s[::-1] for s in strings])[::-1]


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """Drop strings that hold another one of the set: a line with them holds it too."""
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


def _cross(left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
    if len(left) * len(right) > _MAX_SET:
        return None
    return frozenset(a + b for a in left for b in right)


def _sequence(items: list) -> _Info:
    return reduce(_concat, (_node(op, av) for op, av in items), _NOTHING)


def _concat(a: _Info, b: _Info) -> _Info:
    if a.exact is not None and b.exact is not None:
        both = _cross(a.exact, b.exact)
        if both is not None:
            return _Info.of_exact(both).with_inner(a.inner, b.inner)
    prefix = a.prefix if a.exact is None else _cross(a.exact, b.prefix) or a.exact
    suffix = b.suffix if b.exact is None else _cross(a.suffix, b.exact) or b.exact
    seam = _cross(a.ends(), b.starts())
    inner = _best([a.contains(), b.contains(), *([_minimal(seam)] if seam else [])])
    return _Info(None, prefix, suffix, inner)


def _either(a: _Info, b: _Info) -> _Info:
    if a.exact is not None and b.exact is not None:
        return _Info.of_exact(a.exact | b.exact).with_inner(_minimal(a.inner | b.inner))
    return _Info(None, a.starts() | b.starts(), a.ends() | b.ends(),
                 _minimal(a.contains() | b.contains()))


def _node(op, av) -> _Info:
    if op is sre_c.LITERAL:
        return _char(chr(av))
    if op is sre_c.IN:
        return _char_class(av)
    if op is sre_c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if op is getattr(sre_c, "ATOMIC_GROUP", None):  # (?>...), Python 3.11+
        return _sequence(list(av))
    if op is sre_c.BRANCH:
        return reduce(_either, (_sequence(list(alt)) for alt in av[1]))
    if op in _REPEATS:
        return _repeat(av[0], av[1], _sequence(list(av[2])))
    if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
        return _NOTHING
    if op is sre_c.GROUPREF_EXISTS:
        yes, no = av[1], av[2]
        return _either(_sequence(list(yes)), _sequence(list(no)) if no else _NOTHING)
    return _ANY  # ANY, NOT_LITERAL, GROUPREF, …: no certain text


_REPEATS = tuple(
    getattr(sre_c, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(sre_c, name)
)


def _char(char: str) -> _Info:
    # bytes.lower() in the scan folds ASCII only: a non-ASCII literal could miss its line.
    if not char.isascii():
        return _ANY
    return _Info.of_exact(frozenset({char.lower()}))


def _char_class(items: list) -> _Info:
    chars: set[str] = set()
    for op, av in items:
        if op is sre_c.LITERAL:
            chars.add(chr(av))
        elif op is sre_c.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\w, \d, \s), wide ranges
            return _ANY
    folded = frozenset(c.lower() for c in chars)
    if len(folded) > _MAX_CLASS or not all(c.isascii() for c in folded):
        return _ANY
    return _Info.of_exact(folded)


def _repeat(low: int, high: int, body: _Info) -> _Info:
    if body.exact is not None and high <= _MAX_COPIES:
        strings: set[str] = set()
        power: frozenset[str] | None = _EMPTY
        for count in range(high + 1):
            if count >= low:
                strings |= power
            power = _cross(power, body.exact) if count < high else power
            if power is None:
                break
        else:
            return _Info.of_exact(frozenset(strings))
    if low == 0:
        return _ANY
    return _Info(None, body.starts(), body.ends(), body.contains())
