"""Partial logs are said everywhere (issue 11): a log cut short, forbidden or missing is a
gap in every view that reads logs (`trace`, `dapr logs`, `dapr subs`, `verify`, as in
`logs`, `summary` and `checklist`), in table and JSON, and the rest of the report still
comes. On a copy of the demo bundle whose manifest records the gaps, as `bundle` writes
them when a read fails or a stream is cut (kube/logstream.py's words)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import HANDWRITTEN_DEMO, run

NS = "taskflow"
API_A, API_B = "taskflow-api-7c9d8f6b5-q8z4m", "taskflow-api-7c9d8f6b5-x2x7k"
NOTIFY = "notification-service-6b7f9c8d4-w7lzp"
TRACE_ID = "ff9d24b8-2b37-4994-a07f-cc959aa8a85f"  # in API_B's api log
CUT = ("partial log: cut after {n} line(s), the last at 2026-11-27T22:40:00.000000000Z, and "
       "not resumed (connection reset by peer); the lines read are shown")
FORBIDDEN = ('pods "{pod}" is forbidden: User "triage" cannot get resource "pods/log" in '
             'API group "" in the namespace "taskflow"')
# (pod, container) -> the gap's reason
GAPS = {(API_A, "daprd"): "ServiceUnavailable", (API_B, "api"): "ServiceUnavailable",
        (NOTIFY, "daprd"): "Forbidden"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("partial") / "taskflow"
    shutil.copytree(HANDWRITTEN_DEMO, root)
    folder = root / NS
    # A's daprd log cut after 40 lines; B's api log cut near its end; notify's daprd forbidden
    daprd = folder / API_A / "daprd.log"
    daprd.write_text("".join(daprd.read_text().splitlines(keepends=True)[:40]))
    api = folder / API_B / "api.log"
    kept = api.read_text().splitlines(keepends=True)
    api.write_text("".join(kept[:-5]))
    (folder / NOTIFY / "daprd.log").unlink()
    manifest = json.loads((root / "triage-bundle.json").read_text())
    manifest["gaps"] = [
        {"kind": "logs", "reason": "ServiceUnavailable", "message": CUT.format(n=40),
         "namespace": NS, "pod": API_A, "container": "daprd"},
        {"kind": "logs", "reason": "ServiceUnavailable", "message": CUT.format(n=len(kept) - 5),
         "namespace": NS, "pod": API_B, "container": "api"},
        {"kind": "logs", "reason": "Forbidden", "message": FORBIDDEN.format(pod=NOTIFY),
         "namespace": NS, "pod": NOTIFY, "container": "daprd"},
    ]
    (root / "triage-bundle.json").write_text(json.dumps(manifest))
    return root


def _json(bundle: Path, *args: str) -> dict:
    result = run("--bundle", str(bundle), "-n", NS, *args, "-o", "json")
    assert result.code in (0, 3), result.stderr  # 3: verify's gate (a check failed)
    return result.json()


def _table(bundle: Path, *args: str) -> str:
    result = run("--bundle", str(bundle), "-n", NS, *args)
    assert result.code in (0, 3), result.stderr
    return " ".join(result.stdout.split())  # as one line: prose is wrapped to the terminal


def _said(report: dict) -> dict[tuple[str, str], str]:
    return {(g.get("pod", ""), g.get("container", "")): g["reason"] for g in report["gaps"]}


def test_trace_names_every_partial_or_unread_log_and_still_shows_the_timeline(bundle):
    report = _json(bundle, "trace", TRACE_ID)
    assert _said(report) == GAPS
    assert report["timeline"], "the records read are still shown"
    gaps = [g for g in report["gaps"] if g["pod"] == API_B]
    assert len(gaps) == 1 and gaps[0]["message"].startswith("partial log: cut after")
    out = _table(bundle, "trace", TRACE_ID)
    assert "Not collected" in out and f"{API_B}/api" in out and TRACE_ID in out


def test_dapr_logs_names_the_cut_sidecar_log_and_still_groups_the_rest(bundle):
    report = _json(bundle, "dapr", "logs", "taskflow-api")
    assert _said(report) == {(API_A, "daprd"): "ServiceUnavailable"}
    assert report["topics"]
    out = _table(bundle, "dapr", "logs", "taskflow-api")
    assert f"{API_A}/daprd: ServiceUnavailable: partial log: cut after 40 line(s)" in out


def test_dapr_logs_of_an_app_whose_sidecar_log_is_forbidden_says_so(bundle):
    report = _json(bundle, "dapr", "logs", "notification-service")
    # the manifest's reason, not the bundle's "not in the bundle" for the same log
    assert report["gaps"] == [{"kind": "logs", "reason": "Forbidden",
                               "message": FORBIDDEN.format(pod=NOTIFY), "namespace": NS,
                               "pod": NOTIFY, "container": "daprd"}]
    assert "is forbidden" in _table(bundle, "dapr", "logs", "notification-service")


def test_dapr_subs_names_the_sidecar_logs_its_published_topics_come_from(bundle):
    report = _json(bundle, "dapr", "subs", "notification-service")
    assert {(API_A, "daprd"), (NOTIFY, "daprd")} <= set(_said(report))
    assert report["subscriptions"], "the subscriptions are still compared"
    assert "Not collected" in _table(bundle, "dapr", "subs", "notification-service")


def test_verify_says_no_errors_is_unproven_where_a_log_was_cut(bundle):
    report = _json(bundle, "verify", "taskflow-api")
    assert {(API_A, "daprd"), (API_B, "api")} <= set(_said(report))
    assert [c["step"] for c in report["checks"]][-1] == "errors since start"
    out = _table(bundle, "verify", "taskflow-api")
    assert f"{API_B}/api: ServiceUnavailable: partial log" in out


def test_a_gap_is_said_once_where_a_view_hears_of_it_twice(bundle):
    # summary reads every log (each partial one gives its gap) and the manifest's gaps too
    report = _json(bundle, "summary")
    keys = [(g["pod"], g["container"], g["message"]) for g in report["gaps"]]
    assert len(keys) == len(set(keys)) and _said(report) == GAPS
