"""`checklist`: the runbook's debugging checklist, run — a verdict per step, the evidence
behind it, and the next command for each step that did not pass."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from kubectl_triage.collect.gather import (
    LogOptions,
    collect_events,
    collect_logs,
    load_workloads,
    log_refs,
)
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.crosscheck import check_endpoints
from kubectl_triage.commands.status import pod_status
from kubectl_triage.commands.trace import neighbours
from kubectl_triage.errors import TriageError
from kubectl_triage.evidence import Level, Pod, Record, Severity, Verdict
from kubectl_triage.report import Check, Finding, Group, Report
from kubectl_triage.rules.engine import LEVEL_LITERALS, Tally
from kubectl_triage.rules.facts import event_records, status_records
from kubectl_triage.scan import Prefilter

_CALL = re.compile(r"/v1\.0/(?P<kind>invoke|publish)/(?P<a>[\w.-]+)/(?:method/)?(?P<b>[\w.-]+)")
_PATH = re.compile(r"(/[\w./{}-]+)")


def checklist_report(run: Run, *, symptom: str = "", max_requests: int) -> Report:
    ws = load_workloads(run.source, run.namespace)
    ns = run.namespace or run.source.default_namespace()
    options = LogOptions(max_requests=max_requests)
    prefilter = Prefilter(
        [*run.ruleset.prefilter.literals_text(), "/v1.0/invoke/", "/v1.0/publish/"],
        quiet_words=LEVEL_LITERALS,
    )
    logs = collect_logs(
        run.source,
        log_refs(ws.pods, options),
        options=options,
        prefilter=prefilter,
        progress=run.progress,
    )
    events, event_gaps = collect_events(run.source, run.namespace)
    app_tally, sidecar_tally, event_tally = (
        Tally(run.ruleset),
        Tally(run.ruleset),
        Tally(run.ruleset),
    )
    sidecars = {(p.name, c.name) for p in ws.pods for c in p.containers if c.sidecar}
    for record in logs.records:
        is_sidecar = record.ref and (record.ref.pod, record.ref.container) in sidecars
        (sidecar_tally if is_sidecar else app_tally).add(record)
    event_tally.add_all(event_records(events))
    owners = run.workload_of(ws.pods)  # pod name -> the workload that owns it
    everything = Tally(run.ruleset)
    everything.add_all([*logs.records, *event_records(events), *status_records(ws.pods)])
    findings, probe_gaps = check_endpoints(
        run,
        everything.findings(context=run.context_values(), workload_of=owners),
        everything.groups(),
    )
    findings = _ranked(findings, symptom, _symptom_rules(run, logs.records, symptom))
    dapr_check, dapr_findings, dapr_gaps = _dapr_wiring(run, ws.pods)
    checks = (
        _pods(ws.pods, ns),
        _logs_step("app logs", app_tally.groups(), ns, "kubectl triage logs {w}", owners),
        _logs_step(
            "sidecar logs", sidecar_tally.groups(), ns, "kubectl triage dapr logs {w}", owners
        ),
        _events(event_tally.groups(), ns),
        _request_path(logs.records, owners),
        _patterns(findings, ns),
        dapr_check,
        _rollout(ws.raw.get("deployments", []), ns),
    )
    extra = {"symptom": symptom} if symptom else {}
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="checklist",
        findings=tuple(findings) + tuple(dapr_findings),
        checks=checks,
        gaps=tuple(
            ws.gaps + logs.gaps + event_gaps + probe_gaps + dapr_gaps + run.source.recorded_gaps()
        ),
        extra=extra,
        notes=(
            f"{len(ws.pods)} pod(s), {logs.read} log(s), {len(events)} event(s) read."
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
            match = run.ruleset.classify(record)
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


def _pods(pods: list[Pod], ns: str) -> Check:
    broken = [
        f"{p.name} {pod_status(p)}"
        for p in pods
        if pod_status(p) not in ("Running", "Succeeded", "Completed")
        or any(not c.ready for c in p.containers if not c.init)
    ]
    restarted = [
        f"{p.name} ({sum(c.restarts for c in p.containers)})"
        for p in pods
        if any(c.restarts for c in p.containers)
    ]
    if broken:
        return Check(
            "pods",
            Verdict.FAIL,
            "not running/ready: " + ", ".join(broken),
            next=(f"kubectl triage status -n {ns}",),
        )
    if restarted:
        return Check(
            "pods",
            Verdict.WARN,
            "restarted: " + ", ".join(restarted),
            next=(f"kubectl triage status -n {ns}",),
        )
    return Check("pods", Verdict.PASS, f"{len(pods)} pod(s) running and ready, no restarts")


def _logs_step(
    step: str, groups: tuple[Group, ...], ns: str, command: str, owners: dict[str, str]
) -> Check:
    errors = [g for g in groups if g.level >= Level.ERROR or g.rule]
    warnings = [g for g in groups if g.level == Level.WARNING and not g.rule]
    workloads = sorted(
        {owners.get(w.pod, w.pod) for g in errors or warnings for w in g.where if w.pod}
    )
    nexts = tuple(command.format(w=w) + f" -n {ns}" for w in workloads[:3])
    if errors:
        total = sum(g.count for g in errors)
        named: Counter[str] = Counter()
        for g in errors:
            if g.rule:
                named[g.rule] += g.count
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


def _request_path(records: list[Record], owners: dict[str, str]) -> Check:
    """Which service calls which (Dapr invoke, publish), and where errors start."""
    calls: Counter[tuple[str, str]] = Counter()
    failing: Counter[tuple[str, str]] = Counter()
    for record in records:
        m = _CALL.search(record.text)
        if not m or not record.ref:
            continue
        caller = owners.get(record.ref.pod, record.ref.pod)
        callee = m["a"] if m["kind"] == "invoke" else f"topic {m['b']}"
        edge = (caller, callee)
        calls[edge] += 1
        if record.level >= Level.ERROR or re.search(r"\b(?:404|5\d\d)\b", record.text):
            failing[edge] += 1
    if not calls:
        return Check("request path", Verdict.SKIP, "no service-to-service calls seen in the logs")
    parts = [
        f"{a} -> {b} ({n} call records"
        + (f", {failing[(a, b)]} failing" if failing[(a, b)] else "")
        + ")"
        for (a, b), n in calls.most_common()
    ]
    if failing:
        (a, b), _ = failing.most_common(1)[0]
        return Check(
            "request path",
            Verdict.FAIL,
            f"errors start at {a} -> {b}; " + "; ".join(parts),
            next=(f"kubectl triage trace --path /v1.0/invoke/{b}",)
            if not b.startswith("topic ")
            else (),
        )
    return Check("request path", Verdict.PASS, "; ".join(parts))


def _patterns(findings: list[Finding], ns: str) -> Check:
    if not findings:
        return Check("error patterns", Verdict.PASS, "no known failure pattern")
    worst = max(f.severity for f in findings)
    verdict = Verdict.FAIL if worst >= Severity.ERROR else Verdict.WARN
    detail = ", ".join(f"{f.rule} x{f.count}" for f in findings)
    return Check("error patterns", verdict, detail, next=tuple(findings[0].next[:2]))


def _dapr_wiring(run: Run, pods: list[Pod]) -> tuple[Check, list[Finding], list]:
    from kubectl_triage.commands.dapr_subs import subs_report

    app_ids = sorted(
        {p.annotations["dapr.io/app-id"] for p in pods if p.annotations.get("dapr.io/app-id")}
    )
    if not app_ids:
        return Check("dapr wiring", Verdict.SKIP, "no Dapr-enabled pods"), [], []
    findings, gaps, problems = [], [], []
    for app_id in app_ids:
        try:  # the namespace-wide published-topics check once, with the first app
            report = subs_report(
                replace(run, progress=None), app_id, publishers=app_id == app_ids[0]
            )
        except TriageError as exc:
            problems.append(f"{app_id}: {exc.message}")
            continue
        findings += report.findings
        gaps += report.gaps
    ns = run.namespace or run.source.default_namespace()
    if findings or problems:
        detail = "; ".join([f"{f.rule}: {f.detail}" for f in findings] + problems)
        return (
            Check(
                "dapr wiring",
                Verdict.FAIL,
                detail,
                next=tuple(f"kubectl triage dapr subs {a} -n {ns}" for a in app_ids[:3]),
            ),
            findings,
            gaps,
        )
    return (
        Check("dapr wiring", Verdict.PASS, f"subscriptions consistent for {', '.join(app_ids)}"),
        [],
        gaps,
    )


def _rollout(deployments: list[dict], ns: str) -> Check:
    stuck = []
    for d in deployments:
        spec, status = d.get("spec") or {}, d.get("status") or {}
        want = spec.get("replicas", 1)
        name = d["metadata"]["name"]
        if status.get("observedGeneration", 0) < d["metadata"].get("generation", 0):
            stuck.append(f"{name}: new spec not observed yet")
        elif status.get("updatedReplicas", 0) < want:
            stuck.append(f"{name}: {status.get('updatedReplicas', 0)}/{want} updated")
        elif status.get("availableReplicas", 0) < want:
            stuck.append(f"{name}: {status.get('availableReplicas', 0)}/{want} available")
    if stuck:
        return Check(
            "rollout",
            Verdict.FAIL,
            "; ".join(stuck),
            next=tuple(f"kubectl triage verify {s.split(':')[0]} -n {ns}" for s in stuck[:3]),
        )
    return Check("rollout", Verdict.PASS, f"{len(deployments)} deployment(s) rolled out")
