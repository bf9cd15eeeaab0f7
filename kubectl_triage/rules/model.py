"""A rule: one known failure pattern as data, validated once when the table is loaded.

Built-in rows (rules/builtin.yaml) and a user's YAML rows go through the same `make_rule`, so
a user rule is checked exactly like a built-in one and errors name the file and the rule.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubectl_triage.evidence import Level, Severity
from kubectl_triage.rules.literals import required_literals

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCOPES = frozenset({"log", "event", "status"})
_SCOPE_ORDER = ("log", "event", "status")  # as rows list them
_DEFAULT_SCOPES = frozenset({"log"})


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
    # Derived from the patterns (rules/literals.py), lower-case: every match contains one.
    # Empty when some pattern has no certain text: the rule then reads every record.
    literals: tuple[str, ...]
    exclude: tuple[re.Pattern[str], ...] = ()
    scopes: frozenset[str] = _DEFAULT_SCOPES
    min_level: Level = Level.UNKNOWN  # records below this level (when known) are skipped
    specificity: Specificity = Specificity.SPECIFIC
    samples: tuple[str, ...] = ()
    counter_samples: tuple[str, ...] = ()
    origin: str = "built-in"
    # pattern text -> the few literals one of which every match of it holds: a pattern whose
    # literals the record lacks is not searched (a row of 20 patterns searches the 2 that can
    # match). Keyed by text, so a Rule copied with other patterns stays right.
    gates: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, text: str, lowered: str, *, holds_literal: bool = False) -> bool:
        """`holds_literal`: the caller knows `lowered` holds one of the rule's literals
        (RuleSet's index found it), so the check is not made again."""
        if not holds_literal and self.literals and not any(w in lowered for w in self.literals):
            return False
        gates = self.gates
        for p in self.patterns:
            # a plain loop, not any() over a generator: this runs for every pattern of every
            # candidate rule of every record, and the generator cost more than the look-ups
            gate = gates.get(p.pattern)
            if gate:
                for word in gate:
                    if word in lowered:
                        break
                else:
                    continue  # no word of its gate: it cannot match
            if p.search(text):
                return not any(x.search(text) for x in self.exclude)
        return False


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
    "exclude",
    "scopes",
    "min_level",
    "specificity",
    "samples",
    "counter_samples",
}
_REQUIRED = ("id", "title", "severity", "cause", "fix", "patterns")
# Accepted and ignored: literals were written by hand before they were derived from the
# patterns; a file that still has them loads, and the derived ones never miss a match.
_RETIRED = frozenset({"literals"})


# The JSON report spells keys in camelCase (`rules show -o json|yaml` prints them so);
# a rules file may use either spelling, so what `rules show` printed pastes back.
CAMEL = {"counter_samples": "counterSamples", "min_level": "minLevel"}
_SNAKE = {camel: snake for snake, camel in CAMEL.items()}


def make_rule(row: Mapping[str, Any], *, origin: str = "built-in", linted: bool = False) -> Rule:
    """`linted`: the row's regexes already passed regexlint (a rules-cache hit: the entry is
    written only after a load that linted this very text with this very lint code)."""
    row = {_SNAKE.get(key, key): value for key, value in row.items()}
    rule_id = str(row.get("id", "?"))
    unknown = set(row) - _FIELDS - _RETIRED
    if unknown:
        raise RuleError(rule_id, f"unknown field(s): {', '.join(sorted(unknown))}")
    missing = [f for f in _REQUIRED if not row.get(f)]
    if missing:
        raise RuleError(rule_id, f"missing field(s): {', '.join(missing)}")
    if not ID_RE.match(rule_id):
        raise RuleError(rule_id, "id must be kebab-case (a-z, 0-9 and -)")
    patterns = _compile_all(rule_id, "patterns", row["patterns"], linted=linted)
    literals = _literals(patterns)
    gates = _gates(patterns)
    scopes = frozenset(_strings(rule_id, "scopes", row.get("scopes", sorted(_DEFAULT_SCOPES))))
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
        next=tuple(_templates(rule_id, _strings(rule_id, "next", row.get("next", [])))),
        patterns=patterns,
        literals=literals,
        gates=gates,
        exclude=_compile_all(rule_id, "exclude", row.get("exclude", []), linted=linted),
        scopes=scopes,
        min_level=min_level,
        specificity=specificity,
        samples=tuple(_strings(rule_id, "samples", row.get("samples", []))),
        counter_samples=tuple(_strings(rule_id, "counter_samples", row.get("counter_samples", []))),
        origin=origin,
    )


