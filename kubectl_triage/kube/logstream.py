"""A container's log read through a stream that may break: resumed, else kept as partial.

The log is asked for with timestamps, so each line starts with its RFC 3339 time. When the
stream breaks after some lines (a connection reset, an API server restart), the read goes on
from a new request with `sinceTime` at the last line's second, and the lines already read
(earlier, or of that same time and already counted) are dropped. When it cannot go on (the
resumes fail, or --request-timeout is spent), the lines read so far are kept and a Gap says
where the log was cut. A stream that breaks before its first line raises, as a failed GET
does: the caller records that as a gap of its own.

`sinceTime` reaches the kubelet in whole seconds (the API server formats it as RFC 3339
without a fraction), so a resume reads again up to one second of log and drops it here.

Imports only `errors`, `evidence` and, for its type, `kube.client`; never the HTTP library.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kubectl_triage.errors import Timeout, TriageError
from kubectl_triage.evidence import Gap, LogRef
from kubectl_triage.kube.client import Kube, retry_delay, translate

# Resumes in a row that bring no new line before the log is reported as partial; each one is
# itself a GET retried a few times. A resume that brings lines resets the count.
MAX_RESUMES = 2
# Query keys that select a window by position or age: a resume selects by time instead.
_WINDOW_KEYS = ("tailLines", "sinceSeconds", "sinceTime", "limitBytes")
_BLOCK = 1 << 16  # bytes of a log handed over at a time


def _time_key(line: bytes) -> tuple[bytes, int] | None:
    """A line's timestamp as (seconds, nanoseconds), comparable; None without one."""
    stamp = line[:40].split(b" ", 1)[0]
    if len(stamp) < 20 or stamp[10:11] != b"T" or not stamp.endswith(b"Z"):
        return None
    seconds, _, fraction = stamp[:-1].partition(b".")
    if len(seconds) != 19 or not fraction.isdigit() and fraction:
        return None
    return seconds, int(fraction[:9].ljust(9, b"0") or b"0")


@dataclass
class _Progress:
    """What was read: complete lines only, so a resume never repeats or loses one."""

    lines: int = 0
    last: tuple[bytes, int] | None = None  # time of the last line read
    same: int = 0  # lines read with exactly that time
    untimed: bool = False  # a line without a timestamp: no safe resume
    pending: list[bytes] = field(default_factory=list)  # the line under way, in parts
    skip: tuple[tuple[bytes, int], int] | None = None  # while resuming: (time, lines to skip)

    def feed(self, chunk: bytes) -> bytes:
        """The complete new lines of `chunk` (the rest waits for the next chunk)."""
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            # parts, not one growing string: a 50 MB line costs linear time
            self.pending.append(chunk)
            return b""
        head = b"".join([*self.pending, chunk[:cut]]) if self.pending else chunk[:cut]
        self.pending = [chunk[cut:]] if cut < len(chunk) else []
        if self.skip is not None:
            head = self._unseen(head)
        if head:
            self._count(head)
        return head

    def _unseen(self, head: bytes) -> bytes:
        """`head` without the lines a resumed stream repeats (at most its first second)."""
        assert self.skip is not None
        (at, count), start = self.skip, 0
        while start < len(head):
            key = _time_key(head[start:start + 40])
            if key is None or key > at or (key == at and count == 0):
                self.skip = None
                return head[start:]
            count -= key == at
            start = head.index(b"\n", start) + 1
        self.skip = (at, count)
        return b""

    def _count(self, head: bytes) -> None:
        """Lines, and the time of the last ones, read from the end: the bulk of a log is
        passed on as it came, not split into lines. Only \n ends a line."""
        count = head.count(b"\n")
        self.lines += count
        first = _time_key(head[:40])
        if first is not None and first == _time_key(head[head.rfind(b"\n", 0, -1) + 1:][:40]):
            # a log's times never go back: the whole chunk has one time (a burst)
            self.same = count + (self.same if first == self.last else 0)
            self.last = first
            return
        end, last, same = len(head) - 1, None, 0
        while end >= 0:
            start = head.rfind(b"\n", 0, end) + 1
            key = _time_key(head[start:start + 40])
            if same and key != last:
                break
            last, same, end = key, same + 1, start - 1
            if key is None:
                self.untimed = True
                break
        else:  # every line of head has the time of the last one
            same += self.same if last == self.last else 0
        self.last, self.same = last, same

    def resume_from(self) -> str | None:
        """The sinceTime to resume at ("" before the first line: start again), or None
        when the lines read do not allow it."""
        self.pending = []  # a cut line comes again, whole
        if self.last is None and not self.untimed:
            return ""
        if self.untimed or self.last is None:
            return None
        self.skip = (self.last, self.same)
        return self.last[0].decode() + "Z"


