"""One hostile record cannot crash a report nor make it slow: JSON nested deeper than the
parser goes, a line of tens of megabytes. (Speed is measured by bench/bench_core.py; these
tests check that such input is judged, and judged the same by every path.)"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

from kubectl_triage.records import group_lines
from kubectl_triage.rules.engine import RuleSet, analyze_chunks
from kubectl_triage.rules.load import builtin_rules
from kubectl_triage.scan import iter_records
from tests.helpers import run

DEMO = Path(__file__).parents[1] / "kubectl_triage" / "demo" / "taskflow"
DEEP = '{"level":"error","msg":"x","detail":' + '{"a":' * 5000 + "1" + "}" * 5001
REFUSED = "ERROR db ConnectionRefusedError: [Errno 111] Connection refused"


def _rules(chunks: list[bytes]) -> list[str]:
    return [f.rule for f in analyze_chunks(chunks, RuleSet(builtin_rules())).findings()]


def test_deeply_nested_json_line_is_judged_as_text_and_the_rest_still_comes():
    log = f"{DEEP}\n{REFUSED}\n".encode()
    assert "connection-refused" in _rules([log])
    record = next(group_lines([DEEP]))
    assert record.text.startswith('{"level"')


def test_summary_and_checklist_survive_a_hostile_line_in_one_pod(tmp_path):
    bundle = tmp_path / "taskflow"
    shutil.copytree(DEMO, bundle)
    log = bundle / "taskflow" / "taskflow-api-7c9d8f6b5-q8z4m" / "api.log"
    with log.open("a", encoding="utf-8") as f:
        f.write(f"2026-11-20T22:40:00.000000000Z {DEEP}\n")
    for command in ("summary", "checklist"):
        result = run("--bundle", str(bundle), command, "-n", "taskflow", "-o", "json")
        assert result.code == 0, result.stderr
        assert "schema-mismatch" in {f["rule"] for f in result.json()["findings"]}


def _long_line(size: int) -> bytes:
    payload = base64.b64encode(os.urandom(size * 3 // 4))
    return b"ERROR upload failed " + payload + b" ModuleNotFoundError: No module named 'foo'\n"


def test_a_long_line_is_cut_to_its_head_and_tail_and_still_names_its_failure():
    line = _long_line(5 << 20)
    context = b"2026-01-01 INFO ok\n" * 50
    log = context + line + context
    whole = _rules([log])
    chunked = _rules([log[i : i + 65536] for i in range(0, len(log), 65536)])
    assert "import-error" in whole and whole == chunked
    record = next(r for r in iter_records([log], prefilter=RuleSet(builtin_rules()).prefilter)
                  if "upload failed" in r.text)
    assert "characters cut]" in record.text
    assert len(record.text) < 100_000
    assert record.text.endswith("No module named 'foo'")


def test_a_failure_after_a_long_line_is_found_by_the_fast_path():
    log = _long_line(2 << 20) + (REFUSED + "\n").encode()
    fast = [r.text for r in iter_records([log], prefilter=RuleSet(builtin_rules()).prefilter)]
    assert any(t.startswith("ERROR db ConnectionRefusedError") for t in fast)


def test_an_error_line_that_mentions_info_is_still_judged():
    log = b"ERROR worker INFO queue stalled: job 5 failed\n2026-01-01 INFO fine\n"
    ruleset = RuleSet(builtin_rules())
    fast = [r.text for r in iter_records([log], prefilter=ruleset.prefilter)]
    assert "ERROR worker INFO queue stalled: job 5 failed" in fast
    assert not any("INFO fine" in t for t in fast)