def rule_row(rule: Rule) -> dict[str, Any]:
    """The row that `make_rule` turns into `rule`: builtin.yaml's keys in its order, defaults
    left out. `rules show ID -o yaml` prints it, so it pastes into a rules file unchanged."""
    row: dict[str, Any] = {"id": rule.id, "title": rule.title, "severity": rule.severity.label}
    if rule.scopes != _DEFAULT_SCOPES:
        row["scopes"] = [s for s in _SCOPE_ORDER if s in rule.scopes]
    if rule.specificity is not Specificity.SPECIFIC:
        row["specificity"] = rule.specificity.name.lower()
    if rule.min_level is not Level.UNKNOWN:
        row["min_level"] = rule.min_level.name.lower()
    row["patterns"] = [p.pattern for p in rule.patterns]
    if rule.exclude:
        row["exclude"] = [p.pattern for p in rule.exclude]
    row["cause"], row["fix"] = rule.cause, rule.fix
    for key in ("next", "samples", "counter_samples"):
        if getattr(rule, key):
            row[key] = list(getattr(rule, key))
    return row


def _strings(rule_id: str, name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(rule_id, f"{name} must be a list of strings")
    return value


# What a next command may name; filled from the finding (rules/engine.fill_command).
PLACEHOLDERS = frozenset({"namespace", "pod", "container", "workload", "target", "service"})


def _templates(rule_id: str, commands: list[str]) -> list[str]:
    """Next commands whose {placeholders} are plain known names: `kubectl {` or
    `{pod.__class__}` in a user's row is refused when loaded, not when a finding fills it."""
    import string

    for command in commands:
        try:
            fields = [f for _, f, spec, conv in string.Formatter().parse(command)
                      if f is not None or spec or conv]
        except ValueError as exc:
            raise RuleError(rule_id, f"next: {command!r}: {exc}") from None
        unknown = sorted({f or "" for f in fields} - PLACEHOLDERS)
        if unknown:
            known = ", ".join("{" + n + "}" for n in sorted(PLACEHOLDERS))
            raise RuleError(rule_id, f"next: {command!r}: placeholders are {known}")
    return commands


def _compile_all(
    rule_id: str, name: str, value: Any, *, linted: bool = False
) -> tuple[re.Pattern[str], ...]:
    from kubectl_triage.rules.regexlint import backtracking_risk

    compiled = []
    for text in _strings(rule_id, name, value):
        try:
            compiled.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise RuleError(rule_id, f"{name}: bad regex {text!r}: {exc}") from None
        risk = None if linted else backtracking_risk(text)
        if risk:
            raise RuleError(rule_id, f"{name}: regex {text!r} refused: {risk}")
    return tuple(compiled)


_MAX_GATE = 6  # more literals than this cost more `in` checks than the search saves


def _gates(patterns: tuple[re.Pattern[str], ...]) -> dict[str, tuple[str, ...]]:
    gates = {}
    for pattern in patterns:
        words = required_literals(pattern.pattern)
        if words and len(words) <= _MAX_GATE:
            gates[pattern.pattern] = tuple(sorted(words))
    return gates


def _literals(patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for pattern in patterns:
        words = required_literals(pattern.pattern)
        if words is None:
            return ()  # one pattern without certain text: no literal can rule a line out
        found |= words
    # A word that holds another of the rule's words adds nothing: a line with it holds both.
    return tuple(sorted(w for w in found if not any(o != w and o in w for o in found)))
