"""Dapr evidence: the sidecar's metadata and the app's programmatic subscriptions, asked
through the run's Evidence (once per pod). Collects only; judging is in detectors/ and
commands/dapr*.py. (Component and Subscription resources: Evidence.dapr.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubectl_triage.collect.apppod import AppPod, find_app
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Gap, ProbeResult

if TYPE_CHECKING:
    from kubectl_triage.collect.run import Evidence

DAPR_HTTP_PORT = 3500
SIDECAR = "daprd"
# What a view of Dapr calls looks for in logs beyond the rules' words: service invocation
# and publish paths (checklist's request path, topics published with no subscriber).
CALL_LITERALS = ("/v1.0/invoke/", "/v1.0/publish/")


@dataclass
class DaprApp:
    target: AppPod
    app_id: str
    metadata: dict[str, Any] | None = None  # the sidecar's /v1.0/metadata
    metadata_probe: ProbeResult | None = None
    subscribe: list[dict[str, Any]] | None = None  # the app's /dapr/subscribe
    gaps: list[Gap] = field(default_factory=list)


def dapr_app(evidence: Evidence, app: str) -> DaprApp:
    target = find_app(evidence, app)
    app_id = target.pod.annotations.get("dapr.io/app-id") or app
    return DaprApp(target, app_id)


def read_metadata(source: Evidence, found: DaprApp) -> None:
    pod = found.target.pod
    if not any(c.name == SIDECAR for c in pod.containers):
        return
    result = _get(source, found, port=DAPR_HTTP_PORT, path="/v1.0/metadata", container=SIDECAR)
    found.metadata_probe = result
    found.metadata = _json_or_gap(result, found, "dapr metadata") if result else None


def read_app_subscribe(source: Evidence, found: DaprApp, *, port: int) -> None:
    result = _get(
        source, found, port=port, path="/dapr/subscribe", container=found.target.container.name
    )
    if result is not None and result.status == 404:
        # An app without programmatic subscriptions serves no /dapr/subscribe; daprd reads
        # the 404 as "none", and so does the report: an answer, not a gap.
        found.subscribe = []
        return
    data = _json_or_gap(result, found, "app /dapr/subscribe") if result else None
    found.subscribe = data if isinstance(data, list) else None


def _get(
    source: Evidence, found: DaprApp, *, port: int, path: str, container: str
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
