"""Raw log text -> records: one record per logical entry, with its level and fields.

A Python traceback, a Java stack trace with its `Caused by`, a Go panic with its goroutines
are one record each. Level detection (plain prefixes, logfmt, JSON) happens here, before any
rule looks at the text, so "0 errors" at INFO never reads as an error.

`group_lines` groups every line; scan.py's `iter_records` with a `Prefilter` groups only
the records around literal hits (the fast path) and uses the pieces here.

Imports only the standard library and `evidence`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from kubectl_triage.evidence import Level, LogRef, Record

# Terminal control sequences: CSI, OSC (ended by BEL or ST), other two-byte ESC sequences,
# then any remaining C0/C1 control character except TAB, and the bidirectional overrides and
# isolates that make a line read otherwise than it is (U+202A-202E, U+2066-2069). Cluster
# output is untrusted.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
# `dapr run` prefixes (== APP ==) and docker-compose prefixes (svc-1  | ).
_RUN_PREFIX = re.compile(r"^(?:== ?[A-Z]+ ?== ?|[a-z0-9][\w.-]*[-_]\d+\s+\|(?: |$))")
# `kubectl logs --timestamps`: RFC 3339 with nanoseconds, then one space.
_SERVER_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
_OWN_TS = re.compile(
    r"^\[?(\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?: ?(?:Z|[+-]\d\d:?\d\d|UTC))?)\]?"
)

_LEVELS = {
    "trace": Level.DEBUG,
    "trce": Level.DEBUG,
    "debug": Level.DEBUG,
    "dbug": Level.DEBUG,
    "info": Level.INFO,
    "information": Level.INFO,
    "notice": Level.INFO,
    "i": Level.INFO,
    "warn": Level.WARNING,
    "warning": Level.WARNING,
    "w": Level.WARNING,
    "error": Level.ERROR,
    "err": Level.ERROR,
    "erro": Level.ERROR,
    "fail": Level.ERROR,
    "e": Level.ERROR,
    "severe": Level.ERROR,
    "fatal": Level.CRITICAL,
    "crit": Level.CRITICAL,
    "critical": Level.CRITICAL,
    "panic": Level.CRITICAL,
    "emerg": Level.CRITICAL,
    "alert": Level.CRITICAL,
    "f": Level.CRITICAL,
}
_GLOG = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d")
_LOGFMT_LEVEL = re.compile(r"(?:^|\s)(?:level|lvl|severity)=\"?([A-Za-z]+)")
_DOTNET = re.compile(r"^(trce|dbug|info|warn|fail|crit): ")
# Upper-case level words delimited as log formats write them; lower-case ones only in
# brackets, between tabs (zap) or as a leading "error:".
_PLAIN_UPPER = re.compile(
    r"(?:^|[\s\[(|<:-])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|ERRO|FATAL|CRITICAL"
    r"|CRIT|SEVERE|PANIC)(?=[\s\]):|>,-]|\[\d|$)"
)
_PLAIN_LOWER = re.compile(
    r"(?:\[|<|\t)(trace|debug|info|notice|warn|warning|error|err|fatal|critical|crit|panic)"
    r"(?:\]|>|\t)|^(error|warning|fatal|panic):\s"
)
_HEAD = 64  # level words are looked for this far into a line (after its own timestamp)

_TRACE_START = re.compile(
    r"^(?:Traceback \(most recent call last\)|panic: |fatal error: |Exception in thread "
    r"|Unhandled exception|(?:[a-z_]\w*\.)+[A-Z]\w*(?:Exception|Error)\b)"
)
_CONTINUATION = re.compile(
    r"^(?:\s+\S|Traceback \(most recent call last\)|(?:Caused by|Suppressed):"
    r"|During handling of the above exception|The above exception was the direct cause"
    r"|\.\.\. \d+ (?:more|common frames omitted)|goroutine \d+ \[|created by |\[signal "
    r"|--- End of |\}\s*$|\]\s*$"
    # frames pasted without their indent: Java's `at pkg.Class.m(File.java:1)`, Python's
    # `File "x.py", line 3, in f`
    r"|at [\w$.<>/]+\([\w$ .:<>-]*\)|File \"[^\"\n]+\", line \d+)"
)
# The last line of a Python traceback ("module.SomeError: message").
_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:: |:$|$)")
_GO_FRAME = re.compile(r"^[\w./*()\[\]-]+\(.*\)$")
# Rows of `kubectl describe` Events and of old `kubectl get events` output are indented like
# continuation lines, but each row is an event of its own.
_EVENT_ROW = re.compile(
    r"^\s+(?:(?:Normal|Warning)\s+[A-Z][A-Za-z]+\s|(?:\d+[smhd])+\s+(?:\d+[smhd])+\s+\d+\s+\{)"
)
_MAX_RECORD_LINES = 400  # a longer trace is cut: its head and cause are what matter


_CAUSE_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.$]*(?:Error|Exception|Exit|Warning|Greenlet|Fault)\b"
    r"|panic: |Caused by: |fatal error: )"
)


def cause_line(text: str) -> str:
    """The line of a multi-line record that names what went wrong: the last exception line
    of a trace (its last `Caused by:` for Java), else the last non-empty line."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    for line in reversed(lines):
        if _CAUSE_LINE.match(line):
            return line
    return lines[-1] if lines else ""


