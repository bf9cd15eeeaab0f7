"""dapr status|subs|logs|components|publish against real daprd 1.14.4 sidecars.

tests/cluster/testdata/dapr-real (namespace `orders`) loaded with dapr-real-standins.yaml:
the `daprd` containers of checkout and notify run the real daprd (built by build.sh;
standalone mode, the injector's flags: its API listens on localhost only, so the pod proxy is
refused and the plugin reads it through port-forward, as on a real cluster), their resources
folder holds the namespace's Components and Subscriptions, pub/sub goes through Debian's
redis-server running as the pod redis-0, and sidecars find each other through sqlite name
resolution. What is still a stand-in, because no real counterpart runs here yet:
  - the apps on port 8000 (standin.py: /dapr/subscribe, /openapi.json, POST /orders), until
    the real taskflow app takes their place (a `processes:` entry of the stand-in file);
  - the Dapr control plane (operator, sentry, placement, scheduler): standalone daprd needs
    none, so mTLS is off and actors are disabled, and `dapr status` finds no dapr-system pods.
The sidecars start once per module (about 6 s: redis, two daprd, one with a component whose
init times out after 3 s)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.e2e.test_live import _json, triage

pytestmark = pytest.mark.e2e

NS = "orders"
CHECKOUT = "checkout-7f6d5c4b3-k2m9p"
NOTIFY = "notify-5c4b3a2f1-q8w7e"


@pytest.fixture(scope="module")
def real(e2e_cluster):
    from fixtures import TESTDATA

    e2e_cluster.require_real_dapr()
    e2e_cluster.load(TESTDATA / "dapr-real", standins=TESTDATA / "dapr-real-standins.yaml")
    return e2e_cluster


def _received(cluster, pod: str) -> list[dict]:
    """What the stand-in app of `pod` was sent (one JSON line per request)."""
    log = cluster.run / "standins" / f"{NS}.{pod}.8000.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [r for r in map(json.loads, lines) if "method" in r]


def _wait_for(what, predicate, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"not seen within {timeout} s: {what}"
        time.sleep(0.2)
    return found


def test_daprd_log_is_what_the_real_sidecar_printed(real):
    lines = real.kubectl("logs", "-n", NS, CHECKOUT, "-c", "daprd").stdout.splitlines()
    assert lines[0].startswith('time="')
    assert ('msg="Starting Dapr Runtime -- version 1.14.4 -- commit '
            '583960dc90120616124b60ad2b7820fc0b3edf44"') in lines[0]
    assert f"instance={CHECKOUT} " in lines[0] and lines[0].endswith("ver=1.14.4")
    assert any('msg="dapr initialized. Status: Running.' in line for line in lines)
    first = json.loads(real.kubectl("logs", "-n", NS, NOTIFY, "-c", "daprd",
                                    "--tail=200").stdout.splitlines()[0])
    assert first["app_id"] == "notify" and first["ver"] == "1.14.4"


def test_the_pod_proxy_cannot_reach_the_injected_api_port(real):
    # --dapr-listen-addresses [::1],127.0.0.1 (the injector's default): not on the pod IP
    proc = real.kubectl("get", "--raw",
                        f"/api/v1/namespaces/{NS}/pods/{CHECKOUT}:3500/proxy/v1.0/metadata",
                        check=False)
    assert proc.returncode != 0 and "connection refused" in proc.stderr


def test_status_reads_the_real_metadata_through_port_forward(real):
    report = _json(triage(real, "dapr", "status", "checkout", "-n", NS, "-o", "json"))
    verdicts = {c["step"]: c["verdict"] for c in report["checks"]}
    assert verdicts["sidecar metadata"] == "pass" and verdicts["injection"] == "pass"
    assert verdicts["control plane"] == "skip"  # standalone: no dapr-system
    rows = [(r["field"], r["value"]) for r in report["dapr"]
            if not r["field"].startswith("dapr.io/") and r["field"] != "sidecar"]
    assert rows == [("runtime version", "1.14.4"),
                    ("component", "pubsub (pubsub.redis/v1)"),
                    ("component", "statestore (state.redis/v1)"),
                    ("app connection", "port 8000 http"),
                    ("actors", "DISABLED"),
                    ("subscriptions", "0")]
    assert report["gaps"] == []


def test_subs_compares_the_real_sidecar_with_app_and_resources(real):
    report = _json(triage(real, "dapr", "subs", "notify", "-n", NS, "-o", "json"))
    assert {(r["source"], r["topic"], r["routes"]) for r in report["subscriptions"]} == {
        ("app", "orders", "/orders"),
        ("sidecar (programmatic)", "orders", "/orders"),
        ("sidecar (declarative)", "shipments", "/shipments"),
        ("resource shipments", "shipments", "/shipments"),
    }
    # the Subscription routes to /shipments, which the app does not serve
    details = [f["detail"] for f in report["findings"] if f["rule"] == "dapr-subscription"]
    assert any('route "/shipments" of topic shipments is not served by notify' in d
               for d in details)
    assert not any("not loaded by the sidecar" in d for d in details)


def test_components_say_which_real_sidecar_loaded_them(real):
    report = _json(triage(real, "dapr", "components", "-n", NS, "-o", "json"))
    loaded = {r["name"]: r["loadedBy"] for r in report["components"]}
    assert loaded == {"audit-store": None, "pubsub": "checkout, notify", "statestore": "checkout"}
    assert [(f["rule"], f["detail"].split(",")[0]) for f in report["findings"]] == [
        ("dapr-component-init", "component audit-store is scoped to notify")]


def test_logs_of_a_json_logging_sidecar_find_the_failed_component(real):
    report = _json(triage(real, "dapr", "logs", "notify", "-n", NS, "-o", "json"))
    topics = {r["topic"]: r for r in report["topics"]}
    # the two error lines of its init timeout, read from JSON lines
    assert topics["components"]["warnPlus"] == 2
    (finding,) = report["findings"]
    assert finding["rule"] == "dapr-component-init" and finding["count"] == 2
    assert json.loads(finding["example"])["msg"].startswith(
        "Failed to init component audit-store (state.redis/v1): init timeout")


def test_publish_goes_through_redis_to_the_subscriber_as_a_cloudevent(real):
    marker = uuid.uuid4().hex
    report = _json(triage(real, "dapr", "publish", "checkout", "pubsub", "orders", "--yes",
                          "--data", json.dumps({"marker": marker}), "-n", NS, "-o", "json"))
    assert report["checks"][0]["verdict"] == "pass", report["checks"][0]["detail"]
    assert report["publish"]["status"] == 204 and report["publish"]["via"] == "port-forward"
    (delivery,) = _wait_for("the event at notify's POST /orders", lambda: [
        r for r in _received(real, NOTIFY) if marker in r.get("body", "")])
    event = json.loads(delivery["body"])
    assert delivery["path"] == "/orders" and event["data"] == {"marker": marker}
    assert (event["type"], event["source"], event["topic"], event["pubsubname"]) == (
        "com.dapr.event.sent", "checkout", "orders", "pubsub")


def test_publish_to_a_pubsub_the_sidecar_lacks_is_its_real_404(real):
    report = _json(triage(real, "dapr", "publish", "checkout", "nosuch", "orders", "--yes",
                          "--data", "{}", "-n", NS, "-o", "json"))
    assert report["checks"][0]["verdict"] == "fail" and report["publish"]["status"] == 404
    assert json.loads(report["publish"]["body"])["errorCode"] == "ERR_PUBSUB_NOT_FOUND"
    assert [f["rule"] for f in report["findings"]] == ["dapr-component-missing"]


def test_a_topic_published_and_subscribed_by_nobody_is_found_in_the_real_api_log(real):
    # the app publishes through its sidecar, as an app does (daprd's API log records it)
    for pubsub, topic, code in (("pubsub", "refunds", "204"), ("nosuch", "orders", "404")):
        assert real.kubectl("exec", "-n", NS, CHECKOUT, "-c", "app", "--", "curl", "-s",
                            "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                            "Content-Type: application/json", "-d", "{}",
                            f"http://localhost:3500/v1.0/publish/{pubsub}/{topic}",
                            ).stdout == code
    report = _json(triage(real, "dapr", "subs", "checkout", "-n", NS, "-o", "json"))
    details = [f["detail"] for f in report["findings"]]
    assert any(d.startswith(f"topic refunds on pubsub is published by {CHECKOUT}")
               for d in details)
    # daprd refused the publish to `nosuch` (code=404): nothing was published there
    assert not any("on nosuch" in d for d in details)


def test_service_invocation_crosses_pods_through_sqlite_name_resolution(real):
    def invoke(path: str) -> str:
        return real.kubectl("exec", "-n", NS, CHECKOUT, "-c", "app", "--", "curl", "-s",
                            "-w", " %{http_code}",
                            f"http://localhost:3500/v1.0/invoke/notify/method/{path}").stdout

    assert invoke("healthz") == "ok 200"
    # the callee's own 404 comes back as it is: no ERR_DIRECT_INVOKE wrapper
    assert invoke("nosuch") == '{"detail": "Not Found"} 404'


def test_a_port_that_answers_in_another_protocol_ends_the_probe(real):
    """Real redis-server closes on an HTTP request: curl's "Empty reply from server" says
    the port is open but not HTTP, so neither another client nor a port-forward is tried
    (the forward waited its 15 s timeout for an answer that never comes: 18 of the 20 s of
    a `bundle` of the live taskflow incident)."""
    proc = triage(real, "exec-probe", "http", "redis-0", "/", "--port", "6379", "-n", NS,
                  "-o", "json")
    report = _json(proc)
    attempts = report["probe"]["attempts"]
    assert any("(52) Empty reply from server" in a for a in attempts), attempts
    assert attempts[-1] == "port 6379 answers, but not in HTTP"
    assert not any(a.startswith(("port-forward", "exec python")) for a in attempts), attempts
