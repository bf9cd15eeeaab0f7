"""The taskflow incident, live: what tests/e2e/test_taskflow_live.py checks and what
tools/record_demo.py records as the shipped demo bundle, set up one way for both.

testdata/taskflow-real (namespace `taskflow`: the demo's names, app-ids, annotations and ports)
loaded with taskflow-real-standins.yaml runs, each as its pod's container process (output = the
container's CRI log): taskflow-api and notification-service (the real app, tests/cluster/apps/
taskflow) each beside a real daprd 1.14.4, redis-0 (Debian's redis-server, the `pubsub` broker)
and reminder-worker, whose database Service has no endpoints: the worker exits 1 and the test
bed's kubelet (scenario.crash_loop) restarts it once after a 10 s back-off; it exits 1 again and
is left in CrashLoopBackOff. Then the app's load script drives one round of its six steps
through the pod network to the api's pod IP, and this waits for their effects in the logs
(the reminder firing an hour early, the notification sidecar's DROP of the task event).

Standard library and the test bed's modules (importable from tests/cluster).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scenario

HERE = Path(__file__).resolve().parent
TESTDATA = HERE / "testdata"
APP = HERE / "apps" / "taskflow"
NS = "taskflow"
API = "taskflow-api-7c9d8f6b5-q8z4m"
NOTIFY = "notification-service-6b7f9c8d4-w7lzp"
WORKER = "reminder-worker-5f7b8c6d9-k8s2v"
STEPS = [("GET /tasks", "200"), ("GET /workers", "500"), ("POST /tasks", "201"),
         ("POST /tasks/{id}/assign", "500"), ("POST /tasks/{id}/complete", "200"),
         ("POST /reminders", "201")]
_SENT = re.compile(r"^request_id=(?P<id>\S+) traceparent=\S+ (?P<method>\S+) (?P<path>\S+) -> "
                   r"(?P<status>\d+)$")


class IncidentError(RuntimeError):
    pass


@dataclass
class Incident:
    load: scenario.LoadResult
    sent: dict[str, dict[str, str]]  # "POST /tasks/{id}/complete" -> request id, status, ...


def wait_for(what: str, predicate, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise IncidentError(f"not seen within {timeout} s: {what}")
        time.sleep(0.2)
    return found


def bring_up(cluster) -> Incident:
    """The incident in `cluster` (a fixtures.ClusterHandle): loaded, the worker crash-looping,
    one round of load sent and its effects logged."""
    loaded = cluster.load(TESTDATA / "taskflow-real",
                          standins=TESTDATA / "taskflow-real-standins.yaml")
    logs = cluster.run / "pod-logs" / NS

    def log(pod: str, container: str) -> str:
        f = logs / pod / f"{container}.log"
        return f.read_text(errors="replace") if f.exists() else ""

    # the worker exits 1 after three refused attempts (1 s, then 2 s apart), twice
    scenario.crash_loop(cluster.run, loaded, NS, WORKER, "worker")
    pod_ip = cluster.kubectl("get", "pod", "-n", NS, API, "-o",
                             "jsonpath={.status.podIP}").stdout
    proc = subprocess.run([sys.executable, str(APP / "run.py"), "load", "--api",
                           f"http://{pod_ip}:8000", "--reminder-lead", "1"],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise IncidentError(f"the load script exited {proc.returncode}:\n"
                            f"{proc.stdout}{proc.stderr}")
    sent = {}
    for line in proc.stdout.splitlines():
        if m := _SENT.match(line):
            path = re.sub(r"/\d+/", "/{id}/", m["path"]).split("?")[0]
            sent[f"{m['method']} {path}"] = m.groupdict()
    answered = [(step, s["status"]) for step, s in sent.items()]
    if answered != STEPS:
        raise IncidentError(f"the load script's answers: {answered}, not {STEPS}")
    # the reminder fires an hour early, a second or two later; the event is dropped
    wait_for("the reminder firing", lambda: "Firing reminder" in log(API, "api"))
    wait_for("daprd's DROP line", lambda: "DROP status returned" in log(NOTIFY, "daprd"))
    return Incident(loaded, sent)
