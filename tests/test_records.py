"""Raw log text -> records: multi-line grouping, level detection, prefixes, and the prefilter
path giving the same records as the full path."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_triage.evidence import Level
from kubectl_triage.records import parse_time
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules
from kubectl_triage.scan import BLOCK, MATCHER_ENV, _low_level, iter_records, matcher_name

RULESET = RuleSet(builtin_rules())


def records(text: str, **kwargs):
    return list(iter_records([text.encode()], **kwargs))


UVICORN_TRACE = (
    'INFO:     10.244.0.7:41234 - "GET /workers HTTP/1.1" 500 Internal Server Error\n'
    "ERROR:    Exception in ASGI application\n"
    "Traceback (most recent call last):\n"
    '  File "/usr/local/lib/python3.12/site-packages/uvicorn/protocols/http/h11_impl.py", '
    "line 408, in run_asgi\n"
    "    result = await app(  # type: ignore[func-returns-value]\n"
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "/app/api/workers.py", line 42, in list_workers\n'
    "    return [WorkerOut(skills=w.skills) for w in rows]\n"
    "AttributeError: 'Worker' object has no attribute 'skills'\n"
    'INFO:     10.244.0.7:41240 - "GET /healthz HTTP/1.1" 200 OK\n'
)

JAVA_TRACE = (
    "2024-05-01 10:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]"
    "    : Servlet.service() threw exception\n"
    "org.springframework.web.client.ResourceAccessException: I/O error on GET request for "
    '"http://inventory:8080/items": Connection refused\n'
    "\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:791)\n"
    "\tat com.acme.orders.InventoryClient.items(InventoryClient.java:31)\n"
    "Caused by: java.net.ConnectException: Connection refused\n"
    "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)\n"
    "\tat java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:592)\n"
    "\t... 12 more\n"
    "2024-05-01 10:00:01.000  INFO 1 --- [nio-8080-exec-2] c.a.orders.OrderController : "
    "GET /orders -> 200\n"
)

GO_PANIC = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x1385f7c]

goroutine 1 [running]:
main.(*Worker).run(0x0)
\t/app/worker.go:76 +0x19c
main.main()
\t/app/main.go:38 +0x17c

goroutine 18 [select]:
net/http.(*persistConn).writeLoop(0xc0000a2000)
\t/usr/local/go/src/net/http/transport.go:2421 +0xe5
created by net/http.(*Transport).dialConn in goroutine 17
\t/usr/local/go/src/net/http/transport.go:1777 +0x16f1
time="2024-05-01T10:00:02Z" level=info msg="restarting"
"""


def test_uvicorn_traceback_is_one_error_record():
    got = records(UVICORN_TRACE)
    assert len(got) == 3
    trace = got[1]
    assert trace.text.startswith("ERROR:    Exception in ASGI application\nTraceback")
    assert trace.text.endswith("AttributeError: 'Worker' object has no attribute 'skills'")
    assert trace.level is Level.ERROR and trace.line == 2


def test_java_trace_with_caused_by_and_more_is_one_record():
    got = records(JAVA_TRACE)
    assert [r.line for r in got] == [1, 2, 9]
    trace = got[1]
    assert "Caused by: java.net.ConnectException" in trace.text
    assert trace.text.endswith("\t... 12 more")
    assert trace.level is Level.ERROR


def test_go_panic_with_its_goroutines_is_one_record():
    got = records(GO_PANIC)
    assert len(got) == 2
    panic = got[0]
    assert panic.level is Level.CRITICAL
    assert "goroutine 18 [select]" in panic.text and "created by net/http" in panic.text
    assert got[1].level is Level.INFO


def test_a_traceback_after_an_info_line_is_its_own_error_record():
    text = ("INFO  [alembic.runtime.migration] Running upgrade 2e56 -> ebe5, Add index\n"
            "Traceback (most recent call last):\n"
            '  File "/app/migrate.py", line 9, in <module>\n'
            "    upgrade()\n"
            'psycopg2.errors.UndefinedTable: relation "bike_ride" does not exist\n')
    info, trace = records(text)
    assert info.level is Level.INFO and trace.level is Level.ERROR
    assert trace.text.startswith("Traceback") and trace.text.endswith("does not exist")