def one_line(text: str, *, head: int | None = None, cause: int | None = None) -> str:
    """A record on one line: its first line and, for a trace, the line naming what went
    wrong (each cut to `head` / `cause` characters when given)."""
    first = text.split("\n", 1)[0]
    if "\n" not in text:
        return first
    return f"{first[:head]} ... {cause_line(text).strip()[:cause]}"


def strip_controls(text: str) -> str:
    """Text with every control sequence removed; line breaks kept."""
    if text.isprintable():
        return text
    return "\n".join(_CONTROL.sub("", line) for line in text.split("\n"))


def clean_line(line: str) -> str:
    """Strip control sequences and run-tool prefixes from one line."""
    if "\x1b" in line or not line.isprintable():
        line = _CONTROL.sub("", line)
    m = _RUN_PREFIX.match(line)
    return line[m.end() :] if m else line


def parse_time(text: str) -> datetime | None:
    """Parse an RFC 3339 / ISO 8601 time; naive times are taken as UTC."""
    if len(text) == 30 and text[19] == "." and text[29] == "Z" and text[20:29].isdigit():
        # the kubelet's own stamp (2026-11-28T10:00:00.250000000Z), on every line of a
        # log read with timestamps: the general path below cost ~3 us of each record
        try:
            return datetime.fromisoformat(text[:26] + "+00:00")
        except ValueError:
            pass  # 2026/11/28…: the general path reads it
    t = text.strip().replace(",", ".").replace("/", "-")
    if t.endswith("UTC"):
        t = t[:-3].strip() + "+00:00"
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if "." in t:  # Python 3.10 takes at most 6 fraction digits
        head, _, rest = t.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        t = head + "." + rest[: min(digits, 6)].ljust(6, "0") + rest[digits:]
    try:
        value = datetime.fromisoformat(t.replace(" ", "T", 1))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def split_server_stamp(line: str) -> tuple[str, str]:
    """The server timestamp's text ("" without one) and the rest of the line; parsed
    (parse_time) only where a time is read: a record's first line."""
    m = _SERVER_TS.match(line)
    if not m:
        return "", line
    return m.group(1), line[m.end() :]


@dataclass(frozen=True, slots=True)
class Header:
    level: Level
    message: str
    time: datetime | None
    fields: dict[str, str]


def parse_header(line: str) -> Header:
    """Level, message, own time and fields of a record's first line."""
    stripped = line.lstrip()
    if stripped.startswith("{"):
        parsed = _parse_json(stripped)
        if parsed is not None:
            return parsed
    if "=" in line:
        m = _LOGFMT_LEVEL.search(line)
        if m and m.group(1).lower() in _LEVELS:
            fields = _logfmt(line)
            return Header(
                _LEVELS[m.group(1).lower()],
                fields.get("msg", line),
                _field_time(fields),
                fields,
            )
    own = _OWN_TS.match(line)
    time = parse_time(own.group(1)) if own else None
    rest = line[own.end() :] if own else line
    return Header(_plain_level(rest.lstrip(" \t:-|")), line, time, {})


# A syslog/journald prefix ("Sep 14 21:18:39 host proc[42]: ") before the program's own line:
# its level word (a glog "I0914", "ERROR") follows the prefix.
_SYSLOG = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w.-]+ [\w./-]+(?:\[\d+\])?: ")