def read_log(
    kube: Kube,
    path: str,
    query: dict[str, Any],
    *,
    ref: LogRef,
    follow: bool,
    record_gap: Callable[[Gap], None],
) -> Iterator[bytes]:
    """The log's bytes; a break after the first line is resumed or recorded as a gap."""
    deadline = None if follow else kube.deadline()
    progress = _Progress()
    request = dict(query)
    failures, lines_then = 0, 0
    while True:
        try:
            yield from _read(kube, path, request, progress, follow=follow, deadline=deadline)
            return
        except _Cut as exc:
            failures = failures + 1 if progress.lines == lines_then else 1
            lines_then = progress.lines
            since = progress.resume_from()
            delay = retry_delay(exc, failures)
            if since is None or delay is None or failures > MAX_RESUMES or _spent(deadline):
                _give_up(ref, progress, exc, record_gap)
                return
        except TriageError as exc:
            _give_up(ref, progress, exc, record_gap)
            return
        kube.sleep(delay)
        request = {k: v for k, v in query.items() if k not in _WINDOW_KEYS} if since else query
        if since:
            request["sinceTime"] = since


def _give_up(
    ref: LogRef, progress: _Progress, exc: TriageError, record_gap: Callable[[Gap], None]
) -> None:
    """Nothing read: the error is the caller's, as for any GET; else the lines read stand."""
    if progress.lines == 0:
        raise exc.error if isinstance(exc, _Cut) else exc
    record_gap(_partial(ref, progress, exc))


class _Cut(TriageError):
    """The stream broke after its headers (the connection, not the server's answer)."""

    def __init__(self, error: TriageError, cause: BaseException) -> None:
        super().__init__(error.message)
        self.error = error
        self.reason = getattr(cause, "reason", None) or cause  # what retry_delay judges


def _read(
    kube: Kube,
    path: str,
    query: dict[str, Any],
    progress: _Progress,
    *,
    follow: bool,
    deadline: float | None,
) -> Iterator[bytes]:
    response = kube.open(path, query, idle_timeout=not follow, deadline=deadline)
    # The API server sends a log in HTTP chunks of ~2 KB, and each one handed over costs the
    # bookkeeping of _Progress and the scan's join (~0.4 s of CPU over the 400 logs of
    # bench/bench_logs.py): chunks are held until a block has come, unless following, and
    # what is held is handed over before a break or the deadline is dealt with.
    held: list[bytes] = []
    size = 0
    try:
        for chunk in response.stream(_BLOCK, decode_content=True):
            held.append(chunk)
            size += len(chunk)
            if follow or size >= _BLOCK:
                block, held, size = held, [], 0
                yield from _hand_over(progress, block)
            if _spent(deadline):
                raise Timeout("the read reached --request-timeout")
    except TriageError:
        yield from _hand_over(progress, held)
        raise
    except Exception as exc:  # noqa: BLE001 - the connection broke mid-way
        yield from _hand_over(progress, held)
        raise _Cut(translate(exc, host=kube.host), exc) from None
    finally:
        response.release_conn()
    yield from _hand_over(progress, held)
    if progress.pending:
        yield progress.feed(b"\n")  # a last line without its newline


def _hand_over(progress: _Progress, held: list[bytes]) -> Iterator[bytes]:
    if held:
        new = progress.feed(b"".join(held))  # (one part: join returns it, uncopied)
        if new:
            yield new


def _spent(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _partial(ref: LogRef, progress: _Progress, exc: TriageError) -> Gap:
    last = f"{progress.last[0].decode()}.{progress.last[1]:09d}Z" if progress.last else "?"
    reason = type(exc.error if isinstance(exc, _Cut) else exc).__name__
    return Gap(
        kind="previous-logs" if ref.previous else "logs",
        reason=reason,
        message=(
            f"partial log: cut after {progress.lines} line(s), the last at {last}, "
            f"and not resumed ({exc.message}); the lines read are shown"
        ),
        namespace=ref.namespace,
        pod=ref.pod,
        container=ref.container,
    )
