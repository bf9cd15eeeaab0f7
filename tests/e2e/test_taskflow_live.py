"""The taskflow incident live: the real app, real daprd 1.14.4 sidecars, the seed's five bugs
happening for real, and the plugin run against it.

tests/cluster/taskflow_live.py sets it up (the same code records the shipped demo bundle,
tools/record_demo.py): tests/cluster/testdata/taskflow-real (namespace `taskflow`: the demo's
names, app-ids, annotations and ports) loaded with taskflow-real-standins.yaml runs, each as its
pod's container process (output = the container's CRI log):
  - taskflow-api: the app (tests/cluster/apps/taskflow, `run.py api`, TZ=Europe/Berlin, sqlite
    in its container directory) beside the real daprd (app-id taskflow-api, app port 8000);
  - notification-service: the app (`run.py notification`, port 8001) beside the real daprd;
  - redis-0: Debian's redis-server, the broker of the `pubsub` component;
  - reminder-worker: `run.py worker` with the pod spec's DATABASE_URL (`postgres:5432`); the
    name resolves, in the worker's own network namespace only, to 127.0.0.1, where nothing
    listens: refused as a ClusterIP without endpoints is (no 10.96.x address is ever used).
kwok has no kubelet: the test bed plays its part for the pods whose containers really run
(tests/cluster/kubelet.py): Scheduled, Pulled, Created and Started events, and for the worker,
which exits 1, a CrashLoopBackOff status with the real exit as lastState, a BackOff event, and
one restart after the 10 s back-off (so `--previous` is the first instance's log). The Dapr
control plane is absent (standalone daprd: `dapr status` finds no dapr-system).

Then the load script drives one round of the six steps (through the pod network to the api's
pod IP) and the plugin runs live. The scenario starts once per module (about 25 s: three app
processes, redis, two sidecars, the worker's two runs and the back-off between them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from taskflow_live import NS, WORKER

from kubectl_triage.bundle import demo_path
from tests.e2e.test_live import _json, triage
from tests.helpers import incident_shape

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import normalise  # noqa: E402
import record_demo  # noqa: E402

pytestmark = pytest.mark.e2e

SEEDS = ("schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "cloudevent-unwrap",
         "timezone")


@pytest.fixture(scope="module")
def live(e2e_cluster):
    """The scenario loaded, the worker crash-looping, one round of load sent and its effects
    logged; the load script's lines by request path."""
    from taskflow_live import bring_up

    e2e_cluster.require_real_dapr()
    return e2e_cluster, bring_up(e2e_cluster).sent


def test_the_worker_really_crashed_on_the_refused_database_and_was_restarted(live):
    cluster, _ = live
    for previous in ("--previous",), ():
        out = cluster.kubectl("logs", "-n", NS, WORKER, *previous).stdout
        assert "Connecting to postgres:5432/taskflow as taskflow" in out
        assert out.rstrip().splitlines()[-3].startswith(
            "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: "
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    status = json.loads(cluster.kubectl("get", "pod", "-n", NS, WORKER, "-o",
                                        "jsonpath={.status.containerStatuses[0]}").stdout)
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert status["state"]["waiting"]["message"].startswith(
        "back-off 20s restarting failed container=worker pod=reminder-worker-")
    assert (status["restartCount"], status["lastState"]["terminated"]["exitCode"]) == (1, 1)


def test_the_kubelets_events_are_posted_for_the_real_containers(live):
    cluster, _ = live
    events = json.loads(cluster.kubectl("get", "events", "-n", NS, "-o", "json").stdout)["items"]
    seen = [(e["involvedObject"]["name"], e["involvedObject"].get("fieldPath", ""), e["reason"])
            for e in events]
    worker = [reason for name, _, reason in seen if name == WORKER]
    assert worker.count("Started") == 2 and worker.count("BackOff") == 2
    assert worker[0] == "Scheduled"
    assert {(n, f, r) for n, f, r in seen if r == "Started"} >= {
        (WORKER, "spec.containers{worker}", "Started"),
        ("redis-0", "spec.containers{redis}", "Started"),
        ("taskflow-api-7c9d8f6b5-q8z4m", "spec.containers{daprd}", "Started")}
    (back_off, *_) = [e for e in events if e["reason"] == "BackOff"]
    assert (back_off["type"], back_off["source"]["component"]) == ("Warning", "kubelet")


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


def test_a_fresh_recording_is_the_same_incident_as_the_shipped_demo(live, tmp_path):
    """What tools/record_demo.py does after bringing the incident up: the real CLI's bundle
    through the kubeconfig, normalised. Times, ports and ids differ from the shipped recording;
    the workloads, the rules per workload and the ranked incidents may not."""
    cluster, _ = live
    record_demo.bundle(cluster, tmp_path / "raw")
    normalise.normalise(tmp_path / "raw", tmp_path / "demo")
    manifest = json.loads((tmp_path / "demo" / "triage-bundle.json").read_text())
    assert manifest["createdAt"] == "2026-11-27T23:10:00Z"
    assert incident_shape(tmp_path / "demo") == incident_shape(demo_path())
