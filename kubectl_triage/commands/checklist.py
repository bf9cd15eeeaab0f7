"""`checklist`: the runbook's debugging checklist, run — a verdict per step, the evidence
behind it, and the next command for each step that did not pass."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from kubectl_triage.collect.dapr import CALL_LITERALS
from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.trace import neighbours
from kubectl_triage.detectors import run_detectors
from kubectl_triage.detectors.model import amended
from kubectl_triage.evidence import Level, Record, Severity, Verdict
from kubectl_triage.incidents import present, story
from kubectl_triage.incidents.graph import Node, ServiceGraph, describe
from kubectl_triage.incidents.timeline import timeline_of
from kubectl_triage.report import TIMELINE_KEY, Check, Finding, Group, Report
from kubectl_triage.rules.facts import event_records
from kubectl_triage.source import LogWindow

_CALL = re.compile(r"/v1\.0/(?P<kind>invoke|publish)/(?P<a>[\w.-]+)/(?:method/)?(?P<b>[\w.-]+)")
_PATH = re.compile(r"(/[\w./{}-]+)")


# The detectors behind the checklist's object steps (names of detectors.REGISTRY).
DETECTORS = (
    "pod-status", "service-no-endpoints", "openapi", "dapr-wiring", "rollout", "timezone"
)


def checklist_report(
    run: Run, *, symptom: str = "", max_requests: int, since: timedelta | None = None
) -> Report:
    evidence = run.evidence
    evidence.look_for(CALL_LITERALS)  # the request path's and the published topics' lines
    ns = evidence.scope_namespace
    # an explicit --since reads only that much of each log, as `logs --since` does
    options = LogOptions(max_requests=max_requests, window=LogWindow(since=since))
    logs = evidence.logs(log_refs(evidence.pods, options), options=options, progress=run.progress)
    events = evidence.events
    now = present(run, since=since)  # what is over is history, not a finding
    # first: the records a detector judges (timezone) are counted as it judged them
    detected = run_detectors(run, DETECTORS)
    app_tally, sidecar_tally, event_tally, everything = (run.tally() for _ in range(4))
    sidecars = {(p.name, c.name) for p in evidence.pods for c in p.containers if c.sidecar}
    records = now.current_logs(logs.records)  # not those of pods an old rollout left
    for record in records:
        is_sidecar = record.ref and (record.ref.pod, record.ref.container) in sidecars
        (sidecar_tally if is_sidecar else app_tally).add(record)
    event_tally.add_all(event_records(now.events))
    owners = run.workload_of(evidence.pods)  # pod name -> the workload that owns it
    everything.add_all([*records, *now.records()])
    table_findings = amended(
        everything.findings(context=run.context_values(), workload_of=owners), detected
    )
    findings = _ranked(table_findings, symptom, _symptom_rules(run, records, symptom))
    step = {c.step: c for c in detected.checks}
    told = story(
        run, records=records, findings=detected.findings, now=now, amend=detected.amend
    )
    checks = (
        step["pods"],
        step["service endpoints"],
        _logs_step("app logs", app_tally.groups(), ns, "kubectl triage logs {w}", owners),
        _logs_step(
            "sidecar logs", sidecar_tally.groups(), ns, "kubectl triage dapr logs {w}", owners
        ),
        _events(event_tally.groups(), ns),
        _request_path(told.graph),
        _patterns(findings, ns),
        step["dapr wiring"],
        step["rollout"],
    )
    drawn = timeline_of(run, records=logs.records, now=now)
    extra = {
        **told.to_dict(),
        **({TIMELINE_KEY: drawn.to_dict()} if drawn else {}),
        **({"symptom": symptom} if symptom else {}),
    }
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="checklist",
        findings=tuple(findings) + detected.findings,
        checks=checks,
        gaps=tuple(
            evidence.gaps_of("deployments", "replicasets", "statefulsets")
            + logs.gaps
            + evidence.gaps_of("events")
            + list(detected.gaps)
            + run.source.recorded_gaps()
        ),
        extra=extra,
        notes=(
            f"{len(evidence.pods)} pod(s), {logs.read} log(s), {len(events)} event(s) read."
            + (f" Symptom: {symptom}" if symptom else ""),
        ),
    )


def _symptom_rules(run: Run, records: list[Record], symptom: str) -> set[str]:
    """Rules of the failing records next to the lines that name the symptom's paths (the
    access log names /workers; the stack trace just after it does not)."""
    rules = set()
    for path in _PATH.findall(symptom):
        hits = [r for r in records if path in r.text]
        for record in hits + neighbours(run, records, hits):
            match = run.classify(record)
            if match:
                rules.add(match.rule.id)
    return rules


def _ranked(findings: tuple[Finding, ...], symptom: str, related: set[str]) -> list[Finding]:
    """With a symptom: the findings about it first, most severe first among them."""
    if not symptom:
        return list(findings)
    words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", symptom)]

    def score(f: Finding) -> tuple:
        about = f.rule in related or any(w in (f.example + f.detail).lower() for w in words)
        return (not about, -f.severity, -f.count, f.rule)

    return sorted(findings, key=score)


def _logs_step(
    step: str, groups: tuple[Group, ...], ns: str, command: str, owners: dict[str, str]
) -> Check:
    # Failing records only, as findings count them: the INFO request line and the DEBUG
    # echo of a failure are its context (x81 for 27 dropped events before).
    errors = [g for g in groups if g.failing and (g.level >= Level.ERROR or g.rule)]
    warnings = [g for g in groups if g.level == Level.WARNING and not g.rule]
    workloads = sorted(
        {owners.get(w.pod, w.pod) for g in errors or warnings for w in g.where if w.pod}
    )
    nexts = tuple(command.format(w=w) + f" -n {ns}" for w in workloads[:3])
    if errors:
        total = sum(g.failing for g in errors)
        named: Counter[str] = Counter()
        for g in errors:
            if g.rule:
                named[g.rule] += g.failing
        detail = f"{total} error record(s)" + (
            ": " + ", ".join(f"{r} x{n}" for r, n in named.most_common()) if named else ""
        )
        return Check(step, Verdict.FAIL, detail, next=nexts)
    if warnings:
        return Check(
            step, Verdict.WARN, f"{sum(g.count for g in warnings)} warning record(s)", next=nexts
        )
    return Check(step, Verdict.PASS, "no error or warning records")


def _events(groups: tuple[Group, ...], ns: str) -> Check:
    warnings = [g for g in groups if g.level >= Level.WARNING]
    if not warnings:
        return Check("events", Verdict.PASS, "no warning events")
    named = [g for g in warnings if g.rule]
    detail = ", ".join(sorted({f"{g.rule or 'unnamed'}" for g in warnings}))
    verdict = Verdict.FAIL if named else Verdict.WARN
    return Check(
        "events",
        verdict,
        f"{sum(g.count for g in warnings)} warning event(s): {detail}",
        next=(f"kubectl triage events -n {ns}",),
    )


def _request_path(graph: ServiceGraph) -> Check:
    """Which service calls which (Dapr invoke, Service URLs and DNS names, topics), drawn
    from the service graph, and where errors start."""
    calls: Counter[tuple[Node, Node]] = Counter()
    for (a, b, via), n in graph.edges.items():
        if via == "call":
            calls[(a, b)] += n
    if not calls:
        return Check("request path", Verdict.SKIP, "no service-to-service calls seen in the logs")
    failing = graph.failing
    parts = [
        f"{describe(a)} -> {describe(b)} ({n} call records"
        + (f", {failing[(a, b)]} failing" if failing[(a, b)] else "")
        + ")"
        for (a, b), n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    failing_from = {a for (a, _), n in failing.items() if n}
    worst = [edge for edge, n in failing.items() if n and edge in calls]
    if worst:
        # where errors start: a callee that fails without a failing call of its own
        (a, b) = max(
            worst, key=lambda e: (e[1] not in failing_from, failing[e], e[1][0] != "Topic", e)
        )
        path = graph.paths.get((a, b))
        return Check(
            "request path",
            Verdict.FAIL,
            f"errors start at {describe(a)} -> {describe(b)}; " + "; ".join(parts),
            next=(f"kubectl triage trace --path {path}",) if path else (),
        )
    return Check("request path", Verdict.PASS, "; ".join(parts))


def _patterns(findings: list[Finding], ns: str) -> Check:
    if not findings:
        return Check("error patterns", Verdict.PASS, "no known failure pattern")
    worst = max(f.severity for f in findings)
    verdict = Verdict.FAIL if worst >= Severity.ERROR else Verdict.WARN
    detail = ", ".join(f"{f.rule} x{f.count}" for f in findings)
    return Check("error patterns", verdict, detail, next=tuple(findings[0].next[:2]))
