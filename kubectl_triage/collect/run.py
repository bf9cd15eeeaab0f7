"""One run's evidence: each kind read through the Source once, on first use, and kept.

`collect(source, namespace)` gives the Evidence every command and detector of a run reads:
typed pods, owners, Services and their EndpointSlices, events, Dapr resources, log records
and probe answers. A kind is listed the first time someone asks for it and never again; a
log is read (and parsed with the run's prefilter) once per container and instance; a probe
is asked once per pod, port and path. A failure to read one kind becomes a Gap, as in the
rest of collect/. Talks to the cluster only through the Source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubectl_triage.bundle import matches_selector
from kubectl_triage.collect import objects
from kubectl_triage.collect.gather import LogOptions, LogResult, Workloads, collect_logs
from kubectl_triage.errors import Forbidden, NotFound, TriageError
from kubectl_triage.evidence import (
    DaprResource,
    EndpointSlice,
    Event,
    Gap,
    LogRef,
    Owner,
    Pod,
    ProbeResult,
    Record,
)
from kubectl_triage.scan import Prefilter
from kubectl_triage.source import LogWindow, Source

OWNER_KINDS = ("deployments", "replicasets", "statefulsets")
# Probes asked at once when a detector asks many (one app each): each is a pod-proxy round
# trip, so 500 apps asked one after the other took longer than reading all their logs. As
# many as logs are read at once by default (--max-requests 20): at 10, checklist on 500 Dapr
# apps with 20 ms a request took 2.05x summary's time, at 20 1.61x (bench_checklist.py).
PROBES_AT_ONCE = 20
# the log, its window, and how it was filtered: "all" lines, the "run"'s prefilter, or the
# literals of a command's own prefilter
_LogKey = tuple[LogRef, LogWindow, object]


class Evidence:
    """Memoised per kind; safe to share between the threads of one run.

    `prefilter(extra)` gives the prefilter that decides which lines of a log are parsed
    into records: the rules' literals, and the `extra` words a view asked for with
    `look_for` before the first log was read (checklist's request path wants Dapr calls).
    Every view then gets the same records, and no log is read twice for another filter.
    `judge(record)`, if given, is called on each record of a log read with the run's
    prefilter as soon as that log is in (collect_logs hands each over as it completes): the
    run's judgement (a memo) is then made while the other logs are still on the wire, not
    after the last one came. Reads of every line (--all-lines, --grep) are left to the view:
    --grep judges only the lines it keeps."""

    def __init__(
        self,
        source: Source,
        namespace: str | None,
        *,
        prefilter: Callable[[tuple[str, ...]], Prefilter | None],
        judge: Callable[[Record], object] | None = None,
    ) -> None:
        self.source = source
        self.namespace = namespace
        self._prefilter_for = prefilter
        self._judge = judge
        self._extra: tuple[str, ...] = ()
        self._prefilter: Prefilter | None = None
        self._lock = threading.RLock()
        self._items: dict[str, list[dict[str, Any]] | None] = {}
        self._gaps: dict[str, Gap] = {}
        self._typed: dict[str, Any] = {}
        self._logs: dict[_LogKey, tuple[list[Record] | None, Gap | None]] = {}
        self._probes: dict[tuple, ProbeResult | TriageError] = {}

    @property
    def context(self) -> str:
        return self.source.context

    @property
    def scope_namespace(self) -> str:
        """The namespace a single-app command works in (-A: the context's default)."""
        return self.namespace or self.source.default_namespace()

    # ---- objects -----------------------------------------------------------------------

    def _list(self, kind: str, *, required: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            if kind not in self._items:
                self._items[kind] = self._read(kind, required=required)
            return self._items[kind] or []

    def _read(self, kind: str, *, required: bool) -> list[dict[str, Any]] | None:
        try:
            return self.source.list(kind, self.namespace)
        except (Forbidden, NotFound) as exc:
            if required:
                raise
            self._gaps[kind] = self._gap(kind, exc)
            return None

    def _gap(self, kind: str, exc: TriageError) -> Gap:
        reason = type(exc).__name__
        message = exc.message
        if kind in ("components", "subscriptions"):
            message = f"{kind}.dapr.io: " + (
                "not installed (no Dapr CRDs?)" if reason == "NotFound" else exc.message
            )
        return Gap(kind=kind, reason=reason, message=message, namespace=self.namespace or "")

    def _memo(self, key: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._typed:
                self._typed[key] = build()
            return self._typed[key]

    def gaps_of(self, *kinds: str) -> list[Gap]:
        """The gaps of these kinds, for the kinds read so far."""
        return [self._gaps[k] for k in kinds if k in self._gaps]

    @property
    def pods(self) -> list[Pod]:
        """Every pod of the scope, rolled up to its workload. Pods are required: a run that
        cannot list them stops (Forbidden, NotFound), unlike any other kind."""

        def build() -> list[Pod]:
            rs_owners = self.replicaset_owners
            return [objects.to_pod(i, rs_owners) for i in self._list("pods", required=True)]

        return self._memo("pods", build)

    def pods_matching(self, selector: str) -> list[Pod]:
        if not selector:
            return self.pods
        items = {i["metadata"].get("name"): i for i in self._list("pods", required=True)}
        # A bad selector raises BadRequest, worded as kubectl does (a live server: a 400).
        return [p for p in self.pods if matches_selector(items[p.name], selector)]

    @property
    def deployments(self):
        return self._memo(
            "deployments", lambda: [objects.to_deployment(i) for i in self._list("deployments")]
        )

    @property
    def replicasets(self):
        return self._memo(
            "replicasets", lambda: [objects.to_replicaset(i) for i in self._list("replicasets")]
        )

    @property
    def replicaset_owners(self) -> dict[str, Owner]:
        """ReplicaSet uid -> its controller (a Deployment), to roll pods up to workloads."""
        return self._memo(
            "rs-owners",
            lambda: {rs.uid: rs.controller for rs in self.replicasets if rs.uid and rs.controller},
        )

    @property
    def statefulsets(self) -> list[str]:
        return self._memo(
            "statefulsets", lambda: [i["metadata"]["name"] for i in self._list("statefulsets")]
        )

    @property
    def services(self):
        return self._memo(
            "services", lambda: [objects.to_service(i) for i in self._list("services")]
        )

    @property
    def endpoint_slices(self) -> list[EndpointSlice] | None:
        """None when the source has none to give (a bundle, a dump, no permission): then a
        Service's endpoints are worked out from its selector and the pods."""

        def build() -> list[EndpointSlice] | None:
            items = self._list("endpointslices")
            if self._items.get("endpointslices") is None:
                self._gaps.pop("endpointslices", None)  # not a gap: the pods say enough
                return None
            return [objects.to_endpoint_slice(i) for i in items]

        return self._memo("endpointslices", build)

    @property
    def events(self) -> list[Event]:
        return self._memo("events", lambda: [objects.to_event(i) for i in self._list("events")])

    def dapr(self, kind: str) -> list[DaprResource]:
        """Components or Subscriptions; a cluster without Dapr's CRDs gives a gap."""
        return self._memo(
            kind, lambda: [objects.to_dapr_resource(kind, i) for i in self._list(kind)]
        )

    def workloads(self, *, selector: str = "") -> Workloads:
        """The pods (of a selector) with their owners, for target resolution; one object per
        selector, so that its indexes are built once."""
        return self._memo(
            f"workloads {selector}",
            lambda: Workloads(
                self.namespace,
                self.pods_matching(selector),
                deployments=self.deployments,
                replicasets=self.replicasets,
                statefulsets=self.statefulsets,
                gaps=self.gaps_of(*OWNER_KINDS),
            ),
        )

    # ---- logs --------------------------------------------------------------------------

    def logs(
        self,
        refs: Iterable[LogRef],
        *,
        options: LogOptions,
        prefilter: Prefilter | None = None,
        progress: Callable[[int, int], None] | None = None,
        sink: Callable[[list[Record]], None] | None = None,
    ) -> LogResult:
        """Records of these logs; each log read once per window for the whole run. A `grep`
        filters the records after reading; `all_lines` reads without the prefilter; a
        command's own `prefilter` (trace's needle) reads with that instead of the run's."""
        refs = list(dict.fromkeys(refs))
        all_lines = bool(options.all_lines or options.grep)
        mode: object = "all" if all_lines else "run"
        if prefilter is not None and not all_lines:
            mode = tuple(prefilter.literals_text())
        keys = {ref: (ref, options.window, mode) for ref in refs}
        with self._lock:
            missing = [ref for ref in refs if keys[ref] not in self._logs]
            cached = [ref for ref in refs if keys[ref] in self._logs]
        if sink is not None:
            for ref in cached:
                sink(self._grepped(self._logs[keys[ref]][0] or [], options))

        judge = self._judge if mode == "run" else None

        def store(ref: LogRef, records: list[Record] | None, gap: Gap | None) -> None:
            if judge is not None and records:
                for record in records:
                    judge(record)
            with self._lock:
                self._logs[keys[ref]] = (records, gap)
            if sink is not None and records is not None:
                sink(self._grepped(records, options))

        read_options = LogOptions(
            window=options.window, all_lines=all_lines, max_requests=options.max_requests
        )
        collect_logs(
            self.source,
            missing,
            options=read_options,
            prefilter=lambda: prefilter or self.prefilter,
            progress=progress,
            on_log=store,
        )
        return self._result(refs, keys, options, keep=sink is None)

    def _result(self, refs: list[LogRef], keys: dict, options: LogOptions, *, keep: bool):
        records: list[Record] = []
        gaps: list[Gap] = []
        read = 0
        partial = self._partial_logs()
        for ref in refs:
            got, gap = self._logs[keys[ref]]
            said = partial.get(_log_of(ref), [])
            if gap and not (said and gap.reason == "NotFound"):
                gaps.append(gap)  # (a bundle's "not in the bundle" when its manifest says why)
            gaps += said
            if gap is None and got is not None:
                read += 1
                if keep:
                    records.extend(self._grepped(got, options))
        records.sort(key=_in_time_order)
        return LogResult(records, gaps, read)

    def _partial_logs(self) -> dict[tuple, list[Gap]]:
        """The logs the source says it could not read whole: a stream cut and not resumed
        (live), or what a bundle's manifest recorded when it was taken (a forbidden or
        failed read, a cut one). Every view that reads a log hears of its gap this way."""
        out: dict[tuple, list[Gap]] = {}
        for gap in self.source.recorded_gaps():
            if gap.kind in ("logs", "previous-logs") and gap.pod:
                key = (gap.namespace, gap.pod, gap.container, gap.kind == "previous-logs")
                out.setdefault(key, []).append(gap)
        return out

    def look_for(self, literals: Iterable[str]) -> bool:
        """Parse the lines with these words too. False when it is too late (a log was read
        with the prefilter already): the caller reads what it needs with its own."""
        with self._lock:
            extra = tuple(sorted({*self._extra, *literals}))
            if extra == self._extra:
                return True
            if any(mode == "run" for _, _, mode in self._logs):
                return False
            self._extra, self._prefilter = extra, None
            return True

    @property
    def prefilter(self) -> Prefilter | None:
        with self._lock:
            if self._prefilter is None:
                self._prefilter = self._prefilter_for(self._extra)
            return self._prefilter

    def records(self) -> list[Record]:
        """Every record of every log read so far, in time order; a log read both with the
        prefilter and in full counts once (its full reading)."""
        with self._lock:
            chosen: dict[tuple[LogRef, LogWindow], list[Record]] = {}
            for (ref, window, mode), (got, _) in self._logs.items():
                if got is not None and (mode == "all" or (ref, window) not in chosen):
                    chosen[(ref, window)] = got
        out = [r for got in chosen.values() for r in got]
        out.sort(key=_in_time_order)
        return out

    @staticmethod
    def _grepped(records: list[Record], options: LogOptions) -> list[Record]:
        return [r for r in records if options.grep.search(r.text)] if options.grep else records

    # ---- probes ------------------------------------------------------------------------

    def http_get(
        self, namespace: str, pod: str, *, port: int, path: str, container: str = ""
    ) -> ProbeResult:
        """GET inside a pod, asked once per run (a failure is remembered and raised again)."""
        known = self._ask(probe_key(namespace, pod, port=port, path=path, container=container))
        if isinstance(known, TriageError):
            raise known
        return known

    def prefetch(self, keys: Iterable[tuple]) -> None:
        """Ask these probes (`probe_key`s) PROBES_AT_ONCE at a time, for the http_get calls
        that follow to find them answered."""
        keys = [k for k in dict.fromkeys(keys) if k not in self._probes]
        if len(keys) < 2:
            return
        with ThreadPoolExecutor(max_workers=min(PROBES_AT_ONCE, len(keys))) as pool:
            list(pool.map(self._ask, keys))

    def _ask(self, key: tuple) -> ProbeResult | TriageError:
        with self._lock:
            known = self._probes.get(key)
        if known is None:
            namespace, pod, port, path, container = key
            try:
                known = self.source.http_get(
                    namespace, pod, port=port, path=path, container=container
                )
            except TriageError as exc:
                known = exc
            with self._lock:
                known = self._probes.setdefault(key, known)
        return known


def _log_of(ref: LogRef) -> tuple:
    return (ref.namespace, ref.pod, ref.container, ref.previous)


def probe_key(namespace: str, pod: str, *, port: int, path: str, container: str = "") -> tuple:
    return (namespace, pod, port, path, container)


def _in_time_order(r: Record) -> tuple:
    return (r.time is None, r.time or 0, r.ref.pod if r.ref else "", r.line)


def collect(
    source: Source,
    namespace: str | None,
    *,
    prefilter: Callable[[tuple[str, ...]], Prefilter | None] = lambda extra: None,
    judge: Callable[[Record], object] | None = None,
) -> Evidence:
    """The run's Evidence; nothing is read until a view asks for it."""
    return Evidence(source, namespace, prefilter=prefilter, judge=judge)
