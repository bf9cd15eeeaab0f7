"""Where evidence comes from: the Source protocol that the live cluster and a bundle share.

Collectors ask a Source for resources (plain API JSON) and log bytes; they never know which
one they read. Imports only the standard library and `evidence`/`errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from kubectl_triage.evidence import Gap, LogRef, ProbeResult
from kubectl_triage.sources.kinds import KINDS as KINDS_TABLE

# What a Source may be asked to list: the rows of the one kinds table.
KINDS = tuple(KINDS_TABLE)


@dataclass(frozen=True)
class LogWindow:
    """Which part of a log to read. None means the source's default."""

    tail: int | None = None
    since: timedelta | None = None
    since_time: datetime | None = None  # --since-time: the API's sinceTime (not with since)
    follow: bool = False  # keep reading new lines until the stream ends (live only)


class Source(Protocol):
    context: str

    def default_namespace(self) -> str: ...

    def now(self) -> datetime: ...

    def namespaces(self) -> list[str]: ...

    def list(self, kind: str, namespace: str | None, *, selector: str = "") -> list[dict[str, Any]]:
        """Items of one kind (plain API JSON); namespace None means all namespaces."""
        ...

    def log(self, ref: LogRef, window: LogWindow) -> Iterator[bytes]:
        """A container's log as `kubectl logs --timestamps` gives it, in chunks."""
        ...

    def http_get(self, namespace: str, pod: str, *, port: int, path: str,
                 container: str = "") -> ProbeResult:
        """GET http://localhost:PORT/PATH inside the pod (live: pod proxy, else exec)."""
        ...

    def http_post(self, namespace: str, pod: str, *, port: int, path: str, data: bytes,
                  container: str = "") -> ProbeResult:
        """POST JSON to http://localhost:PORT/PATH inside the pod. Changes state: only
        commands that asked the user call it; a bundle refuses."""
        ...

    def process_env(self, namespace: str, pod: str, *, container: str) -> dict[str, str]:
        """The environment of the container's running process (live: exec `env`)."""
        ...

    def recorded_gaps(self) -> list[Gap]:
        """Gaps the source recorded itself: a bundle's manifest, a live log cut mid-way."""
        ...
