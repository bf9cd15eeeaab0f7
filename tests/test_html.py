"""-o html: one self-contained page (incidents, the timeline as SVG, the cards) that loads
nothing, runs nothing, and shows the cluster's text as text, secrets redacted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run

# A log line a hostile (or merely unlucky) app could write: markup, a tracking image, a token.
HOSTILE = (
    '2026-11-27T22:31:00.000000000Z 2026-11-27 22:31:00,000 ERROR [taskflow.api] '
    'ConnectionRefusedError: [Errno 111] Connection refused by <script>alert("x")</script>'
    '<img src="https://evil.example/p.png" onerror="alert(1)"> '
    "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 & more"
)
EXTERNAL = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def hostile_bundle(tmp_path: Path) -> Path:
    """The demo with HOSTILE appended to one API pod's log."""
    bundle = tmp_path / "bundle"
    shutil.copytree(HANDWRITTEN_DEMO, bundle)
    log = bundle / "taskflow" / "taskflow-api-7c9d8f6b5-q8z4m" / "api.log"
    log.write_text(log.read_text() + HOSTILE + "\n")
    return bundle


def _page(*args: str) -> str:
    result = run(*args, "-o", "html")
    assert result.code == 0, result.stderr
    return result.stdout


def _loads_nothing(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and not EXTERNAL.search(page)
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_demo_page_is_self_contained_and_holds_incidents_timeline_and_cards():
    page = _page("demo")
    _loads_nothing(page)
    report = run("demo", "-o", "json").json()
    for incident in report["incidents"]:
        assert incident["summary"].replace("'", "&#x27;").replace('"', "&quot;") in page
    assert page.count('class="incident"') == len(report["incidents"])
    assert page.count("<article class=\"card") == len(report["findings"])
    assert '<section id="timeline">' in page and "<svg" in page
    timeline = report["failureTimeline"]
    assert timeline["minutes"] == 60  # a column per minute in the drawing
    bars = sum(1 for r in timeline["workloads"] for n in r["failing"] if n)
    assert page.count('<rect class="bar"') == bars > 0
    marks = sum(len(r["marks"]) for r in timeline["workloads"])
    assert page.count('<g class="mark mark-') == marks
    assert page.count('class="mark mark-rollout"') == 3
    for label in ("22:10", "23:10"):
        assert f'text-anchor="middle">{label}</text>' in page
    # the order of the terminal: incidents, then the timeline, then the cards
    assert page.index('id="incidents"') < page.index('id="timeline"') < page.index('id="findings"')


def test_checklist_page_has_the_verdicts_and_the_symptom():
    page = _page("--demo", "checklist", "--symptom", "500 on /workers <b>now</b>")
    _loads_nothing(page)
    assert '<section id="checklist">' in page and 'class="verdict v-fail"' in page
    assert "500 on /workers &lt;b&gt;now&lt;/b&gt;" in page


def test_a_hostile_log_line_is_escaped_and_its_secret_redacted(tmp_path):
    page = _page("--bundle", str(hostile_bundle(tmp_path)), "summary")
    _loads_nothing(page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=&quot;https://evil.example/p.png&quot;" in page
    assert "<img" not in page and "ghp_" not in page and "&amp; more" in page


@pytest.mark.parametrize("args", [("logs", "taskflow-api"), ("status",), ("dapr", "subs", "x"),
                                  ("version",)])
def test_other_commands_refuse_html_with_one_usage_line(args):
    result = run(*HANDWRITTEN, *args, "-o", "html")
    assert result.code == 2 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first == f"error: -o html is only for summary, checklist and demo (not {args[0]})"
