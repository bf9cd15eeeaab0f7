"""Smoke test of the end-to-end test cluster itself, with the real (pinned) kubectl.

Runs against the cluster of the `e2e_cluster` fixture (tests/cluster/fixtures.py) with the tiny
bundle of tests/cluster/testdata/tiny loaded (namespace `shop`).
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import subprocess
import threading
import time
import urllib.request
from collections import Counter

import pytest
import scenario

pytestmark = pytest.mark.e2e

NS = "shop"
HEALTHY = "web-7c9d8f6b5d-x2x7k"
CRASHING = "web-7c9d8f6b5d-q9hzr"


def pods_by_name(kubectl) -> dict[str, dict]:
    out = json.loads(kubectl("get", "pods", "-n", NS, "-o", "json").stdout)
    return {p["metadata"]["name"]: p for p in out["items"]}


def test_server_version_matches_pinned_kubectl(e2e_cluster, e2e_kubectl):
    v = json.loads(e2e_kubectl("version", "-o", "json").stdout)
    assert v["serverVersion"]["gitVersion"] == v["clientVersion"]["gitVersion"]
    assert v["serverVersion"]["gitVersion"].startswith("v1.")
    assert "WARNING" not in e2e_kubectl("version").stderr  # no version-skew warning


def test_nodes_ready(e2e_cluster, e2e_kubectl, tiny_scenario):
    nodes = json.loads(e2e_kubectl("get", "nodes", "-o", "json").stdout)["items"]
    names = {n["metadata"]["name"] for n in nodes}
    assert {"kwok-node-0", "kwok-node-1", "tiny-node-a"} <= names
    for n in nodes:
        ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", n["metadata"]["name"]
        assert n["status"]["addresses"][0]["address"] == "127.0.0.1"


def test_get_pods_shows_scenario_states(e2e_cluster, e2e_kubectl, tiny_scenario):
    table = e2e_kubectl("get", "pods", "-A").stdout
    rows = {line.split()[1]: line.split() for line in table.splitlines()[1:]}
    assert rows[HEALTHY][2:4] == ["2/2", "Running"]
    assert rows[CRASHING][2:5] == ["1/2", "CrashLoopBackOff", "4"]
    assert rows["toolbox"][2:4] == ["1/1", "Running"]  # status by kwok's pod-ready stage

    pods = pods_by_name(e2e_kubectl)
    app = next(c for c in pods[CRASHING]["status"]["containerStatuses"] if c["name"] == "app")
    assert app["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert app["lastState"]["terminated"]["exitCode"] == 1
    assert app["restartCount"] == 4
    # owners point at the objects created in this cluster
    rs = json.loads(e2e_kubectl("get", "rs", "-n", NS, "web-7c9d8f6b5d", "-o", "json").stdout)
    dep = json.loads(e2e_kubectl("get", "deploy", "-n", NS, "web", "-o", "json").stdout)
    assert pods[HEALTHY]["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert rs["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
    assert dep["status"]["readyReplicas"] == 1 and dep["status"]["replicas"] == 2
    # pod IPs are loopback addresses: the apiserver's pod proxy refuses them (no traffic leaves)
    assert pods["toolbox"]["status"]["podIP"].startswith("127.")


def test_logs_current_previous_and_dump_form(e2e_cluster, e2e_kubectl, tiny_scenario):
    cur = e2e_kubectl("logs", "-n", NS, HEALTHY, "-c", "app").stdout
    assert "payment gateway timeout" in cur and not cur.startswith("2026-")
    ts = e2e_kubectl("logs", "-n", NS, HEALTHY, "-c", "app", "--timestamps", "--tail=1").stdout
    assert (
        ts == "2026-11-28T09:50:12.345678901Z ERROR:    payment gateway timeout after 30s"
        " (order 4711)\n"
    )
    prev = e2e_kubectl("logs", "-n", NS, CRASHING, "-c", "app", "--previous").stdout
    assert "Traceback (most recent call last):" in prev and "OperationalError" in prev
    assert (
        "Waiting for application startup"
        in e2e_kubectl("logs", "-n", NS, CRASHING, "-c", "app").stdout
    )
    no_prev = e2e_kubectl("logs", "-n", NS, HEALTHY, "-c", "app", "--previous", check=False)
    assert no_prev.returncode != 0 and "BadRequest" in no_prev.stderr
    assert (
        e2e_kubectl("logs", "-n", NS, "toolbox").stdout == "toolbox ready\nsleeping forever\n"
    )  # from logs.txt


def test_events(e2e_cluster, e2e_kubectl, tiny_scenario):
    events = json.loads(e2e_kubectl("get", "events", "-n", NS, "-o", "json").stdout)["items"]
    by_reason = {e["reason"]: e for e in events}
    assert set(by_reason) == {"Pulled", "Started", "BackOff", "Unhealthy"}
    b = by_reason["BackOff"]
    assert (b["type"], b["count"], b["lastTimestamp"]) == ("Warning", 17, "2026-11-28T09:55:02Z")
    pods = pods_by_name(e2e_kubectl)
    assert b["involvedObject"]["uid"] == pods[CRASHING]["metadata"]["uid"]
    table = e2e_kubectl("get", "events", "-n", NS, "--sort-by=.lastTimestamp").stdout
    assert table.strip().splitlines()[-1].split()[2] == "BackOff"


def test_exec_runs_on_this_machine(e2e_cluster, e2e_kubectl, tiny_scenario):
    out = e2e_kubectl(
        "exec", "-n", NS, "toolbox", "--", "sh", "-c", "echo hello; pwd"
    ).stdout.split()
    assert out[0] == "hello" and out[1].endswith("/exec/shop/toolbox")
    env = e2e_kubectl("exec", "-n", NS, HEALTHY, "-c", "app", "--", "env").stdout
    assert "LOG_LEVEL=info" in env  # the container's literal env vars
    assert "KUBECTL_TRIAGE_E2E" not in env  # kwok runs with a clean environment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_http_server():
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b'{"paths": {"/health": {}}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_port_forward_to_local_server(e2e_cluster, e2e_kubectl, tiny_scenario, local_http_server):
    scenario.add_port_forward(
        e2e_cluster.api(), NS, "toolbox", [8000], "127.0.0.1", local_http_server
    )
    local = _free_port()
    p = subprocess.Popen(
        [
            str(e2e_cluster.kubectl_path),
            "--context",
            "admin",
            "port-forward",
            "-n",
            NS,
            "pod/toolbox",
            f"{local}:8000",
        ],
        env=e2e_cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = p.stdout.readline()
        assert f"Forwarding from 127.0.0.1:{local} -> 8000" in line, line
        deadline = time.monotonic() + 10
        while True:
            try:
                body = urllib.request.urlopen(
                    f"http://127.0.0.1:{local}/openapi.json", timeout=5
                ).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert json.loads(body) == {"paths": {"/health": {}}}
    finally:
        p.terminate()
        p.wait(timeout=10)
        p.stdout.close()


def test_pod_proxy_refuses_loopback_pod_ips(e2e_cluster, e2e_kubectl, tiny_scenario):
    r = e2e_kubectl(
        "get", "--raw", f"/api/v1/namespaces/{NS}/pods/toolbox:8000/proxy/", check=False
    )
    assert r.returncode != 0 and "address not allowed" in r.stderr


def test_viewer_reads_logs_but_cannot_exec_or_port_forward(e2e_cluster, e2e_kubectl, tiny_scenario):
    assert (
        "payment gateway timeout"
        in e2e_kubectl("logs", "-n", NS, HEALTHY, "-c", "app", context="viewer").stdout
    )
    assert e2e_kubectl("get", "pods", "-n", NS, context="viewer").returncode == 0
    ex = e2e_kubectl("exec", "-n", NS, "toolbox", "--", "true", context="viewer", check=False)
    assert ex.returncode != 0 and re.search(r'cannot create resource "pods/exec"', ex.stderr), (
        ex.stderr
    )
    for verb, sub in (("create", "exec"), ("create", "portforward"), ("get", "proxy")):
        r = e2e_kubectl(
            "auth",
            "can-i",
            verb,
            "pods",
            f"--subresource={sub}",
            "-n",
            NS,
            context="viewer",
            check=False,
        )
        assert r.stdout.strip() == "no", (verb, sub, r.stdout)


def test_audit_log_records_requests_by_user(e2e_cluster, e2e_kubectl, tiny_scenario):
    e2e_kubectl("logs", "-n", NS, "toolbox", context="viewer")
    time.sleep(0.5)
    events = e2e_cluster.audit_events()
    assert all(e["level"] == "Metadata" for e in events)
    viewer_logs = [
        e
        for e in events
        if e["user"].get("username") == "viewer"
        and e.get("objectRef", {}).get("subresource") == "log"
    ]
    assert viewer_logs and viewer_logs[-1]["verb"] == "get"
    setup_writes = {e["verb"] for e in events if e["user"].get("username") == "e2e-setup"}
    assert "create" in setup_writes  # the scenario's own writes are told apart by user


@pytest.fixture
def pod_network(e2e_cluster, tiny_scenario):
    if not e2e_cluster.has_pod_network:
        pytest.skip("pod network namespaces need root and iproute2")


def test_pod_proxy_reaches_stand_in_in_pod_network_namespace(
    e2e_cluster, e2e_kubectl, tiny_scenario, pod_network
):
    pod = pods_by_name(e2e_kubectl)[HEALTHY]
    assert pod["status"]["podIP"].startswith("198.18.")
    base = f"/api/v1/namespaces/{NS}/pods/{HEALTHY}"
    openapi = json.loads(e2e_kubectl("get", "--raw", f"{base}:8000/proxy/openapi.json").stdout)
    assert sorted(openapi["paths"]) == ["/health", "/orders"]
    meta = json.loads(e2e_kubectl("get", "--raw", f"{base}:3500/proxy/v1.0/metadata").stdout)
    assert meta["id"] == "web"
    missing = e2e_kubectl("get", "--raw", f"{base}:8000/proxy/nope", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr
    denied = e2e_kubectl("get", "--raw", f"{base}:8000/proxy/health", context="viewer", check=False)
    assert denied.returncode != 0 and 'cannot get resource "pods/proxy"' in denied.stderr
    # the stand-in logs what reached it
    log = (e2e_cluster.run / "standins" / f"{NS}.{HEALTHY}.3500.log").read_text()
    assert '"path": "/v1.0/metadata"' in log


def test_exec_runs_in_pod_network_namespace(e2e_cluster, e2e_kubectl, tiny_scenario, pod_network):
    code = "import urllib.request as u; print(u.urlopen('http://localhost:8000/health').read())"
    out = e2e_kubectl("exec", "-n", NS, HEALTHY, "-c", "app", "--", "python3", "-c", code).stdout
    assert out.strip() == "b'ok'"


def test_port_forward_to_stand_in(e2e_cluster, e2e_kubectl, tiny_scenario, pod_network):
    local = _free_port()
    p = subprocess.Popen(
        [str(e2e_cluster.kubectl_path), "--context", "admin", "port-forward", "-n", NS,
         f"pod/{HEALTHY}", f"{local}:8000"],
        env=e2e_cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert "Forwarding from" in p.stdout.readline()
        body = urllib.request.urlopen(f"http://127.0.0.1:{local}/dapr/subscribe", timeout=10).read()
        assert json.loads(body)[0]["topic"] == "orders"
    finally:
        p.terminate()
        p.wait(timeout=10)
        p.stdout.close()


def test_demo_bundle_pods_match_the_bundle(e2e_cluster, e2e_kubectl, handwritten_scenario):
    """Every pod of the shipped demo bundle shows its bundle status; every event is there."""
    from fixtures import HANDWRITTEN_BUNDLE

    ns_dir = HANDWRITTEN_BUNDLE / "taskflow"
    want = {p["metadata"]["name"]: p for p in scenario.read_list(ns_dir / "pods.json")}
    out = json.loads(e2e_kubectl("get", "pods", "-n", "taskflow", "-o", "json").stdout)
    got = {p["metadata"]["name"]: p for p in out["items"]}
    assert set(got) == set(want)
    for name, p in want.items():
        for w, g in zip(
            p["status"].get("containerStatuses") or [],
            got[name]["status"].get("containerStatuses") or [],
            strict=True,
        ):
            assert (g["name"], g["restartCount"], g["ready"], sorted(g["state"])) == (
                w["name"], w["restartCount"], w["ready"], sorted(w["state"]),
            )  # fmt: skip
        assert got[name]["spec"].get("nodeName") == p["spec"].get("nodeName")
    # Every event of the bundle is there (two share a name in the bundle; the loader renames
    # the second). Compared by what each says, not by a count of the namespace: one CI run
    # found one event more than the bundle and the count could not say which.
    events = json.loads(e2e_kubectl("get", "events", "-n", "taskflow", "-o", "json").stdout)
    def said(e: dict) -> tuple:
        return (e["involvedObject"].get("name"), e.get("reason"), e.get("message"))
    served = Counter(said(e) for e in events["items"])
    bundle = Counter(said(e) for e in scenario.read_list(ns_dir / "events.json"))
    extra = sorted((e["metadata"]["name"], *said(e)) for e in events["items"]
                   if said(e) not in bundle)
    assert bundle - served == Counter(), f"events missing; not in the bundle: {extra}"
    # every container log of the bundle is served, line for line
    for log in sorted(ns_dir.glob("*/*.log")):
        pod, container = log.parent.name, log.name.split(".")[0]
        args = ["logs", "-n", "taskflow", pod, "-c", container, "--timestamps"]
        if log.name.endswith(".previous.log"):
            args.append("--previous")
        served = e2e_kubectl(*args).stdout.splitlines()
        assert served == log.read_text(encoding="utf-8").splitlines(), log
