"""Detectors in one registry: name -> Detector, each one file with one `detect(run)`.

A command (or a rules-table row) names the detectors it runs by these names; a test checks
that every name it uses is registered and every registered detector runs on the demo. A new
detector is one file, one line here, and its test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kubectl_triage.detectors import (
    dapr_wiring,
    openapi,
    pod_status,
    rollout,
    service_endpoints,
    timezone,
)
from kubectl_triage.detectors.model import Detected, Detector, record_judge
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap, Record
from kubectl_triage.rules.engine import Match, RuleSet

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run

REGISTRY: dict[str, Detector] = {
    d.name: d
    for d in (
        pod_status.DETECTOR,
        service_endpoints.DETECTOR,
        openapi.DETECTOR,
        dapr_wiring.DETECTOR,
        rollout.DETECTOR,
        timezone.DETECTOR,
    )
}
# Words of the log lines the record-judging detectors look at: the rules' prefilter keeps
# these lines too, or they would never become records.
LITERALS: tuple[str, ...] = tuple(w for d in REGISTRY.values() for w in d.literals)


def run_detectors(run: Run, names: tuple[str, ...]) -> Detected:
    """The named detectors over the run's Evidence, in order, merged. A detector that
    cannot finish (the cluster refused something) leaves a gap; the others still run.
    Records a detector judged are judged so for the rest of the run (run.classify): a view
    runs its detectors before it counts the records."""
    findings, checks, gaps, amend, verdicts = [], [], [], {}, []
    for name in names:
        try:
            got = REGISTRY[name].detect(run)
        except TriageError as exc:
            gaps.append(Gap("detector", type(exc).__name__, f"{name}: {exc.message}"))
            continue
        findings += got.findings
        checks += got.checks
        gaps += got.gaps
        amend.update(got.amend)
        verdicts += got.verdicts
        run.note(got.verdicts)
    return Detected(tuple(findings), tuple(checks), tuple(gaps), amend, tuple(verdicts))


def judge_of(ruleset: RuleSet, names: tuple[str, ...]) -> Callable[[Record], Match | None]:
    """The table and the named detectors that judge one record at a time, for a stream
    that keeps no Evidence (analyze, logs -f)."""
    return record_judge(ruleset, (REGISTRY[n] for n in names))
