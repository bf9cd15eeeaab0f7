"""Collection through a Source: a TARGET's pods among the workloads, and logs.

Logs of many containers are fetched concurrently with a bound; each worker parses its own
log into records (only the records around prefilter hits, unless --all-lines), so what comes
back is small whatever the log size.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from kubectl_triage.errors import BadRequest, NotFound, TriageError, UsageError
from kubectl_triage.evidence import Deployment, Gap, LogRef, Pod, Record, ReplicaSet
from kubectl_triage.scan import Prefilter, iter_records
from kubectl_triage.source import LogWindow, Source
from kubectl_triage.sources.kinds import target_kind


@dataclass(frozen=True)
class Workloads:
    """The pods of a scope with the owner objects that name them (from the run's Evidence)."""

    namespace: str | None
    pods: list[Pod]
    deployments: list[Deployment] = field(default_factory=list)
    replicasets: list[ReplicaSet] = field(default_factory=list)
    statefulsets: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    def deployment(self, name: str) -> Deployment | None:
        return next((d for d in self.deployments if d.name == name), None)


def resolve_target(ws: Workloads, target: str | None) -> list[Pod]:
    """The pods a TARGET names: NAME (a deployment), KIND/NAME, or None for all."""
    if not target:
        return ws.pods
    kind_text, _, name = target.rpartition("/")
    named = target_kind(kind_text) if kind_text else None
    kind = named.kind if named else None
    if kind_text and kind is None:
        raise UsageError(
            f'unknown kind "{kind_text}" in "{target}" (use deploy/, sts/, ds/, rs/, job/ or pod/)'
        )
    if kind == "Pod":
        pods = [p for p in ws.pods if p.name == name]
        if not pods:
            raise NotFound(
                f'pods "{name}" not found{_in(ws)}',
                suggestions=_near(name, [p.name for p in ws.pods]),
            )
        return pods
    if kind in (None, "Deployment"):
        pods = current_pods_of_deployment(ws, name)
        if pods is not None:
            return pods
        if kind is None:  # a bare name may also be a statefulset or a pod
            pods = [p for p in ws.pods if _owned_by(p, name)] or [
                p for p in ws.pods if p.name == name
            ]
            if pods:
                return pods
        candidates = [d.name for d in ws.deployments] + ws.statefulsets
        raise NotFound(
            f'deployments.apps "{name}" not found{_in(ws)}',
            suggestions=_near(name, candidates + [p.name for p in ws.pods]),
        )
    pods = [
        p
        for p in ws.pods
        if p.workload
        and p.workload.kind == kind
        and p.workload.name == name
        or p.owner
        and p.owner.kind == kind
        and p.owner.name == name
    ]
    if not pods:
        raise NotFound(
            f'{kind.lower()} "{name}" has no pods{_in(ws)}',
            suggestions=_near(name, sorted({p.workload_name.split("/")[-1] for p in ws.pods})),
        )
    return pods


def current_pods_of_deployment(ws: Workloads, name: str) -> list[Pod] | None:
    """Pods of the deployment's newest ReplicaSet; None if there is no such deployment."""
    deployment = ws.deployment(name)
    owned = [
        p
        for p in ws.pods
        if p.workload and p.workload.kind == "Deployment" and p.workload.name == name
    ]
    if deployment is None and not owned:
        return None
    uid = deployment.uid if deployment else None
    sets = [
        rs
        for rs in ws.replicasets
        if any(o.uid == uid or o.name == name and o.kind == "Deployment" for o in rs.owners)
    ]
    if sets:
        newest = max(sets, key=lambda rs: rs.revision)
        current = [p for p in owned if p.owner and p.owner.uid == newest.uid]
        if current:
            return current
    return owned


def _owned_by(pod: Pod, name: str) -> bool:
    return bool(pod.workload and pod.workload.name == name)


def _in(ws: Workloads) -> str:
    return f' in namespace "{ws.namespace}"' if ws.namespace else ""


def _near(name: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.5)


@dataclass(frozen=True)
class LogOptions:
    window: LogWindow = LogWindow()
    containers: tuple[str, ...] = ()  # -c: only these (empty: all, app and sidecars)
    previous: bool = False  # --previous: only the previous instances
    all_lines: bool = False
    grep: re.Pattern[str] | None = None
    max_requests: int = 10


def log_refs(pods: Iterable[Pod], options: LogOptions) -> list[LogRef]:
    """Every container's log; and the previous one of each container that restarted."""
    refs = []
    for pod in pods:
        for c in pod.containers:
            if options.containers and c.name not in options.containers:
                continue
            if c.state == "waiting" and c.restarts == 0:
                continue  # never started: nothing to read
            if not options.previous:
                refs.append(LogRef(pod.namespace, pod.name, c.name))
            if c.restarts > 0 or options.previous:
                refs.append(LogRef(pod.namespace, pod.name, c.name, previous=True))
    return refs


@dataclass
class LogResult:
    records: list[Record]
    gaps: list[Gap]
    read: int  # logs read


def collect_logs(
    source: Source,
    refs: list[LogRef],
    *,
    options: LogOptions,
    prefilter: Prefilter | None,
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[list[Record]], None] | None = None,
    on_log: Callable[[LogRef, list[Record] | None, Gap | None], None] | None = None,
) -> LogResult:
    """Logs fetched and parsed concurrently. With `sink`, each log's records go to it as
    soon as that log is read (so judging overlaps fetching) and are not kept; `on_log`
    hears of each log as it is done (its records, or its gap; neither: no such instance)."""
    records: list[Record] = []
    gaps: list[Gap] = []
    read = 0
    active = None if options.all_lines or options.grep else prefilter
    workers = max(1, min(options.max_requests, len(refs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_read_one, source, ref, options, active): ref for ref in refs}
        for done, future in enumerate(as_completed(futures), 1):
            got, gap = future.result()
            if on_log is not None:
                on_log(futures[future], got, gap)
            if gap:
                gaps.append(gap)
            elif got is not None:
                read += 1
                if sink is not None:
                    sink(got)
                elif on_log is None:
                    records.extend(got)
            if progress:
                progress(done, len(futures))
    records.sort(key=lambda r: (r.time is None, r.time or 0, r.ref.pod if r.ref else "", r.line))
    return LogResult(records, gaps, read)


def _read_one(
    source: Source, ref: LogRef, options: LogOptions, prefilter: Prefilter | None
) -> tuple[list[Record] | None, Gap | None]:
    try:
        records = list(iter_records(source.log(ref, options.window), ref=ref, prefilter=prefilter))
    except (NotFound, BadRequest) as exc:
        if ref.previous:
            return None, None  # no earlier instance: normal, not a gap
        return None, _gap(ref, exc)
    except TriageError as exc:
        return None, _gap(ref, exc)
    if options.grep:
        records = [r for r in records if options.grep.search(r.text)]
    return records, None


def _gap(ref: LogRef, exc: TriageError) -> Gap:
    return Gap(
        kind="previous-logs" if ref.previous else "logs",
        reason=type(exc).__name__,
        message=exc.message,
        namespace=ref.namespace,
        pod=ref.pod,
        container=ref.container,
    )