def _plain_level(rest: str) -> Level:
    syslog = _SYSLOG.match(rest) if rest[:1].isupper() else None
    if syslog:
        rest = rest[syslog.end() :]
    m = _GLOG.match(rest) or _DOTNET.match(rest)
    if m:
        return _LEVELS[m.group(1).lower()]
    head = rest[:_HEAD]
    m = _PLAIN_UPPER.search(head)
    if m:
        return _LEVELS[m.group(1).lower()]
    m = _PLAIN_LOWER.search(head)
    if m:
        return _LEVELS[(m.group(1) or m.group(2)).lower()]
    if _TRACE_START.match(rest):
        return Level.CRITICAL if rest.startswith(("panic:", "fatal error:")) else Level.ERROR
    return Level.UNKNOWN


_JSON_LEVEL_KEYS = ("level", "severity", "lvl", "levelname", "log.level", "@l", "loglevel")
_JSON_MSG_KEYS = ("msg", "message", "@m", "@mt", "event", "text")
_JSON_TIME_KEYS = ("time", "ts", "timestamp", "@timestamp", "@t", "datetime", "asctime")


def _parse_json(line: str) -> Header | None:
    try:
        obj = json.loads(line)
        if not isinstance(obj, dict):
            return None
        fields = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in obj.items()}
    except (ValueError, RecursionError):
        # Not JSON, or nested deeper than the parser goes (a hostile 2 KB line can be):
        # judged as plain text.
        return None
    level = Level.UNKNOWN
    for key in _JSON_LEVEL_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and value.lower() in _LEVELS:
            level = _LEVELS[value.lower()]
            break
        if isinstance(value, int):  # bunyan/pino numeric levels
            level = Level.ERROR if value >= 50 else Level.WARNING if value >= 40 else Level.INFO
            break
    message = next((fields[k] for k in _JSON_MSG_KEYS if k in fields), line)
    return Header(level, message, _field_time(fields), fields)


def _field_time(fields: dict[str, str]) -> datetime | None:
    for key in _JSON_TIME_KEYS:
        if key in fields:
            return parse_time(fields[key])
    return None


