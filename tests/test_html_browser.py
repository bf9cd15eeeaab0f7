"""The -o html page in a real browser (Debian's chromium, headless, driven over the DevTools
protocol): what it renders, not its text. The timeline's SVG has a box, one rendered bar per
failing minute and every mark; each incident's title is visible; the page logs no error,
runs no script and requests nothing but itself. Fails (never skips) without chromium:
scripts/test installs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import Browser, chromium_path
from tests.helpers import run
from tests.test_html import hostile_bundle

RENDERED = """(() => {
  const box = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const visible = e => box(e) && getComputedStyle(e).visibility !== 'hidden'
      && getComputedStyle(e).display !== 'none';
  const svg = document.querySelector('#timeline svg');
  const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const count = sel => [...document.querySelectorAll(sel)].filter(box).length;
  return {
    svg: [r.width, r.height],
    bars: count('#timeline svg rect.bar'),
    marks: {rollout: count('g.mark-rollout'), restart: count('g.mark-restart'),
            first: count('g.mark-first-failure')},
    titles: [...document.querySelectorAll('.incident-title')].filter(visible)
        .map(e => e.innerText),
    axis: [...document.querySelectorAll('#timeline .axis text')].filter(box)
        .map(e => e.textContent),
    cards: count('article.card'),
    scripts: document.scripts.length,
    images: document.images.length,
    text: document.body.innerText,
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("chromium is not installed: scripts/test installs it "
                    "(or: apt-get install chromium)")
    started = Browser(path)
    yield started
    started.close()


def _open(browser: Browser, page: Path, html: str) -> tuple[dict, list[str], list[str]]:
    page.write_text(html, encoding="utf-8")
    tab = browser.open(page)
    try:
        return tab.evaluate(RENDERED), tab.requests, tab.errors
    finally:
        tab.close()


def test_demo_page_renders_timeline_incidents_and_cards(browser, tmp_path):
    report = run("demo", "-o", "json").json()
    page = tmp_path / "demo.html"
    shown, requests, errors = _open(browser, page, run("demo", "-o", "html").stdout)
    assert requests == [page.as_uri()] and errors == []
    assert shown["svg"][0] > 300 and shown["svg"][1] > 60, shown["svg"]
    rows = report["failureTimeline"]["workloads"]
    assert shown["bars"] == sum(1 for r in rows for n in r["failing"] if n) > 0
    kinds = [m["kind"] for r in rows for m in r["marks"]]
    assert shown["marks"] == {"rollout": kinds.count("rollout"),
                              "restart": kinds.count("restart"),
                              "first": kinds.count("first-failure")}
    assert shown["marks"]["rollout"] == 3 and shown["marks"]["first"] == 3
    assert len(shown["titles"]) == len(report["incidents"])
    for incident, title in zip(report["incidents"], shown["titles"], strict=True):
        assert incident["summary"] in title
    assert shown["axis"][0] == "22:10" and shown["axis"][-1] == "23:10"
    assert shown["cards"] == len(report["findings"])
    assert shown["scripts"] == 0 and shown["images"] == 0


def test_a_hostile_log_line_renders_as_text_and_runs_nothing(browser, tmp_path):
    html = run("--bundle", str(hostile_bundle(tmp_path)), "summary", "-o", "html").stdout
    page = tmp_path / "hostile.html"
    shown, requests, errors = _open(browser, page, html)
    assert shown["scripts"] == 0 and shown["images"] == 0
    assert '<script>alert("x")</script><img src="https://evil.example/p.png"' in shown["text"]
    assert "ghp_" not in shown["text"]
    assert requests == [page.as_uri()] and errors == []
