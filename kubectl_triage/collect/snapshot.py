"""`bundle`: save what every other command reads to a directory (docs/bundle-format.md), so
they all give the same answer offline. Secret values are redacted before anything is
written; what could not be read is recorded as a gap in the manifest."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kubectl_triage.bundle import MANIFEST
from kubectl_triage.collect.gather import LogOptions, load_workloads, log_refs
from kubectl_triage.collect.probe import OPENAPI_PATHS
from kubectl_triage.errors import BadRequest, NotFound, TriageError, UsageError
from kubectl_triage.evidence import Gap, LogRef, Pod
from kubectl_triage.redact import redact_text, redact_value
from kubectl_triage.source import LogWindow, Source

NAMESPACED = (
    "pods",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "services",
    "events",
    "components",
    "subscriptions",
)
_LIST_KINDS = {
    "pods": "PodList",
    "deployments": "DeploymentList",
    "replicasets": "ReplicaSetList",
    "statefulsets": "StatefulSetList",
    "daemonsets": "DaemonSetList",
    "services": "ServiceList",
    "events": "EventList",
    "components": "ComponentList",
    "subscriptions": "SubscriptionList",
    "nodes": "NodeList",
}


def write_bundle(
    source: Source,
    namespace: str,
    out: Path,
    *,
    window: LogWindow,
    max_requests: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Gap]:
    """Write the bundle of one namespace to `out` (a directory, or a .tar.gz file)."""
    archive = out.name.endswith((".tar.gz", ".tgz"))
    if out.exists() and (archive or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not empty: give a new path")
    root = Path(tempfile.mkdtemp(prefix="kubectl-triage-bundle-")) if archive else out
    root.mkdir(parents=True, exist_ok=True)
    try:
        gaps = _write(
            source, namespace, root, window=window, max_requests=max_requests, progress=progress
        )
        if archive:
            with tarfile.open(out, "w:gz") as tar:
                tar.add(root, arcname=out.name.split(".")[0])
        return gaps
    finally:
        if archive:
            shutil.rmtree(root, ignore_errors=True)


def _write(
    source: Source, namespace: str, root: Path, *, window: LogWindow, max_requests: int, progress
) -> list[Gap]:
    gaps: list[Gap] = []
    folder = root / namespace
    folder.mkdir(exist_ok=True)
    for kind in NAMESPACED:
        try:
            items = source.list(kind, namespace)
        except TriageError as exc:
            gaps.append(Gap(kind, _reason(exc), exc.message, namespace=namespace))
            continue
        if kind == "pods":
            items = [_redacted_pod(i) for i in items]
        _dump(folder / f"{kind}.json", kind, items)
    try:
        _dump(root / "nodes.json", "nodes", source.list("nodes", None))
    except TriageError as exc:
        gaps.append(Gap("nodes", _reason(exc), exc.message))
    ws = load_workloads(source, namespace)
    gaps += _write_logs(
        source, ws.pods, folder, window=window, max_requests=max_requests, progress=progress
    )
    gaps += _write_probes(source, ws.pods, folder)
    # after the logs: a live source records the logs it could read only in part
    gaps = source.recorded_gaps() + gaps
    manifest = {
        "apiVersion": "triage/v1",
        "kind": "Bundle",
        "createdAt": source.now().isoformat().replace("+00:00", "Z"),
        "context": source.context,
        "namespaces": [namespace],
        "since": (
            (source.now() - window.since).isoformat().replace("+00:00", "Z")
            if window.since
            else None
        ),
        "gaps": [{k: v for k, v in asdict(g).items() if v} for g in gaps],
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return gaps


def _reason(exc: TriageError) -> str:
    return type(exc).__name__ if type(exc).__name__ != "TriageError" else "Error"


def _dump(path: Path, kind: str, items: list[dict[str, Any]]) -> None:
    data = {"kind": _LIST_KINDS[kind], "apiVersion": "v1", "items": items}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _redacted_pod(item: dict[str, Any]) -> dict[str, Any]:
    """Literal env values that look secret are masked; valueFrom references stay."""
    spec = item.get("spec") or {}
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for env in container.get("env") or []:
            if "value" in env:
                env["value"] = redact_value(env.get("name", ""), str(env["value"]))
    annotations = (item.get("metadata") or {}).get("annotations") or {}
    for key in list(annotations):  # last-applied-configuration repeats the env in clear
        if key == "kubectl.kubernetes.io/last-applied-configuration":
            annotations[key] = "<redacted>"
    return item


def _write_logs(
    source: Source, pods: list[Pod], folder: Path, *, window: LogWindow, max_requests: int, progress
) -> list[Gap]:
    refs = log_refs(pods, LogOptions())
    gaps: list[Gap] = []

    def save(ref: LogRef) -> Gap | None:
        name = f"{ref.container}.previous.log" if ref.previous else f"{ref.container}.log"
        target = folder / ref.pod / name
        target.parent.mkdir(exist_ok=True)
        try:
            data = b"".join(source.log(ref, window))
        except (NotFound, BadRequest):
            return (
                None
                if ref.previous
                else Gap(
                    "logs",
                    "NotFound",
                    f"no log of {ref.describe()}",
                    namespace=ref.namespace,
                    pod=ref.pod,
                    container=ref.container,
                )
            )
        except TriageError as exc:
            return Gap(
                "previous-logs" if ref.previous else "logs",
                _reason(exc),
                exc.message,
                namespace=ref.namespace,
                pod=ref.pod,
                container=ref.container,
            )
        text = data.decode("utf-8", "replace")
        target.write_text(
            "\n".join(redact_text(line) for line in text.split("\n")), encoding="utf-8"
        )
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(max_requests, len(refs) or 1))) as pool:
        for done, gap in enumerate(pool.map(save, refs), 1):
            if gap:
                gaps.append(gap)
            if progress:
                progress(done, len(refs))
    return gaps


def _write_probes(source: Source, pods: list[Pod], folder: Path) -> list[Gap]:
    """One pod per workload: its app's OpenAPI document and /dapr/subscribe, its sidecar's
    Dapr metadata; every attempt saved, answered or not."""
    gaps, seen = [], set()
    for pod in sorted(pods, key=lambda p: p.name):
        if pod.workload_name in seen or pod.phase != "Running":
            continue
        seen.add(pod.workload_name)
        probes: list[dict[str, Any]] = []
        app = next((c for c in pod.containers if not c.init and not c.sidecar), None)
        app_port = pod.annotations.get("dapr.io/app-port", "")
        port = int(app_port) if app_port.isdigit() else (app.ports[0] if app and app.ports else 0)
        name = app.name if app else ""
        groups = [[(port, path, name) for path in OPENAPI_PATHS]] if port else []
        if port and pod.annotations.get("dapr.io/enabled") == "true":
            groups.append([(port, "/dapr/subscribe", name)])
        if any(c.name == "daprd" for c in pod.containers):
            groups.append([(3500, "/v1.0/metadata", "daprd")])
        for group in groups:
            gaps += _probe_first(source, pod, group, probes)
        if probes:
            (folder / pod.name).mkdir(exist_ok=True)
            (folder / pod.name / "probes.json").write_text(
                json.dumps({"probes": probes}, indent=1) + "\n", encoding="utf-8"
            )
    return gaps


def _probe_first(
    source: Source, pod: Pod, candidates: list[tuple[int, str, str]], probes: list[dict[str, Any]]
) -> list[Gap]:
    """Ask each candidate path in turn until one answers 2xx; save every answer."""
    for port, path, container in candidates:
        try:
            result = source.http_get(
                pod.namespace, pod.name, port=port, path=path, container=container
            )
        except NotFound:
            continue  # a bundle that never recorded this path (or the pod just went away)
        except TriageError as exc:
            return [
                Gap(
                    "probe",
                    _reason(exc),
                    f"{path}: {exc.message}",
                    namespace=pod.namespace,
                    pod=pod.name,
                    container=container,
                )
            ]
        probes.append(
            {
                "port": port,
                "path": result.path,
                "status": result.status,
                "via": result.via,
                "container": container,
                "attempts": list(result.attempts),
                "body": redact_text(result.body.decode("utf-8", "replace")),
            }
        )
        if result.status is None:
            return [
                Gap(
                    "probe",
                    "Unavailable",
                    f"{path}: " + "; ".join(result.attempts),
                    namespace=pod.namespace,
                    pod=pod.name,
                    container=container,
                )
            ]
        if result.ok:
            return []
    return []
