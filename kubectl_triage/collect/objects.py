"""API JSON -> evidence dataclasses: pods with their owners, events, the owner objects,
Services and their EndpointSlices, Dapr resources. The only place that reads raw API dicts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubectl_triage.evidence import (
    ContainerState,
    DaprResource,
    Deployment,
    EndpointSlice,
    EnvVar,
    Event,
    Owner,
    Pod,
    ReplicaSet,
    Service,
)
from kubectl_triage.names import string_map
from kubectl_triage.records import parse_time

SIDECAR_NAMES = frozenset({"daprd", "istio-proxy", "linkerd-proxy", "envoy", "cloud-sql-proxy"})


def _time(value: Any):
    return parse_time(value) if isinstance(value, str) and value else None


def controller_of(meta: dict[str, Any]) -> Owner | None:
    refs = meta.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return Owner(ref.get("kind", ""), ref.get("name", ""), ref.get("uid", "")) if ref else None


def owner_index(replicasets: Iterable[dict[str, Any]]) -> dict[str, Owner]:
    """ReplicaSet uid -> its Deployment, to roll pods and events up to the workload."""
    index = {}
    for rs in replicasets:
        meta = rs.get("metadata") or {}
        owner = controller_of(meta)
        if owner and meta.get("uid"):
            index[meta["uid"]] = owner
    return index


def to_pod(item: dict[str, Any], rs_owners: dict[str, Owner]) -> Pod:
    meta, spec, status = (
        item.get("metadata") or {},
        item.get("spec") or {},
        item.get("status") or {},
    )
    owner = controller_of(meta)
    workload = owner
    if owner and owner.kind == "ReplicaSet":
        workload = rs_owners.get(owner.uid) or owner
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    init_statuses = {s.get("name"): s for s in status.get("initContainerStatuses") or []}
    containers = [
        _container(
            c,
            init_statuses.get(c.get("name")) or {},
            init=True,
            sidecar=c.get("restartPolicy") == "Always",
        )
        for c in spec.get("initContainers") or []
    ]
    containers += [
        _container(
            c, statuses.get(c.get("name")) or {}, init=False, sidecar=c.get("name") in SIDECAR_NAMES
        )
        for c in spec.get("containers") or []
    ]
    conditions = {c.get("type", ""): c.get("status", "") for c in status.get("conditions") or []}
    reasons = {
        c.get("type", ""): f"{c.get('reason', '')}: {c.get('message', '')}".strip(": ")
        for c in status.get("conditions") or []
        if c.get("reason")
    }
    return Pod(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        phase=status.get("phase", "Unknown"),
        node=spec.get("nodeName", ""),
        created=_time(meta.get("creationTimestamp")),
        labels=string_map(meta.get("labels")),
        annotations=string_map(meta.get("annotations")),
        owner=owner,
        workload=workload,
        containers=tuple(containers),
        reason=status.get("reason", ""),
        message=status.get("message", ""),
        conditions=conditions,
        condition_reasons=reasons,
    )


def _container(
    spec: dict[str, Any], status: dict[str, Any], *, init: bool, sidecar: bool
) -> ContainerState:
    state_name, state = next(iter((status.get("state") or {"unknown": {}}).items()))
    last_name, last = next(iter((status.get("lastState") or {"": {}}).items()), ("", {}))
    return ContainerState(
        name=spec.get("name", ""),
        image=status.get("image") or spec.get("image", ""),
        ready=bool(status.get("ready")),
        restarts=int(status.get("restartCount") or 0),
        state=state_name,
        reason=(state or {}).get("reason", ""),
        message=(state or {}).get("message", ""),
        exit_code=(state or {}).get("exitCode"),
        started=_time((state or {}).get("startedAt")),
        last_state=last_name if last else "",
        last_reason=(last or {}).get("reason", ""),
        last_exit_code=(last or {}).get("exitCode"),
        last_finished=_time((last or {}).get("finishedAt")),
        init=init,
        sidecar=sidecar,
        ports=tuple(int(p["containerPort"]) for p in spec.get("ports") or []
                    if isinstance(p.get("containerPort"), int)),
        env=_env(spec),
    )


def _env(spec: dict[str, Any]) -> tuple[EnvVar, ...]:
    out = []
    for entry in spec.get("env") or []:
        name = entry.get("name", "")
        if "valueFrom" in entry:
            out.append(EnvVar(name, None, _reference(entry["valueFrom"] or {})))
        else:
            out.append(EnvVar(name, str(entry.get("value", ""))))
    for source in spec.get("envFrom") or []:
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        kind = "configMap" if "configMapRef" in source else "secret"
        out.append(
            EnvVar(f"{source.get('prefix', '')}*", None, f"<all keys of {kind} {ref.get('name')}>")
        )
    return tuple(out)


def _reference(value_from: dict[str, Any]) -> str:
    for key, label in (("secretKeyRef", "secret"), ("configMapKeyRef", "configMap")):
        if key in value_from:
            ref = value_from[key]
            return f"<{label} {ref.get('name')}/{ref.get('key')}>"
    if "fieldRef" in value_from:
        return f"<field {value_from['fieldRef'].get('fieldPath')}>"
    if "resourceFieldRef" in value_from:
        return f"<resource {value_from['resourceFieldRef'].get('resource')}>"
    return "<reference>"


def to_event(item: dict[str, Any]) -> Event:
    obj = item.get("involvedObject") or item.get("regarding") or {}
    series = item.get("series") or {}
    first = _time(item.get("firstTimestamp")) or _time(item.get("eventTime"))
    # kubectl events: series.lastObservedTime, then lastTimestamp, then eventTime.
    last = (
        _time(series.get("lastObservedTime"))
        or _time(item.get("lastTimestamp"))
        or _time(item.get("eventTime"))
        or _time((item.get("metadata") or {}).get("creationTimestamp"))
    )
    count = int(series.get("count") or item.get("count") or 1)
    source = (
        (item.get("source") or {}).get("component")
        or item.get("reportingComponent")
        or item.get("reportingController")
        or ""
    )
    return Event(
        namespace=(item.get("metadata") or {}).get("namespace") or obj.get("namespace", ""),
        kind=obj.get("kind", ""),
        name=obj.get("name", ""),
        uid=obj.get("uid", ""),
        reason=item.get("reason", ""),
        message=item.get("message") or item.get("note", ""),
        type=item.get("type", "Normal"),
        count=count,
        first=first or last,
        last=last or first,
        source=source,
    )


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def to_deployment(item: dict[str, Any]) -> Deployment:
    meta, spec, status = item["metadata"], item.get("spec") or {}, item.get("status") or {}
    progressing = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {}
    )
    template = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return Deployment(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        generation=_int(meta.get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
        want=_int(spec.get("replicas"), 1),
        replicas=status.get("replicas") if isinstance(status.get("replicas"), int) else None,
        updated=_int(status.get("updatedReplicas")),
        ready=_int(status.get("readyReplicas")),
        available=_int(status.get("availableReplicas")),
        deadline_exceeded=progressing.get("reason") == "ProgressDeadlineExceeded",
        images=tuple(c.get("image", "") for c in template),
    )


def to_replicaset(item: dict[str, Any]) -> ReplicaSet:
    meta = item["metadata"]
    # the controller first: it is the owner a pod or an event rolls up to
    refs = sorted(meta.get("ownerReferences") or [], key=lambda r: not r.get("controller"))
    revision = string_map(meta.get("annotations")).get("deployment.kubernetes.io/revision", "0")
    want = (item.get("spec") or {}).get("replicas", 1)
    replicas = (item.get("status") or {}).get("replicas") or 0
    return ReplicaSet(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owners=tuple(Owner(r.get("kind", ""), r.get("name", ""), r.get("uid", "")) for r in refs),
        revision=int(revision) if revision.isdigit() else 0,
        want=want if isinstance(want, int) else 1,
        replicas=replicas if isinstance(replicas, int) else 0,
        created=_time(meta.get("creationTimestamp")),
    )


def to_service(item: dict[str, Any]) -> Service:
    meta, spec = item["metadata"], item.get("spec") or {}
    return Service(
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        selector=string_map(spec.get("selector")),
        target_ports=tuple(
            p["targetPort"] for p in spec.get("ports") or [] if isinstance(p.get("targetPort"), int)
        ),
        type=spec.get("type") or "ClusterIP",
    )


def to_endpoint_slice(item: dict[str, Any]) -> EndpointSlice:
    meta = item.get("metadata") or {}
    ready = sum(
        1
        for e in item.get("endpoints") or []
        if (e.get("conditions") or {}).get("ready") is not False
    )
    return EndpointSlice(
        namespace=meta.get("namespace", ""),
        service=string_map(meta.get("labels")).get("kubernetes.io/service-name", ""),
        ready=ready,
    )


def to_dapr_resource(kind: str, item: dict[str, Any]) -> DaprResource:
    meta = item.get("metadata") or {}
    return DaprResource(
        kind=kind,
        namespace=meta.get("namespace", ""),
        name=meta.get("name", ""),
        scopes=tuple(item.get("scopes") or ()),
        spec=item.get("spec") or {},
    )
