"""The present apart from history: what is over is shown as such, never judged as current.

Over: a FailedScheduling followed by Scheduled for the same pod; any event of a pod that no
longer exists or of a ReplicaSet with no pod left (an old rollout); a failing probe of a pod
that is Ready now and has not complained for a while; an event, or a container's last
restart, that ended before the window (`--since`, default the last hour of evidence).
"Now" is when the evidence was captured: a bundle's manifest time, else the newest
timestamp in it; only a live cluster uses the wall clock. Pure; imports `evidence` and
`incidents`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kubectl_triage.evidence import Event, Pod
from kubectl_triage.incidents.model import HistoryItem

# The window a report calls current when --since does not say.
DEFAULT_SINCE = timedelta(hours=1)
# A readiness probe failing now fails every period (10 s by default): ten quiet minutes on
# a Ready pod mean it is over (typically the slow first start of a new pod).
QUIET = timedelta(minutes=10)


@dataclass(frozen=True)
class Split:
    present: tuple[Event, ...]
    history: tuple[HistoryItem, ...]


def capture_time(captured: datetime | None, stamps: Iterable[datetime | None]) -> datetime | None:
    """When the evidence was taken: the source's word, else the newest timestamp in it."""
    if captured is not None:
        return captured
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def _item(event: Event, why: str, *, ended: datetime | None = None) -> HistoryItem:
    return HistoryItem(
        obj=f"{event.kind}/{event.name}",
        reason=event.reason,
        message=event.message,
        ended=ended or event.last,
        why=why,
        count=event.count,
    )


def _scheduled(events: list[Event]) -> dict[str, datetime | None]:
    """Pod name -> when it was last scheduled."""
    out: dict[str, datetime | None] = {}
    for e in events:
        if e.kind == "Pod" and e.reason == "Scheduled":
            known = out.get(e.name)
            out[e.name] = e.last if known is None or (e.last and e.last > known) else known
    return out


def _why_over(
    event: Event,
    *,
    pods: dict[str, Pod],
    live_replicasets: set[str],
    scheduled: dict[str, datetime | None],
    now: datetime | None,
    since: timedelta,
) -> tuple[str, datetime | None] | None:
    """Why this event is history and when it ended, or None when it may be current."""
    if event.kind == "Pod" and event.name not in pods:
        return ("pod no longer exists", event.last)
    if event.kind == "ReplicaSet" and event.name not in live_replicasets:
        return ("ReplicaSet has no pods left (scaled to zero)", event.last)
    if event.kind == "Pod" and event.reason == "FailedScheduling" and event.name in scheduled:
        done = scheduled[event.name]
        if done is None or event.last is None or done >= event.last:
            return (f"scheduled at {_clock(done)}", done)
    if now is not None and event.last is not None and event.last < now - since:
        return (f"before the window (--since {_span(since)})", event.last)
    if event.kind == "Pod" and event.reason == "Unhealthy" and now and event.last:
        pod = pods[event.name]
        if pod.conditions.get("Ready") == "True" and event.last < now - QUIET:
            return ("pod is Ready now; the probe stopped failing", event.last)
    return None


def split_events(
    events: Iterable[Event],
    *,
    pods: Iterable[Pod],
    now: datetime | None,
    since: timedelta = DEFAULT_SINCE,
) -> Split:
    """The events that may be current, and the rest as history. Normal events that are
    over are dropped from both: they were never findings."""
    events = list(events)
    by_name = {p.name: p for p in pods}
    live_rs = {p.owner.name for p in by_name.values() if p.owner and p.owner.kind == "ReplicaSet"}
    scheduled = _scheduled(events)
    present, history = [], []
    for event in events:
        over = _why_over(
            event,
            pods=by_name,
            live_replicasets=live_rs,
            scheduled=scheduled,
            now=now,
            since=since,
        )
        if over is None:
            present.append(event)
        elif event.type == "Warning":
            history.append(_item(event, over[0], ended=over[1]))
    history.sort(key=lambda h: (h.ended is None, h.ended or datetime.min), reverse=True)
    return Split(tuple(present), tuple(history))


def old_restarts(
    pods: Iterable[Pod], *, now: datetime | None, since: timedelta = DEFAULT_SINCE
) -> tuple[HistoryItem, ...]:
    """Containers that last restarted before the window and run now: history."""
    if now is None:
        return ()
    out = []
    for pod in pods:
        for c in pod.containers:
            ended = c.last_finished
            over = ended is not None and ended < now - since
            if c.last_state == "terminated" and over and c.state == "running":
                out.append(
                    HistoryItem(
                        obj=f"Pod/{pod.name}",
                        reason="Restarted",
                        message=f"container {c.name} last terminated: {c.last_reason} "
                        f"(exit code {c.last_exit_code}), restarts {c.restarts}",
                        ended=ended,
                        why=f"before the window (--since {_span(since)})",
                    )
                )
    return tuple(out)


def without_old_restarts(
    pods: Iterable[Pod], *, now: datetime | None, since: timedelta = DEFAULT_SINCE
) -> list[Pod]:
    """The pods with a restart that is history left out of their containers' last state,
    so that their status records judge only the present."""
    pods = list(pods)
    items = old_restarts(pods, now=now, since=since)
    old = {(h.obj[4:], h.message.split(" ", 2)[1]) for h in items}
    out = []
    for pod in pods:
        containers = tuple(
            replace(c, last_state="", last_reason="") if (pod.name, c.name) in old else c
            for c in pod.containers
        )
        out.append(replace(pod, containers=containers))
    return out


def last_word(events: Iterable[Event], workload: str) -> str:
    """What the cluster last said about the workload a name stands for (a StatefulSet or
    Deployment of that name, or its pods): when a Service lost its last pod."""
    pod = re.compile(rf"^{re.escape(workload)}-(?:\d+|[a-z0-9]{{6,10}}-[a-z0-9]{{5}})$")
    about = [
        e
        for e in events
        if e.last is not None
        and (
            (e.kind in ("StatefulSet", "Deployment") and e.name == workload)
            or (e.kind == "Pod" and pod.match(e.name))
        )
    ]
    if not about:
        return ""
    e = max(about, key=lambda e: (e.last, e.kind == "Pod"))
    return f"last event {_clock(e.last)}: {e.kind} {e.name} {e.reason}: {e.message}"


def _clock(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "an unknown time"


def _span(since: timedelta) -> str:
    minutes = int(since.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"
