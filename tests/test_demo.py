"""Every command on the shipped demo incident (a bundle: a real input format, no cluster).

The demo is recorded from the live taskflow incident (tools/record_demo.py, docs/demo-incident.md):
one pod per service, the worker restarted once, the kubelet's events of the test bed. What only
the hand-written incident has (two api replicas, 36 BackOffs, restartCount 7) is asserted on
tests/data/handwritten-demo in the other test modules."""

from __future__ import annotations

import datetime as dt
import json
import re

from kubectl_triage.bundle import demo_path
from tests.helpers import run

SEEDS = {
    "schema-mismatch",
    "wrong-endpoint",
    "async-sqlalchemy-greenlet",
    "cloudevent-unwrap",
    "timezone",
}


def _rules(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def test_demo_names_the_five_seed_patterns_and_the_crash_loop():
    result = run("demo", "-o", "json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert SEEDS | {"crash-loop"} <= _rules(report)
    for finding in report["findings"]:
        assert finding["cause"] and finding["fix"] and finding["next"], finding["rule"]
        assert finding["example"]
    # the context of the test cluster's kubeconfig it was recorded through
    assert report["context"] == "admin" and report["namespace"] == "taskflow"


def test_demo_table_shows_evidence_cause_fix_and_next_for_each_finding():
    out = run("demo").stdout
    for rule in SEEDS | {"crash-loop"}:
        block = out.split(f"  {rule}  ", 1)[1].split("\n\n", 1)[0]
        for label in ("evidence:", "cause:", "fix:", "next:"):
            assert label in block, (rule, label)


def test_logs_of_a_deployment_reads_every_pod_and_sidecar_of_its_current_replicaset():
    report = run("--demo", "logs", "taskflow-api", "-o", "json").json()
    pods = {w["pod"] for f in report["findings"] for w in f["where"] if w["kind"] == "log"}
    assert pods == {"taskflow-api-7c9d8f6b5-q8z4m"}
    assert {"schema-mismatch", "wrong-endpoint", "async-sqlalchemy-greenlet", "timezone"} <= _rules(
        report
    )
    assert "cloudevent-unwrap" not in _rules(report)  # that one is notification-service's
    wrong = next(f for f in report["findings"] if f["rule"] == "wrong-endpoint")
    assert (
        wrong["count"] == 1  # one round of the load script: one `complete`
        and wrong["next"][1] == "kubectl triage logs taskflow-api --grep 404 -n taskflow"
    )


def test_global_flags_after_the_subcommand_give_the_same_report():
    before = run("--demo", "-o", "json", "logs", "taskflow-api").json()
    after = run("logs", "taskflow-api", "--demo", "-o", "json").json()
    assert before == after


def test_a_traceback_is_one_record_counted_once():
    report = run("--demo", "logs", "taskflow-api", "-o", "json").json()
    schema = [g for g in report["groups"] if g["rule"] == "schema-mismatch"]
    assert schema and all("Traceback (most recent call last)" in g["example"] for g in schema)
    assert all(g["example"].rstrip().endswith("'skills'") for g in schema)


def test_previous_log_of_the_crash_looping_pod_is_read_automatically():
    report = run("--demo", "logs", "reminder-worker", "-o", "json").json()
    wheres = {
        (w["container"], w.get("previous", False)) for g in report["groups"] for w in g["where"]
    }
    assert ("worker", True) in wheres
    assert "crash-loop" in _rules(report)


def test_unknown_deployment_is_not_found_with_the_nearest_names():
    result = run("--demo", "logs", "taskflow-ap")
    assert result.code == 1
    assert result.stderr.startswith('error: deployments.apps "taskflow-ap" not found')
    assert "taskflow-api" in result.stderr and result.stderr.count("\n") == 1


def test_unknown_kind_is_a_usage_error():
    result = run("--demo", "logs", "cronjob/x")
    assert result.code == 2 and 'unknown kind "cronjob"' in result.stderr


def test_events_put_warnings_first_and_roll_pods_up_to_their_deployment():
    report = run("--demo", "events", "-o", "json").json()
    rows = report["events"]
    types = [r["type"] for r in rows]
    assert types == sorted(types, key=lambda t: t != "Warning")
    backoff = next(r for r in rows if r["reason"] == "BackOff")
    # two exits, each held back by the (test bed's) kubelet before the next start
    assert backoff["workload"] == "deployment/reminder-worker" and int(backoff["count"]) == 2
    assert {r["reason"] for r in rows if r["type"] == "Normal"} == {
        "Scheduled", "Pulled", "Created", "Started"}
    assert "crash-loop" in _rules(report)


def test_events_of_a_target_are_its_pods_replicasets_and_deployment_only():
    rows = run("--demo", "events", "notification-service", "-o", "json").json()["events"]
    assert rows and all(r["workload"] == "deployment/notification-service" for r in rows)


def test_status_shows_the_crash_loop_with_restarts_and_last_termination():
    report = run("--demo", "status", "-o", "json").json()
    row = next(r for r in report["pods"] if r["pod"].startswith("reminder-worker"))
    assert row["status"] == "CrashLoopBackOff" and row["restarts"] == 1  # a number, for jq
    assert row["ready"] == "0/1" and "Error (1)" in row["lastTermination"]
    api = [r for r in report["pods"] if r["workload"] == "deployment/taskflow-api"]
    assert len(api) == 1 and all(r["sidecars"] == "daprd:ready" for r in api)
    assert "crash-loop" in _rules(report)


def test_grep_shows_matching_records_each_with_its_rule():
    report = run("--demo", "logs", "taskflow-api", "--grep", "greenlet", "-o", "json").json()
    assert report["records"]
    assert all("greenlet" in r["message"].lower() for r in report["records"])
    assert {r["rule"] for r in report["records"]} == {"async-sqlalchemy-greenlet"}


def test_markdown_report_is_ticket_ready():
    out = run("demo", "-o", "markdown").stdout
    assert out.startswith("# kubectl triage summary")
    assert "## Findings" in out and "`crash-loop`" in out


def test_the_recording_sits_at_its_fixed_time_with_no_trace_of_the_machine_it_ran_on():
    root = demo_path()
    manifest = json.loads((root / "triage-bundle.json").read_text())
    assert (manifest["createdAt"], manifest["since"]) == ("2026-11-27T23:10:00Z",
                                                          "2026-11-27T22:10:00Z")
    texts = {p: p.read_text() for p in root.rglob("*") if p.is_file()}
    assert len(texts) > 15
    for path, text in texts.items():
        for leak in ("/tmp/", "/work/", "/root/", ".venv", "e2e.kubectl-triage.io", "198.18.1"):
            assert leak not in text, (path, leak)
    # taskflow-api ran under TZ=Europe/Berlin; its asctime is in UTC now, as the runtime's
    api = texts[root / "taskflow" / "taskflow-api-7c9d8f6b5-q8z4m" / "api.log"]
    stamped = re.findall(r"^(\S+)Z (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} ", api, re.M)
    assert len(stamped) > 10
    for cri, asctime in stamped:
        gap = dt.datetime.fromisoformat(cri[:26]) - dt.datetime.fromisoformat(asctime)
        assert abs(gap.total_seconds()) < 2, (cri, asctime)
