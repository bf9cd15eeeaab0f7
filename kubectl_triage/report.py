"""The report: what every command produces and every renderer consumes.

Plain frozen data plus `to_dict`, whose shape is the stable JSON report of DESIGN.md
(fields may be added, never renamed). Imports `evidence` and the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kubectl_triage.evidence import Gap, Level, Severity, Verdict


@dataclass(frozen=True, slots=True)
class Where:
    kind: str  # log | event | status
    namespace: str = ""
    pod: str = ""
    container: str = ""
    previous: bool = False
    obj: str = ""  # "Pod/web-1" for events and status

    def label(self) -> str:
        if self.kind == "log" and not self.container:
            return self.pod
        if self.kind == "log":
            return f"{self.pod}/{self.container}" + (" (previous)" if self.previous else "")
        return self.obj or self.pod

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("namespace", "pod", "container", "obj"):
            value = getattr(self, key)
            if value:
                out["object" if key == "obj" else key] = value
        if self.previous:
            out["previous"] = True
        return out


@dataclass(frozen=True, slots=True)
class Group:
    """Records that are the same once numbers, ids and times are set aside."""

    fingerprint: str
    level: Level
    rule: str  # "" when no rule names it
    count: int
    where: tuple[Where, ...]
    example: str
    first_seen: datetime | None
    last_seen: datetime | None
    # Of `count`, the records that are failures (not an INFO or DEBUG echo of one, unless a
    # detector judged them): what a step counts as errors. Not in the JSON: `count` is.
    failing: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "level": self.level.name.lower(),
            "rule": self.rule or None,
            "count": self.count,
            "where": [w.to_dict() for w in self.where],
            "example": self.example,
            "firstSeen": iso(self.first_seen),
            "lastSeen": iso(self.last_seen),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    title: str
    cause: str
    fix: str
    next: tuple[str, ...]
    count: int
    where: tuple[Where, ...]
    example: str
    first_seen: datetime | None
    last_seen: datetime | None
    detail: str = ""  # what a detector measured, e.g. "fired 1h after due time"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "rule": self.rule,
            "severity": self.severity.label,
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "next": list(self.next),
            "count": self.count,
            "where": [w.to_dict() for w in self.where],
            "example": self.example,
            "firstSeen": iso(self.first_seen),
            "lastSeen": iso(self.last_seen),
        }
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class Check:
    step: str
    verdict: Verdict
    detail: str
    next: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "verdict": self.verdict.value,
            "detail": self.detail,
            "next": list(self.next),
        }


@dataclass(frozen=True)
class Table:
    """A section of rows for people (events, status, rules); also emitted in JSON."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    wide_columns: tuple[str, ...] = ()  # shown only with -o wide
    # For a terminal too narrow for the table: columns left out, in this order, while the
    # table would still cut a name, a field or a time (-o wide shows them all); a message
    # column printed under its row rather than cut.
    narrow_drops: tuple[str, ...] = ()
    below: str | None = None

    # Per row, typed values for scripts beside the text cells (RFC 3339 times beside a
    # relative age, numbers); merged into that row's JSON object.
    data: tuple[Mapping[str, Any], ...] = ()

    def with_namespaces(self, namespaces: Sequence[str]) -> Table:
        """The table with a NAMESPACE column first, as kubectl shows one with -A."""
        rows = tuple((ns, *row) for ns, row in zip(namespaces, self.rows, strict=True))
        return replace(self, columns=("namespace", *self.columns), rows=rows)

    def to_dict(self) -> list[dict[str, Any]]:
        """Rows for scripts: camelCase keys, null for an absent cell ("-"), numbers in a
        column of whole numbers, then each row's typed `data`."""
        keys = [_camel(c) for c in self.columns]
        numeric = [
            all(v in _ABSENT or v.isdigit() for v in column)
            and any(v.isdigit() for v in column)
            for column in zip(*self.rows, strict=True)
        ] if self.rows else []
        out = []
        for index, row in enumerate(self.rows):
            item: dict[str, Any] = {}
            for key, value, number in zip(keys, row, numeric, strict=True):
                item[key] = None if value in _ABSENT else int(value) if number else value
            if index < len(self.data):
                item.update(self.data[index])
            out.append(item)
        return out


_ABSENT = frozenset({"-", "", "<none>"})
# summary's and checklist's timeline in a report's extra (incidents/timeline.py); not
# "timeline", which `trace` already names its records with
TIMELINE_KEY = "failureTimeline"


def _camel(column: str) -> str:
    """'last seen' -> 'lastSeen', 'dead letter' -> 'deadLetter', 'warn+' -> 'warnPlus'."""
    words = "".join(c if c.isalnum() else " plus " if c == "+" else " " for c in column)
    head, *rest = words.split()
    return head.lower() + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class Report:
    context: str
    namespace: str
    command: str
    findings: tuple[Finding, ...] = ()
    groups: tuple[Group, ...] = ()
    checks: tuple[Check, ...] = ()
    tables: tuple[Table, ...] = ()
    gaps: tuple[Gap, ...] = ()
    notes: tuple[str, ...] = ()  # one-line facts about the run ("read 3 pods, 6 logs")
    extra: Mapping[str, Any] = field(default_factory=dict)
    bundle: str = ""  # the bundle directory read instead of a cluster, when one was

    @property
    def all_namespaces(self) -> bool:
        return self.namespace == "(all)"  # Run.namespace_label of -A

    def __post_init__(self) -> None:
        # a gap is said once, however many of a view's readings heard of it
        object.__setattr__(self, "gaps", tuple(dict.fromkeys(self.gaps)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "apiVersion": "triage/v1",
            "kind": "Report",
            "command": self.command,
            "context": self.context,
            "namespace": self.namespace,
            "bundle": self.bundle or None,
            "findings": [f.to_dict() for f in self.findings],
            "checks": [c.to_dict() for c in self.checks],
            "groups": [g.to_dict() for g in self.groups],
            "gaps": [_gap(g) for g in self.gaps],
        }
        for table in self.tables:
            out[table.name] = table.to_dict()
        out.update(self.extra)
        return out


def _gap(gap: Gap) -> dict[str, str]:
    return {
        k: v
        for k, v in (
            ("kind", gap.kind),
            ("reason", gap.reason),
            ("message", gap.message),
            ("namespace", gap.namespace),
            ("pod", gap.pod),
            ("container", gap.container),
        )
        if v
    }


def iso(value: datetime | None) -> str | None:
    """RFC 3339 UTC, as every time in the JSON report."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (-f.severity, -f.count, f.rule)))
