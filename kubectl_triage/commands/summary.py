"""`summary` (and `demo`): every finding of a namespace — logs of all pods, events, pod
status — in one report."""

from __future__ import annotations

from kubectl_triage.collect.gather import (
    LogOptions,
    collect_events,
    collect_logs,
    load_workloads,
    log_refs,
)
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.crosscheck import check_endpoints
from kubectl_triage.report import Report
from kubectl_triage.rules.engine import Tally
from kubectl_triage.rules.facts import event_records, status_records


def summary_report(run: Run, *, max_requests: int) -> Report:
    ws = load_workloads(run.source, run.namespace)
    refs = log_refs(ws.pods, LogOptions())
    tally = Tally(run.ruleset)
    logs = collect_logs(
        run.source,
        refs,
        options=LogOptions(max_requests=max_requests),
        prefilter=run.ruleset.prefilter,
        progress=run.progress,
        sink=tally.add_all,
    )
    events, event_gaps = collect_events(run.source, run.namespace)
    tally.add_all(event_records(events))
    tally.add_all(status_records(ws.pods))
    workloads = sorted({p.workload_name for p in ws.pods})
    findings, probe_gaps = check_endpoints(
        run,
        tally.findings(context=run.context_values(), workload_of=run.workload_of(ws.pods)),
        tally.groups(),
    )
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="summary",
        findings=findings,
        gaps=tuple(ws.gaps + logs.gaps + event_gaps + run.source.recorded_gaps() + probe_gaps),
        notes=(
            f"{len(workloads)} workload(s), {len(ws.pods)} pod(s), {logs.read} log(s), "
            f"{len(events)} event(s) read.",
        ),
    )
