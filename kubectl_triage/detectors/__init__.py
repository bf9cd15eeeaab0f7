"""Detectors in one registry: name -> Detector, each one file with one `detect(run)`.

A command (or a rules-table row) names the detectors it runs by these names; a test checks
that every name it uses is registered and every registered detector runs on the demo. A new
detector is one file, one line here, and its test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubectl_triage.detectors import dapr_wiring, openapi, pod_status, rollout, service_endpoints
from kubectl_triage.detectors.model import Detected, Detector
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap

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
    )
}


def run_detectors(run: Run, names: tuple[str, ...]) -> Detected:
    """The named detectors over the run's Evidence, in order, merged. A detector that
    cannot finish (the cluster refused something) leaves a gap; the others still run."""
    findings, checks, gaps, amend = [], [], [], {}
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
    return Detected(tuple(findings), tuple(checks), tuple(gaps), amend)