@pytest.mark.parametrize("line, level", [
    ('{"time":"2024-05-01T10:00:00Z","level":"error","msg":"boom"}', Level.ERROR),
    ('{"severity":"WARNING","message":"slow"}', Level.WARNING),
    ('{"level":50,"time":1714557600000,"msg":"pino error"}', Level.ERROR),
    ('{"level":30,"time":1714557600000,"msg":"pino info"}', Level.INFO),
    ('{"@l":"Fatal","@m":"serilog"}', Level.CRITICAL),
    ('time="2024-05-01T10:00:00Z" level=warning msg="retrying" scope=dapr.runtime', Level.WARNING),
    ('ts=2024-05-01T10:00:00Z lvl=debug msg="cache hit"', Level.DEBUG),
    ("E0812 10:00:00.000000       1 reflector.go:201] failed to list", Level.ERROR),
    ("2024-05-01 10:00:00,000 [WARN] pool exhausted", Level.WARNING),
    ("fail: Microsoft.AspNetCore.Server.Kestrel[13]", Level.ERROR),
])
def test_json_logfmt_and_plain_levels(line, level):
    (record,) = records(line)
    assert record.level is level


def test_error_count_zero_at_info_is_no_group_and_no_finding():
    line = '{"time":"2024-05-01T10:00:00Z","level":"info","msg":"stats","error_count":0}\n'
    (record,) = records(line)
    assert record.level is Level.INFO
    for all_lines in (False, True):  # through the prefilter, and line by line
        tally = analyze_chunks([line.encode()], RULESET, all_lines=all_lines)
        assert tally.groups() == () and tally.findings() == ()


def test_ansi_codes_and_run_prefixes_are_stripped():
    text = ("== APP == \x1b[31mERROR\x1b[0m payment failed: connection refused\n"
            "api-1  | WARNING: slow request\n"
            "== DAPR == time=\"2024-05-01T10:00:00Z\" level=info msg=\"dapr initialized\"\n")
    got = records(text)
    assert [r.text for r in got] == [
        "ERROR payment failed: connection refused",
        "WARNING: slow request",
        'time="2024-05-01T10:00:00Z" level=info msg="dapr initialized"',
    ]
    assert [r.level for r in got] == [Level.ERROR, Level.WARNING, Level.INFO]


def test_kubectl_timestamps_prefix_is_parsed_and_removed():
    line = "2024-05-01T10:00:00.123456789Z ERROR payment failed: connection refused\n"
    (record,) = records(line)
    assert record.text == "ERROR payment failed: connection refused"
    assert record.time == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert record.level is Level.ERROR


def test_kubectl_describe_events_are_one_record_per_row():
    text = ("Events:\n"
            "  Type     Reason     Age   From     Message\n"
            "  ----     ------     ----  ----     -------\n"
            "  Normal   Scheduled  5m    default-scheduler  Successfully assigned ns/web-1 to n2\n"
            '  Warning  Unhealthy  4m    kubelet  Readiness probe failed: Get "http://10.1.2.3'
            ':8080/ready": dial tcp 10.1.2.3:8080: connect: connection refused\n'
            "  Warning  BackOff    1m    kubelet  Back-off restarting failed container app\n")
    got = records(text)
    assert len(got) == 4
    rules = {RULESET.classify(r).rule.id for r in got if RULESET.classify(r)}
    assert rules == {"probe-failure", "crash-loop"}


# ---- the prefilter path gives the records of the full path ---------------------------------

NORMAL = [
    'INFO:     10.244.0.{n}:41234 - "GET /tasks/{n} HTTP/1.1" 200 OK',
    '{{"time":"2024-05-01T10:00:00Z","level":"info","msg":"task updated","task_id":{n}}}',
    'time="2024-05-01T10:00:00Z" level=info msg="HTTP API Called" method="POST '
    '/v1.0/publish/pubsub/task-events" app_id=api scope=dapr.runtime.http-info',
    "2024-05-01 10:00:00,123 INFO [worker] processed batch {n}: 25 ok, 0 failed",
    '{{"time":"2024-05-01T10:00:00Z","level":"info","msg":"stats","error_count":0}}',
    "INFO health check ok ({n} ms)",
    "    indented continuation of nothing in particular {n}",
]
FAILURES = [
    UVICORN_TRACE.rstrip("\n"),
    JAVA_TRACE.rstrip("\n"),
    GO_PANIC.rstrip("\n"),
    'time="2024-05-01T10:00:00Z" level=error msg="failed to watch scheduler jobs, retrying: '
    'connection refused" scope=dapr.runtime.scheduler',
    "WARNING retry {n}: upstream returned 503 Service Unavailable",
    "2024-05-01 10:00:00,000 INFO [db] pool stats: errors=0\n"
    "    last failure: could not connect to server: Connection refused",
]


