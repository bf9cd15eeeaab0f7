"""dapr commands against the real cluster: the web pods' stand-in daprd (port 3500) and app
(port 8000) answer through the pod proxy; the cluster has no Dapr CRDs installed."""

from __future__ import annotations

import pytest
from fixtures import HANDWRITTEN_BUNDLE

from tests.e2e.test_live import _json, triage

pytestmark = pytest.mark.e2e
NS = "shop"


@pytest.fixture(scope="module")
def cluster(netns_tiny):
    return netns_tiny


def test_subs_reads_app_and_sidecar_and_names_the_missing_crds(cluster):
    report = _json(triage(cluster, "dapr", "subs", "web", "-n", NS, "-o", "json",
                          via_kubectl=True))
    assert {(r["source"], r["topic"], r["routes"]) for r in report["subscriptions"]} == {
        ("app", "orders", "/orders"), ("sidecar (loaded)", "orders", "/orders")}
    # the stand-in sidecar lists no components: the pubsub is not loaded
    assert {f["rule"] for f in report["findings"]} == {"dapr-component-missing"}
    crds = cluster.kubectl("get", "crd", "subscriptions.dapr.io", check=False).returncode == 0
    missing = {"kind": "subscriptions", "reason": "NotFound", "namespace": NS,
               "message": "subscriptions.dapr.io: not installed (no Dapr CRDs?)"}
    # the demo scenario installs Dapr's CRDs; before it loads, their absence is a named gap
    assert (missing in report["gaps"]) is not crds


def test_status_reads_the_sidecar_metadata_through_the_pod_proxy(cluster):
    report = _json(triage(cluster, "dapr", "status", "web", "-n", NS, "-o", "json"))
    verdicts = {c["step"]: c["verdict"] for c in report["checks"]}
    assert verdicts["sidecar metadata"] == "pass" and verdicts["app-port"] == "pass"
    assert report["gaps"] == []


def test_viewer_gets_the_resources_and_a_gap_for_the_sidecar(cluster):
    report = _json(triage(cluster, "dapr", "status", "web", "-n", NS, "-o", "json",
                          context="viewer"))
    verdicts = {c["step"]: c["verdict"] for c in report["checks"]}
    assert verdicts["sidecar metadata"] == "skip" and verdicts["injection"] == "pass"
    assert any("Forbidden" in g["message"] for g in report["gaps"])


@pytest.fixture(scope="module")
def demo(e2e_cluster, handwritten_scenario):
    if not e2e_cluster.has_pod_network:
        pytest.skip("pod network namespaces need root and iproute2")
    return e2e_cluster


@pytest.mark.parametrize("args", [("subs", "notification-service"), ("components",),
                                  ("status", "taskflow-api")])
def test_dapr_on_the_loaded_demo_matches_the_bundle(demo, args):
    """Dapr's CRDs and the demo's Component/Subscription resources are in the cluster, and
    the pods' stand-ins answer what the bundle's probes recorded: same answers live."""
    live = _json(triage(demo, "dapr", *args, "-n", "taskflow", "-o", "json"))
    offline = _json(triage(demo, "--bundle", str(HANDWRITTEN_BUNDLE), "dapr", *args, "-o", "json"))
    assert [(f["rule"], f["detail"]) for f in live["findings"]] == \
        [(f["rule"], f["detail"]) for f in offline["findings"]]
    table = {"subs": "subscriptions", "components": "components", "status": "dapr"}[args[0]]
    assert live[table] == offline[table]
    assert [g for g in live["gaps"] if g["kind"] != "probe"] == []


def test_publish_with_yes_posts_through_the_sidecar_and_is_the_only_write(cluster):
    report = _json(triage(cluster, "dapr", "publish", "web", "pubsub", "orders", "--yes",
                          "--data", '{"id": 7}', "-n", NS, "-o", "json"))
    assert report["checks"][0]["verdict"] == "pass"
    assert report["publish"]["status"] == 204 and report["publish"]["via"] == "proxy"
    # this namespace's: other modules publish through their own sidecars in the same session
    writes = [e for e in cluster.audit_events()
              if e.get("userAgent", "").startswith("kubectl-triage/")
              and e.get("verb") not in ("get", "list", "watch")
              and f"/namespaces/{NS}/" in e["requestURI"]]
    assert writes and all(e["verb"] == "create" and "/proxy/v1.0/publish/pubsub/orders"
                          in e["requestURI"] for e in writes)


def test_publish_without_yes_and_no_terminal_writes_nothing(cluster):
    proc = triage(cluster, "dapr", "publish", "web", "pubsub", "orders", "-n", NS)
    assert proc.returncode == 2 and "--yes" in proc.stderr
