"""`status`: pod and sidecar health per workload."""

from __future__ import annotations

from kubectl_triage.collect.gather import resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.timefmt import age
from kubectl_triage.detectors.pod_status import pod_status
from kubectl_triage.evidence import ContainerState, Pod
from kubectl_triage.report import Report, Table, iso
from kubectl_triage.rules.facts import status_records

_COLUMNS = (
    "workload",
    "pod",
    "ready",
    "status",
    "restarts",
    "last termination",
    "age",
    "sidecars",
    "image",
    "node",
)
_WIDE = ("image", "node")
# Left out on a narrow terminal before a pod name is cut: the pod name says its workload,
# READY counts the sidecars, and a crashed container has its own finding below.
_NARROW_DROPS = ("workload", "last termination", "sidecars")


def status_report(run: Run, *, target: str | None, selector: str = "") -> Report:
    ws = run.evidence.workloads(selector=selector)
    pods = resolve_target(ws, target) if target else ws.pods
    now = run.source.now()
    ordered = sorted(pods, key=lambda p: (p.namespace, p.workload_name, p.name))
    rows = [_row(p, now) for p in ordered]
    times = tuple({"created": iso(p.created)} for p in ordered)
    table = Table("pods", _COLUMNS, tuple(rows), wide_columns=_WIDE, data=times,
                  narrow_drops=_NARROW_DROPS)
    if run.namespace is None:  # -A
        table = table.with_namespaces([p.namespace for p in ordered])
    tally = run.tally()
    tally.add_all(status_records(pods))
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="status",
        findings=tally.findings(
            context=run.context_values(target or ""), workload_of=run.workload_of(pods)
        ),
        tables=(table,),
        gaps=tuple(ws.gaps),
    )


def _row(pod: Pod, now) -> tuple[str, ...]:
    app = [c for c in pod.containers if not c.init]
    ready = sum(c.ready for c in app)
    last = [_last(c) for c in app if c.last_state]
    sidecars = [f"{c.name}:{'ready' if c.ready else c.reason or c.state}" for c in app if c.sidecar]
    return (
        pod.workload_name,
        pod.name,
        f"{ready}/{len(app)}",
        pod_status(pod),
        str(sum(c.restarts for c in pod.containers)),
        ", ".join(last) or "-",
        age(pod.created, now),
        ", ".join(sidecars) or "-",
        ", ".join(c.image for c in app),
        pod.node or "-",
    )


def _last(c: ContainerState) -> str:
    code = f" ({c.last_exit_code})" if c.last_exit_code is not None else ""
    return f"{c.name}: {c.last_reason or c.last_state}{code}"
