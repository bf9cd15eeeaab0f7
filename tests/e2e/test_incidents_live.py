"""Ranked incidents live: the cascade bundle (tests/data/cascade) and the demo loaded into the
real test cluster, judged by `kubectl-triage summary -o json` as a user runs it. The ranking
must be the one the bundles give offline (tests/test_incidents.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CASCADE = REPO / "tests" / "data" / "cascade"
ROLLOUTS = REPO / "tests" / "data" / "rollouts"


def _summary(cluster, namespace: str, *flags: str) -> dict:
    env = dict(cluster.env)
    # this checkout's code, whatever kubectl-triage an environment has installed
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "kubectl_triage", "--kubeconfig", str(cluster.kubeconfig),
           "--context", "admin", "-n", namespace, "summary", "-o", "json", *flags]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cascade(e2e_cluster) -> dict:
    e2e_cluster.load(CASCADE)
    return _summary(e2e_cluster, "market")


@pytest.fixture(scope="module")
def rollouts(e2e_cluster) -> dict:
    e2e_cluster.load(ROLLOUTS)
    # live, now is the wall clock and the bundle's events are days old: a window wide
    # enough that only the ReplicaSets can tell what is over
    return _summary(e2e_cluster, "rollouts", "--since", "100000h")


@pytest.fixture(scope="module")
def demo(e2e_cluster, handwritten_scenario) -> dict:
    return _summary(e2e_cluster, "taskflow")


def test_live_cascade_ranks_the_crash_looping_callee_first(cascade):
    first = cascade["incidents"][0]
    assert (first["workload"], first["kind"]) == ("search", "Deployment")
    assert {"oom-killed", "crash-loop"} <= set(first["rules"])
    explained = {(e["workload"], e["rule"]) for e in first["explains"]}
    assert {("catalog", "upstream-5xx"), ("checkout", "connection-refused"),
            ("storefront", "timeout")} <= explained


def test_live_cascade_gives_callers_and_the_healthy_service_no_incident(cascade):
    assert [i["workload"] for i in cascade["incidents"]] == ["search"]


def test_live_cascade_keeps_the_resolved_scheduling_event_as_history(cascade):
    assert "scheduling" not in {f["rule"] for f in cascade["findings"]}
    objects = {(h["object"], h["reason"]) for h in cascade["history"]}
    assert ("Pod/ledger-8a9b0c1d2-v7w8x", "FailedScheduling") in objects


def test_live_demo_ties_the_crash_loop_to_postgres_and_keeps_the_seeds_apart(demo):
    first = demo["incidents"][0]
    assert (first["workload"], first["kind"]) == ("postgres", "Service")
    assert ("reminder-worker", "crash-loop") in {
        (e["workload"], e["rule"]) for e in first["explains"]}
    for seed in ("schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet",
                 "cloudevent-unwrap", "timezone"):
        owners = [i for i in demo["incidents"] if seed in i["rules"]]
        assert len(owners) == 1, (seed, demo["incidents"])


def test_live_old_rollouts_are_history_read_from_the_replicasets(rollouts):
    history = {(h["object"], h["reason"]): h["why"] for h in rollouts["history"]}
    assert history[("ReplicaSet/ledger-5f6e7d8c9", "FailedCreate")] == (
        "ReplicaSet scaled to zero, superseded by ledger-8a9b0c1d2 (revision 2)")
    assert history[("Pod/worker-6b7c8d9e0-old34", "BackOff")].startswith(
        "its ReplicaSet worker-6b7c8d9e0 scaled to zero")
    assert history[("Pod/ledger-5f6e7d8c9-old12", "Unhealthy")] == "pod no longer exists"
    # the old worker pod crash-loops, OOM-killed: not a finding, not ranked
    assert rollouts["findings"] == [] and rollouts["incidents"] == []


def test_live_a_replicaset_refused_its_pods_is_current_not_an_old_rollout(rollouts):
    assert not [h for h in rollouts["history"] if "billing" in h["object"]]
