"""`events [TARGET]`: events in the order they happened, warnings first, grouped by object
and reason, rolled up to the owning workload, and judged by the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kubectl_triage.collect.gather import resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.timefmt import age
from kubectl_triage.errors import UsageError
from kubectl_triage.evidence import Event, Pod, ReplicaSet
from kubectl_triage.incidents import present
from kubectl_triage.report import Report, Table, iso
from kubectl_triage.rules.facts import event_records
from kubectl_triage.sources.kinds import KINDS, target_kind

_COLUMNS = (
    "type",
    "last seen",
    "workload",
    "object",
    "reason",
    "count",
    "message",
    "first seen",
    "source",
)
_WIDE = ("first seen", "source")


@dataclass(frozen=True)
class EventFilter:
    """kubectl events' `--types` and `--for`: which events a report is about at all.
    Unlike a TARGET, `--for` is the object itself, not rolled up from its pods."""

    types: tuple[str, ...] = ()  # "Normal", "Warning"; empty: both
    obj: tuple[str, str] | None = None  # (kind, name) of the involved object

    def keeps(self, event: Event) -> bool:
        if self.types and event.type not in self.types:
            return False
        return self.obj is None or (event.kind, event.name) == self.obj


_TYPES = ("Normal", "Warning")


def parse_types(text: str) -> tuple[str, ...]:
    """`Warning`, `normal,warning` -> ("Warning",), ("Normal", "Warning"); as kubectl,
    case does not matter."""
    chosen = []
    for word in filter(None, (w.strip() for w in text.split(","))):
        match = next((t for t in _TYPES if t.lower() == word.lower()), None)
        if match is None:
            raise UsageError("valid --types are Normal or Warning")
        chosen.append(match)
    return tuple(dict.fromkeys(chosen))


def parse_for(text: str) -> tuple[str, str]:
    """`pod/web-1`, `deploy/api`, `Service/db` -> (Kind, name)."""
    prefix, _, name = text.partition("/")
    kind = target_kind(prefix) or next(
        (k for k in KINDS.values() if prefix.lower() in (k.resource, k.kind.lower())), None
    )
    if not name or "/" in name or kind is None:
        raise UsageError(f'--for wants KIND/NAME (pod/web-1, deploy/api), not "{text}"')
    return kind.kind, name


@dataclass
class _Row:
    event: Event
    workload: str
    count: int
    first: datetime | None
    last: datetime | None


def events_report(
    run: Run,
    *,
    target: str | None,
    since: timedelta | None = None,
    only: EventFilter = EventFilter(),  # noqa: B008 - frozen, built once
) -> Report:
    events, gaps = run.evidence.events, run.evidence.gaps_of("events")
    events = [e for e in events if only.keeps(e)]
    current = present(run, since=since)  # rules judge the present; the rest is history
    ws = run.evidence.workloads()
    workload_of = _rollup(ws.pods, ws.replicasets)
    if target:
        events = _about(events, resolve_target(ws, target), ws.replicasets)
    tally = run.tally()
    now_on = set(current.events)
    tally.add_all(event_records(e for e in events if e in now_on))
    mine = {(f"{e.kind}/{e.name}", e.reason) for e in events}  # the target's, when one
    history = [h for h in current.history if (h.obj, h.reason) in mine]
    now = current.now or run.source.now()  # a bundle's ages run to when it was captured
    grouped = _grouped(events, workload_of)
    rows = [_row_cells(r, now) for r in grouped]
    times = tuple({"lastTime": iso(r.last), "firstTime": iso(r.first)} for r in grouped)
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="events",
        findings=tally.findings(
            context=run.context_values(target or ""), workload_of=run.workload_of(ws.pods)
        ),
        tables=(_table(rows, times, grouped, all_namespaces=run.namespace is None),),
        gaps=tuple(gaps + ws.gaps),
        extra={"history": [h.to_dict() for h in history]},
    )


def _table(rows: list, times: tuple, grouped: list[_Row], *, all_namespaces: bool) -> Table:
    table = Table("events", _COLUMNS, tuple(rows), wide_columns=_WIDE, data=times,
                  narrow_drops=("workload", "count"), below="message")
    return table.with_namespaces([r.event.namespace for r in grouped]) if all_namespaces else table


def _rollup(pods: list[Pod], replicasets: list[ReplicaSet]) -> dict[str, str]:
    """Object uid (pod, ReplicaSet) -> "deployment/NAME"."""
    out = {p.uid: p.workload_name for p in pods if p.uid}
    for rs in replicasets:
        if rs.uid and rs.controller:
            out[rs.uid] = f"{rs.controller.kind.lower()}/{rs.controller.name}"
    return out


def _about(events: list[Event], pods: list[Pod], replicasets: list[ReplicaSet]) -> list[Event]:
    """Events of the target's pods, their ReplicaSets and workload: by uid, or kind+name
    when an event carries no uid; never by name alone."""
    uids, keys = set(), set()
    for pod in pods:
        uids.add(pod.uid)
        keys.add(("Pod", pod.name))
        for owner in (pod.owner, pod.workload):
            if owner:
                uids.add(owner.uid)
                keys.add((owner.kind, owner.name))
    for rs in replicasets:
        if any(ref.uid in uids for ref in rs.owners):
            uids.add(rs.uid)
            keys.add(("ReplicaSet", rs.name))
    uids.discard("")
    return [e for e in events if (e.uid in uids if e.uid else (e.kind, e.name) in keys)]


def _grouped(events: list[Event], workload_of: dict[str, str]) -> list[_Row]:
    groups: dict[tuple, _Row] = {}
    for e in sorted(events, key=lambda e: _sort_time(e.last)):
        key = (e.namespace, e.kind, e.name, e.uid, e.reason, e.type)
        row = groups.get(key)
        if row is None:
            workload = workload_of.get(e.uid, "") or (
                f"{e.kind.lower()}/{e.name}" if e.kind in ("Deployment", "StatefulSet") else ""
            )
            groups[key] = _Row(e, workload, e.count, e.first, e.last)
            continue
        row.count += e.count
        row.first = min((t for t in (row.first, e.first) if t), default=None)
        row.last, row.event = e.last or row.last, e  # the latest message speaks
    return sorted(groups.values(), key=lambda r: (r.event.type != "Warning", _sort_time(r.last)))


def _sort_time(value: datetime | None) -> float:
    return value.timestamp() if value else float("-inf")


def _row_cells(row: _Row, now: datetime) -> tuple[str, ...]:
    e = row.event
    return (
        e.type,
        age(row.last, now),
        row.workload or "-",
        f"{e.kind.lower()}/{e.name}",
        e.reason,
        str(row.count),
        " ".join(e.message.split()),
        age(row.first, now),
        e.source or "-",
    )
