"""`logs TARGET` and `analyze FILE|-`: log records grouped, counted and named by the rules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kubectl_triage.collect.gather import LogOptions, log_refs, resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.timefmt import clock
from kubectl_triage.detectors import judge_of, run_detectors
from kubectl_triage.detectors.model import amended
from kubectl_triage.errors import NotFound
from kubectl_triage.evidence import Level, LogRef, Record
from kubectl_triage.prefixed import Format, prefixed_records, sniff
from kubectl_triage.records import one_line
from kubectl_triage.report import Report, Table
from kubectl_triage.rules.engine import RuleSet, Tally, analyze_chunks
from kubectl_triage.rules.facts import status_records
from kubectl_triage.scan import decoded_lines
from kubectl_triage.split import read_chunks, scan_file

_RECORD_COLUMNS = ("time", "pod", "container", "level", "rule", "message")
# The detectors whose measurements a logs report carries (names of detectors.REGISTRY).
DETECTORS = ("openapi", "timezone")


def logs_report(run: Run, *, target: str | None, selector: str, options: LogOptions) -> Report:
    ws = run.evidence.workloads(selector=selector)
    pods = resolve_target(ws, target) if target else ws.pods
    if not pods:  # nothing selected is not "no failure found"
        where = f"in {run.namespace} namespace" if run.namespace else "in any namespace"
        raise NotFound(f"No resources found {where}.")
    refs = log_refs(pods, options)
    tally = run.tally()
    listing = options.all_lines or options.grep  # a table of records, in time order
    result = run.evidence.logs(refs, options=options, progress=run.progress)
    # first: the records a detector judges (timezone) are counted as it judged them
    detected = run_detectors(run, DETECTORS)
    tables = ()
    if listing:
        tables = (_records_table(tally, result.records, timestamps=options.timestamps),)
    else:
        tally.add_all(result.records)
    tally.add_all(status_records(pods))
    names = {p.name for p in pods}
    recorded = [g for g in run.source.recorded_gaps() if not g.pod or g.pod in names]
    workload = target.rpartition("/")[2] if target else ""
    groups = tally.groups()
    findings = amended(
        tally.findings(context=run.context_values(workload), workload_of=run.workload_of(pods)),
        detected,
    )
    return Report(
        context=run.source.context,
        namespace=run.namespace_label,
        command="logs",
        findings=findings,
        groups=tuple(g for g in groups if any(w.kind == "log" for w in g.where)),
        tables=tables,
        gaps=tuple(ws.gaps + result.gaps + recorded + list(detected.gaps)),
        notes=(f"{len(pods)} pod(s), {result.read} of {len(refs)} log(s) read.",),
    )


def _records_table(tally: Tally, records: Iterable[Record], *, timestamps: bool) -> Table:
    """Every record (--all-lines) or every match (--grep), each annotated with its rule."""
    rows = []
    for record in records:
        match = tally.add(record)
        ref = record.ref
        rows.append(
            (
                clock(record.time, full=timestamps),
                ref.pod if ref else "-",
                ref.describe().split("/", 1)[1] if ref else "-",
                record.level.name.lower() if record.level else "-",
                match.rule.id if match else "-",
                one_line(record.text, head=200, cause=300),
            )
        )
    return Table("records", _RECORD_COLUMNS, tuple(rows), below="message")


def analyze_report(
    ruleset: RuleSet,
    chunks: Iterable[bytes] | None = None,
    *,
    name: str,
    path: Path | None = None,
    all_lines: bool = False,
) -> Report:
    """The rules over stdin (`chunks`) or a file (`path`: big ones scanned by several
    processes, cut at record boundaries). `kubectl logs --prefix` and stern output are
    grouped per container and name it."""
    # the detectors that judge one record at a time, as each passes (nothing is kept)
    tally = Tally(ruleset, min_level=Level.WARNING, classify=judge_of(ruleset, DETECTORS))
    ref = LogRef("", name, "")
    fmt, chunks = sniff(chunks if chunks is not None else read_chunks(path))
    note = f"Analyzed {name}."
    if fmt is not Format.PLAIN:
        # Every line is grouped (the scan's fast path reads one log, not several
        # interleaved ones); only records holding a prefilter word are parsed.
        logs: set[LogRef] = set()
        prefilter = None if all_lines else ruleset.prefilter
        tally.add_all(
            prefixed_records(decoded_lines(chunks), fmt, prefilter=prefilter, logs=logs)
        )
        note = f"Analyzed {name} ({fmt.value} output of {len(logs)} container log(s))."
    elif path is not None and not all_lines:
        tally.add_all(scan_file(path, prefilter=ruleset.prefilter, ref=ref, keep=tally.keeps))
    else:
        analyze_chunks(chunks, ruleset, tally=tally, all_lines=all_lines, ref=ref)
    return Report(
        context="-",
        namespace="-",
        command="analyze",
        findings=tally.findings(context={"target": "<deployment>"}),
        groups=tally.groups(),
        notes=(note,),
    )
