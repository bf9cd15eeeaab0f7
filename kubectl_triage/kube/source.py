"""LiveSource: the Source protocol over a live API server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from kubectl_triage import names
from kubectl_triage.evidence import Gap, LogRef, ProbeResult
from kubectl_triage.kube.client import Kube
from kubectl_triage.kube.config import ConnectOptions, resolve
from kubectl_triage.kube.logstream import read_log
from kubectl_triage.source import LogWindow
from kubectl_triage.sources.kinds import KINDS

# 500 lines: enough to hold a crash loop's last start-up, small enough that a 50-pod
# namespace stays within a few MB; --tail raises it.
DEFAULT_TAIL = 500


class LiveSource:
    def __init__(self, options: ConnectOptions, *, max_requests: int = 10) -> None:
        resolved = resolve(options)
        self.context = resolved.context
        self._namespace = resolved.namespace
        self.kube = Kube(resolved, timeout=options.request_timeout, pool_size=max_requests)
        self._gaps: list[Gap] = []  # logs cut mid-way (appended from the log workers)

    def default_namespace(self) -> str:
        return self._namespace

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def namespaces(self) -> list[str]:
        return [i["metadata"]["name"] for i in self.list("namespaces", None)]

    def list(self, kind: str, namespace: str | None, *, selector: str = "") -> list[dict[str, Any]]:
        base = KINDS[kind].api
        if namespace and KINDS[kind].namespaced:
            path = f"{base}/namespaces/{names.check('namespace', namespace)}/{kind}"
        else:
            path = f"{base}/{kind}"
        query = {"labelSelector": selector or None}
        return self.kube.get_json(path, query).get("items") or []

    def log(self, ref: LogRef, window: LogWindow) -> Iterator[bytes]:
        query = {
            "container": ref.container,
            "timestamps": True,
            "previous": ref.previous or None,
            "tailLines": window.tail if window.tail is not None else DEFAULT_TAIL,
            "sinceSeconds": int(window.since.total_seconds()) if window.since else None,
            # RFC 3339 in whole seconds, as kubectl sends it (metav1.Time)
            "sinceTime": window.since_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            if window.since_time
            else None,
            "follow": window.follow or None,
        }
        if query["tailLines"] == -1:
            query["tailLines"] = None
        namespace, pod = names.check("namespace", ref.namespace), names.check("name", ref.pod)
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        # Following waits as long as the container is quiet: no read timeout then.
        return read_log(
            self.kube, path, query, ref=ref, follow=window.follow, record_gap=self._gaps.append
        )

    def http_get(
        self, namespace: str, pod: str, *, port: int, path: str, container: str = ""
    ) -> ProbeResult:
        from kubectl_triage.kube.inpod import http_get

        return http_get(
            self.kube, namespace=namespace, pod=pod, port=port, path=path, container=container
        )

    def http_post(
        self, namespace: str, pod: str, *, port: int, path: str, data: bytes, container: str = ""
    ) -> ProbeResult:
        from kubectl_triage.kube.inpod import http_request

        return http_request(
            self.kube,
            namespace=namespace,
            pod=pod,
            port=port,
            path=path,
            container=container,
            data=data,
        )

    def process_env(self, namespace: str, pod: str, *, container: str) -> dict[str, str]:
        from kubectl_triage.kube.inpod import process_env

        return process_env(self.kube, namespace=namespace, pod=pod, container=container)

    def recorded_gaps(self) -> list[Gap]:
        return list(self._gaps)
