"""The evidence under a finding: the frame in the application's own code and the exception
line, on real traces (the demo's and the corpus's, copied from public issues)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_triage.frames import evidence_lines, frame_text
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run

CORPUS = Path(__file__).parent / "data" / "corpus"


def _corpus() -> dict[str, str]:
    logs = {}
    for name in ("dev.jsonl", "real.jsonl"):
        for line in (CORPUS / name).read_text().splitlines():
            entry = json.loads(line)
            logs[entry["id"]] = entry["log"]
    return logs


LOGS = _corpus()


@pytest.mark.parametrize(
    ("excerpt", "frame"),
    [
        # Python: the last frame outside site-packages (pika's frames come after it)
        ("c038", 'File "/app/shared/queueclient/QueueClient.py", line 42, in __init__'),
        ("b068", 'File "/baserow/backend/src/baserow/core/jobs/handler.py", line 243'),
        # Java: past Spring's and the JDK's frames
        ("b086", "at com.redhat.developers.containers.MyController.memory(MyController.java:44)"),
        # Go: the function and its file line, not runtime.gopanic
        ("c180", "/tmp/src/constructor/containers.go:26"),
        ("c186", "_/home/darron/kvexpress/commands.init.8()"),
        # Node: past node:net, before node:internal
        ("b098", "at createServer (/usr/app/src/common/server.ts:31:19)"),
        # .NET: past System.Net.Http
        ("c254", "at WebAPIClient.Program.ProcessRepositories()"),
    ],
)
def test_app_frame_is_the_first_one_in_the_applications_own_code(excerpt, frame):
    assert frame in frame_text(LOGS[excerpt])


@pytest.mark.parametrize(
    "excerpt",
    [
        "c134",  # Node: every frame in node:_tls_wrap / node:events
        "c138",  # Node: node_modules/pg and old core modules (events.js)
        "c004",  # Python on Windows: every frame in the stdlib (Python311\Lib\asyncio)
    ],
)
def test_a_trace_of_library_frames_only_has_no_app_frame(excerpt):
    assert frame_text(LOGS[excerpt]) == ""


def _demo_trace(needle: str) -> str:
    log = HANDWRITTEN_DEMO / "taskflow"
    log = log / "taskflow-api-7c9d8f6b5-q8z4m/api.log"
    from kubectl_triage.records import group_lines

    records = group_lines(log.read_text().splitlines())
    return next(r.text for r in records if needle in r.text and "\n" in r.text)


def test_long_trace_keeps_head_app_frame_and_exception_not_a_caret_line():
    lines = evidence_lines(_demo_trace("no attribute 'skills'"), limit=6)
    assert lines[0] == "ERROR:    Exception in ASGI application"
    assert '  File "/app/taskflow/schemas/worker.py", line 25, in collect_skills' in lines
    assert '    "skills": [s.name for s in data.skills],' in lines
    assert lines[-1] == "AttributeError: 'Worker' object has no attribute 'skills'"
    assert not any(set(ln.strip()) <= {"^", "~"} for ln in lines)
    assert sum(ln.startswith("... (") for ln in lines) == 2


def test_short_record_is_shown_whole():
    text = "Traceback (most recent call last):\n  File \"/app/x.py\", line 1\nValueError: x"
    assert evidence_lines(text, limit=6) == text.split("\n")


def test_demo_card_shows_the_frame_in_the_services_code():
    out = run(*HANDWRITTEN, "summary").stdout
    block = out.split("  schema-mismatch  ", 1)[1].split("\n\n", 1)[0]
    assert 'File "/app/taskflow/schemas/worker.py", line 25, in collect_skills' in block
    assert "^^^^" not in block
    greenlet = out.split("  async-sqlalchemy-greenlet  ", 1)[1].split("\n\n", 1)[0]
    assert 'File "/app/taskflow/api/tasks.py", line 20, in assign_task' in greenlet


def test_markdown_ticket_names_the_frame_in_code():
    out = run(*HANDWRITTEN, "summary", "-o", "markdown").stdout
    assert '- **In code:** File "/app/reminder_worker/db.py", line 15, in wait_for_database' in out
