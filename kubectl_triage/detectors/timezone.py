"""`timezone`: a job that runs a whole number of hours (1 to 14) away from when it was due is
almost always a naive local time taken as UTC (or the reverse). The detector finds that
offset in the forms the failure takes:

- a due/fired pair: a due time named in the record (`due_at=`, `scheduled for`, `eta`, ...)
  against the time it fired (a `started_at=`-like field of the same record, else the
  record's own clock: the server-side timestamp when the log has one, else the line's);
  ISO 8601 or RFC 2822 times, with `Z`, `UTC`, `GMT`, `+hh:mm` or `+hhmm`;
- a scheduler's own lateness, `missed by 2:00:03`, `late by 1h0m2s`, `3 hours late`.

It stays quiet on times that are merely planned (no firing word), TTLs and expiries (no
due/late word), runs on time and runs late by minutes. The naive-vs-aware errors of the
runtimes are patterns of the `timezone` row, not code.

It judges the run's log records one at a time, where the table names no specific rule
(an INFO "firing reminder" line is the evidence here, whatever level the app logged it at):
`detect(run)` over the records the view read, which become the run's judgement of those
records (every tally and the incidents count them); `judge(record)` is the same test for
a stream that keeps no Evidence (`analyze`). The `timezone` row gives the finding's title,
cause, fix and next commands.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from kubectl_triage.detectors.model import Detected, Detector, judged_records
from kubectl_triage.evidence import Record
from kubectl_triage.records import parse_time
from kubectl_triage.scan import trie_pattern

if TYPE_CHECKING:
    from kubectl_triage.commands.common import Run

RULE = "timezone"

# Words of the lines the prefilter keeps for the detector; lower-case. A JSON "eta" is
# found by `eta"` (a literal opening with a quote made every JSON line a candidate).
LITERALS = ("due_at", "due_time", "due=", "due:", "due at", "scheduled_for", "scheduled_at",
            "scheduled_time", "scheduled for", "scheduled time", "run_at", "remind_at",
            "fire_at", "eta=", "eta:", 'eta"', "next_run", "trigger_time", "fire_time",
            "expected_at", "missed by", "late by", "delayed by", "missed_by", "late_by",
            "lateness", "hours late", "hour late", "hours early", "hour early", "hours behind",
            "hour behind")
# Words a record must hold for the detector to look at it: those, and "<duration> late"
# ("fired 2h0m0.5s late"). That one is no prefilter literal: " late" and its kin cost the
# scan of every line ~4%, and a scheduler says it at WARN, a level the prefilter keeps.
# (one trie regex: ~2x faster than a test of each word, on every record a view counts)
_WORDS = re.compile(trie_pattern(w.encode() for w in (*LITERALS, " late")).decode())

# A zone as the runtimes print it: Z, UTC, GMT, +hh:mm, +hhmm, +hh, UTC+2, GMT+02:00.
_ZONE = r"(?:(?:UTC|GMT)[+-]\d{1,2}(?::?\d\d)?|Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)"
_TIME = (
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?: ?" + _ZONE + r"(?![\w:]))?"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d"
    r" (?:[+-]\d{4}|GMT|UTC)"
    r"|(?<![\d.])(?:\d{10}(?:\.\d{1,9})?|\d{13})(?![\d.]))"  # Unix seconds or milliseconds
)
_DUE = re.compile(
    r"\b(?:due(?:_at|_time)?|scheduled(?:_for|_at|_time)?|scheduled (?:for|time)|run_at"
    r"|remind_at|fire_at|fire_time|eta|next_run(?:_time)?|trigger_time|expected_at)\b"
    r"[\"']?\s*(?:=|:|at|for|is)?\s*[\"']?" + _TIME,
    re.IGNORECASE,
)
_FIRED = re.compile(
    r"\b(?:fired_at|started_at|start_time|executed_at|ran_at|run_time|triggered_at|now"
    r"|actual(?:_time)?)\b[\"']?\s*[=:]\s*[\"']?" + _TIME,
    re.IGNORECASE,
)
_FIRING = re.compile(
    r"\b(?:fir(?:e|es|ed|ing)|trigger(?:s|ed|ing)?|execut(?:e|es|ed|ing)|running|ran|runs"
    r"|start(?:s|ed|ing)|dispatch(?:ed|ing)?|sen(?:t|ding)|deliver(?:ed|ing)?"
    r"|process(?:ed|ing))\b",
    re.IGNORECASE,
)
# 2:00:03.1, 7200 seconds, 2 hours, 1h0m2s (Go), 90m, 7200s
_DURATION = (
    r"(\d+:\d\d:\d\d(?:\.\d+)?"
    r"|\d+(?:\.\d+)? ?(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|ms)"
    r"|\d+h(?:\d+m)?(?:\d+(?:\.\d+)?s)?|\d+m(?:\d+(?:\.\d+)?s)?|\d+(?:\.\d+)?s)\b"
)
# "missed by 2:00:03.1", "late by 1h0m2s", "delayed by 7200 seconds", "lateness=2h0m1s",
# "fired 2h0m0.5s late", "3 hours late"
_LATE = re.compile(
    r"\b(?:missed|late|delayed|behind)(?: schedule)? by:? ?" + _DURATION
    + r"|\b(?:lateness|late_by|missed_by|delayed_by)[\"']?\s*[=:]\s*[\"']?" + _DURATION
    + r"|(?<![\w.:])" + _DURATION + r" (?:late|behind schedule)\b"
    + r"|\b(\d+(?:\.\d+)?) hours? (?:late|early|behind|ahead)\b",
    re.IGNORECASE,
)
_TOLERANCE = timedelta(minutes=2)  # a job runs a little after its due time
_MAX_HOURS = 14  # the widest UTC offset
_UNITS = {"h": 3600, "hour": 3600, "hr": 3600, "m": 60, "min": 60, "minute": 60,
          "s": 1, "sec": 1, "second": 1, "ms": 0.001}


def judge(record: Record) -> str | None:
    """What is off by whole hours in this record (its detail), or None."""
    lowered = record.text.lower()
    if not _WORDS.search(lowered):
        return None
    for check in (_due_and_fired, _lateness):
        found = check(record)
        if found:
            return found
    return None


def detect(run: Run) -> Detected:
    return Detected(verdicts=judged_records(run, run.evidence.records(), DETECTOR))


def _due_and_fired(record: Record) -> str | None:
    fired_m = _FIRED.search(record.text)
    fired = _parse(fired_m.group(1)) if fired_m else None
    if fired is None:
        if record.time is None or not _FIRING.search(record.text):
            return None  # "scheduled for 23:00" at 22:00 is planning, not firing
        fired = record.time
    for m in _DUE.finditer(record.text):
        due = _parse(m.group(1))
        hours = _whole_hours(fired - due) if due else 0
        if hours:
            direction = "after" if hours > 0 else "before"
            return (f"ran {abs(hours)}h {direction} its due time {m.group(1)} "
                    f"(ran at {fired.isoformat().replace('+00:00', 'Z')})")
    return None


def _lateness(record: Record) -> str | None:
    for m in _LATE.finditer(record.text):
        duration = m.group(1) or m.group(2) or m.group(3)
        hours_stated = m.group(4)
        stated = duration or (f"{hours_stated} hours" if hours_stated else "")
        if not stated:
            continue
        seconds = _seconds(duration) if duration else float(hours_stated) * 3600
        hours = _whole_hours(timedelta(seconds=seconds))
        if hours:
            return f"late by {stated}: {abs(hours)}h, the size of a zone offset"
    return None


def _parse(text: str) -> datetime | None:
    text = text.strip()
    if text.replace(".", "", 1).isdigit():  # Unix time: 13 digits are milliseconds
        seconds = float(text) / 1000 if len(text) == 13 else float(text)
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    zone = re.search(r" ?(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d\d))?$", text)
    if zone:  # UTC+2, GMT+02:00 -> +02:00
        sign, hh, mm = zone.groups()
        text = text[: zone.start()] + f"{sign}{int(hh):02d}:{mm or '00'}"
    if re.search(r":\d\d(?:[.,]\d+)? ?[+-]\d\d$", text):
        text += ":00"  # +02 -> +02:00
    if text[:3].isalpha():  # RFC 2822
        for fmt in ("%a, %d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M:%S %Z"):
            try:
                value = datetime.strptime(text.replace("UTC", "GMT"), fmt)
            except ValueError:
                continue
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return None
    if text.endswith("GMT"):
        text = text[:-3].strip() + "Z"
    if re.search(r"[+-]\d{4}$", text):  # +hhmm -> +hh:mm
        text = text[:-2] + ":" + text[-2:]
    return parse_time(text)


def _seconds(text: str) -> float:
    if ":" in text:
        h, m, s = text.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?) ?([a-z]+)", text.lower()):
        total += float(number) * _UNITS.get(unit.rstrip("s") if len(unit) > 2 else unit, 0)
    return total


def _whole_hours(delta: timedelta) -> int:
    hours = round(delta.total_seconds() / 3600)
    if not 1 <= abs(hours) <= _MAX_HOURS:
        return 0
    off = abs(delta - timedelta(hours=hours))
    return hours if off <= _TOLERANCE else 0


DETECTOR = Detector(
    "timezone",
    (RULE,),
    detect,
    "jobs run a whole number of hours off their due time",
    literals=LITERALS,
    judge=judge,
)
