"""Evidence as plain, frozen data: pods and their containers, events, log records, gaps.

Collectors produce these, rules and renderers consume them; nothing here talks to a
cluster or judges anything. Imports only the standard library.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class Level(enum.IntEnum):
    """A log record's level, as detected from the line (UNKNOWN when it says none)."""

    UNKNOWN = 0
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        key = text.strip().upper()
        if key == "WARN":
            key = "WARNING"
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use info, warning or error)") from None


class Verdict(enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class LogRef:
    """One container's log: current, or the previous (crashed) instance's."""

    namespace: str
    pod: str
    container: str
    previous: bool = False

    def describe(self) -> str:
        suffix = " (previous)" if self.previous else ""
        return f"{self.pod}/{self.container}{suffix}"


@dataclass(frozen=True, slots=True)
class Record:
    """One logical log entry: a line, or a whole stack trace."""

    text: str  # prefixes stripped; a multi-line trace keeps its newlines
    level: Level
    message: str  # the header line, or the JSON/logfmt message field
    time: datetime | None = None  # server-side timestamp, else the line's own
    line: int = 0  # 1-based line number of the header in its log
    ref: LogRef | None = None  # the log it came from (kind "log")
    fields: Mapping[str, str] = field(default_factory=dict)
    kind: str = "log"  # log | event | status
    namespace: str = ""  # for events and status: the object it is about
    obj: str = ""  # "Pod/web-1", "ReplicaSet/web-7c9d"
    count: int = 1  # an event seen 30 times is one record that counts 30


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One entry of a container's env (or envFrom) as its spec writes it."""

    name: str  # for envFrom: PREFIX*
    value: str | None  # a literal value; None for a reference
    reference: str = ""  # "<secret NAME/KEY>", "<field PATH>", "<all keys of configMap NAME>"


@dataclass(frozen=True, slots=True)
class ContainerState:
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # running | waiting | terminated | unknown
    reason: str = ""  # waiting/terminated reason, e.g. CrashLoopBackOff
    message: str = ""
    exit_code: int | None = None
    started: datetime | None = None
    last_state: str = ""  # terminated | "" ; the previous instance
    last_reason: str = ""
    last_exit_code: int | None = None
    last_finished: datetime | None = None
    init: bool = False
    sidecar: bool = False
    ports: tuple[int, ...] = ()  # declared containerPorts
    env: tuple[EnvVar, ...] = ()  # the spec's env, then its envFrom


@dataclass(frozen=True, slots=True)
class Owner:
    kind: str
    name: str
    uid: str = ""


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    uid: str
    phase: str
    node: str
    created: datetime | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    owner: Owner | None  # direct owner (ReplicaSet, StatefulSet, …)
    workload: Owner | None  # top owner (Deployment, StatefulSet, DaemonSet, Job)
    containers: tuple[ContainerState, ...]
    reason: str = ""  # pod-level reason, e.g. Evicted
    message: str = ""
    conditions: Mapping[str, str] = field(default_factory=dict)  # type -> status
    condition_reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def workload_name(self) -> str:
        if self.workload:
            return f"{self.workload.kind.lower()}/{self.workload.name}"
        return f"pod/{self.name}"


@dataclass(frozen=True, slots=True)
class Event:
    namespace: str
    kind: str  # involvedObject.kind
    name: str
    uid: str
    reason: str
    message: str
    type: str  # Normal | Warning
    count: int
    first: datetime | None
    last: datetime | None  # series.lastObservedTime, else lastTimestamp, else eventTime
    source: str = ""


@dataclass(frozen=True, slots=True)
class Gap:
    """Evidence that could not be collected, and why; shown in every report."""

    kind: str  # logs | previous-logs | pods | events | …
    reason: str  # a Kubernetes Status reason (Forbidden, NotFound, …) or Error
    message: str
    namespace: str = ""
    pod: str = ""
    container: str = ""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """An HTTP GET made inside a pod, and how it got there."""

    namespace: str
    pod: str
    port: int
    path: str
    status: int | None  # None: no way reached the port
    body: bytes = b""
    via: str = ""  # "proxy", "exec:curl", "exec:wget", "exec:python3", "bundle"
    container: str = ""
    attempts: tuple[str, ...] = ()  # why the earlier ways did not work, one line each

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Deployment:
    """What the rollout checks and target resolution need of a Deployment."""

    namespace: str
    name: str
    uid: str
    generation: int
    observed_generation: int
    want: int  # spec.replicas (1 when unset)
    replicas: int | None  # status.replicas; None when the status does not say
    updated: int
    ready: int
    available: int
    deadline_exceeded: bool  # the Progressing condition says ProgressDeadlineExceeded
    images: tuple[str, ...]  # the pod template's containers' images


@dataclass(frozen=True, slots=True)
class ReplicaSet:
    namespace: str
    name: str
    uid: str
    owners: tuple[Owner, ...]  # every ownerReference; the controller first
    revision: int  # deployment.kubernetes.io/revision, 0 when absent
    want: int = 1  # spec.replicas (Kubernetes' default 1); 0: scaled to zero
    replicas: int = 0  # status.replicas: pods it has now
    created: datetime | None = None  # when this revision was rolled out

    @property
    def controller(self) -> Owner | None:
        return self.owners[0] if self.owners else None


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    selector: Mapping[str, str]  # empty: endpoints are managed by hand (or ExternalName)
    target_ports: tuple[int, ...]  # numeric targetPorts, in the order declared
    type: str = "ClusterIP"

    def selects(self, pod: Pod) -> bool:
        return bool(self.selector) and all(pod.labels.get(k) == v for k, v in self.selector.items())


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    """The ready addresses an EndpointSlice gives its Service (live clusters only)."""

    namespace: str
    service: str
    ready: int  # endpoints whose conditions.ready is not false


@dataclass(frozen=True, slots=True)
class DaprResource:
    """A Dapr Component or Subscription."""

    kind: str  # components | subscriptions
    namespace: str
    name: str
    scopes: tuple[str, ...]
    spec: Mapping[str, object]

    def scoped_to(self, app_id: str) -> bool:
        return not self.scopes or app_id in self.scopes
