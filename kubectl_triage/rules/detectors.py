"""Checks that need code rather than a pattern.

`timezone`: a record that says it fires/runs a job whose due time it names, at a moment that
is a whole number of hours (1 to 14) away from that due time, is almost always a naive local
time taken as UTC (or the reverse). The record's own clock is the server-side timestamp when
the log has one, else the line's own.

A detector returns (rule id, detail) or None; the rule's row in the table gives the title,
cause, fix and next commands.
"""

from __future__ import annotations

import re
from datetime import timedelta

from kubectl_triage.evidence import Record
from kubectl_triage.records import parse_time

# The field names a scheduler writes next to a due time; lower-case, for the prefilter.
LITERALS = ("due_at", "due=", "due:", "due at", "scheduled_for", "scheduled_at", "scheduled for",
            "run_at", "remind_at", "fire_at", "eta=", "next_run", "trigger_time", "fire_time")

_DUE = re.compile(
    r"\b(?:due(?:_at|_time)?|scheduled(?:_for|_at|_time)?|scheduled for|run_at|remind_at"
    r"|fire_at|fire_time|eta|next_run(?:_time)?|trigger_time)\b[\"']?\s*(?:=|:|at|for)?\s*[\"']?"
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)",
    re.IGNORECASE,
)
_FIRING = re.compile(
    r"\b(?:fir(?:e|es|ed|ing)|trigger(?:s|ed|ing)?|execut(?:e|es|ed|ing)|running|ran|runs"
    r"|dispatch(?:ed|ing)?|sen(?:t|ding)|deliver(?:ed|ing)?|process(?:ed|ing))\b",
    re.IGNORECASE,
)
_TOLERANCE = timedelta(minutes=2)  # a job runs a little after its due time
_MAX_HOURS = 14  # the widest UTC offset


def detect(record: Record, lowered: str) -> tuple[str, str] | None:
    if record.time is None or not any(w in lowered for w in LITERALS):
        return None
    if not _FIRING.search(record.text):
        return None  # "scheduled for 23:00" at 22:00 is planning, not firing
    for m in _DUE.finditer(record.text):
        due = parse_time(m.group(1))
        if due is None:
            continue
        hours = _whole_hours(record.time - due)
        if hours:
            direction = "after" if hours > 0 else "before"
            return ("timezone",
                    f"ran {abs(hours)}h {direction} its due time {m.group(1)} "
                    f"(record time {record.time.isoformat().replace('+00:00', 'Z')})")
    return None


def _whole_hours(delta: timedelta) -> int:
    hours = round(delta.total_seconds() / 3600)
    if not 1 <= abs(hours) <= _MAX_HOURS:
        return 0
    off = abs(delta - timedelta(hours=hours))
    return hours if off <= _TOLERANCE else 0