def _generated_log(seed: int) -> bytes:
    """About 1.3 MiB of mostly normal lines with failures; two traces straddle BLOCK."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    straddles = [BLOCK - 300 - 100 * seed, BLOCK + 5_000]
    while size < int(1.3 * BLOCK):
        if straddles and size >= straddles[0]:
            straddles.pop(0)
            piece = rng.choice(FAILURES[:3])  # a long trace across the block boundary
        elif rng.random() < 0.01:
            piece = rng.choice(FAILURES).format(n=rng.randrange(1000))
        else:
            piece = rng.choice(NORMAL).format(n=rng.randrange(1000))
        out.append(piece)
        size += len(piece) + 1
    return ("\n".join(out) + "\n").encode()


def _chunks(data: bytes, rng: random.Random):
    offset = 0
    while offset < len(data):
        step = rng.randrange(1, 200_000)
        yield data[offset:offset + step]
        offset += step


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prefilter_path_yields_exactly_the_full_path_records_that_hold_a_literal(seed):
    """Full path: every record. Prefilter path: the records around a literal hit. A record
    hit only by the engine's level words ("err", "fail", …) on a low-level line may be
    skipped (that is the point of those words being quiet); every other record holding a
    scanned word is found, and none is found that holds none."""
    data = _generated_log(seed)
    prefilter = RULESET.prefilter
    full = list(iter_records(_chunks(data, random.Random(seed)), prefilter=None))
    fast = list(iter_records(_chunks(data, random.Random(seed + 100)), prefilter=prefilter))

    words = [w.decode() for w in prefilter.literals]
    loud = [w for w in words if w.encode() not in prefilter.quiet_words]

    def holds(record, candidates):
        lowered = record.text.lower()
        return any(w in lowered for w in candidates)

    expected = [r for r in full if holds(r, loud)]
    second_block = data[:BLOCK].count(b"\n") + 1  # first line number past BLOCK
    assert len(expected) > 20 and any(r.line > second_block for r in expected)
    index = {(r.line, r.text): r for r in full}
    for record in fast:  # every fast record is a full-path record, unchanged
        assert index.get((record.line, record.text)) == record
        assert holds(record, words)
    assert [r.line for r in fast] == sorted(r.line for r in fast)
    got = {(r.line, r.text) for r in fast}
    missing = [r for r in expected if (r.line, r.text) not in got]
    assert not missing, missing[:3]


def test_an_info_line_is_kept_for_a_loud_word_that_holds_a_level_word():
    """`sslerror` or `communications link failure` hold a quiet level word: the scan finds
    them through that word, and their line must not be skipped as a quiet one; a line that
    holds nothing but empty error fields is."""
    prefilter = RULESET.prefilter
    quiet = [w.decode() for w in prefilter.quiet_words]
    words = [w for w in prefilter.literals_text() if w not in quiet and any(q in w for q in quiet)]
    assert len(words) > 20
    for word in words:
        line = f'2026-11-27 22:41:03,123 INFO [app] saw {word} once, "error":null\n'.encode()
        records = list(iter_records([b"INFO started\n", line], prefilter=prefilter))
        assert [r.line for r in records] == [2], word
    empty = b'2026-11-27 22:41:03,123 INFO [app] done "error":null, errors=0, failed=0\n'
    assert list(iter_records([empty], prefilter=prefilter)) == []


# ---- RE2 and `re` find the same records -------------------------------------------------------

# zap, pino, logrus and slog lines with empty error fields (a fifth of real structured logs)
ALARMING = [
    '{{"level":"info","ts":1764283263.{n},"msg":"request served","status":200,"error":null}}',
    '{{"level":30,"time":1764283263{n},"msg":"request completed","errors":0,"err":null}}',
    'time="2024-05-01T10:00:00Z" level=info msg="job done" job={n} err="<nil>" retries=0',
    'time=2024-05-01T10:00:00Z level=INFO msg="sync finished" errors=0 failed=0',
    '2024-05-01 10:00:00,123 INFO [app] saw sslerror once, "error":null',
    '2024-05-01 10:00:00,123 INFO [db] {n} ok, "error":null, then connection refused',
]


def _alarming_log(seed: int) -> bytes:
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < int(1.2 * BLOCK):
        roll = rng.random()
        pool = FAILURES if roll < 0.01 else ALARMING if roll < 0.25 else NORMAL
        piece = rng.choice(pool).format(n=rng.randrange(1000))
        out.append(piece)
        size += len(piece) + 1
    return ("\n".join(out) + "\n").encode()


def test_the_test_extras_scan_with_re2(monkeypatch):
    """scripts/test installs the `fast` extra's google-re2 with the test extra: the tests
    below then compare two engines, not one with itself."""
    monkeypatch.delenv(MATCHER_ENV, raising=False)
    assert matcher_name() == "re2"


@pytest.mark.parametrize("seed", [1, 2])
def test_re2_and_re_give_the_same_records(seed, monkeypatch):
    data = _alarming_log(seed)
    monkeypatch.setenv(MATCHER_ENV, "re")
    assert matcher_name() == "re"
    by_re = list(iter_records(_chunks(data, random.Random(seed)),
                              prefilter=RuleSet(builtin_rules()).prefilter))
    monkeypatch.delenv(MATCHER_ENV)
    by_re2 = list(iter_records(_chunks(data, random.Random(seed)),
                               prefilter=RuleSet(builtin_rules()).prefilter))
    assert len(by_re) > 20
    assert by_re2 == by_re
    # the loud INFO lines are kept, the merely alarming ones are not
    texts = [r.text for r in by_re2]
    assert any("sslerror" in t for t in texts) and any("connection refused" in t for t in texts)
    assert not any('"errors":0,"err":null}' in t for t in texts)


def test_re2_search_without_google_re2_internals_finds_the_same_hits():
    """The scan calls the layer under google-re2's Python API; a release without it falls
    back to the public search(), with the same hits."""
    from kubectl_triage.scan import _Re2Search

    data = _alarming_log(3).lower()
    fast = _Re2Search(RULESET.prefilter.literals_pattern())
    public = _Re2Search(RULESET.prefilter.literals_pattern())
    public._raw = None

    def starts(engine):
        out, pos = [], 0
        while (hit := engine.first(data, pos, len(data))) >= 0:
            out.append(hit)
            pos = hit + 1
        return out

    assert fast._raw is not None
    assert len(starts(fast)) > 100 and starts(fast) == starts(public)


@given(st.lists(st.sampled_from([
    "ERROR", "ERRO", "ERR", "WARN", "WARNING", "FATAL", "CRIT", "CRITICAL", "SEVERE", "PANIC",
    "EMERG", "ALERT", "INFO", "DEBUG", '"level":', '"severity": ', '"error"', '"warn"',
    '"warning"', '"fatal"', '"critical"', '"info"', "level=", "error", "warn", "info", " ",
    "_", "x", ":", "[", "]", "{", "}", "=", '"']), max_size=12))
def test_the_loud_hint_holds_wherever_a_loud_level_word_does(parts):
    """_low_level asks the cheap _LOUD_HINT first and _LOUD_LEVEL only when it holds: the
    hint must hold on every line _LOUD_LEVEL matches, or a WARN line would read as INFO."""
    from kubectl_triage.scan import _LOUD_HINT, _LOUD_LEVEL

    line = "".join(parts).encode()
    if _LOUD_LEVEL.search(line):
        assert _LOUD_HINT.search(line)


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_kubelet_stamps_read_as_every_other_form_of_the_same_time(when, nanos):
    # parse_time reads the kubelet's 30-character stamp by a short path; it must give what
    # the general path gives for the same instant written otherwise.
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{nanos:03d}Z"
    expected = when.replace(tzinfo=timezone.utc)
    assert parse_time(stamp) == expected
    assert parse_time(stamp.replace("Z", "+00:00")) == expected
    assert parse_time(stamp.replace("-", "/", 2)) == expected  # not the short path's form


def test_a_line_whose_level_is_loud_is_never_quiet_whatever_its_words():
    # _low_level skips its INFO/DEBUG regex on a line without one of that regex's words
    for line in (b'2026-11-28T10:00:00.250000000Z ERROR app request 49 failed: "error":null',
                 b'{"level":"error","msg":"x"}', b"WARN errors=0", b"level=warn err=<nil>"):
        assert not _low_level(line), line
    for line in (b"2026-11-28T10:00:00.250000000Z INFO app errors=0",
                 b'{"level":"info","error":null}', b"level=debug err=<nil>",
                 b'{"severity": "info", "error": null}', b'{"level":30,"err":null}'):
        assert _low_level(line), line
