"""`service-no-endpoints`: a Service whose selector matches no ready pod, so every client
of it gets `connection refused` (the database a crash-looping worker cannot reach).

Live, the EndpointSlices say how many ready endpoints a Service has. A bundle or a
`kubectl cluster-info dump` has none, and a cluster without the endpointslice controller
(the kwok test cluster) makes none: there, and for any Service without a slice, the
Service's selector is matched against the pods, and a pod counts when it is Running and
its Ready condition is True.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubectl_triage.detectors.model import Detected, Detector
from kubectl_triage.detectors.pod_status import pod_status
from kubectl_triage.evidence import EndpointSlice, Pod, Service, Verdict
from kubectl_triage.report import Check, Finding, Where
from kubectl_triage.rules.engine import rule_finding

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run

RULE = "service-no-endpoints"


def _ready(pod: Pod) -> bool:
    return pod.phase == "Running" and pod.conditions.get("Ready") == "True"


def _by_label(pods: list[Pod]) -> dict[tuple[str, str], list[Pod]]:
    """(key, value) -> the pods with that label: 500 Services x 1000 pods stay cheap."""
    index: dict[tuple[str, str], list[Pod]] = {}
    for pod in pods:
        for label in pod.labels.items():
            index.setdefault(label, []).append(pod)
    return index


def _why(
    service: Service,
    by_label: dict[tuple[str, str], list[Pod]],
    slices: list[EndpointSlice] | None,
) -> str | None:
    """Why the Service has no ready endpoint, or None when it has one."""
    selector = ",".join(f"{k}={v}" for k, v in sorted(service.selector.items()))
    rarest = min((by_label.get(label, []) for label in service.selector.items()), key=len)
    selected = [p for p in rarest if service.selects(p)]
    mine = [s for s in slices or () if s.service == service.name]
    if mine:  # the endpointslice controller's word
        if sum(s.ready for s in mine):
            return None
    elif any(_ready(p) for p in selected):
        # no slice of this Service (a dump, or no controller made one yet): the pods decide
        return None
    if not selected:
        return f"Service {service.name} selects {selector}: no pod has these labels"
    states = ", ".join(f"{p.name} {pod_status(p)}" for p in sorted(selected, key=lambda p: p.name))
    return f"Service {service.name} selects {selector}: no ready pod ({states})"


def _finding(run: Run, service: Service, detail: str) -> Finding:
    rule = run.ruleset.by_id[RULE]
    selector = ",".join(f"{k}={v}" for k, v in sorted(service.selector.items()))
    return rule_finding(
        rule,
        where=(Where("object", service.namespace, obj=f"Service/{service.name}"),),
        context={"namespace": service.namespace, "service": service.name},
        example=f"service/{service.name} (selector {selector}): 0 ready endpoints",
        detail=detail,
    )


def detect(run: Run) -> Detected:
    evidence = run.evidence
    if RULE not in run.ruleset.by_id:
        return Detected()
    services = [s for s in evidence.services if s.selector and s.type != "ExternalName"]
    if not services:
        return Detected(checks=(Check("service endpoints", Verdict.SKIP, "no Services"),))
    slices = evidence.endpoint_slices
    by_label = _by_label(evidence.pods)
    empty = [(s, why) for s in services if (why := _why(s, by_label, slices)) is not None]
    findings = tuple(_finding(run, s, why) for s, why in empty)
    if not empty:
        check = Check(
            "service endpoints",
            Verdict.PASS,
            f"{len(services)} Service(s), each with a ready endpoint",
        )
    else:
        ns = evidence.scope_namespace
        check = Check(
            "service endpoints",
            Verdict.FAIL,
            "; ".join(why for _, why in empty),
            next=tuple(f"kubectl describe service {s.name} -n {ns}" for s, _ in empty[:3]),
        )
    return Detected(findings=findings, checks=(check,))


DETECTOR = Detector(RULE, (RULE,), detect, "Services whose selector matches no ready pod")
