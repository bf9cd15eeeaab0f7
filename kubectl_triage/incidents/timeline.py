"""The incident over time: failing log records per minute and workload, with what changed.

`build_timeline` buckets the failing records of each workload into the minutes of the
evidence window (the `--since` window that ends "now": a bundle's capture time) and marks
on each row the rollouts (a ReplicaSet created in the window: a Deployment's revision
change), the container restarts the evidence dates (a last termination, a current instance
started after a restart, a `Started` event seen more than once, the first back-off), a
workload whose controller removed its last pod (stopped), and the workload's first failing
record. A failing record is one the report would name: a rule's at warning or above, or an
unnamed error. `to_dict` is the report's `failureTimeline` (camelCase, RFC 3339
times); the renderers draw it (render/timeline.py, render/html.py). `build_timeline` is
pure; `timeline_of` reads a run's Evidence (never the Source beyond it) and judges records
through the run's memo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kubectl_triage.evidence import Event, Level, Pod, Record, ReplicaSet, Severity
from kubectl_triage.report import iso
from kubectl_triage.rules.engine import Match, is_failing

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run
    from kubectl_triage.incidents import Present

ROLLOUT, RESTART, STOPPED, FIRST_FAILURE = "rollout", "restart", "stopped", "first-failure"
# What the workload's controller says when it removes pods; with no pod left, it stopped.
_REMOVED = re.compile(r"^(SuccessfulDelete|ScalingReplicaSet|ScalingReplicaSetDown)$")
MINUTE = timedelta(minutes=1)
# A window longer than a day is drawn from its last day: a minute bucket per column would
# be meaningless at that span and the JSON would carry thousands of zeros.
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class Mark:
    kind: str  # ROLLOUT | RESTART | STOPPED | FIRST_FAILURE
    at: datetime
    minute: int  # index of the minute bucket it falls in
    label: str  # "revision 8", "container worker", the record's first line

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": iso(self.at), "minute": self.minute, "label": self.label}


@dataclass(frozen=True)
class Row:
    namespace: str
    workload: str
    failing: tuple[int, ...]  # failing records per minute of the window
    marks: tuple[Mark, ...]  # in time order
    before: int = 0  # failing records older than the window

    @property
    def total(self) -> int:
        return sum(self.failing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "workload": self.workload,
            "total": self.total,
            "before": self.before,
            "failing": list(self.failing),
            "marks": [m.to_dict() for m in self.marks],
        }


@dataclass(frozen=True)
class Timeline:
    start: datetime  # the first minute's start (whole minutes, UTC)
    rows: tuple[Row, ...]
    minutes: int

    @property
    def end(self) -> datetime:
        return self.start + self.minutes * MINUTE

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "minutes": self.minutes,
            "workloads": [r.to_dict() for r in self.rows],
        }


def window(now: datetime, since: timedelta) -> tuple[datetime, int]:
    """The window's first whole minute and its length in whole minutes, up to `now`
    rounded up (a bundle captured at 23:10:00 ends at 23:10)."""
    now = _utc(now)
    start = _utc(now - min(since, MAX_MINUTES * MINUTE)).replace(second=0, microsecond=0)
    end = now.replace(second=0, microsecond=0)
    end += MINUTE if end < now else timedelta(0)
    return start, max(1, int((end - start) / MINUTE))


def build_timeline(
    *,
    now: datetime,
    since: timedelta,
    pods: Iterable[Pod],
    replicasets: Iterable[ReplicaSet],
    events: Iterable[Event],
    failing: Iterable[Record],
    workload_of: Callable[[Record], tuple[str, str] | None],
) -> Timeline:
    """One row per workload of `pods` (and per workload a failing record names), in the
    order their trouble started; `failing` are the records already judged failing and
    `workload_of` says whose each is: (namespace, workload)."""
    start, minutes = window(now, since)
    pods, replicasets = list(pods), list(replicasets)
    rows: dict[tuple[str, str], _Acc] = {}

    def row(key: tuple[str, str]) -> _Acc:
        return rows.setdefault(key, _Acc(start, minutes))

    for pod in pods:
        acc = row(_key(pod))
        for at, label in _restarts(pod):
            acc.mark(RESTART, at, label)
    for rs in replicasets:
        if rs.controller and rs.created:
            label = f"revision {rs.revision}" if rs.revision else rs.name
            row((rs.namespace, rs.controller.name)).mark(ROLLOUT, rs.created, label)
    _event_marks(events, row=row, pods=pods, replicasets=replicasets)
    for record in failing:
        key = workload_of(record)
        if key and record.time:
            row(key).fail(record, record.time)
    built = [acc.row(*key) for key, acc in rows.items()]
    return Timeline(start, tuple(sorted(built, key=_trouble_first)), minutes)


def _event_marks(
    events: Iterable[Event],
    *,
    row: Callable[[tuple[str, str]], _Acc],
    pods: list[Pod],
    replicasets: list[ReplicaSet],
) -> None:
    """Restarts the events date, and workloads whose controller removed their last pod."""
    owners = {(p.namespace, p.name): _key(p) for p in pods}
    running = set(owners.values())
    controllers = {
        (rs.namespace, rs.name): rs.controller.name for rs in replicasets if rs.controller
    }
    for event in events:
        key = owners.get((event.namespace, event.name)) if event.kind == "Pod" else None
        at = _restart_of(event)
        if key and at:
            row(key).mark(RESTART, at, f"{event.reason}: {event.message}")
        gone = _stopped(event, controllers)
        if gone and gone not in running and event.last:
            row(gone).mark(STOPPED, event.last, f"{event.reason}: {event.message}")


class _Acc:
    def __init__(self, start: datetime, minutes: int) -> None:
        self.start = start
        self.counts = [0] * minutes
        self.marks: dict[tuple[str, int], Mark] = {}  # one mark of a kind per minute
        self.before = 0
        self.first: tuple[datetime, Record] | None = None

    def _minute(self, at: datetime) -> int | None:
        if at < self.start:
            return None
        index = int((at - self.start) / MINUTE)
        # the window's end itself (a record at the capture second) is its last minute
        return index if index < len(self.counts) else self._at_end(at)

    def _at_end(self, at: datetime) -> int | None:
        return len(self.counts) - 1 if at == self.start + len(self.counts) * MINUTE else None

    def mark(self, kind: str, at: datetime, label: str) -> None:
        at = _utc(at)
        minute = self._minute(at)
        if minute is not None:
            self.marks.setdefault((kind, minute), Mark(kind, at, minute, label))

    def fail(self, record: Record, at: datetime) -> None:
        at = _utc(at)
        if self.first is None or at < self.first[0]:
            self.first = (at, record)
        minute = self._minute(at)
        if minute is not None:
            self.counts[minute] += record.count
        elif at < self.start:
            self.before += record.count

    def row(self, namespace: str, workload: str) -> Row:
        marks = list(self.marks.values())
        if self.first is not None:
            at, record = self.first
            minute = self._minute(at)
            if minute is not None:  # the first failure is in the window
                label = (record.message or record.text).split("\n", 1)[0][:200]
                marks.append(Mark(FIRST_FAILURE, at, minute, label))
        ordered = sorted(marks, key=lambda m: (m.at, m.kind))
        return Row(namespace, workload, tuple(self.counts), tuple(ordered), self.before)


def _trouble_first(row: Row) -> tuple:
    """Rows whose failures started first on top; quiet rows last, by name."""
    first = next((i for i, n in enumerate(row.failing) if n), None)
    return (first is None, first or 0, -row.total, row.namespace, row.workload)


def _key(pod: Pod) -> tuple[str, str]:
    return (pod.namespace, pod.workload.name if pod.workload else pod.name)


def _restarts(pod: Pod) -> list[tuple[datetime, str]]:
    """When a container of the pod restarted, as far as its status says."""
    out = []
    for c in pod.containers:
        if not c.restarts:
            continue
        if c.last_finished:
            why = f" ({c.last_reason}, exit code {c.last_exit_code})" if c.last_reason else ""
            out.append((c.last_finished, f"container {c.name} terminated{why}"))
        if c.started:
            out.append((c.started, f"container {c.name} started again"))
    return out


def _stopped(event: Event, controllers: dict[tuple[str, str], str]) -> tuple[str, str] | None:
    """The workload whose controller removed pods in this event (a StatefulSet deleting its
    pod, a Deployment scaling a ReplicaSet down); the caller keeps it when no pod is left."""
    if not _REMOVED.match(event.reason):
        return None
    if event.kind == "ReplicaSet":
        name = controllers.get((event.namespace, event.name))
        return (event.namespace, name) if name else None
    if event.kind in ("StatefulSet", "Deployment", "DaemonSet"):
        if event.reason.startswith("Scaling") and "down" not in event.message.lower():
            return None
        return (event.namespace, event.name)
    return None


def _restart_of(event: Event) -> datetime | None:
    """When an event says a container restarted: a container started more than once
    started again at its last time; a back-off began after a restart."""
    if event.reason == "Started" and event.count > 1:
        return event.last
    if event.reason == "BackOff" and "restarting" in event.message:
        return event.first
    return None


def _utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)


def timeline_of(run: Run, *, records: Iterable[Record], now: Present) -> Timeline | None:
    """The run's timeline over the view's log records, or None when the evidence has no
    time to end it at (a dump without a single timestamp)."""
    if now.now is None:
        return None
    evidence = run.evidence
    pods = {(p.namespace, p.name): _key(p) for p in evidence.pods}

    def workload_of(record: Record) -> tuple[str, str] | None:
        return pods.get((record.ref.namespace, record.ref.pod)) if record.ref else None

    return build_timeline(
        now=now.now,
        since=now.since,
        pods=evidence.pods,
        replicasets=evidence.replicasets,
        events=evidence.events,
        failing=(r for r in records if r.ref and _failing(r, run.classify(r))),
        workload_of=workload_of,
    )


def _failing(record: Record, match: Match | None) -> bool:
    """A failure the report would name: a rule's at warning or above, or an error nobody
    named. An unnamed warning (a sidecar's deprecation notice at start-up) is not drawn:
    it would mark the first failure where nothing failed."""
    if not is_failing(record, match):
        return False
    if match is not None:
        return match.rule.severity >= Severity.WARNING
    return record.level >= Level.ERROR
