"""What a detector is and what it gives back; how a view folds that into its report.

A detector judges across records and objects of one run's Evidence (endpoints against
OpenAPI paths, Dapr wiring, rollouts, Services without endpoints), where the rules table
judges one record at a time. One signature: `detect(run) -> Detected`; `run` is the
Evidence with the rules that name what is found (a finding's title, cause, fix and next
commands come from its rule's row). A detector never reads the Source itself.

A detector that judges log records (timezone) gives verdicts rather than findings: the run
takes them as its judgement of those records, so every tally and the incidents count them
as the table's matches are counted. Such a detector also offers `judge(record)`, the same
test for a stream that keeps no Evidence (`analyze`), and the `literals` a line must hold
for it to look (the rules' prefilter keeps those lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kubectl_triage.evidence import Gap, Record
from kubectl_triage.report import Check, Finding
from kubectl_triage.rules.engine import Match, RuleSet
from kubectl_triage.rules.model import Specificity

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
    # records a detector judged, with their match: the run's judgement of them from then on
    verdicts: tuple[tuple[Record, Match], ...] = ()


@dataclass(frozen=True)
class Detector:
    name: str
    rules: tuple[str, ...]  # the rule ids its findings carry (checked against the table)
    detect: Callable[[Run], Detected]
    doc: str = ""
    literals: tuple[str, ...] = ()  # words of the log lines it judges (for the prefilter)
    judge: Callable[[Record], str | None] | None = None  # one record -> its detail, or None


def record_judge(
    ruleset: RuleSet, detectors: Iterable[Detector]
) -> Callable[[Record], Match | None]:
    """The table's judgement of a record, else what these detectors' `judge` finds in it
    when the table names no specific rule: one record at a time, for a stream that keeps
    no Evidence."""
    judging = [d for d in detectors if d.judge is not None and d.rules[0] in ruleset.by_id]

    def classify(record: Record) -> Match | None:
        match = ruleset.classify(record)
        if match is not None and match.rule.specificity >= Specificity.SPECIFIC:
            return match
        for detector in judging:
            detail = detector.judge(record)  # type: ignore[misc]
            if detail:
                return Match(ruleset.by_id[detector.rules[0]], detail, judged=True)
        return match

    return classify


def judged_records(
    run: Run, records: Iterable[Record], detector: Detector
) -> tuple[tuple[Record, Match], ...]:
    """The records `detector.judge` finds something in and the table names no specific
    rule for, each with the match the run should count it under."""
    rule = run.ruleset.by_id.get(detector.rules[0])
    if rule is None or detector.judge is None:
        return ()  # a rules file without the row: nothing to name the finding with
    out = []
    for record in records:
        detail = detector.judge(record)
        if not detail:
            continue
        table = run.classify(record)
        if table is None or table.rule.specificity < Specificity.SPECIFIC:
            out.append((record, Match(rule, detail, judged=True)))
    return tuple(out)


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
