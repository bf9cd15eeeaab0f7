"""`trace ID` (or `trace --path P`): every record carrying one correlation id (or request
path) in any container of the namespace, app and sidecars, as one timeline."""

from __future__ import annotations

from datetime import timedelta

from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.commands.common import Run
from kubectl_triage.errors import UsageError
from kubectl_triage.evidence import Level, Record, Severity
from kubectl_triage.incidents.graph import build_graph, describe, node_map
from kubectl_triage.records import one_line
from kubectl_triage.report import Report, Table
from kubectl_triage.scan import Prefilter
from kubectl_triage.source import LogWindow

_COLUMNS = ("time", "service", "pod", "container", "level", "rule", "message", "mark")
_MIN_NEEDLE = 4  # shorter ids would match everywhere


def trace_report(
    run: Run, needle: str, *, window: LogWindow, max_requests: int, by_path: bool = False
) -> Report:
    """With `by_path`, failing records of the same container within NEIGHBOURHOOD of a record
    naming the path come too: an access log names the path, the stack trace after it does not."""
    if len(needle) < _MIN_NEEDLE:
        raise UsageError(f"the id or path to trace must have at least {_MIN_NEEDLE} characters")
    ws = run.evidence.workloads()
    # the objects first, then the logs: a connection that breaks while the logs stream
    # leaves a trace of what was read with the cut named, not a run that fails after it
    objects = run.evidence.services
    options = LogOptions(window=window, max_requests=max_requests)
    literals = [needle, *run.ruleset.prefilter.literals_text()] if by_path else [needle]
    logs = run.evidence.logs(
        log_refs(ws.pods, options),
        options=options,
        prefilter=Prefilter(literals),
        progress=run.progress,
    )
    hits = [r for r in logs.records if needle.lower() in r.text.lower()]
    if by_path:
        hits += neighbours(run, logs.records, hits)
    hits.sort(key=lambda r: (r.time is None, r.time or 0, r.ref.pod if r.ref else "", r.line))
    owners = run.workload_of(ws.pods)
    tally = run.tally()
    rows, first_failure = [], None
    for record in hits:
        match = tally.add(record)
        failing = _failing(record, match.rule.severity if match else None)
        mark = ""
        if failing and first_failure is None:
            first_failure = record
            mark = "<- first failure"
        ref = record.ref
        rows.append(
            (
                record.time.isoformat().replace("+00:00", "Z") if record.time else "-",
                owners.get(ref.pod, ref.pod) if ref else "-",
                ref.pod if ref else "-",
                ref.container + (" (previous)" if ref and ref.previous else "") if ref else "-",
                record.level.name.lower() if record.level else "-",
                match.rule.id if match else "-",
                one_line(record.text, head=160, cause=200),
                mark,
            )
        )
    services = sorted({row[1] for row in rows})
    note = (
        f"{len(hits)} record(s) with {needle!r} in {len(services)} service(s): "
        f"{', '.join(services) or 'none'}"
    )
    path = _call_path(ws.pods, objects, hits)
    if path:
        note += f"; calls: {path}"
    if first_failure and first_failure.ref:
        note += (
            f"; the first failure is in {owners.get(first_failure.ref.pod, first_failure.ref.pod)} "
            f"({first_failure.ref.pod}/{first_failure.ref.container})"
        )
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="trace",
        findings=tally.findings(context=run.context_values(), workload_of=owners),
        tables=(Table("timeline", _COLUMNS, tuple(rows), wide_columns=("pod",), below="message"),),
        gaps=tuple(ws.gaps + logs.gaps),
        notes=(note + ".",),
    )


def _call_path(pods: list, services: list, hits: list[Record]) -> str:
    """Who called whom among the records traced, from the service graph (any call format:
    Dapr invoke, Service URLs and DNS names)."""
    nodes = node_map(pods)
    logged = [(nodes.get(r.ref.pod, ("Pod", r.ref.pod)), r) for r in hits if r.ref]
    graph = build_graph(pods, services, records=logged)
    # named calls only: who logs a shared id first is not always the caller
    edges = sorted({(a, b) for (a, b, via) in graph.edges if via == "call" and b[0] != "Topic"})
    return ", ".join(f"{describe(a)} -> {describe(b)}" for a, b in edges)


NEIGHBOURHOOD = timedelta(seconds=2)


def neighbours(run: Run, records: list[Record], hits: list[Record]) -> list[Record]:
    near = []
    by_log: dict = {}
    for hit in hits:
        if hit.time and hit.ref:
            by_log.setdefault(hit.ref, []).append(hit.time)
    chosen = set(map(id, hits))
    for record in records:
        if id(record) in chosen or not record.time or record.ref not in by_log:
            continue
        if record.level < Level.ERROR and run.classify(record) is None:
            continue
        if any(abs(record.time - t) <= NEIGHBOURHOOD for t in by_log[record.ref]):
            near.append(record)
    return near


def _failing(record: Record, severity: Severity | None) -> bool:
    return record.level >= Level.ERROR or severity == Severity.ERROR
