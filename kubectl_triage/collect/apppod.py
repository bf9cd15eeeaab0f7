"""Probes inside an app's pod: which pod and port to ask, the OpenAPI document, the env.

An APP is a deployment name, KIND/NAME, or a Dapr app-id; the probe asks one running pod
of it. The port: --port, else `dapr.io/app-port`, the app container's declared port, or a
Service's targetPort (`app_port`, shared with the bundle writer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubectl_triage.collect.gather import Workloads, resolve_target
from kubectl_triage.errors import NotFound, UsageError
from kubectl_triage.evidence import ContainerState, Pod, ProbeResult, Service

if TYPE_CHECKING:
    from kubectl_triage.collect.run import Evidence

OPENAPI_PATHS = (
    "/openapi.json",
    "/swagger.json",
    "/docs/openapi.json",
    "/v3/api-docs",
    "/swagger/v1/swagger.json",
)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class AppPod:
    pod: Pod
    container: ContainerState
    ws: Workloads


def find_app(evidence: Evidence, app: str, *, container: str = "") -> AppPod:
    """A running pod of APP and its app container (the first that is not a sidecar)."""
    ws = evidence.workloads()
    by_app_id = ws.of_app_id(app)
    try:
        pods = resolve_target(ws, app)
    except NotFound:
        if not by_app_id:
            raise
        pods = by_app_id
    if not pods:  # a Deployment scaled to zero, or whose pods are all gone
        raise NotFound(f'{app} has no pods in namespace "{evidence.scope_namespace}"')
    running = [p for p in pods if p.phase == "Running"] or pods
    pod = sorted(running, key=lambda p: p.name)[0]
    candidates = [c for c in pod.containers if not c.init]
    if container:
        chosen = next((c for c in candidates if c.name == container), None)
        if chosen is None:
            names = ", ".join(c.name for c in candidates)
            raise UsageError(f'container "{container}" is not in pod {pod.name} (it has: {names})')
    else:
        chosen = next((c for c in candidates if not c.sidecar), candidates[0])
    return AppPod(pod, chosen, ws)


def app_port(
    pod: Pod, container: ContainerState | None, *, services: Iterable[Service] = ()
) -> int | None:
    """The port the app serves on: the one Dapr calls (`dapr.io/app-port`), else the app
    container's first declared port, else a selecting Service's numeric targetPort. The
    bundle writer saves probes at this port and the readers ask at it: one answer for both."""
    annotated = pod.annotations.get("dapr.io/app-port", "")
    if annotated.isdigit():
        return int(annotated)
    if container is not None and container.ports:
        return container.ports[0]
    for service in services:
        if service.selects(pod) and service.target_ports:
            return service.target_ports[0]
    return None


def target_port(evidence: Evidence, target: AppPod, *, port: int | None) -> int:
    """--port, else the app's port; a UsageError when nothing says which."""
    found = port or app_port(target.pod, target.container, services=evidence.services)
    if not found:
        raise UsageError(f"no port known for {target.pod.name}: give --port")
    return found


def fetch_openapi(
    source: Evidence, target: AppPod, *, port: int, paths: tuple[str, ...] = OPENAPI_PATHS
) -> tuple[ProbeResult, dict | None]:
    """The first of `paths` that answers with an OpenAPI/Swagger document."""
    last: ProbeResult | None = None
    for path in paths:
        result = source.http_get(
            target.pod.namespace,
            target.pod.name,
            port=port,
            path=path,
            container=target.container.name,
        )
        last = result
        if result.status is None:
            return result, None  # the port itself is out of reach: other paths will be too
        if result.ok:
            doc = _json(result.body)
            if isinstance(doc, dict) and ("openapi" in doc or "swagger" in doc):
                return result, doc
    assert last is not None
    return last, None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def openapi_operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of an OpenAPI 3 or Swagger 2 document; Swagger's basePath applied."""
    base = (doc.get("basePath") or "").rstrip("/") if "swagger" in doc else ""
    out = []
    for path, item in (doc.get("paths") or {}).items():
        methods = [m.upper() for m in (item or {}) if m in _METHODS] or ["ANY"]
        out.extend((m, base + path) for m in methods)
    return sorted(out, key=lambda mp: (mp[1], mp[0]))
