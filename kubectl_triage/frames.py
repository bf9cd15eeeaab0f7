"""A stack trace cut to what a developer acts on: its head line, the frame in the
application's own code, and the exception line.

A 60-line trace under a finding used to show its first two and last two lines: a
`Traceback` line, then `... (51 lines)`, a `^^^^` caret line and the exception. The line
that says where to look is the frame in the service's code nearest to the exception, not
in site-packages, the JDK, .NET's System./Microsoft., Go's runtime or module cache, or
node:internal and node_modules. This module finds it for Python, Java (and other JVM),
Go, Node and .NET traces. Pure; imports only the standard library and `records`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubectl_triage.records import cause_line

# `  File "/app/x.py", line 3, in f`
_PY_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
# The stdlib (lib/python3.11/asyncio/…), installed packages, frozen and generated code.
_PY_LIBRARY = re.compile(
    r"(?:site-packages|dist-packages|/lib/python\d[\d.]*/|\\Python\d+\\Lib\\|^<)"
)
# Python 3.11+ position markers under a frame's code line.
_CARET = re.compile(r"^\s*[~^]+\s*$")
# Java `at pkg.Class.m(File.java:12)` (with a `java.base/` module prefix or not) and .NET
# `at Ns.Class.M(String s) in /src/X.cs:line 12`: a qualified name right before its `(`.
_QUALIFIED_FRAME = re.compile(r"^\s*at (?:[\w.-]+/)?([\w$.`<>\[\],|]+)\(")
# Names of the runtimes and of the frameworks nearly every JVM or .NET service runs on.
_RUNTIME_PREFIXES = (
    "java.", "javax.", "jdk.", "sun.", "com.sun.", "jakarta.", "kotlin.", "kotlinx.", "scala.",
    "org.springframework.", "org.apache.", "io.netty.", "reactor.", "io.grpc.",
    "com.fasterxml.", "org.hibernate.", "rx.", "io.reactivex.", "System.", "Microsoft.",
)
# Node `at fn (/app/x.js:1:2)` or `at /app/x.js:1:2`.
_NODE_FRAME = re.compile(r"^\s*at (?:.+ \()?((?:node:|/|[A-Za-z]:\\|file:)[^()]*?):\d+:\d+\)?$")
# Go: `main.handler(0xc0001, ...)` then `\t/app/main.go:12 +0x1d`.
_GO_FUNC = re.compile(r"^([\w./*()\[\]{}-]+)\(.*\)$")
_GO_FILE = re.compile(r"^\s+(\S+\.go):\d+")
# GOROOT (/usr/local/go, a CI's toolcache/go/1.22.4/x64) and the module cache.
_GO_LIBRARY = re.compile(
    r"(?:/usr/local/go/src/|/go/pkg/mod/|/src/runtime/|/libexec/src/|/go/\d[\d.]*/(?:\w+/)?src/)"
)


@dataclass(frozen=True, slots=True)
class Frame:
    """Where a trace's own code is: indices of its lines (a Python frame and its code
    line, a Go function and its file line, one Java/Node/.NET `at` line)."""

    lines: tuple[int, ...]


def app_frame(text: str) -> Frame | None:
    """The frame in application code nearest to the exception, or None."""
    lines = text.split("\n")
    python = [i for i, ln in enumerate(lines) if _PY_FRAME.match(ln)]
    if python:
        return _python_frame(lines, python)
    return _go_frame(lines) or _at_frame(lines)


def _python_frame(lines: list[str], frames: list[int]) -> Frame | None:
    # Python prints the innermost call last: the last frame of the app's own is nearest.
    for i in reversed(frames):
        path = _PY_FRAME.match(lines[i]).group(1)  # type: ignore[union-attr]
        if not _PY_LIBRARY.search(path):
            code = i + 1
            if code < len(lines) and _is_code_line(lines[i], lines[code]):
                return Frame((i, code))
            return Frame((i,))
    return None


def _is_code_line(frame: str, line: str) -> bool:
    indent = len(frame) - len(frame.lstrip())
    return (
        len(line) - len(line.lstrip()) > indent
        and not _PY_FRAME.match(line)
        and not _CARET.match(line)
    )


def _go_frame(lines: list[str]) -> Frame | None:
    if not any(ln.startswith("goroutine ") for ln in lines):
        return None
    for i, line in enumerate(lines[:-1]):
        func = _GO_FUNC.match(line)
        where = _GO_FILE.match(lines[i + 1])
        runtime = not func or not where or func.group(1).startswith("runtime.")
        if not runtime and not _GO_LIBRARY.search(where.group(1)):  # type: ignore[union-attr]
            return Frame((i, i + 1))
    return None


def _at_frame(lines: list[str]) -> Frame | None:
    """Java, .NET and Node print the innermost call first. For a Java chain the cause
    that matters is the last `Caused by:`: its frames are looked at first."""
    last_cause = max((i for i, ln in enumerate(lines) if ln.startswith("Caused by:")), default=0)
    order = list(range(last_cause, len(lines))) + list(range(last_cause))
    for i in order:
        if _is_app_at(lines[i]):
            return Frame((i,))
    return None


def _is_app_at(line: str) -> bool:
    node = _NODE_FRAME.match(line)
    if node:
        path = node.group(1)
        return not (path.startswith("node:") or "node_modules" in path or "/internal/" in path)
    qualified = _QUALIFIED_FRAME.match(line)
    return bool(qualified) and not qualified.group(1).startswith(_RUNTIME_PREFIXES)


def evidence_lines(text: str, *, limit: int) -> list[str]:
    """A record as at most about `limit` lines: all of it when it fits, else its head line,
    its application frame and its exception line, with `... (N lines)` for what is left
    out between them."""
    lines = text.split("\n")
    if len(lines) <= limit:
        return lines
    keep = {0}
    frame = app_frame(text)
    if frame:
        keep.update(frame.lines)
    keep.update(_exception_lines(lines))
    out: list[str] = []
    previous = -1
    for i in sorted(keep):
        if i > previous + 1:
            out.append(_skipped(i - previous - 1))
        out.append(lines[i])
        previous = i
    if previous < len(lines) - 1:
        out.append(_skipped(len(lines) - 1 - previous))
    return out


def _skipped(count: int) -> str:
    return f"... ({count} line{'s' if count > 1 else ''})"


def frame_text(text: str) -> str:
    """The application frame of a trace on one line ("" when it has none): for a ticket."""
    frame = app_frame(text)
    if frame is None:
        return ""
    lines = text.split("\n")
    return " — ".join(lines[i].strip() for i in frame.lines)


def _exception_lines(lines: list[str]) -> list[int]:
    """The line naming what went wrong, and a message line that continues it (libpq's
    tab-indented second line, for one)."""
    cause = cause_line("\n".join(lines))
    index = max((i for i, ln in enumerate(lines) if ln == cause), default=len(lines) - 1)
    following = index + 1
    if following < len(lines) and lines[following].startswith("\t") and not _is_frame(
        lines[following]
    ):
        return [index, following]
    return [index]


def _is_frame(line: str) -> bool:
    return bool(_PY_FRAME.match(line) or line.lstrip().startswith("at "))
