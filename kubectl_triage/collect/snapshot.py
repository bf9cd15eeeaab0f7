"""`bundle`: save what every other command reads to a directory (docs/bundle-format.md), so
they all give the same answer offline. Secret values are redacted before anything is
written; what could not be read is recorded as a gap in the manifest."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kubectl_triage import names
from kubectl_triage.bundle import MANIFEST
from kubectl_triage.collect.apppod import OPENAPI_PATHS, app_port
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.collect.objects import to_pod, to_replicaset, to_service
from kubectl_triage.errors import BadRequest, NotFound, TriageError, UsageError
from kubectl_triage.evidence import Gap, LogRef, Pod, Service
from kubectl_triage.redact import redact_text, redact_value
from kubectl_triage.source import LogWindow, Source
from kubectl_triage.sources.kinds import BUNDLED_NAMESPACED, KINDS

NAMESPACED = BUNDLED_NAMESPACED  # what a bundle holds per namespace, in writing order


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
    if out.exists() and (archive or not out.is_dir()):
        raise UsageError(f"{out} exists: give a new path")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not empty: give a new path")
    if archive and not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder: create it first")
    root = Path(tempfile.mkdtemp(prefix="kubectl-triage-bundle-")) if archive else out
    try:
        _private_dir(root)
    except OSError as exc:
        raise UsageError(f"cannot create {root}: {exc.strerror}") from None
    try:
        gaps = _write(
            source, namespace, root, window=window, max_requests=max_requests, progress=progress
        )
        if archive:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w:gz") as tar:
                tar.add(root, arcname=out.name.split(".")[0])
        return gaps
    finally:
        if archive:
            shutil.rmtree(root, ignore_errors=True)


def _write(
    source: Source, namespace: str, root: Path, *, window: LogWindow, max_requests: int, progress
) -> list[Gap]:
    gaps: list[Gap] = []
    folder = _private_dir(root / names.check("namespace", namespace))
    read: dict[str, list[dict[str, Any]]] = {}  # each kind listed once, for the dump and us
    for kind in NAMESPACED:
        try:
            items = read[kind] = source.list(kind, namespace)
        except TriageError as exc:
            if kind == "pods":
                raise  # without its pods a namespace has nothing to save
            gaps.append(Gap(kind, _reason(exc), exc.message, namespace=namespace))
            continue
        _dump(folder / f"{kind}.json", kind, [redacted_object(i) for i in items])
    try:
        _dump(root / "nodes.json", "nodes", source.list("nodes", None))
    except TriageError as exc:
        gaps.append(Gap("nodes", _reason(exc), exc.message))
    replicasets = map(to_replicaset, read.get("replicasets", []))
    rs_owners = {rs.uid: rs.controller for rs in replicasets if rs.controller}
    pods = [to_pod(i, rs_owners) for i in read["pods"]]
    services = [to_service(i) for i in read.get("services", [])]
    gaps += _write_logs(
        source, pods, folder, window=window, max_requests=max_requests, progress=progress
    )
    gaps += _write_probes(source, pods, folder, services=services)
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
    _private_text(root / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return gaps


def _reason(exc: TriageError) -> str:
    return type(exc).__name__ if type(exc).__name__ != "TriageError" else "Error"


def _dump(path: Path, kind: str, items: list[dict[str, Any]]) -> None:
    data = {"kind": KINDS[kind].list_kind, "apiVersion": "v1", "items": items}
    _private_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _private_text(path: Path, text: str) -> None:
    """A bundle holds evidence that may still carry secrets: files 0600, folders 0700."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def redacted_object(item: dict[str, Any]) -> dict[str, Any]:
    """Any object as a bundle may hold it: every container's literal env values that look
    secret, secrets inside args and command, the last-applied-configuration annotation
    (the whole manifest again, in clear) and a Dapr Component's metadata values masked.
    valueFrom / secretKeyRef references stay: they name where a secret is, not what."""
    meta = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    if _LAST_APPLIED in annotations:
        annotations[_LAST_APPLIED] = "<redacted>"
    spec = item.get("spec") if isinstance(item.get("spec"), dict) else {}
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    for pod_spec in (spec, template.get("spec")):
        if isinstance(pod_spec, dict):
            _redact_containers(pod_spec)
    if item.get("kind") == "Component" or "components.dapr.io" in str(item.get("apiVersion")):
        for entry in spec.get("metadata") or []:
            if isinstance(entry, dict) and "value" in entry:
                entry["value"] = redact_value(str(entry.get("name", "")), str(entry["value"]))
    return item


def _redact_containers(pod_spec: dict[str, Any]) -> None:
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in pod_spec.get(key) or []:
            if not isinstance(container, dict):
                continue
            for env in container.get("env") or []:
                if isinstance(env, dict) and "value" in env:
                    env["value"] = redact_value(str(env.get("name", "")), str(env["value"]))
            for field in ("args", "command"):
                values = container.get(field)
                if isinstance(values, list):
                    container[field] = [redact_text(str(v)) for v in values]


def _write_logs(
    source: Source, pods: list[Pod], folder: Path, *, window: LogWindow, max_requests: int, progress
) -> list[Gap]:
    refs = log_refs(pods, LogOptions())
    gaps: list[Gap] = []

    def save(ref: LogRef) -> Gap | None:
        container = names.check("container", ref.container)
        name = f"{container}.previous.log" if ref.previous else f"{container}.log"
        target = _private_dir(folder / names.check("name", ref.pod)) / name
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
        _private_text(target, "\n".join(redact_text(line) for line in text.split("\n")))
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(max_requests, len(refs) or 1))) as pool:
        for done, gap in enumerate(pool.map(save, refs), 1):
            if gap:
                gaps.append(gap)
            if progress:
                progress(done, len(refs))
    return gaps


def _write_probes(
    source: Source, pods: list[Pod], folder: Path, *, services: list[Service]
) -> list[Gap]:
    """One pod per workload: its app's OpenAPI document and /dapr/subscribe, its sidecar's
    Dapr metadata; every attempt saved, answered or not."""
    gaps, seen = [], set()
    for pod in sorted(pods, key=lambda p: p.name):
        if pod.workload_name in seen or pod.phase != "Running":
            continue
        seen.add(pod.workload_name)
        probes: list[dict[str, Any]] = []
        app = next((c for c in pod.containers if not c.init and not c.sidecar), None)
        port = app_port(pod, app, services=services) or 0
        name = app.name if app else ""
        groups = [[(port, path, name) for path in OPENAPI_PATHS]] if port else []
        if port and pod.annotations.get("dapr.io/enabled") == "true":
            groups.append([(port, "/dapr/subscribe", name)])
        if any(c.name == "daprd" for c in pod.containers):
            groups.append([(3500, "/v1.0/metadata", "daprd")])
        for group in groups:
            gaps += _probe_first(source, pod, group, probes)
        if probes:
            _private_text(
                _private_dir(folder / names.check("name", pod.name)) / "probes.json",
                json.dumps({"probes": probes}, indent=1) + "\n",
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
