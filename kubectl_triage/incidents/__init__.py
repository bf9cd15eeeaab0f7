"""The incident, not the lines: one run's findings joined into ranked root causes.

`story(run, records=…, findings=…)` reads the run's Evidence (pods, owners, Services,
events, Subscriptions) and the records the view already read, splits the present from
history (history.py), draws the service graph (graph.py), attributes each callee's
failure to the callee (attribute.py) and ranks the root causes (rank.py). It never reads
the Source beyond what the Evidence memoises; the modules it calls are pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kubectl_triage.evidence import Event, Level, Pod, Record, Severity
from kubectl_triage.incidents.attribute import (
    SYMPTOMS,
    node_resolver,
    observe,
    service_observations,
)
from kubectl_triage.incidents.graph import ServiceGraph, build_graph
from kubectl_triage.incidents.history import (
    DEFAULT_SINCE,
    capture_time,
    last_word,
    old_restarts,
    retired_replicasets,
    split_events,
    without_old_restarts,
)
from kubectl_triage.incidents.model import HistoryItem, Incident, Observation
from kubectl_triage.incidents.rank import rank_incidents, ranked
from kubectl_triage.report import Finding, Where
from kubectl_triage.rules.engine import fill_command
from kubectl_triage.rules.facts import event_records, status_records
from kubectl_triage.rules.model import Rule

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run
    from kubectl_triage.detectors.model import Amendment

__all__ = ["Present", "Story", "present", "story"]


@dataclass(frozen=True)
class Present:
    """What a view judges as current: events and pods with history taken out."""

    now: datetime | None
    since: timedelta
    events: tuple[Event, ...]
    pods: tuple[Pod, ...]
    history: tuple[HistoryItem, ...]
    # pods of a ReplicaSet scaled to zero, still going away: their logs are history too
    retired_pods: frozenset[str] = frozenset()

    def records(self) -> list[Record]:
        """The present events and pod states as records for the rules table."""
        return [*event_records(self.events), *status_records(self.pods)]

    def current_logs(self, records: Iterable[Record]) -> list[Record]:
        """These log records without those of pods an old rollout left behind."""
        if not self.retired_pods:
            return list(records)
        return [r for r in records if r.ref is None or r.ref.pod not in self.retired_pods]


@dataclass(frozen=True)
class Story:
    incidents: tuple[Incident, ...]
    history: tuple[HistoryItem, ...]
    graph: ServiceGraph

    def to_dict(self) -> dict:
        return {
            "incidents": [i.to_dict() for i in self.incidents],
            "history": [h.to_dict() for h in self.history],
        }


def present(run: Run, *, since: timedelta | None = None) -> Present:
    """The run's events and pods, split into what may be current and what is history."""
    evidence = run.evidence
    since = since or DEFAULT_SINCE
    events = evidence.events
    now = capture_time(_captured(run), (e.last for e in events))
    replicasets = evidence.replicasets
    split = split_events(
        events, pods=evidence.pods, now=now, since=since, replicasets=replicasets
    )
    # a pod its ReplicaSet no longer wants (scaled to zero, going away): its state is history
    retired = retired_replicasets(replicasets)
    wanted = [
        p for p in evidence.pods
        if not (p.owner and p.owner.kind == "ReplicaSet" and p.owner.name in retired)
    ]
    restarts = old_restarts(wanted, now=now, since=since)
    pods = without_old_restarts(wanted, now=now, since=since)
    gone = frozenset(p.name for p in evidence.pods) - {p.name for p in wanted}
    return Present(now, since, split.present, tuple(pods), split.history + restarts, gone)


def _captured(run: Run) -> datetime | None:
    """The source's own time: a bundle's manifest, a live cluster's clock; None for a
    dump, whose time is the newest in it."""
    manifest = getattr(run.source, "manifest", None)
    if manifest is not None and not manifest.get("createdAt"):
        return None
    return run.source.now()


