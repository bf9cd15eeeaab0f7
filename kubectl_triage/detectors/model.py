"""What a detector is and what it gives back; how a view folds that into its report.

A detector judges across records and objects of one run's Evidence (endpoints against
OpenAPI paths, Dapr wiring, rollouts, Services without endpoints), where the rules table
judges one record at a time. One signature: `detect(run) -> Detected`; `run` is the
Evidence with the rules that name what is found (a finding's title, cause, fix and next
commands come from its rule's row). A detector never reads the Source itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kubectl_triage.evidence import Gap
from kubectl_triage.report import Check, Finding

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run


@dataclass(frozen=True)
class Amendment:
    """What a detector measured about a finding the rules table made (its detail, and
    next commands that name the real callee)."""

    detail: str
    next: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detected:
    findings: tuple[Finding, ...] = ()
    checks: tuple[Check, ...] = ()
    gaps: tuple[Gap, ...] = ()
    amend: Mapping[str, Amendment] = field(default_factory=dict)  # rule id -> amendment


@dataclass(frozen=True)
class Detector:
    name: str
    rules: tuple[str, ...]  # the rule ids its findings carry (checked against the table)
    detect: Callable[[Run], Detected]
    doc: str = ""


def amended(findings: Iterable[Finding], detected: Detected) -> tuple[Finding, ...]:
    """The table's findings with a detector's measured detail folded in."""
    out = []
    for f in findings:
        change = detected.amend.get(f.rule)
        if change is None:
            out.append(f)
            continue
        kept = [c for c in f.next if "<callee>" not in c]
        out.append(
            replace(f, detail=change.detail, next=tuple(dict.fromkeys([*change.next, *kept])))
        )
    return tuple(out)
