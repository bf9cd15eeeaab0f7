"""kubectl's habits in `logs` and `events` against the real test cluster, checked against
what the real kubectl shows (issue 10, point 7): events --types/--for, logs --since-time,
--timestamps, --all-containers (init containers included) and -f in time order."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kubectl_triage.records import parse_time
from tests.e2e.test_live import SCRIPT, _env, _json, triage

pytestmark = pytest.mark.e2e

NS = "taskflow"
API_POD = "taskflow-api-7c9d8f6b5-q8z4m"
WORKER_POD = "reminder-worker-5f7b8c6d9-k8s2v"
HABITS = "habits"
ORDERS_POD = "orders-6d9f7c8b5-h4b2k"
START = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def _kubectl_json(cluster, *args: str) -> dict:
    return json.loads(cluster.kubectl(*args, "-o", "json").stdout)


def _event_keys(items: list[dict]) -> set[tuple[str, str, str]]:
    return {
        (e["involvedObject"]["kind"].lower(), e["involvedObject"]["name"], e["reason"])
        for e in items
    }


def _our_keys(report: dict) -> set[tuple[str, str, str]]:
    return {(*row["object"].split("/", 1), row["reason"]) for row in report["events"]}


@pytest.mark.parametrize("types", ["Warning", "Normal", "Warning,Normal"])
def test_events_types_shows_what_kubectl_events_types_shows(cluster, types):
    ours = _json(triage(cluster, "events", "-n", NS, "--types", types, "-o", "json"))
    theirs = _kubectl_json(cluster, "events", "-n", NS, "--types", types)
    assert ours["events"] and _our_keys(ours) == _event_keys(theirs["items"])
    assert {row["type"] for row in ours["events"]} == set(types.split(","))


@pytest.mark.parametrize("obj", [f"pod/{WORKER_POD}", "deployment/taskflow-api"])
def test_events_for_shows_what_kubectl_events_for_shows(cluster, obj):
    ours = _json(triage(cluster, "events", "-n", NS, "--for", obj, "-o", "json"))
    theirs = _kubectl_json(cluster, "events", "-n", NS, "--for", obj)
    assert theirs["items"] and _our_keys(ours) == _event_keys(theirs["items"])


def _kubectl_stamps(cluster, *args: str) -> list[datetime]:
    out = cluster.kubectl("logs", "-n", NS, *args, "--timestamps").stdout
    return [parse_time(line.split(" ", 1)[0]) for line in out.splitlines() if line]


def _micro(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond)


def test_logs_since_time_asks_the_api_for_sincetime_and_matches_kubectl(cluster):
    since = "2026-11-27T23:00:00Z"
    ours = _json(triage(cluster, "logs", f"pod/{API_POD}", "-c", "api", "-n", NS, "--all-lines",
                        "--timestamps", "--tail=-1", "--since-time", since, "-o", "json"))
    times = [parse_time(r["time"]) for r in ours["records"]]
    kubectl = _kubectl_stamps(cluster, API_POD, "-c", "api", f"--since-time={since}")
    cutoff = parse_time(since)
    assert kubectl and min(kubectl) >= cutoff
    assert times and min(times) == min(kubectl)  # the first line kubectl shows, ours too
    assert set(times) <= set(kubectl)  # each record's time is its first line's
    every = _kubectl_stamps(cluster, API_POD, "-c", "api")
    assert len(every) > len(kubectl)  # the cut is real
    asked = [e["requestURI"] for e in cluster.audit_events(user="admin")
             if f"/pods/{API_POD}/log" in e.get("requestURI", "")]
    assert any("sinceTime=2026-11-27T23%3A00%3A00Z" in uri for uri in asked), asked[-3:]


def test_logs_timestamps_prints_kubectls_timestamp_on_each_record(cluster):
    proc = triage(cluster, "logs", f"pod/{API_POD}", "-c", "api", "-n", NS, "--grep", "skills",
                  "--timestamps", "--tail=-1")
    assert proc.returncode == 0, proc.stderr
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("2026-")]
    kubectl = set(_kubectl_stamps(cluster, API_POD, "-c", "api"))
    assert rows and all(parse_time(row.split()[0]) in kubectl for row in rows)


# ---- a pod with an init container and two interleaved logs --------------------------------


def _line(at: datetime, text: str) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f000Z") + " " + text + "\n"


def _orders_bundle(root: Path) -> Path:
    """One pod: init container `migrate`, then `app` and `daprd` logging turn about, a
    second apart (app on even seconds, daprd on odd ones)."""
    ns = root / HABITS
    pod_dir = ns / ORDERS_POD
    pod_dir.mkdir(parents=True)
    stamp = START.strftime("%Y-%m-%dT%H:%M:%SZ")
    statuses = [
        {"name": name, "image": f"registry.example/{name}:1", "ready": True, "started": True,
         "restartCount": 0, "state": {"running": {"startedAt": stamp}}, "lastState": {}}
        for name in ("app", "daprd")
    ]
    init_status = {"name": "migrate", "image": "registry.example/migrate:1", "ready": True,
                   "restartCount": 0, "lastState": {},
                   "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                            "startedAt": stamp, "finishedAt": stamp}}}
    pod = {
        "metadata": {"name": ORDERS_POD, "namespace": HABITS, "uid": "p-orders-1",
                     "creationTimestamp": stamp, "labels": {"app": "orders"}},
        "spec": {"nodeName": "habits-node-0", "restartPolicy": "Always",
                 "initContainers": [{"name": "migrate", "image": "registry.example/migrate:1"}],
                 "containers": [{"name": "app", "image": "registry.example/app:1"},
                                {"name": "daprd", "image": "registry.example/daprd:1"}]},
        "status": {"phase": "Running", "startTime": stamp,
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "initContainerStatuses": [init_status], "containerStatuses": statuses},
    }
    (ns / "pods.json").write_text(json.dumps({"kind": "PodList", "apiVersion": "v1",
                                              "items": [pod]}))
    (ns / "events.json").write_text(json.dumps({"kind": "EventList", "apiVersion": "v1",
                                                "items": []}))
    (pod_dir / "migrate.log").write_text(
        _line(START, "ERROR migration 42 failed: relation \"orders\" already exists"))
    app = daprd = ""
    for i in range(1, 41):
        at = START + timedelta(seconds=i)
        if i % 2 == 0:
            app += _line(at, f"ERROR order {i} failed: upstream returned 503")
        else:
            daprd += _line(at, f'time="{at.isoformat()}" level=error msg="call {i} failed"')
    (pod_dir / "app.log").write_text(app)
    (pod_dir / "daprd.log").write_text(daprd)
    return root


@pytest.fixture(scope="module")
def orders(e2e_cluster, tmp_path_factory):
    bundle = _orders_bundle(tmp_path_factory.mktemp("habits-bundle"))
    e2e_cluster.load(bundle)
    return e2e_cluster


def test_all_containers_reads_the_init_container_as_kubectl_does(orders):
    prefixed = orders.kubectl("logs", "-n", HABITS, ORDERS_POD, "--all-containers",
                              "--prefix").stdout
    kubectl = {line.split("]", 1)[0].rsplit("/", 1)[1] for line in prefixed.splitlines()}
    ours = _json(triage(orders, "logs", f"pod/{ORDERS_POD}", "-n", HABITS, "--all-containers",
                        "--all-lines", "-o", "json"))
    assert kubectl == {"migrate", "app", "daprd"}
    assert {r["container"] for r in ours["records"]} == kubectl
    refused = triage(orders, "logs", f"pod/{ORDERS_POD}", "-n", HABITS, "--all-containers",
                     "-c", "app")
    assert refused.returncode == 2


def test_follow_merges_the_containers_in_time_order(orders):
    """kwok keeps a followed log open, as a kubelet does: the backlog of both containers
    arrives at once and must come out merged, the last records once the logs are quiet."""
    cmd = [SCRIPT, "--kubeconfig", str(orders.kubeconfig), "--context", "admin", "logs",
           f"pod/{ORDERS_POD}", "-n", HABITS, "-f", "-o", "json"]
    proc = subprocess.Popen(cmd, env=_env(orders), stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    rows: list[dict] = []
    deadline = time.monotonic() + 60
    try:
        while len(rows) < 41 and time.monotonic() < deadline:
            try:
                rows.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                continue
        assert proc.poll() is None  # still following
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert len(rows) == 41
    times = [parse_time(r["time"]) for r in rows]
    assert times == sorted(times)
    # the init container's line first, then app and daprd turn about, as they logged
    assert [r["container"] for r in rows] == ["migrate"] + ["daprd", "app"] * 20
