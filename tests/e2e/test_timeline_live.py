"""The timeline live: the demo loaded into the real test cluster and drawn by
`kubectl-triage summary` as a user runs it. Live, "now" is the cluster's clock: the window is
the last hour, the ReplicaSets the load just created are rollouts in it, and the demo's
days-old failing records fall before it (counted apart, never drawn as current)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def _triage(cluster, *args: str) -> subprocess.CompletedProcess:
    env = dict(cluster.env)
    # this checkout's code, whatever kubectl-triage an environment has installed
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env["COLUMNS"] = "100"
    cmd = [sys.executable, "-m", "kubectl_triage", "--kubeconfig", str(cluster.kubeconfig),
           "--context", "admin", "-n", "taskflow", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def live(e2e_cluster, handwritten_scenario) -> tuple[dict, datetime]:
    before = datetime.now(timezone.utc)
    proc = _triage(e2e_cluster, "summary", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), before


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_live_window_is_the_last_hour_of_the_clusters_clock(live):
    report, before = live
    timeline = report["failureTimeline"]
    end = _time(timeline["end"])
    assert before - timedelta(minutes=1) <= end <= datetime.now(timezone.utc) + timedelta(minutes=1)
    assert timeline["minutes"] in (60, 61)


def test_live_replicasets_created_by_the_load_are_rollouts_and_old_failures_fall_before(live):
    report, _ = live
    rows = {r["workload"]: r for r in report["failureTimeline"]["workloads"]}
    api = rows["taskflow-api"]
    assert any(m["kind"] == "rollout" for m in api["marks"])
    # the demo's records are from 2026-11-27: before the window, not drawn, not "first"
    assert api["before"] > 0 and api["total"] == 0
    assert not [m for m in api["marks"] if m["kind"] == "first-failure"]


def test_live_table_and_html_draw_it(e2e_cluster, handwritten_scenario):
    table = _triage(e2e_cluster, "summary")
    assert table.returncode == 0, table.stderr
    block = table.stdout.split("TIMELINE", 1)[1].split("\n\n", 1)[0].split("\n")
    assert any(line.startswith("taskflow-api") for line in block)
    assert all(len(line) <= 100 for line in block[1:])
    page = _triage(e2e_cluster, "summary", "-o", "html")
    assert page.returncode == 0, page.stderr
    assert '<section id="timeline">' in page.stdout and "<script" not in page.stdout
