"""The live commands against a real kube-apiserver (kwok nodes), as users run them: through
kubectl's plugin discovery and through the `kubectl-triage` script, checked against what
real kubectl shows on the same cluster. The demo incident is loaded into the cluster, so the
live answers must match the bundle's."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures import HANDWRITTEN_BUNDLE

pytestmark = pytest.mark.e2e

SCRIPT = shutil.which("kubectl-triage") or str(Path(sys.executable).parent / "kubectl-triage")
NS = "taskflow"


def _env(cluster) -> dict[str, str]:
    env = dict(cluster.env)
    env["PATH"] = f"{cluster.bin}{os.pathsep}{Path(SCRIPT).parent}{os.pathsep}{env['PATH']}"
    env.pop("NO_COLOR", None)
    return env


def triage(cluster, *args: str, via_kubectl: bool = False, kubeconfig: Path | None = None,
           context: str = "admin") -> subprocess.CompletedProcess:
    head = [str(cluster.kubectl_path), "triage"] if via_kubectl else [SCRIPT]
    cmd = [*head, "--kubeconfig", str(kubeconfig or cluster.kubeconfig), "--context", context,
           *args]
    return subprocess.run(cmd, env=_env(cluster), capture_output=True, text=True, timeout=120)


def _json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _rules(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def test_kubectl_discovers_the_plugin(cluster):
    listed = subprocess.run([str(cluster.kubectl_path), "plugin", "list"], env=_env(cluster),
                            capture_output=True, text=True, timeout=60)
    assert "kubectl-triage" in listed.stdout
    version = subprocess.run([str(cluster.kubectl_path), "triage", "version"],
                             env=_env(cluster), capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("kubectl-triage ")


@pytest.mark.parametrize("context", ["admin", "viewer"])
def test_logs_through_kubectl_match_the_demo_bundle(cluster, context):
    # --tail=-1: the whole log, as the bundle holds it (the live default is the last 500)
    live = _json(triage(cluster, "logs", "taskflow-api", "-n", NS, "-o", "json", "--tail=-1",
                        via_kubectl=True, context=context))
    offline = _json(subprocess.run([SCRIPT, "--bundle", str(HANDWRITTEN_BUNDLE), "logs",
                                    "taskflow-api", "-o", "json"],
                                   capture_output=True, text=True, env=_env(cluster)))
    assert _rules(live) == _rules(offline)
    assert {"schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "timezone"} \
        <= _rules(live)
    counts = {f["rule"]: f["count"] for f in live["findings"]}
    assert counts == {f["rule"]: f["count"] for f in offline["findings"]}
    assert live["context"] == context and live["namespace"] == NS
    # the wrong-endpoint cross-check probes the callee: the admin reaches its stand-in
    # through the pod proxy; the viewer may not proxy or exec, and the report says so
    wrong = next(f for f in live["findings"] if f["rule"] == "wrong-endpoint")
    if context == "viewer":
        assert [(g["kind"], g["reason"]) for g in live["gaps"]] == [("probe", "Unavailable")]
        assert "Forbidden" in live["gaps"][0]["message"]
        assert "detail" not in wrong
    elif cluster.has_pod_network:
        assert live["gaps"] == []
        offline_wrong = next(f for f in offline["findings"] if f["rule"] == "wrong-endpoint")
        assert wrong["detail"] == offline_wrong["detail"]


def test_logs_read_the_same_pods_as_kubectl(cluster):
    report = _json(triage(cluster, "logs", "deploy/taskflow-api", "-n", NS, "-o", "json"))
    pods = json.loads(cluster.kubectl("get", "pods", "-n", NS, "-l", "app=taskflow-api",
                                      "-o", "json").stdout)["items"]
    ours = {w["pod"] for g in report["groups"] for w in g["where"]}
    current = {p["metadata"]["name"] for p in pods
               if p["metadata"]["labels"].get("pod-template-hash") == "7c9d8f6b5"}
    assert ours == current


def test_previous_log_of_the_crash_looping_pod(cluster):
    report = _json(triage(cluster, "logs", "reminder-worker", "-n", NS, "-o", "json"))
    wheres = {(w["container"], w.get("previous", False))
              for g in report["groups"] for w in g["where"]}
    assert ("worker", True) in wheres
    assert "crash-loop" in _rules(report)
    pod = report["groups"][0]["where"][0]["pod"]
    previous = cluster.kubectl("logs", pod, "-n", NS, "--previous").stdout
    assert "Traceback (most recent call last)" in previous


def test_events_match_kubectl_get_events(cluster):
    report = _json(triage(cluster, "events", "-n", NS, "-o", "json"))
    items = json.loads(cluster.kubectl("get", "events", "-n", NS, "-o", "json").stdout)["items"]
    theirs = {(e["involvedObject"]["kind"].lower() + "/" + e["involvedObject"]["name"],
               e["reason"]) for e in items}
    ours = {(r["object"], r["reason"]) for r in report["events"]}
    assert ours == theirs
    types = [r["type"] for r in report["events"]]
    assert types == sorted(types, key=lambda t: t != "Warning")
    # The demo's events were loaded with their own times (days ago): by default they are
    # history, not current findings; with a window that reaches them, the crash loop is.
    assert "crash-loop" not in _rules(report)
    assert "BackOff" in {h["reason"] for h in report["history"]}
    wide = _json(triage(cluster, "events", "-n", NS, "--since", "100000h", "-o", "json"))
    assert "crash-loop" in _rules(wide)


def test_status_matches_kubectl_get_pods(cluster):
    report = _json(triage(cluster, "status", "-n", NS, "-o", "json"))
    items = json.loads(cluster.kubectl("get", "pods", "-n", NS, "-o", "json").stdout)["items"]
    theirs = {p["metadata"]["name"]: sum(c.get("restartCount", 0)
                                         for c in p["status"].get("containerStatuses", []))
              for p in items}
    ours = {r["pod"]: int(r["restarts"]) for r in report["pods"]}
    assert ours == theirs
    crashing = next(r for r in report["pods"] if r["pod"].startswith("reminder-worker"))
    assert crashing["status"] == "CrashLoopBackOff"


def test_missing_deployment_is_not_found_with_a_suggestion(cluster):
    proc = triage(cluster, "logs", "taskflow-apj", "-n", NS)
    assert proc.returncode == 1
    assert proc.stderr.startswith('error: deployments.apps "taskflow-apj" not found')
    assert "taskflow-api" in proc.stderr and proc.stderr.count("\n") == 1


def test_unreachable_server_is_one_line_exit_1(cluster, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = cluster.write_kubeconfig(tmp_path / "closed", server=f"https://127.0.0.1:{port}")
    proc = triage(cluster, "status", "-n", NS, "--request-timeout", "5s", kubeconfig=config)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().endswith("was refused - did you specify the right host or port?")
    assert proc.stderr.count("\n") == 1


def test_bad_token_is_a_clear_unauthorized(cluster, tmp_path):
    config = cluster.write_kubeconfig(tmp_path / "badtoken", token="not-a-token")
    proc = triage(cluster, "events", "-n", NS, kubeconfig=config)
    assert proc.returncode == 1
    assert "Unauthorized" in proc.stderr and proc.stderr.count("\n") == 1


POD_READER = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pods-but-not-logs, namespace: taskflow}
rules:
- {apiGroups: [""], resources: [pods, events], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: pods-but-not-logs, namespace: taskflow}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods-but-not-logs}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: pod-reader}
"""


