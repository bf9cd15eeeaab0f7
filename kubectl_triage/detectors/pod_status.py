"""`pod-status`: are the pods running and ready, and did any restart? (The pods' states
as records go through the rules table as well; this is the verdict over all of them.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubectl_triage.detectors.model import Detected, Detector
from kubectl_triage.evidence import Pod, Verdict
from kubectl_triage.report import Check

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run

_UP = ("Running", "Succeeded", "Completed")


def pod_status(pod: Pod) -> str:
    """What kubectl's STATUS column would say."""
    if pod.reason:
        return pod.reason
    for c in pod.containers:
        if c.init and c.state == "waiting" and c.reason not in ("", "PodInitializing"):
            return f"Init:{c.reason}"
    for c in pod.containers:
        if not c.init and c.state in ("waiting", "terminated") and c.reason:
            return c.reason
    return pod.phase


def pods_check(pods: list[Pod], ns: str, *, retired: frozenset[str] = frozenset()) -> Check:
    """`retired`: ReplicaSets scaled to zero; their pods still going away are not judged."""
    leaving = [p.name for p in pods if p.owner and p.owner.name in retired]
    pods = [p for p in pods if p.name not in leaving]
    broken = [
        f"{p.name} {pod_status(p)}"
        for p in pods
        if pod_status(p) not in _UP or any(not c.ready for c in p.containers if not c.init)
    ]
    restarted = [
        f"{p.name} ({sum(c.restarts for c in p.containers)})"
        for p in pods
        if any(c.restarts for c in p.containers)
    ]
    nexts = (f"kubectl triage status -n {ns}",)
    aside = f"; of old ReplicaSets, going away: {', '.join(leaving)}" if leaving else ""
    if broken:
        return Check(
            "pods", Verdict.FAIL, "not running/ready: " + ", ".join(broken) + aside, next=nexts
        )
    if restarted:
        return Check("pods", Verdict.WARN, "restarted: " + ", ".join(restarted) + aside, next=nexts)
    return Check("pods", Verdict.PASS, f"{len(pods)} pod(s) running and ready, no restarts{aside}")


def detect(run: Run) -> Detected:
    # imported here: the incidents package costs every command ~20 ms of start-up
    from kubectl_triage.incidents.history import retired_replicasets

    evidence = run.evidence
    retired = frozenset(retired_replicasets(evidence.replicasets))
    return Detected(checks=(pods_check(evidence.pods, evidence.scope_namespace, retired=retired),))


DETECTOR = Detector("pod-status", (), detect, "pods not running or ready, and restarts")
