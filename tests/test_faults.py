"""GETs under faults, against a scripted stand-in API server on loopback: retried after
Retry-After on 429/503 and after a dropped connection, never past --request-timeout; a log
stream cut mid-way resumed from its last timestamp without repeating a line, else kept as
partial with a gap. The same faults through a real proxy and API server are in
tests/e2e/test_faults_live.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from kubectl_triage.errors import ClusterUnreachable, Forbidden, TriageError
from kubectl_triage.evidence import LogRef
from kubectl_triage.kube.config import ConnectOptions
from kubectl_triage.kube.source import LiveSource
from kubectl_triage.source import LogWindow

# A request: (path, query) -> what to do; each answer is taken in turn.
Answer = Callable[[BaseHTTPRequestHandler, dict[str, list[str]]], None]


def _lines(n: int) -> list[bytes]:
    # three lines per timestamp: a resume at that time must skip exactly the ones read
    return [
        f"2026-11-28T10:{i // 30:02d}:{i // 3 % 10:02d}.{i // 3 % 7:09d}Z line {i:04d}\n".encode()
        for i in range(n)
    ]


LOG = _lines(120)


def _key(line: bytes) -> bytes:
    return line.split(b" ")[0].split(b".")[0] + b"Z"


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, *, headers=(),
         length: int | None = None) -> None:
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def status_body(code: int, reason: str) -> bytes:
    return json.dumps({"kind": "Status", "code": code, "reason": reason,
                       "message": f"{reason.lower()} for the test"}).encode()


def too_many(after: str) -> Answer:
    return lambda h, q: send(h, 429, status_body(429, "TooManyRequests"),
                             headers=[("Retry-After", after)])


def pods(h: BaseHTTPRequestHandler, q: dict) -> None:
    send(h, 200, json.dumps({"kind": "PodList", "items": [{"metadata": {"name": "p"}}]}).encode())


def drop(h: BaseHTTPRequestHandler, q: dict) -> None:
    h.close_connection = True
    h.connection.close()


def log_cut_after(n: int) -> Answer:
    """The log from its window, cut after n lines and half of the next (a broken stream)."""

    def answer(h: BaseHTTPRequestHandler, q: dict) -> None:
        lines = _window(q)
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")  # as the API server streams a log
        h.end_headers()
        for line in lines[:n]:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
        h.wfile.write(b"%x\r\n%s" % (len(lines[n]), lines[n][:15]))
        h.wfile.flush()
        h.close_connection = True

    return answer


def log_whole(h: BaseHTTPRequestHandler, q: dict) -> None:
    send(h, 200, b"".join(_window(q)))


def _window(q: dict) -> list[bytes]:
    if "sinceTime" in q:
        since = q["sinceTime"][0].encode()
        return [line for line in LOG if _key(line) >= since]
    return LOG[-int(q["tailLines"][0]):] if "tailLines" in q else LOG


class Scripted:
    def __init__(self, answers: dict[str, list[Answer]]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, dict]] = []
        self.times: list[float] = []
        self.waits: list[float] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                query = parse_qs(url.query)
                scripted.seen.append((url.path, query))
                scripted.times.append(time.monotonic())
                kind = "log" if url.path.endswith("/log") else "list"
                queue = scripted.answers[kind]
                (queue.pop(0) if len(queue) > 1 else queue[0])(self, query)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[Callable[..., tuple[Scripted, LiveSource]]]:
    started: list[ThreadingHTTPServer] = []

    def make(answers: dict[str, list[Answer]], *, tmp: Path, timeout: float | None = None,
             wait: bool = False):
        scripted = Scripted(answers)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), scripted.handler())
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        config = tmp / "config"
        config.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "a",
            "clusters": [{"name": "a", "cluster": {"server": f"http://127.0.0.1:{httpd.server_port}"}}],
            "users": [{"name": "a", "user": {"token": "t"}}],
            "contexts": [{"name": "a", "context": {"cluster": "a", "user": "a"}}],
        }))
        source = LiveSource(ConnectOptions(kubeconfig=str(config), request_timeout=timeout,
                                           env={}))
        if not wait:  # back-off waits recorded, not slept
            source.kube.sleep = scripted.waits.append
        return scripted, source

    yield make
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


REF = LogRef("ns", "p", "app")


def test_list_retried_after_retry_after_on_429(server, tmp_path):
    scripted, source = server({"list": [too_many("1"), too_many("0"), pods]}, tmp=tmp_path,
                               wait=True)
    assert [p["metadata"]["name"] for p in source.list("pods", "ns")] == ["p"]
    assert len(scripted.seen) == 3
    assert scripted.times[1] - scripted.times[0] >= 0.9, "Retry-After: 1 was not honoured"


def test_list_retried_after_a_dropped_connection(server, tmp_path):
    scripted, source = server({"list": [drop, pods]}, tmp=tmp_path)
    assert source.list("pods", "ns")
    assert len(scripted.seen) == 2


def test_retries_are_few_and_stop_at_the_request_timeout(server, tmp_path):
    scripted, source = server({"list": [too_many("1")]}, tmp=tmp_path, timeout=2.5,
                               wait=True)
    started = time.monotonic()
    with pytest.raises(TriageError, match="TooManyRequests"):
        source.list("pods", "ns")
    assert time.monotonic() - started < 2.5
    assert 2 <= len(scripted.seen) <= 3


def test_retries_without_a_budget_are_bounded(server, tmp_path):
    scripted, source = server({"list": [too_many("0")]}, tmp=tmp_path)
    with pytest.raises(TriageError):
        source.list("pods", "ns")
    assert len(scripted.seen) == 5
    assert scripted.waits == [0, 0, 0, 0]


def test_back_off_grows_without_retry_after(server, tmp_path):
    scripted, source = server({"list": [drop]}, tmp=tmp_path)
    with pytest.raises(ClusterUnreachable):
        source.list("pods", "ns")
    assert len(scripted.seen) == 5
    for wait, base in zip(scripted.waits, (0.5, 1, 2, 4), strict=True):
        assert 0.8 * base <= wait <= 1.2 * base  # exponential, with +-20 % jitter


def test_a_long_retry_after_is_not_waited_for(server, tmp_path):
    scripted, source = server({"list": [too_many("120")]}, tmp=tmp_path)
    with pytest.raises(TriageError):
        source.list("pods", "ns")
    assert len(scripted.seen) == 1


def test_forbidden_is_not_retried(server, tmp_path):
    answer: Answer = lambda h, q: send(h, 403, status_body(403, "Forbidden"))  # noqa: E731
    scripted, source = server({"list": [answer]}, tmp=tmp_path)
    with pytest.raises(Forbidden):
        source.list("pods", "ns")
    assert len(scripted.seen) == 1


def test_a_cut_log_is_resumed_from_its_last_time_without_repeating_a_line(server, tmp_path):
    scripted, source = server({"log": [log_cut_after(40), log_cut_after(25), log_whole]},
                              tmp=tmp_path)
    got = b"".join(source.log(REF, LogWindow(tail=-1)))
    assert got.splitlines(keepends=True) == LOG
    assert source.recorded_gaps() == []
    first, second, third = (q for _, q in scripted.seen)
    assert "sinceTime" not in first
    assert second["sinceTime"] == [_key(LOG[39]).decode()]
    assert third["sinceTime"] == [_key(LOG[64]).decode()]


def test_a_resume_drops_the_window_of_the_first_request(server, tmp_path):
    scripted, source = server({"log": [log_cut_after(10), log_whole]}, tmp=tmp_path)
    got = b"".join(source.log(REF, LogWindow(tail=50)))
    assert got.splitlines(keepends=True) == LOG[-50:]
    assert "tailLines" not in scripted.seen[1][1]


def test_a_log_that_cannot_be_resumed_is_partial_with_a_gap(server, tmp_path):
    scripted, source = server({"log": [log_cut_after(30), drop]}, tmp=tmp_path)
    got = b"".join(source.log(REF, LogWindow(tail=-1)))
    assert got.splitlines(keepends=True) == LOG[:30]
    [gap] = source.recorded_gaps()
    assert (gap.kind, gap.pod, gap.container) == ("logs", "p", "app")
    assert "cut after 30 line(s)" in gap.message and LOG[29].split()[0].decode() in gap.message
    assert len(scripted.seen) <= 12, "a retry storm"


def test_a_log_cut_before_its_first_line_is_the_callers_error(server, tmp_path):
    _, source = server({"log": [drop]}, tmp=tmp_path)
    with pytest.raises(ClusterUnreachable):
        b"".join(source.log(REF, LogWindow(tail=-1)))
    assert source.recorded_gaps() == []


def test_a_log_read_ends_at_the_request_timeout(server, tmp_path):
    def slow(h: BaseHTTPRequestHandler, q: dict) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for line in LOG:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            h.wfile.flush()
            time.sleep(0.05)
        h.wfile.write(b"0\r\n\r\n")

    _, source = server({"log": [slow]}, tmp=tmp_path, timeout=1.5)
    started = time.monotonic()
    got = b"".join(source.log(REF, LogWindow(tail=-1)))
    assert time.monotonic() - started < 3
    assert 0 < len(got.splitlines()) < len(LOG)
    [gap] = source.recorded_gaps()
    assert gap.reason == "Timeout" and "partial log" in gap.message


def test_a_refused_connection_is_not_retried(tmp_path):
    # as kubectl: a wrong port is said at once
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "a",
        "clusters": [{"name": "a", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "a", "user": {"token": "t"}}],
        "contexts": [{"name": "a", "context": {"cluster": "a", "user": "a"}}],
    }))
    source = LiveSource(ConnectOptions(kubeconfig=str(config), env={}))
    waits: list[float] = []
    source.kube.sleep = waits.append
    with pytest.raises(ClusterUnreachable, match="refused"):
        source.list("pods", "ns")
    assert waits == []


def test_progress_counts_lines_of_one_time_across_chunks_and_skips_them_on_resume():
    from kubectl_triage.kube.logstream import _Progress

    progress = _Progress()
    data = b"".join(LOG[:7])  # lines 6 and 7 of LOG share a time with line 8
    got = b"".join(progress.feed(data[i:i + 5]) for i in range(0, len(data), 5))
    assert got == data and progress.lines == 7 and progress.same == 1
    assert progress.resume_from() == _key(LOG[6]).decode()
    resumed = b"".join(line for line in LOG if _key(line) >= _key(LOG[6]))
    assert progress.feed(resumed) == b"".join(LOG[7:])


def test_a_50_mb_line_costs_linear_time_and_a_carriage_return_does_not_end_a_line():
    from kubectl_triage.kube.logstream import _Progress

    progress = _Progress()
    line = LOG[0][:31] + b"x\rx" * ((50 << 20) // 3) + b"\n"
    started = time.process_time()
    out = [progress.feed(line[i:i + (1 << 16)]) for i in range(0, len(line), 1 << 16)]
    assert time.process_time() - started < 5  # quadratic joining took minutes
    assert b"".join(out) == line and progress.lines == 1 and not progress.untimed
