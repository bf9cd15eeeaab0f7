"""Fuzzing the three readers of untrusted input for a bounded time in every CI run: the
record parser (log bytes), the bundle reader (a directory someone attached to a ticket) and
the rules loader (a YAML file). Whatever the input, the answer is records, a report or our
one-line error, never another exception."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_triage.errors import TriageError
from kubectl_triage.records import group_lines
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules, parse_rules
from tests.helpers import run

# Bounded: ~200 examples each, no shrinking database on disk (CI runs on a clean clone).
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
RULESET = RuleSet(builtin_rules())

_LOGGY = st.sampled_from([
    "ERROR ", "INFO ", "Traceback (most recent call last):\n", "  File \"x.py\", line 1\n",
    "panic: ", "goroutine 1 [running]:\n", '{"level":"error","msg":', "level=error msg=",
    "Caused by: ", "\tat a.b(C.java:1)\n", "\x1b[31m", "\u202e", "ConnectionRefusedError",
    "{", "}", "[", "\"", "\\", "\n", "\r\n", "2026-11-27T22:14:03.123456789Z ", "== APP == ",
    "ERR_DIRECT_INVOKE", "OOMKilled", "\x00", "\xff", "9" * 50,
])
_LOG_TEXT = st.lists(st.one_of(_LOGGY, st.text(max_size=40)), max_size=60).map("".join)


@FUZZ
@given(_LOG_TEXT, st.integers(min_value=1, max_value=4096))
def test_any_log_bytes_become_records_and_a_report(text, chunk):
    data = text.encode("utf-8", "surrogatepass")
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    report = analyze_chunks(chunks, RULESET)
    for finding in report.findings():
        assert finding.count >= 1
    whole = list(group_lines(text.splitlines()))
    assert all(r.text is not None for r in whole)


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                              max_size=4),
    max_leaves=20,
)
_POD = st.fixed_dictionaries({
    "metadata": st.one_of(_JSONISH, st.fixed_dictionaries({
        "name": st.sampled_from(["web-1", "../x", "", "Web", "a" * 300]),
        "labels": _JSONISH})),
    "spec": st.one_of(_JSONISH, st.just({"containers": [{"name": "app"}]})),
    "status": st.one_of(_JSONISH, st.just({"containerStatuses": [{"name": "app"}]})),
})
BASE = Path(tempfile.mkdtemp(prefix="triage-fuzz-"))


@FUZZ
@given(st.one_of(_JSONISH, st.fixed_dictionaries({"items": st.lists(_POD, max_size=3)})),
       st.sampled_from(["status", "summary", "events", "checklist"]))
def test_any_bundle_json_gives_a_report_or_one_error_line(pods, command):
    root = Path(tempfile.mkdtemp(dir=BASE))
    try:
        (root / "shop").mkdir()
        (root / "shop" / "pods.json").write_text(json.dumps(pods))
        result = run("--bundle", str(root), "-n", "shop", command)
        assert result.code in (0, 1), result.stderr
        if result.code == 1:
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") <= 2
            assert "internal error" not in result.stderr, result.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)


_YAMLISH = st.lists(st.sampled_from([
    "rules:\n", "- id: x\n", "  title: t\n", "  severity: error\n", "  cause: c\n",
    "  fix: f\n", "  patterns: ['a+b']\n", "  patterns: ['(a+)+']\n", "  samples: [ab]\n",
    "&a [1]\n", "*a\n", "  min_level: warning\n", "  scopes: [log]\n", "- ", ": ", "'", "\t",
    "{", "}", "[", "]", "\n", "!!python/object:os.system\n",
]), max_size=30).map("".join)


@FUZZ
@given(st.one_of(_YAMLISH, st.text(max_size=200)))
def test_any_rules_file_loads_or_is_one_rules_error(text):
    try:
        parse_rules(text, source="fuzz.yaml")
    except TriageError as exc:
        assert exc.message.startswith("fuzz.yaml") and "\n" not in exc.message
