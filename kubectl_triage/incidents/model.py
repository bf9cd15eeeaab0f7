"""What incident reasoning works with and gives back, as plain frozen data.

An Observation is one rule seen at one node of the service graph (a workload, or a
Service nothing stands behind), with the callees its records name. An Incident is a
root cause: the observations of one node it is made of, and the observations elsewhere
it explains. A HistoryItem is something that happened and is over. `to_dict` gives the
stable JSON of DESIGN.md. Imports `evidence`, `report` and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubectl_triage.evidence import Severity
from kubectl_triage.report import iso

Node = tuple[str, str]  # (kind, name)


@dataclass(frozen=True)
class Observation:
    node: Node
    namespace: str
    rule: str
    severity: Severity
    count: int
    example: str  # the best record's text
    first: datetime | None
    last: datetime | None
    callees: tuple[Node, ...] = ()  # other nodes its records name, most often named first
    pod: str = ""  # where the example was seen (for next commands)
    container: str = ""
    detail: str = ""  # what a detector measured ("ran 1h after its due time")

    @property
    def key(self) -> tuple[Node, str]:
        return (self.node, self.rule)


@dataclass(frozen=True)
class Incident:
    rank: int
    node: Node
    namespace: str
    rules: tuple[str, ...]
    summary: str
    explains: tuple[Observation, ...]
    next: tuple[str, ...]
    evidence: str
    severity: Severity
    last: datetime | None
    count: int
    detail: str = ""  # what a detector measured about the cause (wrong-endpoint's routes)

    def to_dict(self) -> dict[str, Any]:
        kind, name = self.node
        out = {
            "rank": self.rank,
            "workload": name,
            "kind": kind,
            "namespace": self.namespace,
            "rules": list(self.rules),
            "severity": self.severity.label,
            "summary": self.summary,
            "evidence": self.evidence,
            "explains": [
                {"workload": o.node[1], "kind": o.node[0], "rule": o.rule, "count": o.count}
                for o in self.explains
            ],
            "next": list(self.next),
            "count": self.count,
            "lastSeen": iso(self.last),
        }
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class HistoryItem:
    """An event series or a restart that is over: shown, never judged as current."""

    obj: str  # "Pod/web-1"
    reason: str  # the event's reason, or "Restarted"
    message: str
    ended: datetime | None
    why: str  # "scheduled at …", "pod no longer exists", …
    rule: str = ""
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": self.obj,
            "reason": self.reason,
            "rule": self.rule or None,
            "message": self.message,
            "count": self.count,
            "ended": iso(self.ended),
            "why": self.why,
        }
