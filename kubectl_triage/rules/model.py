"""A rule: one known failure pattern as data, validated once when the table is loaded.

Built-in rows (rules/builtin.yaml) and a user's YAML rows go through the same `make_rule`, so
a user rule is checked exactly like a built-in one and errors name the file and the rule.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubectl_triage.evidence import Level, Severity

try:  # the regex parser moved in 3.11; its API is the same
    import re._parser as sre_parse  # type: ignore[import-not-found]
    from re._constants import BRANCH, LITERAL, MAX_REPEAT, MIN_REPEAT, SUBPATTERN  # type: ignore
except ImportError:  # Python 3.10
    import sre_parse  # type: ignore[no-redef]
    from sre_constants import BRANCH, LITERAL, MAX_REPEAT, MIN_REPEAT, SUBPATTERN  # type: ignore

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCOPES = frozenset({"log", "event", "status"})
_MIN_LITERAL = 3  # shorter literals would make the prefilter hit on most lines


class Specificity(enum.IntEnum):
    """Which rule wins when several match one record: the most specific."""

    FALLBACK = 0  # unhandled-exception: only when nothing else names the record
    GENERIC = 1  # connection-refused, timeout, …: a symptom many causes share
    SPECIFIC = 2  # names a cause


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    cause: str
    fix: str
    next: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    literals: tuple[str, ...]  # lower-case; every match of a pattern contains one
    exclude: tuple[re.Pattern[str], ...] = ()
    scopes: frozenset[str] = frozenset({"log"})
    min_level: Level = Level.UNKNOWN  # records below this level (when known) are skipped
    specificity: Specificity = Specificity.SPECIFIC
    samples: tuple[str, ...] = ()
    counter_samples: tuple[str, ...] = ()
    origin: str = "built-in"

    def matches(self, text: str, lowered: str) -> bool:
        if not any(word in lowered for word in self.literals):
            return False
        if not any(p.search(text) for p in self.patterns):
            return False
        return not any(p.search(text) for p in self.exclude)


class RuleError(ValueError):
    """One problem with one rule; the loader adds the file's name."""

    def __init__(self, rule_id: str, problem: str) -> None:
        super().__init__(f"rule {rule_id!r}: {problem}")


_FIELDS = {
    "id",
    "title",
    "severity",
    "cause",
    "fix",
    "next",
    "patterns",
    "literals",
    "exclude",
    "scopes",
    "min_level",
    "specificity",
    "samples",
    "counter_samples",
}
_REQUIRED = ("id", "title", "severity", "cause", "fix", "patterns")


def make_rule(row: Mapping[str, Any], *, origin: str = "built-in") -> Rule:
    rule_id = str(row.get("id", "?"))
    unknown = set(row) - _FIELDS
    if unknown:
        raise RuleError(rule_id, f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = [f for f in _REQUIRED if not row.get(f)]
    if missing:
        raise RuleError(rule_id, f"missing field(s): {', '.join(missing)}")
    if not ID_RE.match(rule_id):
        raise RuleError(rule_id, "id must be kebab-case (a-z, 0-9 and -)")
    patterns = _compile_all(rule_id, "patterns", row["patterns"])
    literals = _literals(rule_id, row, patterns)
    scopes = frozenset(_strings(rule_id, "scopes", row.get("scopes", ["log"])))
    if not scopes <= SCOPES:
        raise RuleError(rule_id, f"scopes must be among {', '.join(sorted(SCOPES))}")
    try:
        severity = Severity.parse(str(row["severity"]))
        min_level = Level[str(row.get("min_level", "unknown")).upper()]
        specificity = Specificity[str(row.get("specificity", "specific")).upper()]
    except (ValueError, KeyError) as exc:
        raise RuleError(rule_id, f"bad value: {exc}") from None
    return Rule(
        id=rule_id,
        title=str(row["title"]),
        severity=severity,
        cause=str(row["cause"]).strip(),
        fix=str(row["fix"]).strip(),
        next=tuple(_strings(rule_id, "next", row.get("next", []))),
        patterns=patterns,
        literals=literals,
        exclude=_compile_all(rule_id, "exclude", row.get("exclude", [])),
        scopes=scopes,
        min_level=min_level,
        specificity=specificity,
        samples=tuple(_strings(rule_id, "samples", row.get("samples", []))),
        counter_samples=tuple(_strings(rule_id, "counter_samples", row.get("counter_samples", []))),
        origin=origin,
    )


def _strings(rule_id: str, name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(rule_id, f"{name} must be a list of strings")
    return value


def _compile_all(rule_id: str, name: str, value: Any) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for text in _strings(rule_id, name, value):
        try:
            compiled.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise RuleError(rule_id, f"{name}: bad regex {text!r}: {exc}") from None
    return tuple(compiled)


def _literals(
    rule_id: str, row: Mapping[str, Any], patterns: tuple[re.Pattern[str], ...]
) -> tuple[str, ...]:
    if row.get("literals"):
        return tuple(w.lower() for w in _strings(rule_id, "literals", row["literals"]))
    found: set[str] = set()
    for pattern in patterns:
        words = required_literals(pattern.pattern)
        if not words:
            raise RuleError(
                rule_id,
                f"pattern {pattern.pattern!r} has no literal text of "
                f"{_MIN_LITERAL}+ characters that every match contains; add "
                "`literals:` (words one of which every match contains)",
            )
        found |= words
    return tuple(sorted(found))


def required_literals(pattern: str) -> set[str] | None:
    """Lower-case strings one of which every match of `pattern` contains, or None."""
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    return _sequence(list(parsed))


def _sequence(items: list) -> set[str] | None:
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= _MIN_LITERAL:
            candidates.append({"".join(run).lower()})
        run.clear()

    for op, av in items:
        if op is LITERAL:
            run.append(chr(av))
            continue
        flush()
        sub: set[str] | None = None
        if op is SUBPATTERN:
            sub = _sequence(list(av[-1]))
        elif op is BRANCH:
            alts = [_sequence(list(alt)) for alt in av[1]]
            sub = set().union(*alts) if alts and all(alts) else None
        elif op in (MAX_REPEAT, MIN_REPEAT) and av[0] >= 1:
            sub = _sequence(list(av[2]))
        if sub:
            candidates.append(sub)
    flush()
    if not candidates:
        return None
    # The best set: its shortest word longest (fewest prefilter hits), then fewest words.
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)))