def test_forbidden_logs_are_named_in_the_report_and_the_rest_still_comes(cluster):
    cluster.kubectl("apply", "-f", "-", context="setup", input=POD_READER)
    proc = triage(cluster, "--as", "pod-reader", "logs", "reminder-worker", "-n", NS,
                  "-o", "json")
    report = _json(proc)
    logs = [g for g in report["gaps"] if g["kind"] in ("logs", "previous-logs")]
    assert {(g["kind"], g["container"], g["reason"]) for g in logs} == {
        ("logs", "worker", "Forbidden"), ("previous-logs", "worker", "Forbidden")}
    # the role has no statefulsets either: named too, and the pods are still found
    assert any(g["kind"] == "statefulsets" and g["reason"] == "Forbidden" for g in report["gaps"])
    assert "crash-loop" in _rules(report)  # from the pod status, which it could read
    table = triage(cluster, "--as", "pod-reader", "logs", "reminder-worker", "-n", NS)
    assert "Not collected" in table.stdout and "Forbidden" in table.stdout


def test_every_request_of_the_plugin_was_read_only(cluster):
    """Runs last in this module: the audit log holds every request the tests above made."""
    ours = [e for e in cluster.audit_events()
            if e.get("userAgent", "").startswith("kubectl-triage/")]
    assert len(ours) > 20  # the tests above did reach the server
    # the one write allowed: `dapr publish --yes` (tests/e2e/test_dapr_live.py), confirmed
    writes = [e for e in ours if e.get("verb") not in ("get", "list", "watch")
              and "/proxy/v1.0/publish/" not in e.get("requestURI", "")]
    assert writes == [], [(e["verb"], e["requestURI"]) for e in writes[:5]]


def test_logs_follow_streams_from_the_cluster_until_stopped(cluster):
    """The kwok kubelet keeps a followed log open, as a real one does: records must come
    while the stream is open, and the command must still be following when we stop it."""
    import queue
    import threading
    import time

    cmd = [SCRIPT, "--kubeconfig", str(cluster.kubeconfig), "--context", "admin", "logs",
           "taskflow-api", "-n", NS, "-f", "--tail=-1", "-o", "json"]
    proc = subprocess.Popen(cmd, env=_env(cluster), stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    rules, deadline = set(), time.monotonic() + 60
    try:
        while not {"schema-mismatch", "wrong-endpoint"} <= rules and time.monotonic() < deadline:
            try:
                rules.add(json.loads(lines.get(timeout=1))["rule"])
            except queue.Empty:
                continue
        assert proc.poll() is None  # still following
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert {"schema-mismatch", "wrong-endpoint"} <= rules
    follows = [e for e in cluster.audit_events()
               if e.get("userAgent", "").startswith("kubectl-triage/")
               and "follow=true" in e.get("requestURI", "")]
    assert len(follows) >= 4  # api and daprd of both pods
