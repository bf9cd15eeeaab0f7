"""logs -f: records printed as they arrive, one line each (JSON lines with -o json)."""

from __future__ import annotations

import json

from tests.helpers import HANDWRITTEN, run


def test_follow_prints_failing_records_with_their_rules():
    result = run(*HANDWRITTEN, "logs", "taskflow-api", "-f")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(" schema-mismatch " in line and "'skills'" in line for line in lines)
    # an INFO line that the timezone detector judges (fired an hour after due_at)
    assert sum(" timezone " in line and "due_at=" in line for line in lines) == 4
    assert all(" info - " not in line for line in lines)  # info without a rule is not shown
    pods = {line.split()[1].split("/")[0] for line in lines}
    assert pods == {"taskflow-api-7c9d8f6b5-q8z4m", "taskflow-api-7c9d8f6b5-x2x7k"}


def test_follow_json_lines():
    result = run(*HANDWRITTEN, "logs", "reminder-worker", "-f", "-o", "json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and {r["rule"] for r in rows} >= {"db-connection"}
    assert all(r["pod"].startswith("reminder-worker") for r in rows)


def test_follow_refuses_previous_and_too_many_logs():
    assert run(*HANDWRITTEN, "logs", "taskflow-api", "-f", "--previous").code == 2
    result = run(*HANDWRITTEN, "--max-requests", "2", "logs", "taskflow-api", "-f")
    assert result.code == 2 and "4 logs to follow" in result.stderr
