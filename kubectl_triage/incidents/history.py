"""The present apart from history: what is over is shown as such, never judged as current.

Over: a FailedScheduling followed by Scheduled for the same pod; any event of a pod that no
longer exists; any event of a ReplicaSet scaled to zero (spec.replicas 0: an old rollout,
named with the newer ReplicaSet of its Deployment) or of a pod it still has, or of a
ReplicaSet that no longer exists; a failing probe of a pod that is Ready now and has not
complained for a while; an event, or a container's last restart, that ended before the
window (`--since`, default the last hour of evidence). A ReplicaSet that wants pods and has
none (its FailedCreate: a quota, an admission webhook) is current, not an old rollout.
"Now" is when the evidence was captured: a bundle's manifest time, else the newest
timestamp in it; only a live cluster uses the wall clock. Pure; imports `evidence` and
`incidents`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kubectl_triage.evidence import Event, Pod, ReplicaSet
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


def retired_replicasets(replicasets: Iterable[ReplicaSet]) -> dict[str, str]:
    """ReplicaSet name -> why it is over: scaled to zero (spec.replicas 0), with the newest
    ReplicaSet of the same Deployment when there is one."""
    replicasets = list(replicasets)
    newest: dict[tuple[str, str], ReplicaSet] = {}
    for rs in replicasets:
        owner = rs.controller
        if owner is None or rs.want == 0:
            continue
        key = (rs.namespace, owner.uid or owner.name)
        if key not in newest or rs.revision > newest[key].revision:
            newest[key] = rs
    out = {}
    for rs in replicasets:
        if rs.want != 0:
            continue
        owner = rs.controller
        newer = newest.get((rs.namespace, owner.uid or owner.name)) if owner else None
        why = "ReplicaSet scaled to zero"
        if newer is not None and newer.revision > rs.revision:
            why += f", superseded by {newer.name} (revision {newer.revision})"
        out[rs.name] = why
    return out


@dataclass(frozen=True)
class _Owners:
    """What the evidence says of the ReplicaSets events name."""

    live: set[str]  # owners of pods that exist
    listed: set[str]  # every ReplicaSet listed (empty: none could be read)
    retired: dict[str, str]  # scaled to zero -> why


def _replicaset_over(
    event: Event, pods: dict[str, Pod], owners: _Owners
) -> tuple[str, datetime | None] | None:
    if event.kind == "ReplicaSet":
        if event.name in owners.retired:
            return (owners.retired[event.name], event.last)
        if owners.listed and event.name not in owners.listed:
            return ("ReplicaSet no longer exists", event.last)
        if not owners.listed and event.name not in owners.live:
            # no ReplicaSet could be read: no pod left is the best word there is
            return ("ReplicaSet has no pods left", event.last)
        return None
    pod = pods.get(event.name) if event.kind == "Pod" else None
    if pod is not None and pod.owner and pod.owner.kind == "ReplicaSet":
        why = owners.retired.get(pod.owner.name)
        if why:
            return ("its " + why.replace("ReplicaSet", f"ReplicaSet {pod.owner.name}", 1),
                    event.last)
    return None


def _why_over(
    event: Event,
    *,
    pods: dict[str, Pod],
    owners: _Owners,
    scheduled: dict[str, datetime | None],
    now: datetime | None,
    since: timedelta,
) -> tuple[str, datetime | None] | None:
    """Why this event is history and when it ended, or None when it may be current."""
    if event.kind == "Pod" and event.name not in pods:
        return ("pod no longer exists", event.last)
    old_rollout = _replicaset_over(event, pods, owners)
    if old_rollout is not None:
        return old_rollout
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
    replicasets: Iterable[ReplicaSet] = (),
) -> Split:
    """The events that may be current, and the rest as history. Normal events that are
    over are dropped from both: they were never findings. `replicasets`: those listed
    (none: they could not be read, and a ReplicaSet without pods is taken as over)."""
    events = list(events)
    by_name = {p.name: p for p in pods}
    replicasets = list(replicasets)
    owners = _Owners(
        live={p.owner.name for p in by_name.values() if p.owner and p.owner.kind == "ReplicaSet"},
        listed={rs.name for rs in replicasets},
        retired=retired_replicasets(replicasets),
    )
    scheduled = _scheduled(events)
    present, history = [], []
    for event in events:
        over = _why_over(
            event,
            pods=by_name,
            owners=owners,
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