_LOGFMT_PAIR = re.compile(r'([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def _logfmt(line: str) -> dict[str, str]:
    fields = {}
    for key, value in _LOGFMT_PAIR.findall(line):
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        fields[key] = value
    return fields


class _Grouper:
    """Decides, line by line, whether a line continues the current record."""

    def __init__(self) -> None:
        self.in_python_trace = False
        self.in_go_panic = False
        self.traced = False  # the record holds a Python traceback: chained ones follow blank lines
        self.head = ""

    def reset(self) -> None:
        self.in_python_trace = self.in_go_panic = self.traced = False
        self.head = ""

    def continues(self, line: str, *, size: int) -> bool:
        if size >= _MAX_RECORD_LINES:
            return False
        if line.startswith("Traceback (most recent call last)"):
            # After an INFO/DEBUG/WARNING line a traceback is an uncaught exception printed
            # next to it (logger.exception writes ERROR), not part of it: keep its own level.
            if self.head and Level.UNKNOWN < parse_header(self.head).level < Level.ERROR:
                return False
            self.in_python_trace = self.traced = True
            return True
        if line == "" and self.traced:
            return True
        if line[:1] in (" ", "\t") and _EVENT_ROW.match(line):
            return False
        if self.in_go_panic:
            if line == "" or _CONTINUATION.match(line) or _GO_FRAME.match(line):
                return True
            self.in_go_panic = False
            return False
        if _CONTINUATION.match(line):
            return True
        if self.in_python_trace and _EXC_LINE.match(line):
            self.in_python_trace = False  # the exception line ends the traceback
            return True
        return False

    def starts(self, line: str) -> None:
        self.head = line
        self.in_python_trace = self.traced = line.startswith("Traceback (most recent call last)")
        self.in_go_panic = line.startswith(("panic: ", "fatal error: "))


def _maybe_continuation(line: str) -> bool:
    """Stateless: could this line belong to the record above it? (for walking back)"""
    if _EVENT_ROW.match(line):
        return False
    return bool(
        line == ""
        or _CONTINUATION.match(line)
        or _EXC_LINE.match(line)
        and not _plain_level(line)
        or _GO_FRAME.match(line)
    )


@dataclass(slots=True)
class _Line:
    number: int
    stamp: str  # the server timestamp's text, "" for none: parsed for a record's head only
    text: str


# A server's own access line (uvicorn, gunicorn: `ip:port - "GET /x HTTP/1.1" 500`) for a
# request it answered with a 5xx: the server failed that request, whatever level its access
# logger writes at. A combined-format line (`[27/Nov/2026:22:16:12 +0000] "GET ...`) is in a
# cluster a proxy's (ingress-nginx, an nginx in front of an API), whose 500 is its
# upstream's answer passed on: not the proxy's error. A 4xx is the client's problem.
_ACCESS_5XX = re.compile(r"(?<!\] )\"[A-Z]{3,7} \S+ HTTP/[\d.]+\" 5\d\d\b")


def _make_record(lines: list[_Line], ref: LogRef | None) -> Record:
    while len(lines) > 1 and not lines[-1].text:
        lines.pop()
    head = lines[0]
    header = parse_header(head.text)
    level = header.level
    if level < Level.ERROR and '" 5' in head.text and _ACCESS_5XX.search(head.text):
        level = Level.ERROR
    if (
        level is Level.UNKNOWN
        and len(lines) > 1
        and any(_TRACE_START.match(x.text) for x in lines[1:])
    ):
        level = Level.ERROR
    text = "\n".join(x.text for x in lines)
    return Record(
        text=text,
        level=level,
        message=header.message,
        time=(parse_time(head.stamp) if head.stamp else None) or header.time,
        line=head.number,
        ref=ref,
        fields=header.fields,
    )


# A line longer than this keeps its head and tail: a 50 MB line (a dumped payload, a
# minified bundle) would otherwise cost every pattern a pass over all of it, and what names
# a failure sits at a line's start (level, message) or end (the exception of a JSON stack).
_MAX_LINE = 64 * 1024
_LINE_TAIL = 16 * 1024


def cut_line(line: str) -> str:
    if len(line) <= _MAX_LINE:
        return line
    cut = len(line) - (_MAX_LINE - _LINE_TAIL) - _LINE_TAIL
    return f"{line[: _MAX_LINE - _LINE_TAIL]} ...[{cut} characters cut]... {line[-_LINE_TAIL:]}"


def _to_line(number: int, raw: str) -> _Line:
    stamp, rest = split_server_stamp(cut_line(raw))
    return _Line(number, stamp, clean_line(rest))


class RecordBuilder:
    """Groups one log's lines into records as they come: `feed` returns the record a line
    completed, if any; `flush` the last one. One builder per log, so the lines of several
    logs interleaved in one stream (`kubectl logs --prefix -f`, stern) group apart."""

    def __init__(
        self, *, ref: LogRef | None = None, wanted: Callable[[str], bool] | None = None
    ) -> None:
        self.ref = ref
        self._wanted = wanted  # on a record's text: False drops it before it is parsed
        self._grouper = _Grouper()
        self._current: list[_Line] = []

    def feed(self, number: int, raw: str) -> Record | None:
        line = _to_line(number, raw.rstrip("\r\n"))
        current = self._current
        if current and self._grouper.continues(line.text, size=len(current)):
            current.append(line)
            return None
        done = self._done(current)
        if line.text == "":
            self._current = []
            self._grouper.reset()
        else:
            self._current = [line]
            self._grouper.starts(line.text)
        return done

    @property
    def pending(self) -> bool:
        """A record is begun and waits for the line after it."""
        return bool(self._current)

    def flush(self) -> Record | None:
        done = self._done(self._current)
        self._current = []
        self._grouper.reset()
        return done

    def _done(self, lines: list[_Line]) -> Record | None:
        if not lines:
            return None
        if self._wanted is not None and not self._wanted("\n".join(x.text for x in lines)):
            return None
        return _make_record(lines, self.ref)


def group_lines(
    raw_lines: Iterable[str], *, ref: LogRef | None = None, first_number: int = 1
) -> Iterator[Record]:
    """Every record of a sequence of raw lines, in order."""
    builder = RecordBuilder(ref=ref)
    for number, raw in enumerate(raw_lines, first_number):
        record = builder.feed(number, raw)
        if record is not None:
            yield record
    last = builder.flush()
    if last is not None:
        yield last
