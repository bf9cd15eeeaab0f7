"""The taskflow incident live: the real app, real daprd 1.14.4 sidecars, the seed's five bugs
happening for real, and the plugin run against it.

tests/cluster/testdata/taskflow-real (namespace `taskflow`: the demo's names, app-ids,
annotations and ports) loaded with taskflow-real-standins.yaml runs, each as its pod's
container process (output = the container's CRI log):
  - taskflow-api: the app (tests/cluster/apps/taskflow, `run.py api`, TZ=Europe/Berlin, sqlite
    in its container directory) beside the real daprd (app-id taskflow-api, app port 8000);
  - notification-service: the app (`run.py notification`, port 8001) beside the real daprd;
  - redis-0: Debian's redis-server, the broker of the `pubsub` component;
  - reminder-worker: `run.py worker` with the pod spec's DATABASE_URL (`postgres:5432`); the
    name resolves, in the worker's own network namespace only, to 127.0.0.1, where nothing
    listens: refused as a ClusterIP without endpoints is (no 10.96.x address is ever used).
What is not real: kwok cannot restart a container, so the worker's CrashLoopBackOff status
(restartCount 7, lastState terminated with exit code 1) is the demo's, written by the loader as
for any bundle pod; its log is what the real worker printed before it exited 1, and its
previous log is a copy of it (each instance of a crash loop prints the same). The Dapr control
plane is absent (standalone daprd: `dapr status` finds no dapr-system).

Then the test drives the app's load script once (one round of the six steps, through the pod
network to the api's pod IP) and runs the plugin live. The scenario starts once per module
(about 8 s: three app processes, redis, two sidecars; the worker fails in 3 s meanwhile).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_live import _json, triage

pytestmark = pytest.mark.e2e

NS = "taskflow"
API = "taskflow-api-7c9d8f6b5-q8z4m"
NOTIFY = "notification-service-6b7f9c8d4-w7lzp"
WORKER = "reminder-worker-5f7b8c6d9-k8s2v"
APP = Path(__file__).resolve().parents[1] / "cluster" / "apps" / "taskflow"
SEEDS = ("schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
         "timezone")
_SENT = re.compile(r"^request_id=(?P<id>\S+) traceparent=\S+ (?P<method>\S+) (?P<path>\S+) -> "
                   r"(?P<status>\d+)$")


def _wait_for(what, predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"not seen within {timeout} s: {what}"
        time.sleep(0.2)
    return found


@pytest.fixture(scope="module")
def live(e2e_cluster):
    """The scenario loaded, the worker crashed, one round of load sent and its effects logged;
    the load script's lines by request path."""
    from fixtures import TESTDATA

    e2e_cluster.require_real_dapr()
    e2e_cluster.load(TESTDATA / "taskflow-real",
                     standins=TESTDATA / "taskflow-real-standins.yaml")
    logs = e2e_cluster.run / "pod-logs" / NS

    def log(pod: str, container: str) -> str:
        f = logs / pod / f"{container}.log"
        return f.read_text(errors="replace") if f.exists() else ""

    # the worker exits 1 after three refused attempts (1 s, then 2 s apart)
    _wait_for("the worker's last traceback",
              lambda: "sqlalchemy.exc.OperationalError" in log(WORKER, "worker"))
    shutil.copy(logs / WORKER / "worker.log", logs / WORKER / "worker.previous.log")

    pod_ip = e2e_cluster.kubectl("get", "pod", "-n", NS, API, "-o",
                                 "jsonpath={.status.podIP}").stdout
    proc = subprocess.run([sys.executable, str(APP / "run.py"), "load", "--api",
                           f"http://{pod_ip}:8000", "--reminder-lead", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sent = {}
    for line in proc.stdout.splitlines():
        if m := _SENT.match(line):
            path = re.sub(r"/\d+/", "/{id}/", m["path"]).split("?")[0]
            sent[f"{m['method']} {path}"] = m.groupdict()
    assert [(step, s["status"]) for step, s in sent.items()] == [
        ("GET /tasks", "200"), ("GET /workers", "500"), ("POST /tasks", "201"),
        ("POST /tasks/{id}/assign", "500"), ("POST /tasks/{id}/complete", "200"),
        ("POST /reminders", "201")]
    # the reminder fires an hour early, a second or two later; the event is dropped
    _wait_for("the reminder firing", lambda: "Firing reminder" in log(API, "api"))
    _wait_for("daprd's DROP line", lambda: "DROP status returned" in log(NOTIFY, "daprd"))
    return e2e_cluster, sent


def test_the_worker_really_crashed_on_the_refused_database(live):
    cluster, _ = live
    out = cluster.kubectl("logs", "-n", NS, WORKER, "--previous").stdout
    assert "Connecting to postgres:5432/taskflow as taskflow" in out
    assert out.rstrip().splitlines()[-3].startswith(
        "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: "
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    status = cluster.kubectl("get", "pod", "-n", NS, WORKER, "-o",
                             "jsonpath={.status.containerStatuses[0].state.waiting.reason}")
    assert status.stdout == "CrashLoopBackOff"


def test_summary_ranks_the_five_seeds_and_ties_the_worker_crash_to_postgres(live):
    cluster, _ = live
    report = _json(triage(cluster, "summary", "-n", NS, "-o", "json"))
    incidents = report["incidents"]
    for seed in SEEDS:
        owners = [i for i in incidents if seed in i["rules"]]
        assert len(owners) == 1, (seed, [i["rules"] for i in incidents])
        assert owners[0]["workload"] == (
            "notification-service" if seed == "cloudevent-unwrap" else "taskflow-api")
    (postgres,) = [i for i in incidents if i["rules"] == ["service-no-endpoints"]]
    assert (postgres["workload"], postgres["kind"]) == ("postgres", "Service")
    assert {("reminder-worker", "crash-loop"), ("reminder-worker", "db-connection")} <= {
        (e["workload"], e["rule"]) for e in postgres["explains"]}
    assert all(i["workload"] != "reminder-worker" for i in incidents)
    assert len(incidents) == 6
    by_rule = {i["rules"][0]: i for i in incidents}
    assert by_rule["wrong-endpoint"]["detail"] == (
        '"/api/notify" not found on notification-service; it serves "/api/notifications/notify"')
    assert by_rule["timezone"]["detail"].startswith("ran 1h before its due time")


def test_exec_probe_openapi_lists_fastapis_real_paths(live):
    cluster, _ = live
    out = triage(cluster, "exec-probe", "openapi", "notification-service", "-n", NS)
    assert out.returncode == 0, out.stderr
    rows = {tuple(line.split()[:2]) for line in out.stdout.splitlines()}
    assert {("POST", "/api/notifications/notify"), ("POST", "/events/task"),
            ("GET", "/dapr/subscribe"), ("GET", "/health")} <= rows
    assert ("POST", "/api/notify") not in rows


def test_dapr_subs_shows_the_real_programmatic_subscription(live):
    cluster, _ = live
    report = _json(triage(cluster, "dapr", "subs", "notification-service", "-n", NS,
                          "-o", "json"))
    assert {(r["source"], r["pubsub"], r["topic"], r["routes"])
            for r in report["subscriptions"]} == {
        ("app", "pubsub", "task-events", "/events/task"),
        ("sidecar (programmatic)", "pubsub", "task-events", "/events/task")}


def test_dapr_logs_show_the_sidecars_drop_of_the_task_event(live):
    cluster, sent = live
    complete = sent["POST /tasks/{id}/complete"]["id"]
    report = _json(triage(cluster, "dapr", "logs", "notification-service", "-n", NS,
                          "-o", "json"))
    pubsub = {r["topic"]: r for r in report["topics"]}["pubsub"]
    assert pubsub["warnPlus"] == 1
    assert pubsub["lastMessage"] == (
        f"DROP status returned from app while processing pub/sub event {complete}")


def test_trace_follows_the_complete_request_across_both_services(live):
    cluster, sent = live
    rid = sent["POST /tasks/{id}/complete"]["id"]
    report = _json(triage(cluster, "trace", rid, "-n", NS, "-o", "json"))
    seen = {(r["service"], r["container"]) for r in report["timeline"]}
    assert {("taskflow-api", "api"), ("notification-service", "app"),
            ("notification-service", "daprd")} <= seen
    assert {f["rule"] for f in report["findings"]} == {"wrong-endpoint", "cloudevent-unwrap"}
    out = triage(cluster, "trace", rid, "-n", NS).stdout
    # the table wraps its prose at 80 columns (the width of a pipe): compare words
    assert "calls: taskflow-api -> notification-service;" in " ".join(out.split())


def test_checklist_runs_through_and_names_the_callees_real_path(live):
    cluster, _ = live
    proc = triage(cluster, "checklist", "-n", NS)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert ('"/api/notify" not found on notification-service; it serves '
            '"/api/notifications/notify"') in " ".join(out.split())
    steps = {line.split()[1] for line in out.splitlines()
             if line.split()[:1] and line.split()[0] in ("PASS", "FAIL", "WARN", "SKIP")}
    assert {"pods", "service", "app", "sidecar", "events", "request", "error", "dapr",
            "rollout"} <= steps
