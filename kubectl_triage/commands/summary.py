"""`summary` (and `demo`): every finding of a namespace — logs of all pods, events, pod
status, and what the detectors find across them — in one report."""

from __future__ import annotations

from datetime import timedelta

from kubectl_triage.collect.gather import LogOptions, log_refs
from kubectl_triage.commands.common import Run
from kubectl_triage.detectors import run_detectors
from kubectl_triage.detectors.model import amended
from kubectl_triage.evidence import Record
from kubectl_triage.incidents import Present, present, story
from kubectl_triage.incidents.timeline import timeline_of
from kubectl_triage.report import TIMELINE_KEY, Report, sort_findings
from kubectl_triage.source import LogWindow

# The detectors whose findings a summary shows (names of detectors.REGISTRY).
DETECTORS = ("openapi", "service-no-endpoints", "timezone")


def summary_report(run: Run, *, max_requests: int, since: timedelta | None = None) -> Report:
    evidence = run.evidence
    pods = evidence.pods
    tally = run.tally()
    # an explicit --since reads only that much of each log, as `logs --since` does
    options = LogOptions(max_requests=max_requests, window=LogWindow(since=since))
    logs = evidence.logs(log_refs(pods, options), options=options, progress=run.progress)
    events = evidence.events
    now = present(run, since=since)  # what is over is history, not a finding
    # first: the records a detector judges (timezone) are counted as it judged them
    detected = run_detectors(run, DETECTORS)
    tally.add_all(now.current_logs(logs.records))
    tally.add_all(now.records())
    workloads = sorted({p.workload_name for p in pods})
    findings = amended(
        tally.findings(context=run.context_values(), workload_of=run.workload_of(pods)), detected
    )
    records = evidence.records()
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="summary",
        findings=sort_findings([*findings, *detected.findings]),
        extra={
            **story(
                run, records=records, findings=detected.findings, now=now, amend=detected.amend
            ).to_dict(),
            **_timeline(run, records, now),
        },
        gaps=tuple(
            evidence.gaps_of("deployments", "replicasets", "statefulsets")
            + logs.gaps
            + evidence.gaps_of("events")
            + run.source.recorded_gaps()
            + list(detected.gaps)
        ),
        notes=(
            f"{len(workloads)} workload(s), {len(pods)} pod(s), {logs.read} log(s), "
            f"{len(events)} event(s) read.",
        ),
    )


def _timeline(run: Run, records: list[Record], now: Present) -> dict:
    drawn = timeline_of(run, records=records, now=now)
    return {TIMELINE_KEY: drawn.to_dict()} if drawn else {}
