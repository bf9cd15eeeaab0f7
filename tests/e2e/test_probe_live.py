"""exec-probe against the real cluster: stand-in servers in the pods' own network
namespaces answer through the API server's pod proxy and through exec (kwok runs the
command inside the pod's namespace). Needs root and iproute2 for those namespaces."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_live import _json, triage

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
- {kind: ServiceAccount, name: exec-only, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: exec-only, namespace: shop}
"""


@pytest.fixture(scope="module")
def cluster(netns_tiny):
    return netns_tiny


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


FORWARD_GRANT = """
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec-only-forward, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods/portforward], verbs: [get, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: exec-only-forward, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-only-forward}
subjects:
- {kind: ServiceAccount, name: exec-only, namespace: shop}
"""


def _as_service_account(cluster, tmp_path, manifest: str, name: str):
    """A kubeconfig whose user is a service account with exactly the manifest's role: real
    credentials, since the client cannot impersonate over exec/port-forward websockets."""
    cluster.kubectl("apply", "-f", "-", context="setup", input=manifest)
    token = cluster.kubectl("create", "token", name, "-n", NS, context="setup").stdout.strip()
    return cluster.write_kubeconfig(tmp_path / name, token=token)


def test_exec_is_used_when_the_proxy_is_forbidden(cluster, tmp_path):
    config = _as_service_account(cluster, tmp_path, EXEC_NOT_PROXY, "exec-only")
    report = _json(triage(cluster, "probe", "openapi", "web", "-n", NS, "-o", "json",
                          kubeconfig=config))
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


FORWARD_ONLY = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: forward-only, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments, replicasets, statefulsets], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/portforward], verbs: [get, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: forward-only, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: forward-only}
subjects:
- {kind: ServiceAccount, name: forward-only, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: forward-only, namespace: shop}
"""


def test_port_forward_is_the_last_way_in(cluster, tmp_path):
    """No proxy, no exec (a distroless image, or RBAC): a port-forward stream still gets the
    answer."""
    config = _as_service_account(cluster, tmp_path, FORWARD_ONLY, "forward-only")
    report = _json(triage(cluster, "probe", "http", "web", "/v1.0/metadata", "--port", "3500",
                          "-n", NS, "-o", "json", kubeconfig=config))
    assert report["probe"]["via"] == "port-forward" and report["probe"]["status"] == 200
    assert json.loads(report["probe"]["body"])["id"] == "web"
    assert [a.split(":")[0] for a in report["probe"]["attempts"]] == ["pod proxy", "exec"]


def test_impersonation_never_falls_back_to_websockets(cluster):
    """--as applies to REST calls only in the client: exec would run as the real user."""
    proc = triage(cluster, "--as", "viewer", "probe", "http", "web", "/health", "-n", NS,
                  "-o", "json")
    report = _json(proc)
    assert report["probe"]["status"] is None
    assert "not used with --as" in report["probe"]["attempts"][-1]


def test_env_live_reads_the_running_process_beside_the_spec(cluster):
    report = _json(triage(cluster, "probe", "env", "web", "--live", "-n", NS, "-o", "json"))
    rows = {(r["name"], r["from"]): r["value"] for r in report["env"]}
    assert rows[("LOG_LEVEL", "spec")] == "info"
    assert ("LOG_LEVEL", "process (differs from spec)") not in rows  # same value: not repeated
    assert rows[("API_KEY", "reference")] == "<secret web/api-key>"
    assert any(origin == "process" for _, origin in rows)  # what only the process has


def test_a_distroless_container_is_reached_by_port_forward(cluster, tmp_path):
    """The web pods' daprd has PATH=/distroless in the test bundle: kwok runs exec commands
    with the container's env, so curl, python3 and python are not found, as in daprd's real
    distroless image. With exec allowed, the probe still gets the sidecar's answer."""
    config = _as_service_account(cluster, tmp_path, EXEC_NOT_PROXY + FORWARD_GRANT, "exec-only")
    report = _json(triage(cluster, "probe", "http", "web", "/v1.0/metadata", "--port", "3500",
                          "-c", "daprd", "-n", NS, "-o", "json", kubeconfig=config))
    assert report["probe"]["via"] == "port-forward" and report["probe"]["status"] == 200
    tried = [a.split(":")[0] for a in report["probe"]["attempts"]]
    assert tried == ["pod proxy", "exec curl", "exec python3", "exec python"]
