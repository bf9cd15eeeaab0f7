"""`logs TARGET -f`: follow every container of a workload at once, printing each failing
record (or every record with --all-lines) as it arrives, named by its rule."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable

from kubectl_triage.collect.gather import LogOptions, log_refs, resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.detectors import judge_of
from kubectl_triage.errors import TriageError, UsageError
from kubectl_triage.evidence import Level, LogRef, Record
from kubectl_triage.records import clean_line, group_lines, one_line
from kubectl_triage.rules.engine import Match
from kubectl_triage.scan import decoded_lines

_DONE = object()
# The detectors that judge each record as it arrives (names of detectors.REGISTRY).
DETECTORS = ("timezone",)


def follow_logs(
    run: Run,
    *,
    target: str | None,
    selector: str,
    options: LogOptions,
    write: Callable[[str], None],
    warn: Callable[[str], None],
    as_json: bool = False,
) -> int:
    """Stream until every followed log ends (or the user interrupts). Returns records shown."""
    ws = run.evidence.workloads(selector=selector)
    pods = resolve_target(ws, target) if target else ws.pods
    refs = [r for r in log_refs(pods, options) if not r.previous]
    if len(refs) > options.max_requests:
        raise UsageError(
            f"{len(refs)} logs to follow, more than --max-requests "
            f"{options.max_requests}: narrow with -c or -l, or raise it"
        )
    inbox: queue.Queue = queue.Queue()
    for ref in refs:
        threading.Thread(target=_pump, args=(run, ref, options, inbox), daemon=True).start()
    judge = judge_of(run.ruleset, DETECTORS)  # the table, then the detectors' record judge
    shown, open_logs = 0, len(refs)
    while open_logs:
        ref, item = inbox.get()
        if item is _DONE:
            open_logs -= 1
        elif isinstance(item, TriageError):
            warn(f"warning: stopped following {ref.describe()}: {item.message}")
        else:
            match = judge(item)
            if options.all_lines or match or item.level >= Level.WARNING:
                write(_json_line(item, match) if as_json else _line(item, match))
                shown += 1
    return shown


def _pump(run: Run, ref: LogRef, options: LogOptions, inbox: queue.Queue) -> None:
    try:
        lines = decoded_lines(run.source.log(ref, options.window))
        for record in group_lines(lines, ref=ref):
            if options.grep is None or options.grep.search(record.text):
                inbox.put((ref, record))
    except TriageError as exc:
        inbox.put((ref, exc))
    finally:
        inbox.put((ref, _DONE))


def _line(record: Record, match: Match | None) -> str:
    ref = record.ref
    when = record.time.strftime("%H:%M:%S") if record.time else "-"
    text = one_line(record.text)
    level = record.level.name.lower() if record.level else "-"
    rule = match.rule.id if match else "-"
    where = f"{ref.pod}/{ref.container}" if ref else "-"
    return clean_line(f"{when} {where} {level} {rule} {text}")[:2000] + "\n"


def _json_line(record: Record, match: Match | None) -> str:
    ref = record.ref
    return (
        json.dumps(
            {
                "time": record.time.isoformat().replace("+00:00", "Z") if record.time else None,
                "pod": ref.pod if ref else None,
                "container": ref.container if ref else None,
                "level": record.level.name.lower(),
                "rule": match.rule.id if match else None,
                "text": record.text,
            }
        )
        + "\n"
    )
