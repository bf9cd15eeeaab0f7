"""`logs TARGET -f`: follow every container of a workload at once, printing each failing
record (or every record with --all-lines) as it arrives, named by its rule.

Records of all followed containers come out in time order: each log is read by its own
thread, and a record waits until every open log has shown a later one, or until it has
waited REORDER_WINDOW (a quiet container must not hold the others back). So the backlog
that -f starts with is merged exactly, and new records interleave as they happened,
not in per-stream bursts.
"""

from __future__ import annotations

import functools
import heapq
import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from kubectl_triage.collect.gather import LogOptions, log_refs, resolve_target
from kubectl_triage.commands.common import Run
from kubectl_triage.commands.timefmt import clock
from kubectl_triage.detectors import judge_of
from kubectl_triage.errors import TriageError, UsageError
from kubectl_triage.evidence import Level, LogRef, Record
from kubectl_triage.records import RecordBuilder, clean_line, one_line
from kubectl_triage.rules.engine import Match, RuleSet
from kubectl_triage.scan import decoded_lines

_DONE = object()
# Seconds a record may wait for a later one from every other log: stern and kubectl
# print at once; a second of delay buys records in the order they happened.
REORDER_WINDOW = 1.0


class TimeMerge:
    """Records of several logs, released in time order (see the module docstring)."""

    def __init__(self, refs: list[LogRef], *, window: float, clock=time.monotonic) -> None:
        self._clock = clock
        self._window = window
        self._latest: dict[LogRef, float] = dict.fromkeys(refs, float("-inf"))
        self._heard: dict[LogRef, float] = dict.fromkeys(refs, clock())  # last news, wall time
        self._heap: list[tuple[float, int, Record]] = []
        self._seq = 0

    def add(self, ref: LogRef, record: Record | None, *, shown: bool = True) -> None:
        """A record read from `ref`; one not `shown` still moves that log's time on."""
        self._heard[ref] = self._clock()
        if record is None:
            return
        when = record.time.timestamp() if record.time else self._latest[ref]
        self._latest[ref] = max(self._latest[ref], when)
        if shown:
            self._seq += 1
            heapq.heappush(self._heap, (when, self._seq, record))

    def close(self, ref: LogRef) -> None:
        self._latest.pop(ref, None)

    def ready(self, *, final: bool = False) -> list[Record]:
        """Records that may go out now; with `final`, all of them."""
        out = []
        now = self._clock()
        while self._heap:
            when = self._heap[0][0]
            behind = [r for r, latest in self._latest.items() if latest < when]
            # a log still sending its backlog is waited for; a quiet one only a window long
            if not final and any(now - self._heard[r] < self._window for r in behind):
                break
            out.append(heapq.heappop(self._heap)[2])
        return out


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
    merge = TimeMerge(refs, window=REORDER_WINDOW)
    groups = _Groups(refs)

    def add(records: list[Record]) -> None:
        for record in records:
            merge.add(record.ref, record, shown=_shown(run, record, options))  # type: ignore[arg-type]

    shown, open_logs = 0, len(refs)
    while open_logs:
        try:
            ref, item = inbox.get(timeout=REORDER_WINDOW / 4)
        except queue.Empty:
            ref, item = None, None
        if item is _DONE:
            open_logs -= 1
            add(groups.flush(ref))
            merge.close(ref)
        elif isinstance(item, TriageError):
            warn(f"warning: stopped following {ref.describe()}: {item.message}")
        elif item is not None:
            add(groups.feed(ref, *item))
        add(groups.quiet(QUIET_FLUSH))
        for record in merge.ready(final=not open_logs):
            write(_format(run, record, options, as_json=as_json))
            shown += 1
    return shown


# A record is complete when the next line of its log begins; a followed log may then say
# nothing for minutes, so its last record is also complete once the log is this quiet.
QUIET_FLUSH = 0.5


class _Groups:
    """One RecordBuilder per followed log, fed line by line in the main thread."""

    def __init__(self, refs: list[LogRef], *, clock=time.monotonic) -> None:
        self._builders = {ref: RecordBuilder(ref=ref) for ref in refs}
        self._fed: dict[LogRef, float] = {}
        self._clock = clock

    def feed(self, ref: LogRef, number: int, line: str) -> list[Record]:
        self._fed[ref] = self._clock()
        record = self._builders[ref].feed(number, line)
        return [record] if record is not None else []

    def flush(self, ref: LogRef) -> list[Record]:
        record = self._builders[ref].flush()
        return [record] if record is not None else []

    def quiet(self, seconds: float) -> list[Record]:
        """The last record of each log that has been quiet `seconds`."""
        now = self._clock()
        out = []
        for ref, builder in self._builders.items():
            if builder.pending and now - self._fed.get(ref, now) >= seconds:
                out += self.flush(ref)
        return out


# The detectors that judge each record as it arrives (names of detectors.REGISTRY).
DETECTORS = ("timezone",)


@functools.cache
def _judge(ruleset: RuleSet) -> Callable[[Record], Match | None]:
    """The table, then the detectors' record judge (built once for the run's rules)."""
    return judge_of(ruleset, DETECTORS)


def _shown(run: Run, record: Record, options: LogOptions) -> bool:
    if options.grep is not None and not options.grep.search(record.text):
        return False
    return bool(
        options.all_lines or _judge(run.ruleset)(record) or record.level >= Level.WARNING
    )


def _format(run: Run, record: Record, options: LogOptions, *, as_json: bool) -> str:
    match = _judge(run.ruleset)(record)
    if as_json:
        return _json_line(record, match)
    return _line(record, match, timestamps=options.timestamps)


def _pump(run: Run, ref: LogRef, options: LogOptions, inbox: queue.Queue) -> None:
    try:
        for number, line in enumerate(decoded_lines(run.source.log(ref, options.window)), 1):
            inbox.put((ref, (number, line)))
    except TriageError as exc:
        inbox.put((ref, exc))
    finally:
        inbox.put((ref, _DONE))


def _line(record: Record, match: Match | None, *, timestamps: bool = False) -> str:
    ref = record.ref
    when = clock(record.time, full=timestamps)
    text = one_line(record.text)
    level = record.level.name.lower() if record.level else "-"
    rule = match.rule.id if match else "-"
    where = f"{ref.pod}/{ref.container}" if ref else "-"
    return clean_line(f"{when} {where} {level} {rule} {text}")[:2000] + "\n"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _json_line(record: Record, match: Match | None) -> str:
    ref = record.ref
    return (
        json.dumps(
            {
                "time": _iso(record.time),
                "pod": ref.pod if ref else None,
                "container": ref.container if ref else None,
                "level": record.level.name.lower(),
                "rule": match.rule.id if match else None,
                "text": record.text,
            }
        )
        + "\n"
    )
