"""Old rollouts are history (issue 14 point 6), read from the ReplicaSets themselves: a
ReplicaSet scaled to zero (spec.replicas 0; the newer one of its Deployment named), the pods
it leaves behind and the pods that no longer exist are never a current finding nor ranked;
a ReplicaSet that wants pods and has none (refused by a quota) is current. On the bundle
tests/data/rollouts (tests/data/make_rollouts.py); live in tests/e2e/test_incidents_live.py."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kubectl_triage.evidence import Event, Owner, ReplicaSet
from kubectl_triage.incidents.history import retired_replicasets, split_events
from tests.helpers import run

ROLLOUTS = Path(__file__).parent / "data" / "rollouts"
NOW = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def summary() -> dict:
    result = run("--bundle", str(ROLLOUTS), "summary", "-o", "json")
    assert result.code == 0, result.stderr
    return result.json()


@pytest.fixture(scope="module")
def checklist() -> dict:
    return run("--bundle", str(ROLLOUTS), "checklist", "-o", "json").json()


def _history(report: dict) -> dict[tuple[str, str], dict]:
    return {(h["object"], h["reason"]): h for h in report["history"]}


def test_events_of_a_replicaset_scaled_to_zero_are_history_naming_the_newer_one(summary):
    item = _history(summary)[("ReplicaSet/ledger-5f6e7d8c9", "FailedCreate")]
    assert item["why"] == (
        "ReplicaSet scaled to zero, superseded by ledger-8a9b0c1d2 (revision 2)"
    )
    assert item["ended"] == "2026-11-30T09:40:00Z"  # 20 minutes before: inside the window


def test_events_and_state_of_a_pod_an_old_rollout_left_behind_are_history(summary):
    item = _history(summary)[("Pod/worker-6b7c8d9e0-old34", "BackOff")]
    assert item["why"].startswith("its ReplicaSet worker-6b7c8d9e0 scaled to zero")
    gone = _history(summary)[("Pod/ledger-5f6e7d8c9-old12", "Unhealthy")]
    assert gone["why"] == "pod no longer exists"


def test_an_old_rollout_is_never_a_current_finding_nor_ranked(summary, checklist):
    # the old worker pod is OOM-killed and crash-looping, and its log says OutOfMemoryError
    for report in (summary, checklist):
        assert report["findings"] == [], report["findings"]
        assert report["incidents"] == []
    pods = next(c for c in checklist["checks"] if c["step"] == "pods")
    assert pods["verdict"] == "pass"
    assert "of old ReplicaSets, going away: worker-6b7c8d9e0-old34" in pods["detail"]


def test_a_replicaset_that_wants_pods_and_has_none_is_current(summary, checklist):
    assert not [h for h in summary["history"] if "billing" in h["object"]]
    events = next(c for c in checklist["checks"] if c["step"] == "events")
    assert events["verdict"] == "warn" and "12 warning event(s)" in events["detail"]
    rollout = next(c for c in checklist["checks"] if c["step"] == "rollout")
    assert rollout["verdict"] == "fail" and "billing" in rollout["detail"]


def _rs(name: str, *, want: int, revision: int, owner: str = "api") -> ReplicaSet:
    return ReplicaSet("ns", name, f"uid-{name}", (Owner("Deployment", owner, f"d-{owner}"),),
                      revision, want=want, replicas=want)


def _event(kind: str, name: str) -> Event:
    return Event(namespace="ns", kind=kind, name=name, uid="", reason="FailedCreate",
                 message="quota", type="Warning", count=1, first=NOW, last=NOW)


def test_retired_replicasets_are_those_at_zero_with_the_newest_of_their_deployment():
    got = retired_replicasets([
        _rs("api-1", want=0, revision=1), _rs("api-3", want=2, revision=3),
        _rs("api-2", want=0, revision=2), _rs("web-1", want=0, revision=1, owner="web"),
        _rs("db-1", want=1, revision=1, owner="db"),
    ])
    assert got == {
        "api-1": "ReplicaSet scaled to zero, superseded by api-3 (revision 3)",
        "api-2": "ReplicaSet scaled to zero, superseded by api-3 (revision 3)",
        "web-1": "ReplicaSet scaled to zero",  # scaled down with its Deployment: no newer one
    }


def test_without_the_replicasets_a_replicaset_with_no_pod_is_taken_as_over():
    # a dump or a source that could not list ReplicaSets: the pods are all there is to go by
    split = split_events([_event("ReplicaSet", "api-1")], pods=[], now=NOW)
    assert [h.why for h in split.history] == ["ReplicaSet has no pods left"]
    # listed and wanting pods: current, pods or not
    listed = split_events([_event("ReplicaSet", "api-1")], pods=[], now=NOW,
                          replicasets=[_rs("api-1", want=2, revision=1)])
    assert listed.history == () and len(listed.present) == 1
    # listed elsewhere, but not this one: it was deleted
    deleted = split_events([_event("ReplicaSet", "api-0")], pods=[], now=NOW,
                           replicasets=[_rs("api-1", want=2, revision=1)])
    assert [h.why for h in deleted.history] == ["ReplicaSet no longer exists"]
