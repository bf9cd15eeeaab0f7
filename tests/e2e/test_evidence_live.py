"""One Evidence per run, live: on the loaded demo, `checklist` and `summary` list each kind
once and read each log once (counted in the API server's audit log), and the Postgres
Service that the crash-looping reminder-worker cannot reach is reported without endpoints."""

from __future__ import annotations

from collections import Counter

import pytest
from fixtures import HANDWRITTEN_BUNDLE

from tests.e2e.test_live import _json, triage

pytestmark = pytest.mark.e2e
NS = "taskflow"


@pytest.fixture(scope="module")
def cluster(e2e_cluster, handwritten_scenario):
    return e2e_cluster


def _requests(cluster, command: str) -> Counter:
    """(verb, resource, subresource, name[, container, previous]) of the plugin's requests
    made by one command."""
    before = len(cluster.audit_events())
    _json(triage(cluster, command, "-n", NS, "-o", "json"))
    counts: Counter = Counter()
    for e in cluster.audit_events()[before:]:
        if e.get("stage") != "ResponseComplete":
            continue
        if not e.get("userAgent", "").startswith("kubectl-triage/"):
            continue
        ref = e.get("objectRef") or {}
        key = (e["verb"], ref.get("resource", ""), ref.get("subresource", ""), ref.get("name", ""))
        if ref.get("subresource") == "log":  # which container, which instance: in the query
            query = dict(p.split("=", 1) for p in e["requestURI"].partition("?")[2].split("&"))
            key += (query.get("container", ""), query.get("previous", ""))
        counts[key] += 1
    return counts


@pytest.mark.parametrize("command", ["checklist", "summary"])
def test_each_kind_is_listed_once_and_each_log_read_once(cluster, command):
    counts = _requests(cluster, command)
    lists = {k: n for k, n in counts.items() if k[0] == "list"}
    assert ("list", "pods", "", "") in lists
    assert set(lists.values()) == {1}, lists
    logs = {k: n for k, n in counts.items() if k[2] == "log"}
    assert logs and set(logs.values()) == {1}, logs


def test_the_service_without_endpoints_is_named_live_as_in_the_bundle(cluster):
    """kwok's cluster runs no endpointslice controller: no slice speaks for a Service, so
    its selector is matched against the pods, as in the bundle."""
    live = _json(triage(cluster, "summary", "-n", NS, "-o", "json"))
    offline = _json(triage(cluster, "--bundle", str(HANDWRITTEN_BUNDLE), "summary", "-o", "json"))
    for report in (live, offline):
        found = [f for f in report["findings"] if f["rule"] == "service-no-endpoints"]
        assert [f["where"][0]["object"] for f in found] == ["Service/postgres"]
