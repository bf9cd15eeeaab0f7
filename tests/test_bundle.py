"""Bundles on disk: kubectl's cluster-info dump layout, manifests with gaps, event order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_triage.bundle import matches_selector
from tests.helpers import run

NS = "shop"


def _pod(name: str, *, containers: list[str], restarts: int = 0, uid: str = "") -> dict:
    return {  # as kubectl's dump writes items: no kind, no apiVersion
        "metadata": {"name": name, "namespace": NS, "uid": uid or f"uid-{name}",
                     "labels": {"app": name.split("-")[0]},
                     "creationTimestamp": "2026-11-27T20:00:00Z"},
        "spec": {"containers": [{"name": c, "image": f"shop/{c}:1"} for c in containers]},
        "status": {"phase": "Running", "containerStatuses": [
            {"name": c, "ready": True, "restartCount": restarts, "image": f"shop/{c}:1",
             "state": {"running": {"startedAt": "2026-11-27T20:01:00Z"}}} for c in containers]},
    }


def _write(root: Path, name: str, kind: str, items: list) -> None:
    (root / NS).mkdir(parents=True, exist_ok=True)
    (root / NS / name).write_text(json.dumps({"kind": kind, "apiVersion": "v1", "items": items}))


@pytest.fixture
def dump(tmp_path) -> Path:
    """A directory as `kubectl cluster-info dump --output-directory` writes it."""
    _write(tmp_path, "pods.json", "PodList", [_pod("web-1", containers=["app", "envoy"])])
    for name, kind in (("deployments.json", "DeploymentList"), ("events.json", "EventList"),
                       ("replicasets.json", "ReplicaSetList")):
        _write(tmp_path, name, kind, [])
    (tmp_path / NS / "web-1").mkdir()
    (tmp_path / NS / "web-1" / "logs.txt").write_text(
        "==== START logs for container app of pod shop/web-1 ====\n"
        "INFO started\n"
        "ERROR psycopg2.OperationalError: could not connect to server: Connection refused\n"
        "==== END logs for container app of pod shop/web-1 ====\n"
        "==== START logs for container envoy of pod shop/web-1 ====\n"
        "Request log error: the server rejected our request for an unknown reason\n"
        "==== END logs for container envoy of pod shop/web-1 ====\n")
    return tmp_path


def test_kubectl_cluster_info_dump_is_read_and_unreadable_logs_become_gaps(dump):
    result = run("--bundle", str(dump), "-n", NS, "logs", "pod/web-1", "-o", "json")
    assert result.code == 0, result.stderr
    report = result.json()
    app = [g for g in report["groups"] if any(w["container"] == "app" for w in g["where"])]
    assert app and "could not connect" in app[0]["example"]
    assert [(g["kind"], g["container"], g["reason"]) for g in report["gaps"]] == [
        ("logs", "envoy", "NotFound")]


def test_manifest_gaps_are_reported(dump):
    (dump / "triage-bundle.json").write_text(json.dumps({
        "apiVersion": "triage/v1", "kind": "Bundle", "createdAt": "2026-11-27T21:00:00Z",
        "context": "prod", "namespaces": [NS],
        "gaps": [{"kind": "events", "reason": "Forbidden", "namespace": NS,
                  "message": "events is forbidden"}]}))
    report = run("--bundle", str(dump), "summary", "-o", "json").json()
    assert report["context"] == "prod" and report["namespace"] == NS
    assert {"kind": "events", "reason": "Forbidden", "namespace": NS,
            "message": "events is forbidden"} in report["gaps"]


def test_not_a_bundle_is_a_one_line_error(tmp_path):
    result = run("--bundle", str(tmp_path), "status")
    assert result.code == 1
    assert "not a kubectl-triage bundle" in result.stderr and result.stderr.count("\n") == 1


def _event(name: str, reason: str, *, type_: str = "Warning", last: str | None = None,
           event_time: str | None = None, series: str | None = None) -> dict:
    event = {"metadata": {"name": f"{name}.{reason}", "namespace": NS},
             "involvedObject": {"kind": "Pod", "name": name, "namespace": NS,
                                "uid": f"uid-{name}"},
             "reason": reason, "message": f"{reason} happened", "type": type_, "count": 1,
             "firstTimestamp": last, "lastTimestamp": last, "eventTime": event_time}
    if series:
        event["series"] = {"count": 4, "lastObservedTime": series}
    return event


def test_events_order_by_series_then_last_timestamp_then_event_time(dump):
    _write(dump, "events.json", "EventList", [
        _event("web-1", "Late", last="2026-11-27T20:30:00Z"),
        _event("web-1", "Early", last="2026-11-27T20:05:00Z"),
        # events.k8s.io style: null timestamps, only eventTime / series
        _event("web-1", "Middle", event_time="2026-11-27T20:10:00.123456Z"),
        _event("web-1", "Latest", event_time="2026-11-27T20:00:00.000001Z",
               series="2026-11-27T20:40:00.000000Z"),
        _event("web-1", "Started", type_="Normal", last="2026-11-27T19:00:00Z"),
    ])
    rows = run("--bundle", str(dump), "-n", NS, "events", "-o", "json").json()["events"]
    assert [r["reason"] for r in rows] == ["Early", "Middle", "Late", "Latest", "Started"]


def test_events_of_a_pod_are_matched_by_uid_not_by_name(dump):
    _write(dump, "events.json", "EventList", [
        _event("web-1", "Mine", last="2026-11-27T20:30:00Z"),
        {**_event("web-1", "OtherPodSameName", last="2026-11-27T20:31:00Z"),
         "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": NS, "uid": "old-uid"}},
    ])
    rows = run("--bundle", str(dump), "-n", NS, "events", "pod/web-1", "-o", "json").json()
    assert [r["reason"] for r in rows["events"]] == ["Mine"]


@pytest.mark.parametrize("selector, expected", [
    ("app=web", True), ("app==web", True), ("app!=web", False), ("app in (db, web)", True),
    ("app notin (web)", False), ("tier", False), ("!tier", True), ("app=web,tier=front", False),
])
def test_label_selectors_follow_kubernetes_semantics(selector, expected):
    item = {"metadata": {"labels": {"app": "web"}}}
    assert matches_selector(item, selector) is expected
