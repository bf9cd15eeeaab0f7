"""dapr status|subs|logs|components on the demo bundle (probe results saved in it)."""

from __future__ import annotations

from kubectl_triage.commands.dapr import topic_of
from kubectl_triage.records import group_lines
from tests.helpers import HANDWRITTEN, HANDWRITTEN_DEMO, run


def test_subs_compares_app_sidecar_and_resources_and_flags_each_mismatch():
    report = run(*HANDWRITTEN, "dapr", "subs", "notification-service", "-o", "json").json()
    sources = {(r["source"], r["topic"]) for r in report["subscriptions"]}
    assert sources == {("app", "task-events"), ("sidecar (programmatic)", "task-events"),
                       ("resource reminder-events", "reminder-due")}
    details = sorted(f["detail"] for f in report["findings"])
    assert [f["rule"] for f in report["findings"]] == ["dapr-subscription"] * 2
    assert "not loaded by the sidecar" in details[0] or "not loaded by the sidecar" in details[1]
    assert any('route "/events/reminder"' in d and '"/events/task"' in d for d in details)


def test_subs_of_an_app_whose_wiring_is_consistent_has_no_finding():
    report = run(*HANDWRITTEN, "dapr", "subs", "taskflow-api", "-o", "json").json()
    assert report["findings"] == [] and report["subscriptions"] == []


def test_status_shows_annotations_sidecar_and_metadata_with_checks():
    report = run(*HANDWRITTEN, "dapr", "status", "taskflow-api", "-o", "json").json()
    fields = dict((r["field"], r["value"]) for r in report["dapr"] if r["field"] != "component")
    assert fields["dapr.io/app-port"] == "8000" and fields["runtime version"] == "1.14.4"
    verdicts = {c["step"]: c["verdict"] for c in report["checks"]}
    assert verdicts["injection"] == "pass" and verdicts["app-port"] == "pass"
    assert verdicts["control plane"] == "skip"


def test_logs_sorts_daprd_records_by_topic():
    report = run(*HANDWRITTEN, "dapr", "logs", "notification-service", "-o", "json").json()
    topics = {r["topic"]: int(r["records"]) for r in report["topics"]}
    assert topics["pubsub"] >= 27 and topics["api-calls"] >= 1 and "scheduler" in topics


def test_components_say_which_sidecar_loaded_them():
    rows = {r["name"]: r for r in run(*HANDWRITTEN, "dapr", "components", "-o", "json").json()[
        "components"]}
    assert rows["pubsub"]["loadedBy"] == "notification-service, taskflow-api"
    assert rows["statestore"]["scopes"] == "taskflow-api"


def test_topic_of_uses_scope_and_message():
    lines = ['time="2026-11-27T22:00:00Z" level=info msg="HTTP API Called" method="POST /v1.0/'
             'publish/pubsub/x" app_id=a scope=dapr.runtime.http-info type=log ver=1.14.4',
             'time="2026-11-27T22:00:00Z" level=info msg="Scheduler stream connected" '
             'scope=dapr.runtime.scheduler type=log']
    assert [topic_of(r) for r in group_lines(lines)] == ["api-calls", "scheduler"]


def test_publish_without_a_terminal_needs_yes():
    # Asked of a cluster (a bundle is refused first), before any connection is made.
    result = run("--server", "https://127.0.0.1:1", "dapr", "publish", "taskflow-api",
                 "pubsub", "task-events")
    assert result.code == 2
    assert result.stderr == (
        "error: publishing changes state: confirm with --yes (no terminal to ask)\n")


def test_publish_refuses_a_bundle_and_bad_json():
    result = run(*HANDWRITTEN, "dapr", "publish", "taskflow-api", "pubsub", "t", "--yes")
    assert result.code == 2 and "cannot run on a bundle" in result.stderr
    result = run(*HANDWRITTEN, "dapr", "publish", "taskflow-api", "pubsub", "t", "--data", "{x")
    assert result.code == 2 and "not JSON" in result.stderr


def test_subs_flags_a_topic_published_with_no_subscriber(tmp_path):
    import shutil

    bundle = tmp_path / "demo"
    shutil.copytree(HANDWRITTEN_DEMO, bundle)
    log = bundle / "taskflow" / "taskflow-api-7c9d8f6b5-x2x7k" / "daprd.log"
    with log.open("a") as handle:
        handle.write('2026-11-27T23:08:00.000000000Z time="2026-11-27T23:08:00Z" level=info '
                     'msg="HTTP API Called" method="POST /v1.0/publish/pubsub/audit-events" '
                     "app_id=taskflow-api scope=dapr.runtime.http-info type=log ver=1.14.4\n")
    report = run("--bundle", str(bundle), "dapr", "subs", "notification-service",
                 "-o", "json").json()
    unheard = [f["detail"] for f in report["findings"] if "audit-events" in f["detail"]]
    assert unheard == ["topic audit-events on pubsub is published by "
                       "taskflow-api-7c9d8f6b5-x2x7k but no app subscribes to it: its messages "
                       "are dropped"]
    assert not any("task-events" in f["detail"] for f in report["findings"])


def test_an_app_that_serves_no_dapr_subscribe_declares_none_and_leaves_no_gap(tmp_path):
    """FastAPI without programmatic subscriptions answers /dapr/subscribe with 404 (as the
    real taskflow-api does): daprd reads that as none, and so must checklist and dapr subs."""
    import json
    import shutil

    bundle = tmp_path / "demo"
    shutil.copytree(HANDWRITTEN_DEMO, bundle)
    for pod in ("taskflow-api-7c9d8f6b5-q8z4m", "taskflow-api-7c9d8f6b5-x2x7k"):
        path = bundle / "taskflow" / pod / "probes.json"
        probes = json.loads(path.read_text())
        for probe in probes["probes"]:
            if probe["path"] == "/dapr/subscribe":
                probe.update(status=404, body='{"detail":"Not Found"}')
        path.write_text(json.dumps(probes))
    for args in (("checklist",), ("dapr", "subs", "taskflow-api")):
        result = run("--bundle", str(bundle), *args, "-o", "json")
        assert result.code in (0, 3), result.stderr
        gaps = json.dumps(result.json().get("gaps", []))
        assert "/dapr/subscribe" not in gaps, (args, gaps)
