"""exec-probe against the real cluster: stand-in servers in the pods' own network
namespaces answer through the API server's pod proxy and through exec (kwok runs the
command inside the pod's namespace). Needs root and iproute2 for those namespaces."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_live import triage

pytestmark = pytest.mark.e2e
NS = "shop"

EXEC_NOT_PROXY = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-not-proxy, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments, replicasets, statefulsets], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec-not-proxy, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-not-proxy}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: exec-only}
"""


@pytest.fixture(scope="module")
def cluster(e2e_cluster, tiny_scenario):
    if not e2e_cluster.has_pod_network:
        pytest.skip("pod network namespaces need root and iproute2")
    return e2e_cluster


def _json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_openapi_through_the_pod_proxy(cluster):
    report = _json(
        triage(cluster, "probe", "openapi", "web", "-n", NS, "-o", "json", via_kubectl=True)
    )
    assert {(r["method"], r["path"]) for r in report["paths"]} == {
        ("GET", "/health"),
        ("GET", "/orders"),
        ("POST", "/orders"),
    }
    assert report["probe"]["via"] == "proxy" and report["probe"]["port"] == 8000


def test_http_get_of_the_sidecar_port(cluster):
    report = _json(
        triage(
            cluster,
            "probe",
            "http",
            "web",
            "/v1.0/metadata",
            "--port",
            "3500",
            "-n",
            NS,
            "-o",
            "json",
        )
    )
    assert report["probe"]["status"] == 200
    assert json.loads(report["probe"]["body"])["id"] == "web"


def test_exec_is_used_when_the_proxy_is_forbidden(cluster):
    cluster.kubectl("apply", "-f", "-", context="setup", input=EXEC_NOT_PROXY)
    report = _json(
        triage(cluster, "--as", "exec-only", "probe", "openapi", "web", "-n", NS, "-o", "json")
    )
    assert report["probe"]["via"] == "exec:curl"
    assert report["probe"]["attempts"][0].startswith("pod proxy: Error from server (Forbidden)")
    assert {r["path"] for r in report["paths"]} == {"/health", "/orders"}


def test_viewer_gets_a_report_saying_why_nothing_could_be_checked(cluster):
    proc = triage(cluster, "probe", "openapi", "web", "-n", NS, "-o", "json", context="viewer")
    report = _json(proc)
    check = report["checks"][0]
    assert check["verdict"] == "fail" and "Forbidden" in check["detail"]
    assert [g["kind"] for g in report["gaps"]] == ["probe"]
    assert "Traceback" not in proc.stderr


def test_a_closed_port_is_reported_not_raised(cluster):
    report = _json(
        triage(cluster, "probe", "http", "web", "/health", "--port", "9999", "-n", NS, "-o", "json")
    )
    assert report["checks"][0]["verdict"] == "fail"
    assert report["probe"]["status"] is None and report["probe"]["attempts"]