def story(
    run: Run,
    *,
    records: Iterable[Record],
    findings: Iterable[Finding],
    now: Present,
    amend: Mapping[str, Amendment] | None = None,
) -> Story:
    """Incidents from the log records the view read, the present events and pod states,
    and the detectors' findings about objects; with -A, each namespace on its own (a name
    means the Service of the caller's namespace), ranked together."""
    evidence = run.evidence
    logs = [r for r in now.current_logs(records) if r.ref is not None]
    judged = []
    for record in [*logs, *now.records()]:
        match = run.classify(record)
        if match is None or match.rule.severity < Severity.WARNING:
            continue
        # a refused or timed-out call logged at DEBUG was retried and handled; a DEBUG line
        # of a bug (the payload's keys) is still its evidence
        if record.level != Level.DEBUG or match.rule.id not in SYMPTOMS:
            judged.append((record, match.rule, match.detail))
    findings = list(findings)
    namespaces = sorted(
        {p.namespace for p in evidence.pods} | {s.namespace for s in evidence.services}
    )
    incidents: list[Incident] = []
    graph = ServiceGraph()
    for namespace in namespaces or [evidence.scope_namespace]:
        got, graph_of_ns = _story_of(run, namespace, logs=logs, judged=judged, findings=findings)
        incidents += got
        graph.merge(graph_of_ns)
    incidents = [_amended(i, amend or {}) for i in incidents]
    incidents = [_when_it_went(i, evidence.events) for i in incidents]
    return Story(tuple(ranked(incidents)), now.history, graph)


def _when_it_went(incident: Incident, events: list[Event]) -> Incident:
    """A Service nothing stands behind: what the cluster last said about its workload."""
    if incident.node[0] != "Service":
        return incident
    said = last_word((e for e in events if e.namespace == incident.namespace), incident.node[1])
    detail = "; ".join(x for x in (incident.detail, said) if x)
    return replace(incident, detail=detail) if said else incident


def _amended(incident: Incident, amend: Mapping[str, Amendment]) -> Incident:
    """A detector's measure of the cause (the routes the callee really serves) as the
    incident's detail, and its next commands first."""
    change = amend.get(incident.rules[0])
    if change is None:
        return incident
    kept = [c for c in incident.next if "<" not in c]
    nexts = tuple(dict.fromkeys([*change.next, *kept]))[:3]
    return replace(incident, detail=change.detail or incident.detail, next=nexts)


def _story_of(
    run: Run,
    namespace: str,
    *,
    logs: list[Record],
    judged: list[tuple[Record, Rule, str]],
    findings: list[Finding],
) -> tuple[list[Incident], ServiceGraph]:
    evidence = run.evidence

    def here(items: Iterable, ns_of: Callable) -> list:
        return [i for i in items if ns_of(i) == namespace]

    pods = here(evidence.pods, lambda p: p.namespace)
    owners = {
        rs.name: (rs.controller.kind, rs.controller.name)
        for rs in here(evidence.replicasets, lambda rs: rs.namespace)
        if rs.controller
    }
    node_of = node_resolver(pods, owners)
    graph = build_graph(
        pods,
        here(evidence.services, lambda s: s.namespace),
        records=[(node_of(r), r) for r in here(logs, _namespace_of)],
        subscriptions=here(evidence.dapr("subscriptions"), lambda d: d.namespace),
    )
    observations = observe(
        here(judged, lambda j: _namespace_of(j[0])), node_of=node_of, graph=graph
    )
    observations += service_observations(
        here(findings, lambda f: f.where[0].namespace if f.where else ""), graph
    )
    rules = run.ruleset.by_id
    incidents = rank_incidents(
        observations,
        titles=lambda rule: rules[rule].title if rule in rules else rule,
        next_for=lambda group: _next(run, group),
    )
    return incidents, graph


def _namespace_of(record: Record) -> str:
    return record.ref.namespace if record.ref else record.namespace


def _next(run: Run, group: list[Observation]) -> tuple[str, ...]:
    """The rules' next commands, filled for the node (the workload, not one of its pods):
    the cause's first, then the others', three at most."""
    out: list[str] = []
    for obs in group:
        rule = run.ruleset.by_id.get(obs.rule)
        if rule is None:
            continue
        kind, name = obs.node
        where = Where("log" if obs.container else "object", obs.namespace, obs.pod, obs.container)
        context = {"namespace": obs.namespace, "service" if kind == "Service" else "workload": name}
        out += [c for c in (fill_command(t, where, context) for t in rule.next) if "<" not in c]
    ordered = sorted(dict.fromkeys(out), key=lambda c: "--previous" not in c)
    return tuple(ordered[:3])

