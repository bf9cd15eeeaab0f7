"""Collection through a Source: a TARGET's pods among the workloads, and logs.

Logs of many containers are fetched concurrently with a bound; each worker parses its own
log into records (only the records around prefilter hits, unless --all-lines), so what comes
back is small whatever the log size.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cached_property

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

    # Indexes, built on first use: a checklist looks up every app of a 500-app namespace,
    # and a scan of all pods per lookup made that quadratic.
    @cached_property
    def _deployments(self) -> dict[str, Deployment]:
        return {d.name: d for d in self.deployments}

    @cached_property
    def _by_workload(self) -> dict[tuple[str, str], list[Pod]]:
        index: dict[tuple[str, str], list[Pod]] = {}
        for p in self.pods:
            if p.workload:
                index.setdefault((p.workload.kind, p.workload.name), []).append(p)
        return index

    @cached_property
    def _sets_of(self) -> dict[str, dict[str, ReplicaSet]]:
        """An owner's uid, and "Deployment/NAME" -> the ReplicaSets it owns, by name."""
        index: dict[str, dict[str, ReplicaSet]] = {}
        for rs in self.replicasets:
            for o in rs.owners:
                keys = [o.uid, f"Deployment/{o.name}" if o.kind == "Deployment" else ""]
                for key in filter(None, keys):
                    index.setdefault(key, {})[rs.name] = rs
        return index

    def replicasets_of(self, name: str, uid: str = "") -> list[ReplicaSet]:
        """The ReplicaSets of Deployment `name` (or of the owner with this uid)."""
        found = {**self._sets_of.get(f"Deployment/{name}", {}), **self._sets_of.get(uid, {})}
        return list(found.values()) if uid or name else []

    def deployment(self, name: str) -> Deployment | None:
        return self._deployments.get(name)

    def of_workload(self, kind: str, name: str) -> list[Pod]:
        return self._by_workload.get((kind, name), [])

    @cached_property
    def _by_app_id(self) -> dict[str, list[Pod]]:
        index: dict[str, list[Pod]] = {}
        for p in self.pods:
            if p.annotations.get("dapr.io/app-id"):
                index.setdefault(p.annotations["dapr.io/app-id"], []).append(p)
        return index

    def of_app_id(self, app_id: str) -> list[Pod]:
        """The pods of a Dapr app-id (`dapr.io/app-id`)."""
        return self._by_app_id.get(app_id, [])


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
    owned = ws.of_workload("Deployment", name)
    if deployment is None and not owned:
        return None
    sets = ws.replicasets_of(name, deployment.uid if deployment else "")
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
    timestamps: bool = False  # --timestamps: each listed record with its full RFC 3339 time


def log_refs(pods: Iterable[Pod], options: LogOptions) -> list[LogRef]:
    """Every container's log; and the previous one of each container that restarted."""
    refs = []
    for pod in pods:
        # Init containers first, then the app and its sidecars: what kubectl logs
        # --all-containers reads, and the default here.
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
    prefilter: Callable[[], Prefilter | None],
    progress: Callable[[int, int], None] | None = None,
    sink: Callable[[list[Record]], None] | None = None,
    on_log: Callable[[LogRef, list[Record] | None, Gap | None], None] | None = None,
) -> LogResult:
    """Logs fetched and parsed concurrently. With `sink`, each log's records go to it as
    soon as that log is read (so judging overlaps fetching) and are not kept; `on_log`
    hears of each log as it is done (its records, or its gap; neither: no such instance).
    `prefilter()` gives the lines worth parsing (None: all); each worker asks for it once its
    request is answered, so that building it (the first time) overlaps the other requests."""
    records: list[Record] = []
    gaps: list[Gap] = []
    read = 0
    active = (lambda: None) if options.all_lines or options.grep else prefilter
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
    source: Source, ref: LogRef, options: LogOptions, prefilter: Callable[[], Prefilter | None]
) -> tuple[list[Record] | None, Gap | None]:
    try:
        chunks = iter(source.log(ref, options.window))
        first = next(chunks, b"")  # the request is sent and answered before prefilter()
        chunks = itertools.chain((first,), chunks)
        records = list(iter_records(chunks, ref=ref, prefilter=prefilter()))
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
