"""verify against the real cluster: a finished rollout, one in progress, a crash-looping
new version (the demo loaded; rollout states written to the Deployment's status
subresource by the set-up user, as the deployment controller would)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_live import triage

pytestmark = pytest.mark.e2e
NS = "taskflow"


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def _checks(cluster, *args):
    proc = triage(cluster, "verify", *args, "-n", NS, "-o", "json")
    checks = {c["step"]: c["verdict"] for c in json.loads(proc.stdout)["checks"]}
    # verify is a gate: exit 3 exactly when a check failed
    assert proc.returncode == (3 if "fail" in checks.values() else 0), proc.stderr
    return checks


def test_finished_rollout(cluster):
    checks = _checks(cluster, "taskflow-api", "--image", "taskflow-api:1.8.0")
    assert checks["rollout"] == "pass" and checks["image"] == "pass"
    assert checks["pods"] == "pass" and checks["restarts"] == "pass"


def test_rollout_in_progress_then_done(cluster):
    original = json.loads(cluster.kubectl("get", "deploy", "taskflow-api", "-n", NS,
                                          "-o", "json").stdout)["status"]
    halfway = {"status": {**original, "updatedReplicas": 1, "availableReplicas": 1}}
    cluster.kubectl("patch", "deploy", "taskflow-api", "-n", NS, "--subresource=status",
                    "--type=merge", "-p", json.dumps(halfway), context="setup")
    try:
        assert _checks(cluster, "taskflow-api")["rollout"] == "warn"
    finally:
        cluster.kubectl("patch", "deploy", "taskflow-api", "-n", NS, "--subresource=status",
                        "--type=merge", "-p", json.dumps({"status": original}), context="setup")
    assert _checks(cluster, "taskflow-api", "--wait", "--timeout", "10s")["rollout"] == "pass"


def test_crash_looping_new_version(cluster):
    checks = _checks(cluster, "reminder-worker")
    assert checks["restarts"] == "fail" and checks["errors since start"] == "fail"
    assert checks["rollout"] == "warn"
