"""Dapr evidence: the sidecar's metadata, the app's programmatic subscriptions, and the
Component and Subscription resources. Collects only; judging is in commands/dapr.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubectl_triage.collect.gather import Workloads
from kubectl_triage.collect.probe import AppPod, find_app
from kubectl_triage.errors import Forbidden, NotFound, TriageError
from kubectl_triage.evidence import Gap, ProbeResult
from kubectl_triage.source import Source

DAPR_HTTP_PORT = 3500
SIDECAR = "daprd"


@dataclass
class DaprApp:
    target: AppPod
    app_id: str
    metadata: dict[str, Any] | None = None  # the sidecar's /v1.0/metadata
    metadata_probe: ProbeResult | None = None
    subscribe: list[dict[str, Any]] | None = None  # the app's /dapr/subscribe
    gaps: list[Gap] = field(default_factory=list)


def dapr_app(source: Source, namespace: str, app: str, *, ws: Workloads | None = None) -> DaprApp:
    target = find_app(source, namespace, app, ws=ws)
    app_id = target.pod.annotations.get("dapr.io/app-id") or app
    return DaprApp(target, app_id)


def read_metadata(source: Source, found: DaprApp) -> None:
    pod = found.target.pod
    if not any(c.name == SIDECAR for c in pod.containers):
        return
    result = _get(source, found, port=DAPR_HTTP_PORT, path="/v1.0/metadata", container=SIDECAR)
    found.metadata_probe = result
    found.metadata = _json_or_gap(result, found, "dapr metadata") if result else None


def read_app_subscribe(source: Source, found: DaprApp, *, port: int) -> None:
    result = _get(
        source, found, port=port, path="/dapr/subscribe", container=found.target.container.name
    )
    data = _json_or_gap(result, found, "app /dapr/subscribe") if result else None
    found.subscribe = (
        data if isinstance(data, list) else ([] if result and result.status == 404 else None)
    )


def _get(
    source: Source, found: DaprApp, *, port: int, path: str, container: str
) -> ProbeResult | None:
    pod = found.target.pod
    try:
        return source.http_get(pod.namespace, pod.name, port=port, path=path, container=container)
    except TriageError as exc:
        found.gaps.append(
            Gap(
                "probe",
                type(exc).__name__,
                exc.message,
                namespace=pod.namespace,
                pod=pod.name,
                container=container,
            )
        )
        return None


def _json_or_gap(result: ProbeResult, found: DaprApp, what: str) -> Any:
    if result.status is None or not result.ok:
        why = "; ".join(result.attempts) or f"HTTP {result.status}"
        found.gaps.append(
            Gap(
                "probe",
                "Unavailable",
                f"{what}: {why}",
                namespace=result.namespace,
                pod=result.pod,
                container=result.container,
            )
        )
        return None
    try:
        return json.loads(result.body)
    except ValueError:
        found.gaps.append(
            Gap("probe", "Error", f"{what}: not JSON", namespace=result.namespace, pod=result.pod)
        )
        return None


def dapr_resources(source: Source, namespace: str, kind: str) -> tuple[list[dict], list[Gap]]:
    """Components or Subscriptions; a cluster without Dapr's CRDs gives a gap, not an error."""
    try:
        return source.list(kind, namespace), []
    except (Forbidden, NotFound) as exc:
        reason = "NotFound" if isinstance(exc, NotFound) else "Forbidden"
        message = f"{kind}.dapr.io: " + (
            "not installed (no Dapr CRDs?)" if reason == "NotFound" else exc.message
        )
        return [], [Gap(kind, reason, message, namespace=namespace)]


def scoped_to(resource: dict, app_id: str) -> bool:
    scopes = resource.get("scopes") or []
    return not scopes or app_id in scopes
